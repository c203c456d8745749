//! GPT-2 ids for whole corpora, fast: tiktoken's `encode_ordinary` with the regular expression
//! replaced by a hand-written matcher for the very same pattern, and a cache of the pieces that
//! need merging.
//!
//! tiktoken spends most of its time in the regular expression (its own performance notes say so):
//! GPT-2's pattern needs a look-ahead, which only a backtracking engine (fancy-regex) runs.
//! [`Gpt2Encoder`] walks the text once and makes exactly the pieces the pattern makes, then looks
//! each piece up in GPT-2's ranks (most pieces are one token), and merges the others with
//! tiktoken-rs's own byte-pair merge. Tests compare it with tiktoken-rs on adversarial and random
//! texts, and `tests/corpora.rs` with Python's tiktoken.
//!
//! The pattern (tiktoken's `r50k_base`, which `tiktoken.get_encoding("gpt2")` loads):
//! `'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s`.

use std::cell::RefCell;
use std::sync::OnceLock;

use rustc_hash::FxHashMap;

/// The GPT-2 character classes of the pattern: `\p{L}`, `\p{N}`, `\s` and the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Number,
    Space,
    Other,
}

/// Classes of non-ASCII characters come from the `regex` crate's Unicode tables (the ones
/// fancy-regex, and so tiktoken, uses), cached per thread.
fn class_of_non_ascii(c: char) -> Class {
    static TABLES: OnceLock<[regex::Regex; 3]> = OnceLock::new();
    thread_local! {
        static CACHE: RefCell<FxHashMap<char, Class>> = RefCell::new(FxHashMap::default());
    }
    CACHE.with(|cache| {
        *cache.borrow_mut().entry(c).or_insert_with(|| {
            let [letter, number, space] = TABLES.get_or_init(|| {
                [r"^\p{L}$", r"^\p{N}$", r"^\s$"].map(|p| regex::Regex::new(p).expect("a valid pattern"))
            });
            let mut buf = [0u8; 4];
            let s = c.encode_utf8(&mut buf);
            if letter.is_match(s) {
                Class::Letter
            } else if number.is_match(s) {
                Class::Number
            } else if space.is_match(s) {
                Class::Space
            } else {
                Class::Other
            }
        })
    })
}

#[inline]
fn class_at(text: &str, bytes: &[u8], i: usize) -> (Class, usize) {
    let b = bytes[i];
    if b < 0x80 {
        let class = match b {
            b'a'..=b'z' | b'A'..=b'Z' => Class::Letter,
            b'0'..=b'9' => Class::Number,
            b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' => Class::Space,
            _ => Class::Other,
        };
        (class, 1)
    } else {
        let c = text[i..].chars().next().expect("i is a character boundary");
        (class_of_non_ascii(c), c.len_utf8())
    }
}

/// End of the run of characters of `class` that starts at `i`.
#[inline]
fn run_end(text: &str, bytes: &[u8], mut i: usize, class: Class) -> usize {
    while i < bytes.len() {
        let (c, len) = class_at(text, bytes, i);
        if c != class {
            break;
        }
        i += len;
    }
    i
}

/// End (exclusive) of the piece GPT-2's pattern matches at `i` (a character boundary below the length).
fn piece_end(text: &str, bytes: &[u8], i: usize) -> usize {
    let b = bytes[i];
    // '(?:[sdmt]|ll|ve|re)
    if b == b'\'' {
        match (bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(b's' | b'd' | b'm' | b't'), _) => return i + 2,
            (Some(b'l'), Some(b'l')) | (Some(b'v'), Some(b'e')) | (Some(b'r'), Some(b'e')) => return i + 3,
            _ => {}
        }
    }
    let (class, len) = class_at(text, bytes, i);
    // ` ?\p{L}++`, ` ?\p{N}++`, ` ?[^\s\p{L}\p{N}]++`: a space takes the run after it.
    if b == b' ' && i + 1 < bytes.len() {
        let (next, next_len) = class_at(text, bytes, i + 1);
        if next != Class::Space {
            return run_end(text, bytes, i + 1 + next_len, next);
        }
    }
    if class != Class::Space {
        return run_end(text, bytes, i + len, class);
    }
    // `\s++$`, `\s+(?!\S)`, `\s`: a run of white space to the end is one piece; before anything
    // else the run gives up its last character (which a following word may take), unless it has
    // only one.
    let end = run_end(text, bytes, i + len, Class::Space);
    if end == bytes.len() || end == i + len {
        return end;
    }
    (i..end).rev().find(|&p| text.is_char_boundary(p)).expect("a character starts the run")
}

/// The pieces GPT-2's pattern cuts `text` into, in order; joined, they are `text`.
pub fn gpt2_pieces(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let end = piece_end(text, bytes, i);
        pieces.push(&text[i..end]);
        i = end;
    }
    pieces
}

/// GPT-2's byte-pair encoding of plain text (tiktoken's `encode_ordinary` for `r50k_base`).
///
/// ```
/// use token_embeddings::data::encode::Gpt2Encoder;
/// let text = "Hello, do you like tea? In the sunlit terraces of the palace.";
/// let ids = Gpt2Encoder::get().encode_ordinary(text);
/// assert_eq!(ids, tiktoken_rs::r50k_base_singleton().encode_ordinary(text));
/// ```
pub struct Gpt2Encoder {
    ranks: FxHashMap<Vec<u8>, u32>,
}

impl Gpt2Encoder {
    /// The encoder, built once per process from tiktoken-rs's compiled-in ranks (about 20 ms).
    pub fn get() -> &'static Gpt2Encoder {
        static ENCODER: OnceLock<Gpt2Encoder> = OnceLock::new();
        ENCODER.get_or_init(|| {
            let bpe = tiktoken_rs::r50k_base_singleton();
            let ranks = (0..50256u32)
                .map(|rank| (bpe.decode_bytes(&[rank]).expect("every rank below 50256 decodes"), rank))
                .collect();
            Gpt2Encoder { ranks }
        })
    }

    /// The ids of `text`, every piece encoded as tiktoken does; equal to tiktoken's
    /// `encode_ordinary` (a literal `<|endoftext|>` is plain text).
    pub fn encode_ordinary(&self, text: &str) -> Vec<u32> {
        let bytes = text.as_bytes();
        let mut ids = Vec::with_capacity(text.len() / 4 + 1);
        // Pieces that are not one token, merged once per call.
        let mut merged: FxHashMap<&[u8], Vec<u32>> = FxHashMap::default();
        let mut i = 0;
        while i < bytes.len() {
            let end = piece_end(text, bytes, i);
            let piece = &bytes[i..end];
            match self.ranks.get(piece) {
                Some(&rank) => ids.push(rank),
                None => ids.extend_from_slice(merged.entry(piece).or_insert_with(|| {
                    tiktoken_rs::byte_pair_split(piece, &self.ranks).into_iter().map(|part| self.ranks[part]).collect()
                })),
            }
            i = end;
        }
        ids
    }
}

/// Pieces of text where GPT-2's pattern is delicate: characters from every class it knows, ASCII
/// and not, contractions, digits, long runs of white space, a special token's spelling. Tests build
/// random texts from them (here, and in `prepare`'s cuts).
#[cfg(test)]
pub(crate) const GPT2_PATTERN_ATOMS: &[&str] = &[
    " ",
    " ",
    "  ",
    "\n",
    "\n\n",
    "\t",
    "\r\n",
    "\u{a0}",
    "\u{3000}",
    "\u{2028}",
    "\u{85}",
    "a",
    "Zeb",
    "x",
    "'",
    "'s",
    "'t",
    "'ll",
    "'ve",
    "'re",
    "'d",
    "'m",
    "'S",
    "1",
    "42",
    "½",
    "٣",
    "ⅷ",
    ".",
    ",",
    "!?",
    "-",
    "_",
    "é",
    "ß",
    "中",
    "ㄱ",
    "🦀",
    "\u{301}",
    "\u{200b}",
    "\u{ffff}",
    "\u{10ffff}",
    "$",
    "\u{7f}",
    "\u{1}",
    "\u{b}",
    "\u{c}",
    "\u{1c}",
    "\u{1f}",
    "\u{2000}",
    "\u{180e}",
    "\u{feff}",
    "Zebra",
    "don't",
    "123",
    "4",
    "--",
    "中文",
    "<|endoftext|>",
    " \n ",
    "    ",
    "word",
];

#[cfg(test)]
mod tests {
    use super::*;
    use rand_mt::Mt;

    fn tiktoken(text: &str) -> Vec<u32> {
        tiktoken_rs::r50k_base_singleton().encode_ordinary(text)
    }

    #[test]
    fn the_same_ids_as_tiktoken_on_adversarial_texts() {
        let texts = [
            "",
            " ",
            "  ",
            "\n",
            "a",
            "'s",
            "'",
            "''s",
            "it's",
            "they'll've",
            "'LL 'Ll 're'",
            "a  b",
            "a \n b",
            "a\n\n\nb",
            "   leading",
            "trailing   ",
            "trailing\n\n",
            " \t\n\r\u{a0}\u{3000}x",
            "1234567890 12 3.14 ⅷ ½ ٣٤",
            "中文字符 日本語 한국어",
            "émigré naïve Ωmega",
            "🦀🦀 🦀x x🦀",
            "<|endoftext|>",
            "!!!??? ... --- ***",
            "hello\u{200b}world",
            "e\u{301}te\u{301}",
            "x\u{2028}y\u{85}z",
        ];
        let encoder = Gpt2Encoder::get();
        for text in texts {
            assert_eq!(encoder.encode_ordinary(text), tiktoken(text), "{text:?}");
            assert_eq!(gpt2_pieces(text).concat(), text);
        }
        let verdict = include_str!("../../data/the-verdict.txt");
        assert_eq!(encoder.encode_ordinary(verdict), tiktoken(verdict));
    }

    #[test]
    fn the_same_ids_as_tiktoken_on_random_texts() {
        let atoms = GPT2_PATTERN_ATOMS;
        let encoder = Gpt2Encoder::get();
        let mut rng = Mt::new(7);
        for _ in 0..3000 {
            let len = (rng.next_u32() % 40) as usize;
            let text: String = (0..len).map(|_| atoms[rng.next_u32() as usize % atoms.len()]).collect();
            assert_eq!(encoder.encode_ordinary(&text), tiktoken(&text), "{text:?}");
        }
    }
}
