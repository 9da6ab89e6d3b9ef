#!/usr/bin/env bash
# The sanitizer runs of CI (.ci/run runs `all`); any report fails.
#   bash tools/ci/check_sanitizers.sh [asan|tsan|all]     (default: all)
#
# asan  build-asan: tools/ci/check_warnings.sh builds the project's targets there (tests, the
#       examples' unit tests; the benchmarks with -fsyntax-only, for their warnings; not the
#       Noise2Noise programs: check_warnings.sh says why) with clang++ -O1
#       -fsanitize=address,undefined -fno-sanitize-recover=all and -Werror: this one build is
#       CI's warning check and its ASan+UBSan build. Then the ctest suite runs in it, the
#       compile-fail cases (under clang++) among the tests: a UBSan finding aborts the program,
#       LeakSanitizer runs at exit. Left out
#       (they run in the README's g++ build only): the compile-cost probe (it measures the
#       compiler), packaging (it installs and rebuilds a consumer without sanitizers), the lint
#       and docs checks (no program of ours runs), test_no_alloc, which replaces malloc with
#       glibc's own and so cannot run under a sanitizer's allocator (the probe and test_no_alloc
#       are compiled there with -fsyntax-only, for clang's warnings), and the PyTorch round trips
#       (roundtrip.pytorch_*, compiled the same way: check_warnings.sh says which tests cover their
#       code under the sanitizers; the light tests' programs compile at -O0 there, the same
#       script says which and why). The MPI tests are not built
#       there (-DCTNN_MPI=OFF): under ASan they take minutes each, and LeakSanitizer reports
#       Open MPI's own allocations at exit; they run in the README's g++ build.
# tsan  build-tsan: the tests of the parallel kernels (test_kernels_* but the scalar fallback's:
#       every kernel, forward and backward, on one and several threads, against the reference
#       loops), built with g++ -O1 -fsanitize=thread and run on this machine's threads.
#       Debian's libtbb is not instrumented, and TSan cannot see its scheduler's
#       synchronisation, so under TSan kernels::parallel_items runs the same items on std::threads that take them from a
#       shared counter (kernels/parallel.hpp says why that checks what matters: that no two
#       items touch the same memory); no suppressions. (test_sequential also runs clean under
#       TSan, but takes minutes there; the kernels are where the threads are.) The same build
#       runs the benchmarks' sources through g++ -fsyntax-only (they are opt-in, so the
#       README's build does not compile them). Last, the stage proves it sees races:
#       tests/sanitizer/racy_items.cpp, whose two parallel items write one variable at the same
#       time, must be reported (exit code 86 and a data race report; sanitizer.tsan_racy_items,
#       built only with -DCTNN_TSAN_SELF_TEST=ON), or the stage fails.
#
# Sanitizer reports exit with code 86 (not 1), so that the system tests, which expect the
# programs to exit 1 on bad input, cannot mistake a report for the expected error.
# Compilers: CTNN_CLANG (default clang++) for asan, CTNN_GCC (default g++) for tsan; CTNN_JOBS
# (default 2) parallel jobs.
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:-all}
jobs=${CTNN_JOBS:-2}

run_asan() {
  local dir=build-asan start
  start=$(date +%s)
  CTNN_RUN_COMPILE_FAIL=0 bash tools/ci/check_warnings.sh "$dir"
  # The compile-fail cases (clang++'s messages) run in the same ctest as the ASan tests: they
  # build one at a time (they share the build tree), so the tests take the other core meanwhile.
  ASAN_OPTIONS="detect_leaks=1:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=86" \
    ctest --test-dir "$dir" --output-on-failure -j"$jobs" \
    -E "compile_cost|packaging|lint\.|docs\.|test_no_alloc"
  echo "check_sanitizers: ASan+UBSan: every test clean and the compile-fail cases pass under" \
    "clang++, $(($(date +%s) - start)) s in all (with the build)"
}

run_tsan() {
  local dir=build-tsan start built targets regex cxx=${CTNN_GCC:-g++}
  start=$(date +%s)
  cmake -S . -B "$dir" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" -DCTNN_BUILD_EXAMPLES=OFF \
    -DCTNN_BUILD_BENCHMARKS=ON -DCTNN_BENCHMARKS_CHECK_ONLY=ON -DCTNN_BUILD_DOCS=OFF \
    -DCTNN_INSTALL=OFF -DCTNN_TSAN_SELF_TEST=ON \
    "-DCMAKE_CXX_FLAGS=-fsanitize=thread -fno-omit-frame-pointer" \
    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread" >/dev/null
  # test_kernels_scalar is left out: it runs test_kernels_conv's items on one-lane vectors, with
  # the same parallel structure that test_kernels_conv already checks.
  mapfile -t targets < <(cd tests/unit && ls test_kernels_*.cpp | sed 's/\.cpp$//' |
    grep -v '^test_kernels_scalar$')
  # With them, the benchmarks' sources through g++ -fsyntax-only (the README's build does not
  # build the benchmarks; this keeps g++ compiling them in CI, for seconds).
  cmake --build "$dir" -j"$jobs" --target "${targets[@]}" bench_kernels bench_models bench_image \
    bench_peak racy_items
  built=$(($(date +%s) - start))
  regex="^unit\.($(IFS='|'; echo "${targets[*]}"))\$"
  TSAN_OPTIONS="halt_on_error=1:exitcode=86:second_deadlock_stack=1" \
    ctest --test-dir "$dir" --output-on-failure -j1 -R "$regex"
  # The race that must be reported: sanitizer.tsan_racy_items passes only on TSan's report.
  ctest --test-dir "$dir" --output-on-failure --no-tests=error -R '^sanitizer\.tsan_racy_items$'
  echo "check_sanitizers: TSan reported the deliberate race of tests/sanitizer/racy_items.cpp" \
    "(exit code 86, \"WARNING: ThreadSanitizer: data race\"), as it must"
  echo "check_sanitizers: TSan (${targets[*]}): built in ${built} s, every test clean," \
    "$(($(date +%s) - start)) s in all"
}

case $what in
  asan) run_asan ;;
  tsan) run_tsan ;;
  all) run_asan && run_tsan ;;
  *)
    echo "usage: $0 [asan|tsan|all]" >&2
    exit 2
    ;;
esac
