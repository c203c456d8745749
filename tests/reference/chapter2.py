#!/usr/bin/env python3
"""Live PyTorch reference for chapter 2 of "Build a Large Language Model (From Scratch)".

The Rust crate must equal PyTorch bit for bit and print like it.  This script runs the book's own
chapter-2 code (tokenisers, sliding-window dataset, embeddings) with the repo's venv Python and
reports what it prints and the exact bits of every tensor as one JSON object on stdout, so that the
Rust tests and CLI can compare against the real thing rather than against copied numbers.

Usage:
    chapter2.py walkthrough [--text PATH]   the chapter in the book's order
    chapter2.py ops < ops.json              a JSON list of single operations, run in one process

Exit status: 0 on success, 1 for bad input (arguments, files, ops), 2 when tiktoken's rank file
cannot be provided offline.  Only the JSON object goes to stdout; messages go to stderr.
"""

import argparse
import contextlib
import hashlib
import io
import itertools
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import tiktoken
import torch
from llms_from_scratch.ch02 import GPTDatasetV1, create_dataloader_v1
from torch.utils.data import DataLoader

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TEXT = REPO / "data" / "the-verdict.txt"

# tiktoken names its cache file after the sha1 of the download URL and checks the content's sha256.
R50K_URL = "https://openaipublic.blob.core.windows.net/encodings/r50k_base.tiktoken"
R50K_SHA256 = "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930"
# The package's create_dataloader_v1 calls tiktoken.get_encoding("gpt2"), which reads OpenAI's two
# GPT-2 files (the same ranks as r50k_base); the repository carries them in data/gpt2/.
GPT2_FILES = {
    "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/vocab.bpe":
        ("vocab.bpe", "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"),
    "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/encoder.json":
        ("encoder.json", "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"),
}

# The walkthrough's last window is max_length=256, and GPTDatasetV1 needs more ids than that.
MIN_TOKENS = 257


class UserError(Exception):
    """An expected error (bad argument, missing file, ...): reported on stderr with status 1."""


def fail(message, status=1):
    print(message, file=sys.stderr)
    sys.exit(status)


# --------------------------------------------------------------------------------------------
# The book's code (chapter 2).  GPTDatasetV1 and create_dataloader_v1 are the book's own package
# (llms_from_scratch.ch02, imported above).  The package does not have the simple tokenizers, so
# SimpleTokenizerV1 and SimpleTokenizerV2 below are transcribed from the chapter's notebook
# (rasbt/LLMs-from-scratch, ch02/01_main-chapter-code/ch02.ipynb, sections 2.3 and 2.4).
# --------------------------------------------------------------------------------------------

class SimpleTokenizerV1:
    def __init__(self, vocab):
        self.str_to_int = vocab
        self.int_to_str = {i: s for s, i in vocab.items()}

    def encode(self, text):
        preprocessed = re.split(r'([,.:;?_!"()\']|--|\s)', text)

        preprocessed = [
            item.strip() for item in preprocessed if item.strip()
        ]
        ids = [self.str_to_int[s] for s in preprocessed]
        return ids

    def decode(self, ids):
        text = " ".join([self.int_to_str[i] for i in ids])
        # Replace spaces before the specified punctuations
        text = re.sub(r'\s+([,.?!"()\'])', r'\1', text)
        return text


class SimpleTokenizerV2:
    def __init__(self, vocab):
        self.str_to_int = vocab
        self.int_to_str = {i: s for s, i in vocab.items()}

    def encode(self, text):
        preprocessed = re.split(r'([,.:;?_!"()\']|--|\s)', text)
        preprocessed = [item.strip() for item in preprocessed if item.strip()]
        preprocessed = [
            item if item in self.str_to_int
            else "<|unk|>" for item in preprocessed
        ]

        ids = [self.str_to_int[s] for s in preprocessed]
        return ids

    def decode(self, ids):
        text = " ".join([self.int_to_str[i] for i in ids])
        # Replace spaces before the specified punctuations
        text = re.sub(r'\s+([,.:;?!"()\'])', r'\1', text)
        return text


def check_long_enough(txt, tokenizer, max_length):
    """The chapter notebook's GPTDatasetV1 asserts this; the package's class does not (a text that
    is too short gives an empty dataset there), so it is checked before the package is called."""
    token_ids = tokenizer.encode(txt, allowed_special={"<|endoftext|>"})
    assert len(token_ids) > max_length, "Number of tokenized inputs must at least be equal to max_length+1"


class NumberTokenizer:
    """The dataloader-intuition bonus (ch02/04_bonus_dataloader-intuition) changes one line of
    GPTDatasetV1: `token_ids = [int(i) for i in txt.strip().split()]`, the text's numbers are the
    ids.  Here that line is a tokenizer handed to the package's unchanged GPTDatasetV1."""

    def encode(self, txt, allowed_special=None):
        return [int(i) for i in txt.strip().split()]


# --------------------------------------------------------------------------------------------
# Helpers: offline tiktoken, tensor summaries, text input.
# --------------------------------------------------------------------------------------------

def gpt2_tokenizer():
    """tiktoken's "r50k_base" (= "gpt2"), fed from tiktoken-rs's asset since there is no network.

    Python tiktoken reads TIKTOKEN_CACHE_DIR/<sha1 of the URL> before downloading; tiktoken-rs ships
    the same file.  Fills the cache (atomically, tests may run in parallel) when it is missing or
    does not have the hash tiktoken expects.  Any failure here exits with status 2.
    """
    cache_dir = REPO / "target" / "tiktoken-cache"
    cache_file = cache_dir / hashlib.sha1(R50K_URL.encode()).hexdigest()
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    try:
        if not (cache_file.is_file() and sha256_file(cache_file) == R50K_SHA256):
            asset = tiktoken_rs_asset()
            if sha256_file(asset) != R50K_SHA256:
                raise RuntimeError(f"{asset} does not have the sha256 tiktoken expects")
            cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=cache_file.name + ".", suffix=".tmp")
            os.close(fd)
            shutil.copyfile(asset, tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, cache_file)
        return tiktoken.get_encoding("r50k_base")
    except Exception as e:  # noqa: BLE001 - every cause means the same thing to the caller
        fail(f"cannot load tiktoken r50k_base offline: {e}", status=2)


def offline_gpt2_files():
    """Puts data/gpt2/{vocab.bpe,encoder.json} where tiktoken.get_encoding("gpt2") looks before it
    downloads (TIKTOKEN_CACHE_DIR/<sha1 of the URL>), so the package's create_dataloader_v1 runs
    offline.  Any failure exits with status 2, as gpt2_tokenizer's."""
    cache_dir = REPO / "target" / "tiktoken-cache"
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    try:
        for url, (name, expected) in GPT2_FILES.items():
            cache_file = cache_dir / hashlib.sha1(url.encode()).hexdigest()
            if cache_file.is_file() and sha256_file(cache_file) == expected:
                continue
            source = REPO / "data" / "gpt2" / name
            if sha256_file(source) != expected:
                raise RuntimeError(f"{source} does not have the sha256 tiktoken expects")
            cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=cache_file.name + ".", suffix=".tmp")
            os.close(fd)
            shutil.copyfile(source, tmp)
            os.chmod(tmp, 0o644)
            os.replace(tmp, cache_file)
    except Exception as e:  # noqa: BLE001 - every cause means the same thing to the caller
        fail(f"cannot provide tiktoken's gpt2 files offline: {e}", status=2)


def tiktoken_rs_asset():
    """tiktoken-rs's assets/r50k_base.tiktoken, located through `cargo metadata` of this repo."""
    cargo = os.environ.get("CARGO", "cargo")
    proc = subprocess.run(
        [cargo, "metadata", "--format-version", "1", "--manifest-path", str(REPO / "Cargo.toml")],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"cargo metadata failed: {last}")
    for package in json.loads(proc.stdout)["packages"]:
        if package["name"] == "tiktoken-rs":
            asset = Path(package["manifest_path"]).parent / "assets" / "r50k_base.tiktoken"
            if not asset.is_file():
                raise RuntimeError(f"{asset} is missing")
            return asset
    raise RuntimeError("package tiktoken-rs not found in cargo metadata")


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def summary(t):
    """Shape, dtype, sha256 of the raw bytes (C order) and the first 8 values of a tensor."""
    t = t.detach().cpu().contiguous()
    return {
        "shape": list(t.shape),
        "dtype": str(t.dtype).removeprefix("torch."),
        "sha256": hashlib.sha256(t.numpy().tobytes()).hexdigest(),
        "head": t.flatten()[:8].tolist(),
    }


def read_text(path):
    """The book opens the story with encoding="utf-8"; a missing, unreadable or empty file is an error."""
    try:
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise UserError(f"text file not found: {path}")
    except UnicodeDecodeError as e:
        raise UserError(f"text file is not valid UTF-8: {path} ({e})")
    except OSError as e:
        raise UserError(f"cannot read text file {path}: {e.strerror}")
    if not text:
        raise UserError(f"text file is empty: {path}")
    return text


def notebook_cell(namespace, source):
    """Runs a notebook cell's source in the notebook's namespace; an exception is printed as
    `ExceptionName: message`, and the next cells go on, as in Jupyter."""
    try:
        exec(source, namespace)  # noqa: S102 - fixed cell sources from the book
    except Exception as e:  # noqa: BLE001 - the error is what the cell shows
        print(f"{type(e).__name__}: {e}")


# --------------------------------------------------------------------------------------------
# Command 1: the chapter, step by step.
# --------------------------------------------------------------------------------------------

def walkthrough(text_path):
    """Runs chapter 2 in the book's order; each step's printed text is captured under its name.

    The order of random draws is the book's: seed 123, Embedding(6, 3), Embedding(50257, 256), the
    base seed drawn by iter(dataloader) (even with shuffle=False), then Embedding(4, 256).
    """
    raw_text = read_text(text_path)
    tokenizer = gpt2_tokenizer()
    # Counted as GPTDatasetV1 counts (<|endoftext|> allowed): the last dataset needs these ids.
    n_tokens = len(tokenizer.encode(raw_text, allowed_special={"<|endoftext|>"}))
    if n_tokens < MIN_TOKENS:
        raise UserError(f"text too short: the walkthrough needs at least {MIN_TOKENS} GPT-2 tokens, "
                        f"{text_path} has {n_tokens}")

    steps = []

    @contextlib.contextmanager
    def step(name):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            yield
        steps.append({"name": name, "text": buf.getvalue()})

    # 2.2 Tokenizing text
    with step("raw_text"):
        print("Total number of character:", len(raw_text))
        print(raw_text[:99])

    with step("preprocessed"):
        preprocessed = re.split(r'([,.:;?_!"()\']|--|\s)', raw_text)
        preprocessed = [item.strip() for item in preprocessed if item.strip()]
        print(preprocessed[:30])
        print(len(preprocessed))

    # 2.3 Converting tokens into token IDs
    with step("vocab"):
        all_words = sorted(set(preprocessed))
        vocab_size = len(all_words)
        print(vocab_size)
        vocab = {token: integer for integer, token in enumerate(all_words)}
        for i, item in enumerate(vocab.items()):
            print(item)
            if i >= 50:
                break

    tokenizer = SimpleTokenizerV1(vocab)
    text = """"It's the last he painted, you know," 
           Mrs. Gisburn said with pardonable pride."""
    v1_error = None
    with step("v1_encode"):
        try:
            ids = tokenizer.encode(text)
            print(ids)
        except KeyError as e:
            v1_error = e
            print(f"KeyError: {e}")

    with step("v1_decode"):
        if v1_error is None:
            print(tokenizer.decode(ids))
        else:
            print(f"KeyError: {v1_error}")

    with step("v1_unknown"):
        text = "Hello, do you like tea. Is this-- a test?"
        try:
            print(tokenizer.encode(text))
        except KeyError as e:
            print(f"KeyError: {e}")

    # 2.4 Adding special context tokens
    with step("vocab_with_specials"):
        all_tokens = sorted(list(set(preprocessed)))
        all_tokens.extend(["<|endoftext|>", "<|unk|>"])
        vocab = {token: integer for integer, token in enumerate(all_tokens)}
        print(len(vocab.items()))
        for i, item in enumerate(list(vocab.items())[-5:]):
            print(item)

    with step("v2_text"):
        text1 = "Hello, do you like tea?"
        text2 = "In the sunlit terraces of the palace."
        text = " <|endoftext|> ".join((text1, text2))
        print(text)

    tokenizer = SimpleTokenizerV2(vocab)
    with step("v2_encode"):
        print(tokenizer.encode(text))

    with step("v2_decode"):
        print(tokenizer.decode(tokenizer.encode(text)))

    # 2.5 BytePair encoding
    tokenizer = gpt2_tokenizer()
    with step("gpt2_encode"):
        text = (
            "Hello, do you like tea? <|endoftext|> In the sunlit terraces"
            "of someunknownPlace."
        )
        integers = tokenizer.encode(text, allowed_special={"<|endoftext|>"})
        print(integers)

    with step("gpt2_decode"):
        strings = tokenizer.decode(integers)
        print(strings)

    with step("exercise_2_1"):
        ids = tokenizer.encode("Akwirw ier")
        print(ids)
        print([tokenizer.decode([i]) for i in ids])
        print(tokenizer.decode(ids))

    # 2.6 Data sampling with a sliding window.  tokenizer.encode(raw_text) raises ValueError on a
    # text that contains <|endoftext|> (the book passes no allowed_special here), so these cells
    # run as a notebook runs them: in one namespace, each printing its exception, and the later
    # ones then fail on names that were never defined.
    cells = {"tokenizer": tokenizer, "raw_text": raw_text}

    with step("enc_text"):
        notebook_cell(cells, """
enc_text = tokenizer.encode(raw_text)
print(len(enc_text))
""")

    with step("x_y"):
        notebook_cell(cells, """
enc_sample = enc_text[50:]
context_size = 4
x = enc_sample[:context_size]
y = enc_sample[1:context_size + 1]
print(f"x: {x}")
print(f"y:      {y}")
""")

    with step("context_desired"):
        notebook_cell(cells, """
for i in range(1, context_size + 1):
    context = enc_sample[:i]
    desired = enc_sample[i]
    print(context, "---->", desired)
""")

    with step("context_desired_text"):
        notebook_cell(cells, """
for i in range(1, context_size + 1):
    context = enc_sample[:i]
    desired = enc_sample[i]
    print(tokenizer.decode(context), "---->", tokenizer.decode([desired]))
""")

    with step("first_batch"):
        dataloader = create_dataloader_v1(
            raw_text, batch_size=1, max_length=4, stride=1, shuffle=False
        )
        data_iter = iter(dataloader)
        first_batch = next(data_iter)
        print(first_batch)

    with step("second_batch"):
        second_batch = next(data_iter)
        print(second_batch)

    with step("batch_stride_4"):
        dataloader = create_dataloader_v1(raw_text, batch_size=8, max_length=4, stride=4, shuffle=False)
        data_iter = iter(dataloader)
        inputs, targets = next(data_iter)
        print("Inputs:\n", inputs)
        print("\nTargets:\n", targets)

    with step("window_counts"):
        for max_length, stride in [(4, 1), (4, 4), (256, 128)]:
            n = len(GPTDatasetV1(raw_text, tokenizer, max_length, stride))
            print(f"max_length={max_length}, stride={stride}: {n} windows")

    # 2.7 Creating token embeddings
    with step("embedding_weight"):
        torch.manual_seed(123)
        embedding_layer = torch.nn.Embedding(6, 3)
        print(embedding_layer.weight)

    with step("embedding_lookup_one"):
        print(embedding_layer(torch.tensor([3])))

    with step("embedding_lookup_many"):
        input_ids = torch.tensor([2, 3, 5, 1])
        print(embedding_layer(input_ids))

    # 2.8 Encoding word positions (no reseeding: the generator's stream continues)
    with step("token_ids"):
        vocab_size = 50257
        output_dim = 256
        token_embedding_layer = torch.nn.Embedding(vocab_size, output_dim)
        max_length = 4
        dataloader = create_dataloader_v1(
            raw_text, batch_size=8, max_length=max_length,
            stride=max_length, shuffle=False
        )
        data_iter = iter(dataloader)
        inputs, targets = next(data_iter)
        print("Token IDs:\n", inputs)
        print("\nInputs shape:\n", inputs.shape)

    with step("token_embeddings_shape"):
        token_embeddings = token_embedding_layer(inputs)
        print(token_embeddings.shape)

    with step("pos_embeddings_shape"):
        context_length = max_length
        pos_embedding_layer = torch.nn.Embedding(context_length, output_dim)
        pos_embeddings = pos_embedding_layer(torch.arange(max_length))
        print(pos_embeddings.shape)

    with step("input_embeddings_shape"):
        input_embeddings = token_embeddings + pos_embeddings
        print(input_embeddings.shape)

    tensors = {
        "embedding_layer.weight": summary(embedding_layer.weight),
        "token_embedding_layer.weight": summary(token_embedding_layer.weight),
        "pos_embedding_layer.weight": summary(pos_embedding_layer.weight),
        "inputs": summary(inputs),
        "targets": summary(targets),
        "token_embeddings": summary(token_embeddings),
        "pos_embeddings": summary(pos_embeddings),
        "input_embeddings": summary(input_embeddings),
    }
    return {"steps": steps, "tensors": tensors}


# --------------------------------------------------------------------------------------------
# Command 2: single operations, in order, in one process (the default generator carries over).
# --------------------------------------------------------------------------------------------

DTYPES = {
    "float32": torch.float32, "float64": torch.float64, "float16": torch.float16,
    "int64": torch.int64, "int32": torch.int32, "uint8": torch.uint8, "bool": torch.bool,
}

# Above this many weights, the embedding op skips the (slow, summarised anyway) weight text.
MAX_WEIGHT_TEXT = 2_000_000


def get(op, key, kind, default=...):
    """op[key], checked against kind (a type or tuple of types); default when absent if given."""
    if key not in op:
        if default is ...:
            raise UserError(f"op {op.get('op')!r}: missing {key!r}")
        return default
    value = op[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:  # bool is an int in Python; keep them apart
        raise UserError(f"op {op.get('op')!r}: {key!r} has the wrong type")
    if not isinstance(value, kinds):
        raise UserError(f"op {op.get('op')!r}: {key!r} has the wrong type")
    return value


def device_of(op):
    """Tensors are always made on CPU (the CPU generator) and moved, as a module would be."""
    device = get(op, "device", str, "cpu")
    if device not in ("cpu", "cuda"):
        raise UserError(f"op {op.get('op')!r}: device must be \"cpu\" or \"cuda\", not {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise UserError("device \"cuda\" requested but CUDA is not available")
    return device


def op_manual_seed(op):
    torch.manual_seed(get(op, "seed", int))
    return {}


def op_embedding(op):
    device = device_of(op)
    num_embeddings, dim = get(op, "num_embeddings", int), get(op, "dim", int)
    layer = torch.nn.Embedding(num_embeddings, dim).to(device)
    result = {
        "weight": summary(layer.weight),
        "weight_text": repr(layer.weight) if num_embeddings * dim <= MAX_WEIGHT_TEXT else None,
    }
    if "ids" in op:
        out = layer(torch.tensor(get(op, "ids", list)).to(device))
        result["lookup"] = summary(out)
        result["lookup_text"] = repr(out)
    return result


def op_linear(op):
    device = device_of(op)
    layer = torch.nn.Linear(get(op, "in_features", int), get(op, "out_features", int),
                            bias=get(op, "bias", bool, True)).to(device)
    return {
        "weight": summary(layer.weight),
        "weight_text": repr(layer.weight),
        "bias": summary(layer.bias) if layer.bias is not None else None,
    }


def op_loader(op):
    """A DataLoader over the GPT-2 ids of a file or over the numbers 0..N (the book's bonus)."""
    device = device_of(op)
    batch_size = get(op, "batch_size", int, 4)
    max_length = get(op, "max_length", int, 256)
    stride = get(op, "stride", int, 128)
    shuffle = get(op, "shuffle", bool, True)
    drop_last = get(op, "drop_last", bool, True)
    max_batches = get(op, "max_batches", int, None)
    try:
        if "text_file" in op:
            txt, tokenizer = read_text(get(op, "text_file", str)), gpt2_tokenizer()
        elif "numbers" in op:
            txt, tokenizer = " ".join(str(i) for i in range(get(op, "numbers", int) + 1)) + " ", NumberTokenizer()
        else:
            raise UserError("op 'loader': needs \"text_file\" or \"numbers\"")
        check_long_enough(txt, tokenizer, max_length)
        dataset = GPTDatasetV1(txt, tokenizer, max_length, stride)
    except AssertionError as e:
        raise UserError(f"op 'loader': text too short for max_length={max_length}: {e}")
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                        drop_last=drop_last, num_workers=0)
    it = iter(loader)  # draws the base seed from the default generator, even with shuffle=False
    batches = []
    for inputs, targets in itertools.islice(it, max_batches):
        inputs, targets = inputs.to(device), targets.to(device)
        batches.append({"inputs": summary(inputs), "targets": summary(targets),
                        "text": repr([inputs, targets])})
    return {"batches": batches, "num_batches": len(loader)}


def op_randn(op):
    t = torch.randn(get(op, "shape", list)).to(device_of(op))
    return {"tensor": summary(t), "text": repr(t)}


def op_randperm(op):
    g = torch.Generator()
    g.manual_seed(get(op, "seed", int))
    return {"perm": torch.randperm(get(op, "n", int), generator=g).tolist()}


def op_int64_seed(op):
    """The 64-bit base seed a DataLoader draws from the default generator at each iter()."""
    return {"value": int(torch.empty((), dtype=torch.int64).random_().item())}


def op_print(op):
    dtype_name = get(op, "dtype", str, "float32")
    if dtype_name not in DTYPES:
        raise UserError(f"op 'print': unknown dtype {dtype_name!r}")
    specials = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
    values = []
    for v in get(op, "values", list):
        if isinstance(v, str):
            if v not in specials:
                raise UserError(f"op 'print': unknown value {v!r}")
            v = specials[v]
        values.append(v)
    t = torch.tensor(values, dtype=DTYPES[dtype_name]).reshape(get(op, "shape", list))
    t = t.to(device_of(op))
    if get(op, "requires_grad", bool, False):
        t.requires_grad_(True)
    if get(op, "parameter", bool, False):
        t = torch.nn.Parameter(t)
    return {"text": repr(t)}


def op_print_randn(op):
    """randn times a scale; with requires_grad the randn is the leaf and the product has MulBackward0."""
    shape = get(op, "shape", list)
    scale = get(op, "scale", (int, float), 1)
    requires_grad = get(op, "requires_grad", bool, False)
    t = torch.randn(shape, requires_grad=requires_grad)
    if scale != 1:
        t = t * scale
    t = t.to(device_of(op))
    return {"text": repr(t), "tensor": summary(t)}


def op_one_hot_linear(op):
    """The book's bonus: an embedding lookup equals a bias-free linear layer applied to one-hot ids."""
    device = device_of(op)
    num_embeddings, dim = get(op, "num_embeddings", int), get(op, "dim", int)
    torch.manual_seed(123)
    embedding = torch.nn.Embedding(num_embeddings, dim).to(device)
    idx = torch.tensor(get(op, "ids", list)).to(device)
    onehot = torch.nn.functional.one_hot(idx)
    torch.manual_seed(123)
    linear = torch.nn.Linear(num_embeddings, dim, bias=False).to(device)
    linear_weight_text = repr(linear.weight)
    linear.weight = torch.nn.Parameter(embedding.weight.T)
    embedded = embedding(idx)
    projected = linear(onehot.float())
    return {
        "embedding_text": repr(embedded),
        "onehot_text": repr(onehot),
        "linear_weight_text": linear_weight_text,
        "linear_text": repr(projected),
        "embedding": summary(embedded),
        "linear": summary(projected),
    }


OPS = {
    "manual_seed": op_manual_seed,
    "embedding": op_embedding,
    "linear": op_linear,
    "loader": op_loader,
    "randn": op_randn,
    "randperm": op_randperm,
    "int64_seed": op_int64_seed,
    "print": op_print,
    "print_randn": op_print_randn,
    "one_hot_linear": op_one_hot_linear,
}


def run_ops(ops_json):
    try:
        ops = json.loads(ops_json)
    except json.JSONDecodeError as e:
        raise UserError(f"ops: stdin is not valid JSON: {e}")
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        raise UserError("ops: stdin must hold a JSON list of objects")
    for n, op in enumerate(ops):  # check every name before anything runs
        if op.get("op") not in OPS:
            raise UserError(f"ops: unknown op {op.get('op')!r} at index {n}")
    results = []
    for n, op in enumerate(ops):
        try:
            results.append(OPS[op["op"]](op))
        except (RuntimeError, ValueError, TypeError, IndexError, OverflowError) as e:
            first_line = (str(e).strip().splitlines() or [type(e).__name__])[0]
            raise UserError(f"ops: op {op['op']!r} at index {n} failed: {first_line}")
    return {"results": results}


# --------------------------------------------------------------------------------------------

class ArgumentParser(argparse.ArgumentParser):
    """argparse, but bad arguments exit with status 1 (argparse's own is 2, kept for tiktoken)."""

    def error(self, message):
        self.print_usage(sys.stderr)
        fail(f"{self.prog}: error: {message}")


def main():
    parser = ArgumentParser(prog="chapter2.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    walk = commands.add_parser("walkthrough", help="the chapter in the book's order")
    walk.add_argument("--text", default=str(DEFAULT_TEXT), help="text file (default: the-verdict.txt)")
    commands.add_parser("ops", help="a JSON list of operations on stdin")
    args = parser.parse_args()
    offline_gpt2_files()

    try:
        if args.command == "walkthrough":
            result = walkthrough(args.text)
        else:
            result = run_ops(sys.stdin.read())
    except UserError as e:
        fail(str(e))
    result["torch_version"] = torch.__version__  # the Rust side checks it is the one tch links
    sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
