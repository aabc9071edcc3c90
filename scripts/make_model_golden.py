#!/usr/bin/python3
"""PyTorch reference for forge's whole model stack, read by tests/nn/test_torch_equivalence.cpp.

For the presets gpt2-test and llama-test (values copied from nn/config.cpp)
this script writes GPT-2 and Llama in plain PyTorch, written to match forge's
nn/transformer.cpp (and Hugging Face's modelling code) exactly:
  GPT-2: wte + wpe, pre-LN blocks (LayerNorm eps 1e-5), fused c_attn (3C, C)
         laid out as nn.Linear (q | k | v along the output), causal softmax
         attention with scale 1/sqrt(D), c_proj, GELU (tanh) MLP, ln_f, LM head
         tied to wte.
  Llama: RMSNorm (eps from the config), q/k/v/o without bias, RoPE with HF's
         rotate-half on (B, H, T, D) at positions 0..T-1, grouped-query
         attention (kv head of query head h is h // (H / Hkv), i.e.
         repeat_interleave), SwiGLU MLP (down(silu(gate) * up)), final norm,
         untied lm_head.
It draws initial weights (fp32, fixed seed; norms and biases random too so every
gradient path is exercised) and 10 batches of token ids with targets (some
targets are -100 = ignored), then records
  - the loss and every parameter gradient at the initial weights (batch 0);
  - 10 training steps: loss, global grad norm (before clipping), lr, with
    gradient clipping at MAX_NORM (it triggers on every step), AdamW
    (betas 0.9/0.95, eps 1e-8, weight decay 0.1 on the 2-D non-embedding
    weights, 0 elsewhere; the names that decay are in the metadata), and a
    schedule of 3 warmup steps then cosine to min_lr over 10 steps (forge's
    optim::make_schedule("cosine") convention: lr for 0-based step s is
    lr*(s+1)/warmup during warmup);
  - the final weights and the loss on batch 0 after the last step.

Precision: the initial weights and batches are fp32 values, but the reference
itself is computed in float64 (weights converted exactly from fp32) and only
rounded to fp32 when written. The golden values are therefore the exact
answers for those inputs up to fp32 rounding (~6e-8 relative), and forge's
fp32 result is measured against the truth rather than against a second fp32
computation with its own summation-order noise. `--check-f32` reruns the
reference in fp32 and prints how far torch's own fp32 result lies from the
float64 one (the noise floor an fp32 implementation cannot beat).

Run with Debian's Python (it has torch):  /usr/bin/python3 scripts/make_model_golden.py
Deterministic for a given torch version; commit the output with this script.

Output: tests/data/model_golden/{gpt2,llama}.bin in the golden format of
scripts/make_golden.py (read by tests/autograd/golden_reader.h). Tensors:
  init.<name>, grad.<name>, final.<name>  for every parameter (HF name)
  ids, targets     (S, B, T) i64, batch s is used by step s
  loss             ()  loss at the initial weights on batch 0
  losses, grad_norms, lrs   (S,) per step
  final_loss       ()  loss on batch 0 after the last update
Metadata: preset, model config, optimizer/schedule settings, params (every
parameter name, in forge's order), decay_params (those with weight decay).
"""
import argparse
import math
import os
import struct

import torch
import torch.nn.functional as F

OUT_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "model_golden"))
DTYPE_CODES = {torch.float32: 0, torch.int64: 1, torch.uint8: 2}

# nn/config.cpp presets (keep in sync).
PRESETS = {
    "gpt2-test": dict(family="gpt2", n_layer=2, n_head=2, n_kv_head=2, n_embd=32, vocab_size=64, block_size=16,
                      ffn_hidden=128, norm_eps=1e-5, rope_theta=10000.0, tie_embeddings=True),
    "llama-test": dict(family="llama", n_layer=2, n_head=4, n_kv_head=2, n_embd=32, vocab_size=64, block_size=16,
                       ffn_hidden=64, norm_eps=1e-5, rope_theta=10000.0, tie_embeddings=False),
}

STEPS = 10
BATCH, SEQ = 2, 16
LR, MIN_LR, WARMUP = 3e-3, 3e-4, 3
BETAS, EPS, WEIGHT_DECAY = (0.9, 0.95), 1e-8, 0.1
MAX_NORM = 0.1


# ---- parameters ---------------------------------------------------------------------

def param_shapes(c):
    """(name, shape, kind) in forge's registration order; kind picks the init."""
    C, V, F_ = c["n_embd"], c["vocab_size"], c["ffn_hidden"]
    D = C // c["n_head"]
    out = []
    if c["family"] == "gpt2":
        out += [("transformer.wte.weight", (V, C), "emb"), ("transformer.wpe.weight", (c["block_size"], C), "emb")]
        for i in range(c["n_layer"]):
            p = f"transformer.h.{i}."
            out += [(p + "ln_1.weight", (C,), "norm"), (p + "ln_1.bias", (C,), "bias"),
                    (p + "attn.c_attn.weight", (3 * C, C), "w"), (p + "attn.c_attn.bias", (3 * C,), "bias"),
                    (p + "attn.c_proj.weight", (C, C), "wres"), (p + "attn.c_proj.bias", (C,), "bias"),
                    (p + "ln_2.weight", (C,), "norm"), (p + "ln_2.bias", (C,), "bias"),
                    (p + "mlp.c_fc.weight", (F_, C), "w"), (p + "mlp.c_fc.bias", (F_,), "bias"),
                    (p + "mlp.c_proj.weight", (C, F_), "wres"), (p + "mlp.c_proj.bias", (C,), "bias")]
        out += [("transformer.ln_f.weight", (C,), "norm"), ("transformer.ln_f.bias", (C,), "bias")]
    else:
        H, Hkv = c["n_head"], c["n_kv_head"]
        out += [("model.embed_tokens.weight", (V, C), "emb")]
        for i in range(c["n_layer"]):
            p = f"model.layers.{i}."
            out += [(p + "input_layernorm.weight", (C,), "norm"),
                    (p + "self_attn.q_proj.weight", (H * D, C), "w"), (p + "self_attn.k_proj.weight", (Hkv * D, C), "w"),
                    (p + "self_attn.v_proj.weight", (Hkv * D, C), "w"), (p + "self_attn.o_proj.weight", (C, H * D), "wres"),
                    (p + "post_attention_layernorm.weight", (C,), "norm"),
                    (p + "mlp.gate_proj.weight", (F_, C), "w"), (p + "mlp.up_proj.weight", (F_, C), "w"),
                    (p + "mlp.down_proj.weight", (C, F_), "wres")]
        out += [("model.norm.weight", (C,), "norm"), ("lm_head.weight", (V, C), "w")]
    return out


def init_params(c, gen):
    res_std = 0.02 / math.sqrt(2 * c["n_layer"])
    params = {}
    for name, shape, kind in param_shapes(c):
        z = torch.randn(shape, generator=gen, dtype=torch.float32)
        params[name] = {"emb": 0.02 * z, "w": 0.02 * z, "wres": res_std * z, "norm": 1.0 + 0.1 * z,
                        "bias": 0.02 * z}[kind]
    return params


def decays(name, shape):
    """AdamW weight decay on 2-D matmul weights, not on embeddings, norms or biases."""
    return len(shape) == 2 and not any(e in name for e in ("wte", "wpe", "embed_tokens"))


# ---- models -------------------------------------------------------------------------

def linear(x, w, b=None):
    return F.linear(x, w, b)  # w: (out, in)


def causal_attention(q, k, v):
    # q: (B, H, T, D); k, v: (B, Hkv, T, D)
    hq, hkv, t, d = q.shape[1], k.shape[1], q.shape[2], q.shape[3]
    k = k.repeat_interleave(hq // hkv, dim=1)
    v = v.repeat_interleave(hq // hkv, dim=1)
    s = (q @ k.transpose(-2, -1)) / math.sqrt(d)
    mask = torch.tril(torch.ones(t, t, dtype=torch.bool))
    s = s.masked_fill(~mask, float("-inf"))
    return torch.softmax(s, dim=-1) @ v  # (B, H, T, D)


def split_heads(x, heads):
    b, t, _ = x.shape
    return x.view(b, t, heads, -1).transpose(1, 2)


def merge_heads(y):
    b, h, t, d = y.shape
    return y.transpose(1, 2).reshape(b, t, h * d)


def rms_norm(x, w, eps):
    return x * torch.rsqrt((x * x).mean(dim=-1, keepdim=True) + eps) * w


def rope(x, theta):
    # x: (B, H, T, D); Hugging Face Llama: emb = cat(freqs, freqs); x cos + rotate_half(x) sin.
    d, t = x.shape[-1], x.shape[-2]
    inv_freq = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    freqs = torch.arange(t, dtype=torch.float64)[:, None] * inv_freq  # (T, D/2)
    emb = torch.cat([freqs, freqs], dim=-1)
    cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return x * cos + torch.cat([-x2, x1], dim=-1) * sin


def gpt2_forward(c, p, ids):
    B, T = ids.shape
    C, H = c["n_embd"], c["n_head"]
    x = F.embedding(ids, p["transformer.wte.weight"]) + p["transformer.wpe.weight"][:T]
    for i in range(c["n_layer"]):
        pre = f"transformer.h.{i}."
        h = F.layer_norm(x, (C,), p[pre + "ln_1.weight"], p[pre + "ln_1.bias"], c["norm_eps"])
        qkv = linear(h, p[pre + "attn.c_attn.weight"], p[pre + "attn.c_attn.bias"])
        q, k, v = (split_heads(t, H) for t in qkv.split(C, dim=2))
        y = merge_heads(causal_attention(q, k, v))
        x = x + linear(y, p[pre + "attn.c_proj.weight"], p[pre + "attn.c_proj.bias"])
        h = F.layer_norm(x, (C,), p[pre + "ln_2.weight"], p[pre + "ln_2.bias"], c["norm_eps"])
        h = F.gelu(linear(h, p[pre + "mlp.c_fc.weight"], p[pre + "mlp.c_fc.bias"]), approximate="tanh")
        x = x + linear(h, p[pre + "mlp.c_proj.weight"], p[pre + "mlp.c_proj.bias"])
    x = F.layer_norm(x, (C,), p["transformer.ln_f.weight"], p["transformer.ln_f.bias"], c["norm_eps"])
    return linear(x, p["transformer.wte.weight"])  # tied head


def llama_forward(c, p, ids):
    H, Hkv, eps, theta = c["n_head"], c["n_kv_head"], c["norm_eps"], c["rope_theta"]
    x = F.embedding(ids, p["model.embed_tokens.weight"])
    for i in range(c["n_layer"]):
        pre = f"model.layers.{i}."
        h = rms_norm(x, p[pre + "input_layernorm.weight"], eps)
        q = rope(split_heads(linear(h, p[pre + "self_attn.q_proj.weight"]), H), theta)
        k = rope(split_heads(linear(h, p[pre + "self_attn.k_proj.weight"]), Hkv), theta)
        v = split_heads(linear(h, p[pre + "self_attn.v_proj.weight"]), Hkv)
        x = x + linear(merge_heads(causal_attention(q, k, v)), p[pre + "self_attn.o_proj.weight"])
        h = rms_norm(x, p[pre + "post_attention_layernorm.weight"], eps)
        g = F.silu(linear(h, p[pre + "mlp.gate_proj.weight"])) * linear(h, p[pre + "mlp.up_proj.weight"])
        x = x + linear(g, p[pre + "mlp.down_proj.weight"])
    x = rms_norm(x, p["model.norm.weight"], eps)
    return linear(x, p["lm_head.weight"])


def loss_fn(c, p, ids, targets):
    fwd = gpt2_forward if c["family"] == "gpt2" else llama_forward
    logits = fwd(c, p, ids)  # (B, T, V)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)


def schedule(s):
    """forge's optim::make_schedule("cosine", {lr, min_lr, warmup, total=STEPS}) at 0-based step s."""
    if s < WARMUP:
        return LR * (s + 1) / WARMUP
    prog = min(1.0, max(0.0, (s - WARMUP) / (STEPS - WARMUP)))
    return MIN_LR + 0.5 * (LR - MIN_LR) * (1.0 + math.cos(math.pi * prog))


# ---- one run ------------------------------------------------------------------------

def make_batches(c, gen):
    V = c["vocab_size"]
    ids = torch.randint(0, V, (STEPS, BATCH, SEQ), generator=gen, dtype=torch.int64)
    # Next-token targets within each sequence; the last position and a few random ones are ignored.
    targets = torch.full_like(ids, -100)
    targets[..., :-1] = ids[..., 1:]
    ignore = torch.rand(STEPS, BATCH, SEQ, generator=gen) < 0.1
    targets[ignore] = -100
    targets[0, 0, 3] = -100  # batch 0 (the gradient check) always has an inner ignored target
    return ids, targets


def run(c, init, ids, targets, dtype):
    names = list(init.keys())
    p = {n: init[n].to(dtype).clone().requires_grad_(True) for n in names}
    decay = [p[n] for n in names if decays(n, init[n].shape)]
    no_decay = [p[n] for n in names if not decays(n, init[n].shape)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WEIGHT_DECAY},
                             {"params": no_decay, "weight_decay": 0.0}], lr=LR, betas=BETAS, eps=EPS)
    loss0 = loss_fn(c, p, ids[0], targets[0])
    loss0.backward()
    grads = {n: p[n].grad.detach().clone() for n in names}
    losses, norms, lrs = [], [], []
    for s in range(STEPS):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(c, p, ids[s], targets[s])
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(list(p.values()), MAX_NORM)
        lr = schedule(s)
        for g in opt.param_groups:
            g["lr"] = lr
        opt.step()
        losses.append(loss.item())
        norms.append(norm.item())
        lrs.append(lr)
    with torch.no_grad():
        final_loss = loss_fn(c, p, ids[0], targets[0]).item()
    return dict(loss=loss0.item(), grads=grads, losses=losses, norms=norms, lrs=lrs,
                final={n: p[n].detach().clone() for n in names}, final_loss=final_loss)


# ---- writing ------------------------------------------------------------------------

def write_golden(path, meta, tensors):
    blob = bytearray(b"FGLD" + struct.pack("<I", 1))
    meta_bytes = "\n".join(f"{k}={v!r}" if isinstance(v, float) else f"{k}={v}" for k, v in meta.items()).encode()
    blob += struct.pack("<I", len(meta_bytes)) + meta_bytes
    blob += struct.pack("<I", len(tensors))
    for tname, t in tensors:
        t = t.detach().contiguous()
        if t.is_floating_point():
            t = t.to(torch.float32)
            assert torch.isfinite(t).all(), tname
        nb = tname.encode()
        blob += struct.pack("<I", len(nb)) + nb
        blob += struct.pack("<BI", DTYPE_CODES[t.dtype], t.dim())
        blob += struct.pack(f"<{t.dim()}q", *t.shape)
        blob += t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()
    with open(path, "wb") as f:
        f.write(blob)
    return len(blob)


def rel_dev(a, b):
    return ((a.double() - b.double()).abs().max() / b.double().abs().max()).item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check-f32", action="store_true",
                    help="also run in fp32 and print its deviation from the float64 reference")
    args = ap.parse_args()
    os.makedirs(OUT_DIR, exist_ok=True)
    for seed, (preset, c) in enumerate(PRESETS.items()):
        gen = torch.Generator().manual_seed(1234 + seed)
        init = init_params(c, gen)
        ids, targets = make_batches(c, gen)
        ref = run(c, init, ids, targets, torch.float64)
        assert all(n > MAX_NORM * 1.5 for n in ref["norms"]), ("clipping must trigger on every step", ref["norms"])
        names = list(init.keys())
        meta = dict(torch=torch.__version__, preset=preset, reference_dtype="float64", steps=STEPS, batch=BATCH,
                    seq=SEQ, lr=LR, min_lr=MIN_LR, warmup_steps=WARMUP, schedule="cosine", beta1=BETAS[0],
                    beta2=BETAS[1], eps=EPS, weight_decay=WEIGHT_DECAY, max_norm=MAX_NORM,
                    params=",".join(names), decay_params=",".join(n for n in names if decays(n, init[n].shape)), **c)
        tensors = [("init." + n, init[n]) for n in names]
        tensors += [("ids", ids), ("targets", targets), ("loss", torch.tensor(ref["loss"]))]
        tensors += [("grad." + n, ref["grads"][n]) for n in names]
        tensors += [("losses", torch.tensor(ref["losses"])), ("grad_norms", torch.tensor(ref["norms"])),
                    ("lrs", torch.tensor(ref["lrs"])), ("final_loss", torch.tensor(ref["final_loss"]))]
        tensors += [("final." + n, ref["final"][n]) for n in names]
        path = os.path.join(OUT_DIR, c["family"] + ".bin")
        size = write_golden(path, meta, tensors)
        print(f"{preset}: {sum(t.numel() for t in init.values())} parameters, loss {ref['loss']:.6f}, "
              f"losses {' '.join(f'{l:.5f}' for l in ref['losses'])}, final {ref['final_loss']:.5f}, "
              f"grad norms {min(ref['norms']):.3f}..{max(ref['norms']):.3f} -> {path} ({size} bytes)")
        if args.check_f32:
            f32 = run(c, init, ids, targets, torch.float32)
            g = max(rel_dev(f32["grads"][n], ref["grads"][n]) for n in names)
            w = max(rel_dev(f32["final"][n], ref["final"][n]) for n in names)
            lo = max(abs(a - b) / abs(b) for a, b in zip(f32["losses"] + [f32["final_loss"]],
                                                         ref["losses"] + [ref["final_loss"]]))
            print(f"  torch fp32 vs float64: loss rel {abs(f32['loss'] - ref['loss']) / ref['loss']:.2e}, "
                  f"grads max|d|/max|ref| per tensor {g:.2e}, losses rel {lo:.2e}, final weights {w:.2e}")


if __name__ == "__main__":
    main()
