#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz/ (clang++ -fsanitize=fuzzer,address,undefined)
# and runs each for a bounded time from its seed corpus, then prints what each did.
#   bash tools/ci/run_fuzzers.sh [seconds per harness, default 60] [harness...]
#   (harnesses: npy safetensors png image; default all four)
# The harnesses are CMake targets (tests/fuzz/CMakeLists.txt, CTNN_BUILD_FUZZERS=ON), built in
# build-fuzz/ and linked like any user's program: ctnn::ctnn, or ctnn::image for png and image.
#
# Seeds: tests/fuzz/corpus/<harness>/ (valid files, from tools/fixtures/make_bad_corpus.py) and the
# matching files of tests/data/bad/ (image: also png's seeds and bad files). New inputs that reach new code go to
# build-fuzz/corpus/<harness>/ (kept between runs, not committed); a crash, a sanitizer report,
# a leak, a timeout (10 s per input) or running out of memory (2 GB) writes the input to
# build-fuzz/artifacts/<harness>/ and fails this script. Reproduce one with
#   build-fuzz/fuzz_<harness> build-fuzz/artifacts/<harness>/crash-...
# then fix it, and add the input to tests/data/bad/ (via tools/fixtures/make_bad_corpus.py) with a test.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-60}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(npy safetensors png image)
cxx=${CTNN_CLANG:-clang++}
out=build-fuzz
mkdir -p "$out"

declare -A bad_glob=([npy]="npy_*.npy" [safetensors]="st_*.safetensors" [png]="png_*.png"
                     [image]="png_*.png")
declare -A more_seeds=([image]="png")  # another harness's seeds, also valid input here

# One build directory, configured once: the library's targets and the harnesses only.
cmake -S . -B "$out" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Debug \
  -DCTNN_BUILD_FUZZERS=ON -DCTNN_BUILD_TESTS=OFF -DCTNN_BUILD_EXAMPLES=OFF \
  -DCTNN_BUILD_BENCHMARKS=OFF -DCTNN_BUILD_DOCS=OFF -DCTNN_INSTALL=OFF >"$out/cmake.log" 2>&1 ||
  { cat "$out/cmake.log" >&2; exit 1; }

status=0
summary=()
for h in "${harnesses[@]}"; do
  [ -n "${bad_glob[$h]:-}" ] || { echo "run_fuzzers: unknown harness '$h'" >&2; exit 2; }
  bin=$out/fuzz_$h
  start=$(date +%s)
  cmake --build "$out" --target "fuzz_$h" >"$out/build_$h.log" 2>&1 ||
    { cat "$out/build_$h.log" >&2; exit 1; }
  build_s=$(($(date +%s) - start))
  corpus=$out/corpus/$h
  artifacts=$out/artifacts/$h
  mkdir -p "$corpus" "$artifacts"
  cp -n tests/fuzz/corpus/"$h"/* "$corpus"/
  [ -z "${more_seeds[$h]:-}" ] || cp -n tests/fuzz/corpus/"${more_seeds[$h]}"/* "$corpus"/
  # shellcheck disable=SC2086
  cp -n tests/data/bad/${bad_glob[$h]} "$corpus"/
  log=$out/fuzz_$h.log
  rc=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 || true)
  files=$(find "$corpus" -type f | wc -l)
  if [ "$rc" -eq 0 ]; then
    finding="no finding"
  else
    status=1
    finding="FINDING (exit $rc): $(grep -m1 -E 'ERROR: |runtime error|==ERROR|deadly signal|Test unit written' "$log" || echo 'see log'); artifacts in $artifacts, log $log"
  fi
  summary+=("fuzz_$h: built in ${build_s} s, ran ${seconds} s: ${execs:-?} executions (${rate:-?}/s), ${cov:-cov: ?} edges, corpus $files files: $finding")
done
printf '%s\n' "${summary[@]}"
exit $status
