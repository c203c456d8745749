//! `token-embeddings compare`: the chapter in Rust and in PyTorch, step by step, then tensor by tensor.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use token_embeddings::reference;
use token_embeddings::summary::{summarize, TensorSummary};
use token_embeddings::tch::Device;
use token_embeddings::walkthrough;

use super::read_text_or_verdict;

/// Exit status when a step or a tensor differs from PyTorch's: distinct from bad input (1), PyTorch
/// missing (2) and a command line that does not parse (64), so that a script can tell them apart.
pub const EXIT_MISMATCH: u8 = 3;

#[derive(clap::Args)]
pub struct Args {
    /// Text file to use instead of the book's story, read as the book reads it (UTF-8, `\r\n` and
    /// `\r` become `\n`); it needs at least 257 GPT-2 tokens.
    #[arg(long, value_name = "PATH")]
    text: Option<PathBuf>,
    /// Also print PyTorch's output under each matching step.
    #[arg(long)]
    full: bool,
}

pub fn run(Args { text, full }: Args) -> Result<ExitCode> {
    // Read (and check) the text here first, so that a bad file is one error before Python starts.
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
        let theirs: Option<TensorSummary> =
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
    Ok(if mismatches + tensor_mismatches == 0 { ExitCode::SUCCESS } else { ExitCode::from(EXIT_MISMATCH) })
}
