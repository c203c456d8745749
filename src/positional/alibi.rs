//! ALiBi, attention with linear biases (Press, Smith and Lewis 2022, "Train Short, Test Long").
//!
//! No position vectors at all: each attention head `h` adds `slope[h] · (j − i)` to the score of
//! query `i` for key `j`, a penalty growing linearly with the distance to earlier keys. The
//! slopes form a geometric sequence per head, so some heads look far and others only nearby.
//! A causal model also masks the keys after the query (`j > i`); that mask is a separate step,
//! and the bias here is given for every pair.

use anyhow::{ensure, Result};
use tch::{Device, Kind, Tensor};

use crate::embedding::check_device;

/// The most heads [`get_slopes`] accepts (far beyond any model; it keeps a typo from allocating
/// gigabytes).
pub const MAX_HEADS: i64 = 1 << 16;

/// The paper's `get_slopes(n)`, in double precision as Python computes it: for `n` a power of two,
/// `start · ratio^i` with `start = ratio = 2^(−2^(−(log2 n − 3)))` (for 8 heads: 1/2, 1/4, ...,
/// 1/256); otherwise the slopes of the closest lower power of two, then every other slope of the
/// next power of two, as many as are missing.
///
/// ```
/// use token_embeddings::positional::alibi::get_slopes;
/// assert_eq!(get_slopes(8)?, [0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625]);
/// assert_eq!(get_slopes(6)?, [0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125]);
/// # anyhow::Ok(())
/// ```
pub fn get_slopes(n: i64) -> Result<Vec<f64>> {
    ensure!((1..=MAX_HEADS).contains(&n), "ALiBi needs at least one head and at most {MAX_HEADS}, not {n}");
    fn power_of_2(n: i64) -> Vec<f64> {
        // start = (2**(-2**-(math.log2(n)-3))); ratio = start; [start*ratio**i for i in range(n)]
        let start = 2f64.powf(-(2f64.powf(-((n as f64).log2() - 3.0))));
        let ratio = start;
        (0..n).map(|i| start * ratio.powf(i as f64)).collect()
    }
    let log2 = (n as f64).log2();
    if log2.fract() == 0.0 {
        return Ok(power_of_2(n));
    }
    let closest_power_of_2 = 1i64 << log2.floor() as u32;
    let mut slopes = power_of_2(closest_power_of_2);
    let extra = get_slopes(2 * closest_power_of_2)?;
    slopes.extend(extra.into_iter().step_by(2).take((n - closest_power_of_2) as usize));
    Ok(slopes)
}

/// The slopes as the float32 tensor `torch.tensor(get_slopes(n))` makes, `[heads]`.
pub fn alibi_slopes(heads: i64, device: Device) -> Result<Tensor> {
    check_device(device)?;
    Ok(Tensor::f_from_slice(&get_slopes(heads)?)?.f_to_kind(Kind::Float)?.f_to_device(device)?)
}

/// The bias `bias[h, i, j] = slope[h] · (j − i)` for every head, query `i` and key `j`,
/// `[heads, context_length, context_length]` float32: the float32 slopes times the int64
/// distances, as `slopes[:, None, None] * (arange(n)[None, :] - arange(n)[:, None])` computes it.
/// Negative for earlier keys, zero on the diagonal, positive for later keys (which a causal
/// model masks).
///
/// ```
/// use token_embeddings::positional::alibi::alibi_bias;
/// use token_embeddings::tch::Device;
/// let bias = alibi_bias(8, 4, Device::Cpu)?;
/// assert_eq!(bias.size(), [8, 4, 4]);
/// assert_eq!(bias.double_value(&[0, 3, 0]), -1.5); // head 0 (slope 1/2), query 3, key 0
/// # anyhow::Ok(())
/// ```
pub fn alibi_bias(heads: i64, context_length: i64, device: Device) -> Result<Tensor> {
    ensure!(context_length >= 1, "the context length must be at least 1, not {context_length}");
    let slopes = alibi_slopes(heads, device)?;
    let positions = Tensor::f_arange(context_length, (Kind::Int64, device))?;
    let relative = positions.f_unsqueeze(0)?.f_sub(&positions.f_unsqueeze(1)?)?;
    Ok(slopes.f_view([heads, 1, 1])?.f_mul(&relative.f_unsqueeze(0)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_counts_that_are_not_powers_of_two() {
        // 12 heads: the 8 slopes of 8 heads, then slopes 0, 2, 4, 6 of 16 heads.
        let eight = get_slopes(8).unwrap();
        let sixteen = get_slopes(16).unwrap();
        let twelve = get_slopes(12).unwrap();
        assert_eq!(twelve[..8], eight[..]);
        assert_eq!(twelve[8..], [sixteen[0], sixteen[2], sixteen[4], sixteen[6]]);
        assert_eq!(get_slopes(1).unwrap(), [2f64.powf(-8.0)]);
        assert!(get_slopes(0).is_err());
    }
}
