//! Python's `repr` of strings, lists and tuples, so that printed values read as the book's
//! notebook prints them. Tensor-free.

/// Formats `(token, id)` as Python prints a tuple: `('!', 0)`, `("'", 2)`, `('<|unk|>', 1131)`.
pub fn python_pair(token: &str, id: i64) -> String {
    format!("({}, {id})", python_str_repr(token))
}

/// Python's `repr` of a string: single quotes unless the text holds a single quote and no double.
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
            c => out.push(c),
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
