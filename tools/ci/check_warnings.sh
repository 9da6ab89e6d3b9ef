#!/usr/bin/env bash
# The warning check of CI: builds the project's targets (tests, examples' unit tests, benchmarks
# for their diagnostics only: see below) with clang++ and -Werror (ctnn_project_options: -Wall -Wextra -Wpedantic -Wconversion
# -Wshadow), then runs the compile-fail cases under clang++, so that their expected messages
# hold for both compilers. The g++ build of the README's test command covers g++.
#   bash tools/ci/check_warnings.sh [build directory, default build-asan]
# The build is also CI's AddressSanitizer + UndefinedBehaviorSanitizer build (-O1
# -fsanitize=address,undefined -fno-sanitize-recover=all, line tables for the reports'
# stacks): clang's warnings do not depend on optimisation or sanitizers, so one clang++ build
# serves both, and tools/ci/check_sanitizers.sh asan (which .ci/run runs) calls this script, then
# runs the test suite in the same directory. No test runs the benchmarks, so they are only
# compiled with -fsyntax-only here (CTNN_BENCHMARKS_CHECK_ONLY: clang's warnings all come from its
# front end): bench_models alone takes 10 s that way instead of 270 s of instrumented -O1 code.
# The Noise2Noise programs (ctnn_noise2noise, ctnn_denoise, ctnn_build_dataset) and their system
# tests are left out of this build (CTNN_BUILD_EXAMPLE_PROGRAMS=OFF): they instantiate every
# model's training and tiling code to run code the unit tests run here
# too; the README's g++ build builds and tests them.
# CTNN_RUN_COMPILE_FAIL=0 builds only: check_sanitizers.sh runs the compile-fail cases itself,
# beside the ASan tests (the cases take one core at a time; the tests use the other).
set -euo pipefail
cd "$(dirname "$0")/../.."

build_dir=${1:-build-asan}
cxx=${CTNN_CLANG:-clang++}
if ! command -v "$cxx" >/dev/null; then
  echo "check_warnings: $cxx not found (bash tools/install_deps.sh installs clang)" >&2
  exit 1
fi

sanitize="-fsanitize=address,undefined"
start=$(date +%s)
cmake -S . -B "$build_dir" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" -DCTNN_WERROR=ON \
  "-DCMAKE_CXX_FLAGS=$sanitize -fno-sanitize-recover=all -fno-omit-frame-pointer" \
  "-DCMAKE_EXE_LINKER_FLAGS=$sanitize" \
  -DCTNN_BUILD_DOCS=OFF -DCTNN_INSTALL=OFF -DCTNN_BUILD_BENCHMARKS=ON \
  -DCTNN_BENCHMARKS_CHECK_ONLY=ON -DCTNN_BUILD_EXAMPLE_PROGRAMS=OFF -DCTNN_MPI=OFF >/dev/null
cmake --build "$build_dir" -j"${CTNN_JOBS:-2}"
built=$(($(date +%s) - start))
if [ "${CTNN_RUN_COMPILE_FAIL:-1}" = 0 ]; then
  echo "check_warnings: $($cxx --version | head -1): no warnings (built in $built s)"
  exit 0
fi
ctest --test-dir "$build_dir" --output-on-failure -R "compile_fail" -j"${CTNN_JOBS:-2}"
echo "check_warnings: $($cxx --version | head -1): no warnings (built in $built s)," \
  "compile-fail cases pass ($(($(date +%s) - start)) s in all)"
