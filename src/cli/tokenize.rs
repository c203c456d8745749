//! `token-embeddings tokenize`: the token ids of a text.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use token_embeddings::tokenizer::{python_int_list, Gpt2Tokenizer, SimpleTokenizerV1, SimpleTokenizerV2, Vocab};

use super::read_text_or_verdict;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value_t = TokenizerKind::Gpt2)]
    tokenizer: TokenizerKind,
    /// Text whose pieces form the simple tokenizers' vocabulary (default: the book's story).
    #[arg(long)]
    vocab_from: Option<PathBuf>,
    text: String,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TokenizerKind {
    Gpt2,
    SimpleV1,
    SimpleV2,
}

pub fn run(Args { tokenizer, vocab_from, text }: Args) -> Result<ExitCode> {
    let ids = match tokenizer {
        TokenizerKind::Gpt2 => Gpt2Tokenizer::new().encode(&text)?,
        TokenizerKind::SimpleV1 => {
            SimpleTokenizerV1::new(Vocab::from_text(&read_text_or_verdict(vocab_from.as_ref())?)).encode(&text)?
        }
        TokenizerKind::SimpleV2 => {
            SimpleTokenizerV2::new(Vocab::from_text_with_specials(&read_text_or_verdict(vocab_from.as_ref())?))?
                .encode(&text)
        }
    };
    println!("{}", python_int_list(&ids));
    Ok(ExitCode::SUCCESS)
}
