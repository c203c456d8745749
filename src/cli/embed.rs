//! `token-embeddings embed`: seed, create an embedding layer, print its weight and a lookup.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;
use token_embeddings::embedding::Embedding;
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
    #[arg(long, value_name = "IDS", value_delimiter = ',', allow_negative_numbers = true)]
    ids: Option<Vec<i64>>,
    /// Print one JSON object instead: for the weight and the lookup, shape, dtype, sha256 of the
    /// raw little-endian bytes and the first values.
    #[arg(long)]
    json: bool,
    /// Where the tensors live (see the values).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
}

pub fn run(Args { seed, vocab_size, dim, ids, json, device }: Args) -> Result<ExitCode> {
    let device = device.device()?;
    manual_seed(torch_seed(seed)?);
    let layer = Embedding::new(vocab_size, dim)?.to_device(device)?;
    let lookup = ids.map(|ids| layer.lookup(&ids)).transpose()?;
    if json {
        let mut out = json!({ "weight": summarize(layer.weight())? });
        if let Some(lookup) = &lookup {
            out["lookup"] = serde_json::to_value(summarize(lookup)?)?;
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{}", layer.weight().pytorch_parameter());
        if let Some(lookup) = &lookup {
            println!("{}", lookup.pytorch());
        }
    }
    Ok(ExitCode::SUCCESS)
}
