#!/usr/bin/env python3
"""Synthetic instruction data with exact answers, for supervised fine-tuning.

Four tasks, each answer a pure function of its prompt:
  reverse  "Reverse the letters: c a t"                      -> "t a c"
  sort     "Sort the numbers: 7 2 9"                          -> "2 7 9"
  add      "What is 3 + 5?"  (also "-" with a non-negative result) -> "8"
  field    "Record: name=ann; city=oslo; pet=cat. What is the city?" -> "oslo"
Letters and numbers are space-separated so that each is its own token.

Writes OUT/train.jsonl and OUT/heldout.jsonl in the two formats
`forge prepare --sft` reads: half the lines {"messages": [...]} (some with a
system message), half {"prompt": ..., "response": ...}. No held-out prompt
appears in the training set. Plain python3; deterministic for a given --seed.

usage: python3 scripts/make_sft_data.py --out data/sft [--train 6000] [--heldout 200]
       [--seed 0] [--tasks reverse,sort,add,field]
"""
import argparse
import json
import os
import random
import sys

LETTERS = "abcdefghijklmnopqrstuvwxyz"
NAMES = ["ann", "bob", "eve", "max", "liz", "tom", "sam", "kim", "joe", "amy", "ben", "zoe"]
CITIES = ["oslo", "rome", "lima", "kiev", "bern", "doha", "riga", "baku", "nice", "york", "cork", "kobe"]
PETS = ["cat", "dog", "owl", "fox", "cow", "pig", "eel", "bee", "ant", "yak", "emu", "elk"]
COLORS = ["red", "blue", "gray", "pink", "gold", "teal", "navy", "lime", "rose", "jade", "plum", "sand"]
FIELDS = {"name": NAMES, "city": CITIES, "pet": PETS, "color": COLORS}
SYSTEM = "You answer with the exact result only."


def reverse_task(rng):
    word = [rng.choice(LETTERS) for _ in range(rng.randint(3, 5))]
    return "Reverse the letters: " + " ".join(word), " ".join(reversed(word))


def sort_task(rng):
    nums = [rng.randint(0, 9) for _ in range(rng.randint(3, 5))]
    return "Sort the numbers: " + " ".join(map(str, nums)), " ".join(map(str, sorted(nums)))


def add_task(rng):
    a, b = rng.randint(0, 40), rng.randint(0, 40)
    if rng.random() < 0.5:
        return f"What is {a} + {b}?", str(a + b)
    a, b = max(a, b), min(a, b)
    return f"What is {a} - {b}?", str(a - b)


def field_task(rng):
    keys = rng.sample(sorted(FIELDS), 3)
    record = {k: rng.choice(FIELDS[k]) for k in keys}
    asked = rng.choice(keys)
    text = "; ".join(f"{k}={v}" for k, v in record.items())
    return f"Record: {text}. What is the {asked}?", record[asked]


TASKS = {"reverse": reverse_task, "sort": sort_task, "add": add_task, "field": field_task}


def as_line(prompt, answer, rng):
    """One JSONL line, in one of the two formats (chosen at random)."""
    if rng.random() < 0.5:
        return {"prompt": prompt, "response": answer}
    messages = []
    if rng.random() < 0.5:
        messages.append({"role": "system", "content": SYSTEM})
    messages += [{"role": "user", "content": prompt}, {"role": "assistant", "content": answer}]
    return {"messages": messages}


def generate(tasks, count, rng, exclude):
    """`count` examples cycling through `tasks`, none of whose prompts is in `exclude`."""
    out, seen, attempts = [], set(exclude), 0
    while len(out) < count:
        attempts += 1
        if attempts > 100 * count + 1000:
            sys.exit(f"make_sft_data.py: cannot find {count} distinct prompts for tasks {tasks}")
        prompt, answer = TASKS[tasks[len(out) % len(tasks)]](rng)
        if prompt in seen:
            continue
        seen.add(prompt)
        out.append((prompt, answer))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--train", type=int, default=6000)
    p.add_argument("--heldout", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tasks", default="reverse,sort,add,field")
    a = p.parse_args()
    tasks = a.tasks.split(",")
    unknown = [t for t in tasks if t not in TASKS]
    if unknown or a.train < 1 or a.heldout < 1:
        sys.exit(f"make_sft_data.py: unknown tasks {unknown} (known: {','.join(TASKS)}) or counts < 1")
    rng = random.Random(a.seed)
    heldout = generate(tasks, a.heldout, rng, set())
    train = generate(tasks, a.train, rng, {q for q, _ in heldout})
    os.makedirs(a.out, exist_ok=True)
    for name, rows in (("train", train), ("heldout", heldout)):
        path = os.path.join(a.out, name + ".jsonl")
        with open(path + ".tmp", "w") as f:
            for prompt, answer in rows:
                f.write(json.dumps(as_line(prompt, answer, rng)) + "\n")
        os.replace(path + ".tmp", path)
    print(f"wrote {len(train)} train and {len(heldout)} held-out examples ({','.join(tasks)}) to {a.out}")


if __name__ == "__main__":
    main()
