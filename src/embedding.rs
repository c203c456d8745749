//! Token embeddings (book section 2.7): a trainable table with one vector per token id.
//!
//! [`Embedding`] is `torch.nn.Embedding` with all of its options (PyTorch 2.13 semantics): a
//! `num_embeddings × embedding_dim` float32 weight, initialised from the default generator with
//! `normal_(0, 1)`, and a lookup that picks rows; `padding_idx` (a zero row that never receives a
//! gradient), `max_norm`/`norm_type` (looked-up rows renormalised in place during the forward
//! pass), `scale_grad_by_freq`, `from_pretrained`, the module's printed form, and growing the table
//! for new tokens.

use std::fmt;

use anyhow::{bail, ensure, Context, Result};
use tch::{Device, Kind, Tensor};

/// The options of `torch.nn.Embedding` beyond its two sizes, with PyTorch's defaults
/// (`EmbeddingOptions::default()`: no padding row, no renormalisation, `norm_type=2.0`).
///
/// ```
/// use token_embeddings::embedding::{Embedding, EmbeddingOptions};
/// use token_embeddings::random::manual_seed;
/// manual_seed(123);
/// // nn.Embedding(6, 3, padding_idx=0, max_norm=1.0)
/// let options = EmbeddingOptions { padding_idx: Some(0), max_norm: Some(1.0), ..Default::default() };
/// let layer = Embedding::with_options(6, 3, options)?;
/// assert_eq!(layer.to_string(), "Embedding(6, 3, padding_idx=0, max_norm=1.0)");
/// # anyhow::Ok(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EmbeddingOptions {
    /// The row of the padding token: drawn, then zeroed, and never updated by a gradient.
    /// Negative values count from the end, as in Python (`-1` is the last row).
    pub padding_idx: Option<i64>,
    /// Each looked-up row whose `norm_type`-norm exceeds this is scaled down to it, in place,
    /// during the forward pass (the weight itself changes).
    pub max_norm: Option<f64>,
    /// The p of the p-norm for `max_norm` (default 2.0; `f64::INFINITY` is the max-norm).
    pub norm_type: f64,
    /// Scale each row's gradient by the inverse of its id's frequency in the batch.
    pub scale_grad_by_freq: bool,
}

impl Default for EmbeddingOptions {
    fn default() -> Self {
        Self { padding_idx: None, max_norm: None, norm_type: 2.0, scale_grad_by_freq: false }
    }
}

/// `torch.nn.Embedding(num_embeddings, embedding_dim, padding_idx, max_norm, norm_type,
/// scale_grad_by_freq)`. Prints (`Display`) as `print(layer)` does:
/// `Embedding(6, 3, padding_idx=0, max_norm=1.0)`.
///
/// ```
/// use token_embeddings::{embedding::Embedding, printing::PyTorchPrint, random::manual_seed};
/// manual_seed(123);
/// let layer = Embedding::new(6, 3)?;
/// let row = layer.lookup(&[3])?;
/// assert_eq!(row.pytorch().to_string(),
///            "tensor([[-0.4015,  0.9666, -1.1481]], grad_fn=<EmbeddingBackward0>)");
/// # anyhow::Ok(())
/// ```
#[derive(Debug)]
pub struct Embedding {
    weight: Tensor,
    /// Normalised to `0..num_embeddings`, as PyTorch stores it.
    padding_idx: Option<i64>,
    max_norm: Option<f64>,
    norm_type: f64,
    scale_grad_by_freq: bool,
}

impl Embedding {
    /// Creates the layer on the CPU, drawing its weights from the default generator exactly as
    /// PyTorch does (`torch.empty(V, D).normal_(0, 1)`, then `requires_grad`).
    pub fn new(num_embeddings: i64, embedding_dim: i64) -> Result<Self> {
        Self::with_options(num_embeddings, embedding_dim, EmbeddingOptions::default())
    }

    /// `nn.Embedding(V, D, padding_idx=..., max_norm=..., norm_type=..., scale_grad_by_freq=...)`:
    /// the weights drawn as in [`Embedding::new`], then the padding row (if any) set to zero.
    ///
    /// # Errors
    /// Sizes below 1; `padding_idx` outside `-V..V` (PyTorch: "Padding_idx must be within
    /// num_embeddings"); `max_norm` not a positive number; `norm_type` not positive.
    pub fn with_options(num_embeddings: i64, embedding_dim: i64, options: EmbeddingOptions) -> Result<Self> {
        ensure!(num_embeddings > 0, "num_embeddings (vocabulary size) must be at least 1, got {num_embeddings}");
        ensure!(embedding_dim > 0, "embedding_dim must be at least 1, got {embedding_dim}");
        let padding_idx = check_options(num_embeddings, &options)?;
        let _guard = tch::no_grad_guard();
        let mut weight =
            crate::checks::empty("the embedding weight", &[num_embeddings, embedding_dim], Kind::Float, Device::Cpu)?;
        let _ = weight.f_normal_(0.0, 1.0).context("drawing the embedding weights")?;
        if let Some(row) = padding_idx {
            // `_fill_padding_idx_with_zero`: `self.weight[self.padding_idx].fill_(0)`.
            let _ = weight.f_get(row)?.f_fill_(0.0)?;
        }
        Ok(Self {
            weight: weight.set_requires_grad(true),
            padding_idx,
            max_norm: options.max_norm,
            norm_type: options.norm_type,
            scale_grad_by_freq: options.scale_grad_by_freq,
        })
    }

    /// A layer over given weights (`nn.Embedding.from_pretrained(w, freeze=False)`).
    pub fn from_weight(weight: Tensor) -> Result<Self> {
        Self::from_pretrained(&weight, false)
    }

    /// `nn.Embedding.from_pretrained(embeddings, freeze)`: the layer uses the given 2-D float
    /// tensor as its weight (sharing its memory, as PyTorch does); with `freeze` the weight does
    /// not require grad and so is not trained.
    pub fn from_pretrained(embeddings: &Tensor, freeze: bool) -> Result<Self> {
        Self::from_pretrained_with_options(embeddings, freeze, EmbeddingOptions::default())
    }

    /// [`Embedding::from_pretrained`] with options. As in PyTorch, the padding row is *not*
    /// zeroed: the given weights are used as they are.
    pub fn from_pretrained_with_options(embeddings: &Tensor, freeze: bool, options: EmbeddingOptions) -> Result<Self> {
        ensure!(
            embeddings.dim() == 2,
            "Embeddings parameter is expected to be 2-dimensional, got shape {:?}",
            embeddings.size()
        );
        ensure!(
            matches!(embeddings.kind(), Kind::Float | Kind::Double | Kind::Half | Kind::BFloat16),
            "embedding weights must be floating point, got {:?}",
            embeddings.kind()
        );
        let padding_idx = check_options(embeddings.size()[0], &options)?;
        Ok(Self {
            weight: embeddings.f_detach()?.set_requires_grad(!freeze),
            padding_idx,
            max_norm: options.max_norm,
            norm_type: options.norm_type,
            scale_grad_by_freq: options.scale_grad_by_freq,
        })
    }

    /// Moves the weights to `device` as `layer.to(device)` does: same values, still a trainable
    /// leaf. With CUDA the weights are still drawn on the CPU generator, so they equal CPU's.
    pub fn to_device(self, device: Device) -> Result<Self> {
        check_device(device)?;
        let requires_grad = self.weight.requires_grad();
        let moved = self.weight.detach().f_to_device(device).map_err(|err| {
            let operation = format!("moving the embedding weight to {device:?}");
            crate::checks::torch_error(&operation, &self.weight.size(), self.weight.kind(), err)
        })?;
        Ok(Self { weight: moved.set_requires_grad(requires_grad), ..self })
    }

    /// The vocabulary grown by `added` rows for new tokens, as the book's chapter-5 bonus
    /// (`09_extending-tokenizers`) does: a new `nn.Embedding(V + added, D)` drawn from the default
    /// generator, then the old rows copied into `weight.data[:V]`. The new rows keep their random
    /// values; the new layer has default options and lives on this layer's device.
    pub fn grown(&self, added: i64) -> Result<Embedding> {
        ensure!(added >= 0, "cannot grow an embedding by {added} rows");
        let rows = self.num_embeddings();
        let grown = Embedding::new(rows + added, self.embedding_dim())?.to_device(self.weight.device())?;
        {
            let _guard = tch::no_grad_guard();
            let old = self.weight.f_to_kind(Kind::Float)?;
            grown.weight.f_narrow(0, 0, rows)?.f_copy_(&old).context("copying the old rows")?;
        }
        Ok(grown)
    }

    /// The `num_embeddings × embedding_dim` weight (a parameter: prints with
    /// [`crate::printing::PyTorchPrint::pytorch_parameter`]).
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// Rows in the table: the vocabulary size (or the context length, for positions).
    pub fn num_embeddings(&self) -> i64 {
        self.weight.size()[0]
    }

    /// Length of each vector.
    pub fn embedding_dim(&self) -> i64 {
        self.weight.size()[1]
    }

    /// The padding row, counted from 0 (a negative `padding_idx` given is stored as `V + p`,
    /// as PyTorch stores it).
    pub fn padding_idx(&self) -> Option<i64> {
        self.padding_idx
    }

    /// The options this layer applies (with `padding_idx` counted from 0).
    pub fn options(&self) -> EmbeddingOptions {
        EmbeddingOptions {
            padding_idx: self.padding_idx,
            max_norm: self.max_norm,
            norm_type: self.norm_type,
            scale_grad_by_freq: self.scale_grad_by_freq,
        }
    }

    /// `layer(ids)`: the rows for a tensor of ids of any shape, giving shape `ids.shape + [dim]`
    /// (`F.embedding`). With `max_norm`, the looked-up rows of the weight are first renormalised
    /// in place (`torch.embedding_renorm_`), so the weight itself changes, as in PyTorch.
    ///
    /// # Errors
    /// Ids that are not int64/int32, on another device than the weights, or outside
    /// `0..num_embeddings`.
    pub fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        ensure!(
            matches!(ids.kind(), Kind::Int64 | Kind::Int),
            "token ids must be an integer tensor (int64), got {:?}",
            ids.kind()
        );
        ensure!(
            ids.device() == self.weight.device(),
            "token ids are on {:?} but the embedding weights are on {:?}",
            ids.device(),
            self.weight.device()
        );
        if ids.numel() > 0 {
            let lowest = ids.f_min()?.f_int64_value(&[])?;
            let highest = ids.f_max()?.f_int64_value(&[])?;
            let rows = self.num_embeddings();
            for id in [lowest, highest] {
                if !(0..rows).contains(&id) {
                    bail!(
                        "token id {id} is out of range for an embedding with {rows} rows (valid ids: 0 to {})",
                        rows - 1
                    );
                }
            }
        }
        if let Some(max_norm) = self.max_norm {
            let ids = ids.f_contiguous()?;
            let _guard = tch::no_grad_guard();
            let mut weight = self.weight.shallow_clone();
            let _ = weight.f_embedding_renorm_(&ids, max_norm, self.norm_type).context("renormalising rows")?;
        }
        Tensor::f_embedding(&self.weight, ids, self.padding_idx.unwrap_or(-1), self.scale_grad_by_freq, false)
            .context("embedding lookup")
    }

    /// `layer(torch.tensor(ids))` for a list of ids: one row per id.
    pub fn lookup(&self, ids: &[i64]) -> Result<Tensor> {
        let rows = self.num_embeddings();
        if let Some((index, id)) = ids.iter().enumerate().find(|(_, id)| !(0..rows).contains(*id)) {
            bail!(
                "token id {id} is out of range at index {index} of the ids: the embedding has {rows} rows, \
                 the vocabulary size (valid ids: 0 to {})",
                rows - 1
            );
        }
        let ids = Tensor::f_from_slice(ids)?.f_to_device(self.weight.device())?;
        self.forward(&ids)
    }
}

/// Checks the options against the table size; returns `padding_idx` counted from 0.
fn check_options(num_embeddings: i64, options: &EmbeddingOptions) -> Result<Option<i64>> {
    if let Some(max_norm) = options.max_norm {
        ensure!(max_norm.is_finite() && max_norm > 0.0, "max_norm must be a positive number, got {max_norm}");
    }
    ensure!(options.norm_type > 0.0, "norm_type must be positive, got {}", options.norm_type);
    match options.padding_idx {
        None => Ok(None),
        Some(p) if (0..num_embeddings).contains(&p) => Ok(Some(p)),
        Some(p) if (-num_embeddings..0).contains(&p) => Ok(Some(num_embeddings + p)),
        Some(p) => bail!(
            "Padding_idx must be within num_embeddings: padding_idx {p} is outside -{num_embeddings}..{} for \
             {num_embeddings} rows",
            num_embeddings - 1
        ),
    }
}

impl fmt::Display for Embedding {
    /// `print(layer)`: `Embedding(V, D)` plus the options that differ from the defaults, in
    /// `nn.Embedding.extra_repr`'s order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Embedding({}, {}", self.num_embeddings(), self.embedding_dim())?;
        if let Some(p) = self.padding_idx {
            write!(f, ", padding_idx={p}")?;
        }
        if let Some(max_norm) = self.max_norm {
            write!(f, ", max_norm={}", python_float(max_norm))?;
        }
        if self.norm_type != 2.0 {
            write!(f, ", norm_type={}", python_float(self.norm_type))?;
        }
        if self.scale_grad_by_freq {
            f.write_str(", scale_grad_by_freq=True")?;
        }
        f.write_str(")")
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, `1.0` for integers, exponent
/// notation below 1e-4 and from 1e16 (`1e-05`, `1e+16`), `inf`, `nan`.
fn python_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let abs = x.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        let text = format!("{x:e}"); // e.g. "1e-5", "1.5e16"
        let (mantissa, exponent) = text.split_once('e').expect("{:e} has an exponent");
        let exponent: i32 = exponent.parse().expect("an integer exponent");
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let text = format!("{x}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// A clear error instead of libtorch's abort when CUDA is asked for but absent.
pub fn check_device(device: Device) -> Result<()> {
    if let Device::Cuda(index) = device {
        let count = tch::Cuda::device_count();
        ensure!(
            tch::Cuda::is_available() && (index as i64) < count,
            "CUDA device {index} is not available here ({count} CUDA device(s) found); use --device cpu"
        );
    } else if device != Device::Cpu {
        bail!("only the cpu and cuda devices are supported, not {device:?}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printing::PyTorchPrint;
    use crate::random::manual_seed;

    #[test]
    fn lookup_rejects_ids_out_of_range() {
        let _rng = crate::random::test_lock();
        manual_seed(0);
        let layer = Embedding::new(6, 3).unwrap();
        let err = layer.lookup(&[2, 6]).unwrap_err().to_string();
        assert!(err.contains("token id 6 is out of range") && err.contains("0 to 5"), "{err}");
        assert!(layer.lookup(&[-1]).is_err());
        let floats = Tensor::from_slice(&[1.0f32]);
        assert!(layer.forward(&floats).unwrap_err().to_string().contains("integer"));
    }

    #[test]
    fn a_long_lookup_wraps_its_suffix() {
        let _rng = crate::random::test_lock();
        // The book's embedding-vs-linear bonus: Embedding(4, 5) with seed 123, row 1.
        manual_seed(123);
        let layer = Embedding::new(4, 5).unwrap();
        assert_eq!(
            layer.lookup(&[1]).unwrap().pytorch().to_string(),
            "tensor([[ 1.3010,  1.2753, -0.2010, -0.1606, -0.4015]],\n       grad_fn=<EmbeddingBackward0>)"
        );
    }

    #[test]
    fn sizes_must_be_positive() {
        let _rng = crate::random::test_lock();
        assert!(Embedding::new(0, 3).is_err());
        assert!(Embedding::new(3, 0).is_err());
    }

    #[test]
    fn batch_lookup_adds_a_dimension() {
        let _rng = crate::random::test_lock();
        manual_seed(123);
        let layer = Embedding::new(10, 4).unwrap();
        let ids = Tensor::from_slice(&[1i64, 2, 3, 4, 5, 6]).reshape([2, 3]);
        assert_eq!(layer.forward(&ids).unwrap().torch_size().to_string(), "torch.Size([2, 3, 4])");
    }

    #[test]
    fn weight_is_a_trainable_leaf() {
        let _rng = crate::random::test_lock();
        manual_seed(123);
        let layer = Embedding::new(2, 2).unwrap();
        assert!(layer.weight().requires_grad());
        assert!(crate::autograd::is_leaf(layer.weight()));
    }

    #[test]
    fn python_float_repr() {
        assert_eq!(python_float(1.0), "1.0");
        assert_eq!(python_float(0.5), "0.5");
        assert_eq!(python_float(1e-5), "1e-05");
        assert_eq!(python_float(1.5e16), "1.5e+16");
        assert_eq!(python_float(0.0001), "0.0001");
        assert_eq!(python_float(f64::INFINITY), "inf");
        assert_eq!(python_float(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn padding_idx_counts_from_the_end_and_must_be_in_range() {
        let _rng = crate::random::test_lock();
        let options = |p| EmbeddingOptions { padding_idx: Some(p), ..Default::default() };
        let layer = Embedding::with_options(6, 3, options(-1)).unwrap();
        assert_eq!(layer.padding_idx(), Some(5));
        assert_eq!(layer.to_string(), "Embedding(6, 3, padding_idx=5)");
        for p in [6, -7] {
            let err = Embedding::with_options(6, 3, options(p)).unwrap_err().to_string();
            assert!(err.starts_with("Padding_idx must be within num_embeddings"), "{err}");
        }
        let bad = EmbeddingOptions { max_norm: Some(0.0), ..Default::default() };
        assert!(Embedding::with_options(6, 3, bad).is_err());
    }

    #[test]
    fn repr_lists_the_options_that_differ_from_the_defaults() {
        let _rng = crate::random::test_lock();
        let options =
            EmbeddingOptions { padding_idx: Some(0), max_norm: Some(1.0), norm_type: 1.0, scale_grad_by_freq: true };
        let layer = Embedding::with_options(6, 3, options).unwrap();
        assert_eq!(
            layer.to_string(),
            "Embedding(6, 3, padding_idx=0, max_norm=1.0, norm_type=1.0, scale_grad_by_freq=True)"
        );
        assert_eq!(Embedding::new(6, 3).unwrap().to_string(), "Embedding(6, 3)");
    }

    #[test]
    fn frozen_pretrained_weights_do_not_require_grad() {
        let weight = Tensor::ones([4, 2], (Kind::Float, Device::Cpu));
        assert!(!Embedding::from_pretrained(&weight, true).unwrap().weight().requires_grad());
        assert!(Embedding::from_pretrained(&weight, false).unwrap().weight().requires_grad());
        assert!(Embedding::from_pretrained(&Tensor::ones([4], (Kind::Float, Device::Cpu)), true).is_err());
    }

    #[test]
    fn cuda_without_a_gpu_is_a_clear_error() {
        let _rng = crate::random::test_lock();
        if !tch::Cuda::is_available() {
            let err = check_device(Device::Cuda(0)).unwrap_err().to_string();
            assert!(err.contains("not available"), "{err}");
        }
    }
}
