//! Turning text into token ids and back (book sections 2.2–2.5).
//!
//! Two kinds of tokenizer, as in the chapter:
//! - [`simple`]: [`SimpleTokenizerV1`] / [`SimpleTokenizerV2`] split on punctuation and white
//!   space with the book's regular expression, then look each piece up in a vocabulary built from
//!   the text. V1 fails on a piece it has never seen; V2 maps it to `<|unk|>` and knows
//!   `<|endoftext|>`. White space, `strip` and error messages follow Python's rules
//!   ([`crate::pyrepr`]).
//! - [`gpt2`]: [`Gpt2Tokenizer`], GPT-2's byte-pair encoding (tiktoken's `r50k_base`, which is
//!   what `tiktoken.get_encoding("gpt2")` loads), which never needs `<|unk|>`, with tiktoken's
//!   special-token rules and lossy decode.

pub mod bpe;
pub mod gpt2;
pub mod simple;

pub use gpt2::{DisallowedSpecialToken, Gpt2Tokenizer};
pub use simple::{split_text, SimpleTokenizerV1, SimpleTokenizerV2, Vocab};
// Python's reprs lived here first; notebooks and users still import them from this module.
pub use crate::pyrepr::{python_int_list, python_pair, python_str_list, python_str_repr};

/// The special token that separates two unrelated texts.
pub const END_OF_TEXT: &str = "<|endoftext|>";
/// The special token V2 uses for a piece that is not in the vocabulary.
pub const UNKNOWN: &str = "<|unk|>";
