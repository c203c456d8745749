#!/usr/bin/env python3
"""`make bench`: the real-corpora path in Rust and in the book's Python/PyTorch, side by side in one run.

Corpora are made at run time from the-verdict (the story repeated to about 10^5, 10^6 and 10^7 GPT-2
tokens; no downloads). Every measurement runs in a fresh process: the time is taken inside it (start-up
and imports excluded), the peak memory (peak RSS) is the process's own, read from the operating system
when it exits (wait4's ru_maxrss). Results are checked before they are timed: the token files of both
sides have the same sha256, and the loaders give the same batches at 10^5 tokens.

Writes the "Real corpora" section of BENCHMARKS.md (between its markers; other sections are kept),
and benches/corpora.svg (time and memory against corpus size, both systems, log scales).

    side_by_side.py --rust BIN --cli BIN [--sizes 1e5,1e6,1e7] [--repeats 5] [--out BENCHMARKS.md]
    side_by_side.py --child KIND ARGS...      (internal: one Python measurement)
"""

import argparse
import hashlib
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VERDICT = REPO / "data" / "the-verdict.txt"
WORK = REPO / "target" / "bench-corpora"
BEGIN, END = "<!-- corpora:begin -->", "<!-- corpora:end -->"
VERDICT_TOKENS = 5145
EOT = 50256


# ----------------------------------------------------------------------------------------------
# Python side: one measurement per process (--child).
# ----------------------------------------------------------------------------------------------

def tiktoken_gpt2():
    """tiktoken's GPT-2 encoding from the offline cache that tests/reference/chapter2.py fills
    (the driver has it filled before measuring, so that this process does not import torch)."""
    os.environ["TIKTOKEN_CACHE_DIR"] = str(REPO / "target" / "tiktoken-cache")
    import tiktoken
    return tiktoken.get_encoding("r50k_base")  # what "gpt2" is, from the cached rank file


def child(kind, args):
    sys.path.insert(0, str(REPO / "tests" / "reference"))
    if kind == "tokenise":
        enc = tiktoken_gpt2()
        text = Path(args[0]).read_text(encoding="utf-8")
        repeats = int(args[1])
        out = {}
        for name, fn in [("encode", lambda: enc.encode(text, allowed_special={"<|endoftext|>"})),
                         ("encode_ordinary", lambda: enc.encode_ordinary(text))]:
            seconds = []
            for _ in range(repeats):
                t = time.perf_counter()
                ids = fn()
                seconds.append(time.perf_counter() - t)
            out[name] = seconds
        return {"seconds": out, "tokens": len(ids)}
    if kind == "prepare":
        import numpy as np
        enc = tiktoken_gpt2()
        t = time.perf_counter()
        # nanoGPT's prepare.py: encode_ordinary, then the end-of-text id, as uint16.
        with open(args[0], "r", encoding="utf-8", newline="") as f:
            ids = enc.encode_ordinary(f.read())
        ids.append(EOT)
        data = np.array(ids, dtype=np.uint16)
        data.tofile(args[1])
        seconds = time.perf_counter() - t
        return {"seconds": [seconds], "tokens": len(ids), "sha256": hashlib.sha256(data.tobytes()).hexdigest()}
    if kind == "epoch":
        import numpy as np
        import torch
        from llms_from_scratch.ch02 import GPTDatasetV1
        from torch.utils.data import DataLoader

        class IdsTokenizer:
            def __init__(self, ids):
                self.ids = ids

            def encode(self, _text, allowed_special=None):
                return self.ids

        path, stride, check = args[0], int(args[1]), args[2] == "check"
        torch.manual_seed(123)
        t = time.perf_counter()
        ids = np.fromfile(path, dtype="<u2").astype(np.int64).tolist()
        dataset = GPTDatasetV1("", IdsTokenizer(ids), 256, stride)
        loader = DataLoader(dataset, batch_size=8, shuffle=True, drop_last=True, num_workers=0)
        batches, hx, hy = 0, hashlib.sha256(), hashlib.sha256()
        for x, y in loader:
            batches += 1
            if check:
                hx.update(x.numpy().astype("<i8").tobytes())
                hy.update(y.numpy().astype("<i8").tobytes())
        seconds = time.perf_counter() - t
        out = {"seconds": [seconds], "batches": batches}
        if check:
            out["summary"] = {"batches": batches, "inputs_sha256": hx.hexdigest(), "targets_sha256": hy.hexdigest()}
        return out
    if kind == "embeddings":
        import torch
        repeats = int(args[0])
        torch.manual_seed(123)
        tok = torch.nn.Embedding(50257, 768)
        pos = torch.nn.Embedding(1024, 768)
        ids = torch.randint(0, 50257, (8, 1024))
        out = {}
        with torch.no_grad():
            result = tok(ids) + pos(torch.arange(1024))
            for name, fn in [("two_steps", lambda: tok(ids) + pos(torch.arange(1024))),
                             ("copy", lambda: result.clone())]:
                seconds = []
                for _ in range(repeats):
                    t = time.perf_counter()
                    value = fn()
                    seconds.append(time.perf_counter() - t)
                    del value
                out[name] = seconds
        return {"seconds": out, "bytes": result.numel() * 4, "torch_threads": torch.get_num_threads()}
    raise SystemExit(f"unknown measurement {kind}")


# ----------------------------------------------------------------------------------------------
# Driver.
# ----------------------------------------------------------------------------------------------

def run_measured(cmd):
    """Runs one measurement process; returns its JSON with its peak RSS in bytes (reaped with
    os.wait4, whose rusage is this child's alone).

    Linux starts a forked child's peak RSS at its parent's size, so this driver imports neither
    torch nor tiktoken: its own peak RSS (reported) is the floor of every number."""
    cmd = [str(c) for c in cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    out_chunks, err_chunks = [], []
    # Drain both pipes on threads while wait4 reaps the child.

    def pump(stream, chunks):
        for chunk in iter(lambda: stream.read(65536), b""):
            chunks.append(chunk)

    threads = [threading.Thread(target=pump, args=(proc.stdout, out_chunks)),
               threading.Thread(target=pump, args=(proc.stderr, err_chunks))]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    for t in threads:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed:\n{b''.join(err_chunks).decode(errors='replace')}")
    result = json.loads(b"".join(out_chunks).decode().strip().splitlines()[-1])
    result["peak_rss"] = usage.ru_maxrss * 1024  # Linux reports KiB
    return result


def python_cmd(kind, *args):
    return [sys.executable, str(Path(__file__).resolve()), "--child", kind, *map(str, args)]


def median(values):
    return statistics.median(values)


def make_corpus(tokens):
    """The story repeated to at least `tokens` GPT-2 tokens, one document."""
    WORK.mkdir(parents=True, exist_ok=True)
    copies = math.ceil(tokens / VERDICT_TOKENS)
    path = WORK / f"verdict-x{copies}.txt"
    if not path.exists() or path.stat().st_size != VERDICT.stat().st_size * copies:
        story = VERDICT.read_text(encoding="utf-8")
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            for _ in range(copies):
                f.write(story)
        tmp.replace(path)
    return path


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


def machine():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    total = 0
    for line in open("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            total = int(line.split()[1]) * 1024
    # Versions from a child process: the driver must stay small (see run_measured).
    versions = json.loads(subprocess.run(
        [sys.executable, "-c", "import json, tiktoken, torch; "
         "print(json.dumps([torch.__version__, tiktoken.__version__]))"],
        capture_output=True, text=True, check=True).stdout)
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory": total,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "torch": versions[0],
        "tiktoken": versions[1],
        "rustc": rustc,
        "load": os.getloadavg(),
    }


def fmt_s(seconds):
    if seconds is None:
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_mb(size):
    return "—" if size is None else f"{size / 1e6:.0f} MB"


def fmt_ratio(theirs, ours):
    if theirs is None or ours is None or ours == 0:
        return "—"
    return f"{theirs / ours:.1f}x"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=argparse.REMAINDER)
    parser.add_argument("--rust", help="the corpora_bench example binary")
    parser.add_argument("--cli", help="the token-embeddings binary (for the loader check)")
    parser.add_argument("--sizes", default="1e5,1e6,1e7")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--book-stride1-max", type=float, default=1e6,
                        help="largest corpus the book's loader runs at stride 1 (it keeps every window)")
    parser.add_argument("--out", default=str(REPO / "BENCHMARKS.md"))
    parser.add_argument("--plot", default=str(REPO / "benches" / "corpora.svg"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1:])))
        return
    if not args.rust or not args.cli:
        parser.error("--rust and --cli are required")
    rust = [str(Path(args.rust).resolve())]
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    info = machine()
    # Fill the offline tiktoken cache (chapter2.py knows how) before any measurement.
    subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, 'tests/reference'); "
                    "from chapter2 import gpt2_tokenizer; gpt2_tokenizer()"], cwd=REPO, check=True)
    started = time.time()
    rows = {"tokenise": [], "prepare": [], "epoch128": [], "epoch1": [], "embeddings": None}
    notes = []

    for size in sizes:
        text = make_corpus(size)
        repeats = args.repeats if size <= 1_000_000 else max(1, args.repeats // 2)
        print(f"corpus {text.name}: {text.stat().st_size / 1e6:.1f} MB", file=sys.stderr)

        ours = run_measured(rust + ["tokenise", text, repeats])
        py = run_measured(python_cmd("tokenise", text, repeats))
        assert ours["tokens"] == py["tokens"], (ours["tokens"], py["tokens"])
        tokens = ours["tokens"]
        rows["tokenise"].append({
            "size": size, "tokens": tokens, "ours": median(ours["seconds"]), "ours_rss": ours["peak_rss"],
            "py": median(py["seconds"]["encode"]), "py_ordinary": median(py["seconds"]["encode_ordinary"]),
            "py_rss": py["peak_rss"], "threads": ours["threads"]})

        ours_bin, py_bin = WORK / f"{text.stem}.rust.bin", WORK / f"{text.stem}.python.bin"
        ours = run_measured(rust + ["prepare", text, ours_bin])
        py = run_measured(python_cmd("prepare", text, py_bin))
        if ours["sha256"] != py["sha256"]:
            raise SystemExit(f"token files differ for {text.name}: {ours['sha256']} vs {py['sha256']}")
        rows["prepare"].append({"size": size, "tokens": ours["tokens"], "ours": ours["seconds"][0],
                                "ours_rss": ours["peak_rss"], "py": py["seconds"][0], "py_rss": py["peak_rss"]})

        for stride, key in [(128, "epoch128"), (1, "epoch1")]:
            if size == sizes[0]:
                # Same batches before timing: our loader's summary against the book's.
                cli = subprocess.run([args.cli, "batches", "--tokens", str(ours_bin), "--batch-size", "8", "--max-length",
                                      "256", "--stride", str(stride), "--seed", "123", "--summary"],
                                     capture_output=True, text=True, check=True, cwd=REPO)
                book = run_measured(python_cmd("epoch", ours_bin, stride, "check"))
                if json.loads(cli.stdout) != book["summary"]:
                    raise SystemExit(f"batches differ at stride {stride}: {cli.stdout} vs {book['summary']}")
            ours = run_measured(rust + ["epoch", ours_bin, stride])
            windows = math.ceil((rows["prepare"][-1]["tokens"] - 256) / stride)
            # The book keeps two int64 tensors of 256 ids per window (plus ~200 bytes of tensor
            # header each) and a Python list of every id.
            estimate = windows * 2 * (256 * 8 + 200) + rows["prepare"][-1]["tokens"] * 40
            run_book = estimate < 0.6 * mem_available() and not (stride == 1 and size > args.book_stride1_max)
            if run_book:
                book = run_measured(python_cmd("epoch", ours_bin, stride, "time"))
                assert book["batches"] == ours["batches"]
                book_s, book_rss = book["seconds"][0], book["peak_rss"]
            else:
                book_s = book_rss = None
                notes.append(f"The book's loader was not run on {size:.0e} tokens at stride {stride}: it keeps "
                             f"every window as two tensors, about {estimate / 1e9:.0f} GB here.")
            rows[key].append({"size": size, "tokens": rows["prepare"][-1]["tokens"], "windows": windows,
                              "batches": ours["batches"], "ours": ours["seconds"][0], "ours_rss": ours["peak_rss"],
                              "py": book_s, "py_rss": book_rss})
        print(json.dumps({k: v[-1] for k, v in rows.items() if v}), file=sys.stderr)

    ours = run_measured(rust + ["embeddings", 51])
    py = run_measured(python_cmd("embeddings", 51))
    # The first call pays for the allocator's first pages: leave it out.
    rows["embeddings"] = {
        "fused": median(ours["seconds"]["fused"][1:]), "two_steps_rust": median(ours["seconds"]["two_steps"][1:]),
        "copy_rust": median(ours["seconds"]["copy"][1:]), "two_steps_py": median(py["seconds"]["two_steps"][1:]),
        "copy_py": median(py["seconds"]["copy"][1:]), "bytes": ours["bytes"],
    }
    elapsed = time.time() - started
    info["driver_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    load_end = os.getloadavg()
    report = render(rows, info, notes, elapsed, load_end, args)
    print(report)
    write_section(Path(args.out), report)
    plot(rows, Path(args.plot))
    (WORK / "results.json").write_text(json.dumps({"rows": rows, "machine": info}, indent=1))


def render(rows, info, notes, elapsed, load_end, args):
    e = rows["embeddings"]
    lines = [
        BEGIN,
        "## Real corpora: text to input embeddings (`make bench`)",
        "",
        f"Measured by `make bench` (benches/side_by_side.py) in one run of {elapsed / 60:.1f} min on "
        f"{time.strftime('%Y-%m-%d', time.gmtime())}: {info['cpu']}, {info['cores']} cores, "
        f"{info['memory'] / 2**30:.0f} GiB memory, {info['os']}; Python {info['python']}, torch {info['torch']}, "
        f"tiktoken {info['tiktoken']}, {info['rustc']} (release build).",
        f"Load average before/after the run: {info['load'][0]:.1f} / {load_end[0]:.1f} "
        f"(above {info['cores']} means other work shared the cores: the numbers are then slower than on an idle "
        "machine, for both sides alike).",
        "",
        "Corpora: the-verdict repeated to about 10^5, 10^6 and 10^7 GPT-2 tokens (one document). Times are taken "
        "inside each process (start-up and imports excluded): medians of "
        f"{args.repeats} runs for tokenising ({max(1, args.repeats // 2)} at 10^7), one run otherwise. Peak memory "
        f"is each process's peak RSS as the operating system reports it (libtorch and Python's imports included; "
        f"a child starts at the driver's size, {info['driver_rss'] / 1e6:.0f} MB, the floor of every number). "
        "Before timing, both sides' token files were checked to have the same sha256, and at 10^5 tokens both "
        "loaders to give the same batches (sha256 of all batches, seed 123).",
        "",
        "### Tokenising (text in memory to GPT-2 ids)",
        "",
        "| tokens | ours (all cores) | tiktoken `encode` | ratio | tiktoken `encode_ordinary` | ratio |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows["tokenise"]:
        lines.append(f"| {r['tokens']:,} | {fmt_s(r['ours'])} | {fmt_s(r['py'])} | {fmt_ratio(r['py'], r['ours'])} "
                     f"| {fmt_s(r['py_ordinary'])} | {fmt_ratio(r['py_ordinary'], r['ours'])} |")
    lines += [
        "",
        "### `prepare` (text file to uint16 token file + sha256) against nanoGPT's way in Python",
        "",
        "| tokens | ours | peak | Python (tiktoken + NumPy) | peak | ratio |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows["prepare"]:
        lines.append(f"| {r['tokens']:,} | {fmt_s(r['ours'])} | {fmt_mb(r['ours_rss'])} | {fmt_s(r['py'])} "
                     f"| {fmt_mb(r['py_rss'])} | {fmt_ratio(r['py'], r['ours'])} |")
    for key, stride in [("epoch128", 128), ("epoch1", 1)]:
        lines += [
            "",
            f"### Dataset + one shuffled epoch, max_length 256, stride {stride}, batch 8",
            "",
            "Ours: `GptDatasetV1` over the memory-mapped token file. The book's: `GPTDatasetV1` from "
            "`llms_from_scratch.ch02` over the same ids + `DataLoader(shuffle=True, drop_last=True)`.",
            "",
            "| tokens | windows | ours | peak | book's | peak | time ratio | memory ratio |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows[key]:
            lines.append(f"| {r['tokens']:,} | {r['windows']:,} | {fmt_s(r['ours'])} | {fmt_mb(r['ours_rss'])} "
                         f"| {fmt_s(r['py'])} | {fmt_mb(r['py_rss'])} | {fmt_ratio(r['py'], r['ours'])} "
                         f"| {fmt_ratio(r['py_rss'], r['ours_rss'])} |")
    gb = e["bytes"] / 1e9
    lines += [
        "",
        "### Input embeddings at GPT-2 small sizes (vocabulary 50257, dim 768, batch 8 x 1024), no grad",
        "",
        "Medians of 50 calls (after one to warm up). Bandwidth: bytes of the output over the time. A plain copy writes the same "
        "output from a tensor that already holds it (`clone`).",
        "",
        "| | time | output GB/s | vs PyTorch two steps |",
        "|---|---:|---:|---:|",
        f"| ours, `positional::input_embeddings` (one pass) | {fmt_s(e['fused'])} | {gb / e['fused']:.1f} "
        f"| {fmt_ratio(e['two_steps_py'], e['fused'])} |",
        f"| ours, two steps (`tok.forward + pos.forward`) | {fmt_s(e['two_steps_rust'])} | "
        f"{gb / e['two_steps_rust']:.1f} | {fmt_ratio(e['two_steps_py'], e['two_steps_rust'])} |",
        f"| PyTorch `tok(ids) + pos(torch.arange(T))` | {fmt_s(e['two_steps_py'])} | {gb / e['two_steps_py']:.1f} "
        "| 1.0x |",
        f"| plain copy of the output, libtorch from Rust | {fmt_s(e['copy_rust'])} | {gb / e['copy_rust']:.1f} | |",
        f"| plain copy of the output, PyTorch | {fmt_s(e['copy_py'])} | {gb / e['copy_py']:.1f} | |",
        "",
        f"One pass reaches {min(e['copy_rust'], e['copy_py']) / e['fused'] * 100:.0f}% of the bandwidth of the "
        "faster plain copy (issue 10 asks for at least 80%): it reads each positional row once per tile of 16 "
        "positions, adds with the widest vectors the processor has, and writes with streaming stores (see "
        "`src/positional/input.rs`)."
        + ("" if max(info["load"][0], load_end[0]) <= info["cores"] else
           " The load average was above the core count: libtorch's kernels (PyTorch's, our two steps and the "
           "copies) run on OpenMP threads that wait by spinning and lose much more time under load than rayon's "
           "threads (the one pass), so this run overstates the one pass's lead; run it again on an idle machine."),
    ]
    if notes:
        lines += [""] + [f"- {n}" for n in dict.fromkeys(notes)]
    lines += ["", "![time and peak memory against corpus size](benches/corpora.svg)", "", END]
    return "\n".join(lines)


def write_section(path, section):
    text = path.read_text() if path.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2))
    fig.suptitle("Rust (solid) and the book's Python/PyTorch (dashed)", fontsize=9)
    series = [("tokenise", "tokenise", "o"), ("prepare", "prepare", "s"), ("epoch128", "epoch, stride 128", "^"),
              ("epoch1", "epoch, stride 1", "D")]
    for (key, label, marker), color in zip(series, ["C0", "C1", "C2", "C3"]):
        xs = [r["tokens"] for r in rows[key]]
        for side, style, who in [("ours", "-", "Rust"), ("py", "--", "Python/PyTorch")]:
            pts = [(x, r[side]) for x, r in zip(xs, rows[key]) if r[side] is not None]
            if pts:
                ax_t.plot(*zip(*pts), style, color=color, marker=marker, label=f"{label} ({who})")
            rss = [(x, r[f"{side}_rss"] / 1e6) for x, r in zip(xs, rows[key]) if r.get(f"{side}_rss")]
            if rss:
                ax_m.plot(*zip(*rss), style, color=color, marker=marker, label=f"{label} ({who})")
    for ax, title, unit in [(ax_t, "time", "seconds"), (ax_m, "peak memory (RSS)", "MB")]:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("corpus size (GPT-2 tokens)")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
    ax_t.legend(fontsize=7)
    ax_m.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)


if __name__ == "__main__":
    main()
