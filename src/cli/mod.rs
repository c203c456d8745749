//! The command line: one file per subcommand, each a thin layer over the library.
//!
//! A subcommand is an `Args` struct and a `run` function; this file only lists them and holds
//! the options several of them share.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand, ValueEnum};
use token_embeddings::embedding::check_device;
use token_embeddings::tch::Device;
use token_embeddings::walkthrough::{self, THE_VERDICT};

mod batches;
mod bpe_train;
mod compare;
mod decode;
mod embed;
mod tokenize;
mod walkthrough_cmd;

#[derive(Parser)]
#[command(
    version,
    about = "Chapter 2 of 'Build a Large Language Model (From Scratch)' in Rust, bit for bit equal to PyTorch"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print every output of the chapter, in order, as the book's notebook prints it.
    Walkthrough(walkthrough_cmd::Args),
    /// Run the chapter here and in PyTorch and compare every printed step and tensor.
    Compare(compare::Args),
    /// Seed, create an embedding layer and print its weight (and a lookup) as PyTorch does.
    Embed(embed::Args),
    /// Cut a text into sliding windows and print every batch as print(batch) does.
    Batches(batches::Args),
    /// Print the token ids of a text.
    Tokenize(tokenize::Args),
    /// Print the text of token ids.
    Decode(decode::Args),
    /// Train the book's BPE tokenizer on a text and save vocab.json and bpe_merges.txt.
    BpeTrain(bpe_train::Args),
}

impl Cli {
    /// Runs the chosen subcommand.
    pub fn run(self) -> Result<ExitCode> {
        match self.command {
            Cmd::Walkthrough(args) => walkthrough_cmd::run(args),
            Cmd::Compare(args) => compare::run(args),
            Cmd::Embed(args) => embed::run(args),
            Cmd::Batches(args) => batches::run(args),
            Cmd::Tokenize(args) => tokenize::run(args),
            Cmd::Decode(args) => decode::run(args),
            Cmd::BpeTrain(args) => bpe_train::run(args),
        }
    }
}

/// `--device cpu|cuda`.
#[derive(Clone, Copy, ValueEnum)]
pub enum DeviceArg {
    Cpu,
    Cuda,
}

impl DeviceArg {
    /// The tch device, checked to exist.
    pub fn device(self) -> Result<Device> {
        let device = match self {
            DeviceArg::Cpu => Device::Cpu,
            DeviceArg::Cuda => Device::Cuda(0),
        };
        check_device(device)?;
        Ok(device)
    }
}

/// Python's `torch.manual_seed` takes -2**63 ..= 2**64 - 1; negative seeds wrap to their bits.
pub fn torch_seed(seed: i128) -> Result<u64> {
    if !(i128::from(i64::MIN)..=i128::from(u64::MAX)).contains(&seed) {
        bail!("seed {seed} is outside PyTorch's range -2**63 ..= 2**64 - 1");
    }
    Ok(if seed < 0 { seed as i64 as u64 } else { seed as u64 })
}

/// The text of `--text PATH`, or the book's story without it.
pub fn read_text_or_verdict(path: Option<&PathBuf>) -> Result<String> {
    match path {
        Some(path) => walkthrough::read_text(path),
        None => Ok(THE_VERDICT.to_owned()),
    }
}
