#!/usr/bin/env python3
"""Writes tests/data/tokenizer/gpt2_ids.json: GPT-2 token ids of tricky strings,
computed by Hugging Face's `tokenizers` (pip install tokenizers) from GPT-2's
real vocab.json + merges.txt (scripts/fetch_gpt2_tokenizer.sh puts them in
$FORGE_GPT2_DIR, default ~/.cache/forge/gpt2). forge's TokenizerGpt2 test
checks that it produces the same ids.
Run: python3 scripts/make_tokenizer_golden.py
"""
import json
import os
import pathlib

from tokenizers import Tokenizer, decoders, models, pre_tokenizers

TEXTS = [
    "Hello world",
    "Hello, world! How are you doing today?",
    "I'm here, aren't you? They're, we've, he'll, she'd, it's",
    "'s 't 're 've 'm 'll 'd 'S 'T 'RE''s '''x",
    "  two leading spaces and trailing spaces   ",
    "tabs\tand\t\tmore\ttabs",
    "line one\nline two\n\n\nline after blank lines\n",
    "\r\n windows \r\n line endings",
    "numbers 1 12 123 1234 12345 3.14159 1,000,000 2024-01-01",
    "punctuation!!! ??? ... --- ;;; (parens) [brackets] {braces} <tags> @#$%^&*",
    "mixed123letters456 and_underscores and-dashes",
    "   \n\n   \t  ",
    "",
    " ",
    "a",
    "<|endoftext|>",
    "Before<|endoftext|>After <|endoftext|> spaced",
    "naïve café résumé façade",
    "Ünïcödé Ελληνικά русский текст",
    "日本語のテキスト、中文文本。",
    "emoji 😀👍🏽 and 🇫🇷 flags",
    "Zero\u200bwidth and non\u00a0breaking\u3000spaces",
    "Arabic نص عربي and Hebrew טקסט",
    "Roman Ⅻ numerals, superscript ² and fractions ½ ¾",
    "def f(x):\n    return x ** 2  # comment\n",
    "https://example.com/path?query=1&other=two#frag",
    "The quick brown fox jumps over the lazy dog. " * 3,
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "!" * 150,
]


def main():
    gpt2 = pathlib.Path(os.environ.get("FORGE_GPT2_DIR", pathlib.Path.home() / ".cache/forge/gpt2"))
    tok = Tokenizer(models.BPE.from_file(str(gpt2 / "vocab.json"), str(gpt2 / "merges.txt")))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens(["<|endoftext|>"])
    cases = [{"text": t, "ids": tok.encode(t).ids} for t in TEXTS]
    for c in cases:
        assert tok.decode(c["ids"], skip_special_tokens=False) == c["text"], c["text"]
    assert cases[0]["ids"] == [15496, 995]
    out = pathlib.Path(__file__).resolve().parent.parent / "tests/data/tokenizer/gpt2_ids.json"
    out.write_text("[\n" + ",\n".join(json.dumps(c, ensure_ascii=True) for c in cases) + "\n]\n")
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
