#!/usr/bin/env bash
# The model zoo's networks in the trainer, on a tiny data set (a few steps; CI runs this under
# AddressSanitizer at -O1 too): --model unet with its recipe (lr 3e-4, beta2 0.99, rampdown,
# Kaiming-normal init) and --model dncnn (BatchNorm2d, evaluation mode for validation) write
# every output and report a validation PSNR; a U-Net run killed mid-ramp-down and resumed ends
# with the same weights, bit for bit, as an uninterrupted one.
# Usage: trainer_models.sh TRAINER WORKDIR
set -uo pipefail
trainer=$1
work=$2
rm -rf "$work" && mkdir -p "$work/data"
/usr/bin/python3 "$(dirname "$0")/make_tiny_data.py" "$work/data" 16 6
passed=0
failed=0
check() {  # check DESCRIPTION -- command...
  local what=$1
  shift 2
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}
common=(--data "$work/data" --threads 2 --batch-size 4 --seed 2)

for model in unet dncnn; do
  out=$work/$model
  "$trainer" "${common[@]}" --model "$model" --epochs 1 --fraction 0.5 --out "$out" \
    --save-initial "$work/$model-initial.safetensors" >"$work/$model.log" 2>&1
  check "$model: exit code 0 (see $work/$model.log)" -- test $? -eq 0
  for f in model.safetensors train_state.safetensors log.csv samples.png curves.svg; do
    check "$model: $f written" -- test -s "$out/$f"
  done
  check "$model: initial weights written" -- test -s "$work/$model-initial.safetensors"
  check "$model: the initial weights are not the trained ones" -- \
    bash -c "! cmp -s '$work/$model-initial.safetensors' '$out/model.safetensors'"
  check "$model: an epoch line with the validation PSNR" -- \
    grep -Eq "^epoch 1/1  train loss [0-9.]+  val PSNR [0-9.]+ dB" "$work/$model.log"
  check "$model: the report's line" -- \
    grep -Eq "^  ctnn $model model, 1 epoch\(s\) +measured +[0-9.]+ dB" "$work/$model.log"
done
check "unet: the Noise2Noise recipe by default" -- grep -q \
  "^recipe     adam lr 0.0003 (ramped down over the last 30% of the steps), betas (0.9, 0.99), eps 1e-8, batch 4, 1 epoch(s), MSE loss, kaiming-normal init" \
  "$work/unet.log"
check "dncnn: adam lr 1e-3, constant" -- grep -q \
  "^recipe     adam lr 0.001 (constant), betas (0.9, 0.999), eps 1e-8, batch 4, 1 epoch(s), MSE loss, pytorch-default init" \
  "$work/dncnn.log"
check "unet: the layers of the U-Net" -- grep -q "^model      unet: Sequential<Input<3,32,32>,SkipConcat<Conv2d<3,48,3,1,1,1>,LeakyReLU<1/10>" "$work/unet.log"
check "dncnn: BatchNorm2d in the model" -- grep -q "^model      dncnn: .*BatchNorm2d<64>" "$work/dncnn.log"

# Resume in the ramp-down: 2 epochs of 2 steps, the last 75% of the steps ramped down, a state
# every step; the run is killed as soon as the first state is on disk and resumed.
rd=(--model unet --epochs 2 --fraction 0.5 --rampdown-fraction 0.75 --checkpoint-every 1)
"$trainer" "${common[@]}" "${rd[@]}" --out "$work/straight" >"$work/straight.log" 2>&1
check "rampdown: uninterrupted run" -- test -s "$work/straight/model.safetensors"
"$trainer" "${common[@]}" "${rd[@]}" --out "$work/killed" >"$work/killed.log" 2>&1 &
pid=$!
for _ in $(seq 1 3000); do
  [ -f "$work/killed/train_state.safetensors" ] && break
  sleep 0.01
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
"$trainer" "${common[@]}" "${rd[@]}" --out "$work/killed" --resume >"$work/resumed.log" 2>&1
check "rampdown: resumed mid-run (see $work/resumed.log)" -- \
  grep -Eq "^resumed .*: epoch (1, [1-9]|2, [0-9])[0-9]* batches done" "$work/resumed.log"
check "rampdown: killed + resumed == uninterrupted, bit for bit" -- \
  cmp -s "$work/straight/model.safetensors" "$work/killed/model.safetensors"
# Another --epochs changes every ramped-down learning rate: the state is refused.
"$trainer" "${common[@]}" "${rd[@]}" --epochs 3 --out "$work/killed" --resume \
  >"$work/other.log" 2>&1
check "rampdown: a state of a run with another --epochs is refused" -- \
  grep -q "was written by another run (.*epochs=2); this run is .*epochs=3" "$work/other.log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
