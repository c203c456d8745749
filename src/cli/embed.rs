//! `token-embeddings embed`: seed, create an embedding layer, print its weight and a lookup.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;
use token_embeddings::embedding::{Embedding, EmbeddingOptions};
use token_embeddings::printing::PyTorchPrint;
use token_embeddings::random::manual_seed;
use token_embeddings::summary::summarize;

use super::{torch_seed, DeviceArg};

#[derive(clap::Args)]
pub struct Args {
    /// torch.manual_seed(SEED) before the layer draws its weights (default: the book's 123).
    /// PyTorch's range: -2**63 to 2**64 - 1; a negative seed means its 64 bits, as in PyTorch.
    #[arg(long, default_value_t = 123, allow_negative_numbers = true)]
    seed: i128,
    /// Rows of the table: nn.Embedding's num_embeddings, the vocabulary size (the book's 6).
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(i64).range(1..), allow_negative_numbers = true)]
    vocab_size: i64,
    /// Length of each row: nn.Embedding's embedding_dim (the book's 3).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(i64).range(1..), allow_negative_numbers = true)]
    dim: i64,
    /// Token ids to look up, comma-separated (e.g. 2,3,5,1), each from 0 to vocab-size - 1;
    /// prints layer(torch.tensor(IDS)) after the weight.
    #[arg(long, value_name = "IDS", value_delimiter = ',', allow_hyphen_values = true)]
    ids: Option<Vec<i64>>,
    /// Print one JSON object instead: for the weight and the lookup, shape, dtype, sha256 of the
    /// raw little-endian bytes and the first values.
    #[arg(long)]
    json: bool,
    /// Where the tensors live (see the values).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
    /// nn.Embedding's padding_idx: that row is zeroed (negative values count from the end).
    #[arg(long, allow_negative_numbers = true)]
    padding_idx: Option<i64>,
    /// nn.Embedding's max_norm: looked-up rows are renormalised in place; the weight after the
    /// lookup is printed too.
    #[arg(long, allow_hyphen_values = true)]
    max_norm: Option<f64>,
    /// nn.Embedding's norm_type, the p of the p-norm for --max-norm.
    #[arg(long, default_value_t = 2.0, allow_hyphen_values = true)]
    norm_type: f64,
}

pub fn run(
    Args { seed, vocab_size, dim, ids, json, device, padding_idx, max_norm, norm_type }: Args,
) -> Result<ExitCode> {
    let device = device.device()?;
    manual_seed(torch_seed(seed)?);
    let options = EmbeddingOptions { padding_idx, max_norm, norm_type, ..EmbeddingOptions::default() };
    let layer = Embedding::with_options(vocab_size, dim, options)?.to_device(device)?;
    // The weight as drawn, before a lookup with --max-norm changes it in place.
    let weight_text = layer.weight().pytorch_parameter().to_string();
    let weight_summary = summarize(layer.weight())?;
    let lookup = ids.map(|ids| layer.lookup(&ids)).transpose()?;
    let changed = max_norm.is_some() && lookup.is_some();
    if json {
        let mut out = json!({ "weight": weight_summary });
        if let Some(lookup) = &lookup {
            out["lookup"] = serde_json::to_value(summarize(lookup)?)?;
        }
        if changed {
            out["weight_after"] = serde_json::to_value(summarize(layer.weight())?)?;
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{weight_text}");
        if let Some(lookup) = &lookup {
            println!("{}", lookup.pytorch());
        }
        if changed {
            println!("{}", layer.weight().pytorch_parameter());
        }
    }
    Ok(ExitCode::SUCCESS)
}
