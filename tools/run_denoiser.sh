#!/usr/bin/env bash
# The main job, from a fresh clone: install the dependencies, build the Noise2Noise example,
# fetch free photos from Debian packages, build the noisy data set (once) and train the
# default (quick) denoiser, printing the validation report. Extra arguments go to the trainer,
# e.g. `bash tools/run_denoiser.sh --model final --epochs 10 --batch-size 8`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/install_deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j2 --target ctnn_build_dataset ctnn_noise2noise ctnn_denoise

photos="${CTNN_CACHE:-$HOME/.cache/ctnn}/photos"
data="${CTNN_DATA:-data/photos}"
bash tools/fetch_photos.sh
if [ ! -f "$data/val_target.npy" ]; then
  build/examples/noise2noise/ctnn_build_dataset --photos "$photos" --out "$data"
fi
build/examples/noise2noise/ctnn_noise2noise --data "$data" --out out "$@"
