//! PyTorch's `DataLoader` over a [`GptDatasetV1`] (`num_workers=0`).
//!
//! The loader spends the default generator exactly as `torch.utils.data.DataLoader` does with
//! `num_workers=0`: every `iter(loader)` draws a 64-bit base seed (even without shuffling), and a
//! shuffling loader draws one more on its first batch to seed a private generator for `randperm`.

use std::fmt;

use anyhow::{ensure, Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tch::{Device, Tensor};

use super::dataset::GptDatasetV1;
use crate::printing;
use crate::random::{self, PrivateGenerator};

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
        crate::checks::check_buffer("a batch", rows.saturating_mul(dataset.max_length()), 32)?;
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

    /// One pass (`iter(loader)`, drawing from the default generator like any pass), hashed
    /// instead of kept: the number of batches and the sha256 of all inputs' and of all targets'
    /// int64 little-endian bytes, batch after batch. Two passes agree exactly when every batch does.
    pub fn summary(&self) -> Result<PassSummary> {
        let (mut inputs, mut targets) = (Sha256::new(), Sha256::new());
        let (mut buffer, mut bytes): (Vec<i64>, Vec<u8>) = (Vec::new(), Vec::new());
        let mut batches = 0;
        for batch in self.iter()? {
            let batch = batch?;
            for (tensor, hasher) in [(&batch.inputs, &mut inputs), (&batch.targets, &mut targets)] {
                let cpu = tensor.f_to_device(Device::Cpu)?.f_contiguous()?;
                let numel = cpu.numel();
                buffer.resize(numel, 0);
                cpu.f_copy_data(&mut buffer, numel)?;
                bytes.clear();
                bytes.extend(buffer.iter().flat_map(|id| id.to_le_bytes()));
                hasher.update(&bytes);
            }
            batches += 1;
        }
        Ok(PassSummary {
            batches,
            inputs_sha256: format!("{:x}", inputs.finalize()),
            targets_sha256: format!("{:x}", targets.finalize()),
        })
    }

    /// `iter(loader)`: starts a pass. Like PyTorch, this draws the 64-bit base seed from the
    /// default generator right away, shuffling or not.
    pub fn iter(&self) -> Result<Batches<'_>> {
        let base_seed = random::draw_int64_seed()?;
        Ok(Batches {
            loader: self,
            base_seed,
            order: None,
            next_window: 0,
            batches_left: self.len(),
            inputs: Vec::new(),
            targets: Vec::new(),
        })
    }
}

/// What [`DataLoader::summary`] reports of one pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PassSummary {
    /// Batches the pass yielded.
    pub batches: usize,
    /// sha256 of every batch's inputs as int64 little-endian bytes, in order (lowercase hex).
    pub inputs_sha256: String,
    /// The same for the targets.
    pub targets_sha256: String,
}

/// One pass over a [`DataLoader`]; yields `Result<Batch>`.
pub struct Batches<'a> {
    loader: &'a DataLoader,
    base_seed: i64,
    order: Option<Order>,
    next_window: usize,
    batches_left: usize,
    // Reused for every batch: the ids are copied into them, then into the batch's tensors.
    inputs: Vec<i64>,
    targets: Vec<i64>,
}

/// The order windows are visited in: `0..n`, or `torch.randperm(n)` kept as PyTorch returns it
/// (int64; 8 bytes a window, so 80 MB for 10^7 windows).
enum Order {
    Sequential,
    Permuted(Vec<i64>),
}

impl Batches<'_> {
    /// The base seed this pass drew (PyTorch hands it to worker processes; with none, unused).
    pub fn base_seed(&self) -> i64 {
        self.base_seed
    }

    /// The window order of this pass. A shuffling sampler draws its seed from the default
    /// generator on the first batch, not at `iter`, as Python's generator-based sampler does.
    fn order(&mut self) -> Result<&Order> {
        if self.order.is_none() {
            let n = self.loader.dataset.len();
            let order = if self.loader.options.shuffle {
                let seed = random::draw_int64_seed()?;
                Order::Permuted(PrivateGenerator::new(seed as u64).randperm(n))
            } else {
                Order::Sequential
            };
            self.order = Some(order);
        }
        Ok(self.order.as_ref().expect("set above"))
    }

    fn next_batch(&mut self) -> Result<Batch> {
        let batch_size = self.loader.options.batch_size;
        let windows = self.loader.dataset.len();
        let start = self.next_window;
        let end = (start + batch_size).min(windows);
        self.order()?;
        self.next_window = end;
        self.batches_left -= 1;

        let dataset = &self.loader.dataset;
        let rows = (end - start) as i64;
        let width = dataset.max_length() as i64;
        let (inputs, targets) = (&mut self.inputs, &mut self.targets);
        inputs.clear();
        targets.clear();
        match self.order.as_ref().expect("drawn above") {
            Order::Sequential => (start..end).for_each(|w| dataset.extend_window(w, inputs, targets)),
            Order::Permuted(perm) => {
                perm[start..end].iter().for_each(|&w| dataset.extend_window(w as usize, inputs, targets))
            }
        }
        let device = self.loader.device;
        let to_tensor = |ids: &[i64]| -> Result<Tensor> {
            let batch = Tensor::f_from_slice(ids)?.f_view([rows, width])?;
            Ok(if device == Device::Cpu { batch } else { batch.f_to_device(device)? })
        };
        Ok(Batch { inputs: to_tensor(inputs)?, targets: to_tensor(targets)? })
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
