//! How PyTorch spends random numbers, so that every draw here lands where it lands in Python.
//!
//! Weights are drawn from libtorch's own default CPU generator through tch (the very same
//! `libtorch_cpu.so` as Python's torch), so `manual_seed` + the same calls in the same order
//! give the same bits. The one piece tch cannot reach is a *private* `torch.Generator()`, which
//! `RandomSampler` seeds and hands to `torch.randperm`; [`PrivateGenerator`] models it.

use anyhow::{Context, Result};
use rand_mt::Mt;
use tch::{Device, Kind, Tensor};

/// `torch.manual_seed(seed)`: reseeds the default generator (and CUDA's, as Python does).
///
/// Python accepts seeds from -2**63 to 2**64 - 1 and maps negative ones to their unsigned
/// bits; a `u64` seed given here reaches libtorch with the same bits.
pub fn manual_seed(seed: u64) {
    tch::manual_seed(seed as i64);
}

/// `torch.empty((), dtype=torch.int64).random_().item()`: one 64-bit draw (two mt19937 words)
/// from the default generator, as `iter(DataLoader)` and `RandomSampler` make.
pub fn draw_int64_seed() -> Result<i64> {
    let _guard = tch::no_grad_guard();
    let mut scalar = Tensor::empty([], (Kind::Int64, Device::Cpu));
    let drawn = scalar.f_random_().context("drawing a 64-bit seed from the default generator")?;
    drawn.f_int64_value(&[]).context("reading the drawn seed")
}

/// A `torch.Generator()` seeded with `manual_seed`: an mt19937 stream of its own.
///
/// ```
/// use token_embeddings::random::PrivateGenerator;
/// // torch.randperm(5, generator=torch.Generator().manual_seed(0)).tolist()
/// let perm = PrivateGenerator::new(0).randperm(5);
/// assert_eq!(perm.len(), 5);
/// ```
pub struct PrivateGenerator {
    engine: Mt,
}

impl PrivateGenerator {
    /// `torch.Generator().manual_seed(seed)`: libtorch's mt19937 keeps the low 32 bits.
    pub fn new(seed: u64) -> Self {
        Self { engine: Mt::new(seed as u32) }
    }

    /// `CPUGeneratorImpl::random()`: one 32-bit word.
    pub fn random(&mut self) -> u32 {
        self.engine.next_u32()
    }

    /// `CPUGeneratorImpl::random64()`: two words, the first one high.
    pub fn random64(&mut self) -> u64 {
        let high = u64::from(self.random());
        let low = u64::from(self.random());
        (high << 32) | low
    }

    /// `torch.randperm(n, generator=g)` on the CPU (`randperm_cpu` in ATen): for n below
    /// 2**32 / 20 a Fisher–Yates pass from `0..n` with `random() % (n - i)`, otherwise the
    /// "inside-out" variant with `random64() % (i + 1)`.
    pub fn randperm(&mut self, n: usize) -> Vec<i64> {
        if (n as u64) < u64::from(u32::MAX) / 20 {
            let mut perm: Vec<i64> = (0..n as i64).collect();
            for i in 0..n.saturating_sub(1) {
                let z = (u64::from(self.random()) % (n - i) as u64) as usize;
                perm.swap(i, i + z);
            }
            perm
        } else {
            let mut perm = vec![0i64; n];
            for i in 0..n {
                let z = (self.random64() % (i as u64 + 1)) as usize;
                perm[i] = perm[z];
                perm[z] = i as i64;
            }
            perm
        }
    }
}

/// Serialises unit tests that draw from the process-wide default generator: cargo runs tests
/// on several threads, and a draw in one test would shift another test's stream.
#[cfg(test)]
pub(crate) fn test_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mt19937_reference_output() {
        // The C++ standard fixes the 10000th output of std::mt19937 seeded with 5489.
        let mut g = PrivateGenerator::new(5489);
        let mut last = 0;
        for _ in 0..10000 {
            last = g.random();
        }
        assert_eq!(last, 4_123_659_995);
    }

    #[test]
    fn randperm_is_a_permutation() {
        let mut perm = PrivateGenerator::new(42).randperm(100);
        perm.sort_unstable();
        assert_eq!(perm, (0..100).collect::<Vec<i64>>());
        assert!(PrivateGenerator::new(1).randperm(0).is_empty());
        assert_eq!(PrivateGenerator::new(1).randperm(1), [0]);
    }
}
