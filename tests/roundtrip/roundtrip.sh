#!/usr/bin/env bash
# Checkpoints round-trip between ctnn and PyTorch, for each model given:
#   1. ctnn trains the model a few steps and writes its weights, its training state (weights,
#      Adam's buffers, the trainer's position), an input batch and its output on it;
#   2. tools/pytorch/checkpoint_roundtrip.py loads ctnn's safetensors into the equivalent PyTorch
#      nn.Sequential (plain Python: no safetensors package), checks PyTorch's output against
#      ctnn's, loads the training state with strict=False (only Adam's buffers unexpected, no key
#      missing, every tensor equal to ctnn's weights), then trains a PyTorch-initialised model a few steps and writes its weights as
#      safetensors with PyTorch's output;
#   3. ctnn loads PyTorch's weights and checks its output against PyTorch's.
# Usage: roundtrip.sh ROUNDTRIP_PROGRAM WORKDIR MODEL...
set -euo pipefail
program=$1
work=$2
shift 2
script="$(dirname "$0")/../../tools/pytorch/checkpoint_roundtrip.py"
for model in "$@"; do
  dir=$work/$model
  rm -rf "$dir" && mkdir -p "$dir"
  "$program" write "$dir" "$model"
  /usr/bin/python3 "$script" "$dir" --model "$model"
  "$program" check "$dir" "$model"
done
echo "roundtrip: $*: both directions within 1e-5; the training state loads with strict=False"
