#!/usr/bin/env python3
"""Live PyTorch reference for the whole nn.Embedding and for training embeddings (issue 9).

Runs real PyTorch 2.13 (torch.nn.Embedding, torch.optim.SGD/AdamW on their default CPU code path,
the single-tensor loop) and the book's chapter-5 training helpers from `llms_from_scratch.ch05`
(`calc_loss_batch`, `calc_loss_loader`), and prints one JSON object with a `torch_version` key.

Usage:
    training.py embedding < spec.json   nn.Embedding with options: repr, weight, lookup, gradient
    training.py grow < spec.json        the vocabulary grown for new special tokens (ch05 bonus)
    training.py optim < spec.json       SGD / AdamW steps on an embedding, with optimizer state
    training.py train < spec.json       the embedding-only language model on the-verdict

Where the book's code has no piece, it is said where the transcription comes from:
- `grow` follows the book's `ch05/09_extending-tokenizers/extend-tiktoken.ipynb`
  (tiktoken.Encoding with the new special tokens at n_vocab + i; a new nn.Embedding(V + k, D)
  with the old rows copied into `weight.data[:V]`). The notebook is not on PyPI, so the steps are
  written out here.
- `train` uses `llms_from_scratch.ch05.calc_loss_batch`/`calc_loss_loader` and the inner loop of
  `train_model_simple` (zero_grad, calc_loss_batch, backward, step); the book's loop itself also
  generates sample text with a GPT model's `pos_emb`, which an embedding-only model does not have,
  so the loop is written out with the losses of every step recorded.
"""

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chapter2 import DEFAULT_TEXT, create_dataloader_v1, gpt2_tokenizer, read_text, summary  # noqa: E402


def fail(message, status=1):
    print(message, file=sys.stderr)
    sys.exit(status)


def embedding_layer(spec):
    """nn.Embedding(V, D, padding_idx, max_norm, norm_type, scale_grad_by_freq) after manual_seed."""
    torch.manual_seed(spec.get("seed", 123))
    return torch.nn.Embedding(
        spec["num_embeddings"], spec["embedding_dim"],
        padding_idx=spec.get("padding_idx"),
        max_norm=spec.get("max_norm"),
        norm_type=spec.get("norm_type", 2.0),
        scale_grad_by_freq=spec.get("scale_grad_by_freq", False),
    )


def gradient_weights(shape):
    """A fixed, position-dependent weighting for the backward pass: d loss / d out = this."""
    n = 1
    for s in shape:
        n *= s
    return (torch.arange(n, dtype=torch.float32).reshape(shape) + 1.0) / 8.0


def cmd_embedding(spec):
    layer = embedding_layer(spec)
    out = {"repr": repr(layer), "weight_text": str(layer.weight), "weight": summary(layer.weight)}
    if spec.get("pretrained"):
        # nn.Embedding.from_pretrained over this layer's weight (shares it, as PyTorch does).
        layer = torch.nn.Embedding.from_pretrained(
            layer.weight.detach().clone(), freeze=spec.get("freeze", True),
            padding_idx=spec.get("padding_idx"), max_norm=spec.get("max_norm"),
            norm_type=spec.get("norm_type", 2.0), scale_grad_by_freq=spec.get("scale_grad_by_freq", False))
        out["pretrained_repr"] = repr(layer)
        out["requires_grad"] = layer.weight.requires_grad
    if "ids" in spec:
        ids = torch.tensor(spec["ids"])
        looked_up = layer(ids)
        out["lookup_text"] = str(looked_up)
        out["lookup"] = summary(looked_up)
        out["weight_after"] = summary(layer.weight)
        out["weight_after_text"] = str(layer.weight)
        if layer.weight.requires_grad:
            loss = (looked_up * gradient_weights(looked_up.shape)).sum()
            loss.backward()
            out["grad"] = summary(layer.weight.grad)
    return out


def cmd_grow(spec):
    base = gpt2_tokenizer()
    custom_tokens = spec.get("custom_tokens", ["MyNewToken_1", "MyNewToken_2"])
    custom_token_ids = {token: base.n_vocab + i for i, token in enumerate(custom_tokens)}
    import tiktoken
    extended = tiktoken.Encoding(
        name="gpt2_custom",
        pat_str=base._pat_str,
        mergeable_ranks=base._mergeable_ranks,
        special_tokens={**base._special_tokens, **custom_token_ids},
    )
    text = spec.get("text", "Sample text with MyNewToken_1 and MyNewToken_2. <|endoftext|>")
    token_ids = extended.encode(text, allowed_special=set(custom_tokens) | {"<|endoftext|>"})

    torch.manual_seed(spec.get("seed", 123))
    embedding = torch.nn.Embedding(base.n_vocab, spec["embedding_dim"])
    num_tokens, emb_size = embedding.weight.shape
    new_num_tokens = num_tokens + len(custom_tokens)
    new_embedding = torch.nn.Embedding(new_num_tokens, emb_size)
    new_embedding.weight.data[:num_tokens] = embedding.weight.data
    looked_up = new_embedding(torch.tensor([token_ids]))
    return {
        "token_ids": token_ids,
        "decoded": [extended.decode([i]) for i in token_ids],
        "old_weight": summary(embedding.weight),
        "new_weight": summary(new_embedding.weight),
        "new_rows": summary(new_embedding.weight[num_tokens:]),
        "new_rows_text": str(new_embedding.weight[num_tokens:]),
        "repr": repr(new_embedding),
        "lookup": summary(looked_up),
    }


def make_optimizer(spec, params):
    name = spec["optimizer"]
    kwargs = dict(spec.get("options", {}))
    # The default CPU path is the single-tensor loop; say so explicitly (same as the default on CPU).
    kwargs.setdefault("foreach", False)
    if name == "sgd":
        return torch.optim.SGD(params, **kwargs)
    if name == "adamw":
        if "betas" in kwargs:
            kwargs["betas"] = tuple(kwargs["betas"])
        return torch.optim.AdamW(params, **kwargs)
    fail(f"unknown optimizer {name}")


def optimizer_state(optimizer, param):
    state = optimizer.state[param]
    return {key: summary(value) for key, value in sorted(state.items()) if torch.is_tensor(value)}


def cmd_optim(spec):
    """manual_seed; Embedding(V, D); targets = randn(B, T, D); then for each step: zero_grad,
    loss = mse_loss(layer(ids[step]), targets), backward, step. Reports after the listed steps."""
    torch.manual_seed(spec.get("seed", 123))
    layer = torch.nn.Embedding(spec["num_embeddings"], spec["embedding_dim"],
                               padding_idx=spec.get("padding_idx"),
                               scale_grad_by_freq=spec.get("scale_grad_by_freq", False))
    device = torch.device(spec.get("device", "cpu"))
    layer.to(device)  # drawn on the CPU generator, then moved, as the book does
    batches = [torch.tensor(b, device=device) for b in spec["batches"]]
    targets = torch.randn(*batches[0].shape, spec["embedding_dim"]).to(device)
    optimizer = make_optimizer(spec, layer.parameters())
    initial = layer.weight.detach().clone()
    reports = []
    for step in range(1, spec["steps"] + 1):
        ids = batches[(step - 1) % len(batches)]
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(layer(ids), targets)
        loss.backward()
        optimizer.step()
        if step in spec.get("report", [spec["steps"]]):
            changed = (layer.weight.detach() != initial).any(dim=1).nonzero().flatten().tolist()
            reports.append({
                "step": step,
                "loss": loss.item(),
                "weight": summary(layer.weight),
                "grad": summary(layer.weight.grad),
                "state": optimizer_state(optimizer, layer.weight),
                "changed_rows": changed,
            })
    return {"reports": reports}


class EmbeddingLM(torch.nn.Module):
    """The embedding-only language model: logits = tok_emb(ids) @ tok_emb.weight.T (weight tying)."""

    def __init__(self, vocab_size, emb_dim):
        super().__init__()
        self.tok_emb = torch.nn.Embedding(vocab_size, emb_dim)

    def forward(self, in_idx):
        return self.tok_emb(in_idx) @ self.tok_emb.weight.T


def nearest(weight, ids, k):
    """Cosine similarity of each row in ids with every row; the k most similar other ids."""
    w = weight.detach()
    normed = w / torch.linalg.vector_norm(w, dim=1, keepdim=True)
    sims = normed[torch.tensor(ids)] @ normed.T
    sims[torch.arange(len(ids)), torch.tensor(ids)] = -2.0
    return torch.topk(sims, k, dim=1).indices.tolist()


def cmd_train(spec):
    from llms_from_scratch.ch05 import calc_loss_batch, calc_loss_loader

    text = read_text(spec.get("text", str(DEFAULT_TEXT)))
    gpt2_tokenizer()  # fills tiktoken's offline cache
    train_ratio = spec.get("train_ratio", 0.90)
    split_idx = int(train_ratio * len(text))
    train_data, val_data = text[:split_idx], text[split_idx:]
    context = spec["context_length"]

    torch.manual_seed(spec.get("seed", 123))
    model = EmbeddingLM(spec.get("vocab_size", 50257), spec["emb_dim"])
    probe = spec.get("probe_ids", [])
    before = nearest(model.tok_emb.weight, probe, spec.get("k", 5)) if probe else []

    train_loader = create_dataloader_v1(train_data, batch_size=spec["batch_size"], max_length=context,
                                        stride=context, drop_last=True, shuffle=True, num_workers=0)
    val_loader = create_dataloader_v1(val_data, batch_size=spec["batch_size"], max_length=context,
                                      stride=context, drop_last=False, shuffle=False, num_workers=0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=spec["lr"], weight_decay=spec["weight_decay"],
                                  foreach=False)
    device = torch.device("cpu")
    losses, evals = [], []
    global_step = -1
    for epoch in range(spec["num_epochs"]):
        model.train()
        for input_batch, target_batch in train_loader:
            optimizer.zero_grad()
            loss = calc_loss_batch(input_batch, target_batch, model, device)
            loss.backward()
            optimizer.step()
            global_step += 1
            losses.append(loss.item())
            if spec.get("eval_freq") and global_step % spec["eval_freq"] == 0:
                model.eval()
                with torch.no_grad():
                    train_loss = calc_loss_loader(train_loader, model, device, num_batches=spec["eval_iter"])
                    val_loss = calc_loss_loader(val_loader, model, device, num_batches=spec["eval_iter"])
                model.train()
                evals.append({"step": global_step, "train_loss": train_loss, "val_loss": val_loss})
    after = nearest(model.tok_emb.weight, probe, spec.get("k", 5)) if probe else []
    return {
        "losses": losses,
        "evals": evals,
        "weight": summary(model.tok_emb.weight),
        "state": optimizer_state(optimizer, model.tok_emb.weight),
        "nearest_before": before,
        "nearest_after": after,
    }


COMMANDS = {"embedding": cmd_embedding, "grow": cmd_grow, "optim": cmd_optim, "train": cmd_train}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        fail(f"usage: training.py {{{'|'.join(COMMANDS)}}} < spec.json")
    try:
        spec = json.load(sys.stdin)
    except json.JSONDecodeError as e:
        fail(f"the spec on stdin is not JSON: {e}")
    result = COMMANDS[sys.argv[1]](spec)
    result["torch_version"] = torch.__version__
    print(json.dumps(result))


if __name__ == "__main__":
    main()
