#!/usr/bin/env python3
"""Predicted efficiency of data-parallel training on N machines (docs/distributed.md).

Each machine computes the gradient of its shard of the global batch in `--step-ms` (measured:
one training step of the per-machine batch on one machine, e.g. by bench_data_parallel); then a
ring allreduce sends and receives 2 (N - 1) / N x the gradient's bytes per machine, in
2 (N - 1) messages, each costing `--latency-us` besides its bytes. Without overlap, a step takes
compute + allreduce, and the efficiency is compute / (compute + allreduce): the fraction of N
machines' speed that the step keeps (weak scaling: the per-machine batch stays fixed, so the
global batch grows with N).

Usage: scaling_model.py --model NAME --step-ms MS --bytes B [--latency-us US] [--batch B]
       (repeat the four for more models: --model final --step-ms 65 --bytes 753616 ...)
"""

import argparse
import sys


def allreduce_seconds(machines, nbytes, gbit_per_s, latency_s):
    if machines == 1:
        return 0.0
    bandwidth = gbit_per_s * 1e9 / 8  # bytes per second
    return 2 * (machines - 1) / machines * nbytes / bandwidth + 2 * (machines - 1) * latency_s


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", required=True)
    parser.add_argument("--step-ms", action="append", type=float, required=True)
    parser.add_argument("--bytes", action="append", type=int, required=True)
    parser.add_argument("--batch", type=int, default=8, help="per-machine batch (for the header)")
    parser.add_argument("--latency-us", type=float, default=20.0,
                        help="cost of one message besides its bytes (default 20 us: TCP over "
                             "Ethernet; RDMA is a few us)")
    parser.add_argument("--gbits", default="10,25,100")
    parser.add_argument("--machines", default="2,8,32")
    a = parser.parse_args(argv)
    if not (len(a.model) == len(a.step_ms) == len(a.bytes)):
        parser.error("give --model, --step-ms and --bytes once per model")
    gbits = [float(g) for g in a.gbits.split(",")]
    machines = [int(n) for n in a.machines.split(",")]
    print(f"Weak scaling, {a.batch} images per machine per step, ring allreduce, "
          f"{a.latency_us:g} us per message, no overlap of allreduce and compute.")
    header = "| model | network | " + " | ".join(
        f"{n} machines: allreduce ms, efficiency" for n in machines) + " |"
    print(header)
    print("|" + " --- |" * (2 + len(machines)))
    for name, step_ms, nbytes in zip(a.model, a.step_ms, a.bytes):
        for g in gbits:
            cells = []
            for n in machines:
                t = allreduce_seconds(n, nbytes, g, a.latency_us * 1e-6) * 1e3
                cells.append(f"{t:.2f} ms, {100 * step_ms / (step_ms + t):.1f} %")
            print(f"| {name} ({nbytes / 1e6:.2f} MB, step {step_ms:g} ms) | {g:g} Gbit/s | "
                  + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
