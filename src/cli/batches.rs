//! `token-embeddings batches`: sliding windows of a text, batch by batch, as `print(batch)`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use serde_json::json;
use token_embeddings::data::{DataLoader, GptDatasetV1, LoaderOptions};
use token_embeddings::random::manual_seed;
use token_embeddings::summary::summarize;

use super::{read_text_or_verdict, torch_seed, DeviceArg};

#[derive(clap::Args)]
pub struct Args {
    /// Text file (default: the book's story).
    #[arg(long)]
    text: Option<PathBuf>,
    #[arg(long, default_value_t = 4)]
    batch_size: usize,
    #[arg(long, default_value_t = 256)]
    max_length: usize,
    #[arg(long, default_value_t = 128)]
    stride: usize,
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    shuffle: bool,
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    drop_last: bool,
    /// torch.manual_seed before building the loader (none: libtorch's default seed).
    #[arg(long, allow_negative_numbers = true)]
    seed: Option<i128>,
    #[arg(long, value_enum, default_value_t = TokenizerArg::Gpt2)]
    tokenizer: TokenizerArg,
    #[arg(long)]
    json: bool,
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
    /// Token file written by `prepare` (memory-mapped; instead of --text).
    #[arg(long, value_name = "FILE.bin", conflicts_with_all = ["text", "tokenizer"])]
    tokens: Option<PathBuf>,
    /// Print one JSON line {"batches", "inputs_sha256", "targets_sha256"} (sha256 of every batch's
    /// int64 little-endian bytes, in order) instead of the batches.
    #[arg(long, conflicts_with = "json")]
    summary: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum TokenizerArg {
    /// GPT-2 byte-pair encoding.
    Gpt2,
    /// Whitespace-separated integers are the ids (the book's dataloader bonus).
    Numbers,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (tokens, summary) = (args.tokens.clone(), args.summary);
    let Args { text, batch_size, max_length, stride, shuffle, drop_last, seed, tokenizer, json, device, .. } = args;
    let device = device.device()?;
    let raw_text = read_text_or_verdict(text.as_ref())?;
    if let Some(seed) = seed {
        manual_seed(torch_seed(seed)?);
    }
    let dataset = match (&tokens, tokenizer) {
        (Some(path), _) => GptDatasetV1::open_token_file(path, max_length, stride)?,
        (None, TokenizerArg::Gpt2) => GptDatasetV1::from_text(&raw_text, max_length, stride)?,
        (None, TokenizerArg::Numbers) => GptDatasetV1::from_numbers_text(&raw_text, max_length, stride)?,
    };
    let loader = DataLoader::new(dataset, LoaderOptions { batch_size, shuffle, drop_last })?.on_device(device);
    if summary {
        let summary = loader.summary()?;
        println!("{}", serde_json::to_string(&summary)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut summaries = Vec::new();
    for batch in loader.iter()? {
        let batch = batch?;
        if json {
            summaries.push(json!({ "inputs": summarize(&batch.inputs)?, "targets": summarize(&batch.targets)? }));
        } else {
            println!("{batch}");
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&json!({ "batches": summaries }))?);
    }
    Ok(ExitCode::SUCCESS)
}
