#!/usr/bin/env bash
# The main job, from a fresh clone: install the dependencies, build the Noise2Noise example,
# fetch free photos from Debian packages, build the noisy data set (once) and train the
# quick default: the course's final model for one epoch over the 50,000 training pairs (batch
# 8; about 5 minutes of training on 2 free cores), then the validation report. Extra arguments
# go to the trainer after the quick ones, so they override them, e.g.
# `bash tools/run_denoiser.sh --epochs 10` for the course's full recipe, or
# `bash tools/run_denoiser.sh --model initial --epochs 3 --batch-size 50` for the small model.
# (The shorter runs tried, the initial model for 1-3 epochs, stay below a 3x3 median filter on
# this data: docs/results.md.)
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j2 --target ctnn_build_dataset ctnn_noise2noise ctnn_denoise

photos="${CTNN_CACHE:-$HOME/.cache/ctnn}/photos"
data="${CTNN_DATA:-data/photos}"
bash tools/data/fetch_photos.sh
# A data set built before the defaults became the course's (texture-following noise, tiles by
# detail) in the default place is built again: its manifest lacks the new noise's parameters or
# --detail course. (A directory given in CTNN_DATA is the user's: it is used as it is.)
if [ -z "${CTNN_DATA:-}" ] && [ -f "$data/manifest.json" ] && ! { grep -q '"detail": "course"' "$data/manifest.json" &&
  grep -q '"course_noise": {"amplitude"' "$data/manifest.json"; }; then
  echo "run_denoiser: $data was built with the earlier defaults (course-flat noise or" \
    "--detail any); building it again with the current ones"
  rm -f "$data/val_target.npy"
fi
if [ ! -f "$data/val_target.npy" ]; then
  build/examples/noise2noise/ctnn_build_dataset --photos "$photos" --out "$data"
fi
quick=(--model final --epochs 1 --batch-size 8)
build/examples/noise2noise/ctnn_noise2noise --data "$data" --out out "${quick[@]}" "$@"
