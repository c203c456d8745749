//! Reading text as the book's Python does: `open(path, "r", encoding="utf-8").read()`.
//!
//! Python decodes the bytes as strict UTF-8 (a byte-order mark stays, as U+FEFF) and, in its
//! default universal-newlines mode, turns every `\r\n` and every lone `\r` into `\n`. A text with
//! Windows line endings therefore gives the book's code other characters, and so other token ids,
//! than the raw bytes would: every command that reads a text file reads it through [`read_text`].
//! Errors name the file and say what is wrong in one line: missing, a directory, unreadable, or not
//! UTF-8 (with the byte offset of the first bad byte).

use std::borrow::Cow;
use std::io::{ErrorKind, Read};
use std::path::Path;

use anyhow::{bail, Result};

/// Reads a text file as `open(path, "r", encoding="utf-8").read()` does.
///
/// ```no_run
/// let text = token_embeddings::text::read_text("data/the-verdict.txt".as_ref())?;
/// # anyhow::Ok(())
/// ```
pub fn read_text(path: &Path) -> Result<String> {
    let shown = path.display();
    let bytes = std::fs::read(path).map_err(|err| io_error("reading the text file", path, &err))?;
    decode_text(bytes, &format!("the text file {shown}"))
}

/// `"{doing} {path}: {why}"` for a failed read or open, in the words every reader of the crate
/// uses: `no such file`, `it is a directory, not a file`, `permission denied`, else the system's.
pub fn io_error(doing: &str, path: &Path, err: &std::io::Error) -> anyhow::Error {
    let why = match err.kind() {
        ErrorKind::NotFound if doing.starts_with("creating") => "its folder does not exist".to_owned(),
        ErrorKind::NotFound => "no such file".to_owned(),
        ErrorKind::AlreadyExists if path.is_file() => "it is a file, not a folder".to_owned(),
        ErrorKind::IsADirectory => "it is a directory, not a file".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        ErrorKind::AlreadyExists => "it already exists".to_owned(),
        ErrorKind::NotADirectory => "a part of the path is a file, not a folder".to_owned(),
        _ if path.is_dir() => "it is a directory, not a file".to_owned(),
        _ => err.to_string(),
    };
    anyhow::anyhow!("{doing} {}: {why}", path.display())
}

/// Reads standard input (or any reader) as a text file, with the same rules as [`read_text`];
/// `name` says where the text came from in errors (e.g. "standard input").
pub fn read_text_from(mut reader: impl Read, name: &str) -> Result<String> {
    let mut bytes = Vec::new();
    if let Err(err) = reader.read_to_end(&mut bytes) {
        bail!("reading {name}: {err}");
    }
    decode_text(bytes, name)
}

/// Strict UTF-8, then universal newlines. `name` is used in the error: "<name> is not valid
/// UTF-8: byte 0xff at byte offset 12 ...".
pub fn decode_text(bytes: Vec<u8>, name: &str) -> Result<String> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(match universal_newlines(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(translated) => translated,
        }),
        Err(err) => {
            let offset = err.utf8_error().valid_up_to();
            Err(utf8_error(name, err.as_bytes()[offset], offset as u64))
        }
    }
}

/// `"{name} is not valid UTF-8: byte 0x.. at byte offset N ..."`, the message of every reader.
pub fn utf8_error(name: &str, byte: u8, offset: u64) -> anyhow::Error {
    anyhow::anyhow!(
        "{name} is not valid UTF-8: byte 0x{byte:02x} at byte offset {offset} (the book reads text with \
         encoding=\"utf-8\"; convert the file to UTF-8 first)"
    )
}

/// Python's universal newlines on reading: `\r\n` and a lone `\r` become `\n`.
///
/// ```
/// use token_embeddings::text::universal_newlines;
/// assert_eq!(universal_newlines("a\r\nb\rc\n\r"), "a\nb\nc\n\n");
/// ```
pub fn universal_newlines(text: &str) -> Cow<'_, str> {
    if !text.contains('\r') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("token-embeddings-text-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn crlf_and_cr_become_lf_and_bom_stays() {
        let path = temp("crlf.txt", b"\xef\xbb\xbfone\r\ntwo\rthree\n\r\n");
        assert_eq!(read_text(&path).unwrap(), "\u{feff}one\ntwo\nthree\n\n");
    }

    #[test]
    fn errors_name_the_file_and_the_cause() {
        let bad = temp("latin1.txt", b"caf\xe9 au lait");
        let err = read_text(&bad).unwrap_err().to_string();
        assert!(err.contains("latin1.txt is not valid UTF-8: byte 0xe9 at byte offset 3"), "{err}");
        let dir = bad.parent().unwrap();
        let err = read_text(dir).unwrap_err().to_string();
        assert!(err.contains("is a directory"), "{err}");
        let err = read_text(&dir.join("missing.txt")).unwrap_err().to_string();
        assert!(err.starts_with("reading the text file ") && err.ends_with("missing.txt: no such file"), "{err}");
        let err = read_text_from(&b"ok\xff"[..], "standard input").unwrap_err().to_string();
        assert!(err.starts_with("standard input is not valid UTF-8: byte 0xff at byte offset 2"), "{err}");
    }
}
