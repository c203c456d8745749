//! `token-embeddings batches`: sliding windows of a text, batch by batch, as `print(batch)`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use serde_json::json;
use token_embeddings::data::{DataLoader, GptDatasetV1, LoaderOptions};
use token_embeddings::random::manual_seed;
use token_embeddings::summary::summarize;

use super::{positive_size, read_text_or_verdict, torch_seed, DeviceArg};

/// The defaults are the book's `create_dataloader_v1(txt, batch_size=4, max_length=256,
/// stride=128, shuffle=True, drop_last=True)`.
#[derive(clap::Args)]
pub struct Args {
    /// Text file to cut into windows (default: the book's story, data/the-verdict.txt).
    #[arg(long, value_name = "FILE")]
    text: Option<PathBuf>,
    /// Windows per batch (the book's default: 4).
    #[arg(long, default_value_t = 4, value_parser = positive_size, allow_negative_numbers = true)]
    batch_size: usize,
    /// Tokens per window, the context length (the book's default: 256).
    #[arg(long, default_value_t = 256, value_parser = positive_size, allow_negative_numbers = true)]
    max_length: usize,
    /// Tokens between the starts of two windows (the book's default: 128).
    #[arg(long, default_value_t = 128, value_parser = positive_size, allow_negative_numbers = true)]
    stride: usize,
    /// Visit the windows in a random order drawn from the default generator (the book's
    /// default: true).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    shuffle: bool,
    /// Drop a last batch that has fewer than --batch-size windows (the book's default: true).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    drop_last: bool,
    /// torch.manual_seed(SEED) before the loader is built, so the shuffled order can be
    /// repeated. Without it the seed is not fixed: the generator is seeded at random, as a fresh
    /// Python process seeds PyTorch, and the order changes from run to run.
    #[arg(long, allow_negative_numbers = true)]
    seed: Option<i128>,
    /// How the text becomes token ids.
    #[arg(long, value_enum, default_value_t = TokenizerArg::Gpt2)]
    tokenizer: TokenizerArg,
    /// Print one JSON object instead: for every batch, the inputs' and targets' shape, dtype,
    /// sha256 of the raw little-endian bytes and first values.
    #[arg(long)]
    json: bool,
    /// Where the batches are moved (see the values).
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
    /// GPT-2 byte-pair encoding, <|endoftext|> allowed (the book's GPTDatasetV1).
    Gpt2,
    /// Whitespace-separated integers are the ids (the book's dataloader bonus).
    Numbers,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (tokens, summary) = (args.tokens.clone(), args.summary);
    let Args { text, batch_size, max_length, stride, shuffle, drop_last, seed, tokenizer, json, device, .. } = args;
    let device = device.device()?;
    let raw_text = read_text_or_verdict(text.as_ref())?;
    manual_seed(match seed {
        Some(seed) => torch_seed(seed)?,
        None => random_seed(),
    });
    let dataset = match (&tokens, tokenizer) {
        (Some(path), _) => GptDatasetV1::open_token_file(path, max_length, stride)?,
        (None, TokenizerArg::Gpt2) => GptDatasetV1::from_text(&raw_text, max_length, stride)?,
        (None, TokenizerArg::Numbers) => GptDatasetV1::from_numbers_text(&raw_text, max_length, stride)?,
    };
    let windows = dataset.len();
    let loader = DataLoader::new(dataset, LoaderOptions { batch_size, shuffle, drop_last })?.on_device(device);
    if summary {
        let summary = loader.summary()?;
        println!("{}", serde_json::to_string(&summary)?);
        return Ok(ExitCode::SUCCESS);
    }
    let mut summaries = Vec::new();
    let mut count = 0;
    for batch in loader.iter()? {
        let batch = batch?;
        count += 1;
        if json {
            summaries.push(json!({ "inputs": summarize(&batch.inputs)?, "targets": summarize(&batch.targets)? }));
        } else {
            println!("{batch}");
        }
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&json!({ "batches": summaries }))?);
    }
    if count == 0 {
        eprintln!(
            "note: no batch: the {windows} window(s) fill no batch of --batch-size {batch_size}, and --drop-last true \
             drops the short one; use a smaller --batch-size or --drop-last false"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What a fresh Python process does on `import torch`: seed the default generator from the
/// operating system's randomness (libtorch alone would start from its fixed default seed).
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new().build_hasher().finish()
}
