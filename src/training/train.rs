//! Training token embeddings with the book's chapter-5 loop (`llms_from_scratch.ch05`):
//! `calc_loss_batch`, `calc_loss_loader` and the steps of `train_model_simple` (zero_grad, loss,
//! backward, step), on the smallest language model that has only token embeddings.
//!
//! [`EmbeddingLm`] predicts the next token from the current one alone: its logits are the input
//! embeddings times the token-embedding weight transposed (as GPT-2 does with weight tying), so
//! training pulls each token's vector towards the vectors of the tokens that follow it.

use anyhow::{ensure, Context, Result};
use tch::{Device, Kind, Reduction, Tensor};

use super::optim::Optimizer;
use crate::data::DataLoader;
use crate::embedding::Embedding;

/// The book's split of a text into training and validation parts:
/// `split_idx = int(train_ratio * len(text))` characters (Python counts characters, not bytes).
pub fn train_val_split(text: &str, train_ratio: f64) -> Result<(&str, &str)> {
    ensure!((0.0..=1.0).contains(&train_ratio), "train_ratio must be between 0 and 1, got {train_ratio}");
    let split_idx = (train_ratio * text.chars().count() as f64) as usize;
    let byte = text.char_indices().nth(split_idx).map_or(text.len(), |(i, _)| i);
    Ok(text.split_at(byte))
}

/// A model the training loop can train: ids `[batch, seq]` in, logits `[batch, seq, vocab]` out.
pub trait LanguageModel {
    /// The logits for every position.
    fn forward(&self, in_idx: &Tensor) -> Result<Tensor>;
    /// The trainable tensors (handles that share the model's weights).
    fn parameters(&self) -> Vec<Tensor>;
}

/// The embedding-only language model: `logits = tok_emb(in_idx) @ tok_emb.weight.T`.
#[derive(Debug)]
pub struct EmbeddingLm {
    /// The token embedding, used both to look up the inputs and as the output layer.
    pub tok_emb: Embedding,
}

impl EmbeddingLm {
    /// `EmbeddingLM(vocab_size, emb_dim)`: one `nn.Embedding(vocab_size, emb_dim)` drawn from the
    /// default generator.
    pub fn new(vocab_size: i64, emb_dim: i64) -> Result<Self> {
        Ok(Self { tok_emb: Embedding::new(vocab_size, emb_dim)? })
    }

    /// The same model on `device` (weights drawn on the CPU first, so they are equal).
    pub fn to_device(self, device: Device) -> Result<Self> {
        Ok(Self { tok_emb: self.tok_emb.to_device(device)? })
    }
}

impl LanguageModel for EmbeddingLm {
    /// # Shapes
    /// `in_idx`: `[batch, seq]` int64 → logits `[batch, seq, vocab]` float32.
    fn forward(&self, in_idx: &Tensor) -> Result<Tensor> {
        let embeddings = self.tok_emb.forward(in_idx)?;
        // `self.tok_emb.weight.T` is a permuted view, as in Python.
        let transposed = self.tok_emb.weight().f_permute([1, 0])?;
        embeddings.f_matmul(&transposed).context("logits = embeddings @ weight.T")
    }

    fn parameters(&self) -> Vec<Tensor> {
        vec![self.tok_emb.weight().shallow_clone()]
    }
}

/// `calc_loss_batch`: the batch moved to `device`, the model's logits, and the mean cross-entropy
/// of `logits.flatten(0, 1)` against `target_batch.flatten()`.
pub fn calc_loss_batch(
    input_batch: &Tensor,
    target_batch: &Tensor,
    model: &dyn LanguageModel,
    device: Device,
) -> Result<Tensor> {
    let input_batch = input_batch.f_to_device(device)?;
    let target_batch = target_batch.f_to_device(device)?;
    let logits = model.forward(&input_batch)?;
    logits
        .f_flatten(0, 1)?
        .f_cross_entropy_loss::<Tensor>(&target_batch.f_flatten(0, -1)?, None, Reduction::Mean, -100, 0.0)
        .context("cross-entropy loss")
}

/// `calc_loss_loader`: the mean of `loss.item()` over the first `num_batches` batches (all when
/// `None`, at most `len(loader)`); NaN for an empty loader. One pass of the loader, so it draws
/// from the default generator as iterating it in Python does.
pub fn calc_loss_loader(
    data_loader: &DataLoader,
    model: &dyn LanguageModel,
    device: Device,
    num_batches: Option<usize>,
) -> Result<f64> {
    if data_loader.is_empty() {
        return Ok(f64::NAN);
    }
    let num_batches = num_batches.map_or(data_loader.len(), |n| n.min(data_loader.len()));
    let mut total_loss = 0.0;
    for (i, batch) in data_loader.iter()?.enumerate() {
        if i >= num_batches {
            break;
        }
        let batch = batch?;
        total_loss += calc_loss_batch(&batch.inputs, &batch.targets, model, device)?.f_double_value(&[])?;
    }
    Ok(total_loss / num_batches as f64)
}

/// How long to train and how often to evaluate (`train_model_simple`'s arguments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainOptions {
    /// Passes over the training loader.
    pub num_epochs: usize,
    /// Evaluate every this many steps (from step 0); `0` never evaluates.
    pub eval_freq: usize,
    /// Batches per evaluation (`calc_loss_loader(..., num_batches=eval_iter)`).
    pub eval_iter: usize,
}

/// One evaluation: the mean losses on the first `eval_iter` batches of each loader.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// The global step after which it was taken (0-based, as the book prints it).
    pub step: usize,
    /// Tokens trained on so far.
    pub tokens_seen: i64,
    pub train_loss: f64,
    pub val_loss: f64,
}

/// What a training run recorded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainingLog {
    /// `loss.item()` of every step, in order (float32, as the loss tensor holds it).
    pub losses: Vec<f32>,
    /// The evaluations, every `eval_freq` steps.
    pub evals: Vec<Evaluation>,
    /// Tokens trained on.
    pub tokens_seen: i64,
}

/// The loop of `train_model_simple`: for each epoch, for each batch of the (shuffled) training
/// loader: `optimizer.zero_grad()`, `calc_loss_batch`, `loss.backward()`, `optimizer.step()`;
/// every `eval_freq` steps the mean train and validation losses of `eval_iter` batches. It
/// records every step's loss (the book records only the evaluations) and prints nothing; the book's
/// sample generation needs a GPT model and is left out.
pub fn train_model_simple(
    model: &dyn LanguageModel,
    train_loader: &DataLoader,
    val_loader: &DataLoader,
    optimizer: &mut dyn Optimizer,
    device: Device,
    options: TrainOptions,
    mut on_step: impl FnMut(usize, f32),
) -> Result<TrainingLog> {
    ensure!(!train_loader.is_empty(), "the training loader yields no batch: the text is too short");
    let mut log = TrainingLog::default();
    let mut global_step = 0usize;
    for _epoch in 0..options.num_epochs {
        for batch in train_loader.iter()? {
            let batch = batch?;
            optimizer.zero_grad()?;
            let loss = calc_loss_batch(&batch.inputs, &batch.targets, model, device)?;
            loss.f_backward().context("loss.backward()")?;
            optimizer.step()?;
            log.tokens_seen += batch.inputs.numel() as i64;
            let value = loss.f_double_value(&[])? as f32;
            log.losses.push(value);
            on_step(global_step, value);
            if options.eval_freq > 0 && global_step.is_multiple_of(options.eval_freq) {
                let _no_grad = tch::no_grad_guard();
                let train_loss = calc_loss_loader(train_loader, model, device, Some(options.eval_iter))?;
                let val_loss = calc_loss_loader(val_loader, model, device, Some(options.eval_iter))?;
                log.evals.push(Evaluation { step: global_step, tokens_seen: log.tokens_seen, train_loss, val_loss });
            }
            global_step += 1;
        }
    }
    Ok(log)
}

/// The `k` tokens whose embeddings are most similar (cosine similarity) to each of `ids`,
/// most similar first, the token itself left out.
///
/// Computed as in the reference: rows divided by `torch.linalg.vector_norm(w, dim=1,
/// keepdim=True)`, `normed[ids] @ normed.T`, the token's own score set to -2, `topk`.
pub fn nearest_neighbours(weight: &Tensor, ids: &[i64], k: i64) -> Result<Vec<Vec<i64>>> {
    let _no_grad = tch::no_grad_guard();
    ensure!(k >= 1 && k < weight.size()[0], "k must be between 1 and {}, got {k}", weight.size()[0] - 1);
    let w = weight.f_detach()?;
    // linalg_norm with ord 2 over one dimension is linalg_vector_norm(2), as in Python.
    let norms = w.f_linalg_norm(2.0, [1i64].as_slice(), true, None::<Kind>)?;
    let normed = w.f_div(&norms)?;
    let index = Tensor::f_from_slice(ids)?.f_to_device(w.device())?;
    let mut sims = normed.f_index_select(0, &index)?.f_matmul(&normed.f_permute([1, 0])?)?;
    let rows = Tensor::f_arange(ids.len() as i64, (Kind::Int64, w.device()))?;
    let minus_two = Tensor::f_scalar_tensor(-2.0, (Kind::Float, w.device()))?;
    let _ = sims.f_index_put_(&[Some(rows), Some(index)], &minus_two, false)?;
    let (_, top) = sims.f_topk(k, 1, true, true)?;
    let top = top.f_to_device(Device::Cpu)?;
    (0..ids.len() as i64).map(|i| Ok(Vec::<i64>::try_from(&top.f_get(i)?)?)).collect()
}
