#!/usr/bin/env python3
"""ctnn side by side with PyTorch, OpenBLAS sgemm and the FMA peak, in one run on one machine.

Runs the ctnn benchmark programs (bench_models, bench_kernels, bench_peak: build them first
with -DCTNN_BUILD_BENCHMARKS=ON) and the same two models in PyTorch (CPU, torch.set_num_threads
equal to ctnn's thread count), then prints Markdown tables of images/s and GFLOP/s with the
ratios ctnn / PyTorch, ctnn / sgemm and ctnn / FMA peak, and a check of the performance
targets listed in docs/performance.md.

    /usr/bin/python3 benchmarks/compare_pytorch.py --build build [--out table.md]

PyTorch runs in a child process of --torch-python (default /usr/bin/python3, which has torch
1.13 on the course machines). OpenBLAS does not know some recent CPUs and falls back to a
generic SSE3 kernel ("Prescott"); --openblas-coretype (default: SkylakeX when the CPU has
AVX-512, Haswell with AVX2) names the kernel set to use instead.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

MODELS = ("final", "initial")
BATCHES = (8, 32, 128)
THREADS = (1, 2)

# Conv FLOPs (2 per multiply-add) of one forward pass per image; a training step is 3x.
FORWARD_FLOPS = {
    "initial": 2 * (32 * 900 * 27 + 32 * 784 * 288 + 32 * 784 * 288 + 32 * 900 * 27),
    "final": 2 * (100 * 900 * 27 + 100 * 784 * 900 + 100 * 784 * 900 + 200 * 900 * 27),
}

# --------------------------------------------------------------------------- PyTorch side


def torch_worker(spec):
    """Runs in the PyTorch interpreter: measures images/s for each requested config."""
    import resource

    import torch
    from torch import nn

    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)

    class Final(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 100, 3)
            self.body = nn.Sequential(nn.Conv2d(100, 100, 3), nn.ReLU(),
                                      nn.ConvTranspose2d(100, 100, 3), nn.ReLU())
            self.out = nn.ConvTranspose2d(200, 3, 3)

        def forward(self, x):
            x = torch.relu(self.conv(x))
            return torch.sigmoid(self.out(torch.cat([self.body(x), x], 1)))

    def initial():
        return nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(),
                             nn.ConvTranspose2d(32, 32, 3), nn.ReLU(),
                             nn.ConvTranspose2d(32, 3, 3), nn.Sigmoid())

    results = []
    for cfg in spec["configs"]:
        net = Final() if cfg["model"] == "final" else initial()
        n = cfg["batch"]
        x, t = torch.rand(n, 3, 32, 32), torch.rand(n, 3, 32, 32)
        if cfg["mode"] == "train":
            opt = torch.optim.Adam(net.parameters(), lr=1e-3)
            loss_fn = nn.MSELoss()

            def step():
                opt.zero_grad()
                loss = loss_fn(net(x), t)
                loss.backward()
                opt.step()
        else:
            def step():
                with torch.no_grad():
                    net(x)
        for _ in range(2):
            step()
        steps, t0 = 0, time.perf_counter()
        while True:
            step()
            steps += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= spec["min_time"] and steps >= 3:
                break
        results.append(dict(cfg, images_per_s=n * steps / elapsed))
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"results": results, "maxrss_kb": maxrss_kb, "torch": torch.__version__}))


def run_torch(python, threads, configs, min_time):
    spec = {"threads": threads, "configs": configs, "min_time": min_time}
    out = subprocess.run([python, os.path.abspath(__file__), "--torch-worker", json.dumps(spec)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ ctnn side


def run_bench(binary, bench_filter, min_time, env=None):
    """Runs one Google Benchmark program; returns {name: benchmark json} and its peak RSS."""
    cmd = [binary, f"--benchmark_filter={bench_filter}", f"--benchmark_min_time={min_time}",
           "--benchmark_format=json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed with {proc.returncode}")
    data = json.loads(out)
    return {b["name"]: b for b in data["benchmarks"]}, usage.ru_maxrss


def counter(bench, name):
    v = bench[name]
    return float(v)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


# ---------------------------------------------------------------------------------- main


def fmt(v, digits=1):
    return f"{v:.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build", help="CMake build directory with benchmarks/")
    ap.add_argument("--torch-python", default="/usr/bin/python3")
    ap.add_argument("--min-time", type=float, default=2.0, help="seconds per measurement")
    ap.add_argument("--openblas-coretype", default=None)
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds; every figure is the best of them (for a shared machine)")
    ap.add_argument("--out", help="also write the Markdown here")
    ap.add_argument("--skip-torch", action="store_true")
    ap.add_argument("--torch-worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.torch_worker:
        torch_worker(json.loads(args.torch_worker))
        return

    bdir = os.path.join(args.build, "benchmarks")
    binary = {b: os.path.join(bdir, b) for b in ("bench_models", "bench_kernels", "bench_peak")}
    for b in binary.values():
        if not os.path.exists(b):
            raise SystemExit(f"{b} not found: configure with -DCTNN_BUILD_BENCHMARKS=ON and "
                             "build bench_models, bench_kernels and bench_peak")
    flags = cpu_flags()
    coretype = args.openblas_coretype or (
        "SkylakeX" if "avx512f" in flags else "Haswell" if "avx2" in flags else None)
    blas_env = dict(os.environ)
    if coretype:
        blas_env["OPENBLAS_CORETYPE"] = coretype

    load_start = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    mt = args.min_time
    fma, sgemm_sq, sgemm_conv, model_ips, model_gf, kern = {}, {}, {}, {}, {}, {}
    torch_ips, torch_version, torch_rss, rss_kb = {}, "not run", None, None

    def keep_max(table, key, value):
        table[key] = max(table.get(key, 0.0), value)

    # Every figure is the best of --repeat rounds; each round measures all of them, so on a
    # machine whose load changes the two sides get the same chances.
    for rnd in range(args.repeat):
        note = f" (round {rnd + 1} of {args.repeat})"
        print("measuring peaks" + note, file=sys.stderr)
        peak, _ = run_bench(binary["bench_peak"], ".", mt, blas_env)
        for t in THREADS:
            keep_max(fma, t, counter(peak[f"fma_peak/threads:{t}/iterations:1"], "GFLOP/s"))
            keep_max(sgemm_sq, t, counter(
                peak[f"sgemm/m:2048/n:2048/k:2048/threads:{t}/real_time"], "GFLOP/s"))
            keep_max(sgemm_conv, t, counter(
                peak[f"sgemm/m:100/n:25088/k:900/threads:{t}/real_time"], "GFLOP/s"))
        print("measuring ctnn models" + note, file=sys.stderr)
        models, _ = run_bench(binary["bench_models"], ".", mt)
        for name, bench in models.items():
            mode, m, b, t = name.split("/")[:4]
            key = (mode, m, int(b.split(":")[1]), int(t.split(":")[1]))
            keep_max(model_ips, key, counter(bench, "images/s"))
            keep_max(model_gf, key, counter(bench, "GFLOP/s"))
        print("measuring ctnn kernels" + note, file=sys.stderr)
        kernels, _ = run_bench(binary["bench_kernels"], "batch:32/", mt / 2)
        for name, bench in kernels.items():
            parts = name.split("/")
            keep_max(kern, (parts[0], parts[1], int(parts[3].split(":")[1])),
                     counter(bench, "GFLOP/s"))
        if not args.skip_torch:
            configs = [{"model": m, "mode": mode, "batch": b} for mode in ("train", "infer")
                       for m in MODELS for b in BATCHES]
            for t in THREADS:
                print(f"measuring PyTorch, {t} thread(s)" + note, file=sys.stderr)
                res = run_torch(args.torch_python, t, configs, mt)
                torch_version = res["torch"]
                for r in res["results"]:
                    keep_max(torch_ips, (r["mode"], r["model"], r["batch"], t),
                             r["images_per_s"])
    print("measuring peak memory (final model, training, batch 8, 2 threads)", file=sys.stderr)
    _, rss_kb = run_bench(binary["bench_models"], "^train/final/batch:8/threads:2/", 1.0)
    if not args.skip_torch:
        mem = run_torch(args.torch_python, 2, [{"model": "final", "mode": "train", "batch": 8}],
                        1.0)
        torch_rss = mem["maxrss_kb"]
    sgemm = {t: max(sgemm_sq[t], sgemm_conv[t]) for t in THREADS}
    load_end = os.getloadavg()

    lines = []
    w = lines.append
    w(f"Measured {started} by `benchmarks/compare_pytorch.py` on: {cpu_model()}, "
      f"{os.cpu_count()} logical CPUs; PyTorch {torch_version}; OpenBLAS core type "
      f"{coretype or 'auto'}. Load average at start {load_start[0]:.2f}, at end "
      f"{load_end[0]:.2f} (above ~0.1 means other work shared the machine); every figure is "
      f"the best of {args.repeat} round(s), --min-time {mt} s per measurement.")
    w("")
    w("### Peaks")
    w("")
    w("| threads | FMA peak GFLOP/s | sgemm 2048^3 GFLOP/s | sgemm 100x25088x900 GFLOP/s | "
      "sgemm / FMA peak |")
    w("|---|---|---|---|---|")
    for t in THREADS:
        w(f"| {t} | {fmt(fma[t])} | {fmt(sgemm_sq[t])} | {fmt(sgemm_conv[t])} | "
          f"{fmt(sgemm[t] / fma[t], 2)} |")
    w("")
    w("### Models (images/s; GFLOP/s counts conv multiply-adds only)")
    w("")
    w("| model | step | batch | threads | ctnn img/s | PyTorch img/s | ctnn / PyTorch | "
      "ctnn / PyTorch best | ctnn GFLOP/s | / FMA peak | / sgemm |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for mode in ("train", "infer"):
        for m in MODELS:
            for b in BATCHES:
                torch_best = max((torch_ips.get((mode, m, b, t), 0.0) for t in THREADS),
                                 default=0.0)
                for t in THREADS:
                    ips = model_ips[(mode, m, b, t)]
                    gf = model_gf[(mode, m, b, t)]
                    tp = torch_ips.get((mode, m, b, t))
                    summary[(mode, m, b, t)] = (ips, gf, torch_best)
                    w(f"| {m} | {mode} | {b} | {t} | {fmt(ips)} | "
                      f"{fmt(tp) if tp else '-'} | {fmt(ips / tp, 2) + 'x' if tp else '-'} | "
                      f"{fmt(ips / torch_best, 2) + 'x' if torch_best else '-'} | {fmt(gf)} | "
                      f"{fmt(gf / fma[t], 2)} | {fmt(gf / sgemm[t], 2)} |")
    w("")
    w("### Conv kernels, batch 32 (GFLOP/s)")
    w("")
    w("| layer | pass | threads | GFLOP/s | / sgemm | / FMA peak |")
    w("|---|---|---|---|---|---|")
    for (layer, pas, t), gf in kern.items():
        w(f"| {layer} | {pas} | {t} | {fmt(gf)} | {fmt(gf / sgemm[t], 2)} | "
          f"{fmt(gf / fma[t], 2)} |")
    w("")
    w(f"Peak resident memory, training the final model at batch 8 on 2 threads (the whole "
      f"benchmark process): ctnn {rss_kb / 1024:.0f} MB"
      + (f"; PyTorch {torch_rss / 1024:.0f} MB." if torch_rss else "."))
    w("")

    # The performance targets of docs/performance.md ("Targets"), checked on this run.
    w("### Target checks")
    w("")
    w("The targets are those of docs/performance.md.")
    w("")
    w("| target | measured | met |")
    w("|---|---|---|")

    def target(text, value, ok):
        w(f"| {text} | {value} | {'yes' if ok else 'NO'} |")

    for b in (8, 32):
        ips, gf, tb = summary[("train", "final", b, 2)]
        if tb:
            target(f"final model training, batch {b}, 2 threads: >= 3x PyTorch's best thread count",
                   f"{ips / tb:.2f}x", ips / tb >= 3)
        target(f"final model training, batch {b}, 2 threads: >= 45% of FMA peak",
               f"{100 * gf / fma[2]:.0f}%", gf / fma[2] >= 0.45)
    for b in BATCHES:
        ips, gf, _ = summary[("train", "initial", b, 2)]
        tp = max((torch_ips.get(("train", "initial", b, t), 0.0) for t in THREADS), default=0.0)
        if tp:
            target(f"32-channel model training, batch {b}: >= 3x PyTorch (ctnn 2 threads vs "
                   "PyTorch's best)", f"{ips / tp:.2f}x", ips / tp >= 3)
    for pas in ("forward", "backward_data", "backward_weight"):
        gf = kern.get(("Conv2d_100_100", pas, 2))
        if gf:
            target(f"3x3 conv 100->100 {pas}, batch 32, 2 threads: >= 80% of sgemm",
                   f"{100 * gf / sgemm[2]:.0f}%", gf / sgemm[2] >= 0.8)
    for b in (8, 32):
        s1 = summary[("train", "final", b, 1)][0]
        s2 = summary[("train", "final", b, 2)][0]
        target(f"final model training, batch {b}: 1 -> 2 threads >= 1.8x", f"{s2 / s1:.2f}x",
               s2 / s1 >= 1.8)
    target("peak memory training the final model at batch 8: < 200 MB",
           f"{rss_kb / 1024:.0f} MB", rss_kb / 1024 < 200)

    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
