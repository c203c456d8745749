//! `token-embeddings`: chapter 2 of "Build a Large Language Model (From Scratch)" on the command
//! line, next to a live PyTorch run. A thin layer over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{json, Map, Value};
use token_embeddings::data::{DataLoader, GptDatasetV1, LoaderOptions};
use token_embeddings::embedding::{check_device, Embedding};
use token_embeddings::printing::PyTorchPrint;
use token_embeddings::random::manual_seed;
use token_embeddings::reference::{self, PyTorchMissing};
use token_embeddings::summary::summarize;
use token_embeddings::tch::Device;
use token_embeddings::tokenizer::{python_int_list, Gpt2Tokenizer, SimpleTokenizerV1, SimpleTokenizerV2, Vocab};
use token_embeddings::walkthrough::{self, THE_VERDICT};

#[derive(Parser)]
#[command(
    version,
    about = "Chapter 2 of 'Build a Large Language Model (From Scratch)' in Rust, bit for bit equal to PyTorch"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print every output of the chapter, in order, as the book's notebook prints it.
    Walkthrough {
        /// Text to use instead of the book's story (data/the-verdict.txt).
        #[arg(long)]
        text: Option<PathBuf>,
        /// Print one JSON object of the chapter's tensors (shape, dtype, sha256, head).
        #[arg(long)]
        json: bool,
        #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
        device: DeviceArg,
    },
    /// Run the chapter here and in PyTorch and compare every printed step and tensor.
    Compare {
        /// Text to use instead of the book's story.
        #[arg(long)]
        text: Option<PathBuf>,
        /// Also print PyTorch's output under each matching step.
        #[arg(long)]
        full: bool,
    },
    /// Seed, create an embedding layer and print its weight (and a lookup) as PyTorch does.
    Embed {
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
    },
    /// Cut a text into sliding windows and print every batch as print(batch) does.
    Batches {
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
    },
    /// Print the token ids of a text.
    Tokenize {
        #[arg(long, value_enum, default_value_t = TokenizerKind::Gpt2)]
        tokenizer: TokenizerKind,
        /// Text whose pieces form the simple tokenizers' vocabulary (default: the book's story).
        #[arg(long)]
        vocab_from: Option<PathBuf>,
        text: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum DeviceArg {
    Cpu,
    Cuda,
}

impl DeviceArg {
    fn device(self) -> Result<Device> {
        let device = match self {
            DeviceArg::Cpu => Device::Cpu,
            DeviceArg::Cuda => Device::Cuda(0),
        };
        check_device(device)?;
        Ok(device)
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum TokenizerArg {
    /// GPT-2 byte-pair encoding.
    Gpt2,
    /// Whitespace-separated integers are the ids (the book's dataloader bonus).
    Numbers,
}

#[derive(Clone, Copy, ValueEnum)]
enum TokenizerKind {
    Gpt2,
    SimpleV1,
    SimpleV2,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.downcast_ref::<PyTorchMissing>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Cmd::Walkthrough { text, json, device } => {
            let raw_text = read_text_or_verdict(text.as_ref())?;
            let chapter = walkthrough::run(&raw_text, device.device()?)?;
            if json {
                let mut tensors = Map::new();
                for (name, tensor) in &chapter.tensors {
                    tensors.insert((*name).to_owned(), serde_json::to_value(summarize(tensor)?)?);
                }
                println!("{}", serde_json::to_string_pretty(&Value::Object(tensors))?);
            } else {
                print!("{chapter}");
            }
        }
        Cmd::Compare { text, full } => return compare(text, full),
        Cmd::Embed { seed, vocab_size, dim, ids, json, device } => {
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
        }
        Cmd::Batches { text, batch_size, max_length, stride, shuffle, drop_last, seed, tokenizer, json, device } => {
            let device = device.device()?;
            let raw_text = read_text_or_verdict(text.as_ref())?;
            if let Some(seed) = seed {
                manual_seed(torch_seed(seed)?);
            }
            let dataset = match tokenizer {
                TokenizerArg::Gpt2 => GptDatasetV1::from_text(&raw_text, max_length, stride)?,
                TokenizerArg::Numbers => GptDatasetV1::from_numbers_text(&raw_text, max_length, stride)?,
            };
            let loader = DataLoader::new(dataset, LoaderOptions { batch_size, shuffle, drop_last })?.on_device(device);
            let mut summaries = Vec::new();
            for batch in loader.iter()? {
                let batch = batch?;
                if json {
                    summaries
                        .push(json!({ "inputs": summarize(&batch.inputs)?, "targets": summarize(&batch.targets)? }));
                } else {
                    println!("{batch}");
                }
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&json!({ "batches": summaries }))?);
            }
        }
        Cmd::Tokenize { tokenizer, vocab_from, text } => {
            let ids = match tokenizer {
                TokenizerKind::Gpt2 => Gpt2Tokenizer::new().encode(&text)?,
                TokenizerKind::SimpleV1 => {
                    SimpleTokenizerV1::new(Vocab::from_text(&read_text_or_verdict(vocab_from.as_ref())?))
                        .encode(&text)?
                }
                TokenizerKind::SimpleV2 => {
                    SimpleTokenizerV2::new(Vocab::from_text_with_specials(&read_text_or_verdict(vocab_from.as_ref())?))?
                        .encode(&text)
                }
            };
            println!("{}", python_int_list(&ids));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Python's `torch.manual_seed` takes -2**63 ..= 2**64 - 1; negative seeds wrap to their bits.
fn torch_seed(seed: i128) -> Result<u64> {
    if !(i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&seed) {
        bail!("seed {seed} is outside PyTorch's range -2**63 ..= 2**64 - 1");
    }
    Ok(if seed < 0 { seed as i64 as u64 } else { seed as u64 })
}

fn read_text_or_verdict(path: Option<&PathBuf>) -> Result<String> {
    match path {
        Some(path) => walkthrough::read_text(path),
        None => Ok(THE_VERDICT.to_owned()),
    }
}

/// `compare`: the chapter in Rust and in PyTorch, step by step, then tensor by tensor.
fn compare(text: Option<PathBuf>, full: bool) -> Result<ExitCode> {
    let raw_text = read_text_or_verdict(text.as_ref())?;
    let rust = walkthrough::run(&raw_text, Device::Cpu)?;
    let python = reference::walkthrough(text.as_deref())?;
    let version = python["torch_version"].as_str().unwrap_or("unknown");
    let python_steps = python["steps"].as_array().context("the reference returned no steps")?;

    let mut mismatches = 0;
    println!(
        "token-embeddings {} (Rust, tch 0.26) vs the book's code on PyTorch {version}, step by step\n",
        env!("CARGO_PKG_VERSION")
    );
    for step in &rust.steps {
        let theirs = python_steps.iter().find(|s| s["name"] == step.name).and_then(|s| s["text"].as_str());
        let same = theirs == Some(step.text.as_str());
        mismatches += usize::from(!same);
        let mark = if same { "✓ match" } else { "✗ MISMATCH" };
        println!("── {} ── {mark}", step.heading);
        if same && !full {
            print!("{}", step.text);
        } else {
            println!("[Rust]");
            print!("{}", step.text);
            println!("[PyTorch]");
            print!("{}", theirs.unwrap_or("(no such step in the PyTorch run)\n"));
        }
        println!();
    }

    println!("── Tensors, bit for bit (sha256 of the raw bytes) ──");
    let mut tensor_mismatches = 0;
    for (name, tensor) in &rust.tensors {
        let ours = summarize(tensor)?;
        let theirs: Option<token_embeddings::summary::TensorSummary> =
            python["tensors"].get(*name).map(|v| serde_json::from_value(v.clone())).transpose()?;
        let same = theirs.as_ref() == Some(&ours);
        tensor_mismatches += usize::from(!same);
        let mark = if same { "✓" } else { "✗" };
        println!("{mark} {name:<30} {:?} {} sha256 {}…", ours.shape, ours.dtype, &ours.sha256[..16]);
        if let (false, Some(theirs)) = (same, &theirs) {
            println!("  PyTorch: {:?} {} sha256 {}…", theirs.shape, theirs.dtype, &theirs.sha256[..16]);
        }
    }
    println!();
    let steps = rust.steps.len();
    let tensors = rust.tensors.len();
    println!(
        "{}/{steps} printed steps and {}/{tensors} tensors equal PyTorch {version}{}",
        steps - mismatches,
        tensors - tensor_mismatches,
        if mismatches + tensor_mismatches == 0 { ", bit for bit" } else { "" }
    );
    Ok(if mismatches + tensor_mismatches == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
