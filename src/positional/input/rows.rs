//! The inner loop of the fused pass: `out[r] = tok[ids[r]] + pos[t]` for rows of float32.
//!
//! One float32 addition per element, the addition PyTorch's `add` makes, so any vector width gives
//! the same bits. The position comes first: where both elements are NaN, x86's `addps` returns
//! the first operand's payload, and PyTorch's `tok + pos` returns the position's (PyTorch 2.13,
//! checked in the tests). What differs between kernels is the speed:
//! - the widest vectors the processor has (AVX-512, else AVX2), chosen at run time, since the crate
//!   is built for any x86-64;
//! - streaming (non-temporal) stores, which write the output to memory without first reading each
//!   of its cache lines (as `memcpy` does for large copies). They pay off for outputs that do not
//!   fit the core's own caches and whose memory was written before (see [`Stores::for_output`]).

/// How the output rows are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stores {
    /// Ordinary stores: the output stays in the cache, for small outputs and fresh memory.
    Cached,
    /// Non-temporal stores: the output goes to memory without read-for-ownership.
    Streaming,
}

/// Outputs below this size fit the core's own caches, where the next operation finds them.
const STREAMING_MIN_BYTES: usize = 1 << 20;
/// Above this size glibc's `malloc` (libtorch's CPU allocator calls it) hands out fresh pages, each
/// zeroed by the kernel through the cache on first touch: ordinary stores then hit cached lines
/// and streaming ones lose (measured: 18% slower for an output of 8 x 4096 x 768 floats). 32 MiB
/// is glibc's largest mmap threshold (`DEFAULT_MMAP_THRESHOLD_MAX` on 64-bit).
const STREAMING_MAX_BYTES: usize = 32 << 20;

impl Stores {
    /// The stores for an output of `bytes` bytes.
    pub(super) fn for_output(bytes: usize) -> Stores {
        if (STREAMING_MIN_BYTES..=STREAMING_MAX_BYTES).contains(&bytes) {
            Stores::Streaming
        } else {
            Stores::Cached
        }
    }
}

/// A kernel that writes one output row: the instruction set and the kind of stores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kernel {
    /// Plain Rust, vectorised by the compiler for the build's target (SSE2 on x86-64).
    Portable,
    /// 8 lanes of float32; streaming stores need rows aligned to 32 bytes.
    #[cfg(target_arch = "x86_64")]
    Avx2(Stores),
    /// 16 lanes of float32; streaming stores need rows aligned to 64 bytes.
    #[cfg(target_arch = "x86_64")]
    Avx512(Stores),
}

impl Kernel {
    /// The fastest kernel this processor runs for rows of `dim` floats starting at `out` (every
    /// row then starts `dim * 4` bytes after the previous one), with the wanted `stores` where the
    /// rows allow them, else with ordinary stores.
    pub(super) fn select(out: *const f32, dim: usize, stores: Stores) -> Kernel {
        let fastest = |stores| Kernel::available().into_iter().rev().find(|kernel| kernel.fits(out, dim, stores));
        fastest(stores).or_else(|| fastest(Stores::Cached)).unwrap_or(Kernel::Portable)
    }

    /// Every kernel this processor runs, slowest first.
    pub(super) fn available() -> Vec<Kernel> {
        #[allow(unused_mut)]
        let mut kernels = vec![Kernel::Portable];
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") {
                kernels.extend([Kernel::Avx2(Stores::Cached), Kernel::Avx2(Stores::Streaming)]);
            }
            if is_x86_feature_detected!("avx512f") {
                kernels.extend([Kernel::Avx512(Stores::Cached), Kernel::Avx512(Stores::Streaming)]);
            }
        }
        kernels
    }

    /// Whether this kernel writes rows of `dim` floats at `out` with `stores`: streaming stores
    /// write whole aligned vectors only.
    pub(super) fn fits(self, out: *const f32, dim: usize, stores: Stores) -> bool {
        let aligned = |lanes: usize| dim.is_multiple_of(lanes) && (out as usize).is_multiple_of(lanes * 4);
        match self {
            Kernel::Portable => stores == Stores::Cached,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2(s) => s == stores && (s == Stores::Cached || aligned(8)),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512(s) => s == stores && (s == Stores::Cached || aligned(16)),
        }
    }

    /// `out[i] = tok[i] + pos[i]` for every `i`.
    ///
    /// # Safety
    /// The processor has this kernel's instruction set ([`Kernel::available`]); `out` points to
    /// `tok.len()` writable floats that nothing else reads or writes meanwhile, aligned as
    /// [`Kernel::fits`] requires; `pos.len() == tok.len()`.
    #[inline]
    pub(super) unsafe fn add_row(self, out: *mut f32, tok: &[f32], pos: &[f32]) {
        debug_assert_eq!(tok.len(), pos.len());
        match self {
            Kernel::Portable => {
                let out = std::slice::from_raw_parts_mut(out, tok.len());
                for ((o, &a), &b) in out.iter_mut().zip(tok).zip(pos) {
                    *o = b + a;
                }
            }
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2(stores) => x86::add_row_avx2(out, tok, pos, stores == Stores::Streaming),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512(stores) => x86::add_row_avx512(out, tok, pos, stores == Stores::Streaming),
        }
    }

    /// Makes this thread's streaming stores visible to other threads (`sfence`): call once after
    /// the last row a thread writes, before it hands the output on.
    pub(super) fn finish(self) {
        #[cfg(target_arch = "x86_64")]
        if matches!(self, Kernel::Avx2(Stores::Streaming) | Kernel::Avx512(Stores::Streaming)) {
            // SAFETY: `sfence` is part of SSE, which every x86-64 processor has.
            unsafe { std::arch::x86_64::_mm_sfence() }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// See [`super::Kernel::add_row`]; `streaming` needs `out` aligned to 32 bytes.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn add_row_avx2(out: *mut f32, tok: &[f32], pos: &[f32], streaming: bool) {
        let (n, a, b) = (tok.len(), tok.as_ptr(), pos.as_ptr());
        let mut i = 0;
        while i + 8 <= n {
            let sum = _mm256_add_ps(_mm256_loadu_ps(b.add(i)), _mm256_loadu_ps(a.add(i)));
            if streaming {
                _mm256_stream_ps(out.add(i), sum);
            } else {
                _mm256_storeu_ps(out.add(i), sum);
            }
            i += 8;
        }
        for j in i..n {
            *out.add(j) = *b.add(j) + *a.add(j);
        }
    }

    /// See [`super::Kernel::add_row`]; `streaming` needs `out` aligned to 64 bytes.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn add_row_avx512(out: *mut f32, tok: &[f32], pos: &[f32], streaming: bool) {
        let (n, a, b) = (tok.len(), tok.as_ptr(), pos.as_ptr());
        let mut i = 0;
        while i + 16 <= n {
            let sum = _mm512_add_ps(_mm512_loadu_ps(b.add(i)), _mm512_loadu_ps(a.add(i)));
            if streaming {
                _mm512_stream_ps(out.add(i), sum);
            } else {
                _mm512_storeu_ps(out.add(i), sum);
            }
            i += 16;
        }
        for j in i..n {
            *out.add(j) = *b.add(j) + *a.add(j);
        }
    }
}
