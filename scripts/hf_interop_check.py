#!/usr/bin/env python3
"""Hugging Face `transformers` side of forge's interop tests (tests/e2e/test_hf_transformers.cpp).

Runs in the environment scripts/setup_python_interop.sh creates (Debian's torch
1.13 plus transformers from PyPI). Two subcommands:

  compare --model DIR --logits FILE [--tol T]
      Loads DIR (forge's export: model.safetensors + config.json) with
      AutoModelForCausalLM.from_pretrained, requiring that every weight was
      found and used (no missing, unexpected or mismatched keys), runs the
      `tokens` of FILE (a safetensors file forge wrote: tokens (B, T) and
      logits (B, T, V), both F32) and exits 0 when every logit is within T of
      forge's, 1 otherwise. Prints the largest difference either way.

  make --family gpt2|llama --seed S --out DIR --logits FILE
      Builds a small random GPT2LMHeadModel or LlamaForCausalLM (weights drawn
      large enough that logits are O(1), biases and norm gains non-trivial),
      saves it with save_pretrained (safetensors), and writes random tokens and
      transformers' logits for them to FILE, for forge to import and compare.
      The GPT-2 file is rewritten the way the Hub's gpt2 checkpoint is stored:
      bare GPT2Model names (no `transformer.` prefix) plus the `attn.bias`
      causal-mask buffers.
"""
import argparse
import os
import sys

import numpy as np
import torch
import transformers
from safetensors.numpy import load_file, save_file
from safetensors.torch import load_file as load_torch_file
from safetensors.torch import save_file as save_torch_file
from transformers import AutoModelForCausalLM, GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

BATCH, SEQ = 2, 16


def load_model(folder):
    model, info = AutoModelForCausalLM.from_pretrained(folder, torch_dtype=torch.float32, output_loading_info=True)
    problems = {key: value for key, value in info.items() if value}
    if problems:
        sys.exit(f"transformers did not load every weight of {folder}: {problems}")
    return model.eval()


def logits_of(model, tokens):
    with torch.no_grad():
        return model(torch.from_numpy(tokens.astype(np.int64))).logits.numpy()


def compare(args):
    data = load_file(args.logits)
    forge_logits = data["logits"]
    model = load_model(args.model)
    hf_logits = logits_of(model, data["tokens"])
    if hf_logits.shape != forge_logits.shape:
        print(f"shape mismatch: transformers {hf_logits.shape}, forge {forge_logits.shape}")
        return 1
    diff = float(np.abs(hf_logits - forge_logits).max())
    print(f"{type(model).__name__} (transformers {transformers.__version__}, torch {torch.__version__}): "
          f"logits {hf_logits.shape}, max |logit| {float(np.abs(hf_logits).max()):.4g}, "
          f"std {float(hf_logits.std()):.4g}, max |transformers - forge| {diff:.3g} (tolerance {args.tol:g})")
    return 0 if diff <= args.tol else 1


def randomize(model, gen):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 1 and name.endswith("weight"):  # norm gains
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
            elif p.dim() == 1:  # biases
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(torch.randn(p.shape, generator=gen) / p.shape[-1] ** 0.5 * (3.0 if "wte" in name or "embed" in name else 1.0))


def hub_style_gpt2(folder, n_layer, n_positions):
    path = os.path.join(folder, "model.safetensors")
    state = load_torch_file(path)
    bare = {name[len("transformer."):] if name.startswith("transformer.") else name: t.contiguous().clone()
            for name, t in state.items()}
    mask = torch.tril(torch.ones(n_positions, n_positions)).view(1, 1, n_positions, n_positions)
    for i in range(n_layer):
        bare[f"h.{i}.attn.bias"] = mask.clone()
    save_torch_file(bare, path, metadata={"format": "pt"})


def make(args):
    gen = torch.Generator().manual_seed(args.seed)
    if args.family == "gpt2":
        config = GPT2Config(n_layer=2, n_head=2, n_embd=32, vocab_size=64, n_positions=SEQ,
                            resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
        model = GPT2LMHeadModel(config)
    else:
        config = LlamaConfig(num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, hidden_size=32,
                             intermediate_size=64, vocab_size=64, max_position_embeddings=SEQ, rms_norm_eps=1e-5,
                             rope_theta=10000.0, tie_word_embeddings=False)
        model = LlamaForCausalLM(config)
    randomize(model, gen)
    model.eval()
    model.save_pretrained(args.out, safe_serialization=True)
    if args.family == "gpt2":
        hub_style_gpt2(args.out, config.n_layer, config.n_positions)
    tokens = torch.randint(0, 64, (BATCH, SEQ), generator=gen).numpy()
    logits = logits_of(model, tokens)
    save_file({"tokens": tokens.astype(np.float32), "logits": logits.astype(np.float32)}, args.logits)
    print(f"{type(model).__name__} saved to {args.out}; logits {logits.shape}, max |logit| {float(np.abs(logits).max()):.4g}")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("compare")
    c.add_argument("--model", required=True)
    c.add_argument("--logits", required=True)
    c.add_argument("--tol", type=float, default=1e-4)
    m = sub.add_parser("make")
    m.add_argument("--family", choices=["gpt2", "llama"], required=True)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--out", required=True)
    m.add_argument("--logits", required=True)
    args = parser.parse_args()
    return compare(args) if args.command == "compare" else make(args)


if __name__ == "__main__":
    sys.exit(main())
