//! T5's bucketed relative positions (Raffel et al. 2020), as Hugging Face transformers computes
//! them (`T5Attention._relative_position_bucket` and `compute_bias`).
//!
//! T5 learns one attention bias per head and per *bucket* of the relative position
//! `key_position − query_position`. Small distances get a bucket each (exact), larger ones share
//! buckets whose width grows logarithmically up to `max_distance`; everything farther falls in
//! the last bucket. Bidirectional (encoder) attention gives keys after the query their own half
//! of the buckets; causal (decoder) attention only looks back, so keys after the query all land
//! in bucket 0.

use anyhow::{ensure, Result};
use tch::{Device, Kind, Tensor};

use crate::embedding::check_device;

/// T5's defaults (`relative_attention_num_buckets`, `relative_attention_max_distance`).
pub const DEFAULT_NUM_BUCKETS: i64 = 32;
/// See [`DEFAULT_NUM_BUCKETS`].
pub const DEFAULT_MAX_DISTANCE: i64 = 128;

/// `relative[i, j] = j − i` for query positions `0..query_length` and key positions
/// `0..key_length`: `memory_position - context_position` in `compute_bias`, `[Q, K]` int64.
pub fn relative_positions(query_length: i64, key_length: i64, device: Device) -> Result<Tensor> {
    ensure!(
        query_length >= 1 && key_length >= 1,
        "query and key lengths must be at least 1, not {query_length} and {key_length}"
    );
    check_device(device)?;
    let context_position = Tensor::f_arange(query_length, (Kind::Int64, device))?.f_unsqueeze(1)?;
    let memory_position = Tensor::f_arange(key_length, (Kind::Int64, device))?.f_unsqueeze(0)?;
    Ok(memory_position.f_sub(&context_position)?)
}

/// Hugging Face's `_relative_position_bucket(relative_position, bidirectional, num_buckets,
/// max_distance)` on an int64 tensor of relative positions: the bucket id of each, int64, in
/// `0..num_buckets`. The same operations in the same order (the logarithmic part is computed in
/// float32 and truncated, as there), so the ids equal transformers' for every input.
///
/// Errors where transformers would divide by zero: fewer than 2 exact buckets' room
/// (`num_buckets` < 2 causal, < 4 bidirectional), or `max_distance` not beyond the exact range.
pub fn relative_position_bucket(
    relative_position: &Tensor,
    bidirectional: bool,
    num_buckets: i64,
    max_distance: i64,
) -> Result<Tensor> {
    ensure!(
        relative_position.kind() == Kind::Int64,
        "relative positions must be int64, not {:?}",
        relative_position.kind()
    );
    let mut num_buckets = num_buckets;
    let mut relative_buckets = relative_position.f_zeros_like()?;
    let relative_position = if bidirectional {
        ensure!(
            num_buckets >= 4,
            "bidirectional T5 buckets need num_buckets >= 4 (half for each direction), not {num_buckets}"
        );
        num_buckets /= 2;
        relative_buckets =
            relative_buckets.f_add(&relative_position.f_gt(0)?.f_to_kind(Kind::Int64)?.f_mul_scalar(num_buckets)?)?;
        relative_position.f_abs()?
    } else {
        ensure!(num_buckets >= 2, "causal T5 buckets need num_buckets >= 2, not {num_buckets}");
        relative_position.f_min_other(&relative_position.f_zeros_like()?)?.f_neg()?
    };
    let max_exact = num_buckets / 2;
    ensure!(
        max_distance > max_exact,
        "max_distance {max_distance} must exceed the {max_exact} exact buckets (the log buckets span max_exact..max_distance)"
    );
    let is_small = relative_position.f_lt(max_exact)?;
    let relative_position_if_large = relative_position
        .f_to_kind(Kind::Float)?
        .f_div_scalar(max_exact)?
        .f_log()?
        .f_div_scalar((max_distance as f64 / max_exact as f64).ln())?
        .f_mul_scalar(num_buckets - max_exact)?
        .f_to_kind(Kind::Int64)?
        .f_add_scalar(max_exact)?;
    let relative_position_if_large =
        relative_position_if_large.f_min_other(&relative_position_if_large.f_full_like(num_buckets - 1)?)?;
    Ok(relative_buckets.f_add(&relative_position.f_where_self(&is_small, &relative_position_if_large)?)?)
}

/// The bucket id of every (query, key) pair, `[query_length, key_length]` int64: `compute_bias`
/// up to the lookup of the learned per-head biases.
///
/// ```
/// use token_embeddings::positional::t5::t5_buckets;
/// use token_embeddings::tch::Device;
/// let buckets = t5_buckets(3, 5, true, 32, 128, Device::Cpu)?;
/// // query 0: itself (bucket 0), then keys 1..4 ahead of it (buckets 16 + 1..4)
/// assert_eq!(Vec::<i64>::try_from(buckets.get(0))?, [0, 17, 18, 19, 20]);
/// # anyhow::Ok(())
/// ```
pub fn t5_buckets(
    query_length: i64,
    key_length: i64,
    bidirectional: bool,
    num_buckets: i64,
    max_distance: i64,
    device: Device,
) -> Result<Tensor> {
    let relative = relative_positions(query_length, key_length, device)?;
    relative_position_bucket(&relative, bidirectional, num_buckets, max_distance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causal_buckets_put_every_later_key_in_bucket_zero() {
        let buckets = t5_buckets(4, 4, false, 32, 128, Device::Cpu).unwrap();
        let rows: Vec<Vec<i64>> = (0..4).map(|i| Vec::<i64>::try_from(buckets.get(i)).unwrap()).collect();
        assert_eq!(rows, [[0, 0, 0, 0], [1, 0, 0, 0], [2, 1, 0, 0], [3, 2, 1, 0]]);
    }

    #[test]
    fn far_positions_share_the_last_bucket() {
        let relative = Tensor::from_slice(&[-10_000i64, -200, 200, 10_000]);
        let buckets = relative_position_bucket(&relative, true, 32, 128).unwrap();
        assert_eq!(Vec::<i64>::try_from(&buckets).unwrap(), [15, 15, 31, 31]);
    }

    #[test]
    fn bucket_counts_that_would_divide_by_zero_are_errors() {
        let relative = Tensor::from_slice(&[0i64, 1]);
        assert!(relative_position_bucket(&relative, true, 2, 128).is_err());
        assert!(relative_position_bucket(&relative, false, 1, 128).is_err());
        assert!(relative_position_bucket(&relative, false, 32, 16).is_err());
        assert!(relative_position_bucket(&Tensor::from_slice(&[0.5f32]), false, 32, 128).is_err());
    }
}
