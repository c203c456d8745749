//! The book's pre-tokenizer (`BPETokenizerSimple.pretokenize_text`): how a text is cut into the
//! pieces that byte-pair merges never cross.
//!
//! - Line breaks are pieces of their own: `"\r\n"` gives `"\r"` and `"\n"`, a lone `"\r"` or
//!   `"\n"` gives itself.
//! - Between line breaks, a word is a run of characters that are not white space (Python's `\S`).
//!   One space before a word becomes its prefix `Ġ` (`" cat"` -> `"Ġcat"`); every further space
//!   before it, and every space at the end of a line, is a piece `"Ġ"` of its own.
//! - Other white space (tabs, form feeds, no-break spaces...) is dropped, and does not end a run
//!   of spaces: `"a \t b"` gives `"a"`, `"Ġ"`, `"Ġb"`. This is where the book's tokenizer and
//!   GPT-2's differ: tiktoken keeps the tab.
//!
//! White space is Python's (`str.isspace`, which `re`'s `\s` follows): Rust's
//! `char::is_whitespace` plus the four separators U+001C..U+001F.

/// The marker the book (and GPT-2) writes for a space in front of a word: `Ġ` (U+0120).
pub const SPACE_MARKER: char = 'Ġ';

/// Python's `str.isspace` (and `\s` in a `str` pattern) for one character.
pub fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// One piece of the book's pre-tokenizer, borrowed from the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// `"\n"`.
    LineFeed,
    /// `"\r"`.
    CarriageReturn,
    /// A space that does not lead a word: `"Ġ"`.
    Space,
    /// A run of non-space characters, `Ġ`-prefixed when `space` is true.
    Word { space: bool, text: &'a str },
}

impl Piece<'_> {
    /// The piece as the book's `pretokenize_text` returns it.
    pub fn to_book_string(self) -> String {
        match self {
            Piece::LineFeed => "\n".to_owned(),
            Piece::CarriageReturn => "\r".to_owned(),
            Piece::Space => SPACE_MARKER.to_string(),
            Piece::Word { space: false, text } => text.to_owned(),
            Piece::Word { space: true, text } => format!("{SPACE_MARKER}{text}"),
        }
    }

    /// Writes the book's string into `out` (cleared first), to look it up without allocating.
    pub fn write_book_string(self, out: &mut String) {
        out.clear();
        match self {
            Piece::LineFeed => out.push('\n'),
            Piece::CarriageReturn => out.push('\r'),
            Piece::Space => out.push(SPACE_MARKER),
            Piece::Word { space, text } => {
                if space {
                    out.push(SPACE_MARKER);
                }
                out.push_str(text);
            }
        }
    }
}

/// Calls `f` with every piece of `text`, in order (the book's `pretokenize_text`).
pub fn for_each_piece<'a>(text: &'a str, mut f: impl FnMut(Piece<'a>)) {
    let bytes = text.as_bytes();
    let mut pending_spaces = 0usize;
    let mut word_start: Option<usize> = None;
    let mut word_space = false;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        let space = c == ' ';
        let line_break = c == '\n' || c == '\r';
        if space || line_break || is_python_space(c) {
            if let Some(start) = word_start.take() {
                f(Piece::Word { space: word_space, text: &text[start..i] });
            }
            if space {
                pending_spaces += 1;
            } else if line_break {
                for _ in 0..pending_spaces {
                    f(Piece::Space);
                }
                pending_spaces = 0;
                if c == '\r' {
                    f(Piece::CarriageReturn);
                    if bytes.get(i + 1) == Some(&b'\n') {
                        iter.next();
                        f(Piece::LineFeed);
                    }
                } else {
                    f(Piece::LineFeed);
                }
            }
        } else if word_start.is_none() {
            word_start = Some(i);
            word_space = pending_spaces > 0;
            for _ in 1..pending_spaces {
                f(Piece::Space);
            }
            pending_spaces = 0;
        }
    }
    if let Some(start) = word_start {
        f(Piece::Word { space: word_space, text: &text[start..] });
    }
    for _ in 0..pending_spaces {
        f(Piece::Space);
    }
}

/// The book's `pretokenize_text`: the pieces as strings.
///
/// ```
/// use token_embeddings::tokenizer::bpe::pretokenize;
/// assert_eq!(pretokenize("Hi  there \r\nyou"), ["Hi", "Ġ", "Ġthere", "Ġ", "\r", "\n", "you"]);
/// ```
pub fn pretokenize(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    for_each_piece(text, |piece| pieces.push(piece.to_book_string()));
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_tabs_and_line_breaks() {
        assert_eq!(pretokenize(""), Vec::<String>::new());
        assert_eq!(pretokenize("a"), ["a"]);
        assert_eq!(pretokenize("  Hello World."), ["Ġ", "ĠHello", "ĠWorld."]);
        assert_eq!(pretokenize("a \t b"), ["a", "Ġ", "Ġb"]);
        assert_eq!(pretokenize("a\tb"), ["a", "b"]);
        assert_eq!(pretokenize("Hello \nworld"), ["Hello", "Ġ", "\n", "world"]);
        assert_eq!(pretokenize("x\r\r\n\ny  "), ["x", "\r", "\r", "\n", "\n", "y", "Ġ", "Ġ"]);
        assert_eq!(pretokenize("a\u{a0}b\u{1c}c"), ["a", "b", "c"]);
    }
}
