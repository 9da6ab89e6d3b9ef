#!/usr/bin/env python3
"""ctnn side by side with PyTorch, OpenBLAS sgemm and the FMA peak, in one run on one machine.

Runs the ctnn benchmark programs (bench_models, bench_image, bench_kernels, bench_peak: build
them first with -DCTNN_BUILD_BENCHMARKS=ON) and the same models in PyTorch (CPU,
torch.set_num_threads equal to ctnn's thread count; the course models and the model zoo's U-Net
and DnCNN from tools/pytorch/train_reference.py's make_model), then prints Markdown tables of
images/s and GFLOP/s with the ratios ctnn / PyTorch, ctnn / sgemm and ctnn / FMA peak, the
per-layer breakdown of the U-Net's and DnCNN's training step, one 1920 x 1080 image through
each of them, and a check of the performance targets listed in docs/performance.md. The models
and the image also run with direct convolution only (`--conv=direct`), in the same rounds, for
the Winograd / direct column.

    /usr/bin/python3 benchmarks/compare_pytorch.py --build build [--out table.md]

For a quick check that everything runs (not for figures): --min-time 0.05 --image-threads 2.

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

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
THREADS = (1, 2)
# Every model bench_models runs: key -> (train_reference.make_model name, H, W, batches).
MODELS = {
    "final": ("final", 32, 32, (8, 32, 128)),
    "initial": ("initial", 32, 32, (8, 32, 128)),
    "unet32": ("unet", 32, 32, (8,)),
    "unet128": ("unet", 128, 128, (4,)),
    "dncnn32": ("dncnn", 32, 32, (8,)),
}
ZOO = ("unet32", "unet128", "dncnn32")
# bench_image: model -> (the ctnn benchmark, the PyTorch input's H x W, what ctnn runs).
IMAGE = {
    "unet": ("unet", (1088, 1920), "whole image, padded to 1088 x 1920"),
    "dncnn": ("dncnn_tiles", (1080, 1920),
              "4 overlapping 557 x 977 tiles (whole image does not fit in memory)"),
}
# The parts of bench_models' breakdown/ counters, and the group the targets bound.
PARTS = ("conv", "pool", "batch_norm", "upsample", "concat", "activation", "residual", "loss",
         "optimizer", "other")
SMALL_OPS = "pool+bn+up+concat"

# --------------------------------------------------------------------------- PyTorch side


def conv_flops(torch, net, h, w):
    """Conv FLOPs (2 per multiply-add) of one forward pass of one h x w sample, counted by hooks
    as bench_models counts them: 2 * Cout * Ho * Wo * Cin * K * K per (transposed) conv."""
    from torch import nn

    total = [0]

    def hook(m, _inp, out):
        total[0] += 2 * out.numel() * m.in_channels * m.kernel_size[0] * m.kernel_size[1]

    handles = [m.register_forward_hook(hook) for m in net.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
    with torch.no_grad():
        net(torch.zeros(1, 3, h, w))
    for handle in handles:
        handle.remove()
    return total[0]


def torch_worker(spec):
    """Runs in the PyTorch interpreter: measures images/s for each requested config."""
    import resource

    import torch
    from torch import nn

    sys.path.insert(0, os.path.join(REPO, "tools", "pytorch"))
    from train_reference import make_model

    torch.set_num_threads(spec["threads"])
    torch.manual_seed(0)

    results = []
    for cfg in spec["configs"]:
        if cfg["mode"] == "image":
            name, (h, w) = cfg["model"], IMAGE[cfg["model"]][1]
        else:
            name, h, w, _ = MODELS[cfg["model"]]
        net = make_model(name)
        n = cfg["batch"]
        x, t = torch.rand(n, 3, h, w), torch.rand(n, 3, h, w)
        if cfg["mode"] == "train":
            net.train()
            opt = torch.optim.Adam(net.parameters(), lr=1e-3)
            loss_fn = nn.MSELoss()

            def step():
                opt.zero_grad()
                loss = loss_fn(net(x), t)
                loss.backward()
                opt.step()
        else:
            net.eval()  # BatchNorm2d with its running statistics, as ctnn's inference

            def step():
                with torch.no_grad():
                    net(x)
        warmup, min_steps = (1, 1) if cfg["mode"] == "image" else (2, 3)
        for _ in range(warmup):
            step()
        steps, t0 = 0, time.perf_counter()
        while True:
            step()
            steps += 1
            elapsed = time.perf_counter() - t0
            if elapsed >= spec["min_time"] and steps >= min_steps:
                break
        flops = conv_flops(torch, net, 32, 32) * (h * w) / (32 * 32) if name in ("unet", "dncnn") \
            else None
        results.append(dict(cfg, images_per_s=n * steps / elapsed, flops_per_image=flops))
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"results": results, "maxrss_kb": maxrss_kb, "torch": torch.__version__}))


def run_torch(python, threads, configs, min_time):
    spec = {"threads": threads, "configs": configs, "min_time": min_time}
    out = subprocess.run([python, os.path.abspath(__file__), "--torch-worker", json.dumps(spec)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ ctnn side


def run_bench(binary, bench_filter, min_time, env=None, extra=()):
    """Runs one Google Benchmark program; returns {name: benchmark json} and its peak RSS."""
    cmd = [binary, *extra, f"--benchmark_filter={bench_filter}",
           f"--benchmark_min_time={min_time}", "--benchmark_format=json"]
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
                    help="rounds; every figure is the best of them (for a shared machine); the "
                    "1920 x 1080 image is measured once")
    ap.add_argument("--models", default=",".join(MODELS),
                    help="bench_models' models to run (default: all): " + ", ".join(MODELS))
    ap.add_argument("--image-threads", default="1,2",
                    help="thread counts of the 1920 x 1080 image runs (each takes seconds to "
                    "minutes; 9-10 GiB of memory for ctnn)")
    ap.add_argument("--skip-image", action="store_true", help="no 1920 x 1080 image runs")
    ap.add_argument("--skip-kernels", action="store_true", help="no bench_kernels run")
    ap.add_argument("--out", help="also write the Markdown here")
    ap.add_argument("--skip-torch", action="store_true")
    ap.add_argument("--torch-worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.torch_worker:
        torch_worker(json.loads(args.torch_worker))
        return

    models = [m for m in args.models.split(",") if m]
    for m in models:
        if m not in MODELS:
            raise SystemExit(f"--models: unknown model {m!r}; known: {', '.join(MODELS)}")
    image_threads = [int(t) for t in args.image_threads.split(",") if t]
    bdir = os.path.join(args.build, "benchmarks")
    names = ["bench_models", "bench_peak"] + ([] if args.skip_kernels else ["bench_kernels"]) + \
        ([] if args.skip_image else ["bench_image"])
    binary = {b: os.path.join(bdir, b) for b in names}
    for b in binary.values():
        if not os.path.exists(b):
            raise SystemExit(f"{b} not found: configure with -DCTNN_BUILD_BENCHMARKS=ON and "
                             f"build {', '.join(names)}")
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
    direct_ips = {}  # the same models with direct convolution only (--conv=direct)
    bf16_ips = {}  # the same models with bf16 conv operands (--precision=bf16)
    has_bf16 = "avx512_bf16" in flags
    breakdown = {}
    torch_ips, torch_flops, torch_version, torch_rss, rss_kb = {}, {}, "not run", None, None

    def keep_max(table, key, value):
        table[key] = max(table.get(key, 0.0), value)

    models_filter = "^(train|infer|breakdown)/(" + "|".join(models) + ")/"
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
        bench, _ = run_bench(binary["bench_models"], models_filter, mt)
        for name, res in bench.items():
            mode, m, b, t = name.split("/")[:4]
            b, t = int(b.split(":")[1]), int(t.split(":")[1])
            if mode == "breakdown":
                # The round with the fastest step.
                if (m, b, t) not in breakdown or \
                        res["step_ms"] < breakdown[(m, b, t)]["step_ms"]:
                    breakdown[(m, b, t)] = res
                continue
            keep_max(model_ips, (mode, m, b, t), counter(res, "images/s"))
            keep_max(model_gf, (mode, m, b, t), counter(res, "GFLOP/s"))
        print("measuring ctnn models, direct convolution only" + note, file=sys.stderr)
        direct, _ = run_bench(binary["bench_models"],
                              "^(train|infer)/(" + "|".join(models) + ")/", mt,
                              extra=("--conv=direct",))
        for name, res in direct.items():
            mode, m, b, t = name.split("/")[:4]
            b, t = int(b.split(":")[1]), int(t.split(":")[1])
            keep_max(direct_ips, (mode, m, b, t), counter(res, "images/s"))
        if has_bf16:
            print("measuring ctnn models, bf16 conv operands" + note, file=sys.stderr)
            half, _ = run_bench(binary["bench_models"],
                                "^(train|infer)/(" + "|".join(models) + ")/", mt,
                                extra=("--precision=bf16",))
            for name, res in half.items():
                mode, m, b, t = name.split("/")[:4]
                b, t = int(b.split(":")[1]), int(t.split(":")[1])
                keep_max(bf16_ips, (mode, m, b, t), counter(res, "images/s"))
        if not args.skip_kernels:
            print("measuring ctnn kernels" + note, file=sys.stderr)
            kernels, _ = run_bench(binary["bench_kernels"], "batch:32/", mt / 2)
            for name, res in kernels.items():
                parts = name.split("/")
                keep_max(kern, (parts[0], parts[1], int(parts[3].split(":")[1])),
                         counter(res, "GFLOP/s"))
        if not args.skip_torch:
            configs = [{"model": m, "mode": mode, "batch": b} for mode in ("train", "infer")
                       for m in models for b in MODELS[m][3]]
            for t in THREADS:
                print(f"measuring PyTorch, {t} thread(s)" + note, file=sys.stderr)
                res = run_torch(args.torch_python, t, configs, mt)
                torch_version = res["torch"]
                for r in res["results"]:
                    keep_max(torch_ips, (r["mode"], r["model"], r["batch"], t),
                             r["images_per_s"])
                    if r["flops_per_image"]:
                        torch_flops[r["model"]] = r["flops_per_image"]

    # One 1920 x 1080 image per model and thread count, each in a process of its own (its peak
    # memory is the process's).
    image, image_rss, torch_image, torch_image_rss = {}, {}, {}, {}
    image_direct = {}  # images/s with direct convolution only
    image_bf16 = {}  # images/s with bf16 conv operands
    if not args.skip_image:
        for m, (bench_name, _, _) in IMAGE.items():
            for t in image_threads:
                print(f"measuring ctnn, one 1920 x 1080 image, {m}, {t} thread(s)",
                      file=sys.stderr)
                res, rss = run_bench(binary["bench_image"], f"^image/{bench_name}/threads:{t}/",
                                     mt)
                image[(m, t)] = next(iter(res.values()))
                image_rss[(m, t)] = rss
                print(f"measuring ctnn, one 1920 x 1080 image, {m}, {t} thread(s), direct "
                      "convolution only", file=sys.stderr)
                res, _ = run_bench(binary["bench_image"], f"^image/{bench_name}/threads:{t}/",
                                   mt, extra=("--conv=direct",))
                image_direct[(m, t)] = counter(next(iter(res.values())), "images/s")
                if has_bf16:
                    print(f"measuring ctnn, one 1920 x 1080 image, {m}, {t} thread(s), bf16 "
                          "conv operands", file=sys.stderr)
                    res, _ = run_bench(binary["bench_image"],
                                       f"^image/{bench_name}/threads:{t}/", mt,
                                       extra=("--precision=bf16",))
                    image_bf16[(m, t)] = counter(next(iter(res.values())), "images/s")
                if not args.skip_torch:
                    print(f"measuring PyTorch, one 1920 x 1080 image, {m}, {t} thread(s)",
                          file=sys.stderr)
                    res = run_torch(args.torch_python, t,
                                    [{"model": m, "mode": "image", "batch": 1}], mt)
                    torch_version = res["torch"]
                    torch_image[(m, t)] = res["results"][0]["images_per_s"]
                    torch_image_rss[(m, t)] = res["maxrss_kb"]
                    torch_flops["image/" + m] = res["results"][0]["flops_per_image"]

    if "final" in models:
        print("measuring peak memory (final model, training, batch 8, 2 threads)",
              file=sys.stderr)
        _, rss_kb = run_bench(binary["bench_models"], "^train/final/batch:8/threads:2/", 1.0)
        if not args.skip_torch:
            mem = run_torch(args.torch_python, 2,
                            [{"model": "final", "mode": "train", "batch": 8}], 1.0)
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
    w("ctnn runs Winograd where its throughput model plans it (the default) and, in the "
      "direct column, direct convolution only (`bench_models --conv=direct`). GFLOP/s counts "
      "the direct convolution's multiply-adds, so Winograd can exceed the FMA peak. The bf16 "
      "column (`bench_models --precision=bf16`: bf16 conv operands, fp32 accumulation; only "
      "on a CPU with AVX512_BF16" + ("" if has_bf16 else ", which this one lacks") + ") is "
      "compared with the direct column: both are direct convolution.")
    w("")
    w("| model | step | batch | threads | ctnn img/s | direct img/s | ctnn / direct | "
      "bf16 img/s | bf16 / direct | "
      "PyTorch img/s | ctnn / PyTorch | ctnn / PyTorch best | ctnn GFLOP/s | / FMA peak | "
      "/ sgemm |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for mode in ("train", "infer"):
        for m in models:
            _, h, wd, batches = MODELS[m]
            label = m if m in ("final", "initial") else f"{MODELS[m][0]} {h}x{wd}"
            for b in batches:
                torch_best = max((torch_ips.get((mode, m, b, t), 0.0) for t in THREADS),
                                 default=0.0)
                for t in THREADS:
                    if (mode, m, b, t) not in model_ips:
                        continue
                    ips = model_ips[(mode, m, b, t)]
                    gf = model_gf[(mode, m, b, t)]
                    tp = torch_ips.get((mode, m, b, t))
                    summary[(mode, m, b, t)] = (ips, gf, torch_best)
                    dp = direct_ips.get((mode, m, b, t))
                    hp = bf16_ips.get((mode, m, b, t))
                    w(f"| {label} | {mode} | {b} | {t} | {fmt(ips)} | "
                      f"{fmt(dp) if dp else '-'} | {fmt(ips / dp, 2) + 'x' if dp else '-'} | "
                      f"{fmt(hp) if hp else '-'} | "
                      f"{fmt(hp / dp, 2) + 'x' if hp and dp else '-'} | "
                      f"{fmt(tp) if tp else '-'} | {fmt(ips / tp, 2) + 'x' if tp else '-'} | "
                      f"{fmt(ips / torch_best, 2) + 'x' if torch_best else '-'} | {fmt(gf)} | "
                      f"{fmt(gf / fma[t], 2)} | {fmt(gf / sgemm[t], 2)} |")
    w("")
    # The FLOP counts of bench_models (from ctnn's conv geometries) against PyTorch's conv
    # output shapes: the GFLOP/s columns mean the same on both sides.
    flop_notes = []
    for m in models:
        if m in torch_flops:
            key = next((k for k in summary if k[1] == m), None)
            if key:
                ips, gf, _ = summary[key]
                ctnn_flops = gf * 1e9 / ips / (3 if key[0] == "train" else 1)
                flop_notes.append(f"{m} {ctnn_flops / 1e9:.3f} (PyTorch's count "
                                  f"{torch_flops[m] / 1e9:.3f})")
    if flop_notes:
        w("Conv GFLOP per image, forward: " + "; ".join(flop_notes) + ".")
        w("")

    if breakdown:
        w("### Training step by kind of layer (% of the step)")
        w("")
        w("bench_models' breakdown/ runs: the step walked through the net's own layers, each "
          "call timed. \"small ops\" = pooling + batch norm + upsampling + concatenation.")
        w("")
        w("| model | batch | threads | step ms | " + " | ".join(PARTS) + " | small ops |")
        w("|---|---|---|---|" + "---|" * len(PARTS) + "---|")
        for (m, b, t), res in sorted(breakdown.items()):
            w(f"| {MODELS[m][0]} {MODELS[m][1]}x{MODELS[m][2]} | {b} | {t} | "
              f"{fmt(res['step_ms'])} | " +
              " | ".join(fmt(res[p + "%"]) for p in PARTS) +
              f" | {fmt(res[SMALL_OPS + '%'])} |")
        w("")

    if image:
        w("### One 1920 x 1080 RGB image, inference (batch 1)")
        w("")
        w("PyTorch runs the whole image in one pass (the U-Net's padded to 1088 x 1920, as "
          "ctnn's); \"ctnn runs\" says what ctnn runs. Peak memory is the whole process's.")
        w("")
        w("| model | ctnn runs | threads | ctnn s/image | direct s/image | ctnn / direct | "
          "bf16 s/image | bf16 / direct | "
          "PyTorch s/image | ctnn / PyTorch | ctnn / PyTorch best | ctnn GFLOP/s | / FMA peak | "
          "ctnn peak memory | PyTorch peak memory |")
        w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for m, (_, _, what) in IMAGE.items():
            torch_best = max((torch_image.get((m, t), 0.0) for t in image_threads), default=0.0)
            for t in image_threads:
                if (m, t) not in image:
                    continue
                ips = counter(image[(m, t)], "images/s")
                gf = counter(image[(m, t)], "GFLOP/s")
                tp = torch_image.get((m, t))
                tr = torch_image_rss.get((m, t))
                dp = image_direct.get((m, t))
                hp = image_bf16.get((m, t))
                w(f"| {m} | {what} | {t} | {fmt(1 / ips, 2)} | "
                  f"{fmt(1 / dp, 2) if dp else '-'} | {fmt(ips / dp, 2) + 'x' if dp else '-'} | "
                  f"{fmt(1 / hp, 2) if hp else '-'} | "
                  f"{fmt(hp / dp, 2) + 'x' if hp and dp else '-'} | "
                  f"{fmt(1 / tp, 2) if tp else '-'} "
                  f"| {fmt(ips / tp, 2) + 'x' if tp else '-'} | "
                  f"{fmt(ips / torch_best, 2) + 'x' if torch_best else '-'} | {fmt(gf)} | "
                  f"{fmt(gf / fma[t], 2) if t in fma else '-'} | "
                  f"{image_rss[(m, t)] / 1048576:.1f} GiB | "
                  f"{f'{tr / 1048576:.1f} GiB' if tr else '-'} |")
        w("")

    if kern:
        w("### Conv kernels, batch 32 (GFLOP/s)")
        w("")
        w("| layer | pass | threads | GFLOP/s | / sgemm | / FMA peak |")
        w("|---|---|---|---|---|---|")
        for (layer, pas, t), gf in kern.items():
            w(f"| {layer} | {pas} | {t} | {fmt(gf)} | {fmt(gf / sgemm[t], 2)} | "
              f"{fmt(gf / fma[t], 2)} |")
        w("")
    if rss_kb:
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
        if ("train", "final", b, 2) not in summary:
            continue
        ips, gf, tb = summary[("train", "final", b, 2)]
        if tb:
            target(f"final model training, batch {b}, 2 threads: >= 3x PyTorch's best thread count",
                   f"{ips / tb:.2f}x", ips / tb >= 3)
        target(f"final model training, batch {b}, 2 threads: >= 45% of FMA peak",
               f"{100 * gf / fma[2]:.0f}%", gf / fma[2] >= 0.45)
    for b in MODELS["initial"][3]:
        if ("train", "initial", b, 2) not in summary:
            continue
        ips, gf, tp = summary[("train", "initial", b, 2)]
        if tp:
            target(f"32-channel model training, batch {b}: >= 3x PyTorch (ctnn 2 threads vs "
                   "PyTorch's best)", f"{ips / tp:.2f}x", ips / tp >= 3)
    for pas in ("forward", "backward_data", "backward_weight"):
        gf = kern.get(("Conv2d_100_100", pas, 2))
        if gf:
            target(f"3x3 conv 100->100 {pas}, batch 32, 2 threads: >= 80% of sgemm",
                   f"{100 * gf / sgemm[2]:.0f}%", gf / sgemm[2] >= 0.8)
    for b in (8, 32):
        if ("train", "final", b, 1) in summary and ("train", "final", b, 2) in summary:
            s1 = summary[("train", "final", b, 1)][0]
            s2 = summary[("train", "final", b, 2)][0]
            target(f"final model training, batch {b}: 1 -> 2 threads >= 1.8x",
                   f"{s2 / s1:.2f}x", s2 / s1 >= 1.8)
    # Winograd against direct convolution, measured in the same rounds (issue 14's targets).
    wino_targets = [(("train", "final", 8, 2), "final model training, batch 8", 1.4)] + \
        [(("train", m, MODELS[m][3][0], 2),
          f"{'U-Net' if MODELS[m][0] == 'unet' else 'DnCNN'} {MODELS[m][1]}x{MODELS[m][2]} "
          "training", 1.3) for m in ZOO]
    for key, label, bound in wino_targets:
        if key in summary and key in direct_ips:
            r = summary[key][0] / direct_ips[key]
            target(f"{label}, 2 threads: Winograd >= {bound}x direct convolution",
                   f"{r:.2f}x", r >= bound)
    # bf16 against direct fp32 convolution, in the same rounds (issue 14: on a CPU whose bf16
    # dot product runs at twice its fp32 FMA rate).
    if has_bf16:
        key = ("train", "final", 8, 2)
        if key in bf16_ips and key in direct_ips:
            r = bf16_ips[key] / direct_ips[key]
            target("final model training, batch 8, 2 threads: bf16 >= 1.8x direct fp32 "
                   "convolution", f"{r:.2f}x", r >= 1.8)
    if rss_kb:
        target("peak memory training the final model at batch 8: < 200 MB",
               f"{rss_kb / 1024:.0f} MB", rss_kb / 1024 < 200)
    for m in ZOO:
        if m not in models:
            continue
        name, h, wd, (b,) = MODELS[m]
        label = f"{'U-Net' if name == 'unet' else 'DnCNN'} {h}x{wd}, batch {b}"
        ips, _, tb = summary.get(("train", m, b, 2), (0.0, 0.0, 0.0))
        if tb:
            target(f"{label}, training: >= 2x PyTorch (ctnn 2 threads vs PyTorch's best)",
                   f"{ips / tb:.2f}x", ips / tb >= 2)
        res = breakdown.get((m, b, 2))
        if res:
            share = res[SMALL_OPS + "%"]
            target(f"{label}, training step, 2 threads: pooling + batch norm + upsampling + "
                   "concatenation <= 15%", f"{share:.1f}%", share <= 15)

    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
