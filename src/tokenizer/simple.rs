//! The book's simple tokenizers (sections 2.3–2.4): split on punctuation and white space with
//! the book's regular expression, then look each piece up in a vocabulary built from the text.
//! [`SimpleTokenizerV1`] fails on a piece it has never seen; [`SimpleTokenizerV2`] maps it to
//! `<|unk|>` and knows `<|endoftext|>`.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use anyhow::{Context, Result};
use regex::Regex;

use super::{END_OF_TEXT, UNKNOWN};
use crate::pyrepr::{python_str_repr, python_strip, python_whitespace_class};

/// The book's split rule, `re.split(r'([,.:;?_!"()\']|--|\s)', text)`, with Python's `\s`
/// (see [`python_whitespace_class`]; the `regex` crate's `\s` misses U+001C..U+001F).
static SPLIT_RULE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r#"([,.:;?_!"()']|--|{})"#, python_whitespace_class())).expect("valid split rule")
});
/// V1's decode: `re.sub(r'\s+([,.?!"()\'])', r'\1', text)`, with Python's `\s`.
static V1_SPACE_BEFORE_PUNCT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r#"{}+([,.?!"()'])"#, python_whitespace_class())).expect("valid rule"));
/// V2's decode also removes the space before `:` and `;`.
static V2_SPACE_BEFORE_PUNCT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r#"{}+([,.:;?!"()'])"#, python_whitespace_class())).expect("valid rule"));

/// The book's pre-processing: `re.split` on punctuation, `--` and white space, then
/// `[item.strip() for item in pieces if item.strip()]`, with Python's white space throughout.
///
/// ```
/// use token_embeddings::tokenizer::split_text;
/// assert_eq!(split_text("Hello, world. Is this-- a test?"),
///            ["Hello", ",", "world", ".", "Is", "this", "--", "a", "test", "?"]);
/// // U+001C is white space to Python (not to Rust's `char::is_whitespace`).
/// assert_eq!(split_text("it\u{1c}was"), ["it", "was"]);
/// ```
pub fn split_text(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut keep = |piece: &str| {
        let piece = python_strip(piece);
        if !piece.is_empty() {
            pieces.push(piece.to_owned());
        }
    };
    let mut last = 0;
    for separator in SPLIT_RULE.find_iter(text) {
        keep(&text[last..separator.start()]);
        keep(separator.as_str());
        last = separator.end();
    }
    keep(&text[last..]);
    pieces
}

/// A vocabulary as the book builds it: a Python dict `{token: i for i, token in enumerate(tokens)}`.
///
/// It keeps the dict's semantics where they matter: entries iterate in insertion order, and a
/// token that comes twice keeps its first place but takes the later id (so V2's appended
/// `<|endoftext|>` re-numbers a `<|endoftext|>` that the text itself contains, and the earlier id
/// then names no token, exactly as in Python).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vocab {
    /// `(token, id)` in the dict's insertion order.
    entries: Vec<(String, i64)>,
    /// token -> index into `entries`.
    index: HashMap<String, usize>,
    /// id -> token (`{i: s for s, i in vocab.items()}`).
    tokens: HashMap<i64, usize>,
}

impl Vocab {
    /// Builds the vocabulary of a text's pieces, sorted as Python sorts strings (by code point):
    /// `{token: i for i, token in enumerate(sorted(set(pieces)))}`.
    pub fn from_text(text: &str) -> Self {
        let pieces: BTreeSet<String> = split_text(text).into_iter().collect();
        Self::from_tokens(pieces)
    }

    /// The vocabulary of `from_text` with `<|endoftext|>` and `<|unk|>` appended, as V2 needs
    /// (`all_tokens.extend(["<|endoftext|>", "<|unk|>"])` before the dict is built).
    pub fn from_text_with_specials(text: &str) -> Self {
        let pieces: BTreeSet<String> = split_text(text).into_iter().collect();
        Self::from_tokens(pieces.into_iter().chain([END_OF_TEXT.to_owned(), UNKNOWN.to_owned()]))
    }

    /// `{token: i for i, token in enumerate(tokens)}`: ids are positions; a repeated token keeps
    /// its first place in the iteration order and takes its last position as id.
    pub fn from_tokens(tokens: impl IntoIterator<Item = String>) -> Self {
        let mut vocab = Vocab { entries: Vec::new(), index: HashMap::new(), tokens: HashMap::new() };
        for (id, token) in tokens.into_iter().enumerate() {
            let id = id as i64;
            match vocab.index.get(&token) {
                Some(&at) => {
                    vocab.tokens.remove(&vocab.entries[at].1);
                    vocab.entries[at].1 = id;
                    vocab.tokens.insert(id, at);
                }
                None => {
                    vocab.index.insert(token.clone(), vocab.entries.len());
                    vocab.tokens.insert(id, vocab.entries.len());
                    vocab.entries.push((token, id));
                }
            }
        }
        vocab
    }

    /// Number of entries (`len(vocab)`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the vocabulary has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The id of a piece, if the vocabulary has it.
    pub fn id(&self, token: &str) -> Option<i64> {
        self.index.get(token).map(|&at| self.entries[at].1)
    }

    /// The piece with this id, if there is one.
    pub fn token(&self, id: i64) -> Option<&str> {
        self.tokens.get(&id).map(|&at| self.entries[at].0.as_str())
    }

    /// `(token, id)` pairs in the dict's order, like iterating `vocab.items()` in Python.
    pub fn entries(&self) -> impl Iterator<Item = (&str, i64)> {
        self.entries.iter().map(|(token, id)| (token.as_str(), *id))
    }

    /// `" ".join([self.int_to_str[i] for i in ids])`; an id with no token is an error that names
    /// the id, its position and the vocabulary's size (Python raises `KeyError`).
    fn decode_pieces(&self, ids: &[i64]) -> Result<String> {
        let pieces = ids
            .iter()
            .enumerate()
            .map(|(position, &id)| {
                self.token(id).with_context(|| {
                    format!(
                        "token id {id} at position {position} is not in the vocabulary ({} entries{})",
                        self.len(),
                        match self.entries.iter().map(|e| e.1).max() {
                            Some(max) => format!(", ids 0..={max}"),
                            None => String::new(),
                        }
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(pieces.join(" "))
    }
}

/// The book's first tokenizer: fails on any piece that is not in its vocabulary.
#[derive(Debug, Clone)]
pub struct SimpleTokenizerV1 {
    vocab: Vocab,
}

impl SimpleTokenizerV1 {
    /// A tokenizer over this vocabulary.
    pub fn new(vocab: Vocab) -> Self {
        Self { vocab }
    }

    /// The vocabulary it looks pieces up in.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Splits the text and looks every piece up; an unknown piece is an error that names it as
    /// Python's `repr` shows it (Python raises `KeyError`).
    pub fn encode(&self, text: &str) -> Result<Vec<i64>> {
        split_text(text)
            .iter()
            .map(|piece| {
                self.vocab.id(piece).with_context(|| {
                    format!(
                        "{} is not in the vocabulary (SimpleTokenizerV1 has no <|unk|>; use V2)",
                        python_str_repr(piece)
                    )
                })
            })
            .collect()
    }

    /// Joins the pieces with spaces, then removes the space before `, . ? ! " ( ) '`.
    pub fn decode(&self, ids: &[i64]) -> Result<String> {
        let text = self.vocab.decode_pieces(ids)?;
        Ok(V1_SPACE_BEFORE_PUNCT.replace_all(&text, "$1").into_owned())
    }
}

/// The book's second tokenizer: unknown pieces become `<|unk|>`.
#[derive(Debug, Clone)]
pub struct SimpleTokenizerV2 {
    vocab: Vocab,
    unknown_id: i64,
}

impl SimpleTokenizerV2 {
    /// A tokenizer over a vocabulary that must contain `<|unk|>`
    /// (see [`Vocab::from_text_with_specials`]).
    pub fn new(vocab: Vocab) -> Result<Self> {
        let unknown_id = vocab.id(UNKNOWN).context(
            "SimpleTokenizerV2 needs <|unk|> in its vocabulary (build it with Vocab::from_text_with_specials)",
        )?;
        Ok(Self { vocab, unknown_id })
    }

    /// The vocabulary it looks pieces up in.
    pub fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    /// Splits the text and looks every piece up, `<|unk|>` for a piece it does not know.
    pub fn encode(&self, text: &str) -> Vec<i64> {
        split_text(text).iter().map(|piece| self.vocab.id(piece).unwrap_or(self.unknown_id)).collect()
    }

    /// Joins the pieces with spaces, then removes the space before `, . : ; ? ! " ( ) '`.
    pub fn decode(&self, ids: &[i64]) -> Result<String> {
        let text = self.vocab.decode_pieces(ids)?;
        Ok(V2_SPACE_BEFORE_PUNCT.replace_all(&text, "$1").into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pyrepr::{python_pair, python_str_list};

    fn verdict() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/the-verdict.txt")).unwrap()
    }

    #[test]
    fn split_keeps_punctuation_and_drops_white_space() {
        let pieces = split_text(&verdict());
        assert_eq!(pieces.len(), 4690);
        assert_eq!(
            python_str_list(&pieces[..30]),
            "['I', 'HAD', 'always', 'thought', 'Jack', 'Gisburn', 'rather', 'a', 'cheap', 'genius', '--', 'though', 'a', 'good', 'fellow', 'enough', '--', 'so', 'it', 'was', 'no', 'great', 'surprise', 'to', 'me', 'to', 'hear', 'that', ',', 'in']"
        );
    }

    #[test]
    fn vocab_is_sorted_by_code_point() {
        let vocab = Vocab::from_text(&verdict());
        assert_eq!(vocab.len(), 1130);
        let first: Vec<String> = vocab.entries().take(3).map(|(t, i)| python_pair(t, i)).collect();
        assert_eq!(first, ["('!', 0)", "('\"', 1)", "(\"'\", 2)"]);
        assert_eq!(vocab.id("Hermia"), Some(50));
    }

    #[test]
    fn v1_round_trip_and_unknown_word() {
        let tokenizer = SimpleTokenizerV1::new(Vocab::from_text(&verdict()));
        let text = "\"It's the last he painted, you know,\" \n           Mrs. Gisburn said with pardonable pride.";
        let ids = tokenizer.encode(text).unwrap();
        assert_eq!(ids, [1, 56, 2, 850, 988, 602, 533, 746, 5, 1126, 596, 5, 1, 67, 7, 38, 851, 1108, 754, 793, 7]);
        assert_eq!(
            tokenizer.decode(&ids).unwrap(),
            "\" It' s the last he painted, you know,\" Mrs. Gisburn said with pardonable pride."
        );
        let err = tokenizer.encode("Hello, do you like tea. Is this-- a test?").unwrap_err();
        assert!(err.to_string().contains("'Hello'"), "{err}");
    }

    #[test]
    fn v2_marks_unknown_pieces() {
        let vocab = Vocab::from_text_with_specials(&verdict());
        assert_eq!(vocab.len(), 1132);
        let tokenizer = SimpleTokenizerV2::new(vocab).unwrap();
        let text = "Hello, do you like tea? <|endoftext|> In the sunlit terraces of the palace.";
        let ids = tokenizer.encode(text);
        assert_eq!(ids, [1131, 5, 355, 1126, 628, 975, 10, 1130, 55, 988, 956, 984, 722, 988, 1131, 7]);
        assert_eq!(
            tokenizer.decode(&ids).unwrap(),
            "<|unk|>, do you like tea? <|endoftext|> In the sunlit terraces of the <|unk|>."
        );
    }

    #[test]
    fn vocab_is_a_python_dict_when_the_text_holds_the_specials() {
        // Python: all_tokens = ['<|endoftext|>', 'a', 'b', '<|endoftext|>', '<|unk|>'];
        // {t: i for i, t in enumerate(all_tokens)} == {'<|endoftext|>': 3, 'a': 1, 'b': 2, '<|unk|>': 4}
        let vocab = Vocab::from_text_with_specials("a <|endoftext|> b");
        let items: Vec<(&str, i64)> = vocab.entries().collect();
        assert_eq!(items, [("<|endoftext|>", 3), ("a", 1), ("b", 2), ("<|unk|>", 4)]);
        assert_eq!(vocab.len(), 4);
        assert_eq!(vocab.token(0), None, "id 0 names no token after the dict re-numbered it");
        let v2 = SimpleTokenizerV2::new(vocab).unwrap();
        assert_eq!(v2.encode("a <|endoftext|> c"), [1, 3, 4]);
        let err = v2.decode(&[1, 0]).unwrap_err().to_string();
        assert!(err.contains("token id 0 at position 1 is not in the vocabulary (4 entries"), "{err}");
    }

    #[test]
    fn v2_requires_unknown_token() {
        assert!(SimpleTokenizerV2::new(Vocab::from_text("a b")).is_err());
    }
}
