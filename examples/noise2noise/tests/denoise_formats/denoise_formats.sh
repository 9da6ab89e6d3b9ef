#!/usr/bin/env bash
# ctnn_denoise on every kind of image it reads, with a model trained here on the tiny data set:
# image_check (beside this script) writes one 100x70 picture (not a multiple of the 32x32 tiles)
# as gray, gray + alpha, RGB and RGBA at 8 and 16 bits, as RGB holding the gray picture, and as
# a JPEG; ctnn_denoise denoises them all; image_check then checks each output's format (a PNG of
# the input's size, channels and bit depth), that alpha is copied, the plumbing (the same
# picture in different kinds gives the same result up to quantisation), the quality (PSNR), and
# that large tiles (a 260x140 picture: 128x128) and 32x32 tiles (its 250x100 crop) agree.
# Then the output-naming rules: JPEG in, PNG out; --output; a JPEG output refused; two inputs
# with the same output refused.
# Usage: denoise_formats.sh TRAINER DENOISE IMAGE_CHECK WORKDIR
set -uo pipefail
trainer=$1
denoise=$2
image_check=$3
work=$4
rm -rf "$work" && mkdir -p "$work/data" "$work/in" "$work/out" "$work/single"
passed=0
failed=0
fail() {
  failed=$((failed + 1))
  echo "FAIL: $*"
}

# The model: the initial network, 10 epochs on 400 pairs of the tiny data set (smooth colour
# patterns + Gaussian noise of sigma 0.1, make_tiny_data.py), about 15 s on 2 threads. Its
# validation PSNR (noisy -> clean) is about 26 dB, 6 dB above the noisy input's 20 dB.
/usr/bin/python3 "$(dirname "$0")/../make_tiny_data.py" "$work/data" 400 50 || exit 1
"$trainer" --threads 2 --batch-size 10 --epochs 10 --lr 2e-3 --seed 1 --data "$work/data" \
  --out "$work/run" >"$work/train.log" 2>&1 || { echo "FAIL: training: $(cat "$work/train.log")"; exit 1; }
model=$work/run/model.safetensors

# The PSNR bound for the clean picture (a picture of the kind the model was trained on) denoised:
# the model's own validation PSNR, from log.csv's last line. The network maps a noisy input to
# its clean version; a clean input is the easiest case of that (no noise to remove), so what
# comes out should be at least as close to the clean picture as the model's denoised validation
# images are to theirs (measured: 29.4 dB for the picture, against 26.0 dB). A wrong scale
# (16-bit samples not divided by 65535), swapped or shifted channels, misplaced tiles or seams
# cost far more than that margin. And the bound is never below 25 dB, 5 dB above the noisy
# input (20 dB at sigma 0.1): a model that learned nothing cannot pass.
val_psnr=$(tail -1 "$work/run/log.csv" | awk -F, '{print $3}')  # val_psnr_pooled_db
bound=$(awk -v p="$val_psnr" 'BEGIN { b = p; if (b < 25) b = 25; printf "%.2f", b }')
echo "model: validation PSNR $val_psnr dB (log.csv); bound for the clean picture: $bound dB"

"$image_check" make "$work/in" || exit 1
"$denoise" --checkpoint "$model" --threads 2 --out "$work/out" "$work"/in/*.png "$work/in/photo.jpg" \
  >"$work/denoise.log" 2>&1 || fail "ctnn_denoise: $(cat "$work/denoise.log")"
"$image_check" check "$work/in" "$work/out" "$bound" && passed=$((passed + 1)) || fail "image_check"

# JPEG in, PNG out: photo.jpg -> photo_denoised.png, reported as such, and no JPEG written.
grep -qF "$work/in/photo.jpg -> $work/out/photo_denoised.png" "$work/denoise.log" &&
  passed=$((passed + 1)) || fail "no 'photo.jpg -> photo_denoised.png' in: $(cat "$work/denoise.log")"
ls "$work"/out/*.jpg "$work"/out/*.jpeg >/dev/null 2>&1 && fail "a JPEG was written" || passed=$((passed + 1))
# 13 inputs, 13 outputs, no temporary file left.
n=$(ls -A "$work/out" | wc -l)
[ "$n" -eq 13 ] && passed=$((passed + 1)) || fail "$n files in $work/out, expected 13: $(ls -A "$work/out")"

# --output FILE names the output of a single input; the same bytes as through --out.
"$denoise" --checkpoint "$model" --threads 2 --output "$work/single/any name.png" "$work/in/ga16.png" \
  >/dev/null 2>&1 && cmp -s "$work/single/any name.png" "$work/out/ga16_denoised.png" &&
  passed=$((passed + 1)) || fail "--output: not the same file as ga16_denoised.png"

# The model zoo's U-Net and DnCNN, recognised from their checkpoints (one training step on 2
# pairs each: what is checked is the plumbing, not the quality): a .npy batch (each 32x32 image
# in one pass) of the right size, and for the U-Net an image (mirror-padded to its 256x256 tile)
# with the input's format. The tiles' exactness is test_tiling's.
mkdir -p "$work/zoo/data" "$work/zoo/out"
/usr/bin/python3 "$(dirname "$0")/../make_tiny_data.py" "$work/zoo/data" 2 3 || exit 1
npy_bytes=$(stat -c %s "$work/zoo/data/val_input.npy")
for m in unet dncnn; do
  "$trainer" --model "$m" --threads 2 --batch-size 2 --epochs 1 --seed 1 --data "$work/zoo/data" \
    --out "$work/zoo/$m" >"$work/zoo/$m.log" 2>&1 || { fail "training $m: $(tail -3 "$work/zoo/$m.log")"; continue; }
  inputs=("$work/zoo/data/val_input.npy")
  [ "$m" = unet ] && inputs+=("$work/in/rgba16.png")
  if "$denoise" --checkpoint "$work/zoo/$m/model.safetensors" --threads 2 --out "$work/zoo/out" \
    "${inputs[@]}" >"$work/zoo/$m.denoise.log" 2>&1; then
    [ "$(stat -c %s "$work/zoo/out/val_input_denoised.npy")" -eq "$npy_bytes" ] &&
      passed=$((passed + 1)) || fail "$m: val_input_denoised.npy is not the size of val_input.npy"
    rm -f "$work/zoo/out/val_input_denoised.npy"
  else
    fail "ctnn_denoise with the $m checkpoint: $(cat "$work/zoo/$m.denoise.log")"
  fi
done
"$image_check" format "$work/in/rgba16.png" "$work/zoo/out/rgba16_denoised.png" &&
  passed=$((passed + 1)) || fail "unet: rgba16_denoised.png"

# Usage errors: one line, exit code 2, nothing written.
expect2() {  # expect2 REGEX -- command...
  local regex=$1
  shift 2
  local err rc
  err=$("$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne 2 ] || ! [[ "$err" =~ $regex ]] || [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then
    fail "$* -> exit $rc (expected 2), stderr: $err (expected one line /$regex/)"
  else
    passed=$((passed + 1))
  fi
}
rm -rf "$work/single" && mkdir -p "$work/single"
expect2 "^ctnn_denoise: --output: '$work/single/x.jpg': JPEG output is not supported; outputs are PNG .*: name it $work/single/x.png \(see --help\)\$" -- \
  "$denoise" --checkpoint "$model" --output "$work/single/x.jpg" "$work/in/photo.jpg"
expect2 "^ctnn_denoise: --output: '$work/single/x.JPEG': JPEG output is not supported" -- \
  "$denoise" --checkpoint "$model" --output "$work/single/x.JPEG" "$work/in/rgb8.png"
expect2 "^ctnn_denoise: --output: '$work/single/x.tif': the output of an image is a .png file \(see --help\)\$" -- \
  "$denoise" --checkpoint "$model" --output "$work/single/x.tif" "$work/in/rgb8.png"
expect2 "^ctnn_denoise: --output: names the output of a single INPUT, but 2 were given \(see --help\)\$" -- \
  "$denoise" --checkpoint "$model" --output "$work/single/x.png" "$work/in/rgb8.png" "$work/in/ga8.png"
expect2 "^ctnn_denoise: --output: cannot be used with --out" -- \
  "$denoise" --checkpoint "$model" --out "$work/single" --output "$work/single/x.png" "$work/in/rgb8.png"
cp "$work/in/photo_decoded.png" "$work/in/photo.png"
expect2 "^ctnn_denoise: $work/in/photo.png and $work/in/photo.jpg would both be written to $work/single/photo_denoised.png" -- \
  "$denoise" --checkpoint "$model" --out "$work/single" "$work/in/photo.png" "$work/in/photo.jpg"
expect2 "^ctnn_denoise: --threads: expected an integer >= 0, got 'x' \(see --help\)\$" -- \
  "$denoise" --checkpoint "$model" --threads x "$work/in/rgb8.png"
[ -z "$(ls -A "$work/single")" ] && passed=$((passed + 1)) || fail "files written after usage errors: $(ls -A "$work/single")"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
