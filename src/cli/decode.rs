//! `token-embeddings decode`: the text of token ids.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use token_embeddings::tokenizer::{Gpt2Tokenizer, SimpleTokenizerV1, SimpleTokenizerV2, Vocab};

use super::read_text_or_verdict;
use super::tokenize::TokenizerKind;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value_t = TokenizerKind::Gpt2)]
    tokenizer: TokenizerKind,
    /// Text whose pieces form the simple tokenizers' vocabulary (default: the book's story).
    #[arg(long)]
    vocab_from: Option<PathBuf>,
    /// With `--tokenizer bpe`: a folder with the book's vocab.json + bpe_merges.txt, or OpenAI's
    /// encoder.json + vocab.bpe.
    #[arg(long, value_name = "DIR")]
    bpe: Option<PathBuf>,
    /// Token ids, comma-separated (e.g. 40,367,2885).
    #[arg(value_name = "IDS", value_delimiter = ',', allow_negative_numbers = true, required = true)]
    ids: Vec<i64>,
}

pub fn run(Args { tokenizer, vocab_from, bpe, ids }: Args) -> Result<ExitCode> {
    let text = match tokenizer {
        TokenizerKind::Bpe => super::tokenize::load_bpe(bpe.as_ref())?.decode_i64(&ids)?,
        TokenizerKind::Gpt2 => Gpt2Tokenizer::new().decode(&ids)?,
        TokenizerKind::SimpleV1 => {
            SimpleTokenizerV1::new(Vocab::from_text(&read_text_or_verdict(vocab_from.as_ref())?)).decode(&ids)?
        }
        TokenizerKind::SimpleV2 => {
            SimpleTokenizerV2::new(Vocab::from_text_with_specials(&read_text_or_verdict(vocab_from.as_ref())?))?
                .decode(&ids)?
        }
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}
