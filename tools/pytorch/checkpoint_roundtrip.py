#!/usr/bin/python3
"""The PyTorch half of the checkpoint round trip (tests/roundtrip/roundtrip.sh runs both halves).

    /usr/bin/python3 tools/pytorch/checkpoint_roundtrip.py DIR --model initial|final|upsample|batchnorm|unet|dncnn

1. Reads DIR/ctnn_weights.safetensors (written by ctnn's io::save_weights) with plain Python,
   loads it into the equivalent PyTorch nn.Sequential (make_model of tools/pytorch/train_reference.py,
   or make_batchnorm_model below) with strict=True (every name and shape must match, buffers
   included), runs it in evaluation mode on DIR/input.npy and compares with ctnn's output
   DIR/ctnn_output.npy: max |difference| <= 1e-5.
   Then reads DIR/ctnn_training_state.safetensors (io::save_training_state of the same network
   after its Adam steps) into a fresh model with strict=False, as docs/checkpoints.md says a user
   can: no key may be missing, the unexpected keys must be exactly Adam's buffers
   (optimizer.exp_avg.<parameter>, optimizer.exp_avg_sq.<parameter>; the trainer's position is
   metadata, not tensors), and every loaded tensor must equal ctnn's weights file bit for bit.
2. Initialises the same model with PyTorch's own default initialisation (seeded), trains it a
   few Adam steps in PyTorch (training mode), writes its state_dict (parameters and buffers;
   num_batches_tracked as I64) as DIR/torch_weights.safetensors with plain Python, and its
   output on the same input in evaluation mode as DIR/torch_output.npy, for ctnn to load and
   compare.

Debian has no safetensors package; the format is simple enough to read and write by hand (see
docs/checkpoints.md): an 8-byte little-endian header length N, N bytes of JSON, the data.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_reference import make_model  # noqa: E402

TOLERANCE = 1e-5
TRAIN_STEPS = 5
DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def make_batchnorm_model():
    """roundtrip.cpp's BatchNormModel."""
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                         nn.Conv2d(8, 3, 3, padding=1))


def build(name):
    return make_batchnorm_model() if name == "batchnorm" else make_model(name)


def check_counts(state, where):
    """Every num_batches_tracked says TRAIN_STEPS training forwards."""
    for name, t in state.items():
        if name.endswith("num_batches_tracked") and int(t) != TRAIN_STEPS:
            print(f"checkpoint_roundtrip: {where}: {name} is {int(t)}, expected {TRAIN_STEPS}")
            return False
    return True


def check_training_state(path, model_name, weights):
    """Loads ctnn's training state into a fresh model with strict=False (see the docstring at
    the top); returns whether everything checked holds."""
    state, metadata = read_safetensors(path)
    if metadata.get("ctnn_checkpoint") != "training" or metadata.get("optimizer") != "adam":
        print(f"checkpoint_roundtrip: {path} is no Adam training state: metadata {metadata}")
        return False
    model = build(model_name)
    result = model.load_state_dict(state, strict=False)
    optimizer_keys = {f"optimizer.{b}.{name}" for name, _ in model.named_parameters()
                      for b in ("exp_avg", "exp_avg_sq")}
    ok = True
    if result.missing_keys:
        print(f"checkpoint_roundtrip: training state: missing keys {result.missing_keys}")
        ok = False
    if set(result.unexpected_keys) != optimizer_keys:
        print("checkpoint_roundtrip: training state: unexpected keys other than Adam's buffers: "
              f"{sorted(set(result.unexpected_keys) - optimizer_keys)}; Adam's buffers not in "
              f"the file: {sorted(optimizer_keys - set(result.unexpected_keys))}")
        ok = False
    loaded = model.state_dict()
    differ = [k for k in weights if k not in loaded or not torch.equal(loaded[k], weights[k])]
    if differ or len(loaded) != len(weights):
        print(f"checkpoint_roundtrip: training state: tensors differ from ctnn's weights: {differ}"
              f" ({len(loaded)} loaded, {len(weights)} in the weights file)")
        ok = False
    if ok:
        print(f"checkpoint_roundtrip: {model_name}: ctnn's training state in PyTorch with "
              f"strict=False: {len(loaded)} tensors equal to ctnn's weights, no key missing, "
              f"unexpected: the {len(optimizer_keys)} optimizer.exp_avg(_sq).* buffers only")
    return ok


def read_safetensors(path):
    """Returns (state_dict of torch tensors, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    state = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        a = np.frombuffer(data[begin:end], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
        state[name] = torch.from_numpy(a.copy())
    return state, metadata


def write_safetensors(path, state, metadata=None):
    """Writes a state_dict in its order: floating-point tensors as F32, integer ones (the
    buffer num_batches_tracked) as I64, as PyTorch keeps them."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in state.items():
        dtype = "F32" if t.is_floating_point() else "I64"
        b = t.detach().to(torch.float32 if dtype == "F32" else torch.int64).contiguous()
        b = b.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text.encode() + b"".join(blobs))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("dir")
    p.add_argument("--model", default="initial")
    p.add_argument("--seed", type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(1)
    x = torch.from_numpy(np.load(os.path.join(a.dir, "input.npy")))

    # 1. ctnn -> PyTorch.
    state, metadata = read_safetensors(os.path.join(a.dir, "ctnn_weights.safetensors"))
    model = build(a.model)
    model.load_state_dict(state, strict=True)
    if not check_counts(model.state_dict(), "ctnn's buffers"):
        return 1
    model.eval()
    with torch.no_grad():
        y = model(x).numpy()
    want = np.load(os.path.join(a.dir, "ctnn_output.npy"))
    if want.shape != y.shape:  # numpy would broadcast, comparing some values only
        print(f"checkpoint_roundtrip: ctnn_output.npy has shape {want.shape}, PyTorch's output "
              f"{y.shape}")
        return 1
    err = float(np.abs(y.astype(np.float64) - want).max())
    print(f"checkpoint_roundtrip: {a.model}: ctnn's weights in PyTorch ({len(state)} tensors, "
          f"network {metadata.get('ctnn_network', '?')[:40]}...): max |PyTorch - ctnn| = "
          f"{err:.3g} over {y.size} outputs (tolerance {TOLERANCE:g})")
    if not err <= TOLERANCE:
        return 1
    if not check_training_state(os.path.join(a.dir, "ctnn_training_state.safetensors"), a.model,
                                state):
        return 1

    # 2. PyTorch -> ctnn: PyTorch's own initialisation, so nothing is shared with ctnn's, and a
    # few Adam steps in PyTorch on noisy pairs.
    torch.manual_seed(a.seed)
    model = build(a.model)
    noisy = torch.rand(4, 3, 32, 32)
    target = (noisy + 0.2 * torch.randn_like(noisy)).clamp(0, 1)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(TRAIN_STEPS):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(noisy), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    print(f"checkpoint_roundtrip: {a.model}: trained {TRAIN_STEPS} Adam steps in PyTorch "
          f"(loss {losses[0]:.5f} -> {losses[-1]:.5f})")
    if not check_counts(model.state_dict(), "PyTorch's buffers"):
        return 1
    model.eval()
    with torch.no_grad():
        y = model(x).numpy()
    write_safetensors(os.path.join(a.dir, "torch_weights.safetensors"), model.state_dict(),
                      {"format": "pt"})
    np.save(os.path.join(a.dir, "torch_output.npy"), y)
    print(f"checkpoint_roundtrip: wrote torch_weights.safetensors and torch_output.npy in {a.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
