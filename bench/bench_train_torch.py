#!/usr/bin/python3
"""PyTorch twin of bench/bench_train.cpp: the same GPT-2 training step timed the same way.

A plain nanoGPT-style GPT-2 (learned positions, pre-LayerNorm blocks, tanh GELU,
tied LM head, GPT-2 init) written for this benchmark; each step is forward,
cross-entropy, backward, clip_grad_norm_(1.0), AdamW(foreach) step, zero_grad
(set_to_none). torch 1.13 has no fused attention on CPU, so attention is
q @ k^T, masked_fill with a precomputed causal mask, softmax, @ v.
Prints the line bench_train prints:
    BENCH model=<name> tokens_per_s=<x> gflops=<x> step_ms=<median> peak_rss_mb=<x> params=<n> ...
Run with Debian's python (/usr/bin/python3, which has torch).
"""
import argparse
import math
import os
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, c, h, t):
        super().__init__()
        self.h = h
        self.ln_1 = nn.LayerNorm(c)
        self.c_attn = nn.Linear(c, 3 * c)
        self.c_proj = nn.Linear(c, c)
        self.ln_2 = nn.LayerNorm(c)
        self.c_fc = nn.Linear(c, 4 * c)
        self.mlp_proj = nn.Linear(4 * c, c)
        self.register_buffer("mask", torch.ones(t, t, dtype=torch.bool).triu(1), persistent=False)

    def attn(self, x):  # x: (B, T, C)
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.h, c // self.h).transpose(1, 2) for z in (q, k, v))  # (B, H, T, D)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.mask[:t, :t], float("-inf")).softmax(dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        return self.c_proj(y)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, n_layer, n_head, n_embd, vocab, block):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block, n_embd)
        self.h = nn.ModuleList(Block(n_embd, n_head, block) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                std = 0.02 / math.sqrt(2 * n_layer) if name.endswith(("c_proj.weight", "mlp_proj.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx, targets):
        t = idx.size(1)
        x = self.wte(idx) + self.wpe(torch.arange(t))
        for block in self.h:
            x = block(x)
        logits = F.linear(self.ln_f(x), self.wte.weight)
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


PRESETS = {"gpt2-124m": (12, 12, 768, 50257, 1024)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="gpt2-124m")
    ap.add_argument("--label", default="")
    ap.add_argument("--n-layer", type=int, default=0)
    ap.add_argument("--n-head", type=int, default=0)
    ap.add_argument("--n-embd", type=int, default=0)
    ap.add_argument("--vocab", type=int, default=0)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1337)
    n_layer, n_head, n_embd, vocab, block = PRESETS[a.preset]
    n_layer, n_head, n_embd, vocab = (a.n_layer or n_layer, a.n_head or n_head, a.n_embd or n_embd, a.vocab or vocab)
    block = max(block, a.seq)
    model = GPT(n_layer, n_head, n_embd, vocab, block)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.95), eps=1e-8, foreach=True)
    data = torch.randint(0, vocab, (a.batch, a.seq + 1))
    x, y = data[:, :-1].contiguous(), data[:, 1:].contiguous()
    times, cpu = [], []
    for s in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        c0 = time.process_time()
        loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        dt = (time.perf_counter() - t0) * 1e3
        if s >= a.warmup:
            times.append(dt)
            cpu.append((time.process_time() - c0) * 1e3)
        print(f"step {s}: loss {loss.item():.4f}, {dt:.0f} ms", file=__import__("sys").stderr)
    median = statistics.median(times)
    n = sum(p.numel() for p in model.parameters())
    tps = a.batch * a.seq / (median / 1e3)
    gflops = tps * (6 * n + 12 * n_layer * n_embd * a.seq) / 1e9
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"BENCH model={a.label or a.preset} tokens_per_s={tps:.1f} gflops={gflops:.1f} step_ms={median:.1f} "
          f"step_cpu_ms={statistics.median(cpu):.1f} "
          f"peak_rss_mb={rss:.0f} params={n} batch={a.batch} seq={a.seq} threads={a.threads}")


if __name__ == "__main__":
    main()
