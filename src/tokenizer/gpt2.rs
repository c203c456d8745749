//! GPT-2's byte-pair encoding (section 2.5), as `tiktoken.get_encoding("gpt2")` in the book.

use std::collections::HashSet;

use anyhow::{bail, Context, Result};

use super::END_OF_TEXT;

/// GPT-2's byte-pair encoding, as `tiktoken.get_encoding("gpt2")` in the book.
///
/// `encode` allows `<|endoftext|>` (the book's `allowed_special={"<|endoftext|>"}`), so the
/// marker becomes the single id 50256. [`Gpt2Tokenizer::encode_ordinary`] treats it as plain text.
///
/// ```
/// use token_embeddings::tokenizer::Gpt2Tokenizer;
/// let gpt2 = Gpt2Tokenizer::new();
/// assert_eq!(gpt2.encode("Akwirw ier")?, [33901, 86, 343, 86, 220, 959]);
/// assert_eq!(gpt2.encode("<|endoftext|>")?, [50256]);
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

impl std::fmt::Debug for Gpt2Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Gpt2Tokenizer(r50k_base)")
    }
}

impl Gpt2Tokenizer {
    /// Number of ids GPT-2 knows: 50,000 merges, 256 bytes and `<|endoftext|>`.
    pub const VOCAB_SIZE: i64 = 50257;

    /// The r50k_base ranks are compiled into tiktoken-rs: no file, no network.
    pub fn new() -> Self {
        Self { bpe: tiktoken_rs::r50k_base_singleton() }
    }

    /// Encodes text, with `<|endoftext|>` allowed as the special token 50256.
    pub fn encode(&self, text: &str) -> Result<Vec<i64>> {
        let allowed: HashSet<&str> = HashSet::from([END_OF_TEXT]);
        let (ranks, _) = self.bpe.encode(text, &allowed).context("GPT-2 byte-pair encoding")?;
        Ok(ranks.into_iter().map(i64::from).collect())
    }

    /// Encodes text with no special tokens: `<|endoftext|>` is split like any other text.
    pub fn encode_ordinary(&self, text: &str) -> Vec<i64> {
        self.bpe.encode_ordinary(text).into_iter().map(i64::from).collect()
    }

    /// Decodes ids back to text; an id outside `0..50257` is an error.
    pub fn decode(&self, ids: &[i64]) -> Result<String> {
        let ranks = ids
            .iter()
            .map(|&id| {
                if (0..Self::VOCAB_SIZE).contains(&id) {
                    Ok(id as u32)
                } else {
                    bail!("token id {id} is outside GPT-2's vocabulary 0..{}", Self::VOCAB_SIZE)
                }
            })
            .collect::<Result<Vec<u32>>>()?;
        self.bpe.decode(&ranks).context("decoding GPT-2 token ids")
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
        let ids = gpt2.encode(text).unwrap();
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
        assert!(gpt2.decode(&[50257]).is_err());
    }
}
