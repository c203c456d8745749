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
mod positions;
mod prepare;
mod print;
mod rope;
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
    /// Run the chapter here and in PyTorch and compare every printed step and tensor (status 3 on a
    /// mismatch, 2 without PyTorch 2.13.0).
    Compare(compare::Args),
    /// Seed, create an embedding layer and print its weight (and a lookup) as PyTorch does.
    Embed(embed::Args),
    /// Cut a text into sliding windows and print every batch as print(batch) does.
    Batches(batches::Args),
    /// Print the token ids of a text.
    Tokenize(tokenize::Args),
    /// Print the text of token ids.
    Decode(decode::Args),
    /// Print a tensor of a .npy or .safetensors file as PyTorch's print(t) does, under print options.
    Print(print::Args),
    /// Print a positional encoding's table: sinusoidal, RoPE's cos/sin, T5 buckets, ALiBi biases.
    Positions(positions::Args),
    /// Rotate random queries and keys with RoPE, as the book's example does.
    Rope(rope::Args),
    /// Tokenise text files into a flat uint16 token file (streaming, on every core).
    Prepare(prepare::Args),
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
            Cmd::Print(args) => print::run(args),
            Cmd::Positions(args) => positions::run(args),
            Cmd::Rope(args) => rope::run(args),
            Cmd::Prepare(args) => prepare::run(args),
            Cmd::BpeTrain(args) => bpe_train::run(args),
        }
    }
}

/// `--device cpu|cuda`.
#[derive(Clone, Copy, ValueEnum)]
pub enum DeviceArg {
    /// The CPU.
    Cpu,
    /// The first CUDA GPU; weights are still drawn on the CPU generator and then moved, as
    /// nn.Embedding(...).to("cuda") does, so the values equal the CPU's. Without a GPU: an error.
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

/// A command line that parses but does not fit together (an option the chosen mode does not read,
/// a missing companion option): status 64, as for one clap refuses, and one line.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Returns early with a [`UsageError`] (`bail!` for command-line mistakes).
macro_rules! usage_bail {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new($crate::cli::UsageError(format!($($arg)*))))
    };
}
pub(crate) use usage_bail;

/// A size of at least 1 (`--batch-size`, `--threads`...); 0 and negative numbers are refused by
/// the command line itself, with the value in the message.
pub fn positive_size(value: &str) -> Result<usize, String> {
    whole_number(value, 1, "is not a size of at least 1")
}

/// A whole number from `min` to `usize::MAX`; below `min`, "{n} {below}".
fn whole_number(value: &str, min: i128, below: &str) -> Result<usize, String> {
    match value.parse::<i128>() {
        Ok(n) if n >= min && n <= usize::MAX as i128 => Ok(n as usize),
        Ok(n) if n >= min => Err(format!("{n} is larger than {}", usize::MAX)),
        Ok(n) => Err(format!("{n} {below}")),
        Err(_) if value.trim_start_matches(['-', '+']).bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() => {
            Err(format!("{value} is too large"))
        }
        Err(_) => Err(format!("{value:?} is not a whole number")),
    }
}

/// [`positive_size`] for the library's `i64` sizes (libtorch's).
pub fn positive_i64(value: &str) -> Result<i64, String> {
    positive_size(value).and_then(|n| i64::try_from(n).map_err(|_| format!("{n} is larger than 2**63 - 1")))
}

/// A count of 0 or more (`print --precision`...).
pub fn count(value: &str) -> Result<usize, String> {
    whole_number(value, 0, "is not a count (0 or more)")
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Every option and argument of every subcommand says what it is for in `--help`.
    #[test]
    fn every_option_has_a_help_text() {
        let cli = Cli::command();
        let mut missing = Vec::new();
        for sub in cli.get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no description", sub.get_name());
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                if id != "help" && id != "version" && arg.get_help().is_none() && arg.get_long_help().is_none() {
                    missing.push(format!("{} --{id}", sub.get_name()));
                }
            }
        }
        assert!(missing.is_empty(), "options without help: {missing:?}");
    }
}
