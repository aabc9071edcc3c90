#!/usr/bin/env python3
"""Generates a multi-GB text corpus from the default corpus (fortunes.txt) for
bench/run_data.sh: documents of 1-3 random fortunes, each word kept, swapped
for a random word of the corpus (5%) or followed by a random number (2%), so
the text is English-like but not a repetition the tokenizer cache could
memorise whole. Half the files are text with '%' separator lines, half JSONL
({"text": ...}); one of each kind is then compressed (.zst, .gz) by the caller.

usage: make_big_corpus.py FORTUNES.txt OUT_DIR GIGABYTES [FILES]
"""
import json
import os
import random
import sys


def main():
    src, out_dir, gigabytes = sys.argv[1], sys.argv[2], float(sys.argv[3])
    files = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    with open(src, encoding="utf-8", errors="replace") as f:
        docs = [d.strip("\n") for d in f.read().split("\n%\n") if d.strip()]
    words = sorted({w for d in docs for w in d.split()})
    rng = random.Random(1234)
    os.makedirs(out_dir, exist_ok=True)
    per_file = int(gigabytes * 1e9 / files)
    for i in range(files):
        jsonl = i % 2 == 1
        path = os.path.join(out_dir, "part_%02d.%s" % (i, "jsonl" if jsonl else "txt"))
        written = 0
        with open(path, "w", encoding="utf-8") as out:
            while written < per_file:
                text = "\n\n".join(rng.choice(docs) for _ in range(rng.randint(1, 3)))
                pieces = []
                for w in text.split(" "):
                    r = rng.random()
                    if r < 0.05:
                        w = rng.choice(words)
                    elif r < 0.07:
                        w = "%s %d" % (w, rng.randint(0, 99999))
                    pieces.append(w)
                text = " ".join(pieces)
                line = json.dumps({"text": text}) + "\n" if jsonl else text + "\n%\n"
                out.write(line)
                written += len(line)
        print("make_big_corpus: wrote %s (%.0f MB)" % (path, os.path.getsize(path) / 1e6), flush=True)


if __name__ == "__main__":
    main()
