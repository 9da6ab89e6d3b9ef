#!/usr/bin/env bash
# The trainer's and denoise tool's command-line errors: one line naming the problem (and the
# file), a non-zero exit code, nothing written. With BUILD_DATASET, ctnn_build_dataset's too.
# Usage: trainer_cli.sh TRAINER DENOISE WORKDIR [BUILD_DATASET]
set -uo pipefail
trainer=$1
denoise=$2
work=$3
build_dataset=${4:-}
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
# usage_line PROGRAM LINE -- command...: a mistake on the command line is exit code 2, nothing on
# stdout, and exactly the line "PROGRAM: LINE" on stderr (LINE a regex).
usage_line() {
  local regex="^$1: $2\$"
  shift 3
  local out err rc
  out=$("$@" 2>"$work/stderr")
  rc=$?
  err=$(cat "$work/stderr")
  if [ "$rc" -eq 2 ] && [ -z "$out" ] && [[ "$err" =~ $regex ]] &&
    [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $* -> exit $rc (expected 2), stdout: $out, stderr: $err (expected /$regex/)"
  fi
}
# usage_error PROGRAM MESSAGE -- command...: the line is "PROGRAM: MESSAGE (see --help)".
usage_error() {
  local program=$1 message=$2
  shift 2
  usage_line "$program" "$message \\(see --help\\)" "$@"
}
expect 0 "Usage: ctnn_noise2noise" -- "$trainer" --help
expect 0 "Usage: ctnn_noise2noise" -- "$trainer" -h
# --help lists every option, and every option it lists is one the parser knows.
help=$("$trainer" --help)
for o in "--model NAME" "--epochs N" "--batch-size N" "--optimizer NAME" "--lr X" "--beta2 X" \
  "--lr-schedule NAME" "--rampdown-fraction X" "--momentum X" "--fraction X" "--threads N" \
  "--conv NAME" "--precision NAME" "--seed N" "--data DIR" "--out DIR" "--checkpoint-every N" \
  "--save-initial FILE" "--val-every N" "--loss-every N" "--resume" "--help"; do
  [[ "$help" == *$'\n'"  $o "* || "$help" == *$'\n'"  $o"$'\n'* ]] && passed=$((passed + 1)) ||
    { failed=$((failed + 1)); echo "FAIL: --help does not list '$o'"; }
done
for o in $(printf '%s\n' "$help" | sed -n 's/^  \(--[a-z0-9-]*\).*/\1/p'); do
  out=$("$trainer" "$o" --data "$work/nope" --out "$work/o0" 2>&1)
  [[ "$out" != *"unknown option '$o'"* ]] && passed=$((passed + 1)) ||
    { failed=$((failed + 1)); echo "FAIL: --help lists $o, the parser does not know it"; }
done
N=ctnn_noise2noise
usage_error $N "unknown option '--epoch'" -- "$trainer" --epoch 3
usage_error $N "unknown option '-x'" -- "$trainer" -x
usage_error $N "unknown option '--bogus'" -- "$trainer" --help --bogus
usage_error $N "unexpected argument 'extra'" -- "$trainer" --epochs 2 extra
usage_error $N "unexpected argument '--epochs'" -- "$trainer" -- --epochs 2
usage_error $N "--epochs: expected an integer >= 1, got '0'" -- "$trainer" --epochs 0
usage_error $N "--epochs: expected an integer >= 1, got '0'" -- "$trainer" --epochs=0
usage_error $N "--epochs: expected an integer >= 1, got '0'" -- "$trainer" --epochs 0 --help
usage_error $N "--epochs: expected an integer >= 1, got '2.5'" -- "$trainer" --epochs 2.5
usage_error $N "--epochs: expected an integer from 1 to 2147483647, got '9999999999'" -- \
  "$trainer" --epochs 9999999999
usage_error $N "--batch-size: expected an integer >= 1, got '0'" -- "$trainer" --batch-size 0
usage_error $N "--threads: expected an integer >= 0, got '-1'" -- "$trainer" --threads -1
usage_error $N "--seed: expected an integer >= 0, got 'abc'" -- "$trainer" --seed abc
usage_error $N "--seed: expected an integer from 0 to 18446744073709551615, got '18446744073709551616'" \
  -- "$trainer" --seed 18446744073709551616
usage_error $N "--checkpoint-every: expected an integer >= 0, got '1e3'" -- \
  "$trainer" --checkpoint-every 1e3
usage_error $N "--lr: expected a number > 0, got 'fast'" -- "$trainer" --lr fast
usage_error $N "--lr: expected a number > 0, got '0'" -- "$trainer" --lr 0
usage_error $N "--lr: expected a number > 0, got 'inf'" -- "$trainer" --lr inf
usage_error $N "--momentum: expected a number in \[0, 1\), got '1'" -- "$trainer" --momentum 1
usage_error $N "--fraction: expected a number in \(0, 1\], got '1.5'" -- "$trainer" --fraction 1.5
usage_error $N "--fraction: expected a number in \(0, 1\], got '0'" -- "$trainer" --fraction 0
usage_error $N "--model: expected initial, final, upsample, unet or dncnn, got 'resnet'" -- \
  "$trainer" --model resnet
usage_error $N "--beta2: expected a number in \[0, 1\), got '1'" -- "$trainer" --beta2 1
usage_error $N "--lr-schedule: expected constant or rampdown, got 'cosine'" -- \
  "$trainer" --lr-schedule cosine
usage_error $N "--rampdown-fraction: expected a number in \(0, 1\], got '0'" -- \
  "$trainer" --rampdown-fraction 0
usage_error $N "--save-initial: missing value" -- "$trainer" --save-initial
usage_error $N "--optimizer: expected adam or sgd, got 'rmsprop'" -- "$trainer" --optimizer rmsprop
usage_error $N "--batch-size: missing value" -- "$trainer" --batch-size
usage_error $N "--data: missing value" -- "$trainer" --epochs 1 --data
usage_error $N "--resume: takes no value" -- "$trainer" --resume=yes
usage_error $N "--conv: expected auto or direct, got 'fast'" -- "$trainer" --conv fast
usage_error $N "--precision: expected fp32 or bf16, got 'fp16'" -- "$trainer" --precision fp16
usage_error $N "--val-every: expected an integer >= 0, got 'often'" -- "$trainer" --val-every often
usage_error $N "--loss-every: expected an integer >= 0, got '-2'" -- "$trainer" --loss-every -2
# The last of a repeated option counts, and --name=value is --name value: the same weights.
"$trainer" --data "$work/data" --out "$work/spaced" --threads 2 --epochs 1 --batch-size 10 \
  --seed 1 >"$work/spaced.log" 2>&1 || { failed=$((failed + 1)); cat "$work/spaced.log"; }
"$trainer" --data="$work/data" --out="$work/equals" --threads=2 --epochs=1 --batch-size=10 \
  --seed 5 --seed=1 >"$work/equals.log" 2>&1 || { failed=$((failed + 1)); cat "$work/equals.log"; }
cmp -s "$work/spaced/model.safetensors" "$work/equals/model.safetensors" && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL: --name=value or a repeated option changed the weights"; }

# Progress with stdout in a file: a plain line at every 10 % of the epoch's 10 batches, no bar;
# the validations for the curves at every fifth of the epoch (batches 2, 4, 6, 8; the 10th is the
# epoch's own); the report's path last.
check() {  # check DESCRIPTION command...: counts the command's success
  local what=$1
  shift
  "$@" && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: $what"; }
}
check "progress: not 10 lines 'epoch 1/1 N/10 batches (N %) ...'" [ "$(grep -Ec \
  '^epoch 1/1 ([1-9]|10)/10 batches \([0-9]+ %\)  [0-9]+ img/s  loss [0-9.]+  ETA [0-9]+m[0-9]{2}s$' \
  "$work/spaced.log")" -eq 10 ]
check "progress: a carriage return in a log file" bash -c "! grep -q $'\r' '$work/spaced.log'"
check "validation within the epoch: not after batches 2, 4, 6, 8" [ "$(sed -n \
  's|^           val PSNR [0-9.]* dB after \([0-9]*\)/10 batches$|\1|p' "$work/spaced.log" | xargs)" = "2 4 6 8" ]
check "the last line is not the report's path" [ "$(tail -1 "$work/spaced.log")" = "report     $work/spaced/report.html" ]
check "report.html not written" test -s "$work/spaced/report.html"
"$trainer" --data "$work/data" --out "$work/every" --threads 2 --epochs 1 --batch-size 10 \
  --seed 1 --val-every 3 --loss-every 4 >"$work/every.log" 2>&1 || failed=$((failed + 1))
check "--val-every 3: not after batches 3, 6, 9" [ "$(sed -n \
  's|^           val PSNR [0-9.]* dB after \([0-9]*\)/10 batches$|\1|p' "$work/every.log" | xargs)" = "3 6 9" ]
check "--loss-every 4: not in the legend" grep -q "training loss, mean of every 4 batches" "$work/every/curves.svg"
check "--val-every, --loss-every: other weights" cmp -s "$work/spaced/model.safetensors" "$work/every/model.safetensors"

# --precision bf16 runs bf16 where the CPU has AVX512_BF16 (its flags in /proc/cpuinfo), and
# elsewhere fp32 with one line on stderr saying so; the summary, the report and the metadata of
# model.safetensors record what ran.
metadata() {  # metadata FILE KEY: the value of KEY in a safetensors file's __metadata__
  /usr/bin/python3 -c "
import json, struct, sys
with open(sys.argv[1], 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    print(json.loads(f.read(n)).get('__metadata__', {}).get(sys.argv[2], '(none)'))
" "$1" "$2"
}
differ() { ! cmp -s "$1" "$2"; }
if grep -qw avx512_bf16 /proc/cpuinfo; then used=bf16; else used=fp32; fi
echo "this CPU runs --precision bf16 as $used"
"$trainer" --data "$work/data" --out "$work/bf16" --threads 2 --epochs 1 --batch-size 10 \
  --seed 1 --precision bf16 >"$work/bf16.log" 2>"$work/bf16.err" ||
  { failed=$((failed + 1)); cat "$work/bf16.log" "$work/bf16.err"; }
check "fp32 run: no 'precision  fp32' line" grep -qx "precision  fp32" "$work/spaced.log"
check "fp32 run: conv_precision in model.safetensors is not fp32" \
  [ "$(metadata "$work/spaced/model.safetensors" conv_precision)" = fp32 ]
check "bf16 run: conv_precision in model.safetensors is not $used" \
  [ "$(metadata "$work/bf16/model.safetensors" conv_precision)" = $used ]
if [ $used = bf16 ]; then
  check "bf16 run: no 'precision  bf16' line" grep -q "^precision  bf16 conv operands" "$work/bf16.log"
  check "bf16 run: the report does not say bf16" grep -q "epoch(s), bf16 " "$work/bf16.log"
  check "bf16 run: something on stderr: $(cat "$work/bf16.err")" [ ! -s "$work/bf16.err" ]
  check "bf16 run: the same weights as fp32" \
    differ "$work/spaced/model.safetensors" "$work/bf16/model.safetensors"
else
  check "bf16 on a CPU without it: not the one line expected on stderr: $(cat "$work/bf16.err")" \
    [ "$(cat "$work/bf16.err")" = "ctnn_noise2noise: --precision bf16: this CPU has no AVX512_BF16 instructions; running in fp32" ]
  check "bf16 on a CPU without it: the summary does not say fp32" \
    grep -q "^precision  fp32 (--precision bf16 asked for" "$work/bf16.log"
  check "bf16 on a CPU without it: other weights than fp32" \
    cmp -s "$work/spaced/model.safetensors" "$work/bf16/model.safetensors"
fi
# Resumed in another precision: both recorded, in order (where the CPU runs bf16).
"$trainer" --data "$work/data" --out "$work/spaced" --threads 2 --epochs 2 --batch-size 10 \
  --seed 1 --precision bf16 --resume >"$work/resumed.log" 2>&1 ||
  { failed=$((failed + 1)); cat "$work/resumed.log"; }
expected=$([ $used = bf16 ] && echo fp32+bf16 || echo fp32)
check "resumed in bf16: conv_precision is not $expected" \
  [ "$(metadata "$work/spaced/model.safetensors" conv_precision)" = "$expected" ]
if [ $used = bf16 ]; then
  check "resumed in bf16: the change is not reported" \
    grep -q "^resumed .* (trained in fp32 so far, continuing in bf16)\$" "$work/resumed.log"
fi
# The denoise tool: the same, on the validation images.
"$denoise" --checkpoint "$work/bf16/model.safetensors" --threads 2 --precision bf16 \
  --output "$work/bf16/val.npy" "$work/data/val_input.npy" >/dev/null 2>"$work/denoise_bf16.err" ||
  { failed=$((failed + 1)); cat "$work/denoise_bf16.err"; }
"$denoise" --checkpoint "$work/bf16/model.safetensors" --threads 2 \
  --output "$work/bf16/val32.npy" "$work/data/val_input.npy" >/dev/null 2>&1 ||
  failed=$((failed + 1))
if [ $used = bf16 ]; then
  check "denoise --precision bf16: something on stderr: $(cat "$work/denoise_bf16.err")" \
    [ ! -s "$work/denoise_bf16.err" ]
  check "denoise --precision bf16: the same output as fp32" \
    differ "$work/bf16/val.npy" "$work/bf16/val32.npy"
else
  check "denoise --precision bf16 without it: not the one line expected on stderr" \
    [ "$(cat "$work/denoise_bf16.err")" = "ctnn_denoise: --precision bf16: this CPU has no AVX512_BF16 instructions; running in fp32" ]
  check "denoise --precision bf16 without it: another output than fp32" \
    cmp -s "$work/bf16/val.npy" "$work/bf16/val32.npy"
fi
# The denoise tool's progress for large inputs, stdout in a file: a line every 10 % of a .npy of
# 4096 images and of a 1000 x 1000 PNG's 81 tiles; none for the 20 images of val_input.npy.
/usr/bin/python3 -c "
import numpy as np, struct, sys, zlib
rng = np.random.default_rng(0)
np.save(sys.argv[1] + '/big.npy', rng.integers(0, 256, (4096, 3, 32, 32), dtype=np.uint8))
rows = b''.join(b'\0' + r.tobytes() for r in rng.integers(0, 256, (1000, 1000, 3), dtype=np.uint8))
chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 1000, 1000, 8, 2, 0, 0, 0))
open(sys.argv[1] + '/big.png', 'wb').write(png + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))
" "$work"
"$denoise" --checkpoint "$work/spaced/model.safetensors" --threads 2 --out "$work" \
  "$work/big.npy" "$work/big.png" "$work/data/val_input.npy" >"$work/denoise_big.log" 2>&1 ||
  { failed=$((failed + 1)); cat "$work/denoise_big.log"; }
check "denoise big.npy: not 10 lines 'big.npy: N/4096 images (N %) ...'" [ "$(grep -Ec \
  '^big.npy: [0-9]+/4096 images \([0-9]+ %\)  [0-9]+ img/s  ETA [0-9]+m[0-9]{2}s$' "$work/denoise_big.log")" -eq 10 ]
check "denoise big.png: not 10 lines 'big.png: N/81 tiles (N %) ...'" [ "$(grep -Ec \
  '^big.png: [0-9]+/81 tiles \([0-9]+ %\)  [0-9.]+ tiles/s  ETA' "$work/denoise_big.log")" -eq 10 ]
check "denoise val_input.npy (20 images): progress lines" bash -c "! grep -q '^val_input.npy:' '$work/denoise_big.log'"
check "denoise: not the three outputs named" [ "$(grep ' -> ' "$work/denoise_big.log" | sed 's|.*/||' | xargs)" = \
  "big_denoised.npy big_denoised.png val_input_denoised.npy" ]

expect 1 "$work/nope: data directory does not exist" -- "$trainer" --data "$work/nope" --out "$work/o1"
expect 1 "wrong/train_input.npy: expected uint8 N x 3 x 32 x 32 images, found shape \(100, 3, 64, 64\)" -- "$trainer" --data "$work/wrong" --out "$work/o2"
[ ! -e "$work/o2/model.safetensors" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL: output written after an error"; }
expect 0 "Usage: ctnn_denoise" -- "$denoise" --help
D=ctnn_denoise
usage_error $D "--precision: expected fp32 or bf16, got 'half'" -- \
  "$denoise" --checkpoint "$work/x.safetensors" --precision half "$work/x.png"
usage_error $D "--conv: expected auto or direct, got 'fast'" -- \
  "$denoise" --checkpoint "$work/x.safetensors" --conv fast "$work/x.png"
expect 2 "--checkpoint FILE is required" -- "$denoise" "$work/x.png"
expect 1 "$work/none.safetensors: no such file" -- "$denoise" --checkpoint "$work/none.safetensors" "$work/x.png"
expect 1 "val_input.npy: not a safetensors file" -- "$denoise" --checkpoint "$work/data/val_input.npy" "$work/x.png"

if [ -n "$build_dataset" ]; then
  B=ctnn_build_dataset
  expect 0 "Usage: ctnn_build_dataset --photos DIR" -- "$build_dataset" --help
  usage_line $B "--photos DIR is required \\(see --help; tools/data/fetch_photos.sh fetches free photos\\)" \
    -- "$build_dataset" --out "$work/bd"
  usage_error $B "unknown option '--photo'" -- "$build_dataset" --photo "$work"
  usage_error $B "unexpected argument 'extra'" -- "$build_dataset" --stats "$work/data" extra
  usage_error $B "--photos: missing value" -- "$build_dataset" --photos
  usage_error $B "--train: expected an integer >= 1, got '0'" -- "$build_dataset" --train 0
  usage_error $B "--val: expected an integer >= 1, got '-5'" -- "$build_dataset" --val -5
  usage_error $B "--seed: expected an integer >= 0, got 'x'" -- "$build_dataset" --seed x
  usage_error $B "--threads: expected an integer >= 0, got '1.5'" -- "$build_dataset" --threads 1.5
  usage_error $B "--noise: unknown noise 'pink' \(expected course, course-flat, gaussian:SIGMA, gaussian:MIN-MAX or poisson:PEAK\)" \
    -- "$build_dataset" --noise pink
  usage_error $B "--noise: noise 'gaussian:50-0': expected gaussian:MIN-MAX with 0 <= MIN < MAX" \
    -- "$build_dataset" --noise gaussian:50-0
  usage_error $B "--val-noise: noise 'gaussian:': expected a positive number after 'gaussian:'" \
    -- "$build_dataset" --val-noise gaussian:
  usage_error $B "--noise: noise 'gaussian:0': expected a positive number after 'gaussian:'" \
    -- "$build_dataset" --noise gaussian:0
  usage_error $B "--detail: expected any or course, got 'some'" -- "$build_dataset" --detail some
  usage_error $B "--short-side: expected MIN:MAX with 32 <= MIN <= MAX, got '16:64'" -- \
    "$build_dataset" --short-side 16:64
  usage_error $B "--short-side: expected MIN:MAX with 32 <= MIN <= MAX, got '64:32'" -- \
    "$build_dataset" --short-side 64:32
  usage_error $B "--short-side: expected MIN:MAX with 32 <= MIN <= MAX, got '64'" -- \
    "$build_dataset" --short-side 64
  usage_error $B "--min-std: expected a number >= 0, got '-1'" -- "$build_dataset" --min-std -1
  expect 1 "^ctnn_build_dataset: error: $work/nope/val_input.npy: no such file\$" -- \
    "$build_dataset" --stats "$work/nope"
  expect 0 "$work/data: 20 pairs" -- "$build_dataset" --stats "$work/data"
else
  echo "note: no ctnn_build_dataset given, its command line is not tested"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
