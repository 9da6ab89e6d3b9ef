#!/usr/bin/env bash
# The warning check of CI: builds every target of the project (tests, examples, benchmarks)
# with clang++ and -Werror (ctnn_project_options: -Wall -Wextra -Wpedantic -Wconversion
# -Wshadow), then runs the compile-fail cases under clang++, so that their expected messages
# hold for both compilers. The g++ build of the README's test command covers g++.
#   bash tools/check_warnings.sh [build directory, default build-clang-ci]
# Unoptimised (-O0, no -g): clang's warnings do not depend on optimisation, and nothing built
# here is run except through the compiler.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${1:-build-clang-ci}
cxx=${CTNN_CLANG:-clang++}
if ! command -v "$cxx" >/dev/null; then
  echo "check_warnings: $cxx not found (bash tools/install_deps.sh installs clang)" >&2
  exit 1
fi

start=$(date +%s)
cmake -S . -B "$build_dir" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG=-O0 -DCTNN_WERROR=ON >/dev/null
cmake --build "$build_dir" -j2
ctest --test-dir "$build_dir" --output-on-failure -R "compile_fail" -j2
echo "check_warnings: $($cxx --version | head -1): no warnings, compile-fail cases pass" \
  "($(($(date +%s) - start)) s)"
