#!/usr/bin/env python3
"""Live reference for real corpora: token files as nanoGPT's prepare.py makes them, and the book's
GPTDatasetV1 + DataLoader over the ids of such a file.

Usage (one JSON object on stdout, always with "torch_version"):
    corpora.py prepare TEXT [TEXT ...]
        Each text file is one document: tiktoken's encode_ordinary, then <|endoftext|> (50256), as
        nanoGPT's data/openwebtext/prepare.py does; the ids as little-endian uint16 bytes.
        -> {"tokens", "documents", "sha256", "head"}
    corpora.py loader --tokens FILE.bin --batch-size B --max-length L --stride S
                      [--no-shuffle] [--keep-last] [--seed N]
        The book's GPTDatasetV1 (imported from llms_from_scratch.ch02) over the file's ids, fed
        through a stand-in tokenizer whose encode returns them, then torch's DataLoader
        (num_workers=0), after torch.manual_seed(N).
        -> {"batches", "inputs_sha256", "targets_sha256"}: sha256 of every batch's int64
        little-endian bytes, in order (what `token-embeddings batches --summary` prints).
"""

import argparse
import hashlib
import json
import sys

import numpy as np
import torch
from llms_from_scratch.ch02 import GPTDatasetV1
from torch.utils.data import DataLoader

from chapter2 import gpt2_tokenizer

END_OF_TEXT = 50256


class IdsTokenizer:
    """Stands in for tiktoken in GPTDatasetV1: its encode returns ids read from a token file."""

    def __init__(self, ids):
        self.ids = ids

    def encode(self, _text, allowed_special=None):
        return self.ids


def prepare(paths):
    enc = gpt2_tokenizer()
    ids = []
    for path in paths:
        with open(path, "r", encoding="utf-8") as f:  # as the book reads text: \r\n and \r become \n
            ids.extend(enc.encode_ordinary(f.read()))
        ids.append(END_OF_TEXT)
    data = np.array(ids, dtype=np.uint16)
    assert data.dtype.byteorder in "=<|" and sys.byteorder == "little"
    return {
        "tokens": len(ids),
        "documents": len(paths),
        "sha256": hashlib.sha256(data.tobytes()).hexdigest(),
        "head": ids[:8],
    }


def loader(args):
    ids = np.fromfile(args.tokens, dtype="<u2").astype(np.int64).tolist()
    if args.seed is not None:
        torch.manual_seed(args.seed)
    dataset = GPTDatasetV1("", IdsTokenizer(ids), args.max_length, args.stride)
    batches = DataLoader(dataset, batch_size=args.batch_size, shuffle=not args.no_shuffle,
                         drop_last=not args.keep_last, num_workers=0)
    inputs, targets, count = hashlib.sha256(), hashlib.sha256(), 0
    for x, y in batches:
        inputs.update(x.numpy().astype("<i8").tobytes())
        targets.update(y.numpy().astype("<i8").tobytes())
        count += 1
    return {"batches": count, "inputs_sha256": inputs.hexdigest(), "targets_sha256": targets.hexdigest()}


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("texts", nargs="+")
    l = sub.add_parser("loader")
    l.add_argument("--tokens", required=True)
    l.add_argument("--batch-size", type=int, required=True)
    l.add_argument("--max-length", type=int, required=True)
    l.add_argument("--stride", type=int, required=True)
    l.add_argument("--no-shuffle", action="store_true")
    l.add_argument("--keep-last", action="store_true")
    l.add_argument("--seed", type=int)
    args = parser.parse_args()
    result = prepare(args.texts) if args.command == "prepare" else loader(args)
    result["torch_version"] = torch.__version__
    print(json.dumps(result))


if __name__ == "__main__":
    main()
