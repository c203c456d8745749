//! Text files to a token file, as GPT-2's training data and nanoGPT's `prepare.py` are made: every
//! file is one document, encoded with GPT-2's byte-pair encoding as plain text (tiktoken's
//! `encode_ordinary`: a literal `<|endoftext|>` in a text stays text), and followed by the id of
//! `<|endoftext|>` (50256). The ids go to a flat little-endian `uint16` file with a JSON sidecar
//! (see [`super::token_file`]).
//!
//! **Streaming:** a file is read in blocks, so memory holds a few blocks whatever the corpus size
//! (a block grows only across a stretch of text with no place to cut, see below).
//!
//! **Fast:** [`Gpt2Encoder`] makes tiktoken's ids without its regular-expression engine.
//!
//! **Parallel, with the very same ids:** GPT-2 first splits text with a regular expression, then
//! encodes every piece on its own. A block is cut into parts only where no piece can span the cut,
//! so encoding the parts on several cores and joining the ids gives exactly the ids of encoding the
//! whole document in one call. Such a place is a byte `p` where `text[p]` is a space or a newline
//! and `text[p - 1]` is a visible ASCII character (`!` to `~`): the piece that holds `p - 1` is
//! made of non-space characters with at most one leading space (letters, numbers, punctuation, or a
//! contraction), so it ends at `p`; and the pattern has no look-behind, so matching from `p` does not
//! depend on what came before. Its only anchor, `\s++$`, needs white space right before the end,
//! which the part before the cut never has. Tests check this on adversarial texts (runs of
//! spaces and newlines, long words, text without spaces, contractions, non-ASCII white space).

use std::fs::File;
use std::io::{BufWriter, ErrorKind, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::encode::Gpt2Encoder;
use super::token_file::{SourceDocument, TokenDtype, TokenFileInfo};
use crate::text::io_error;
use crate::tokenizer::Gpt2Tokenizer;

/// The id of `<|endoftext|>` in GPT-2's vocabulary, written after every document.
pub const GPT2_END_OF_TEXT: u32 = 50256;

/// How [`prepare`] works through its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrepareOptions {
    /// Bytes of text per part encoded on one core (about; parts end at a safe cut).
    pub part_bytes: usize,
    /// Draw a progress bar on stderr (only when stderr is a terminal).
    pub progress: bool,
}

impl Default for PrepareOptions {
    fn default() -> Self {
        Self { part_bytes: 256 << 10, progress: true }
    }
}

/// True when GPT-2's pattern cannot join `text[..p]` and `text[p..]`: `text[p]` is a space or a
/// newline and `text[p - 1]` a visible ASCII character (see the module docs for why).
pub fn is_safe_cut(text: &[u8], p: usize) -> bool {
    p > 0 && p < text.len() && matches!(text[p], b' ' | b'\n') && (0x21..=0x7e).contains(&text[p - 1])
}

/// Cuts `text` into parts of about `part_bytes` bytes (at least that much, up to the next safe
/// cut); a text without a safe cut stays one part. Joined, the parts are `text`.
pub fn split_at_safe_cuts(text: &str, part_bytes: usize) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut parts = Vec::with_capacity(bytes.len() / part_bytes.max(1) + 1);
    let mut start = 0;
    while start < bytes.len() {
        let mut cut = (start + part_bytes.max(1)).min(bytes.len());
        while cut < bytes.len() && !is_safe_cut(bytes, cut) {
            cut += 1;
        }
        // Safe cuts are at ASCII bytes, so `cut` is a character boundary.
        parts.push(&text[start..cut]);
        start = cut;
    }
    parts
}

/// GPT-2 ids of `text` as tiktoken's `encode_ordinary` gives them, computed in parts of about
/// `part_bytes` bytes on all cores (rayon). Equal to encoding the text in one call.
pub fn encode_ordinary_in_parts(text: &str, part_bytes: usize) -> Vec<u32> {
    let encoder = Gpt2Encoder::get();
    let parts = split_at_safe_cuts(text, part_bytes);
    let encoded: Vec<Vec<u32>> = parts.par_iter().map(|part| encoder.encode_ordinary(part)).collect();
    let mut ids = Vec::with_capacity(encoded.iter().map(Vec::len).sum());
    encoded.iter().for_each(|part| ids.extend_from_slice(part));
    ids
}

/// GPT-2 ids of `text` (`encode_ordinary`) on all cores, in parts sized so each core gets several.
///
/// ```
/// use token_embeddings::data::prepare::encode_ordinary_parallel;
/// use token_embeddings::tokenizer::Gpt2Tokenizer;
/// let text = "Hello, world. ".repeat(1000);
/// let ids: Vec<i64> = encode_ordinary_parallel(&text).into_iter().map(i64::from).collect();
/// assert_eq!(ids, Gpt2Tokenizer::new().encode_ordinary(&text));
/// ```
pub fn encode_ordinary_parallel(text: &str) -> Vec<u32> {
    let per_core = text.len() / (rayon::current_num_threads() * 8).max(1);
    encode_ordinary_in_parts(text, per_core.clamp(64 << 10, 1 << 20))
}

/// Tokenises every text file into one token file `out` (+ `out.json`), streaming and in parallel;
/// returns what the sidecar says.
///
/// The token file is written under a temporary name and renamed when complete, so `out` is never
/// half-written. Texts must be UTF-8, read as the book reads text (`open(path, encoding="utf-8")`:
/// `\r\n` and a lone `\r` become `\n`, as every command of this crate reads text files).
///
/// # Errors
/// No texts, a text that cannot be read or is not UTF-8 (its path and the byte offset),
/// `out` among the inputs, or a failed write.
pub fn prepare(texts: &[PathBuf], out: &Path, options: &PrepareOptions) -> Result<TokenFileInfo> {
    ensure!(!texts.is_empty(), "no text files to prepare (give --text PATH, once per file)");
    ensure!(options.part_bytes > 0, "part_bytes must be at least 1");
    let mut total_bytes = 0;
    for text in texts {
        let meta = std::fs::metadata(text).map_err(|err| io_error("reading the text file", text, &err))?;
        if !meta.is_file() {
            let why = if meta.is_dir() {
                ErrorKind::IsADirectory.into()
            } else {
                std::io::Error::new(ErrorKind::InvalidInput, "it is not a regular file")
            };
            return Err(io_error("reading the text file", text, &why));
        }
        if let (Ok(a), Ok(b)) = (std::fs::canonicalize(text), std::fs::canonicalize(out)) {
            ensure!(a != b, "the output {} is also an input text", out.display());
        }
        total_bytes += meta.len();
    }

    // Checked before anything is written, so that a failed rename never leaves a `.partial` file.
    ensure!(!out.is_dir(), "the output {} is a directory; give a file name such as corpus.bin", out.display());

    let partial = with_suffix(out, ".partial");
    let result = write_token_file(texts, &partial, total_bytes, options);
    let info = match result {
        Ok(info) => info,
        Err(err) => {
            let _ = std::fs::remove_file(&partial);
            return Err(err);
        }
    };
    if let Err(err) = std::fs::rename(&partial, out) {
        let _ = std::fs::remove_file(&partial);
        return Err(err).with_context(|| format!("renaming {} to {}", partial.display(), out.display()));
    }
    let sidecar = TokenFileInfo::sidecar_path(out);
    let sidecar_partial = with_suffix(&sidecar, ".partial");
    std::fs::write(&sidecar_partial, serde_json::to_string_pretty(&info)? + "\n")
        .with_context(|| format!("writing {}", sidecar_partial.display()))?;
    std::fs::rename(&sidecar_partial, &sidecar).with_context(|| format!("writing {}", sidecar.display()))?;
    Ok(info)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn progress_bar(total_bytes: u64, options: &PrepareOptions) -> ProgressBar {
    if !options.progress || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// The output side: ids to little-endian bytes, hashed and written in order.
struct Sink {
    writer: BufWriter<File>,
    hasher: Sha256,
    dtype: TokenDtype,
    bytes: Vec<u8>,
    tokens: u64,
    path: PathBuf,
}

impl Sink {
    fn write(&mut self, ids: &[u32]) -> Result<()> {
        self.bytes.clear();
        self.dtype.write_ids(ids, &mut self.bytes)?;
        self.hasher.update(&self.bytes);
        self.writer.write_all(&self.bytes).with_context(|| format!("writing {}", self.path.display()))?;
        self.tokens += ids.len() as u64;
        Ok(())
    }
}

fn write_token_file(
    texts: &[PathBuf],
    partial: &Path,
    total_bytes: u64,
    options: &PrepareOptions,
) -> Result<TokenFileInfo> {
    let file = File::create(partial).map_err(|err| io_error("creating", partial, &err))?;
    let dtype = TokenDtype::for_vocab(Gpt2Tokenizer::VOCAB_SIZE as u64);
    let mut sink = Sink {
        writer: BufWriter::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
        dtype,
        bytes: Vec::new(),
        tokens: 0,
        path: partial.to_owned(),
    };
    let bar = progress_bar(total_bytes, options);
    let mut sources = Vec::with_capacity(texts.len());
    for text in texts {
        let before = sink.tokens;
        let bytes = encode_document(text, options.part_bytes, &mut sink, &bar)?;
        sink.write(&[GPT2_END_OF_TEXT])?;
        sources.push(SourceDocument { path: text.clone(), bytes, tokens: sink.tokens - before });
    }
    bar.finish_and_clear();
    sink.writer.flush().with_context(|| format!("writing {}", partial.display()))?;
    Ok(TokenFileInfo {
        tokenizer: "gpt2".into(),
        dtype,
        tokens: sink.tokens,
        documents: texts.len() as u64,
        end_of_text: GPT2_END_OF_TEXT,
        sha256: format!("{:x}", sink.hasher.finalize()),
        sources,
    })
}

/// Streams one text file through the encoder into `sink`; returns its size in bytes.
fn encode_document(path: &Path, part_bytes: usize, sink: &mut Sink, bar: &ProgressBar) -> Result<u64> {
    let encoder = Gpt2Encoder::get();
    let mut reader = File::open(path).map_err(|err| io_error("reading the text file", path, &err))?;
    // Each round reads enough for a few parts per core, encodes them in parallel, writes them in order.
    let round_bytes = part_bytes.saturating_mul(2 * rayon::current_num_threads());
    let mut pending: Vec<u8> = Vec::new();
    let mut offset = 0u64; // of pending[0] in the file
    loop {
        let want = round_bytes.saturating_sub(pending.len()).max(part_bytes);
        let read = (&mut reader)
            .take(want as u64)
            .read_to_end(&mut pending)
            .with_context(|| format!("reading the text file {}", path.display()))?;
        let at_end = read < want;
        // Encode up to the last safe cut; the rest waits for more text (or the end of the file).
        // A safe cut follows a visible character, so it never separates a `\r` from its `\n`:
        // each part's newlines can be translated on their own.
        let ready = if at_end {
            pending.len()
        } else {
            (1..pending.len()).rev().find(|&p| is_safe_cut(&pending, p)).unwrap_or(0)
        };
        if ready > 0 {
            let text = std::str::from_utf8(&pending[..ready]).map_err(|err| {
                let at = err.valid_up_to();
                crate::text::utf8_error(&format!("the text file {}", path.display()), pending[at], offset + at as u64)
            })?;
            let text = crate::text::universal_newlines(text);
            let parts = split_at_safe_cuts(&text, part_bytes);
            let encoded: Vec<Vec<u32>> = parts.par_iter().map(|part| encoder.encode_ordinary(part)).collect();
            for ids in &encoded {
                sink.write(ids)?;
            }
            pending.drain(..ready);
            offset += ready as u64;
            bar.inc(ready as u64);
        }
        if at_end {
            if !pending.is_empty() {
                bail!("internal error: {} bytes of {} were left unencoded", pending.len(), path.display());
            }
            return Ok(offset);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crlf_file_gives_the_ids_of_its_lf_copy() {
        let dir = std::env::temp_dir().join(format!("token-embeddings-prepare-crlf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lf = "It was\n\nthe best of times.\nIt was\n the worst\n\n\n of times.\n".repeat(40);
        let crlf = lf.replace('\n', "\r\n");
        let cr = lf.replace('\n', "\r");
        let mut outputs = Vec::new();
        for (name, text) in [("lf", &lf), ("crlf", &crlf), ("cr", &cr)] {
            let (input, out) = (dir.join(format!("{name}.txt")), dir.join(format!("{name}.bin")));
            std::fs::write(&input, text).unwrap();
            // Tiny parts, so that reads end between a `\r` and its `\n`.
            prepare(&[input], &out, &PrepareOptions { part_bytes: 7, progress: false }).unwrap();
            outputs.push(std::fs::read(&out).unwrap());
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(outputs[1], outputs[0]);
        assert_eq!(outputs[2], outputs[0]);
    }
    use rand_mt::Mt;

    fn one_call(text: &str) -> Vec<u32> {
        tiktoken_rs::r50k_base_singleton().encode_ordinary(text)
    }

    /// Texts built from the pieces where GPT-2's pattern is delicate.
    fn adversarial_texts() -> Vec<String> {
        let atoms = crate::data::encode::GPT2_PATTERN_ATOMS;
        let mut texts: Vec<String> = vec![
            String::new(),
            " ".repeat(50),
            "\n".repeat(50),
            "a ".repeat(40),
            " a".repeat(40),
            "x".repeat(3000),
            "supercalifragilisticexpialidocious".repeat(40),
            "no_spaces_at_all,just.punctuation;and-words".repeat(30),
            "a  \n  b \n\n c   d\t\te\r\n\r\nf".repeat(20),
            "end with spaces   ".into(),
            "end with newlines\n\n\n".into(),
            "It's, isn't it? They'll've 'em. ".repeat(10),
            "1 2 3 4 5 6 7 8 9 10 100 1000 ".repeat(10),
            include_str!("../../data/the-verdict.txt").into(),
        ];
        let mut rng = Mt::new(2024);
        for _ in 0..300 {
            let len = (rng.next_u32() % 60) as usize;
            texts.push((0..len).map(|_| atoms[rng.next_u32() as usize % atoms.len()]).collect());
        }
        texts
    }

    #[test]
    fn safe_cuts_are_where_the_pattern_cannot_join() {
        assert!(is_safe_cut(b"a b", 1));
        assert!(is_safe_cut(b"a\nb", 1));
        assert!(is_safe_cut(b". b", 1));
        assert!(!is_safe_cut(b"  b", 1), "a space before: a run of spaces");
        assert!(!is_safe_cut(b"ab", 1), "inside a word");
        assert!(!is_safe_cut(b"a b", 0));
        assert!(!is_safe_cut(b"a ", 2));
        assert!(!is_safe_cut("\u{e9} b".as_bytes(), 2), "only after visible ASCII");
    }

    #[test]
    fn parts_join_back_to_the_text() {
        for text in adversarial_texts() {
            for part_bytes in [1, 2, 3, 7, 64] {
                assert_eq!(split_at_safe_cuts(&text, part_bytes).concat(), text);
            }
        }
    }

    #[test]
    fn parts_give_the_ids_of_one_call_on_adversarial_texts() {
        for text in adversarial_texts() {
            let expected = one_call(&text);
            for part_bytes in [1, 2, 3, 5, 8, 13, 100] {
                assert_eq!(encode_ordinary_in_parts(&text, part_bytes), expected, "part_bytes {part_bytes}: {text:?}");
            }
        }
    }

    #[test]
    fn a_text_without_a_cut_stays_whole() {
        let text = "x".repeat(1000);
        assert_eq!(split_at_safe_cuts(&text, 10), [text.as_str()]);
        let spaces = " ".repeat(1000);
        assert_eq!(split_at_safe_cuts(&spaces, 10).len(), 1);
    }
}
