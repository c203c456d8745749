//! Token embeddings (book section 2.7): a trainable table with one vector per token id.
//!
//! [`Embedding`] is `torch.nn.Embedding`: a `num_embeddings × embedding_dim` float32 weight,
//! initialised from the default generator with `normal_(0, 1)`, and a lookup that picks rows.

use anyhow::{bail, ensure, Context, Result};
use tch::{Device, Kind, Tensor};

/// `torch.nn.Embedding(num_embeddings, embedding_dim)`.
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
}

impl Embedding {
    /// Creates the layer on the CPU, drawing its weights from the default generator exactly as
    /// PyTorch does (`torch.empty(V, D).normal_(0, 1)`, then `requires_grad`).
    pub fn new(num_embeddings: i64, embedding_dim: i64) -> Result<Self> {
        ensure!(num_embeddings > 0, "num_embeddings (vocabulary size) must be at least 1, got {num_embeddings}");
        ensure!(embedding_dim > 0, "embedding_dim must be at least 1, got {embedding_dim}");
        let _guard = tch::no_grad_guard();
        let mut weight =
            crate::checks::empty("the embedding weight", &[num_embeddings, embedding_dim], Kind::Float, Device::Cpu)?;
        let _ = weight.f_normal_(0.0, 1.0).context("drawing the embedding weights")?;
        Ok(Self { weight: weight.set_requires_grad(true) })
    }

    /// A layer over given weights (`nn.Embedding.from_pretrained(w, freeze=False)`).
    pub fn from_weight(weight: Tensor) -> Result<Self> {
        ensure!(weight.dim() == 2, "embedding weights must be 2-D, got shape {:?}", weight.size());
        Ok(Self { weight: weight.detach().set_requires_grad(true) })
    }

    /// Moves the weights to `device` as `layer.to(device)` does: same values, still a trainable
    /// leaf. With CUDA the weights are still drawn on the CPU generator, so they equal CPU's.
    pub fn to_device(self, device: Device) -> Result<Self> {
        check_device(device)?;
        let moved = self.weight.detach().f_to_device(device).map_err(|err| {
            let operation = format!("moving the embedding weight to {device:?}");
            crate::checks::torch_error(&operation, &self.weight.size(), self.weight.kind(), err)
        })?;
        Ok(Self { weight: moved.set_requires_grad(true) })
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

    /// `layer(ids)`: the rows for a tensor of ids of any shape, giving shape `ids.shape + [dim]`.
    /// Ids must be int64 (or int32), on the weights' device, and in `0..num_embeddings`.
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
        Tensor::f_embedding(&self.weight, ids, -1, false, false).context("embedding lookup")
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
    fn cuda_without_a_gpu_is_a_clear_error() {
        let _rng = crate::random::test_lock();
        if !tch::Cuda::is_available() {
            let err = check_device(Device::Cuda(0)).unwrap_err().to_string();
            assert!(err.contains("not available"), "{err}");
        }
    }
}
