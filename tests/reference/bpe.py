#!/usr/bin/env python3
"""The book's BPE from scratch (`BPETokenizerSimple`, ch02/05_bpe-from-scratch), run live.

The book's notebook may not be copied into this project, so this script executes the notebook's own
class from its path at run time (default: ../shared/reference/book/bpe-from-scratch.ipynb, the book's
repository at commit 28c65cd; `--notebook PATH` picks another copy). Only the code cell that defines
`BPETokenizerSimple` runs: the notebook's other cells download files and train for seconds.

Commands (each prints one JSON object with a `torch_version` key, as every reference script here):

    bpe.py expected [--write tests/reference/bpe-expected.json]
        Every case the Rust tests check (training on several texts, encode/decode, errors, the saved
        files' exact text, OpenAI's GPT-2 files against tiktoken, Python's white space). The committed
        tests/reference/bpe-expected.json is this output: `cargo test --test bpe` checks the Rust side
        against it (fast, no Python), and checks once more, live, that this script still prints exactly
        it (so the committed values are the book's code's output and nobody's typing).
    bpe.py train --text PATH --vocab-size N [--allowed-special T]... [--out DIR]
        The book's train on a file read as the book reads it; the vocabulary and merges; with --out,
        saves the book's two files there.
    bpe.py load --dir DIR [--openai] --text TEXT [--allowed-special T]...
        Loads the book's files (or OpenAI's with --openai) from DIR and encodes TEXT; decodes the ids.

Why both a live run and a committed file: the live run is the parity (the book's code, now); the
committed file makes the Rust tests fast and lets them name the exact case that differs.
"""

import argparse
import io
import json
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chapter2 import gpt2_tokenizer  # noqa: E402  (tiktoken r50k_base, offline)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_NOTEBOOK = REPO / ".." / "shared" / "reference" / "book" / "bpe-from-scratch.ipynb"
VERDICT = REPO / "data" / "the-verdict.txt"
GPT2_DIR = REPO / "data" / "gpt2"


def load_book_class(notebook):
    """BPETokenizerSimple, from the code cell of the book's notebook that defines it."""
    path = Path(notebook)
    if not path.is_file():
        print(f"the book's notebook is not at {path} (pass --notebook PATH)", file=sys.stderr)
        sys.exit(2)
    nb = nbformat.read(io.open(path, encoding="utf-8"), as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "code" and "class BPETokenizerSimple" in c.source]
    if len(cells) != 1:
        print(f"{path}: expected one cell defining BPETokenizerSimple, found {len(cells)}", file=sys.stderr)
        sys.exit(2)
    namespace = {"__name__": "bpe_from_scratch"}
    exec(compile(cells[0], str(path), "exec"), namespace)
    return namespace["BPETokenizerSimple"]


def read_text(path):
    """As the book reads a text: universal newlines (\\r\\n and \\r become \\n)."""
    with open(path, "r", encoding="utf-8") as f:
        return f.read()


def attempt(fn):
    """{"ok": value} or {"error": "ValueError: message"}: the book's errors are part of its behaviour."""
    try:
        return {"ok": fn()}
    except Exception as e:  # noqa: BLE001
        return {"error": f"{type(e).__name__}: {e}"}


def generated_text(seed, length, alphabet):
    """A reproducible text that stresses ties: few symbols, many equally frequent pairs."""
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


# Texts with different characters; "allowed" is passed to train as a list (the order the specials get
# their ids: a Python set has no defined order for more than one token).
TRAINING_CASES = [
    {"name": "verdict_1000", "text_file": "data/the-verdict.txt", "vocab_size": 1000, "allowed": ["<|endoftext|>"]},
    {
        "name": "non_ascii_400",
        "text": "Café, naïve façade — “quotes” … 東京 and 東京タワー; Ünïcödé Straße Ærø Élan.\n"
        "El niño comió piñata; déjà vu, déjà vu! Ελληνικά και ελληνικά. Привет, привет мир.\n" * 3,
        "vocab_size": 400,
        "allowed": ["<|endoftext|>"],
    },
    {
        "name": "crlf_spaces_special_330",
        "text": "Hello  world\r\n\tTabbed line\r\n  two leading spaces   three trailing   \r\n"
        "a<|endoftext|>b <|endoftext|> c\r\rlone returns\nand\u00a0no-break\u2003em space\r\n" * 4,
        "vocab_size": 330,
        "allowed": ["<|endoftext|>"],
    },
    {"name": "runs_out_of_pairs", "text": "the cat in the hat", "vocab_size": 1000, "allowed": ["<|endoftext|>"]},
    {"name": "smaller_than_alphabet", "text": "no merges at all", "vocab_size": 100, "allowed": ["<|endoftext|>"]},
    {
        "name": "two_specials_in_order",
        "text": "<|pad|>one<|endoftext|>two <|pad|> three<|endoftext|>",
        "vocab_size": 300,
        "allowed": ["<|pad|>", "<|endoftext|>"],
    },
    {"name": "no_specials", "text": "aaa aaaa aaaaa ab ab ba", "vocab_size": 280, "allowed": []},
    {"name": "ties_ab", "text": generated_text(1, 3000, "ab  "), "vocab_size": 420, "allowed": ["<|endoftext|>"]},
    {"name": "ties_abc_newlines", "text": generated_text(2, 4000, "abc \n"), "vocab_size": 600, "allowed": []},
]

# What each trained tokenizer encodes (with the book's default allowed_special=None, and allowed).
PROBES = [
    ["Jack embraced beauty through art and life.", None],
    ["Jack embraced beauty through art and life.<|endoftext|> ", ["<|endoftext|>"]],
    ["Jack embraced beauty through art and life.<|endoftext|> ", None],
    ["This is some text.", None],
    ["This is some text with \n newline characters.", None],
    ["  Hello World.  ", None],
    ["a\r\nb\rc\n", None],
    ["Café 東京", None],
    ["ÆÉ", None],
    ["<|pad|> and <|endoftext|>", ["<|pad|>", "<|endoftext|>"]],
    ["<|pad|> and <|endoftext|>", ["<|endoftext|>"]],
    ["tab\there", None],
    ["", None],
    ["x", None],
]

OPENAI_TEXTS = [
    "Hello,",
    "Implementations",
    "asdf asdfasdf a!!, @aba 9asdf90asdfk",
    "Hello, world. Is this-- a test?",
    "This is some text",
    "a\nb",
    "a\n\nb",
    "\nHello",
    "Hello\n",
    "a\r\nb",
    "Hello \nworld",
    "Hello\n world",
    "  Hello World.",
    "Hello<|endoftext|>\nworld",
    "Jack embraced beauty through art and life.",
    "It's the cat's hat; they're here.",
    "tab\tseparated\ttext",
    "café naïve",
    "東京",
    "x",
    "",
    "   ",
    "The year 2024: 3.14159 and 1,000,000!",
]


def training_case(cls, case, with_files):
    text = read_text(REPO / case["text_file"]) if "text_file" in case else case["text"]
    tok = cls()
    allowed = case["allowed"]
    tok.train(text, vocab_size=case["vocab_size"], allowed_special=set(allowed) if len(allowed) == 1 else allowed)
    out = {
        "name": case["name"],
        "vocab_size": case["vocab_size"],
        "allowed": allowed,
        "len_vocab": len(tok.vocab),
        "vocab": [[i, s] for i, s in tok.vocab.items()] if not with_files else None,
        "merges": [[a, b, n] for (a, b), n in tok.bpe_merges.items()],
        "probes": [],
    }
    if "text_file" in case:
        out["text_file"] = case["text_file"]
    else:
        out["text"] = text
    for probe, probe_allowed in PROBES:
        enc = attempt(lambda: tok.encode(probe, allowed_special=None if probe_allowed is None else set(probe_allowed)))
        entry = {"text": probe, "allowed": probe_allowed, "encode": enc}
        if "ok" in enc:
            entry["decode"] = attempt(lambda: tok.decode(enc["ok"]))
            entry["pieces"] = [tok.decode([i]) for i in enc["ok"]]
        out["probes"].append(entry)
    out["decode_unknown"] = attempt(lambda: tok.decode([len(tok.vocab) + 5]))
    if with_files:
        with tempfile.TemporaryDirectory() as d:
            tok.save_vocab_and_merges(vocab_path=f"{d}/vocab.json", bpe_merges_path=f"{d}/bpe_merges.txt")
            out["vocab_json"] = Path(f"{d}/vocab.json").read_text(encoding="utf-8")
            out["merges_json"] = Path(f"{d}/bpe_merges.txt").read_text(encoding="utf-8")
            tok2 = cls()
            tok2.load_vocab_and_merges(vocab_path=f"{d}/vocab.json", bpe_merges_path=f"{d}/bpe_merges.txt")
            out["reloaded_encode"] = attempt(lambda: tok2.encode(PROBES[0][0]))
    return out


def openai_cases(cls):
    tok = cls()
    tok.load_vocab_and_merges_from_openai(
        vocab_path=str(GPT2_DIR / "encoder.json"), bpe_merges_path=str(GPT2_DIR / "vocab.bpe")
    )
    tik = gpt2_tokenizer()
    cases = []
    for text in OPENAI_TEXTS:
        for allowed in (None, ["<|endoftext|>"]):
            enc = attempt(lambda: tok.encode(text, allowed_special=None if allowed is None else set(allowed)))
            tik_allowed = set() if allowed is None else set(allowed)
            tik_ids = attempt(lambda: tik.encode(text, allowed_special=tik_allowed))
            entry = {"text": text, "allowed": allowed, "encode": enc, "tiktoken": tik_ids}
            if "ok" in enc:
                entry["decode"] = attempt(lambda: tok.decode(enc["ok"]))
                entry["pieces"] = [tok.decode([i]) for i in enc["ok"]]
            cases.append(entry)
    return {
        "len_vocab": len(tok.vocab),
        "num_ranks": len(tok.bpe_ranks),
        "inverse_newline": tok.inverse_vocab["\n"],
        "inverse_cr": tok.inverse_vocab["\r"],
        "cases": cases,
        "decode_unknown": attempt(lambda: tok.decode([50257])),
    }


def expected(cls):
    return {
        # Python's \s in a str pattern (what the book's pre-tokenizer splits on).
        "python_whitespace": [c for c in range(0x110000) if re.match(r"\s", chr(c))],
        "pretokenize": {
            t: cls.pretokenize_text(t)
            for t in ["", "a", "  Hello World.", "a \t b", "Hello \nworld", "x\r\r\n\ny  ", "a\u00a0b\u001cc", " \t "]
        },
        # The saved files' text for the small cases (the verdict's: its vocabulary and merges).
        "training": [training_case(cls, case, with_files="text_file" not in case) for case in TRAINING_CASES],
        "openai": openai_cases(cls),
    }


def dump_lines(value, depth=0):
    """JSON with one line per key and per list element down to two levels: diffs stay readable."""
    if depth < 2 and isinstance(value, dict) and value:
        inner = ",\n".join(f"{json.dumps(k, ensure_ascii=False)}: {dump_lines(v, depth + 1)}" for k, v in value.items())
        return "{\n" + inner + "\n}"
    if depth < 2 and isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "[\n" + ",\n".join(dump_lines(v, depth + 1) for v in value) + "\n]"
    return json.dumps(value, ensure_ascii=False)


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        print(f"bpe.py: error: {message}", file=sys.stderr)
        sys.exit(1)


def main():
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", default=str(DEFAULT_NOTEBOOK))
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("expected")
    p.add_argument("--write")
    p = sub.add_parser("train")
    p.add_argument("--text", required=True)
    p.add_argument("--vocab-size", type=int, required=True)
    p.add_argument("--allowed-special", action="append")
    p.add_argument("--out")
    p = sub.add_parser("load")
    p.add_argument("--dir", required=True)
    p.add_argument("--openai", action="store_true")
    p.add_argument("--text", required=True)
    p.add_argument("--allowed-special", action="append")
    args = parser.parse_args()
    cls = load_book_class(args.notebook)

    if args.command == "expected":
        result = expected(cls)
        if args.write:
            Path(args.write).write_text(dump_lines(result) + "\n", encoding="utf-8")
    elif args.command == "train":
        text = read_text(args.text)
        allowed = ["<|endoftext|>"] if args.allowed_special is None else args.allowed_special
        tok = cls()
        start = time.perf_counter()
        tok.train(text, vocab_size=args.vocab_size, allowed_special=allowed)
        seconds = time.perf_counter() - start
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            tok.save_vocab_and_merges(vocab_path=f"{args.out}/vocab.json", bpe_merges_path=f"{args.out}/bpe_merges.txt")
        result = {
            "len_vocab": len(tok.vocab),
            "merges": [[a, b, n] for (a, b), n in tok.bpe_merges.items()],
            "train_seconds": seconds,
        }
    else:
        tok = cls()
        if args.openai:
            tok.load_vocab_and_merges_from_openai(
                vocab_path=f"{args.dir}/encoder.json", bpe_merges_path=f"{args.dir}/vocab.bpe"
            )
        else:
            tok.load_vocab_and_merges(vocab_path=f"{args.dir}/vocab.json", bpe_merges_path=f"{args.dir}/bpe_merges.txt")
        allowed = None if args.allowed_special is None else set(args.allowed_special)
        enc = attempt(lambda: tok.encode(args.text, allowed_special=allowed))
        result = {"len_vocab": len(tok.vocab), "encode": enc}
        if "ok" in enc:
            result["decode"] = attempt(lambda: tok.decode(enc["ok"]))
    result["torch_version"] = torch.__version__
    json.dump(result, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
