//! Rotary positional embeddings (RoPE, Su et al. 2021, "RoFormer"), as the book's Llama code
//! computes them (`llms_from_scratch.llama3.compute_rope_params` / `apply_rope`), with the
//! optional Llama 3.1 frequency scaling, and the interleaved layout of the paper and Meta's code.
//!
//! RoPE adds nothing to the token embeddings. Inside attention, each query and key vector of
//! head size `D` is cut into `D/2` pairs and pair `i` of the vector at position `m` is rotated by
//! the angle `m · θ_i`, with `θ_i = base^(-2i/D)`. A rotation keeps lengths, and the dot product
//! of a query rotated by `m·θ` with a key rotated by `n·θ` depends only on `(m − n)·θ`: the
//! attention score sees the distance between two tokens, not where they stand.
//!
//! Which two coordinates form a pair is a layout choice, and the two layouts in use are a
//! frequent source of confusion:
//! - **split halves** (the book, Hugging Face's Llama): pair `i` is `(x[i], x[i + D/2])`;
//!   [`compute_rope_params`] and [`apply_rope`];
//! - **interleaved** (the RoFormer paper, Meta's Llama code): pair `i` is `(x[2i], x[2i + 1])`;
//!   [`compute_rope_params_interleaved`] and [`apply_rope_interleaved`].
//!
//! They are the same rotation after permuting the coordinates (even ones first, then odd ones):
//! [`interleaved_to_halves`] gives that permutation, and the results agree bit for bit.

use anyhow::{ensure, Context, Result};
use tch::{Device, Kind, Tensor};

use crate::embedding::check_device;

/// The book's default `theta_base` (`compute_rope_params(..., theta_base=10_000)`); Llama 3 uses
/// 500 000.
pub const DEFAULT_THETA_BASE: f64 = 10_000.0;

/// Llama 3.1's frequency adjustment (the book's `freq_config`): wavelengths longer than
/// `original_context_length / low_freq_factor` are stretched by `factor`, shorter than
/// `original_context_length / high_freq_factor` are kept, and those between are blended.
/// Llama 3.1 8B uses `factor 8.0, low 1.0, high 4.0, original 8192`; Llama 3.2 uses factor 32.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Llama3Scaling {
    /// `freq_config["factor"]`: how much the low frequencies are slowed down.
    pub factor: f64,
    /// `freq_config["low_freq_factor"]`.
    pub low_freq_factor: f64,
    /// `freq_config["high_freq_factor"]`.
    pub high_freq_factor: f64,
    /// `freq_config["original_context_length"]`: the context the model was trained on.
    pub original_context_length: i64,
}

impl Llama3Scaling {
    /// Llama 3.1 8B's values (the book's `LLAMA31_CONFIG_8B["rope_freq"]`).
    pub const LLAMA_3_1: Self =
        Self { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_context_length: 8192 };

    fn check(&self) -> Result<()> {
        ensure!(self.factor > 0.0, "the Llama 3 scaling factor must be positive, not {}", self.factor);
        ensure!(
            self.low_freq_factor > 0.0 && self.high_freq_factor > self.low_freq_factor,
            "the Llama 3 scaling needs 0 < low_freq_factor < high_freq_factor, not {} and {}",
            self.low_freq_factor,
            self.high_freq_factor
        );
        ensure!(
            self.original_context_length >= 1,
            "the Llama 3 scaling's original context length must be at least 1, not {}",
            self.original_context_length
        );
        Ok(())
    }
}

/// The inverse frequencies `θ_i = 1 / base^(2i/D)`, `[D/2]` float32, scaled as Llama 3.1 does
/// when `freq_config` is given: the first half of the book's `compute_rope_params`, same
/// operations in the same order (`1.0 / t` is `t.reciprocal() * 1.0` in PyTorch).
pub fn inverse_frequencies(
    head_dim: i64,
    theta_base: f64,
    freq_config: Option<&Llama3Scaling>,
    device: Device,
) -> Result<Tensor> {
    ensure!(
        head_dim >= 2 && head_dim % 2 == 0,
        "RoPE needs an even head dimension of at least 2, not {head_dim}: it rotates pairs of coordinates"
    );
    ensure!(theta_base.is_finite() && theta_base > 0.0, "theta_base must be a positive number, not {theta_base}");
    check_device(device)?;
    let exponents = Tensor::f_arange_start_step(0, head_dim, 2, (Kind::Float, device))?
        .f_slice(0, 0, head_dim / 2, 1)?
        .f_to_kind(Kind::Float)?
        .f_div_scalar(head_dim)?;
    let mut inv_freq = Tensor::f_pow_scalar(theta_base, &exponents)?.f_reciprocal()?.f_mul_scalar(1.0)?;
    if let Some(config) = freq_config {
        config.check()?;
        let original = config.original_context_length;
        let low_freq_wavelen = original as f64 / config.low_freq_factor;
        let high_freq_wavelen = original as f64 / config.high_freq_factor;
        // wavelen = 2 * torch.pi / inv_freq
        let wavelen = inv_freq.f_reciprocal()?.f_mul_scalar(2.0 * std::f64::consts::PI)?;
        let inv_freq_scaled = inv_freq.f_div_scalar(config.factor)?;
        let inv_freq_llama = inv_freq_scaled.f_where_self(&wavelen.f_gt(low_freq_wavelen)?, &inv_freq)?;
        // smooth_factor = (original_context_length / wavelen - low) / (high - low)
        let smooth_factor = wavelen
            .f_reciprocal()?
            .f_mul_scalar(original)?
            .f_sub_scalar(config.low_freq_factor)?
            .f_div_scalar(config.high_freq_factor - config.low_freq_factor)?;
        // (1 - smooth_factor) * (inv_freq / factor) + smooth_factor * inv_freq
        let smoothed_inv_freq = smooth_factor
            .f_rsub_scalar(1)?
            .f_mul(&inv_freq.f_div_scalar(config.factor)?)?
            .f_add(&smooth_factor.f_mul(&inv_freq)?)?;
        let is_medium_freq = wavelen.f_le(low_freq_wavelen)?.f_bitwise_and_tensor(&wavelen.f_ge(high_freq_wavelen)?)?;
        inv_freq = smoothed_inv_freq.f_where_self(&is_medium_freq, &inv_freq_llama)?;
    }
    Ok(inv_freq)
}

/// The angles `m · θ_i` for positions `0..context_length`, `[context_length, D/2]`.
fn angles(
    head_dim: i64,
    theta_base: f64,
    context_length: i64,
    freq_config: Option<&Llama3Scaling>,
    device: Device,
) -> Result<Tensor> {
    ensure!(context_length >= 1, "the context length must be at least 1, not {context_length}");
    let inv_freq = inverse_frequencies(head_dim, theta_base, freq_config, device)?;
    let positions = Tensor::f_arange(context_length, (Kind::Float, device))?;
    Ok(positions.f_unsqueeze(1)?.f_mul(&inv_freq.f_unsqueeze(0)?)?)
}

/// The book's `compute_rope_params(head_dim, theta_base, context_length, freq_config)`: the
/// tables `(cos, sin)`, each `[context_length, head_dim]` float32, split-halves layout (the
/// angles of the `D/2` frequencies, then the same angles again). Bit for bit the book's values on
/// the same device.
///
/// ```
/// use token_embeddings::positional::rope::{compute_rope_params, DEFAULT_THETA_BASE};
/// use token_embeddings::tch::Device;
/// let (cos, sin) = compute_rope_params(16, DEFAULT_THETA_BASE, 5, None, Device::Cpu)?;
/// assert_eq!(cos.size(), [5, 16]);
/// assert_eq!(sin.double_value(&[0, 3]), 0.0); // position 0 is not rotated
/// # anyhow::Ok(())
/// ```
pub fn compute_rope_params(
    head_dim: i64,
    theta_base: f64,
    context_length: i64,
    freq_config: Option<&Llama3Scaling>,
    device: Device,
) -> Result<(Tensor, Tensor)> {
    let angles = angles(head_dim, theta_base, context_length, freq_config, device)?;
    let angles = Tensor::f_cat(&[&angles, &angles], 1)?;
    Ok((angles.f_cos()?, angles.f_sin()?))
}

fn check_rope_input(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<(i64, i64)> {
    let shape = x.size();
    ensure!(shape.len() == 4, "RoPE takes (batch_size, num_heads, seq_len, head_dim), not a tensor of shape {shape:?}");
    let (seq_len, head_dim) = (shape[2], shape[3]);
    ensure!(head_dim % 2 == 0, "RoPE needs an even head dimension, not {head_dim}");
    for (name, table) in [("cos", cos), ("sin", sin)] {
        let size = table.size();
        ensure!(
            size.len() == 2 && size[1] == head_dim && size[0] >= seq_len,
            "the {name} table of shape {size:?} does not fit a sequence of {seq_len} with head dimension {head_dim} \
             (it needs [at least {seq_len}, {head_dim}])"
        );
        ensure!(
            table.device() == x.device(),
            "the {name} table is on {:?} but the input on {:?}",
            table.device(),
            x.device()
        );
    }
    ensure!(
        matches!(x.kind(), Kind::Float | Kind::Double | Kind::Half | Kind::BFloat16),
        "RoPE rotates floating-point tensors, not {:?}",
        x.kind()
    );
    Ok((seq_len, head_dim))
}

/// `x * cos + rotated * sin` over the first `seq_len` rows of the tables, cast back to `x`'s
/// dtype (the tables are float32), as the book writes it.
fn rotate(x: &Tensor, rotated: &Tensor, cos: &Tensor, sin: &Tensor, seq_len: i64) -> Result<Tensor> {
    let cos = cos.f_slice(0, 0, seq_len, 1)?.f_unsqueeze(0)?.f_unsqueeze(0)?;
    let sin = sin.f_slice(0, 0, seq_len, 1)?.f_unsqueeze(0)?.f_unsqueeze(0)?;
    let x_rotated = x.f_mul(&cos)?.f_add(&rotated.f_mul(&sin)?)?;
    Ok(x_rotated.f_to_kind(x.kind())?)
}

/// The book's `apply_rope(x, cos, sin)`: rotates `x` of shape `(batch_size, num_heads, seq_len,
/// head_dim)` position by position, pairs `(x[i], x[i + D/2])`, with tables from
/// [`compute_rope_params`] (at least `seq_len` rows). Same shape and dtype as `x`.
pub fn apply_rope(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
    let (seq_len, head_dim) = check_rope_input(x, cos, sin)?;
    let x1 = x.f_slice(-1, 0, head_dim / 2, 1)?;
    let x2 = x.f_slice(-1, head_dim / 2, head_dim, 1)?;
    let rotated = Tensor::f_cat(&[&x2.f_neg()?, &x1], -1)?;
    rotate(x, &rotated, cos, sin, seq_len).context("applying RoPE")
}

/// The tables for the interleaved layout: the same angles as [`compute_rope_params`], each
/// repeated twice in place (`θ_0, θ_0, θ_1, θ_1, ...`), `[context_length, head_dim]` float32.
/// `cos` and `sin` here are a permutation of the split-halves tables' columns, the same bits.
pub fn compute_rope_params_interleaved(
    head_dim: i64,
    theta_base: f64,
    context_length: i64,
    freq_config: Option<&Llama3Scaling>,
    device: Device,
) -> Result<(Tensor, Tensor)> {
    let angles = angles(head_dim, theta_base, context_length, freq_config, device)?.f_repeat_interleave_self_int(
        2,
        Some(1),
        None,
    )?;
    Ok((angles.f_cos()?, angles.f_sin()?))
}

/// RoPE in the interleaved layout of the RoFormer paper and Meta's Llama code: pair `i` is
/// `(x[2i], x[2i + 1])`, rotated to `(x[2i]·cos − x[2i+1]·sin, x[2i]·sin + x[2i+1]·cos)`, computed
/// as `x * cos + rotated * sin` with the tables of [`compute_rope_params_interleaved`], so that
/// it is the book's [`apply_rope`] with permuted coordinates, bit for bit.
///
/// Meta's code does the same rotation as a complex multiplication (`torch.polar`,
/// `view_as_complex`); its tables come from `torch.polar`, whose cosine and sine round
/// differently from `torch.cos`/`torch.sin` in the last bit for some angles, so it agrees with
/// this function to float32 rounding (a few units in the last place), not bit for bit.
pub fn apply_rope_interleaved(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
    let (seq_len, head_dim) = check_rope_input(x, cos, sin)?;
    let mut pairs_shape = x.size();
    pairs_shape.truncate(3);
    pairs_shape.extend([head_dim / 2, 2]);
    let pairs = x.f_reshape(&pairs_shape)?;
    let even = pairs.f_select(-1, 0)?;
    let odd = pairs.f_select(-1, 1)?;
    let rotated = Tensor::f_stack(&[&odd.f_neg()?, &even], -1)?.f_flatten(-2, -1)?;
    rotate(x, &rotated, cos, sin, seq_len).context("applying interleaved RoPE")
}

/// The permutation of coordinates that turns the interleaved layout into the split-halves one:
/// `[0, 2, 4, ..., D-2, 1, 3, ..., D-1]` (even coordinates first). With it,
/// `apply_rope(x[..., perm]) == apply_rope_interleaved(x)[..., perm]`.
pub fn interleaved_to_halves(head_dim: i64) -> Vec<i64> {
    (0..head_dim).step_by(2).chain((1..head_dim).step_by(2)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_head_dimension_is_a_clear_error() {
        let err = compute_rope_params(5, DEFAULT_THETA_BASE, 4, None, Device::Cpu).unwrap_err().to_string();
        assert!(err.contains("even head dimension") && err.contains("not 5"), "{err}");
        assert!(compute_rope_params(4, -1.0, 4, None, Device::Cpu).is_err());
        let bad = Llama3Scaling { high_freq_factor: 0.5, ..Llama3Scaling::LLAMA_3_1 };
        assert!(compute_rope_params(4, DEFAULT_THETA_BASE, 4, Some(&bad), Device::Cpu).is_err());
    }

    #[test]
    fn tables_too_short_for_the_input_are_an_error() {
        let (cos, sin) = compute_rope_params(8, DEFAULT_THETA_BASE, 3, None, Device::Cpu).unwrap();
        let x = Tensor::zeros([1, 2, 4, 8], (Kind::Float, Device::Cpu));
        let err = apply_rope(&x, &cos, &sin).unwrap_err().to_string();
        assert!(err.contains("does not fit a sequence of 4"), "{err}");
        let flat = Tensor::zeros([4, 8], (Kind::Float, Device::Cpu));
        assert!(apply_rope(&flat, &cos, &sin).is_err());
    }

    #[test]
    fn the_permutation_puts_even_coordinates_first() {
        assert_eq!(interleaved_to_halves(6), [0, 2, 4, 1, 3, 5]);
    }
}
