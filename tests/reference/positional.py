#!/usr/bin/env python3
"""Live PyTorch reference for the positional encodings beyond chapter 2 (issue 9).

Each subcommand builds one table (or rotates one pair of tensors) with the cited code on real
PyTorch and prints one JSON object on stdout: a `torch_version` key, a summary per tensor (shape,
dtype, sha256 of the raw bytes, first 8 values) and what `print(tensor)` writes for it.

Sources, in the order of the subcommands:
- sinusoidal: the Annotated Transformer's `PositionalEncoding` (Harvard NLP, "The Annotated
  Transformer", 2022 edition, http://nlp.seas.harvard.edu/annotated-transformer/), its table `pe`.
- rope-params / rope: the book's own `compute_rope_params` and `apply_rope`, imported from
  `llms_from_scratch.llama3` (never transcribed).
- meta-rope: Meta's `precompute_freqs_cis` and `apply_rotary_emb` (meta-llama/llama, file
  llama/model.py), the interleaved layout of the RoFormer paper, transcribed.
- t5: Hugging Face transformers' `T5Attention._relative_position_bucket` (file
  src/transformers/models/t5/modeling_t5.py) applied to `memory_position - context_position` as in
  `T5Attention.compute_bias`, transcribed.
- alibi: `get_slopes` from the ALiBi paper's code (Press, Smith and Lewis 2022, "Train Short, Test
  Long", github.com/ofirpress/attention_with_linear_biases, fairseq/models/transformer.py),
  transcribed; the bias `slope[h] * (j - i)` for query i and key j.

`positional.py batch` reads a JSON list of such argument lists on stdin and prints
`{"results": [...], "torch_version": ...}`, one result per list, from one Python process.

Exit status 0 on success, 1 for bad input (message on stderr).
"""

import argparse
import json
import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chapter2 import summary  # noqa: E402

from llms_from_scratch.llama3 import apply_rope, compute_rope_params  # noqa: E402


# --------------------------------------------------------------------------------------------
# The Annotated Transformer: PositionalEncoding.__init__, the table only (no dropout, no batch dim).
# --------------------------------------------------------------------------------------------

def annotated_transformer_pe(max_len, d_model):
    pe = torch.zeros(max_len, d_model)
    position = torch.arange(0, max_len).unsqueeze(1)
    div_term = torch.exp(
        torch.arange(0, d_model, 2) * -(math.log(10000.0) / d_model)
    )
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


# --------------------------------------------------------------------------------------------
# Meta's Llama code (llama/model.py): rotary embeddings as complex multiplication, pairs (2i, 2i+1).
# --------------------------------------------------------------------------------------------

def precompute_freqs_cis(dim, end, theta=10000.0):
    freqs = 1.0 / (theta ** (torch.arange(0, dim, 2)[: (dim // 2)].float() / dim))
    t = torch.arange(end, device=freqs.device, dtype=torch.float32)
    freqs = torch.outer(t, freqs)
    freqs_cis = torch.polar(torch.ones_like(freqs), freqs)  # complex64
    return freqs_cis


def reshape_for_broadcast(freqs_cis, x):
    ndim = x.ndim
    assert 0 <= 1 < ndim
    assert freqs_cis.shape == (x.shape[1], x.shape[-1])
    shape = [d if i == 1 or i == ndim - 1 else 1 for i, d in enumerate(x.shape)]
    return freqs_cis.view(*shape)


def apply_rotary_emb(xq, xk, freqs_cis):
    xq_ = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
    xk_ = torch.view_as_complex(xk.float().reshape(*xk.shape[:-1], -1, 2))
    freqs_cis = reshape_for_broadcast(freqs_cis, xq_)
    xq_out = torch.view_as_real(xq_ * freqs_cis).flatten(3)
    xk_out = torch.view_as_real(xk_ * freqs_cis).flatten(3)
    return xq_out.type_as(xq), xk_out.type_as(xk)


# --------------------------------------------------------------------------------------------
# Hugging Face transformers, T5Attention._relative_position_bucket (a staticmethod there).
# --------------------------------------------------------------------------------------------

def _relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    relative_buckets = 0
    if bidirectional:
        num_buckets //= 2
        relative_buckets += (relative_position > 0).to(torch.long) * num_buckets
        relative_position = torch.abs(relative_position)
    else:
        relative_position = -torch.min(relative_position, torch.zeros_like(relative_position))
    # now relative_position is in the range [0, inf)

    # half of the buckets are for exact increments in positions
    max_exact = num_buckets // 2
    is_small = relative_position < max_exact

    # The other half of the buckets are for logarithmically bigger bins in positions up to max_distance
    relative_position_if_large = max_exact + (
        torch.log(relative_position.float() / max_exact)
        / math.log(max_distance / max_exact)
        * (num_buckets - max_exact)
    ).to(torch.long)
    relative_position_if_large = torch.min(
        relative_position_if_large, torch.full_like(relative_position_if_large, num_buckets - 1)
    )

    relative_buckets += torch.where(is_small, relative_position, relative_position_if_large)
    return relative_buckets


def t5_buckets(query_length, key_length, bidirectional, num_buckets, max_distance):
    # T5Attention.compute_bias, up to the bucket ids.
    context_position = torch.arange(query_length, dtype=torch.long)[:, None]
    memory_position = torch.arange(key_length, dtype=torch.long)[None, :]
    relative_position = memory_position - context_position  # shape (query_length, key_length)
    return _relative_position_bucket(
        relative_position, bidirectional=bidirectional, num_buckets=num_buckets, max_distance=max_distance
    )


# --------------------------------------------------------------------------------------------
# ALiBi: get_slopes from the paper's code; the bias slope[h] * (j - i).
# --------------------------------------------------------------------------------------------

def get_slopes(n):
    def get_slopes_power_of_2(n):
        start = (2**(-2**-(math.log2(n)-3)))
        ratio = start
        return [start*ratio**i for i in range(n)]

    if math.log2(n).is_integer():
        return get_slopes_power_of_2(n)
    else:
        closest_power_of_2 = 2**math.floor(math.log2(n))
        return get_slopes_power_of_2(closest_power_of_2) + get_slopes(2*closest_power_of_2)[0::2][:n-closest_power_of_2]


def alibi_bias(heads, context_length):
    slopes = torch.tensor(get_slopes(heads))  # float32
    positions = torch.arange(context_length)
    relative = positions[None, :] - positions[:, None]  # relative[i, j] = j - i
    return slopes, slopes[:, None, None] * relative[None, :, :]


# --------------------------------------------------------------------------------------------
# The command line.
# --------------------------------------------------------------------------------------------

def fail_user(message):
    print(message, file=sys.stderr)
    sys.exit(1)


def tensors(**named):
    return {name: {**summary(t), "printed": str(t)} for name, t in named.items()}


def theta(value):
    """The book passes theta_base as a Python int (10_000) or float (500_000.0); keep integers ints."""
    return int(value) if float(value).is_integer() else float(value)


def llama3_scaling(text):
    factor, low, high, original = text.split(",")
    return {
        "factor": float(factor),
        "low_freq_factor": float(low),
        "high_freq_factor": float(high),
        "original_context_length": int(original),
    }


def shape4(text):
    shape = [int(s) for s in text.split(",")]
    if len(shape) != 4:
        raise argparse.ArgumentTypeError("--shape needs B,H,T,D")
    return shape


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(f"{self.prog}: error: {message}")


def parser():
    parser = Parser(prog="positional.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("sinusoidal")
    p.add_argument("--context-length", type=int, required=True)
    p.add_argument("--dim", type=int, required=True)
    p = commands.add_parser("rope-params")
    p.add_argument("--context-length", type=int, required=True)
    p.add_argument("--head-dim", type=int, required=True)
    p.add_argument("--theta-base", type=theta, default=10_000)
    p.add_argument("--llama3-scaling", type=llama3_scaling)
    p = commands.add_parser("rope")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--shape", type=shape4, required=True)
    p.add_argument("--theta-base", type=theta, default=10_000)
    p.add_argument("--llama3-scaling", type=llama3_scaling)
    p = commands.add_parser("meta-rope")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--shape", type=shape4, required=True)
    p.add_argument("--theta-base", type=float, default=10000.0)
    p = commands.add_parser("t5")
    p.add_argument("--query-length", type=int, required=True)
    p.add_argument("--key-length", type=int, required=True)
    p.add_argument("--num-buckets", type=int, default=32)
    p.add_argument("--max-distance", type=int, default=128)
    p.add_argument("--bidirectional", choices=["true", "false"], default="true")
    p = commands.add_parser("alibi")
    p.add_argument("--heads", type=int, required=True)
    p.add_argument("--context-length", type=int, required=True)
    for sub in commands.choices.values():
        sub.add_argument("--device", default="cpu", help="cpu or cuda: where the tables are computed")
    commands.add_parser("batch", help="a JSON list of argument lists on stdin, one result each")
    return parser


def run(argv):
    """The result of one command line (a list of arguments, without the program name)."""
    args = parser().parse_args(argv)
    if args.device != "cpu" and not torch.cuda.is_available():
        raise UsageError(f"--device {args.device}: CUDA is not available here")
    torch.set_default_device(args.device)

    if args.command == "sinusoidal":
        result = tensors(pe=annotated_transformer_pe(args.context_length, args.dim))
    elif args.command == "rope-params":
        cos, sin = compute_rope_params(
            head_dim=args.head_dim, theta_base=args.theta_base, context_length=args.context_length,
            freq_config=args.llama3_scaling,
        )
        result = tensors(cos=cos, sin=sin)
    elif args.command == "rope":
        # The book's example (ch05/07_gpt_to_llama): seed, queries, keys, rotate both.
        batch_size, num_heads, context_len, head_dim = args.shape
        cos, sin = compute_rope_params(
            head_dim=head_dim, theta_base=args.theta_base, context_length=context_len,
            freq_config=args.llama3_scaling,
        )
        torch.manual_seed(args.seed)
        queries = torch.randn(batch_size, num_heads, context_len, head_dim, device="cpu").to(args.device)
        keys = torch.randn(batch_size, num_heads, context_len, head_dim, device="cpu").to(args.device)
        result = tensors(queries_rot=apply_rope(queries, cos, sin), keys_rot=apply_rope(keys, cos, sin))
    elif args.command == "meta-rope":
        # Same draws as `rope`, rotated by Meta's code, which wants (batch, seq, heads, head_dim).
        batch_size, num_heads, context_len, head_dim = args.shape
        torch.manual_seed(args.seed)
        queries = torch.randn(batch_size, num_heads, context_len, head_dim, device="cpu").to(args.device)
        keys = torch.randn(batch_size, num_heads, context_len, head_dim, device="cpu").to(args.device)
        freqs_cis = precompute_freqs_cis(head_dim, context_len, theta=args.theta_base)
        xq, xk = apply_rotary_emb(queries.transpose(1, 2), keys.transpose(1, 2), freqs_cis)
        queries_rot = xq.transpose(1, 2).contiguous()
        result = tensors(queries_rot=queries_rot, keys_rot=xk.transpose(1, 2).contiguous())
        # Not bit-equal to the real-valued rotation, so the values themselves, to measure the gap.
        result["queries_rot_values"] = queries_rot.cpu().flatten().tolist()
    elif args.command == "t5":
        buckets = t5_buckets(
            args.query_length, args.key_length, args.bidirectional == "true", args.num_buckets, args.max_distance
        )
        result = tensors(buckets=buckets)
    else:
        slopes, bias = alibi_bias(args.heads, args.context_length)
        result = tensors(bias=bias, slopes=slopes)
        result["get_slopes"] = get_slopes(args.heads)
    return result


def main():
    try:
        if sys.argv[1:2] == ["batch"]:
            result = {"results": [run(argv) for argv in json.load(sys.stdin)]}
        else:
            result = run(sys.argv[1:])
    except UsageError as e:
        fail_user(str(e))
    result["torch_version"] = torch.__version__
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
