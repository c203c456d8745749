//! Fixed sinusoidal positional encodings of "Attention Is All You Need" (Vaswani et al. 2017),
//! computed exactly as the Annotated Transformer's `PositionalEncoding` does.
//!
//! Position `pos` and column pair `(2i, 2i + 1)` get `sin(pos · w_i)` and `cos(pos · w_i)` with
//! `w_i = exp(2i · -(ln 10000 / d))`, so every column pair is a sinusoid of its own wavelength,
//! from `2π` (first pair) to almost `10000 · 2π` (last pair). Nothing is learned: the table is a
//! function of the position only, and is added to the token embeddings like the learned table.

use anyhow::{ensure, Result};
use tch::{Device, Kind, Tensor};

use crate::embedding::check_device;

/// The Annotated Transformer's table `pe`, `[context_length, dim]` float32:
///
/// ```python
/// pe = torch.zeros(max_len, d_model)
/// position = torch.arange(0, max_len).unsqueeze(1)
/// div_term = torch.exp(torch.arange(0, d_model, 2) * -(math.log(10000.0) / d_model))
/// pe[:, 0::2] = torch.sin(position * div_term)
/// pe[:, 1::2] = torch.cos(position * div_term)
/// ```
///
/// The same libtorch operations in the same order, so the bits equal PyTorch's on the same
/// device (CUDA's `sin`/`cos` are other kernels than the CPU's, so a CUDA table equals PyTorch's
/// CUDA table, not the CPU one). `dim` must be even: the formula has `ceil(d/2)` sines but only
/// `floor(d/2)` odd columns, and PyTorch fails on an odd `d` too.
///
/// ```
/// use token_embeddings::positional::sinusoidal_table;
/// use token_embeddings::tch::Device;
/// let pe = sinusoidal_table(4, 6, Device::Cpu)?;
/// assert_eq!(pe.size(), [4, 6]);
/// assert_eq!(pe.double_value(&[1, 0]), 1f32.sin() as f64); // sin(position 1 · w_0 = 1)
/// # anyhow::Ok(())
/// ```
pub fn sinusoidal_table(context_length: i64, dim: i64, device: Device) -> Result<Tensor> {
    ensure!(context_length >= 1, "the context length must be at least 1, not {context_length}");
    ensure!(
        dim >= 2 && dim % 2 == 0,
        "the sinusoidal encoding needs an even dimension of at least 2, not {dim}: \
         it puts a sine and a cosine of each frequency in a pair of columns"
    );
    check_device(device)?;
    let pe = Tensor::f_zeros([context_length, dim], (Kind::Float, device))?;
    let position = Tensor::f_arange_start(0, context_length, (Kind::Int64, device))?.f_unsqueeze(1)?;
    let div_term = Tensor::f_arange_start_step(0, dim, 2, (Kind::Int64, device))?
        .f_mul_scalar(-(10000.0f64.ln() / dim as f64))?
        .f_exp()?;
    let angles = position.f_mul(&div_term)?;
    pe.f_slice(1, 0, None, 2)?.f_copy_(&angles.f_sin()?)?;
    pe.f_slice(1, 1, None, 2)?.f_copy_(&angles.f_cos()?)?;
    Ok(pe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_dimension_is_a_clear_error() {
        let err = sinusoidal_table(4, 5, Device::Cpu).unwrap_err().to_string();
        assert!(err.contains("even dimension") && err.contains("not 5"), "{err}");
        assert!(sinusoidal_table(0, 4, Device::Cpu).is_err());
    }

    #[test]
    fn first_position_is_sine_zero_cosine_one() {
        let pe = sinusoidal_table(3, 8, Device::Cpu).unwrap();
        let first = Vec::<f32>::try_from(pe.get(0)).unwrap();
        assert_eq!(first, [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
    }
}
