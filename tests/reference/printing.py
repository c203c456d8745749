#!/usr/bin/env python3
"""Live PyTorch reference for the printer (`src/printing/`): what `print` writes in PyTorch 2.13.

Not the book's code: this asks PyTorch itself (`torch/_tensor_str.py`, `torch.set_printoptions`,
`nn.Module.__repr__`) and numpy/safetensors for files.  Prints one JSON object with `torch_version`.

Usage:
    printing.py reprs < cases.json    a JSON list of cases; each gives the text `repr` makes
    printing.py options < calls.json  a JSON list of lists of set_printoptions calls; after each list
                                      (from the default options) the result of get_printoptions()
    printing.py files DIR             writes .npy and .safetensors files into DIR and reports what
                                      print(t) shows for each of their tensors under some options

A tensor spec is {"dtype", "shape", "values"} (floats may be "nan", "inf", "-inf"; complex values are
[re, im] pairs), with optional "requires_grad", "device".  A case is a tensor spec with "options"
(keyword arguments of torch.set_printoptions; threshold may be "inf") and "form": "tensor",
"parameter", "list" or "tuple" (then "items": tensor specs), or "module" with "module": "Linear"
(in_features, out_features, bias) or "Embedding" (num_embeddings, embedding_dim).
"""

import json
import math
import os
import sys

import numpy as np
import torch

DTYPES = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float8_e4m3fn": torch.float8_e4m3fn,
    "float8_e5m2": torch.float8_e5m2,
    "float8_e4m3fnuz": torch.float8_e4m3fnuz,
    "float8_e5m2fnuz": torch.float8_e5m2fnuz,
    "float64": torch.float64,
    "complex32": torch.complex32,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "uint8": torch.uint8,
    "bool": torch.bool,
}
SPECIALS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def number(v):
    return SPECIALS[v] if isinstance(v, str) else v


def make_tensor(spec):
    dtype = DTYPES[spec["dtype"]]
    shape = spec["shape"]
    values = spec["values"]
    if dtype.is_complex:
        re = torch.tensor([number(v[0]) for v in values], dtype=torch.float64)
        im = torch.tensor([number(v[1]) for v in values], dtype=torch.float64)
        t = torch.complex(re, im).to(dtype)
    else:
        t = torch.tensor([number(v) for v in values], dtype=dtype)
    t = t.reshape(shape).to(spec.get("device", "cpu"))
    if spec.get("requires_grad", False):
        t.requires_grad_(True)
    return t


def options(kwargs):
    kwargs = dict(kwargs)
    if kwargs.get("threshold") == "inf":
        kwargs["threshold"] = math.inf
    return kwargs


def text_of(case):
    form = case.get("form", "tensor")
    if form == "tensor":
        return repr(make_tensor(case))
    if form == "parameter":
        return repr(torch.nn.Parameter(make_tensor(case)))
    if form == "list":
        return repr([make_tensor(item) for item in case["items"]])
    if form == "tuple":
        return repr(tuple(make_tensor(item) for item in case["items"]))
    if form == "module":
        if case["module"] == "Linear":
            return repr(torch.nn.Linear(case["in_features"], case["out_features"], bias=case["bias"]))
        if case["module"] == "Embedding":
            return repr(torch.nn.Embedding(case["num_embeddings"], case["embedding_dim"]))
    raise ValueError(f"unknown form {form!r}")


def reprs(cases):
    texts = []
    for case in cases:
        torch.set_printoptions(**options(case.get("options", {})))
        try:
            texts.append(text_of(case))
        finally:
            torch.set_printoptions(profile="default")
    return {"texts": texts}


def jsonable(opts):
    return {k: ("inf" if isinstance(v, float) and math.isinf(v) else v) for k, v in opts.items()}


def options_after(sequences):
    results = []
    for calls in sequences:
        torch.set_printoptions(profile="default")
        for call in calls:
            torch.set_printoptions(**options(call))
        results.append(jsonable(torch._tensor_str.get_printoptions()))
    torch.set_printoptions(profile="default")
    return {"options": results}


# Options the `print` command is tested with, as CLI flags and as set_printoptions arguments.
FILE_OPTIONS = [
    ([], {}),
    (["--precision", "2", "--sci-mode", "true"], {"precision": 2, "sci_mode": True}),
    (["--profile", "short", "--linewidth", "40"], {"profile": "short", "linewidth": 40}),
    (["--threshold", "10", "--edgeitems", "1"], {"threshold": 10, "edgeitems": 1}),
    (["--profile", "full"], {"profile": "full"}),
    # Values Python takes as they are: a nan threshold (never summarise), a precision beyond
    # float64's exact digits, more edge items than any dimension has.
    (["--threshold", "nan", "--precision", "1200"], {"threshold": math.nan, "precision": 1200}),
    (["--threshold", "0", "--edgeitems", str(2**62)], {"threshold": 0, "edgeitems": 2**62}),
    # wider than Rust's formatter goes (65535)
    (["--precision", "70000"], {"precision": 70000}),
]


def files(directory):
    from safetensors.torch import load_file, save_file

    g = torch.Generator().manual_seed(7)
    arrays = {
        "floats.npy": np.array([[0.5, -1.25, 3.0], [1e-5, 2.0, -0.0]], dtype=np.float32),
        "doubles.npy": np.linspace(-1.0, 1.0, 1200, dtype=np.float64).reshape(30, 40),
        "half.npy": np.array([1.5, -2.0, 65504.0, np.nan], dtype=np.float16),
        "ints.npy": np.arange(-6, 6, dtype=np.int32).reshape(3, 4),
        "bools.npy": np.array([True, False, True]),
        "scalar.npy": np.array(2.5, dtype=np.float64),
        "complex.npy": np.array([1 + 2j, -0.5 - 1j], dtype=np.complex64),
        "empty.npy": np.zeros((0, 3), dtype=np.int64),
        # bool bytes other than 0 and 1 (a view of uint8): PyTorch prints every non-zero byte as True
        "badbool.npy": np.array([2, 255, 1, 0], dtype=np.uint8).view(np.bool_),
    }
    written = {}
    for name, array in arrays.items():
        np.save(os.path.join(directory, name), array)
        written[name] = {"": torch.from_numpy(array)}
    tensors = {
        "weight": torch.randn(6, 3, generator=g),
        "bias": torch.randn(3, generator=g).to(torch.bfloat16),
        "ids": torch.arange(2000, dtype=torch.int64).reshape(40, 50),
        "mask": torch.tensor([[True, False], [False, True]]),
        "small": torch.tensor([1, -2, 3], dtype=torch.int8),
    }
    save_file(tensors, os.path.join(directory, "model.safetensors"))
    written["model.safetensors"] = load_file(os.path.join(directory, "model.safetensors"))
    # dtypes the safetensors format gained after tch's own version of the crate: float8 and complex64
    exotic = {
        "e4m3": torch.tensor([[1.5, -0.1015625], [448.0, 0.0]]).to(torch.float8_e4m3fn),
        "e5m2": torch.tensor([1.5, 2.0, -0.09375, 320.0, 57344.0]).to(torch.float8_e5m2),
        "z": torch.randn(3, generator=g) + 1j * torch.randn(3, generator=g),
        "e4m3fnuz": torch.tensor([0.0, 1.0, float("nan"), 300.0, -0.25]).to(torch.float8_e4m3fnuz),
        "e5m2fnuz": torch.tensor([[float("inf"), -3.0], [1e-5, 0.5]]).to(torch.float8_e5m2fnuz),
    }
    save_file(exotic, os.path.join(directory, "exotic.safetensors"))
    written["exotic.safetensors"] = load_file(os.path.join(directory, "exotic.safetensors"))

    expected = []
    for flags, kwargs in FILE_OPTIONS:
        torch.set_printoptions(**kwargs)
        try:
            for file, named in written.items():
                # Every file under the default options; three (summarised, sci, several tensors) under all.
                if flags and file not in ("floats.npy", "doubles.npy", "model.safetensors"):
                    continue
                expected.append({
                    "file": file,
                    "flags": flags,
                    # [name, text] pairs in load_file's order ("" for the array of a .npy file)
                    "texts": [[name, repr(t)] for name, t in named.items()],
                })
        finally:
            torch.set_printoptions(profile="default")
    # Files `print` must refuse with one line: dtypes tch cannot hold, layouts its reader does not take.
    refused = {
        "uint16.npy": np.arange(4, dtype=np.uint16),
        "fortran.npy": np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
        "bigendian.npy": np.arange(3, dtype=">f4"),
        "strings.npy": np.array(["a", "bc"]),
    }
    for name, array in refused.items():
        np.save(os.path.join(directory, name), array)
    # A dtype tch cannot hold beside one it can: the file as a whole is refused, --name ok prints.
    ok = torch.tensor([0.25, -3.0])
    save_file({"wide": torch.tensor([1, 2, 3], dtype=torch.uint16), "ok": ok}, os.path.join(directory, "uint16.safetensors"))
    expected.append({"file": "uint16.safetensors", "flags": ["--name", "ok"], "texts": [["", repr(ok)]]})
    return {"files": expected, "refused": sorted(refused) + ["uint16.safetensors"]}


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("reprs", "options", "files"):
        print(__doc__, file=sys.stderr)
        sys.exit(1)
    command = sys.argv[1]
    if command == "reprs":
        result = reprs(json.load(sys.stdin))
    elif command == "options":
        result = options_after(json.load(sys.stdin))
    else:
        result = files(sys.argv[2])
    result["torch_version"] = torch.__version__
    result["cuda"] = torch.cuda.is_available()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
