#!/usr/bin/env bash
# The sanitizer runs of CI: any report fails.
#   bash tools/check_sanitizers.sh [asan|tsan|all]     (default: all)
#
# asan  build-asan: every test program, example and tool built with g++ and
#       -fsanitize=address,undefined -fno-sanitize-recover=all (a UBSan finding aborts too;
#       LeakSanitizer runs at exit), then the ctest suite run there. Left out: the compile-fail
#       cases and the compile-cost probe (they only compile), packaging (it rebuilds a consumer
#       without sanitizers), the lint and docs checks (no program of ours runs), and
#       test_no_alloc, which replaces malloc with glibc's own and so cannot run under a
#       sanitizer's allocator (it runs in the normal suite).
# tsan  build-tsan: the tests of the parallel kernels (test_kernels_*: every kernel, forward and
#       backward, on one and several threads, against the reference loops), built with
#       -fsanitize=thread and run on this machine's threads. Debian's libtbb is not
#       instrumented: kernels/parallel.hpp states the happens-before edges of each parallel
#       loop, and tools/tsan.supp silences reports on TBB's own task objects only (why: in the
#       file); a race in ctnn's code is reported. (test_sequential also runs clean under TSan,
#       but takes 2-3 minutes there; the kernels are where the threads are.)
#
# Sanitizer reports exit with code 86 (not 1), so that the system tests, which expect the
# programs to exit 1 on bad input, cannot mistake a report for the expected error.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
jobs=${CTNN_JOBS:-2}
root=$(pwd)
common=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g"
        -DCTNN_BUILD_BENCHMARKS=OFF -DCTNN_BUILD_DOCS=OFF -DCTNN_INSTALL=OFF)

run_asan() {
  local dir=build-asan start built
  start=$(date +%s)
  cmake -S . -B "$dir" "${common[@]}" \
    "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined" >/dev/null
  cmake --build "$dir" -j"$jobs"
  built=$(($(date +%s) - start))
  ASAN_OPTIONS="detect_leaks=1:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=86" \
    ctest --test-dir "$dir" --output-on-failure -j"$jobs" \
    -E "compile_fail|compile_cost|packaging|lint\.|docs\.|test_no_alloc"
  echo "check_sanitizers: ASan+UBSan: built in ${built} s, every test clean," \
    "$(($(date +%s) - start)) s in all"
}

run_tsan() {
  local dir=build-tsan start built targets regex
  start=$(date +%s)
  cmake -S . -B "$dir" "${common[@]}" -DCTNN_BUILD_EXAMPLES=OFF \
    "-DCMAKE_CXX_FLAGS=-fsanitize=thread -fno-omit-frame-pointer" \
    "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread" >/dev/null
  mapfile -t targets < <(cd tests/unit && ls test_kernels_*.cpp | sed 's/\.cpp$//')
  cmake --build "$dir" -j"$jobs" --target "${targets[@]}"
  built=$(($(date +%s) - start))
  regex="^unit\.($(IFS='|'; echo "${targets[*]}"))\$"
  TSAN_OPTIONS="halt_on_error=1:exitcode=86:second_deadlock_stack=1:suppressions=$root/tools/tsan.supp" \
    ctest --test-dir "$dir" --output-on-failure -j1 -R "$regex"
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
