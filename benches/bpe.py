#!/usr/bin/env python3
"""`make bench-bpe`: the book's BPE from scratch, trained here and by the book's own Python, and GPT-2
tokenizers compared (the book's bonus 02), side by side in one run. Prints the section
`## Tokenizers` of BENCHMARKS.md (and with --update, writes it there).

    .venv/bin/python benches/bpe.py [--quick] [--update BENCHMARKS.md] [--notebook PATH]

1. Training speed: the-verdict (and the-verdict repeated ten times) at vocabulary 1000, the book's
   `BPETokenizerSimple.train` (run once: seconds to minutes) against ours (`benches/bpe`, release build,
   median of 5 runs timed inside the process); the merges must be identical, or the run fails.
2. Scale: ours on a corpus made at run time from this machine's Python standard library sources
   (every .py file, sorted by path, concatenated, cut at 10^7 characters: many distinct words), at
   several corpus sizes and vocabularies.
3. Tokenizer comparison: on the-verdict and on a 10^6-token prefix of that corpus, the ids of
   tiktoken-rs, Hugging Face `tokenizers` (GPT-2 from encoder.json/vocab.bpe), ours in OpenAI mode and
   the book's Python class in OpenAI mode (the-verdict only: it is slow) are checked against Python
   tiktoken's before any timing; an implementation whose ids differ is reported as differing and not
   ranked. Medians of 5 runs (3 with --quick), each timed inside its own process.
"""

import argparse
import hashlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "reference"))
from bpe import load_book_class, read_text, DEFAULT_NOTEBOOK  # noqa: E402
from chapter2 import gpt2_tokenizer  # noqa: E402

WORK = REPO / "target" / "bench-bpe"
BENCH = REPO / "benches" / "bpe"
BINARY = BENCH / "target" / "release" / "bpe-bench"
VERDICT = REPO / "data" / "the-verdict.txt"
GPT2 = REPO / "data" / "gpt2"


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def build():
    log("building benches/bpe (release)")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--manifest-path", str(BENCH / "Cargo.toml")], check=True)


def rust(*args):
    out = subprocess.run([str(BINARY), *map(str, args)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def stdlib_corpus(chars):
    """Every .py file of this Python's standard library, sorted by path, concatenated, cut at `chars`."""
    path = WORK / f"stdlib-{chars}.txt"
    if path.is_file():
        return path
    root = Path(sysconfig.get_paths()["stdlib"])
    parts, total = [], 0
    for file in sorted(root.rglob("*.py")):
        try:
            text = file.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        parts.append(text)
        total += len(text)
        if total >= chars:
            break
    corpus = "".join(parts)[:chars]
    if len(corpus) < chars:
        raise SystemExit(f"the standard library at {root} has only {len(corpus)} characters")
    WORK.mkdir(parents=True, exist_ok=True)
    path.write_text(corpus, encoding="utf-8", newline="")
    return path


def ids_digest(ids):
    return hashlib.sha256(np.asarray(ids, dtype="<u4").tobytes()).hexdigest()


def fmt_s(s):
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def training_speed(book_cls, runs, quick):
    rows = []
    verdict = read_text(VERDICT)
    cases = [("the-verdict", verdict, 1)] + ([] if quick else [("the-verdict × 10", verdict * 10, 10)])
    for name, text, repeat in cases:
        path = WORK / f"verdict-x{repeat}.txt"
        path.write_text(text, encoding="utf-8", newline="")
        log(f"training: the book's Python on {name} (vocab 1000)")
        book = book_cls()
        start = time.perf_counter()
        book.train(text, vocab_size=1000, allowed_special={"<|endoftext|>"})
        book_s = time.perf_counter() - start
        book_merges = [[a, b, n] for (a, b), n in book.bpe_merges.items()]
        log(f"training: ours on {name}")
        ours = rust("train", "--text", path, "--vocab-size", 1000, "--runs", runs, "--merges")
        if ours["merges"] != book_merges:
            raise SystemExit(f"{name}: our merges differ from the book's: the benchmark stops here")
        rows.append((name, len(text), len(book_merges), book_s, ours["median_s"]))
    return rows


def scale(quick):
    rows = []
    plan = [(10**6, 5000), (10**6, 20000), (10**7, 20000)] if quick else [
        (10**6, 5000), (10**6, 20000), (3 * 10**6, 20000), (10**7, 5000), (10**7, 10000), (10**7, 20000)]
    for chars, vocab in plan:
        log(f"scale: ours on {chars} characters, vocab {vocab}")
        r = rust("train", "--text", stdlib_corpus(chars), "--vocab-size", vocab, "--runs", 1)
        rows.append((chars, vocab, r["num_merges"], r["median_s"]))
    return rows


def compare_tokenizers(book_cls, runs, quick):
    tik = gpt2_tokenizer()
    corpus = read_text(stdlib_corpus(10**7))
    # A prefix of about 10^6 tiktoken tokens.
    n = 4 * 10**6
    count = len(tik.encode_ordinary(corpus[:n]))
    n = int(n * 10**6 / count)
    million = corpus[:n]
    (WORK / "tokens-1e6.txt").write_text(million, encoding="utf-8", newline="")
    texts = [("the-verdict", VERDICT, read_text(VERDICT), True), ("about 10^6 tokens (Python stdlib)", WORK / "tokens-1e6.txt", million, False)]
    if quick:
        texts = texts[:1]
    book = book_cls()
    book.load_vocab_and_merges_from_openai(vocab_path=str(GPT2 / "encoder.json"), bpe_merges_path=str(GPT2 / "vocab.bpe"))
    sections = []
    for name, path, text, with_book in texts:
        log(f"comparison: {name}")
        allowed = {"<|endoftext|>"}
        ref = tik.encode(text, allowed_special=allowed)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            tik.encode(text, allowed_special=allowed)
            times.append(time.perf_counter() - start)
        results = [{"name": "tiktoken (Python)", "num_ids": len(ref), "ids_digest": ids_digest(ref), "median_s": statistics.median(times)}]
        if with_book:
            try:
                start = time.perf_counter()
                ids = book.encode(text, allowed_special=allowed)
                results.append({"name": "the book's BPETokenizerSimple (Python)", "num_ids": len(ids),
                                "ids_digest": ids_digest(ids), "median_s": time.perf_counter() - start, "runs": 1})
            except Exception as e:  # noqa: BLE001
                results.append({"name": "the book's BPETokenizerSimple (Python)", "error": f"{type(e).__name__}: {e}"})
        results += rust("encode", "--text", path, "--gpt2", GPT2, "--runs", runs)["results"]
        book_digest = next((r["ids_digest"] for r in results if r["name"].startswith("the book's") and "error" not in r), None)
        for r in results:
            r["same_ids"] = "error" not in r and r["num_ids"] == len(ref) and r["ids_digest"] == ids_digest(ref)
            r["same_as_book"] = book_digest is not None and r.get("ids_digest") == book_digest
        sections.append((name, len(text), len(ref), results))
    return sections


def markdown(train_rows, scale_rows, sections, runs):
    cpu = platform.processor() or platform.machine()
    load = os.getloadavg()[0]
    out = ["## Tokenizers", "",
           f"`make bench-bpe` (`benches/bpe.py`, Rust side `benches/bpe/`, release build), on this machine: "
           f"{os.cpu_count()} cores ({cpu}), shared (load average {load:.1f} at the end of the run). Rust times are "
           "measured inside the process (no start-up); Python's around the call.", "",
           "### Training: the book's `BPETokenizerSimple.train` and ours (identical merges, checked)", "",
           "| text | characters | merges | the book's Python | ours (median of %d) | ours is faster by |" % runs,
           "|---|---:|---:|---:|---:|---:|"]
    for name, chars, merges, book_s, ours_s in train_rows:
        out.append(f"| {name} | {chars:,} | {merges} | {fmt_s(book_s)} | {fmt_s(ours_s)} | {book_s / ours_s:,.0f}× |")
    out += ["", "### Training at scale (ours): Python standard library sources, vocabulary up to 20,000", "",
            "| characters | vocabulary | merges | time |", "|---:|---:|---:|---:|"]
    for chars, vocab, merges, s in scale_rows:
        out.append(f"| {chars:,} | {vocab:,} | {merges:,} | {fmt_s(s)} |")
    by = {(c, v): t for c, v, _, t in scale_rows}
    if (10**6, 20000) in by and (10**7, 20000) in by:
        out += ["", f"Ten times the text (10^6 -> 10^7 characters, vocabulary 20,000) takes "
                f"{by[(10**7, 20000)] / by[(10**6, 20000)]:.1f}× the time"
                + (f"; four times the merges (5,000 -> 20,000 on 10^7 characters) "
                   f"{by[(10**7, 20000)] / by[(10**7, 5000)]:.1f}× the time." if (10**7, 5000) in by else ".")
                + " Reading and pre-tokenizing the text and the first count of pairs grow with the text; "
                "each merge touches only the occurrences of its pair and their neighbours."]
    out += ["", "### Encoding with GPT-2's vocabulary (the book's bonus 02)", "",
            "Ids are checked against Python tiktoken's first; an implementation whose ids differ is listed, not ranked. "
            "The book's tokenizer works on characters, not bytes (see notebook 6): it differs where the text has "
            "contractions, tabs or non-ASCII characters, and fails on characters outside GPT-2's 256 byte stand-ins. "
            "Hugging Face `tokenizers` is built with its pure-Rust `fancy-regex` backend (no C compiler needed), "
            "not its default Oniguruma.", ""]
    for name, chars, tokens, results in sections:
        out += [f"**{name}** ({chars:,} characters, {tokens:,} tokens)", "",
                "| implementation | ids | median | relative to the fastest |", "|---|---|---:|---:|"]
        same = [r for r in results if r["same_ids"]]
        fastest = min(r["median_s"] for r in same)
        for r in sorted(same, key=lambda r: r["median_s"]):
            out.append(f"| {r['name']} | same | {fmt_s(r['median_s'])} | {r['median_s'] / fastest:.1f}× |")
        for r in results:
            if not r["same_ids"]:
                if "error" in r:
                    what = "error: " + r["error"].splitlines()[0][:120]
                else:
                    what = f"differ ({r['num_ids']:,} ids)"
                    if r["same_as_book"] and not r["name"].startswith("the book's"):
                        what += ", identical to the book's Python"
                out.append(f"| {r['name']} | {what} | not ranked | |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def update(path, section):
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.is_file() else "# Benchmarks\n"
    lines = text.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l.strip() == "## Tokenizers"), None)
    if start is None:
        new = text.rstrip("\n") + "\n\n" + section
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        new = "".join(lines[:start]) + section + ("\n" + "".join(lines[end:]) if end < len(lines) else "")
    path.write_text(new, encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the-verdict once, small scale runs (a check, not the numbers)")
    parser.add_argument("--update", help="write the section into this file (e.g. BENCHMARKS.md)")
    parser.add_argument("--notebook", default=str(DEFAULT_NOTEBOOK))
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    runs = 3 if args.quick else 5
    WORK.mkdir(parents=True, exist_ok=True)
    if not args.skip_build:
        build()
    book_cls = load_book_class(args.notebook)
    train_rows = training_speed(book_cls, runs, args.quick)
    scale_rows = scale(args.quick)
    sections = compare_tokenizers(book_cls, runs, args.quick)
    section = markdown(train_rows, scale_rows, sections, runs)
    print(section)
    if args.update:
        update(args.update, section)


if __name__ == "__main__":
    main()
