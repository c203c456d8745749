//! `token-embeddings tokenize`: the token ids of a text (literal, from a file, or from stdin).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::ValueEnum;
use token_embeddings::text::{read_text, read_text_from};
use token_embeddings::tokenizer::bpe::BpeTokenizer;
use token_embeddings::tokenizer::{
    python_int_list, split_text, Gpt2Tokenizer, SimpleTokenizerV1, SimpleTokenizerV2, Vocab,
};

use super::{read_text_or_verdict, usage_bail};

/// Which tokenizer, and where its vocabulary comes from: the options `tokenize` and `decode` share.
#[derive(clap::Args)]
pub struct TokenizerArgs {
    /// Which tokenizer: GPT-2's byte-pair encoding (tiktoken's "gpt2"), the book's simple ones, or
    /// the book's BPE from scratch.
    #[arg(long, value_enum, default_value_t = TokenizerKind::Gpt2)]
    pub tokenizer: TokenizerKind,
    /// Text file whose pieces form the simple tokenizers' vocabulary (default: the book's story).
    #[arg(long, value_name = "PATH")]
    pub vocab_from: Option<PathBuf>,
    /// With `--tokenizer bpe`: a folder with the book's vocab.json + bpe_merges.txt, or OpenAI's
    /// encoder.json + vocab.bpe.
    #[arg(long, value_name = "DIR")]
    pub bpe: Option<PathBuf>,
}

impl TokenizerArgs {
    /// Refuses options the chosen tokenizer does not read (status 64), so a mistyped command line
    /// is not silently answered with another tokenizer's ids.
    pub fn check(&self) -> Result<()> {
        let simple = matches!(self.tokenizer, TokenizerKind::SimpleV1 | TokenizerKind::SimpleV2);
        if self.vocab_from.is_some() && !simple {
            usage_bail!(
                "--vocab-from is for the simple tokenizers (simple-v1, simple-v2); --tokenizer {} has its own vocabulary",
                self.tokenizer.name()
            );
        }
        match (self.tokenizer, &self.bpe) {
            (TokenizerKind::Bpe, None) => usage_bail!("{BPE_DIR_NEEDED}"),
            (TokenizerKind::Bpe, Some(_)) | (_, None) => Ok(()),
            (other, Some(_)) => usage_bail!("--bpe DIR goes with --tokenizer bpe, not --tokenizer {}", other.name()),
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    which: TokenizerArgs,
    /// A special token to encode as its id (tiktoken's allowed_special; GPT-2 has only
    /// '<|endoftext|>', and `all` allows every one, as allowed_special="all" does; with `bpe`, the
    /// book's allowed_special; repeatable). Without it, text that spells a special token is an
    /// error, as in the book's tokenizer.encode(text).
    #[arg(long, value_name = "TOKEN")]
    allowed_special: Vec<String>,
    /// With `--tokenizer bpe`: print each id with its text (`15496 -> Hello`), one per line, as the
    /// book's per-id decode loop does.
    #[arg(long)]
    show: bool,
    /// Read the text from this file, as the book reads files (UTF-8; \r\n and \r become \n);
    /// `-` reads standard input.
    #[arg(long, value_name = "PATH", conflicts_with = "text")]
    file: Option<PathBuf>,
    /// The text itself, not a file name (for a file use --file PATH); `-` reads standard input.
    #[arg(value_name = "TEXT", required_unless_present = "file", allow_hyphen_values = true)]
    text: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TokenizerKind {
    /// GPT-2's byte-pair encoding (50257 ids).
    Gpt2,
    /// The book's SimpleTokenizerV1: fails on a word it has never seen.
    SimpleV1,
    /// The book's SimpleTokenizerV2: <|unk|> for unknown words, knows <|endoftext|>.
    SimpleV2,
    /// The book's BPE from scratch (`BPETokenizerSimple`), from the files in `--bpe DIR`.
    Bpe,
}

impl TokenizerKind {
    /// The name `--tokenizer` takes.
    pub fn name(self) -> String {
        self.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default()
    }
}

pub fn run(Args { which, allowed_special, show, file, text }: Args) -> Result<ExitCode> {
    which.check()?;
    if allowed_special.iter().any(String::is_empty) {
        usage_bail!("--allowed-special needs a non-empty token");
    }
    if !allowed_special.is_empty() && !matches!(which.tokenizer, TokenizerKind::Gpt2 | TokenizerKind::Bpe) {
        usage_bail!(
            "--allowed-special is for gpt2 and bpe: the simple tokenizers treat <|endoftext|> as a vocabulary entry"
        );
    }
    if show && !matches!(which.tokenizer, TokenizerKind::Bpe) {
        usage_bail!("--show goes with --tokenizer bpe");
    }
    let TokenizerArgs { tokenizer, vocab_from, bpe } = which;
    let text = match (file, text) {
        (Some(path), _) if path.as_os_str() == "-" => read_text_from(std::io::stdin().lock(), "standard input")?,
        (Some(path), _) => read_text(&path)?,
        (None, Some(text)) if text == "-" => read_text_from(std::io::stdin().lock(), "standard input")?,
        (None, Some(text)) => text,
        (None, None) => usage_bail!("give the text, --file PATH or - for standard input"),
    };
    let allowed: Vec<&str> = allowed_special.iter().map(String::as_str).collect();
    let ids = match tokenizer {
        TokenizerKind::Bpe => {
            let bpe = load_bpe(bpe.as_ref())?;
            let ids = bpe.encode(&text, (!allowed.is_empty()).then_some(allowed.as_slice()))?;
            if show {
                for &id in &ids {
                    println!("{id} -> {}", bpe.decode(&[id])?);
                }
                return Ok(ExitCode::SUCCESS);
            }
            ids.into_iter().map(i64::from).collect()
        }
        // tiktoken's idiom allowed_special="all": every special token of the encoding.
        TokenizerKind::Gpt2 if allowed == ["all"] => {
            Gpt2Tokenizer::new().encode_with_special(&text, &Gpt2Tokenizer::SPECIAL_TOKENS)?
        }
        TokenizerKind::Gpt2 => Gpt2Tokenizer::new().encode_with_special(&text, &allowed)?,
        TokenizerKind::SimpleV1 => SimpleTokenizerV1::new(Vocab::from_text(&vocab_text(vocab_from)?)).encode(&text)?,
        TokenizerKind::SimpleV2 => {
            SimpleTokenizerV2::new(Vocab::from_text_with_specials(&vocab_text(vocab_from)?))?.encode(&text)
        }
    };
    println!("{}", python_int_list(&ids));
    Ok(ExitCode::SUCCESS)
}

/// The text the simple tokenizers build their vocabulary from: `--vocab-from PATH` or the book's
/// story. A text with no pieces (empty, or only white space) is an error.
pub fn vocab_text(vocab_from: Option<PathBuf>) -> Result<String> {
    let text = read_text_or_verdict(vocab_from.as_ref())?;
    if split_text(&text).is_empty() {
        let source = vocab_from.map_or("the book's story".to_owned(), |p| p.display().to_string());
        bail!(
            "--vocab-from {source} yields no vocabulary: it has no words or punctuation, only white space or nothing"
        );
    }
    Ok(text)
}

const BPE_DIR_NEEDED: &str =
    "--tokenizer bpe needs --bpe DIR (vocab.json + bpe_merges.txt, or encoder.json + vocab.bpe)";

/// The book's BPE tokenizer from `--bpe DIR`.
pub fn load_bpe(dir: Option<&PathBuf>) -> Result<BpeTokenizer> {
    let Some(dir) = dir else { usage_bail!("{BPE_DIR_NEEDED}") };
    BpeTokenizer::load(dir)
}
