#!/usr/bin/env bash
# One process x 2 threads against 2 MPI ranks x 1 thread, side by side in one run (alternating,
# ROUNDS times, so that a disturbance on a shared machine hits both), for the final model and
# the U-Net (docs/distributed.md). Run it alone: it uses both cores.
# Usage: tools/bench_distributed.sh BUILD_DIR [ROUNDS] [STEPS]
#   BUILD_DIR: configured with -DCTNN_BUILD_BENCHMARKS=ON and built with the target
#   bench_data_parallel (cmake --build BUILD_DIR --target bench_data_parallel).
set -euo pipefail
build=$1
rounds=${2:-3}
steps=${3:-20}
bench=$build/benchmarks/bench_data_parallel
[ -x "$bench" ] || { echo "bench_distributed: no $bench (build the target bench_data_parallel)" >&2; exit 1; }
# Open MPI: allow root (CI machines), and more ranks than cores if asked.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

best() { grep "^best:" | sed 's/^best: //'; }
for model in final unet; do
  one=() two=()
  for r in $(seq 1 "$rounds"); do
    one+=("$("$bench" --model "$model" --threads 2 --steps "$steps" --repeats 3 | best)")
    two+=("$(mpirun -np 2 "$bench" --model "$model" --threads 1 --steps "$steps" --repeats 3 | best)")
  done
  echo "== $model, global batch 8, $rounds rounds (best of 3 repeats of $steps steps each)"
  for r in $(seq 0 $((rounds - 1))); do
    echo "  round $((r + 1)): 1 process x 2 threads: ${one[r]}"
    echo "           2 ranks x 1 thread:    ${two[r]}"
  done
  # The ratio of the best images/s of each.
  printf '%s\n' "${one[@]}" | awk '{print $1}' | sort -g | tail -1 > /tmp/bench_distributed_one
  printf '%s\n' "${two[@]}" | awk '{print $1}' | sort -g | tail -1 > /tmp/bench_distributed_two
  awk -v a="$(cat /tmp/bench_distributed_one)" -v b="$(cat /tmp/bench_distributed_two)" \
    'BEGIN { printf "  best: 1 x 2 %.1f images/s, 2 x 1 %.1f images/s: 2 ranks / 1 process = %.2fx\n", a, b, b / a }'
done
rm -f /tmp/bench_distributed_one /tmp/bench_distributed_two
