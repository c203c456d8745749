//! Growing the vocabulary for new special tokens, as the book's chapter-5 bonus
//! `09_extending-tokenizers` does: GPT-2's tokenizer with new special tokens at ids 50257,
//! 50258, ... (`tiktoken.Encoding(..., special_tokens={**base._special_tokens, **custom})`),
//! and the token embedding grown to match ([`crate::embedding::Embedding::grown`]).

use anyhow::{ensure, Result};

use crate::tokenizer::{Gpt2Tokenizer, END_OF_TEXT};

/// GPT-2's byte-pair encoding plus special tokens of one's own, numbered from 50257 on.
///
/// `encode` splits the text at every special token (GPT-2's `<|endoftext|>` and the new ones,
/// all allowed, as the book's `allowed_special=set(custom_tokens) | {"<|endoftext|>"}`) and
/// encodes the text between them with GPT-2's rules, as tiktoken does.
///
/// ```
/// use token_embeddings::training::vocab::ExtendedGpt2Tokenizer;
/// let tokenizer = ExtendedGpt2Tokenizer::new(&["MyNewToken_1", "MyNewToken_2"])?;
/// assert_eq!(tokenizer.n_vocab(), 50259);
/// let ids = tokenizer.encode("Sample text with MyNewToken_1 and MyNewToken_2. <|endoftext|>")?;
/// assert_eq!(ids, [36674, 2420, 351, 220, 50257, 290, 220, 50258, 13, 220, 50256]);
/// # anyhow::Ok(())
/// ```
#[derive(Debug, Clone)]
pub struct ExtendedGpt2Tokenizer {
    base: Gpt2Tokenizer,
    /// `(token, id)`: `<|endoftext|>` first, then the new tokens in order.
    specials: Vec<(String, i64)>,
}

impl ExtendedGpt2Tokenizer {
    /// GPT-2 plus `custom_tokens`, which get ids `50257 + i` in the order given.
    ///
    /// # Errors
    /// An empty token, a token given twice, or `<|endoftext|>` itself.
    pub fn new(custom_tokens: &[&str]) -> Result<Self> {
        let mut specials = vec![(END_OF_TEXT.to_owned(), Gpt2Tokenizer::VOCAB_SIZE - 1)];
        for (i, token) in custom_tokens.iter().enumerate() {
            ensure!(!token.is_empty(), "a special token cannot be empty");
            ensure!(
                specials.iter().all(|(t, _)| t != token),
                "special token {token:?} is given twice (or is GPT-2's own)"
            );
            specials.push(((*token).to_owned(), Gpt2Tokenizer::VOCAB_SIZE + i as i64));
        }
        Ok(Self { base: Gpt2Tokenizer::new(), specials })
    }

    /// The number of ids: `base.n_vocab + len(custom_tokens)`.
    pub fn n_vocab(&self) -> i64 {
        Gpt2Tokenizer::VOCAB_SIZE + self.specials.len() as i64 - 1
    }

    /// The special tokens and their ids, `<|endoftext|>` first.
    pub fn special_tokens(&self) -> &[(String, i64)] {
        &self.specials
    }

    /// Token ids of `text`, every special token allowed. Where two special tokens start at the
    /// same place, the longer one wins.
    pub fn encode(&self, text: &str) -> Result<Vec<i64>> {
        let mut ids = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            // The earliest special token in the rest (the longest at that position).
            let next = self
                .specials
                .iter()
                .filter_map(|(token, id)| rest.find(token.as_str()).map(|at| (at, std::cmp::Reverse(token.len()), *id)))
                .min();
            match next {
                Some((at, std::cmp::Reverse(len), id)) => {
                    ids.extend(self.base.encode_ordinary(&rest[..at]));
                    ids.push(id);
                    rest = &rest[at + len..];
                }
                None => {
                    ids.extend(self.base.encode_ordinary(rest));
                    break;
                }
            }
        }
        Ok(ids)
    }

    /// The text of `ids`; the new special tokens decode to their own text.
    pub fn decode(&self, ids: &[i64]) -> Result<String> {
        let mut text = String::new();
        let mut run: Vec<i64> = Vec::new();
        for &id in ids {
            match self.specials.iter().find(|(_, special)| *special == id && id >= Gpt2Tokenizer::VOCAB_SIZE) {
                Some((token, _)) => {
                    text.push_str(&self.base.decode(&run)?);
                    run.clear();
                    text.push_str(token);
                }
                None => run.push(id),
            }
        }
        text.push_str(&self.base.decode(&run)?);
        Ok(text)
    }
}
