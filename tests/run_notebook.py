#!/usr/bin/env python3
"""Run one notebook headlessly through the real Rust (evcxr) kernel and print its outputs.

Usage (with the repository's venv, whose Jupyter has the `rust` kernel: `make setup`):
    .venv/bin/python tests/run_notebook.py notebooks/01-tokenizing-text.ipynb [--write]

The notebook runs top to bottom with nbclient in `notebooks/` (so the kernel reads
notebooks/evcxr.toml), and no cell may fail: a compile error or a panic in any cell ends the
run with exit status 1 and the failing cell's index and error on stderr.

On success it prints one JSON object on stdout:
    {"notebook": "01-tokenizing-text.ipynb",
     "cells": [{"index": 3, "outputs": [{"type": "stream", "text": "..."},
                                        {"type": "display", "mime": ["text/html", "text/plain"],
                                         "text": "..."}]}, ...]}
one entry per code cell (index counts all cells, markdown included), its outputs in order:
stream text (consecutive pieces joined) and, for display and execute results, the text/plain
part and the list of mime types shown. `tests/notebooks.rs` reads the outputs saved in the
committed notebook the same way and compares.

    --write   also save the executed notebook in place (the committed outputs come from this);
              timing metadata is not recorded, so a re-run rewrites the same file.
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
# A cold run compiles tch and the crate for the kernel (minutes on two cores); a warm cell takes
# about a second. Generous, so that a slow machine does not fail a correct notebook.
CELL_TIMEOUT_S = 1800
STARTUP_TIMEOUT_S = 180


def text_outputs(nb):
    """The comparable outputs of every code cell, as described in the docstring."""
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                text = "".join(out.get("text", ""))
                last = outputs[-1] if outputs else None
                if last and last["type"] == "stream" and last["name"] == out["name"]:
                    last["text"] += text
                else:
                    outputs.append({"type": "stream", "name": out["name"], "text": text})
            elif kind in ("display_data", "execute_result"):
                data = out.get("data", {})
                outputs.append({
                    "type": "display",
                    "mime": sorted(data),
                    "text": "".join(data.get("text/plain", "")),
                })
            elif kind == "error":
                outputs.append({"type": "error", "text": f"{out.get('ename')}: {out.get('evalue')}"})
        cells.append({"index": index, "outputs": outputs})
    return cells


def execute(nb, path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    client = NotebookClient(
        nb,
        kernel_name="rust",
        timeout=CELL_TIMEOUT_S,
        startup_timeout=STARTUP_TIMEOUT_S,
        allow_errors=False,
        record_timing=False,
        coalesce_streams=True,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    try:
        client.execute()
    except CellExecutionError as err:
        report = str(err)
        for index, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    # evcxr puts the compiler's or the panic's message in the traceback.
                    details = "\n".join(out.get("traceback", [])) or f"{out.get('ename')}: {out.get('evalue')}"
                    report = f"cell {index} failed:\n{cell.source}\n---\n{details}"
        # Without the terminal colours evcxr gives its compiler messages.
        report = re.sub(r"\x1b\[[0-9;]*m", "", report)
        print(f"{path.name}: {report}", file=sys.stderr)
        sys.exit(1)
    # Belt and braces: an error output that did not raise still fails the run.
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                print(f"{path.name}: cell {index} failed: {out.get('ename')}: {out.get('evalue')}", file=sys.stderr)
                sys.exit(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--write", action="store_true", help="save the executed notebook in place")
    args = parser.parse_args()

    path = args.notebook.resolve()
    if not path.is_file():
        print(f"no notebook at {path}", file=sys.stderr)
        sys.exit(2)
    nb = nbformat.read(path, as_version=4)
    # The kernel inherits this process's stdout and writes its own messages there ("Loading
    # startup configuration ..."): send them to stderr, keep stdout for the JSON.
    sys.stdout.flush()
    json_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    execute(nb, path)
    if args.write:
        nbformat.write(nb, path)
    json.dump({"notebook": path.name, "cells": text_outputs(nb)}, json_out, indent=1, ensure_ascii=False)
    json_out.write("\n")
    json_out.close()


if __name__ == "__main__":
    main()
