#!/usr/bin/env bash
# The trainer's and denoise tool's command-line errors: one line naming the problem (and the
# file), a non-zero exit code, nothing written.
# Usage: trainer_cli.sh TRAINER DENOISE WORKDIR
set -uo pipefail
trainer=$1
denoise=$2
work=$3
rm -rf "$work" && mkdir -p "$work/data" "$work/wrong"
/usr/bin/python3 "$(dirname "$0")/make_tiny_data.py" "$work/data" 100 20
/usr/bin/python3 -c "
import numpy as np, shutil, sys
d = sys.argv[1]
for f in ['train_input', 'train_target', 'val_input', 'val_target']:
    shutil.copy(f'{d}/data/{f}.npy', f'{d}/wrong/{f}.npy')
np.save(f'{d}/wrong/train_input.npy', np.zeros((100, 3, 64, 64), np.uint8))
" "$work"
passed=0
failed=0
expect() {  # expect CODE REGEX -- command...
  local code=$1 regex=$2
  shift 3
  local out
  out=$("$@" 2>&1)
  local rc=$?
  if [ "$rc" -eq "$code" ] && [[ "$out" =~ $regex ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $* -> exit $rc (expected $code), output: $out (expected /$regex/)"
  fi
}
expect 0 "Usage: ctnn_noise2noise" -- "$trainer" --help
expect 2 "unknown option '--epoch'" -- "$trainer" --epoch 3
expect 2 "--epochs: must be at least 1, got 0" -- "$trainer" --epochs 0
expect 2 "--lr: expected a number, got 'fast'" -- "$trainer" --lr fast
expect 2 "--model: unknown model 'resnet'" -- "$trainer" --model resnet
expect 2 "--fraction: must be in \(0, 1\], got 1.5" -- "$trainer" --fraction 1.5
expect 2 "--batch-size: missing value" -- "$trainer" --batch-size
expect 1 "$work/nope: data directory does not exist" -- "$trainer" --data "$work/nope" --out "$work/o1"
expect 1 "wrong/train_input.npy: expected uint8 N x 3 x 32 x 32 images, found shape \(100, 3, 64, 64\)" -- "$trainer" --data "$work/wrong" --out "$work/o2"
[ ! -e "$work/o2/model.safetensors" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: output written after an error"; }
expect 0 "Usage: ctnn_denoise" -- "$denoise" --help
expect 2 "--checkpoint FILE is required" -- "$denoise" "$work/x.png"
expect 1 "$work/none.safetensors: no such file" -- "$denoise" --checkpoint "$work/none.safetensors" "$work/x.png"
expect 1 "val_input.npy: not a safetensors file" -- "$denoise" --checkpoint "$work/data/val_input.npy" "$work/x.png"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
