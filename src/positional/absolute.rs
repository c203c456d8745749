//! Learned absolute positional embeddings, as GPT-2 and the book use them (section 2.8).
//!
//! Token embeddings alone give the same vector to a token wherever it stands. A second table,
//! one trainable vector per position `0..context_length`, is added to every sequence in the
//! batch, so the same token at two positions gets two different input vectors.

use anyhow::{ensure, Context, Result};
use tch::{Device, Kind, Tensor};

use crate::embedding::Embedding;

/// `torch.nn.Embedding(context_length, dim)` used over positions: `layer(torch.arange(n))`.
#[derive(Debug)]
pub struct PositionalEmbedding {
    layer: Embedding,
}

impl PositionalEmbedding {
    /// Draws the `context_length × dim` table from the default generator, like any embedding.
    pub fn new(context_length: i64, dim: i64) -> Result<Self> {
        Ok(Self { layer: Embedding::new(context_length, dim).context("creating the positional embedding")? })
    }

    /// Moves the table to `device` (values unchanged).
    pub fn to_device(self, device: Device) -> Result<Self> {
        Ok(Self { layer: self.layer.to_device(device)? })
    }

    /// The `context_length × dim` weight.
    pub fn weight(&self) -> &Tensor {
        self.layer.weight()
    }

    /// The longest sequence this table has positions for.
    pub fn context_length(&self) -> i64 {
        self.layer.num_embeddings()
    }

    /// `pos_embedding_layer(torch.arange(seq_len))`: one vector per position, `[seq_len, dim]`.
    pub fn forward(&self, seq_len: i64) -> Result<Tensor> {
        ensure!(
            (1..=self.context_length()).contains(&seq_len),
            "sequence length {seq_len} does not fit the context length {} (positions 0 to {})",
            self.context_length(),
            self.context_length() - 1
        );
        let positions = Tensor::f_arange(seq_len, (Kind::Int64, self.weight().device()))?;
        self.layer.forward(&positions)
    }
}

/// `token_embeddings + pos_embeddings`: `[batch, seq, dim] + [seq, dim]`, broadcast over the
/// batch, so every sequence gets the same position vectors.
///
/// ```
/// use token_embeddings::positional::add_positions;
/// use token_embeddings::tch::{Device, Kind, Tensor};
/// let tokens = Tensor::ones([8, 4, 256], (Kind::Float, Device::Cpu));
/// let positions = Tensor::ones([4, 256], (Kind::Float, Device::Cpu));
/// assert_eq!(add_positions(&tokens, &positions)?.size(), [8, 4, 256]);
/// # anyhow::Ok(())
/// ```
pub fn add_positions(token_embeddings: &Tensor, pos_embeddings: &Tensor) -> Result<Tensor> {
    let tokens = token_embeddings.size();
    let positions = pos_embeddings.size();
    ensure!(
        tokens.len() >= 2 && positions.len() == 2 && tokens[tokens.len() - 2..] == positions[..],
        "cannot add positional embeddings of shape {positions:?} to token embeddings of shape {tokens:?}: the last two dimensions (sequence, dim) must match"
    );
    token_embeddings.f_add(pos_embeddings).context("adding positional embeddings")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::manual_seed;

    #[test]
    fn positions_beyond_the_context_are_an_error() {
        let _rng = crate::random::test_lock();
        manual_seed(1);
        let pos = PositionalEmbedding::new(4, 8).unwrap();
        assert_eq!(pos.forward(4).unwrap().size(), [4, 8]);
        let err = pos.forward(5).unwrap_err().to_string();
        assert!(err.contains("context length 4"), "{err}");
        assert!(pos.forward(0).is_err());
    }

    #[test]
    fn shapes_must_line_up() {
        let _rng = crate::random::test_lock();
        let tokens = Tensor::zeros([2, 4, 8], (Kind::Float, Device::Cpu));
        let wrong = Tensor::zeros([3, 8], (Kind::Float, Device::Cpu));
        assert!(add_positions(&tokens, &wrong).is_err());
    }

    #[test]
    fn every_sequence_gets_the_same_positions() {
        let _rng = crate::random::test_lock();
        manual_seed(7);
        let pos = PositionalEmbedding::new(3, 2).unwrap();
        let positions = pos.forward(3).unwrap();
        let tokens = Tensor::zeros([5, 3, 2], (Kind::Float, Device::Cpu));
        let sum = add_positions(&tokens, &positions).unwrap();
        for b in 0..5 {
            assert!(sum.get(b).equal(&positions));
        }
    }
}
