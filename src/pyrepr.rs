//! Python's string rules where Rust's differ: what counts as white space (`str.isspace()`,
//! `str.strip()`, `re`'s `\s`), and `repr` of strings, lists and tuples, so that printed values
//! and error messages read as the book's notebook prints them. Tensor-free.
//!
//! Rust's `char::is_whitespace` (Unicode's `White_Space`) misses U+001C..U+001F, which Python
//! counts as white space, and Rust has no `repr`. The tables in [`tables`] were made by the
//! Python that runs the book's code (`tests/reference/python_text.py tables`); `tests/python_text.rs`
//! compares every function here with that Python on every code point.

pub mod tables;

/// Python's `str.isspace()` for one character: true for the 29 code points of [`tables::WHITESPACE`]
/// (Unicode's `White_Space` plus U+001C..U+001F, the information separators).
///
/// ```
/// use token_embeddings::pyrepr::is_python_whitespace;
/// assert!(is_python_whitespace('\u{1c}') && !'\u{1c}'.is_whitespace());
/// assert!(!is_python_whitespace('\u{200b}'));
/// ```
pub fn is_python_whitespace(c: char) -> bool {
    tables::WHITESPACE.binary_search(&c).is_ok()
}

/// Python's `text.strip()` with no argument: removes leading and trailing [`is_python_whitespace`].
pub fn python_strip(text: &str) -> &str {
    text.trim_matches(is_python_whitespace)
}

/// A `regex` character class that matches exactly what `\s` matches in a Python `str` pattern
/// (the `regex` crate's `\s` is Unicode's `White_Space`, which lacks U+001C..U+001F).
pub fn python_whitespace_class() -> String {
    let mut class = String::from("[");
    for c in tables::WHITESPACE {
        class.push_str(&format!("\\x{{{:x}}}", u32::from(c)));
    }
    class.push(']');
    class
}

/// Python's `str.isprintable()` for one character: what `repr` shows as it is.
pub fn is_python_printable(c: char) -> bool {
    let c = u32::from(c);
    let i = tables::PRINTABLE.partition_point(|&(_, last)| last < c);
    tables::PRINTABLE.get(i).is_some_and(|&(first, _)| first <= c)
}

/// The digit value Python's `int()` gives one character (`unicodedata.decimal`): `'7'` and
/// `'\u{667}'` (ARABIC-INDIC DIGIT SEVEN) are 7; `'²'` and `'x'` are not digits.
pub fn python_decimal(c: char) -> Option<u32> {
    let c = u32::from(c);
    let i = tables::DECIMAL_ZEROS.partition_point(|&zero| zero <= c);
    let zero = *tables::DECIMAL_ZEROS.get(i.checked_sub(1)?)?;
    (c - zero < 10).then_some(c - zero)
}

/// Python's `int(text)` (base 10) where the result fits in an `i64`: white space around it
/// (as [`is_python_whitespace`], except U+001C..U+001F), a sign, Unicode decimal digits
/// ([`python_decimal`]) with single underscores between them. The error reads as Python's
/// `ValueError` ("invalid literal for int() with base 10: '1__0'") or says the value does not fit.
///
/// ```
/// use token_embeddings::pyrepr::python_int;
/// assert_eq!(python_int(" +1_000 "), Ok(1000));
/// assert_eq!(python_int("\u{663}\u{ff11}"), Ok(31));
/// assert!(python_int("1__0").unwrap_err().starts_with("invalid literal for int() with base 10: '1__0'"));
/// ```
pub fn python_int(text: &str) -> Result<i64, String> {
    let invalid = || format!("invalid literal for int() with base 10: {}", python_str_repr(text));
    // int() turns non-ASCII white space into ' ' and then skips ASCII white space (C's isspace):
    // U+001C..U+001F, white space to str.isspace(), are not skipped here (int("1\x1c") raises).
    let body = text.trim_matches(|c: char| is_python_whitespace(c) && !('\u{1c}'..='\u{1f}').contains(&c));
    let (negative, digits) = match body.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, body.strip_prefix('+').unwrap_or(body)),
    };
    let mut value: i128 = 0;
    let mut seen_digit = false;
    let mut after_underscore = false;
    for c in digits.chars() {
        if c == '_' {
            if !seen_digit || after_underscore {
                return Err(invalid());
            }
            after_underscore = true;
            continue;
        }
        let digit = python_decimal(c).ok_or_else(invalid)?;
        value = (value * 10 + i128::from(digit)).min(i128::from(u64::MAX) * 2);
        seen_digit = true;
        after_underscore = false;
    }
    if !seen_digit || after_underscore {
        return Err(invalid());
    }
    let value = if negative { -value } else { value };
    i64::try_from(value).map_err(|_| format!("{} is outside the int64 range of token ids", python_str_repr(text)))
}

/// Formats `(token, id)` as Python prints a tuple: `('!', 0)`, `("'", 2)`, `('<|unk|>', 1131)`.
pub fn python_pair(token: &str, id: i64) -> String {
    format!("({}, {id})", python_str_repr(token))
}

/// Python's `repr` of a string, for every code point as Python 3 writes it: single quotes unless
/// the text holds a single quote and no double; `\\`, `\t`, `\n`, `\r` and the quote escaped;
/// every character that is not printable ([`is_python_printable`]) as `\xhh`, `\uhhhh` or
/// `\Uhhhhhhhh`.
///
/// ```
/// use token_embeddings::pyrepr::python_str_repr;
/// assert_eq!(python_str_repr("it\u{1c}was"), r"'it\x1cwas'");
/// assert_eq!(python_str_repr("zero\u{200b}width"), r"'zero\u200bwidth'");
/// assert_eq!(python_str_repr("It's"), r#""It's""#);
/// ```
pub fn python_str_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if is_python_printable(c) => out.push(c),
            c => {
                let code = u32::from(c);
                let escape = match code {
                    0..=0xff => format!("\\x{code:02x}"),
                    0x100..=0xffff => format!("\\u{code:04x}"),
                    _ => format!("\\U{code:08x}"),
                };
                out.push_str(&escape);
            }
        }
    }
    out.push(quote);
    out
}

/// Python's `repr` of a list of strings: `['I', 'HAD', ',']`.
pub fn python_str_list(items: &[impl AsRef<str>]) -> String {
    let items: Vec<String> = items.iter().map(|s| python_str_repr(s.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

/// Python's `repr` of a list of integers: `[1, 56, 2]`.
pub fn python_int_list(items: &[i64]) -> String {
    let items: Vec<String> = items.iter().map(i64::to_string).collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_so_binary_search_works() {
        assert!(tables::WHITESPACE.windows(2).all(|w| w[0] < w[1]));
        assert!(tables::PRINTABLE.iter().all(|&(a, b)| a <= b));
        assert!(tables::PRINTABLE.windows(2).all(|w| w[0].1 + 1 < w[1].0));
    }

    #[test]
    fn reprs_of_the_faults_in_issue_7() {
        assert_eq!(python_str_repr("\u{1c}"), r"'\x1c'");
        assert_eq!(python_str_repr("\u{7f}\u{85}\u{a0}\u{ad}"), r"'\x7f\x85\xa0\xad'");
        assert_eq!(python_str_repr("\u{e000}\u{10ffff}"), r"'\ue000\U0010ffff'");
        assert_eq!(python_str_repr("a\"b'c"), r#"'a"b\'c'"#);
        assert_eq!(python_str_repr("é 漢 🦀"), "'é 漢 🦀'");
        assert_eq!(python_strip("\u{1c} a \u{3000}"), "a");
    }
}
