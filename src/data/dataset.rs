//! The book's `GPTDatasetV1` (section 2.6): input/target windows over a token sequence.

use std::path::Path;
use std::sync::Arc;

use anyhow::{ensure, Context, Result};

use super::token_file::TokenFile;
use crate::tokenizer::Gpt2Tokenizer;

/// Where a dataset's ids live: in memory, or in a memory-mapped token file.
#[derive(Debug, Clone)]
enum TokenIds {
    InMemory(Vec<i64>),
    /// Shared, so that a clone of the dataset maps the file once.
    Mapped(Arc<TokenFile>),
}

impl TokenIds {
    fn len(&self) -> usize {
        match self {
            TokenIds::InMemory(ids) => ids.len(),
            TokenIds::Mapped(file) => file.len(),
        }
    }

    fn extend(&self, start: usize, count: usize, out: &mut Vec<i64>) {
        match self {
            TokenIds::InMemory(ids) => out.extend_from_slice(&ids[start..start + count]),
            TokenIds::Mapped(file) => file.extend_i64(start, count, out),
        }
    }
}

/// Input/target windows over a sequence of token ids: window `k` starts at `k * stride`,
/// its input is `max_length` ids and its target the same ids shifted by one.
///
/// The ids are held in memory ([`GptDatasetV1::from_token_ids`], [`GptDatasetV1::from_text`]) or
/// read from a memory-mapped token file ([`GptDatasetV1::from_token_file`]); the windows are the
/// same either way. Unlike the book's class, which keeps every window as two tensors of its own
/// (`2 * max_length` ids per window), windows are cut when a batch asks for them: memory is the
/// ids alone, whatever the stride.
#[derive(Debug, Clone)]
pub struct GptDatasetV1 {
    token_ids: TokenIds,
    max_length: usize,
    stride: usize,
    windows: usize,
}

impl GptDatasetV1 {
    /// Windows over token ids (`for i in range(0, len(ids) - max_length, stride)`).
    ///
    /// ```
    /// use token_embeddings::data::GptDatasetV1;
    /// let dataset = GptDatasetV1::from_token_ids((0..10).collect(), 4, 2)?;
    /// assert_eq!(dataset.len(), 3);
    /// assert_eq!(dataset.window(1), (vec![2, 3, 4, 5], vec![3, 4, 5, 6]));
    /// # anyhow::Ok(())
    /// ```
    pub fn from_token_ids(token_ids: Vec<i64>, max_length: usize, stride: usize) -> Result<Self> {
        Self::new(TokenIds::InMemory(token_ids), max_length, stride)
    }

    /// Windows over the ids of a memory-mapped token file (see [`TokenFile`]): the same windows,
    /// and with a loader the same batches, as over the same ids in memory.
    pub fn from_token_file(tokens: TokenFile, max_length: usize, stride: usize) -> Result<Self> {
        let path = tokens.path().to_owned();
        Self::new(TokenIds::Mapped(Arc::new(tokens)), max_length, stride)
            .with_context(|| format!("windows over the token file {}", path.display()))
    }

    /// [`TokenFile::open`] and [`GptDatasetV1::from_token_file`] in one call.
    pub fn open_token_file(path: impl AsRef<Path>, max_length: usize, stride: usize) -> Result<Self> {
        Self::from_token_file(TokenFile::open(path)?, max_length, stride)
    }

    fn new(token_ids: TokenIds, max_length: usize, stride: usize) -> Result<Self> {
        ensure!(max_length > 0, "max_length must be at least 1");
        ensure!(stride > 0, "stride must be at least 1 (a stride of 0 would repeat the first window forever)");
        let count = token_ids.len();
        ensure!(
            count > max_length,
            "the text is too short: {count} token(s), but a window of max_length={max_length} needs at least {} (input plus the next token as target)",
            max_length + 1
        );
        let windows = (count - max_length).div_ceil(stride);
        Ok(Self { token_ids, max_length, stride, windows })
    }

    /// The book's `GPTDatasetV1(txt, tokenizer, max_length, stride)` with GPT-2's tokenizer
    /// (`<|endoftext|>` allowed).
    pub fn from_text(text: &str, max_length: usize, stride: usize) -> Result<Self> {
        ensure!(!text.is_empty(), "the text is empty");
        let ids = Gpt2Tokenizer::new().encode_with_special(text, &[crate::tokenizer::END_OF_TEXT])?;
        Self::from_token_ids(ids, max_length, stride)
    }

    /// The dataloader bonus's number data: whitespace-separated integers are the token ids, read
    /// as the bonus's `[int(x) for x in text.strip().split()]` reads them.
    pub fn from_numbers_text(text: &str, max_length: usize, stride: usize) -> Result<Self> {
        // Python's text.split(): white space as str.isspace() sees it (U+001C..U+001F included).
        let ids = text
            .split(crate::pyrepr::is_python_whitespace)
            .filter(|word| !word.is_empty())
            .map(|word| {
                // Python's int(word): signs, underscores between digits, any Unicode decimal digit.
                crate::pyrepr::python_int(word).map_err(|why| {
                    anyhow::anyhow!("{} is not an integer token id ({why})", crate::pyrepr::python_str_repr(word))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        ensure!(!ids.is_empty(), "the text holds no numbers");
        Self::from_token_ids(ids, max_length, stride)
    }

    /// Number of windows.
    pub fn len(&self) -> usize {
        self.windows
    }

    /// True when there are no windows (never, for a dataset that was built).
    pub fn is_empty(&self) -> bool {
        self.windows == 0
    }

    /// Window length.
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// Distance between the starts of two windows.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Number of ids the windows are cut from.
    pub fn token_count(&self) -> usize {
        self.token_ids.len()
    }

    /// True when the ids are read from a memory-mapped token file.
    pub fn is_memory_mapped(&self) -> bool {
        matches!(self.token_ids, TokenIds::Mapped(_))
    }

    /// Window `index`: `(input ids, target ids)`. Panics past `len()`, like a slice.
    pub fn window(&self, index: usize) -> (Vec<i64>, Vec<i64>) {
        let (mut input, mut target) = (Vec::with_capacity(self.max_length), Vec::with_capacity(self.max_length));
        self.extend_window(index, &mut input, &mut target);
        (input, target)
    }

    /// Appends window `index`'s input ids to `inputs` and its target ids to `targets` (how the
    /// loader fills a batch without a vector per window). Panics past `len()`.
    pub fn extend_window(&self, index: usize, inputs: &mut Vec<i64>, targets: &mut Vec<i64>) {
        assert!(index < self.windows, "window {index} out of range for a dataset of {} windows", self.windows);
        let start = index * self.stride;
        self.token_ids.extend(start, self.max_length, inputs);
        self.token_ids.extend(start + 1, self.max_length, targets);
    }
}
