#!/usr/bin/python3
"""Trains the same Noise2Noise models as ctnn's trainer, in PyTorch, on the same .npy files.

It reproduces ctnn's recipe exactly: the same initial weights (ctnn's splitmix64 generator and
PyTorch's default bounds, drawn in the same order; for the U-Net, ctnn's Kaiming-normal draws),
the same shuffled batch order, Adam or SGD with the same hyper-parameters and learning-rate
schedule, MSE loss, training mode for the steps and evaluation mode (BatchNorm's running
statistics) for the two PSNRs on the validation pairs. `--check-initial FILE` compares the
initial weights with the ones the trainer wrote with --save-initial FILE and stops unless they
are identical. With `--torch-init` it uses PyTorch's own initialisation and shuffling instead,
for a comparison that shares nothing but the recipe.

Usage: /usr/bin/python3 tools/pytorch/train_reference.py --model initial --epochs 1 --fraction 0.1 \
           --batch-size 50 --data data
"""

import argparse
import math
import os
import sys
import time

import numpy as np
import torch
from torch import nn

MASK = (1 << 64) - 1


class SplitMix64:
    """ctnn::Rng (include/ctnn/core/init.hpp), bit for bit."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform01(self):
        return (self.next_u64() >> 11) * 2.0**-53

    def normal(self):
        """ctnn::Rng::normal (Box-Muller), with the C library's log and cos as ctnn's."""
        u1 = self.uniform01()
        while u1 <= 0.0:
            u1 = self.uniform01()
        u2 = self.uniform01()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(6.283185307179586 * u2)

    def uniform(self, lo, hi, n):
        # (next >> 11) * 2^-53, as ctnn; vectorised over n draws.
        u = np.array([self.next_u64() >> 11 for _ in range(n)], dtype=np.float64) * 2.0**-53
        return lo + (hi - lo) * u


class SkipConcat(nn.Module):
    """ctnn's SkipConcat: cat([body(x), x], dim=1)."""

    def __init__(self, *layers):
        super().__init__()
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return torch.cat([self.body(x), x], dim=1)


class InputMinus(nn.Module):
    """ctnn's InputMinus: x - body(x) (DnCNN's residual learning)."""

    def __init__(self, *layers):
        super().__init__()
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return x - self.body(x)


def make_unet():
    """ctnn::models::UNet (include/ctnn/models/unet.hpp): the Noise2Noise paper's U-Net
    (NVlabs/noise2noise network.py), nested as ctnn nests it so state_dict names match."""
    def conv(cin, cout):
        return nn.Conv2d(cin, cout, 3, padding=1)

    def lrelu():
        return nn.LeakyReLU(0.1)

    def pool():
        return nn.MaxPool2d(2)

    def up():
        return nn.Upsample(scale_factor=2, mode="nearest")

    level5 = SkipConcat(conv(48, 48), lrelu(), pool(), conv(48, 48), lrelu(), up())
    level4 = SkipConcat(conv(48, 48), lrelu(), pool(), level5, conv(96, 96), lrelu(),
                        conv(96, 96), lrelu(), up())
    level3 = SkipConcat(conv(48, 48), lrelu(), pool(), level4, conv(144, 96), lrelu(),
                        conv(96, 96), lrelu(), up())
    level2 = SkipConcat(conv(48, 48), lrelu(), pool(), level3, conv(144, 96), lrelu(),
                        conv(96, 96), lrelu(), up())
    level1 = SkipConcat(conv(3, 48), lrelu(), conv(48, 48), lrelu(), pool(), level2,
                        conv(144, 96), lrelu(), conv(96, 96), lrelu(), up())
    return nn.Sequential(level1, conv(99, 64), lrelu(), conv(64, 32), lrelu(), conv(32, 3))


def make_dncnn(middle=15):
    """ctnn::models::DnCNN (include/ctnn/models/dncnn.hpp): conv + ReLU, `middle` x (conv + BN +
    ReLU), conv, inside InputMinus; every conv 3x3, padding 1, with bias."""
    layers = [nn.Conv2d(3, 64, 3, padding=1), nn.ReLU()]
    for _ in range(middle):
        layers += [nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU()]
    layers.append(nn.Conv2d(64, 3, 3, padding=1))
    return nn.Sequential(InputMinus(*layers))


def make_model(name):
    if name == "initial":
        return nn.Sequential(nn.Conv2d(3, 32, 3), nn.ReLU(), nn.Conv2d(32, 32, 3), nn.ReLU(),
                             nn.ConvTranspose2d(32, 32, 3), nn.ReLU(),
                             nn.ConvTranspose2d(32, 3, 3), nn.Sigmoid())
    if name == "final":
        return nn.Sequential(nn.Conv2d(3, 100, 3), nn.ReLU(),
                             SkipConcat(nn.Conv2d(100, 100, 3), nn.ReLU(),
                                        nn.ConvTranspose2d(100, 100, 3), nn.ReLU()),
                             nn.ConvTranspose2d(200, 3, 3), nn.Sigmoid())
    if name == "upsample":
        return nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1), nn.ReLU(), nn.Conv2d(32, 32, 3, 2, 1),
                             nn.ReLU(), nn.Upsample(scale_factor=2, mode="nearest"),
                             nn.Conv2d(32, 32, 3, 1, 1), nn.ReLU(),
                             nn.Upsample(scale_factor=2, mode="nearest"),
                             nn.Conv2d(32, 3, 3, 1, 1), nn.Sigmoid())
    if name == "unet":
        return make_unet()
    if name == "dncnn":
        return make_dncnn()
    raise SystemExit(f"unknown model {name}")


def ctnn_init(model, seed):
    """ctnn's initialisation: per conv layer in order, weight then bias, uniform +-1/sqrt(fan_in)
    with fan_in = weight.size(1) * K * K."""
    rng = SplitMix64(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                w = module.weight
                bound = 1.0 / math.sqrt(w.shape[1] * w.shape[2] * w.shape[3])
                w.copy_(torch.from_numpy(rng.uniform(-bound, bound, w.numel()).reshape(w.shape)))
                b = module.bias
                b.copy_(torch.from_numpy(rng.uniform(-bound, bound, b.numel())))


def ctnn_kaiming_init(model, seed, gain=math.sqrt(2.0), last_gain=1.0):
    """ctnn's Init::kaiming_normal (include/ctnn/core/initialization.hpp): every conv weight,
    in parameter order, from N(0, gain^2 / fan_in), the last one with last_gain; their biases
    0. Drawn from ctnn::kaiming_rng(seed), after (and apart from) the default initialisation."""
    rng = SplitMix64(seed ^ 0x4B61696D696E6721)
    params = list(model.named_parameters())
    convs = [i for i, (name, p) in enumerate(params) if p.dim() == 4 and name.endswith("weight")]
    with torch.no_grad():
        for i in convs:
            name, w = params[i]
            fan_in = w.shape[1] * w.shape[2] * w.shape[3]
            std = (last_gain if i == convs[-1] else gain) / math.sqrt(fan_in)
            values = np.array([std * rng.normal() for _ in range(w.numel())], dtype=np.float64)
            w.copy_(torch.from_numpy(values.astype(np.float32)).reshape(w.shape))
            bias = dict(params).get(name[:-len("weight")] + "bias")
            if bias is not None:
                bias.zero_()


def check_initial(model, path):
    """Stops unless every tensor of the model's state_dict equals the one in `path` (written by
    ctnn_noise2noise --save-initial)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from checkpoint_roundtrip import read_safetensors  # pylint: disable=import-outside-toplevel
    theirs, _ = read_safetensors(path)
    ours = model.state_dict()
    if set(theirs) != set(ours):
        raise SystemExit(f"{path}: tensors {sorted(set(theirs) ^ set(ours))} are in only one of "
                         "the two models")
    shapes = [k for k in ours if ours[k].shape != theirs[k].shape]
    if shapes:  # torch would broadcast, comparing some values only
        raise SystemExit(f"{path}: tensors {shapes} have other shapes than the model's")
    worst = max((ours[k].double() - theirs[k].double()).abs().max().item() for k in ours)
    print(f"initial weights: {len(ours)} tensors, max |PyTorch - ctnn| = {worst:g} "
          f"(ctnn's from {path})")
    if worst != 0:
        raise SystemExit("the initial weights differ from ctnn's")


def rampdown_lr(lr, step, total, fraction):
    """NVlabs noise2noise train.py's compute_ramped_down_lrate, as the trainer's scheduled_lr."""
    start = total * (1 - fraction)
    if step < start:
        return lr
    t = ((step - start) / fraction) / total
    smooth = 0.5 + math.cos(t * 3.141592653589793) / 2
    return lr * (smooth * smooth)


def ctnn_shuffle(order, rng):
    """Fisher-Yates from the identity, as n2n::PairBatches::shuffle (examples/noise2noise/pair_batches.hpp)."""
    order[:] = range(len(order))
    for i in range(len(order), 1, -1):
        j = rng.next_u64() % i
        order[i - 1], order[j] = order[j], order[i - 1]


def load_images(path):
    a = np.load(path, allow_pickle=False)
    if a.dtype != np.uint8 or a.ndim != 4 or a.shape[1:] != (3, 32, 32):
        raise SystemExit(f"{path}: expected uint8 N x 3 x 32 x 32, got {a.dtype} {a.shape}")
    return torch.from_numpy(a)


SCALE = torch.tensor(1.0 / 255.0, dtype=torch.float32)
DTYPE = torch.float32  # --float64: the model's and the batches' type


def to_unit(x):
    return x.float() * SCALE


def squared_errors(model, noisy, clean, batch, training=False):
    """Each image's summed squared error, batch by batch, in evaluation mode (BatchNorm's running
    statistics) or in training mode (each batch's own); the model is left in training mode."""
    model.train(training)
    out = []
    with torch.no_grad():
        for i in range(0, noisy.shape[0], batch):
            y = model(to_unit(noisy[i:i + batch]).to(DTYPE)).double()
            c = to_unit(clean[i:i + batch]).double()
            out.append(((y - c) ** 2).flatten(1).sum(1))
    model.train()
    return torch.cat(out)


def psnr_from_squared_errors(se, values_per_image):
    """Pooled PSNR and mean per-image PSNR, both with the course's +1e-8."""
    pooled = -10 * math.log10(se.sum().item() / (se.numel() * values_per_image) + 1e-8)
    mean = (-10 * torch.log10(se / values_per_image + 1e-8)).mean().item()
    return pooled, mean


def psnr(model, noisy, clean, batch):
    """Pooled PSNR and mean per-image PSNR in evaluation mode."""
    return psnr_from_squared_errors(squared_errors(model, noisy, clean, batch),
                                    clean[0].numel())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="initial",
                   choices=["initial", "final", "upsample", "unet", "dncnn"])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=50)
    p.add_argument("--optimizer", default="adam", choices=["adam", "sgd"])
    p.add_argument("--lr", type=float, help="default 1e-3; 3e-4 for unet (as the trainer)")
    p.add_argument("--beta2", type=float, help="default 0.999; 0.99 for unet")
    p.add_argument("--lr-schedule", choices=["constant", "rampdown"],
                   help="default constant; rampdown for unet")
    p.add_argument("--rampdown-fraction", type=float, default=0.3)
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--fraction", type=float, default=1.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", default="data")
    p.add_argument("--torch-init", action="store_true",
                   help="PyTorch's own initialisation and shuffling instead of ctnn's")
    p.add_argument("--check-initial", metavar="FILE",
                   help="stop unless the initial weights equal FILE's (the trainer's "
                        "--save-initial)")
    p.add_argument("--out", help="ignored (the trainer's output directory)")
    p.add_argument("--float64", action="store_true",
                   help="train in double precision from the same (float) initial weights and "
                        "inputs: how far rounding alone moves the result")
    a = p.parse_args()
    unet = a.model == "unet"  # the trainer's U-Net recipe where not given
    a.lr = a.lr if a.lr is not None else 3e-4 if unet else 1e-3
    a.beta2 = a.beta2 if a.beta2 is not None else 0.99 if unet else 0.999
    a.lr_schedule = a.lr_schedule or ("rampdown" if unet else "constant")

    torch.set_num_threads(a.threads)
    train_in = load_images(f"{a.data}/train_input.npy")
    train_tg = load_images(f"{a.data}/train_target.npy")
    val_in = load_images(f"{a.data}/val_input.npy")
    val_tg = load_images(f"{a.data}/val_target.npy")
    used = max(1, int(train_in.shape[0] * a.fraction))

    model = make_model(a.model)
    if a.torch_init:
        torch.manual_seed(a.seed)
        model = make_model(a.model)
    else:
        ctnn_init(model, a.seed)
        if unet:
            ctnn_kaiming_init(model, a.seed)
    if a.check_initial:
        check_initial(model, a.check_initial)
    if a.float64:
        global DTYPE  # pylint: disable=global-statement
        DTYPE = torch.float64
        model = model.double()
    model.train()
    if a.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=a.lr, betas=(0.9, a.beta2), eps=1e-8)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum)
    loss_fn = nn.MSELoss()
    shuffle_rng = SplitMix64(a.seed ^ 0x5EEDF00D)
    order = list(range(used))
    print(f"PyTorch {torch.__version__} reference: model {a.model}, {used} pairs, batch "
          f"{a.batch_size}, {a.epochs} epoch(s), {a.optimizer} lr {a.lr} ({a.lr_schedule}"
          f"{f' {a.rampdown_fraction}' if a.lr_schedule == 'rampdown' else ''}), "
          f"{f'beta2 {a.beta2}, ' if a.optimizer == 'adam' else ''}"
          f"{'torch' if a.torch_init else 'ctnn'} init, {a.threads} thread(s)"
          f"{', float64' if a.float64 else ''}")
    batches = (used + a.batch_size - 1) // a.batch_size
    total_steps = batches * a.epochs
    step = 0
    for epoch in range(1, a.epochs + 1):
        if a.torch_init:
            order = torch.randperm(used).tolist()
        else:
            ctnn_shuffle(order, shuffle_rng)
        t0, loss_sum, images = time.time(), 0.0, 0
        for b in range(0, used, a.batch_size):
            idx = torch.tensor(order[b:b + a.batch_size])
            x, t = to_unit(train_in[idx]).to(DTYPE), to_unit(train_tg[idx]).to(DTYPE)
            if a.lr_schedule == "rampdown":
                for group in opt.param_groups:
                    group["lr"] = rampdown_lr(a.lr, step, total_steps, a.rampdown_fraction)
            step += 1
            opt.zero_grad()
            loss = loss_fn(model(x), t)
            loss.backward()
            opt.step()
            loss_sum += loss.item() * x.shape[0]
            images += x.shape[0]
        secs = time.time() - t0
        pooled, mean = psnr(model, val_in, val_tg, a.batch_size)
        print(f"epoch {epoch}/{a.epochs}  train loss {loss_sum / images:.6f}  val PSNR {pooled:.2f} dB "
              f"(mean per image {mean:.2f} dB)  {images / secs:.0f} img/s  {secs:.1f} s", flush=True)
    print(f"final: val PSNR pooled {pooled:.3f} dB, mean per image {mean:.3f} dB")


if __name__ == "__main__":
    sys.exit(main())
