//! A fingerprint of a tensor's exact bits, to compare with PyTorch without printing millions
//! of numbers: shape, dtype, the SHA-256 of the contiguous little-endian bytes, and the first
//! eight values. Python gives the same hash with
//! `hashlib.sha256(t.detach().cpu().contiguous().numpy().tobytes()).hexdigest()`.

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tch::{Device, Kind, Tensor};

/// `{"shape": [...], "dtype": "float32", "sha256": "...", "head": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorSummary {
    /// The tensor's shape.
    pub shape: Vec<i64>,
    /// PyTorch's dtype name without `torch.`: `float32`, `int64`, ...
    pub dtype: String,
    /// Hex SHA-256 of the raw little-endian element bytes in row-major order.
    pub sha256: String,
    /// The first eight elements of the flattened tensor.
    pub head: Vec<serde_json::Value>,
}

/// Reads the tensor's bits (copying it to the CPU if needed) and fingerprints them.
pub fn summarize(tensor: &Tensor) -> Result<TensorSummary> {
    let flat = tensor.detach().f_to_device(Device::Cpu)?.f_contiguous()?.f_reshape([-1])?;
    let (bytes, head): (Vec<u8>, Vec<serde_json::Value>) = match flat.kind() {
        Kind::Float => encode(Vec::<f32>::try_from(&flat)?, f32::to_le_bytes, |x| serde_json::json!(f64::from(x))),
        Kind::Double => encode(Vec::<f64>::try_from(&flat)?, f64::to_le_bytes, |x| serde_json::json!(x)),
        Kind::Int64 => encode(Vec::<i64>::try_from(&flat)?, i64::to_le_bytes, |x| serde_json::json!(x)),
        Kind::Int => encode(Vec::<i32>::try_from(&flat)?, i32::to_le_bytes, |x| serde_json::json!(x)),
        other => bail!("fingerprinting tensors of kind {other:?} is not supported"),
    };
    Ok(TensorSummary {
        shape: tensor.size(),
        dtype: crate::printing::dtype_name(tensor.kind())?.trim_start_matches("torch.").to_owned(),
        sha256: hex(&Sha256::digest(&bytes)),
        head,
    })
}

fn encode<T: Copy, const N: usize>(
    values: Vec<T>,
    to_bytes: fn(T) -> [u8; N],
    to_json: fn(T) -> serde_json::Value,
) -> (Vec<u8>, Vec<serde_json::Value>) {
    let bytes = values.iter().flat_map(|&v| to_bytes(v)).collect();
    let head = values.iter().take(8).map(|&v| to_json(v)).collect();
    (bytes, head)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_of_known_bytes() {
        // sha256 of the 8 bytes 01 00 00 00 00 00 00 00 (int64 one), as Python's hashlib gives.
        let s = summarize(&Tensor::from_slice(&[1i64])).unwrap();
        assert_eq!(s.sha256, "7c9fa136d4413fa6173637e883b6998d32e1d675f88cddff9dcbcf331820f4b8");
        assert_eq!(s.dtype, "int64");
        assert_eq!(s.shape, [1]);
        assert_eq!(s.head, [serde_json::json!(1)]);
    }
}
