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
    #[arg(long, default_value_t = 123, allow_negative_numbers = true)]
    seed: i128,
    #[arg(long, default_value_t = 6)]
    vocab_size: i64,
    #[arg(long, default_value_t = 3)]
    dim: i64,
    /// Token ids to look up, comma-separated (e.g. 2,3,5,1).
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    ids: Option<Vec<i64>>,
    #[arg(long)]
    json: bool,
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
}

pub fn run(Args { seed, vocab_size, dim, ids, json, device }: Args) -> Result<ExitCode> {
    manual_seed(torch_seed(seed)?);
    let layer = Embedding::new(vocab_size, dim)?.to_device(device.device()?)?;
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
