//! `token-embeddings tokenize`: the token ids of a text.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use token_embeddings::tokenizer::bpe::BpeTokenizer;
use token_embeddings::tokenizer::{python_int_list, Gpt2Tokenizer, SimpleTokenizerV1, SimpleTokenizerV2, Vocab};

use super::read_text_or_verdict;

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
    /// With `--tokenizer bpe`: a special token the text may hold (repeatable; without it, special
    /// tokens in the text are an error, as in the book).
    #[arg(long = "allowed-special", value_name = "TOKEN")]
    allowed_special: Vec<String>,
    /// With `--tokenizer bpe`: print each id with its text (`15496 -> Hello`), one per line.
    #[arg(long)]
    show: bool,
    text: String,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TokenizerKind {
    Gpt2,
    SimpleV1,
    SimpleV2,
    /// The book's BPE from scratch (`BPETokenizerSimple`), from the files in `--bpe DIR`.
    Bpe,
}

pub fn run(Args { tokenizer, vocab_from, bpe, allowed_special, show, text }: Args) -> Result<ExitCode> {
    if !matches!(tokenizer, TokenizerKind::Bpe) && (show || !allowed_special.is_empty()) {
        anyhow::bail!("--show and --allowed-special go with --tokenizer bpe");
    }
    let ids = match tokenizer {
        TokenizerKind::Bpe => {
            let bpe = load_bpe(bpe.as_ref())?;
            let allowed: Vec<&str> = allowed_special.iter().map(String::as_str).collect();
            let ids = bpe.encode(&text, (!allowed.is_empty()).then_some(allowed.as_slice()))?;
            if show {
                for &id in &ids {
                    println!("{id} -> {}", bpe.decode(&[id])?);
                }
                return Ok(ExitCode::SUCCESS);
            }
            ids.into_iter().map(i64::from).collect()
        }
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

/// The book's BPE tokenizer from `--bpe DIR`.
pub fn load_bpe(dir: Option<&PathBuf>) -> Result<BpeTokenizer> {
    let Some(dir) = dir else {
        anyhow::bail!("--tokenizer bpe needs --bpe DIR (vocab.json + bpe_merges.txt, or encoder.json + vocab.bpe)")
    };
    BpeTokenizer::load(dir)
}
