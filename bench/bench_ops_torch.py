#!/usr/bin/python3
"""PyTorch twin of bench/bench_ops.cpp: the same cases, timed the same way.

Each case builds its leaves once, then repeats "forward, backward from a fixed
upstream gradient, drop the leaf gradients (grad = None)"; after warm-up it
prints the median of N iterations of the forward alone and of forward+backward,
in the line format bench_ops prints, so bench/run_ops.sh can join the two:
    BENCH name=<case> fwd_ms=<x> fwdbwd_ms=<y> gflops=<z or -> threads=<n> iters=<n> min_ms=<m>
(fwd_ms and fwdbwd_ms are medians; min_ms is the fastest forward+backward).

How PyTorch runs each op (torch 1.13 on CPU, Debian build):
  linear        F.linear (addmm -> the system BLAS, OpenBLAS here)
  attention     unfused: q @ k^T * scale, masked_fill(causal mask, -inf),
                softmax, @ v (1.13 has no fused SDPA on CPU); the mask is a
                precomputed buffer, as in a model
  layer_norm    F.layer_norm
  gelu          F.gelu(approximate='tanh')
  cross_entropy F.cross_entropy (mean)

Run with Debian's python (/usr/bin/python3, which has torch).
Usage: bench_ops_torch.py [--threads N] [--iters N] [--warmup N] [--filter S]
"""
import argparse
import math
import os
import statistics
import time

import torch
import torch.nn.functional as F

ROWS = 1024  # B * T = 4 * 256 (GPT-2 124M micro-batch)
C = 768
VOCAB = 50257
TARGET_SECONDS = 1.5
MIN_ITERS, MAX_ITERS = 5, 50


class Case:
    def __init__(self, name, gflop, forward, backward, leaves):
        self.name, self.gflop = name, gflop
        self.forward, self.backward, self.leaves = forward, backward, leaves


def leaf(*shape, std=1.0):
    return (torch.randn(*shape) * std).requires_grad_(True)


def linear_case(name, fan_in, fan_out, bias):
    x = leaf(ROWS, fan_in)                       # x: (1024, in)
    w = leaf(fan_out, fan_in, std=0.02)          # w: (out, in)
    b = leaf(fan_out, std=0.02) if bias else None
    gy = torch.randn(ROWS, fan_out)
    leaves = [x, w] + ([b] if bias else [])
    return Case(name, 3 * 2.0 * ROWS * fan_in * fan_out / 1e9,
                lambda: F.linear(x, w, b), lambda y: y.backward(gy), leaves)


def attention_case(batch, heads, t, d):
    q, k, v = (leaf(batch, heads, t, d) for _ in range(3))  # (B, H, T, D)
    gy = torch.randn(batch, heads, t, d)
    mask = torch.ones(t, t, dtype=torch.bool).triu(1)       # True above the diagonal
    scale = 1.0 / math.sqrt(d)

    def forward():
        att = (q @ k.transpose(-2, -1)) * scale             # (B, H, T, T)
        att = att.masked_fill(mask, float("-inf"))
        att = torch.softmax(att, dim=-1)
        return att @ v                                      # (B, H, T, D)

    # Same model-FLOP count as bench_ops: causal forward 2*B*H*T^2*D, backward 2x.
    fwd = 2.0 * batch * heads * t * t * d
    return Case(f"attention_B{batch}_H{heads}_T{t}_D{d}", 3 * fwd / 1e9, forward,
                lambda y: y.backward(gy), [q, k, v])


def layer_norm_case():
    x, w, b = leaf(ROWS, C), leaf(C), leaf(C)
    gy = torch.randn(ROWS, C)
    return Case("layer_norm_1024x768", 0, lambda: F.layer_norm(x, (C,), w, b, 1e-5),
                lambda y: y.backward(gy), [x, w, b])


def gelu_case():
    x = leaf(ROWS, 4 * C)
    gy = torch.randn(ROWS, 4 * C)
    return Case("gelu_1024x3072", 0, lambda: F.gelu(x, approximate="tanh"),
                lambda y: y.backward(gy), [x])


def cross_entropy_case():
    logits = leaf(ROWS, VOCAB)
    targets = torch.randint(0, VOCAB, (ROWS,), dtype=torch.int64)
    return Case("cross_entropy_1024x50257", 0, lambda: F.cross_entropy(logits, targets),
                lambda loss: loss.backward(), [logits])


def case_builders():
    def lin(name, fan_in, fan_out, bias):
        return name, lambda: linear_case(name, fan_in, fan_out, bias)

    def att(t):
        return f"attention_B4_H12_T{t}_D64", lambda: attention_case(4, 12, t, 64)

    return [
        lin("linear_qkv_768x2304", C, 3 * C, True),
        lin("linear_attnproj_768x768", C, C, True),
        lin("linear_fc_768x3072", C, 4 * C, True),
        lin("linear_mlpproj_3072x768", 4 * C, C, True),
        lin("lm_head_768x50257", C, VOCAB, False),
        att(256),
        att(1024),
        ("layer_norm_1024x768", layer_norm_case),
        ("gelu_1024x3072", gelu_case),
        ("cross_entropy_1024x50257", cross_entropy_case),
    ]


def run_once(case):
    for t in case.leaves:
        t.grad = None
    t0 = time.perf_counter()
    y = case.forward()
    t1 = time.perf_counter()
    case.backward(y)
    t2 = time.perf_counter()
    return (t1 - t0) * 1e3, (t2 - t0) * 1e3


def run_case(case, iters, warmup):
    warm_ms = 0.0
    for _ in range(warmup):
        warm_ms = run_once(case)[1]
    if iters <= 0:
        iters = int(TARGET_SECONDS * 1e3 / max(warm_ms, 1e-3))
        iters = min(max(iters, MIN_ITERS), MAX_ITERS)
    fwd, total = [], []
    for _ in range(iters):
        f, t = run_once(case)
        fwd.append(f)
        total.append(t)
    fwd_ms, total_ms = statistics.median(fwd), statistics.median(total)
    gflops = f"{case.gflop / (total_ms * 1e-3):.1f}" if case.gflop > 0 else "-"
    print(f"BENCH name={case.name} fwd_ms={fwd_ms:.3f} fwdbwd_ms={total_ms:.3f} "
          f"gflops={gflops} threads={torch.get_num_threads()} iters={iters} min_ms={min(total):.3f}",
          flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=0, help="0: about 1.5 s per case, 5..50")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--filter", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1234)
    print(f"# torch bench_ops: torch={torch.__version__} threads={torch.get_num_threads()} "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(default)')} "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset: auto-detect)')} "
          f"mkldnn={torch.backends.mkldnn.is_available()}", flush=True)
    for name, build in case_builders():
        if args.filter and args.filter not in name:
            continue
        run_case(build(), args.iters, args.warmup)


if __name__ == "__main__":
    main()
