#!/usr/bin/env bash
# Trains the same model with the same recipe in ctnn and in PyTorch (tools/pytorch/train_reference.py,
# same initial weights and batch order) on the same data, and prints both PSNRs side by side.
# Usage: tools/pytorch/compare_with_pytorch.sh DATA_DIR OUT_DIR -- TRAINER_OPTIONS...
#   e.g. tools/pytorch/compare_with_pytorch.sh data/photos out/cmp -- --model initial --epochs 1 --fraction 0.1 --batch-size 50
# Both run with the same thread count (--threads, default 1). The trainer writes its initial
# weights (--save-initial) and the reference stops unless its own are identical to them.
# CTNN_TRAINER names the trainer (default: build/examples/noise2noise/ctnn_noise2noise).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=$1
out=$2
shift 3
threads=1
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  [ "${args[$i]}" = "--threads" ] && threads=${args[$((i + 1))]}
done
trainer=${CTNN_TRAINER:-build/examples/noise2noise/ctnn_noise2noise}
mkdir -p "$out"
"$trainer" --data "$data" --out "$out" --threads "$threads" \
  --save-initial "$out/initial.safetensors" "$@" | tee "$out/ctnn.log"
/usr/bin/python3 tools/pytorch/train_reference.py --data "$data" --threads "$threads" \
  --check-initial "$out/initial.safetensors" "$@" | tee "$out/pytorch.log"
ctnn_line=$(grep -E "^epoch [0-9]+/[0-9]+  train loss" "$out/ctnn.log" | tail -1)
torch_line=$(grep -E "^epoch [0-9]+/[0-9]+" "$out/pytorch.log" | tail -1)
echo
echo "last epoch, ctnn:    $ctnn_line"
echo "last epoch, PyTorch: $torch_line"
c=$(sed -E 's/.*val PSNR ([0-9.]+) dB.*/\1/' <<< "$ctnn_line")
p=$(sed -E 's/.*val PSNR ([0-9.]+) dB.*/\1/' <<< "$torch_line")
echo "PSNR difference ctnn - PyTorch: $(/usr/bin/python3 -c "print(f'{$c - $p:+.3f} dB')")"
