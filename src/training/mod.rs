//! Training the embeddings (beyond the chapter; the book's chapter 5 in miniature).
//!
//! - [`optim`]: `torch.optim.SGD` and `torch.optim.AdamW`, ported from PyTorch 2.13's Python
//!   single-tensor code path, bit for bit (weights, gradients and optimizer state);
//! - [`train`]: the book's `calc_loss_batch`, `calc_loss_loader` and `train_model_simple` loop,
//!   an embedding-only language model ([`train::EmbeddingLm`]) and nearest neighbours;
//! - [`vocab`]: GPT-2's tokenizer grown with new special tokens (ch05 `09_extending-tokenizers`);
//! - `plot` (feature `plots`): the loss curve as a picture.

mod ops;
pub mod optim;
#[cfg(feature = "plots")]
pub mod plot;
pub mod train;
pub mod vocab;

pub use optim::{AdamW, Optimizer, Sgd};
pub use train::{
    calc_loss_batch, calc_loss_loader, nearest_neighbours, train_model_simple, train_val_split, EmbeddingLm,
    TrainOptions,
};
