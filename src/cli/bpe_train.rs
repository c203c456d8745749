//! `token-embeddings bpe-train`: the book's `BPETokenizerSimple.train` on a text file, saved in the
//! book's two files.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use token_embeddings::text::read_text;
use token_embeddings::tokenizer::bpe::BpeTokenizer;
use token_embeddings::tokenizer::END_OF_TEXT;

use super::{count, usage_bail};

#[derive(clap::Args)]
pub struct Args {
    /// Text to train on (UTF-8; read as the book reads it: `\r\n` and `\r` become `\n`).
    #[arg(long)]
    text: PathBuf,
    /// Vocabulary size to reach: characters + special tokens + merges (fewer when the text runs
    /// out of pairs).
    #[arg(long, value_parser = count, allow_negative_numbers = true)]
    vocab_size: usize,
    /// Folder for `vocab.json` and `bpe_merges.txt` (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// A special token to add to the vocabulary (repeat for several, ids in the order given;
    /// default: <|endoftext|>, as the book's call).
    #[arg(long = "allowed-special", value_name = "TOKEN")]
    allowed_special: Vec<String>,
}

pub fn run(Args { text, vocab_size, out, allowed_special }: Args) -> Result<ExitCode> {
    if allowed_special.iter().any(String::is_empty) {
        usage_bail!("--allowed-special needs a non-empty token");
    }
    // Python's open(path, encoding="utf-8").read(), as the book reads it: universal newlines.
    let raw = read_text(&text)?;
    let specials: Vec<&str> = if allowed_special.is_empty() {
        vec![END_OF_TEXT]
    } else {
        allowed_special.iter().map(String::as_str).collect()
    };
    let tokenizer = BpeTokenizer::train(&raw, vocab_size, &specials);
    tokenizer.save(&out)?;
    println!("vocabulary size: {}", tokenizer.vocab_size());
    println!("merges: {}", tokenizer.merges().len());
    Ok(ExitCode::SUCCESS)
}
