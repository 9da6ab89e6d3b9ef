#!/usr/bin/env bash
# The warning check of CI: builds the project's targets (tests, examples' unit tests; the
# benchmarks and the tests this build does not run for their diagnostics only: see below) with
# clang++ and -Werror (ctnn_project_options: -Wall -Wextra -Wpedantic -Wconversion -Wshadow), then runs the compile-fail cases under clang++, so that their expected messages
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
# Two lists of test programs shape this build (tests/CMakeLists.txt defines them; the README's
# build compiles and runs every program at its build type's level):
# - check only (CTNN_TESTS_CHECK_ONLY: -fsyntax-only, not linked, no ctest case): the programs
#   whose tests this build does not run: test_no_alloc (it replaces malloc, which a sanitizer's
#   allocator forbids), the compile-cost probe (it measures the compiler), and roundtrip (the
#   PyTorch round trips: they run in the README's build; under ASan+UBSan the same code, the
#   models' training steps, evaluation mode and the safetensors and .npy files, runs in
#   test_models, test_checkpoint and test_npy). Compiled at -O1 with the
#   sanitizers, these three were a quarter of this build's CPU time (1,005 of 4,368 s, measured
#   2026-12-02 on a loaded machine: test_no_alloc 484 s, roundtrip 488 s). And
#   test_kernels_scalar: it runs test_kernels_conv's cases on one-lane vectors, the same index
#   arithmetic that test_kernels_conv runs here under the sanitizers (162 s of CPU at -O1); the
#   README's build runs it. Then test_tiling_models and test_golden_models (measured 2026-12-02
#   on an AVX-512 machine under a load of 4-8, so compare them with each other: test_tiling,
#   before its model cases moved to test_tiling_models, took 1,664 s of wall time, the largest
#   object of this build by far; test_checkpoint 317, test_golden_models 169, test_bf16 at -O0
#   109, the other 31 objects timed before the run was stopped under 55): test_tiling keeps the tile plan, the padding and the
#   initial model's tiled pass here, so run_tiled's accesses still run under the sanitizers;
#   the other models' layers run here in test_models, test_checkpoint and test_sequential, and
#   the golden values of every layer in test_golden_layers. Both run in the README's build.
# - -O0 (CTNN_TESTS_AT_O0): the programs whose compile time at -O1 far exceeds what their tests
#   lose unoptimised (measured 2026-12-02 under ASan+UBSan, compile at -O1 -> -O0, test at -O1
#   -> -O0): test_golden_layers (13 conv geometries) 320 -> 54 s, test 0.1 -> 0.4 s; test_bf16
#   (14 conv geometries and the final model) 306 -> 29 s, test 22 -> 69 s where the CPU has
#   AVX512_BF16 and 6 s where it has not (only the rounding table and the fp32 fallback run);
#   test_gradients 132 -> 12 s, test 2 -> 19 s; test_bad_input 101 -> 36 s; test_batch_norm
#   85 -> 45 s; test_optimizer 85 -> 27 s; the others 2-4x faster, their tests within 3 s. The
#   sanitizers check the same accesses unoptimised. Left at -O1 because their tests are
#   slow unoptimised: test_models (361 -> 32 s to compile, but its test 4 -> 285 s),
#   test_checkpoint (2 -> 194 s), first_network (1 -> 45 s), test_sequential (11 s -> over
#   7 minutes), and by the same measure test_golden_models, the kernels' tests, test_tiling,
#   test_dataset; test_mse, test_psnr and test_bad_png compile in seconds either way.
check_only=(test_no_alloc compile_cost_final_model roundtrip test_kernels_scalar test_tiling_models
  test_golden_models)
at_o0=(test_golden_layers test_golden_residual test_bad_input test_batch_norm test_gradient_check
  test_gradients test_initialization test_kernels_elementwise test_kernels_pooling
  test_max_pool2d_leaky_relu test_npy test_optimizer test_shard test_image test_max_pool2d
  test_noise test_pair_batches test_train_options test_bf16)
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
  -DCTNN_BENCHMARKS_CHECK_ONLY=ON -DCTNN_BUILD_EXAMPLE_PROGRAMS=OFF -DCTNN_MPI=OFF \
  "-DCTNN_TESTS_CHECK_ONLY=$(IFS=';'; echo "${check_only[*]}")" \
  "-DCTNN_TESTS_AT_O0=$(IFS=';'; echo "${at_o0[*]}")" >/dev/null
cmake --build "$build_dir" -j"${CTNN_JOBS:-2}"
built=$(($(date +%s) - start))
if [ "${CTNN_RUN_COMPILE_FAIL:-1}" = 0 ]; then
  echo "check_warnings: $($cxx --version | head -1): no warnings (built in $built s)"
  exit 0
fi
ctest --test-dir "$build_dir" --output-on-failure -R "compile_fail" -j"${CTNN_JOBS:-2}"
echo "check_warnings: $($cxx --version | head -1): no warnings (built in $built s)," \
  "compile-fail cases pass ($(($(date +%s) - start)) s in all)"
