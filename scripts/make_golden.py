#!/usr/bin/python3
"""Golden values from PyTorch for every forge op, read by tests/autograd/test_golden.cpp.

For each case this builds fp32 inputs at a fixed seed, runs the op forward in
PyTorch, then backward of L = sum_i sum(out_i * W_i) with fixed random W_i, and
writes the inputs, the W_i, the outputs and every input gradient to
tests/data/golden/<case>.bin. Ops PyTorch does not have in the same form
(rms_norm, rope, swiglu, GQA/doc-masked attention) are written out here from
primitives. Dropout is not covered (its mask cannot match torch's RNG).

Run with Debian's Python (it has torch):  /usr/bin/python3 scripts/make_golden.py
The output is deterministic for a given torch version; commit it with this script.

File format (little-endian), read by tests/autograd/golden_reader.h:
  magic  b"FGLD", u32 version (= 1)
  u32 n, n bytes of UTF-8 metadata: "key=value" lines (torch version, case
      name, op parameters such as eps or scale)
  u32 number of tensors, then per tensor:
      u32 name length, name bytes; u8 dtype (0 f32, 1 i64, 2 u8);
      u32 ndim, ndim x i64 dims; numel x element data (row-major)
Tensor names: inputs by their role ("x", "a", "weight", ...), "out" (or
"out.0", "out.1", ... for several outputs), "W" (or "W.0", ...) the weights of
the loss, "grad.<input>" for every float input's gradient, and any extra
reference values a case needs (e.g. "indices" of max).
"""
import math
import os
import struct
import sys

import torch
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "golden")
DTYPE_CODES = {torch.float32: 0, torch.int64: 1, torch.uint8: 2}
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def randn(*shape, scale=1.0, shift=0.0):
    return torch.randn(*shape, dtype=torch.float32) * scale + shift


def positive(*shape, low=0.5, high=2.0):
    return torch.rand(*shape, dtype=torch.float32) * (high - low) + low


def write_case(name, inputs, fn, meta=None):
    """inputs: dict name -> tensor (float inputs get gradients); fn(*inputs.values()) -> tensor or list of tensors."""
    leaves = {}
    for k, v in inputs.items():
        leaves[k] = v.detach().clone().requires_grad_(v.dtype == torch.float32)
    outs = fn(*leaves.values())
    multi = isinstance(outs, (list, tuple))
    outs = list(outs) if multi else [outs]
    ws = [torch.randn(o.shape, dtype=torch.float32) for o in outs]
    loss = sum((o * w).sum() for o, w in zip(outs, ws))
    loss.backward()

    tensors = []
    for k, v in leaves.items():
        tensors.append((k, v.detach()))
    for i, (o, w) in enumerate(zip(outs, ws)):
        suffix = f".{i}" if multi else ""
        tensors.append(("out" + suffix, o.detach()))
        tensors.append(("W" + suffix, w))
    for k, v in leaves.items():
        if v.requires_grad:
            g = v.grad if v.grad is not None else torch.zeros_like(v)
            tensors.append(("grad." + k, g))

    meta_lines = [f"torch={torch.__version__}", f"case={name}"]
    for k, v in (meta or {}).items():
        if callable(v):  # an extra reference tensor computed from the inputs (e.g. argmax indices)
            tensors.append((k, v(*[t.detach() for t in leaves.values()])))
            continue
        meta_lines.append(f"{k}={v!r}" if isinstance(v, float) else f"{k}={v}")
    blob = bytearray(b"FGLD" + struct.pack("<I", 1))
    meta_bytes = "\n".join(meta_lines).encode()
    blob += struct.pack("<I", len(meta_bytes)) + meta_bytes
    blob += struct.pack("<I", len(tensors))
    for tname, t in tensors:
        t = t.contiguous()
        assert t.dtype in DTYPE_CODES, (name, tname, t.dtype)
        assert torch.isfinite(t.double()).all(), (name, tname)
        nb = tname.encode()
        blob += struct.pack("<I", len(nb)) + nb
        blob += struct.pack("<BI", DTYPE_CODES[t.dtype], t.dim())
        blob += struct.pack(f"<{t.dim()}q", *t.shape)
        blob += t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
    with open(os.path.join(OUT_DIR, name + ".bin"), "wb") as f:
        f.write(blob)
    return len(blob)


# ---- elementwise (broadcasting) -------------------------------------------------------

@case
def elementwise():
    yield "add", dict(a=randn(3, 1, 5), b=randn(4, 5)), lambda a, b: a + b
    yield "sub", dict(a=randn(2, 3, 4), b=randn(3, 1)), lambda a, b: a - b
    yield "mul", dict(a=randn(4, 5), b=randn(2, 1, 5)), lambda a, b: a * b
    yield "div", dict(a=randn(2, 3, 4), b=positive(1, 3, 1) * torch.sign(randn(1, 3, 1))), lambda a, b: a / b
    yield "neg", dict(x=randn(3, 7)), lambda x: -x
    yield "add_scalar", dict(x=randn(3, 7)), lambda x: x + 0.75, dict(s=0.75)
    yield "mul_scalar", dict(x=randn(3, 7)), lambda x: x * -1.25, dict(s=-1.25)
    yield "pow_scalar", dict(x=positive(3, 7)), lambda x: x ** 2.5, dict(exponent=2.5)
    yield "pow_scalar_int", dict(x=randn(3, 7)), lambda x: x ** 3.0, dict(exponent=3.0)
    yield "rsub_scalar", dict(x=randn(3, 7)), lambda x: 2.0 - x, dict(s=2.0)
    yield "exp", dict(x=randn(3, 7)), torch.exp
    yield "log", dict(x=positive(3, 7, low=0.1, high=3.0)), torch.log
    yield "sqrt", dict(x=positive(3, 7, low=0.1, high=3.0)), torch.sqrt
    yield "rsqrt", dict(x=positive(3, 7, low=0.1, high=3.0)), torch.rsqrt
    yield "tanh", dict(x=randn(3, 7, scale=2.0)), torch.tanh
    yield "pow", dict(a=positive(2, 3, 4), b=randn(3, 1)), lambda a, b: a ** b
    cond = (torch.rand(4, 5) > 0.5).to(torch.uint8)
    yield "where", dict(cond=cond, a=randn(3, 4, 5), b=randn(1, 5)), lambda cond, a, b: torch.where(cond.bool(), a, b)
    mask = (torch.rand(4, 1) > 0.5).to(torch.uint8)
    mask[0, 0], mask[1, 0] = 1, 0
    yield ("masked_fill", dict(x=randn(3, 4, 5), mask=mask),
           lambda x, mask: x.masked_fill(mask.bool(), -2.5), dict(value=-2.5))


# ---- reductions, concat/split ------------------------------------------------------

@case
def reduce():
    yield "sum_dims", dict(x=randn(2, 3, 4, 5)), lambda x: x.sum(dim=(0, 2)), dict(dims="0,2", keepdim=0)
    yield "sum_all", dict(x=randn(3, 4, 5)), lambda x: x.sum()
    yield "sum_keepdim", dict(x=randn(3, 4, 5)), lambda x: x.sum(dim=-1, keepdim=True), dict(dims="-1", keepdim=1)
    yield "mean_dims", dict(x=randn(2, 3, 4, 5)), lambda x: x.mean(dim=(1, 3)), dict(dims="1,3", keepdim=0)
    yield "mean_all", dict(x=randn(3, 4, 5)), lambda x: x.mean()
    yield "mean_keepdim", dict(x=randn(3, 4, 5)), lambda x: x.mean(dim=0, keepdim=True), dict(dims="0", keepdim=1)
    yield ("max_last", dict(x=randn(3, 4, 6)), lambda x: x.max(dim=-1).values,
           dict(dim=-1, keepdim=0, indices=lambda x: x.max(dim=-1).indices))
    yield ("max_mid_keepdim", dict(x=randn(3, 4, 6)), lambda x: x.max(dim=1, keepdim=True).values,
           dict(dim=1, keepdim=1, indices=lambda x: x.max(dim=1, keepdim=True).indices))
    yield "sum_to", dict(x=randn(2, 3, 4)), lambda x: x.sum(dim=0).sum(dim=-1, keepdim=True)
    yield ("concat", dict(a=randn(2, 3, 4), b=randn(2, 1, 4), c=randn(2, 5, 4)),
           lambda a, b, c: torch.cat([a, b, c], dim=1), dict(dim=1))
    yield ("concat_last", dict(a=randn(3, 2), b=randn(3, 4)), lambda a, b: torch.cat([a, b], dim=-1), dict(dim=-1))
    yield ("split", dict(x=randn(4, 9, 2)), lambda x: list(torch.split(x, [2, 3, 4], dim=1)),
           dict(sizes="2,3,4", dim=1))


# ---- linear algebra ---------------------------------------------------------------

@case
def linalg():
    yield "matmul_2d", dict(a=randn(5, 7), b=randn(7, 3)), torch.matmul
    yield "matmul_batched", dict(a=randn(2, 3, 4, 6), b=randn(2, 3, 6, 5)), torch.matmul
    yield "matmul_broadcast", dict(a=randn(2, 1, 4, 6), b=randn(3, 6, 5)), torch.matmul
    # b is given as (N, K); the test passes its transpose (a non-contiguous view).
    yield "matmul_bt", dict(a=randn(4, 6), bt=randn(5, 6)), lambda a, bt: a @ bt.t()
    yield ("linear", dict(x=randn(2, 3, 8), weight=randn(5, 8, scale=0.3), bias=randn(5)),
           lambda x, weight, bias: F.linear(x, weight, bias))
    yield "linear_nobias", dict(x=randn(6, 8), weight=randn(5, 8, scale=0.3)), lambda x, weight: F.linear(x, weight)
    ids = torch.tensor([[1, 3, 3, 0, 9], [7, 1, 1, 1, 4]], dtype=torch.int64)
    yield "embedding", dict(ids=ids, weight=randn(10, 4)), lambda ids, weight: F.embedding(ids, weight)


# ---- fused nn ops ---------------------------------------------------------------------

def rms_norm_ref(x, weight, eps):
    return x * torch.rsqrt((x * x).mean(dim=-1, keepdim=True) + eps) * weight


def rope_ref(x, positions, theta):
    # Hugging Face Llama: emb = cat(freqs, freqs); out = x cos + rotate_half(x) sin.
    d = x.shape[-1]
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    freqs = positions.to(torch.float64)[..., None] * inv_freq  # (T, D/2) or (B, T, D/2)
    emb = torch.cat([freqs, freqs], dim=-1)
    if emb.dim() == 3:
        emb = emb[:, None]  # (B, 1, T, D)
    cos, sin = emb.cos().float(), emb.sin().float()

    def rotate_half(t):
        t1, t2 = t[..., : d // 2], t[..., d // 2:]
        return torch.cat([-t2, t1], dim=-1)

    return x * cos + rotate_half(x) * sin


@case
def nn_ops():
    yield ("layer_norm", dict(x=randn(3, 4, 16, scale=2.0, shift=0.5), weight=randn(16), bias=randn(16)),
           lambda x, weight, bias: F.layer_norm(x, (16,), weight, bias, 1e-5), dict(eps=1e-5))
    yield ("layer_norm_noaffine", dict(x=randn(5, 12)), lambda x: F.layer_norm(x, (12,), None, None, 1e-5),
           dict(eps=1e-5))
    yield ("rms_norm", dict(x=randn(3, 4, 16, scale=2.0), weight=randn(16)),
           lambda x, weight: rms_norm_ref(x, weight, 1e-6), dict(eps=1e-6))
    yield "gelu", dict(x=randn(4, 9, scale=2.0)), lambda x: F.gelu(x, approximate="tanh")
    yield "silu", dict(x=randn(4, 9, scale=2.0)), F.silu
    yield "swiglu", dict(gate=randn(3, 10, scale=2.0), up=randn(3, 10)), lambda gate, up: F.silu(gate) * up
    yield "softmax", dict(x=randn(3, 4, 7, scale=2.0)), lambda x: torch.softmax(x, dim=-1), dict(dim=-1)
    yield "softmax_dim1", dict(x=randn(3, 5, 4, scale=2.0)), lambda x: torch.softmax(x, dim=1), dict(dim=1)
    yield "log_softmax", dict(x=randn(3, 4, 7, scale=2.0)), lambda x: torch.log_softmax(x, dim=-1), dict(dim=-1)
    yield ("log_softmax_dim0", dict(x=randn(5, 3, 2, scale=2.0)), lambda x: torch.log_softmax(x, dim=0),
           dict(dim=0))
    targets = torch.randint(0, 11, (8,))
    targets[2] = targets[5] = -100
    yield ("cross_entropy", dict(logits=randn(8, 11, scale=2.0), targets=targets),
           lambda logits, targets: F.cross_entropy(logits, targets, ignore_index=-100), dict(ignore_index=-100))
    targets3 = torch.randint(0, 13, (2, 5))
    targets3[targets3 == 3] = 4
    targets3[0, 1] = targets3[1, 4] = 3
    yield ("cross_entropy_3d", dict(logits=randn(2, 5, 13, scale=2.0), targets=targets3),
           lambda logits, targets: F.cross_entropy(logits.reshape(-1, 13), targets.reshape(-1), ignore_index=3),
           dict(ignore_index=3))
    yield ("rope", dict(x=randn(2, 3, 5, 8), positions=torch.arange(5, dtype=torch.int64)),
           lambda x, positions: rope_ref(x, positions, 10000.0), dict(rope_theta=10000.0))
    pos = torch.tensor([[0, 1, 2, 0, 1, 2, 3], [5, 6, 7, 8, 9, 10, 11]], dtype=torch.int64)
    yield ("rope_positions_bt", dict(x=randn(2, 2, 7, 6), positions=pos),
           lambda x, positions: rope_ref(x, positions, 500000.0), dict(rope_theta=500000.0))


# ---- attention ----------------------------------------------------------------------

def attention_ref(q, k, v, scale, doc_ids=None):
    hq, hkv, t = q.shape[1], k.shape[1], q.shape[2]
    k = k.repeat_interleave(hq // hkv, dim=1)
    v = v.repeat_interleave(hq // hkv, dim=1)
    s = (q @ k.transpose(-2, -1)) * scale
    mask = torch.tril(torch.ones(t, t, dtype=torch.bool))
    if doc_ids is not None:
        mask = mask & (doc_ids[:, :, None] == doc_ids[:, None, :])[:, None]  # (B, 1, T, T)
    s = s.masked_fill(~mask, float("-inf"))
    return torch.softmax(s, dim=-1) @ v


@case
def attention():
    d = 8
    sc = 1.0 / math.sqrt(d)
    yield ("attention_mha", dict(q=randn(2, 3, 6, d), k=randn(2, 3, 6, d), v=randn(2, 3, 6, d)),
           lambda q, k, v: attention_ref(q, k, v, sc), dict(scale=0.0))
    yield ("attention_gqa", dict(q=randn(2, 4, 7, d), k=randn(2, 2, 7, d), v=randn(2, 2, 7, d)),
           lambda q, k, v: attention_ref(q, k, v, sc), dict(scale=0.0))
    yield ("attention_scale", dict(q=randn(1, 2, 5, 4), k=randn(1, 1, 5, 4), v=randn(1, 1, 5, 4)),
           lambda q, k, v: attention_ref(q, k, v, 0.3), dict(scale=0.3))
    doc_ids = torch.tensor([[0, 0, 0, 1, 1, 2, 2, 2, 2], [4, 4, 4, 4, 4, 4, 7, 7, 7]], dtype=torch.int64)
    yield ("attention_doc_ids",
           dict(q=randn(2, 4, 9, d), k=randn(2, 2, 9, d), v=randn(2, 2, 9, d), doc_ids=doc_ids),
           lambda q, k, v, doc_ids: attention_ref(q, k, v, sc, doc_ids), dict(scale=0.0))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for old in os.listdir(OUT_DIR):
        if old.endswith(".bin"):
            os.remove(os.path.join(OUT_DIR, old))
    torch.set_num_threads(1)
    total, count = 0, 0
    for group_index, group in enumerate(CASES):
        torch.manual_seed(1000 + group_index)
        for item in group():
            name, inputs, fn = item[:3]
            meta = item[3] if len(item) > 3 else None
            total += write_case(name, inputs, fn, meta)
            count += 1
    print(f"wrote {count} cases, {total} bytes, torch {torch.__version__}, to {os.path.normpath(OUT_DIR)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
