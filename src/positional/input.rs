//! Input embeddings in one pass: `token_embeddings + pos_embeddings` (book section 2.8) without
//! the two intermediate tensors.
//!
//! The book computes `tok_emb(ids) + pos_emb(torch.arange(T))`: a `[B, T, D]` lookup, a `[T, D]`
//! lookup, then a third `[B, T, D]` tensor for the sum. [`input_embeddings`] writes each output row
//! once, as `tok.weight[id] + pos.weight[t]`, on all cores: one float32 addition per element, the
//! same addition PyTorch makes, so the result is bit-identical.
//!
//! Three things make it about as fast as a plain copy of its output (BENCHMARKS.md): tiles of a
//! few positions by a few sequences, so each positional row is read once per tile instead of once
//! per sequence; the widest vectors of the processor, chosen at run time; and streaming stores for
//! outputs larger than the core's caches (`input/rows.rs`).

mod rows;

use anyhow::{bail, ensure, Context, Result};
use rayon::prelude::*;
use tch::{Device, Kind, Tensor};

use super::absolute::PositionalEmbedding;
use crate::embedding::Embedding;
use rows::{Kernel, Stores};

/// `tok(ids) + pos(torch.arange(T))` for token ids of shape `[..., T]`: shape `[..., T, D]`, float32.
///
/// Computed in one pass on the CPU when both weights are float32, the token embedding has no
/// `max_norm`, and nothing needs a gradient (grad mode off, as under `tch::no_grad`, or weights
/// that do not require grad); otherwise, and on CUDA, as the lookup (renormalising rows when
/// `max_norm` is set) followed by the addition, so autograd works as with the two-step form
/// (`grad_fn=<AddBackward0>`) and other dtypes promote as in PyTorch. Either way every bit
/// equals `token_embeddings + pos_embeddings`.
///
/// ```
/// use token_embeddings::{embedding::Embedding, random::manual_seed, tch::{self, Tensor}};
/// use token_embeddings::positional::{input_embeddings, PositionalEmbedding};
/// manual_seed(123);
/// let tok = Embedding::new(50257, 16)?;
/// let pos = PositionalEmbedding::new(4, 16)?;
/// let ids = Tensor::from_slice(&[40i64, 367, 2885, 1464, 367, 2885, 1464, 1807]).reshape([2, 4]);
/// let fused = tch::no_grad(|| input_embeddings(&tok, &pos, &ids))?;
/// let two_steps = tok.forward(&ids)? + pos.forward(4)?;
/// assert_eq!(fused.size(), [2, 4, 16]);
/// assert!(fused.equal(&two_steps));
/// # anyhow::Ok(())
/// ```
///
/// # Errors
/// Ids that are not integers or not on the weights' device, a sequence longer than the positional
/// table (or empty), different embedding sizes, or an id outside the vocabulary.
pub fn input_embeddings(tok: &Embedding, pos: &PositionalEmbedding, ids: &Tensor) -> Result<Tensor> {
    let (tok_w, pos_w) = (tok.weight(), pos.weight());
    ensure!(
        matches!(ids.kind(), Kind::Int64 | Kind::Int),
        "token ids must be an integer tensor (int64), got {:?}",
        ids.kind()
    );
    ensure!(ids.dim() >= 1, "token ids must have a sequence dimension, got a scalar");
    ensure!(
        tok.embedding_dim() == pos.weight().size()[1],
        "the token embedding has {} dimensions but the positional embedding {}: they cannot be added",
        tok.embedding_dim(),
        pos.weight().size()[1]
    );
    ensure!(
        tok_w.device() == pos_w.device() && ids.device() == tok_w.device(),
        "token ids ({:?}), token embedding ({:?}) and positional embedding ({:?}) must be on one device",
        ids.device(),
        tok_w.device(),
        pos_w.device()
    );
    let shape = ids.size();
    let seq_len = *shape.last().expect("at least one dimension");
    // With `max_norm`, the lookup renormalises the looked-up rows of the weight in place: only
    // `Embedding::forward` does that.
    let fused = tok_w.device() == Device::Cpu
        && tok_w.kind() == Kind::Float
        && pos_w.kind() == Kind::Float
        && tok.options().max_norm.is_none()
        && !(grad_mode_enabled() && (tok_w.requires_grad() || pos_w.requires_grad()));
    if !fused {
        let positions = pos.forward(seq_len)?;
        let mut tokens = tok.forward(ids)?;
        if tokens.kind() == positions.kind() {
            // In place: no third tensor; the same values and grad_fn as `tokens + positions`.
            let _ = tokens.f_add_(&positions).context("adding positional embeddings")?;
            return Ok(tokens);
        }
        // Other dtypes follow PyTorch's type promotion (float16 tokens + float32 positions is float32).
        return tokens.f_add(&positions).context("adding positional embeddings");
    }
    ensure!(
        (1..=pos.context_length()).contains(&seq_len),
        "sequence length {seq_len} does not fit the context length {} (positions 0 to {})",
        pos.context_length(),
        pos.context_length() - 1
    );
    fused_cpu(tok_w, pos_w, ids, &shape)
}

/// Whether autograd records operations now (`torch.is_grad_enabled()`).
fn grad_mode_enabled() -> bool {
    // libtorch's setter returns the previous value; set it straight back.
    // SAFETY: a thread-local flag in libtorch, read and restored on this thread.
    unsafe {
        let previous = torch_sys::at_grad_set_enabled(0);
        torch_sys::at_grad_set_enabled(previous);
        previous != 0
    }
}

fn fused_cpu(tok_w: &Tensor, pos_w: &Tensor, ids: &Tensor, shape: &[i64]) -> Result<Tensor> {
    let tok_w = tok_w.f_contiguous()?;
    let pos_w = pos_w.f_contiguous()?;
    let (vocab, dim) = (tok_w.size()[0], tok_w.size()[1] as usize);
    let seq_len = *shape.last().expect("checked") as usize;
    let ids = ids.f_to_kind(Kind::Int64)?.f_contiguous()?;
    let count = ids.numel();
    let mut id_values = vec![0i64; count];
    ids.f_copy_data(&mut id_values, count)?;
    if let Some((position, &id)) = id_values.iter().enumerate().find(|(_, &id)| !(0..vocab).contains(&id)) {
        bail!(
            "token id {id} (at flat position {position}) is out of range for an embedding with {vocab} rows (valid ids: 0 to {})",
            vocab - 1
        );
    }
    let mut out_shape = shape.to_vec();
    out_shape.push(dim as i64);
    let out = Tensor::f_empty(out_shape.as_slice(), (Kind::Float, Device::Cpu))
        .with_context(|| format!("allocating the input embeddings of shape {out_shape:?}"))?;
    if count == 0 {
        return Ok(out);
    }
    let out_ptr = out.data_ptr() as *mut f32;
    let kernel = Kernel::select(out_ptr, dim, Stores::for_output(count * dim * 4));
    // SAFETY: both weights are contiguous float32 CPU tensors of the sizes read above and live
    // until this function returns; `out` was just allocated (contiguous, `count * dim` floats,
    // nothing else refers to it yet) and `kernel` was selected for it on this processor.
    unsafe { fill(kernel, float_slice(&tok_w), float_slice(&pos_w), &id_values, seq_len, dim, out_ptr) };
    Ok(out)
}

/// The elements of a tensor, in memory order.
///
/// # Safety
/// `t` is a contiguous float32 CPU tensor that nothing writes while the slice lives.
unsafe fn float_slice(t: &Tensor) -> &[f32] {
    std::slice::from_raw_parts(t.data_ptr() as *const f32, t.numel())
}

/// Positions per tile: each tile reads these rows of the positional table once.
const POSITIONS_PER_TILE: usize = 16;
/// Output rows per tile (128 rows of 768 floats: 384 KiB), enough to hide rayon's cost per tile.
const ROWS_PER_TILE: usize = 128;

/// Writes `out[b, t] = tok[ids[b, t]] + pos[t]` for `ids` of shape `[B, seq_len]` (flattened).
///
/// The work is cut into tiles of a few positions by a few sequences, run on all cores. Within a
/// tile the positions are the outer loop: each row of the positional table is read once per tile
/// and stays in the L1 cache while it is added to every sequence's token row, so the pass reads
/// little more than the gathered token rows, about what a plain copy of the output reads.
///
/// # Safety
/// `out` points to `ids.len() * dim` writable floats that nothing else touches meanwhile, aligned
/// as `kernel` needs on a processor that runs it; every id indexes a row of `tok`; `pos` holds at
/// least `seq_len` rows of `dim` floats.
unsafe fn fill(kernel: Kernel, tok: &[f32], pos: &[f32], ids: &[i64], seq_len: usize, dim: usize, out: *mut f32) {
    let sequences = ids.len() / seq_len;
    let positions_per_tile = POSITIONS_PER_TILE.min(seq_len);
    let sequences_per_tile = (ROWS_PER_TILE / positions_per_tile).clamp(1, sequences);
    let position_tiles = seq_len.div_ceil(positions_per_tile);
    let tiles = position_tiles * sequences.div_ceil(sequences_per_tile);
    // Raw pointers are not `Send`; the tiles write disjoint rows.
    let out = out as usize;
    (0..tiles).into_par_iter().for_each(|tile| {
        let (first_t, first_b) =
            ((tile % position_tiles) * positions_per_tile, (tile / position_tiles) * sequences_per_tile);
        for t in first_t..(first_t + positions_per_tile).min(seq_len) {
            let pos_row = &pos[t * dim..(t + 1) * dim];
            for b in first_b..(first_b + sequences_per_tile).min(sequences) {
                let row = b * seq_len + t;
                let id = ids[row] as usize;
                // SAFETY: `row < ids.len()`, so the row lies inside `out` (the caller's promise),
                // and no other tile writes it.
                unsafe { kernel.add_row((out as *mut f32).add(row * dim), &tok[id * dim..(id + 1) * dim], pos_row) };
            }
        }
        kernel.finish();
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::manual_seed;

    fn bits(t: &Tensor) -> Vec<u32> {
        let t = t.detach().contiguous();
        let mut values = vec![0f32; t.numel()];
        t.copy_data(&mut values, t.numel());
        values.iter().map(|v| v.to_bits()).collect()
    }

    /// [`fill`] with `kernel` into `out`, a float32 tensor of `ids.len()` rows that `kernel` fits.
    fn fill_with(
        kernel: Kernel,
        tok: &Embedding,
        pos: &PositionalEmbedding,
        ids: &[i64],
        seq_len: usize,
        out: &Tensor,
    ) {
        let dim = tok.embedding_dim() as usize;
        assert_eq!(out.numel(), ids.len() * dim);
        assert!(
            kernel.fits(out.data_ptr() as *const f32, dim, Stores::Cached)
                || kernel.fits(out.data_ptr() as *const f32, dim, Stores::Streaming)
        );
        // SAFETY: contiguous float32 weights that nothing writes meanwhile, `out` of the right
        // size that `kernel` fits (checked above), on a processor that has it (`Kernel::available`).
        unsafe {
            fill(
                kernel,
                float_slice(tok.weight()),
                float_slice(pos.weight()),
                ids,
                seq_len,
                dim,
                out.data_ptr() as *mut f32,
            )
        };
    }

    fn layers(vocab: i64, context: i64, dim: i64) -> (Embedding, PositionalEmbedding) {
        (Embedding::new(vocab, dim).unwrap(), PositionalEmbedding::new(context, dim).unwrap())
    }

    #[test]
    fn fused_equals_the_two_steps_bit_for_bit() {
        let _rng = crate::random::test_lock();
        manual_seed(123);
        let (tok, pos) = layers(1000, 300, 37);
        for shape in [vec![8, 256], vec![3, 300], vec![5], vec![2, 3, 7]] {
            let ids = Tensor::randint(1000, shape.as_slice(), (Kind::Int64, Device::Cpu));
            let t = *shape.last().unwrap();
            let fused = tch::no_grad(|| input_embeddings(&tok, &pos, &ids)).unwrap();
            let two_steps = tch::no_grad(|| tok.forward(&ids).unwrap() + pos.forward(t).unwrap());
            assert_eq!(fused.size(), two_steps.size());
            assert_eq!(bits(&fused), bits(&two_steps), "shape {shape:?}");
            assert!(!fused.requires_grad());
        }
        // int32 ids as well.
        let ids = Tensor::from_slice(&[1i32, 2, 3, 999]).reshape([1, 4]);
        let fused = tch::no_grad(|| input_embeddings(&tok, &pos, &ids)).unwrap();
        let ids64 = ids.to_kind(Kind::Int64);
        let two_steps = tch::no_grad(|| tok.forward(&ids64).unwrap() + pos.forward(4).unwrap());
        assert_eq!(bits(&fused), bits(&two_steps));
    }

    #[test]
    fn every_kernel_and_tiling_gives_the_bits_of_the_two_steps() {
        let _rng = crate::random::test_lock();
        manual_seed(321);
        // Dimensions that fit every vector width, only AVX2's, and none; sequences shorter and
        // longer than a tile, and batches that do not fill the last tile.
        for (dim, shape) in [(64, [8, 40]), (24, [3, 17]), (37, [300, 3]), (16, [1, 1]), (48, [5, 129])] {
            let (tok, pos) = layers(500, 200, dim);
            let ids = Tensor::randint(500, shape, (Kind::Int64, Device::Cpu));
            let two_steps = tch::no_grad(|| tok.forward(&ids).unwrap() + pos.forward(shape[1]).unwrap());
            let mut id_values = vec![0i64; ids.numel()];
            ids.copy_data(&mut id_values, ids.numel());
            let mut tried = 0;
            for kernel in Kernel::available() {
                for stores in [Stores::Cached, Stores::Streaming] {
                    let out = Tensor::full(two_steps.size(), f64::NAN, (Kind::Float, Device::Cpu));
                    let out_ptr = out.data_ptr() as *mut f32;
                    if !kernel.fits(out_ptr, dim as usize, stores) {
                        continue;
                    }
                    fill_with(kernel, &tok, &pos, &id_values, shape[1] as usize, &out);
                    assert_eq!(bits(&out), bits(&two_steps), "{kernel:?}, dim {dim}, shape {shape:?}");
                    tried += 1;
                }
            }
            assert!(tried >= 1, "no kernel ran for dim {dim}");
        }
    }

    #[test]
    fn streaming_stores_only_for_outputs_between_one_and_32_mib() {
        assert_eq!(Stores::for_output(8 * 1024 * 768 * 4), Stores::Streaming, "GPT-2 small, batch 8");
        assert_eq!(Stores::for_output(1 << 20), Stores::Streaming);
        assert_eq!(Stores::for_output(32 << 20), Stores::Streaming);
        assert_eq!(Stores::for_output((1 << 20) - 4), Stores::Cached);
        assert_eq!(Stores::for_output((32 << 20) + 4), Stores::Cached);
        // Streaming stores write whole aligned vectors: other rows fall back to ordinary stores.
        let aligned = 64 as *const f32;
        let selected = Kernel::select(aligned, 768, Stores::Streaming);
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx512f") {
            assert_eq!(selected, Kernel::Avx512(Stores::Streaming));
        } else if is_x86_feature_detected!("avx2") {
            assert_eq!(selected, Kernel::Avx2(Stores::Streaming));
        }
        assert!(selected.fits(aligned, 768, Stores::Streaming));
        assert_eq!(Kernel::select(aligned, 37, Stores::Streaming), Kernel::select(aligned, 37, Stores::Cached));
        assert_eq!(
            Kernel::select((64 + 4) as *const f32, 768, Stores::Streaming),
            Kernel::select(aligned, 768, Stores::Cached)
        );
    }

    #[test]
    fn nan_payloads_are_those_of_the_two_steps() {
        let _rng = crate::random::test_lock();
        manual_seed(5);
        let (tok, pos) = layers(20, 8, 48);
        // Quiet NaNs with different payloads in both tables, and a signalling one; where both
        // elements are NaN, PyTorch's sum carries the position's payload.
        let nan = |bits: u32| f64::from(f32::from_bits(bits));
        tch::no_grad(|| {
            let _ = tok.weight().narrow(1, 0, 24).fill_(nan(0x7fc0_0001));
            let _ = tok.weight().narrow(1, 40, 8).fill_(nan(0x7f80_0003));
            let _ = pos.weight().narrow(1, 12, 36).fill_(nan(0x7fc0_0002));
        });
        let shape = [3i64, 8];
        let ids = Tensor::randint(20, shape, (Kind::Int64, Device::Cpu));
        let two_steps = tch::no_grad(|| tok.forward(&ids).unwrap() + pos.forward(8).unwrap());
        let expected = bits(&two_steps);
        assert!(expected.contains(&0x7fc0_0002) && expected.contains(&0x7fc0_0001));
        let mut id_values = vec![0i64; ids.numel()];
        ids.copy_data(&mut id_values, ids.numel());
        for kernel in Kernel::available() {
            for stores in [Stores::Cached, Stores::Streaming] {
                let out = Tensor::zeros(two_steps.size(), (Kind::Float, Device::Cpu));
                if !kernel.fits(out.data_ptr() as *const f32, 48, stores) {
                    continue;
                }
                fill_with(kernel, &tok, &pos, &id_values, 8, &out);
                assert_eq!(bits(&out), expected, "{kernel:?} {stores:?}");
            }
        }
    }

    #[test]
    fn max_norm_renormalises_as_the_lookup_does() {
        let _rng = crate::random::test_lock();
        manual_seed(11);
        let options = crate::embedding::EmbeddingOptions { max_norm: Some(1.0), ..Default::default() };
        let tok = Embedding::with_options(10, 4, options).unwrap();
        let twin = Embedding::from_pretrained_with_options(&tok.weight().detach().copy(), true, options).unwrap();
        let pos = PositionalEmbedding::new(3, 4).unwrap();
        let ids = Tensor::from_slice(&[1i64, 2, 9, 1, 5, 5]).reshape([2, 3]);
        let fused = tch::no_grad(|| input_embeddings(&tok, &pos, &ids)).unwrap();
        let two_steps = tch::no_grad(|| twin.forward(&ids).unwrap() + pos.forward(3).unwrap());
        assert_eq!(bits(&fused), bits(&two_steps));
        // The looked-up rows of the weight were renormalised in place, as nn.Embedding does.
        assert_eq!(bits(tok.weight()), bits(twin.weight()));
        let norms =
            tok.weight().index_select(0, &Tensor::from_slice(&[1i64, 2, 9, 5])).norm_scalaropt_dim(2, [1], false);
        assert!(Vec::<f32>::try_from(norms).unwrap().iter().all(|&n| n <= 1.0 + 1e-6));
    }

    #[test]
    fn other_dtypes_promote_as_pytorch_does() {
        let _rng = crate::random::test_lock();
        manual_seed(3);
        let half = Tensor::randn([10, 4], (Kind::Float, Device::Cpu)).to_kind(Kind::Half);
        let tok = Embedding::from_pretrained(&half, true).unwrap();
        let pos = PositionalEmbedding::new(3, 4).unwrap();
        let ids = Tensor::from_slice(&[1i64, 2, 9]);
        let sum = tch::no_grad(|| input_embeddings(&tok, &pos, &ids)).unwrap();
        let two_steps = tch::no_grad(|| tok.forward(&ids).unwrap() + pos.forward(3).unwrap());
        assert_eq!(sum.kind(), Kind::Float, "float16 + float32 is float32");
        assert_eq!(bits(&sum), bits(&two_steps));
    }

    #[test]
    fn with_grad_it_keeps_autograd() {
        let _rng = crate::random::test_lock();
        manual_seed(7);
        let (tok, pos) = layers(50, 8, 4);
        let ids = Tensor::from_slice(&[1i64, 2, 3, 4, 4, 3, 2, 1]).reshape([2, 4]);
        let sum = input_embeddings(&tok, &pos, &ids).unwrap();
        assert_eq!(crate::autograd::grad_fn_name(&sum).unwrap().as_deref(), Some("AddBackward0"));
        assert_eq!(bits(&sum), bits(&(tok.forward(&ids).unwrap() + pos.forward(4).unwrap())));
        sum.sum(Kind::Float).backward();
        // Every position is used twice (two sequences): its gradient is 2 everywhere.
        assert!(pos.weight().grad().get(0).equal(&Tensor::full([4], 2.0, (Kind::Float, Device::Cpu))));
        // Token 4 appears twice, token 0 never.
        assert!(tok.weight().grad().get(4).equal(&Tensor::full([4], 2.0, (Kind::Float, Device::Cpu))));
        assert!(tok.weight().grad().get(0).equal(&Tensor::zeros([4], (Kind::Float, Device::Cpu))));
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let _rng = crate::random::test_lock();
        manual_seed(1);
        let (tok, pos) = layers(10, 4, 3);
        let err = |ids: &Tensor| tch::no_grad(|| input_embeddings(&tok, &pos, ids)).unwrap_err().to_string();
        assert!(err(&Tensor::from_slice(&[1i64, 10])).contains("token id 10"));
        assert!(err(&Tensor::from_slice(&[-1i64])).contains("token id -1"));
        assert!(err(&Tensor::from_slice(&[1i64, 2, 3, 4, 5])).contains("context length 4"));
        assert!(err(&Tensor::from_slice(&[1.0f32])).contains("integer"));
        let other = PositionalEmbedding::new(4, 5).unwrap();
        let msg = input_embeddings(&tok, &other, &Tensor::from_slice(&[1i64])).unwrap_err().to_string();
        assert!(msg.contains("cannot be added"), "{msg}");
    }
}
