//! Data sampling with a sliding window (book section 2.6): `GPTDatasetV1`, PyTorch's
//! `DataLoader` and the book's `create_dataloader_v1`.
//!
//! The loader spends the default generator exactly as `torch.utils.data.DataLoader` does with
//! `num_workers=0`: every `iter(loader)` draws a 64-bit base seed (even without shuffling), and a
//! shuffling loader draws one more on its first batch to seed a private generator for `randperm`.

use std::fmt;

use anyhow::{ensure, Context, Result};
use tch::{Device, Tensor};

use crate::printing;
use crate::random::{self, PrivateGenerator};
use crate::tokenizer::Gpt2Tokenizer;

/// Input/target windows over a sequence of token ids: window `k` starts at `k * stride`,
/// its input is `max_length` ids and its target the same ids shifted by one.
#[derive(Debug, Clone)]
pub struct GptDatasetV1 {
    token_ids: Vec<i64>,
    max_length: usize,
    stride: usize,
    starts: Vec<usize>,
}

impl GptDatasetV1 {
    /// Windows over token ids (`for i in range(0, len(ids) - max_length, stride)`).
    ///
    /// ```
    /// use token_embeddings::data::GptDatasetV1;
    /// let dataset = GptDatasetV1::from_token_ids((0..10).collect(), 4, 2)?;
    /// assert_eq!(dataset.len(), 3);
    /// assert_eq!(dataset.window(1), (&[2, 3, 4, 5][..], &[3, 4, 5, 6][..]));
    /// # anyhow::Ok(())
    /// ```
    pub fn from_token_ids(token_ids: Vec<i64>, max_length: usize, stride: usize) -> Result<Self> {
        ensure!(max_length > 0, "max_length must be at least 1");
        ensure!(stride > 0, "stride must be at least 1 (a stride of 0 would repeat the first window forever)");
        ensure!(
            token_ids.len() > max_length,
            "the text is too short: {} token(s), but a window of max_length={max_length} needs at least {} (input plus the next token as target)",
            token_ids.len(),
            max_length + 1
        );
        let starts = (0..token_ids.len() - max_length).step_by(stride).collect();
        Ok(Self { token_ids, max_length, stride, starts })
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
        self.starts.len()
    }

    /// True when there are no windows (never, for a dataset that was built).
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// Window length.
    pub fn max_length(&self) -> usize {
        self.max_length
    }

    /// Distance between the starts of two windows.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The whole token sequence the windows are cut from.
    pub fn token_ids(&self) -> &[i64] {
        &self.token_ids
    }

    /// Window `index`: `(input ids, target ids)`. Panics past `len()`, like a slice.
    pub fn window(&self, index: usize) -> (&[i64], &[i64]) {
        let start = self.starts[index];
        (&self.token_ids[start..start + self.max_length], &self.token_ids[start + 1..start + self.max_length + 1])
    }
}

/// How a [`DataLoader`] cuts its dataset into batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoaderOptions {
    /// Windows per batch.
    pub batch_size: usize,
    /// Visit windows in a random order (drawn from the default generator).
    pub shuffle: bool,
    /// Skip a last batch that would be smaller than `batch_size`.
    pub drop_last: bool,
}

impl LoaderOptions {
    /// The book's `create_dataloader_v1` defaults: batches of 4, shuffled, last one dropped.
    pub const BOOK: LoaderOptions = LoaderOptions { batch_size: 4, shuffle: true, drop_last: true };
}

/// `torch.utils.data.DataLoader(dataset, batch_size, shuffle, drop_last, num_workers=0)`.
#[derive(Debug, Clone)]
pub struct DataLoader {
    dataset: GptDatasetV1,
    options: LoaderOptions,
    device: Device,
}

impl DataLoader {
    /// A loader over the dataset; batches are created on the CPU (see [`DataLoader::on_device`]).
    pub fn new(dataset: GptDatasetV1, options: LoaderOptions) -> Result<Self> {
        ensure!(options.batch_size > 0, "batch_size must be at least 1");
        let rows = options.batch_size.min(dataset.len());
        // Inputs and targets, each gathered in a Vec, then copied into a tensor: 4 × 8 bytes per id.
        crate::checks::check_buffer("a batch", rows.saturating_mul(dataset.max_length), 32)?;
        Ok(Self { dataset, options, device: Device::Cpu })
    }

    /// Moves every batch to `device` after it is built (`inputs.to(device)`).
    pub fn on_device(mut self, device: Device) -> Self {
        self.device = device;
        self
    }

    /// The dataset it samples.
    pub fn dataset(&self) -> &GptDatasetV1 {
        &self.dataset
    }

    /// `len(loader)`: the number of batches one pass yields.
    pub fn len(&self) -> usize {
        let windows = self.dataset.len();
        if self.options.drop_last {
            windows / self.options.batch_size
        } else {
            windows.div_ceil(self.options.batch_size)
        }
    }

    /// True when one pass yields no batch (fewer windows than `batch_size` with `drop_last`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `iter(loader)`: starts a pass. Like PyTorch, this draws the 64-bit base seed from the
    /// default generator right away, shuffling or not.
    pub fn iter(&self) -> Result<Batches<'_>> {
        let base_seed = random::draw_int64_seed()?;
        Ok(Batches { loader: self, base_seed, order: None, next_window: 0, batches_left: self.len() })
    }
}

/// One pass over a [`DataLoader`]; yields `Result<Batch>`.
pub struct Batches<'a> {
    loader: &'a DataLoader,
    base_seed: i64,
    order: Option<Vec<usize>>,
    next_window: usize,
    batches_left: usize,
}

impl Batches<'_> {
    /// The base seed this pass drew (PyTorch hands it to worker processes; with none, unused).
    pub fn base_seed(&self) -> i64 {
        self.base_seed
    }

    /// The window order of this pass. A shuffling sampler draws its seed from the default
    /// generator on the first batch, not at `iter`, as Python's generator-based sampler does.
    fn order(&mut self) -> Result<&[usize]> {
        if self.order.is_none() {
            let n = self.loader.dataset.len();
            let order = if self.loader.options.shuffle {
                let seed = random::draw_int64_seed()?;
                PrivateGenerator::new(seed as u64).randperm(n).into_iter().map(|i| i as usize).collect()
            } else {
                (0..n).collect()
            };
            self.order = Some(order);
        }
        Ok(self.order.as_deref().expect("set above"))
    }

    fn next_batch(&mut self) -> Result<Batch> {
        let batch_size = self.loader.options.batch_size;
        let start = self.next_window;
        let order = self.order()?;
        let end = (start + batch_size).min(order.len());
        let windows: Vec<usize> = order[start..end].to_vec();
        self.next_window = end;
        self.batches_left -= 1;

        let dataset = &self.loader.dataset;
        let rows = windows.len() as i64;
        let width = dataset.max_length as i64;
        let (mut inputs, mut targets) = (Vec::new(), Vec::new());
        for &w in &windows {
            let (input, target) = dataset.window(w);
            inputs.extend_from_slice(input);
            targets.extend_from_slice(target);
        }
        let to_tensor = |ids: &[i64]| -> Result<Tensor> {
            Ok(Tensor::f_from_slice(ids)?.f_reshape([rows, width])?.f_to_device(self.loader.device)?)
        };
        Ok(Batch { inputs: to_tensor(&inputs)?, targets: to_tensor(&targets)? })
    }
}

impl Iterator for Batches<'_> {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.batches_left == 0 {
            // A shuffling pass that yields nothing still seeds its sampler on the first `next`.
            if self.order.is_none() {
                if let Err(err) = self.order() {
                    return Some(Err(err));
                }
            }
            return None;
        }
        Some(self.next_batch().context("building a batch"))
    }
}

/// One batch: `inputs` and `targets`, int64 tensors of shape `[batch, max_length]`.
/// Prints as `print(batch)` does in Python: `[tensor(...), tensor(...)]`.
#[derive(Debug)]
pub struct Batch {
    /// Token ids the model sees.
    pub inputs: Tensor,
    /// The same ids shifted by one: what the model should predict.
    pub targets: Tensor,
}

impl fmt::Display for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match printing::list_repr(&[&self.inputs, &self.targets]) {
            Ok(text) => f.write_str(&text),
            Err(err) => write!(f, "<batch that cannot be printed: {err:#}>"),
        }
    }
}

/// The book's `create_dataloader_v1(txt, batch_size, max_length, stride, shuffle, drop_last)`:
/// GPT-2 token ids of the text, windows, and a loader over them.
pub fn create_dataloader_v1(
    text: &str,
    max_length: usize,
    stride: usize,
    options: LoaderOptions,
) -> Result<DataLoader> {
    DataLoader::new(GptDatasetV1::from_text(text, max_length, stride)?, options)
}

/// The dataloader bonus's text: `"0 1 2 … n "`, every number followed by a space.
pub fn number_text(last: usize) -> String {
    (0..=last).map(|i| format!("{i} ")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict() -> String {
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/the-verdict.txt")).unwrap()
    }

    fn ids(t: &Tensor) -> Vec<Vec<i64>> {
        Vec::<Vec<i64>>::try_from(t).unwrap()
    }

    #[test]
    fn window_counts_of_the_verdict() {
        let _rng = crate::random::test_lock();
        let text = verdict();
        assert_eq!(GptDatasetV1::from_text(&text, 4, 1).unwrap().len(), 5141);
        assert_eq!(GptDatasetV1::from_text(&text, 4, 4).unwrap().len(), 1286);
        assert_eq!(GptDatasetV1::from_text(&text, 256, 128).unwrap().len(), 39);
    }

    #[test]
    fn first_batches_in_order() {
        let _rng = crate::random::test_lock();
        let options = LoaderOptions { batch_size: 1, shuffle: false, drop_last: true };
        let loader = create_dataloader_v1(&verdict(), 4, 1, options).unwrap();
        let mut batches = loader.iter().unwrap();
        let first = batches.next().unwrap().unwrap();
        assert_eq!(first.to_string(), "[tensor([[  40,  367, 2885, 1464]]), tensor([[ 367, 2885, 1464, 1807]])]");
        let second = batches.next().unwrap().unwrap();
        assert_eq!(second.to_string(), "[tensor([[ 367, 2885, 1464, 1807]]), tensor([[2885, 1464, 1807, 3619]])]");
    }

    #[test]
    fn last_number_batch_without_shuffle() {
        let _rng = crate::random::test_lock();
        let options = LoaderOptions { batch_size: 1, shuffle: false, drop_last: true };
        let dataset = GptDatasetV1::from_numbers_text(&number_text(1000), 4, 1).unwrap();
        let loader = DataLoader::new(dataset, options).unwrap();
        let last = loader.iter().unwrap().last().unwrap().unwrap();
        assert_eq!(last.to_string(), "[tensor([[996, 997, 998, 999]]), tensor([[ 997,  998,  999, 1000]])]");
    }

    #[test]
    fn shuffled_number_data_matches_pytorch() {
        let _rng = crate::random::test_lock();
        // The book's dataloader bonus: torch.manual_seed(123), batch 2, length 4, stride 4.
        random::manual_seed(123);
        let options = LoaderOptions { batch_size: 2, shuffle: true, drop_last: true };
        let dataset = GptDatasetV1::from_numbers_text(&number_text(1000), 4, 4).unwrap();
        let loader = DataLoader::new(dataset, options).unwrap();
        let last = loader.iter().unwrap().last().unwrap().unwrap();
        assert_eq!(ids(&last.inputs), [[880, 881, 882, 883], [112, 113, 114, 115]]);
        assert_eq!(ids(&last.targets), [[881, 882, 883, 884], [113, 114, 115, 116]]);
    }

    #[test]
    fn drop_last_decides_the_short_batch() {
        let _rng = crate::random::test_lock();
        let dataset = GptDatasetV1::from_token_ids((0..12).collect(), 2, 1).unwrap();
        assert_eq!(dataset.len(), 10);
        let keep = DataLoader::new(dataset.clone(), LoaderOptions { batch_size: 4, shuffle: false, drop_last: false })
            .unwrap();
        assert_eq!(keep.len(), 3);
        let sizes: Vec<i64> = keep.iter().unwrap().map(|b| b.unwrap().inputs.size()[0]).collect();
        assert_eq!(sizes, [4, 4, 2]);
        let drop = DataLoader::new(dataset, LoaderOptions { batch_size: 4, shuffle: false, drop_last: true }).unwrap();
        assert_eq!(drop.iter().unwrap().count(), 2);
    }

    #[test]
    fn bad_settings_are_clear_errors() {
        let _rng = crate::random::test_lock();
        let err = GptDatasetV1::from_token_ids(vec![1, 2, 3], 4, 1).unwrap_err();
        assert!(err.to_string().contains("too short"), "{err}");
        assert!(GptDatasetV1::from_token_ids(vec![1, 2, 3], 1, 0).unwrap_err().to_string().contains("stride"));
        assert!(GptDatasetV1::from_text("", 4, 1).unwrap_err().to_string().contains("empty"));
        let dataset = GptDatasetV1::from_token_ids(vec![1, 2, 3], 1, 1).unwrap();
        let options = LoaderOptions { batch_size: 0, shuffle: false, drop_last: false };
        assert!(DataLoader::new(dataset, options).unwrap_err().to_string().contains("batch_size"));
        assert!(GptDatasetV1::from_numbers_text("1 two 3", 1, 1).unwrap_err().to_string().contains("two"));
    }
}
