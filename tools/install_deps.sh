#!/usr/bin/env bash
# Installs the Debian 12 packages ctnn builds, tests and benchmarks with. Idempotent: when
# everything is already installed it changes nothing and needs no network.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang clang-format clang-tidy
  libxtensor-dev libxsimd-dev libtbb-dev catch2 libbenchmark-dev libstb-dev nlohmann-json3-dev
  libcli11-dev  # the noise2noise programs' command lines (examples/noise2noise/options.hpp)
  libpng-dev    # ctnn::image writes PNG through libpng (include/ctnn/io/image.hpp)
  libjpeg-dev   # tests/image only: writes the progressive JPEG that io::read_image must read
  libopenblas-dev python3-torch python3-numpy doxygen time
  openmpi-bin libopenmpi-dev  # data-parallel training: ctnn::mpi, its tests (docs/distributed.md)
  procps        # pgrep: example.noise2noise_mpi finds the rank it kills
  chromium fonts-dejavu-core  # headless: example.noise2noise_report_browser renders the report
  libclang-rt-14-dev  # libFuzzer and clang's sanitizer runtimes (tools/ci/run_fuzzers.sh)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install_deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
