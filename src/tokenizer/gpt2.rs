//! GPT-2's byte-pair encoding (section 2.5), as `tiktoken.get_encoding("gpt2")` in the book.

use std::collections::HashSet;
use std::fmt;

use anyhow::{bail, Context, Result};

use super::END_OF_TEXT;
use crate::pyrepr::python_str_repr;

/// GPT-2's byte-pair encoding, as `tiktoken.get_encoding("gpt2")` in the book, with tiktoken's
/// rules for special tokens and its lossy decode.
///
/// - [`encode`](Self::encode) is tiktoken's `encode(text)`: text that spells a special token
///   (`<|endoftext|>`) is an error ([`DisallowedSpecialToken`]), as the book's
///   `tokenizer.encode(raw_text)` raises `ValueError`;
/// - [`encode_with_special`](Self::encode_with_special) is `encode(text, allowed_special={...})`,
///   the book's call in section 2.5 and in `GPTDatasetV1`: the marker becomes the id 50256;
/// - [`encode_ordinary`](Self::encode_ordinary) splits the marker like any other text;
/// - [`decode`](Self::decode) is tiktoken's `decode` (`errors="replace"`): bytes that are not
///   UTF-8, e.g. a token that ends inside a character, become U+FFFD;
///   [`decode_bytes`](Self::decode_bytes) gives the raw bytes.
///
/// ```
/// use token_embeddings::tokenizer::{Gpt2Tokenizer, END_OF_TEXT};
/// let gpt2 = Gpt2Tokenizer::new();
/// assert_eq!(gpt2.encode("Akwirw ier")?, [33901, 86, 343, 86, 220, 959]);
/// assert!(gpt2.encode("<|endoftext|>").is_err());
/// assert_eq!(gpt2.encode_with_special("<|endoftext|>", &[END_OF_TEXT])?, [50256]);
/// assert_eq!(gpt2.decode(&[49426])?, "\u{fffd}");
/// assert_eq!(gpt2.decode_bytes(&[49426])?, b"\xe7\x90");
/// # anyhow::Ok(())
/// ```
#[derive(Clone, Copy)]
pub struct Gpt2Tokenizer {
    bpe: &'static tiktoken_rs::CoreBPE,
}

impl Default for Gpt2Tokenizer {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Gpt2Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Gpt2Tokenizer(r50k_base)")
    }
}

/// The text held a special token that the call did not allow: tiktoken raises `ValueError`.
///
/// `Display` is one line for people; [`DisallowedSpecialToken::python_message`] is tiktoken's own
/// message, as the book's notebook would print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisallowedSpecialToken {
    /// The special token's text, e.g. `<|endoftext|>`.
    pub token: String,
}

impl DisallowedSpecialToken {
    /// tiktoken 0.14's `ValueError` message (`tiktoken/core.py`, `raise_disallowed_special_token`).
    pub fn python_message(&self) -> String {
        let token = python_str_repr(&self.token);
        format!(
            "Encountered text corresponding to disallowed special token {token}.\n\
             If you want this text to be encoded as a special token, pass it to `allowed_special`, \
             e.g. `allowed_special={{{token}, ...}}`.\n\
             If you want this text to be encoded as normal text, disable the check for this token by \
             passing `disallowed_special=(enc.special_tokens_set - {{{token}}})`.\n\
             To disable this check for all special tokens, pass `disallowed_special=()`.\n"
        )
    }
}

impl fmt::Display for DisallowedSpecialToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the text contains the special token {}, which tiktoken's encode refuses unless it is allowed \
             (allowed_special={{{}}}, `--allowed-special '{}'` on the command line)",
            python_str_repr(&self.token),
            python_str_repr(&self.token),
            self.token
        )
    }
}

impl std::error::Error for DisallowedSpecialToken {}

impl Gpt2Tokenizer {
    /// Number of ids GPT-2 knows: 50,000 merges, 256 bytes and `<|endoftext|>`.
    pub const VOCAB_SIZE: i64 = 50257;
    /// GPT-2's special tokens (tiktoken's `special_tokens_set`).
    pub const SPECIAL_TOKENS: [&'static str; 1] = [END_OF_TEXT];

    /// The r50k_base ranks are compiled into tiktoken-rs: no file, no network.
    pub fn new() -> Self {
        Self { bpe: tiktoken_rs::r50k_base_singleton() }
    }

    /// tiktoken's `encode(text)`: text that spells a special token is a [`DisallowedSpecialToken`]
    /// error (Python's `ValueError`).
    pub fn encode(&self, text: &str) -> Result<Vec<i64>> {
        self.encode_with_special(text, &[])
    }

    /// tiktoken's `encode(text, allowed_special={...})`: the allowed special tokens become their
    /// ids, any other special token in the text is a [`DisallowedSpecialToken`] error. A name in
    /// `allowed_special` that is not one of GPT-2's special tokens is an error too.
    pub fn encode_with_special(&self, text: &str, allowed_special: &[&str]) -> Result<Vec<i64>> {
        for token in allowed_special {
            if !Self::SPECIAL_TOKENS.contains(token) {
                bail!(
                    "{} is not a special token of GPT-2 (it has only {})",
                    python_str_repr(token),
                    python_str_repr(END_OF_TEXT)
                );
            }
        }
        // tiktoken checks the whole text first and reports the first disallowed one it finds.
        let first_disallowed = Self::SPECIAL_TOKENS
            .iter()
            .filter(|token| !allowed_special.contains(token))
            .filter_map(|token| text.find(token).map(|at| (at, *token)))
            .min();
        if let Some((_, token)) = first_disallowed {
            return Err(DisallowedSpecialToken { token: token.to_owned() }.into());
        }
        let allowed: HashSet<&str> = allowed_special.iter().copied().collect();
        let (ranks, _) = self.bpe.encode(text, &allowed).context("GPT-2 byte-pair encoding")?;
        Ok(ranks.into_iter().map(i64::from).collect())
    }

    /// tiktoken's `encode_ordinary(text)`: no special tokens, `<|endoftext|>` is split like any
    /// other text.
    pub fn encode_ordinary(&self, text: &str) -> Vec<i64> {
        self.bpe.encode_ordinary(text).into_iter().map(i64::from).collect()
    }

    /// tiktoken's `decode_bytes(ids)`: the bytes the ids stand for, which need not be UTF-8.
    /// An id outside `0..50257` is an error that names the id, its position and the vocabulary
    /// size.
    pub fn decode_bytes(&self, ids: &[i64]) -> Result<Vec<u8>> {
        let ranks = ids
            .iter()
            .enumerate()
            .map(|(position, &id)| match u32::try_from(id) {
                Ok(rank) if id < Self::VOCAB_SIZE => Ok(rank),
                _ => bail!(
                    "token id {id} at position {position} is outside GPT-2's vocabulary of {} ids (0..={})",
                    Self::VOCAB_SIZE,
                    Self::VOCAB_SIZE - 1
                ),
            })
            .collect::<Result<Vec<u32>>>()?;
        self.bpe.decode_bytes(&ranks).map_err(|e| anyhow::anyhow!("decoding GPT-2 token ids: {e:?}"))
    }

    /// tiktoken's `decode(ids)`: the text, with every byte sequence that is not UTF-8 replaced
    /// by U+FFFD as Python's `bytes.decode("utf-8", errors="replace")` does (Rust's
    /// `String::from_utf8_lossy` replaces the same maximal invalid parts).
    pub fn decode(&self, ids: &[i64]) -> Result<String> {
        Ok(String::from_utf8_lossy(&self.decode_bytes(ids)?).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/the-verdict.txt")).unwrap()
    }

    #[test]
    fn gpt2_matches_tiktoken() {
        let gpt2 = Gpt2Tokenizer::new();
        let text = "Hello, do you like tea? <|endoftext|> In the sunlit terracesof someunknownPlace.";
        let ids = gpt2.encode_with_special(text, &[END_OF_TEXT]).unwrap();
        assert_eq!(
            ids,
            [
                15496, 11, 466, 345, 588, 8887, 30, 220, 50256, 554, 262, 4252, 18250, 8812, 2114, 1659, 617, 34680,
                27271, 13
            ]
        );
        assert_eq!(gpt2.decode(&ids).unwrap(), text);
        assert_eq!(gpt2.encode(&verdict()).unwrap().len(), 5145);
        assert_eq!(gpt2.encode_ordinary("<|endoftext|>"), [27, 91, 437, 1659, 5239, 91, 29]);
    }

    #[test]
    fn special_tokens_follow_tiktoken() {
        let gpt2 = Gpt2Tokenizer::new();
        let err = gpt2.encode("a <|endoftext|> b").unwrap_err();
        let special = err.downcast_ref::<DisallowedSpecialToken>().expect("tiktoken's ValueError");
        assert_eq!(special.token, END_OF_TEXT);
        assert!(special
            .python_message()
            .starts_with("Encountered text corresponding to disallowed special token '<|endoftext|>'.\nIf you want"));
        assert!(!err.to_string().contains('\n'), "one line for people: {err}");
        assert!(gpt2.encode_with_special("x", &["<|unk|>"]).unwrap_err().to_string().contains("not a special token"));
    }

    #[test]
    fn decode_is_lossy_and_bytes_are_exact() {
        let gpt2 = Gpt2Tokenizer::new();
        // Python: enc.decode([49426]) == '\ufffd', enc.decode_bytes([49426]) == b'\xe7\x90'
        assert_eq!(gpt2.decode(&[49426, 49426]).unwrap(), "\u{fffd}\u{fffd}");
        assert_eq!(gpt2.decode_bytes(&[49426]).unwrap(), [0xe7, 0x90]);
        let err = gpt2.decode(&[40, 50257]).unwrap_err().to_string();
        assert!(err.contains("token id 50257 at position 1") && err.contains("50257 ids"), "{err}");
        let err = gpt2.decode(&[-1]).unwrap_err().to_string();
        assert!(err.contains("token id -1 at position 0"), "{err}");
    }
}
