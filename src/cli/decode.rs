//! `token-embeddings decode`: the text of token ids.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use token_embeddings::text::read_text_from;
use token_embeddings::tokenizer::{python_str_repr, Gpt2Tokenizer, SimpleTokenizerV1, SimpleTokenizerV2, Vocab};

use super::tokenize::{vocab_text, TokenizerArgs, TokenizerKind};
use super::{usage_bail, UsageError};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    which: TokenizerArgs,
    /// Write the raw bytes the ids stand for (tiktoken's decode_bytes; GPT-2 only) instead of the
    /// text, where bytes that are not UTF-8 become U+FFFD as in tiktoken's decode.
    #[arg(long)]
    bytes: bool,
    /// Token ids, comma-separated (40,367,2885), or a list as `tokenize` prints it ("[40, 367]");
    /// `-` reads them from standard input.
    #[arg(value_name = "IDS", allow_hyphen_values = true)]
    ids: String,
}

pub fn run(Args { which, bytes, ids }: Args) -> Result<ExitCode> {
    which.check()?;
    if bytes && !matches!(which.tokenizer, TokenizerKind::Gpt2) {
        usage_bail!("--bytes is for GPT-2 only: the simple tokenizers' pieces are text");
    }
    let TokenizerArgs { tokenizer, vocab_from, bpe } = which;
    let ids = if ids == "-" {
        parse_ids(&read_text_from(std::io::stdin().lock(), "standard input")?)?
    } else {
        // Written on the command line: a mistake there is a usage error, as `embed --ids 1,,2` is.
        parse_ids(&ids).map_err(|err| anyhow::Error::new(UsageError(format!("{err:#}"))))?
    };
    if bytes {
        let raw = Gpt2Tokenizer::new().decode_bytes(&ids)?;
        std::io::stdout().lock().write_all(&raw).context("writing to standard output")?;
        return Ok(ExitCode::SUCCESS);
    }
    let text = match tokenizer {
        TokenizerKind::Bpe => super::tokenize::load_bpe(bpe.as_ref())?.decode_i64(&ids)?,
        TokenizerKind::Gpt2 => Gpt2Tokenizer::new().decode(&ids)?,
        TokenizerKind::SimpleV1 => SimpleTokenizerV1::new(Vocab::from_text(&vocab_text(vocab_from)?)).decode(&ids)?,
        TokenizerKind::SimpleV2 => {
            SimpleTokenizerV2::new(Vocab::from_text_with_specials(&vocab_text(vocab_from)?))?.decode(&ids)?
        }
    };
    println!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// Ids separated by commas and/or white space, optionally inside `[` `]` (Python's list repr; a
/// trailing comma is allowed, as in Python, but an empty entry between two commas is not).
fn parse_ids(text: &str) -> Result<Vec<i64>> {
    let trimmed = text.trim();
    let inner = match trimmed.strip_prefix('[') {
        Some(rest) => rest.strip_suffix(']').context("IDS starts with '[' but does not end with ']'")?,
        None => trimmed,
    };
    let entries: Vec<&str> = inner.split(',').map(str::trim).collect();
    let mut ids = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        if entry.is_empty() {
            let trailing_comma = index + 1 == entries.len() && index > 0;
            if trailing_comma || entries.len() == 1 {
                continue;
            }
            bail!("IDS: an empty entry at position {} (two commas with no id between them?)", ids.len());
        }
        for piece in entry.split_whitespace() {
            let id = piece.parse::<i64>().with_context(|| {
                format!(
                    "IDS: {} at position {} is not a token id (give integers such as 40,367,2885)",
                    python_str_repr(piece),
                    ids.len()
                )
            })?;
            ids.push(id);
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::parse_ids;

    #[test]
    fn ids_in_every_written_form() {
        assert_eq!(parse_ids("40,367,2885").unwrap(), [40, 367, 2885]);
        assert_eq!(parse_ids("[40, 367, 2885]\n").unwrap(), [40, 367, 2885]);
        assert_eq!(parse_ids("40 367\t-1").unwrap(), [40, 367, -1]);
        assert_eq!(parse_ids("[]").unwrap(), Vec::<i64>::new());
        assert!(parse_ids("1,x").unwrap_err().to_string().contains("'x' at position 1"));
        assert!(parse_ids("[1, 2").is_err());
        // Python's list syntax: a trailing comma is fine, an empty entry is not.
        assert_eq!(parse_ids("[1, 2,]").unwrap(), [1, 2]);
        assert_eq!(parse_ids("1,").unwrap(), [1]);
        assert!(parse_ids("1,,2").unwrap_err().to_string().contains("empty entry at position 1"));
        assert!(parse_ids(",1").unwrap_err().to_string().contains("empty entry at position 0"));
        assert!(parse_ids("[,]").is_err());
    }
}
