#!/usr/bin/env bash
# Bad input to the trainer and the denoise tool: each case must end with exit code 1 and a
# one-line message "<program>: error: <file>: <what is wrong>", and leave no output file
# behind. Then a diverging run (a huge learning rate) must stop with a clear message and leave
# the previous run's model.safetensors byte for byte intact.
# Usage: bad_input_cli.sh TRAINER DENOISE WORKDIR BAD_CORPUS_DIR
# Tests run as root, who may write anywhere: the unwritable output is a path under a regular
# file, which nobody can create.
set -uo pipefail
trainer=$1
denoise=$2
work=$3
bad=$4
rm -rf "$work" && mkdir -p "$work/data" "$work/out"
/usr/bin/python3 "$(dirname "$0")/make_tiny_data.py" "$work/data" 60 10 || exit 1
touch "$work/plain_file"
passed=0
failed=0
fail() {
  failed=$((failed + 1))
  echo "FAIL: $*"
}
# expect CODE REGEX -- command...: the exit code, the message (a regex), and one line of stderr.
expect() {
  local code=$1 regex=$2
  shift 3
  local err rc
  err=$("$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne "$code" ] || ! [[ "$err" =~ $regex ]]; then
    fail "$* -> exit $rc (expected $code), stderr: $err (expected /$regex/)"
  elif [ "$code" -ne 0 ] && [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then
    fail "$* -> more than one line on stderr: $err"
  else
    passed=$((passed + 1))
  fi
}
# no_files DIR: DIR is empty (nothing written, no temporary left behind).
no_files() {
  if [ -n "$(ls -A "$1" 2>/dev/null)" ]; then
    fail "files left in $1: $(ls -A "$1" | tr '\n' ' ')"
  else
    passed=$((passed + 1))
  fi
}
E="ctnn_noise2noise: error:"
D="ctnn_denoise: error:"
T=(--threads 2 --batch-size 10 --epochs 1 --seed 1)

# ---- the trainer: one bad data file at a time ------------------------------------------------
train_with() {  # train_with FILE_ROLE REPLACEMENT REGEX
  local d="$work/data_$1_$(basename "$2")"
  rm -rf "$d" "$work/o" && mkdir -p "$d" && cp "$work"/data/*.npy "$d/"
  rm -rf "${d:?}/$1.npy"
  if [ "$2" = "missing" ]; then :
  elif [ "$2" = "directory" ]; then mkdir "$d/$1.npy"
  else cp "$2" "$d/$1.npy"; fi
  expect 1 "^$E $d/$1.npy: $3" -- "$trainer" "${T[@]}" --data "$d" --out "$work/o"
  [ -e "$work/o" ] && fail "the trainer created $work/o after an error" || passed=$((passed + 1))
}
train_with train_input "$bad/npy_wrong_magic.npy" "not a .npy file \(wrong magic bytes\)"
train_with train_target "$bad/npy_wrong_version.npy" "unsupported .npy format version 9.0"
train_with val_input "$bad/npy_dtype_int16.npy" "unsupported dtype '<i2'"
train_with val_target "$bad/npy_fortran_order.npy" "Fortran-order arrays are not supported"
train_with train_input "$bad/npy_dtype_float32_images.npy" \
  "expected uint8 N x 3 x 32 x 32 images, found dtype '<f4'"
train_with train_input "$bad/npy_rank3.npy" "expected .* found a rank-3 array of shape \(3, 32, 32\)"
train_with train_input "$bad/npy_shape_64x64.npy" "expected .* found shape \(2, 3, 64, 64\)"
train_with train_input "$bad/npy_truncated.npy" "truncated: the header promises 6144 bytes.*"
train_with train_target "$bad/npy_header_len_past_end.npy" "header length 60000 runs past the end.*"
train_with train_input "$bad/npy_header_len_short.npy" "malformed .npy header.*"
train_with val_input "$bad/npy_shape_overflow.npy" "shape \(4294967296, .*\) is impossibly large.*"
train_with val_input "$bad/npy_empty.npy" "not a .npy file \(wrong magic bytes\)"
train_with val_target missing "no such file"
train_with train_input directory "is a directory, expected a .npy file"
# Data and outputs that are not where they should be.
expect 1 "^$E $work/plain_file: data directory does not exist" -- \
  "$trainer" "${T[@]}" --data "$work/plain_file" --out "$work/o"
expect 1 "^$E $work/plain_file/out: cannot create the output directory: Not a directory\$" -- \
  "$trainer" "${T[@]}" --data "$work/data" --out "$work/plain_file/out"
expect 1 "^$E $work/plain_file: cannot create the output directory" -- \
  "$trainer" "${T[@]}" --data "$work/data" --out "$work/plain_file"

# ---- a good run, then a diverging one into the same directory ---------------------------------
"$trainer" "${T[@]}" --data "$work/data" --out "$work/run" >"$work/good.log" 2>&1 ||
  { fail "the good run failed: $(cat "$work/good.log")"; }
cp "$work/run/model.safetensors" "$work/model.good"
cp "$work/run/train_state.safetensors" "$work/state.good"
cp "$work/run/log.csv" "$work/log.good"
expect 1 "^$E training diverged: the loss is (nan|inf|-nan) at epoch 1, batch [0-9]+ \(try a lower --lr\); the last good checkpoint in $work/run is kept\$" -- \
  "$trainer" "${T[@]}" --data "$work/data" --out "$work/run" --lr 1e30
for f in model:model.safetensors state:train_state.safetensors log:log.csv; do
  cmp -s "$work/${f%%:*}.good" "$work/run/${f#*:}" && passed=$((passed + 1)) ||
    fail "${f#*:} changed by the diverging run"
done
ls "$work/run"/*.tmp.* >/dev/null 2>&1 && fail "temporary files left in $work/run" ||
  passed=$((passed + 1))
good=$work/run/model.safetensors
# The kept checkpoint still works.
cp "$bad/png_valid_rgb_40x36.png" "$work/photo.png"
expect 0 "" -- "$denoise" --checkpoint "$good" --out "$work/out" "$work/photo.png"
[ -f "$work/out/photo_denoised.png" ] && passed=$((passed + 1)) || fail "no photo_denoised.png"
rm -f "$work/out/photo_denoised.png"
# What the tool refused before it read every kind of image (16 bits, gray, gray + alpha, RGBA)
# is denoised now (example.noise2noise_denoise_formats checks the outputs).
for name in png_16bit png_grayscale png_gray_alpha png_rgba; do
  expect 0 "" -- "$denoise" --checkpoint "$good" --out "$work/out" "$bad/$name.png"
  [ -f "$work/out/${name}_denoised.png" ] && passed=$((passed + 1)) || fail "no ${name}_denoised.png"
  rm -f "$work/out/${name}_denoised.png"
done

# ---- the denoise tool: bad checkpoints --------------------------------------------------------
for c in st_invalid_json:"invalid JSON header" \
  st_header_len_past_end:"not a safetensors file\? header length 4096 runs past the end" \
  st_offsets_overlap:"tensor 'b': data offsets \[4, 12\) overlap another tensor" \
  st_unknown_dtype:"tensor 'a': unknown dtype 'F24'" \
  st_too_short:"not a safetensors file: 3 bytes, too short for the 8-byte header length" \
  st_valid_tiny_weights:"no ctnn_network in its metadata"; do
  expect 1 "^$D $bad/${c%%:*}.safetensors: ${c#*:}" -- \
    "$denoise" --checkpoint "$bad/${c%%:*}.safetensors" --out "$work/out" "$work/photo.png"
done
# Checkpoints of the trained network with one defect each, made from the good one.
/usr/bin/python3 - "$good" "$work" <<'EOF'
import json, struct, sys
import numpy as np
src, work = sys.argv[1], sys.argv[2]
raw = open(src, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
meta = header.pop("__metadata__")
tensors = {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], np.float32)
           .reshape(v["shape"]).copy() for k, v in header.items()}
def save(name, ts):
    h, blobs, off = {"__metadata__": meta}, [], 0
    for k, a in ts.items():
        b = np.ascontiguousarray(a, np.float32).tobytes()
        h[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    text = json.dumps(h).encode()
    open(f"{work}/{name}.safetensors", "wb").write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
fresh = lambda: {k: v.copy() for k, v in tensors.items()}
t = fresh(); t["0.bias"][5] = np.nan; save("nan", t)
t = fresh(); t["6.weight"].flat[3] = -np.inf; save("inf", t)
t = fresh(); del t["4.bias"]; save("missing", t)
t = fresh(); t["8.weight"] = np.zeros((3, 3, 3, 3), np.float32); save("extra", t)
t = fresh(); t["2.weight"] = np.zeros((32, 32, 5, 5), np.float32); save("shape", t)
EOF
expect 1 "^$D $work/nan.safetensors: tensor '0.bias' holds NaN at flat index 5 of shape \[32\]" -- \
  "$denoise" --checkpoint "$work/nan.safetensors" --out "$work/out" "$work/photo.png"
expect 1 "^$D $work/inf.safetensors: tensor '6.weight' holds an infinite value at flat index 3" -- \
  "$denoise" --checkpoint "$work/inf.safetensors" --out "$work/out" "$work/photo.png"
expect 1 "^$D $work/missing.safetensors: missing tensor '4.bias' \(expected shape \[32\]\)" -- \
  "$denoise" --checkpoint "$work/missing.safetensors" --out "$work/out" "$work/photo.png"
expect 1 "^$D $work/extra.safetensors: unexpected tensor '8.weight' \[3, 3, 3, 3\]" -- \
  "$denoise" --checkpoint "$work/extra.safetensors" --out "$work/out" "$work/photo.png"
expect 1 "^$D $work/shape.safetensors: tensor '2.weight': expected shape \[32, 32, 3, 3\], found \[32, 32, 5, 5\]" -- \
  "$denoise" --checkpoint "$work/shape.safetensors" --out "$work/out" "$work/photo.png"
expect 1 "^$D $work/run/train_state.safetensors: unexpected tensor 'optimizer\..*': this is a training checkpoint" -- \
  "$denoise" --checkpoint "$work/run/train_state.safetensors" --out "$work/out" "$work/photo.png"
expect 1 "^$D $work/none.safetensors: no such file\$" -- \
  "$denoise" --checkpoint "$work/none.safetensors" --out "$work/out" "$work/photo.png"
expect 1 "^$D $work/out: is a directory, expected a safetensors file\$" -- \
  "$denoise" --checkpoint "$work/out" --out "$work/out" "$work/photo.png"
no_files "$work/out"

# ---- the denoise tool: bad images and outputs -------------------------------------------------
for c in png_not_a_png:"not a PNG or JPEG file \(wrong signature\)" \
  png_empty:"not a PNG or JPEG file \(wrong signature\)" \
  png_truncated:"cannot decode PNG \(truncated or corrupt\).*" \
  png_corrupt_idat:"cannot decode PNG \(truncated or corrupt\).*" \
  png_huge_dimensions:"PNG header claims 60000x60000 pixels: more than the 67108864 read_image accepts \(corrupt\?\)" \
  png_too_small_16x16:"image is 16x16, the network needs at least 32x32" \
  npy_truncated:"truncated: the header promises 6144 bytes.*" \
  npy_shape_64x64:"expected uint8 N x 3 x 32 x 32 images, found shape \(2, 3, 64, 64\)"; do
  name=${c%%:*}
  ext=png
  [[ $name == npy_* ]] && ext=npy
  expect 1 "^$D $bad/$name.$ext: ${c#*:}\$" -- \
    "$denoise" --checkpoint "$good" --out "$work/out" "$bad/$name.$ext"
done
expect 1 "^$D $work/nothing.png: no such file\$" -- \
  "$denoise" --checkpoint "$good" --out "$work/out" "$work/nothing.png"
# A JPEG cut after its first segment (SOI, then a JFIF APP0 of 16 bytes).
printf '\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00' >"$work/cut.jpg"
expect 1 "^$D $work/cut.jpg: cannot decode JPEG \(truncated or corrupt\): the file ends at byte 20 without an EOI marker\$" -- \
  "$denoise" --checkpoint "$good" --out "$work/out" "$work/cut.jpg"
mkdir -p "$work/folder.png"
expect 1 "^$D $work/folder.png: is a directory, expected a PNG or JPEG file\$" -- \
  "$denoise" --checkpoint "$good" --out "$work/out" "$work/folder.png"
expect 1 "^$D $work/plain_file: unsupported input: expected a .png, .jpg, .jpeg or .npy file\$" -- \
  "$denoise" --checkpoint "$good" --out "$work/out" "$work/plain_file"
no_files "$work/out"
expect 1 "^$D $work/plain_file/out: --out: output directory does not exist\$" -- \
  "$denoise" --checkpoint "$good" --out "$work/plain_file/out" "$work/photo.png"
expect 1 "^$D $work/plain_file: --out: not a directory\$" -- \
  "$denoise" --checkpoint "$good" --out "$work/plain_file" "$work/photo.png"
# An output name that is taken by a directory: refused, and nothing else written.
mkdir -p "$work/out/photo_denoised.png"
expect 1 "^$D $work/out/photo_denoised.png: cannot write: it is a directory\$" -- \
  "$denoise" --checkpoint "$good" --out "$work/out" "$work/photo.png"
rmdir "$work/out/photo_denoised.png"
no_files "$work/out"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
