#!/usr/bin/env bash
# Measures what compiling ctnn code costs: wall time, CPU time and peak compiler memory
# (/usr/bin/time -v, "Maximum resident set size") for
#   headers      a file that only includes <ctnn/ctnn.hpp>
#   final_model  tests/compile_cost/final_model.cpp: includes <ctnn/ctnn.hpp>, defines and
#                trains the course's final model
#   trainer      examples/noise2noise/train.cpp, the example trainer (when it exists)
# with g++ and clang++ at -O2 (and g++ -O2 -march=native, g++ -O0). Each is compiled to an
# object file (-c), best of N runs (default 3) by wall time. Prints a Markdown table; see
# docs/compile-cost.md. Other processes on the machine make the wall times noisy: compare the
# CPU times, and run it on an idle machine for the published numbers.
#   bash tools/ci/measure_compile_cost.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${1:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include <ctnn/ctnn.hpp>\nint main() { return 0; }\n' > "$tmp/headers.cpp"

# The example trainer's include directories: its own folder and stb (Debian's libstb-dev).
trainer_flags=(-Iexamples/noise2noise -I/usr/include/stb)

measure() {  # name compiler flags... -- source
  local name=$1 cxx=$2
  shift 2
  local flags=()
  while [ "$1" != "--" ]; do flags+=("$1"); shift; done
  local src=$2
  local best_wall="" best_cpu="" best_rss=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -v -o "$tmp/time.txt" "$cxx" -std=c++20 -Iinclude "${flags[@]}" -c "$src" \
      -o "$tmp/out.o" 2>"$tmp/err.txt" || { echo "| $name | $cxx ${flags[*]} | failed: $(head -c 300 "$tmp/err.txt") |"; return; }
    local wall cpu rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$tmp/time.txt")
    cpu=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {print u + s}' "$tmp/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time.txt")
    if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN {exit !(a < b)}'; then
      best_wall=$wall best_cpu=$cpu best_rss=$rss
    fi
  done
  printf '| %s | `%s %s` | %.1f s | %.1f s | %d MB |\n' "$name" "$(basename "$cxx")" \
    "${flags[*]}" "$best_wall" "$best_cpu" "$((best_rss / 1024))"
}

echo "Compile cost, best of $runs runs; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$(g++ --version | head -1); $(clang++ --version | head -1)"
echo
echo "| file | compiler and flags | wall | CPU (user + sys) | peak memory |"
echo "| --- | --- | --- | --- | --- |"
measure headers g++ -O2 -- "$tmp/headers.cpp"
measure final_model g++ -O2 -- tests/compile_cost/final_model.cpp
measure final_model g++ -O2 -march=native -- tests/compile_cost/final_model.cpp
measure final_model g++ -O0 -- tests/compile_cost/final_model.cpp
measure headers clang++ -O2 -- "$tmp/headers.cpp"
measure final_model clang++ -O2 -- tests/compile_cost/final_model.cpp
if [ -f examples/noise2noise/train.cpp ]; then
  measure trainer g++ -O2 "${trainer_flags[@]}" -- examples/noise2noise/train.cpp
  measure trainer g++ -O2 -march=native "${trainer_flags[@]}" -- examples/noise2noise/train.cpp
  measure trainer clang++ -O2 "${trainer_flags[@]}" -- examples/noise2noise/train.cpp
else
  echo "| trainer | - | examples/noise2noise/train.cpp does not exist yet | | |"
fi
