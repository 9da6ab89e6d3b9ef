#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy's checks, warnings as errors) on every translation unit of a
# configured build: the tests, examples and benchmarks, and through them the headers under
# include/ctnn, examples/ and tests/support. Not part of CI (about a minute per file on 2
# cores); run it before changing many headers.
#   bash tools/ci/run_clang_tidy.sh [build directory, default build] [file regex]
set -euo pipefail
cd "$(dirname "$0")/../.."

build_dir=${1:-build}
files=${2:-'/(tests/(unit|golden|compile_cost)|examples|benchmarks)/'}
if [ ! -f "$build_dir/compile_commands.json" ]; then
  echo "run_clang_tidy: no $build_dir/compile_commands.json; configure first:" \
    "cmake -S . -B $build_dir" >&2
  exit 1
fi
run-clang-tidy -p "$build_dir" -j 2 -quiet "$files"
