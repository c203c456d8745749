//! Sizes that come from users, checked before anything is allocated, and libtorch's errors as
//! one line.
//!
//! libtorch answers an impossible size with a C++ exception whose text runs to thirty lines of
//! stack frames, an overflowing size may wrap around inside it, and on Linux a large allocation
//! can even succeed and get the process killed when its pages are touched. So every place that
//! allocates from a size a user chose (a layer's shape, a batch) calls [`check_allocation`] (or
//! [`empty`], which also allocates): the shape must be non-negative, its element count and byte
//! count must fit in an `i64` (libtorch's `numel` and `nbytes`), and on the CPU the bytes must
//! fit in the memory available right now (`MemAvailable + SwapFree` of `/proc/meminfo`). What
//! libtorch still refuses becomes one line through [`torch_error`].

use std::fmt;

use anyhow::{anyhow, bail, Result};
use tch::{Device, Kind, TchError, Tensor};

/// What the user can do about a size that is too large.
const ADVICE: &str = "choose smaller sizes";

/// A shape with its element type, printed as `[200000, 100000] float32`.
struct Shape<'a>(&'a [i64], Kind);

impl fmt::Display for Shape<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dtype = crate::printing::dtype_name(self.1).unwrap_or("torch.other");
        write!(f, "{:?} {}", self.0, dtype.trim_start_matches("torch."))
    }
}

/// Bytes as people read them: `80.0 GB` (powers of 1000, like `ls -h --si`), exact below 1 kB.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The number of elements of `shape`, or an error when a size is negative or the product does
/// not fit in an `i64`. `what` names the tensor in the message ("the embedding weight").
pub fn numel(what: &str, shape: &[i64]) -> Result<i64> {
    let mut count: i64 = 1;
    for &size in shape {
        if size < 0 {
            bail!("{what} cannot have the negative size {size} (shape {shape:?})");
        }
        count = count.checked_mul(size).ok_or_else(|| {
            anyhow!("{what} of shape {shape:?} has more elements than fit in a 64-bit count; {ADVICE}")
        })?;
    }
    Ok(count)
}

/// The bytes a tensor of `shape` and `kind` takes, checked as [`numel`] checks the count (the
/// byte count must fit in an `i64` too).
pub fn tensor_bytes(what: &str, shape: &[i64], kind: Kind) -> Result<u64> {
    let count = numel(what, shape)?;
    let bytes = count.checked_mul(kind.elt_size_in_bytes() as i64).ok_or_else(|| {
        anyhow!("{what} of shape {} needs more bytes than fit in a 64-bit count; {ADVICE}", Shape(shape, kind))
    })?;
    Ok(bytes as u64)
}

/// Memory the process could still get on this machine: `MemAvailable + SwapFree` from
/// `/proc/meminfo`, or `None` where that file does not exist (not Linux).
pub fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = meminfo.lines().find(|line| line.starts_with(name))?;
        let kib: u64 = line[name.len()..].trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kib * 1024)
    };
    Some(field("MemAvailable:")? + field("SwapFree:").unwrap_or(0))
}

/// Checks a tensor of `shape` and `kind` before it is allocated on `device`: sizes not
/// negative, counts that fit in 64 bits, and on the CPU no more bytes than the machine has
/// available. Returns the bytes.
///
/// ```
/// use token_embeddings::checks::check_allocation;
/// use token_embeddings::tch::{Device, Kind};
/// assert_eq!(check_allocation("a weight", &[6, 3], Kind::Float, Device::Cpu)?, 72);
/// let err = check_allocation("a weight", &[i64::MAX, 2], Kind::Float, Device::Cpu).unwrap_err();
/// assert!(err.to_string().contains("64-bit"));
/// # anyhow::Ok(())
/// ```
pub fn check_allocation(what: &str, shape: &[i64], kind: Kind, device: Device) -> Result<u64> {
    let bytes = tensor_bytes(what, shape, kind)?;
    if device == Device::Cpu {
        if let Some(available) = available_memory() {
            if bytes > available {
                bail!(
                    "{what} of shape {} needs {} ({bytes} bytes), more than the {} of memory available; {ADVICE}",
                    Shape(shape, kind),
                    human_bytes(bytes),
                    human_bytes(available)
                );
            }
        }
    }
    Ok(bytes)
}

/// Bytes of `count` values of `element_bytes` each, for buffers the crate fills in Rust before
/// a tensor is made of them (a batch of ids); checked against the available memory like
/// [`check_allocation`].
pub fn check_buffer(what: &str, count: usize, element_bytes: usize) -> Result<u64> {
    let bytes = (count as u64)
        .checked_mul(element_bytes as u64)
        .filter(|&bytes| bytes <= i64::MAX as u64)
        .ok_or_else(|| anyhow!("{what} of {count} values needs more bytes than fit in a 64-bit count; {ADVICE}"))?;
    if let Some(available) = available_memory() {
        if bytes > available {
            bail!(
                "{what} of {count} values needs {} ({bytes} bytes), more than the {} of memory available; {ADVICE}",
                human_bytes(bytes),
                human_bytes(available)
            );
        }
    }
    Ok(bytes)
}

/// `torch.empty(shape, dtype=kind, device=device)` after [`check_allocation`]; libtorch's
/// refusal becomes one line through [`torch_error`].
pub fn empty(what: &str, shape: &[i64], kind: Kind, device: Device) -> Result<Tensor> {
    check_allocation(what, shape, kind, device)?;
    Tensor::f_empty(shape, (kind, device)).map_err(|err| torch_error(&format!("allocating {what}"), shape, kind, err))
}

/// The first line of a libtorch message, without tch's "Internal torch error: " prefix (the
/// rest is C++ stack frames and "Exception raised from ..." lines).
pub fn first_line(message: &str) -> &str {
    let message = message.trim_start();
    let message = message.strip_prefix("Internal torch error: ").unwrap_or(message);
    message.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("(no message)")
}

/// libtorch's error as one line naming the operation, the shape and its bytes, what libtorch
/// said (its first line), and what to do.
pub fn torch_error(operation: &str, shape: &[i64], kind: Kind, err: TchError) -> anyhow::Error {
    let bytes = tensor_bytes("the tensor", shape, kind).map(human_bytes).unwrap_or_else(|_| "too many bytes".into());
    let said = first_line(&err.to_string()).to_owned();
    let advice = if said.contains("alloc") || said.contains("out of memory") { ADVICE } else { "check the sizes" };
    anyhow!("{operation} of shape {} ({bytes}) failed in libtorch: {said}; {advice}", Shape(shape, kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_bytes() {
        assert_eq!(numel("t", &[]).unwrap(), 1);
        assert_eq!(numel("t", &[0, 5]).unwrap(), 0);
        assert_eq!(tensor_bytes("t", &[50257, 256], Kind::Float).unwrap(), 50257 * 256 * 4);
        assert_eq!(tensor_bytes("t", &[8, 4], Kind::Int64).unwrap(), 256);
    }

    #[test]
    fn negative_and_overflowing_sizes_are_refused() {
        let err = numel("the weight", &[3, -1]).unwrap_err().to_string();
        assert!(err.contains("negative size -1") && err.contains("[3, -1]"), "{err}");
        // 2**62 elements fit, their 4-byte floats do not; 2**32 × 2**32 elements do not.
        assert_eq!(numel("t", &[1 << 31, 1 << 31]).unwrap(), 1 << 62);
        assert!(tensor_bytes("t", &[1 << 31, 1 << 31], Kind::Float).unwrap_err().to_string().contains("bytes"));
        let err = numel("the weight", &[1 << 32, 1 << 32]).unwrap_err().to_string();
        assert!(err.contains("64-bit") && err.contains("smaller sizes"), "{err}");
    }

    #[test]
    fn more_than_the_machine_has_is_refused_before_libtorch() {
        let available = available_memory().expect("Linux has /proc/meminfo");
        let too_many = (available / 4 + 1) as i64;
        let err = check_allocation("the weight", &[too_many, 2], Kind::Float, Device::Cpu).unwrap_err().to_string();
        assert!(err.contains("more than the") && err.contains("memory available"), "{err}");
        assert!(check_buffer("a batch", usize::MAX / 4, 8).is_err());
        assert_eq!(check_buffer("a batch", 32, 8).unwrap(), 256);
    }

    #[test]
    fn libtorch_errors_become_one_line() {
        let message = "DefaultCPUAllocator: can't allocate memory: you tried to allocate \
                       80000000000 bytes. Error code 12 (Cannot allocate memory)\nException raised from \
                       alloc_cpu at /pytorch/c10/core/impl/alloc_cpu.cpp:117 (most recent call first):\nframe #0: ...";
        let err = torch_error("allocating the weight", &[200000, 100000], Kind::Float, TchError::Torch(message.into()));
        let text = err.to_string();
        assert_eq!(
            text,
            "allocating the weight of shape [200000, 100000] float32 (80.0 GB) failed in libtorch: DefaultCPUAllocator: \
             can't allocate memory: you tried to allocate 80000000000 bytes. Error code 12 (Cannot allocate memory); \
             choose smaller sizes"
        );
    }

    #[test]
    fn empty_allocates_what_fits() {
        assert_eq!(empty("t", &[2, 3], Kind::Float, Device::Cpu).unwrap().size(), [2, 3]);
        assert!(empty("t", &[-2, 3], Kind::Float, Device::Cpu).is_err());
    }

    #[test]
    fn bytes_for_people() {
        assert_eq!(human_bytes(72), "72 bytes");
        assert_eq!(human_bytes(80_000_000_000), "80.0 GB");
        assert_eq!(human_bytes(51_463_168), "51.5 MB");
    }
}
