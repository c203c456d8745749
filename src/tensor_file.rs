//! Tensors from files: NumPy's `.npy` (what `np.save` writes) and `.safetensors` (what
//! `safetensors.torch.save_file` writes), for `token-embeddings print`.
//!
//! `.npy` is read by tch's own reader (`Tensor::read_npy`) after `npyz` has checked the header against
//! the file's size: tch's reader trusts the shape in the header and would read past the end of a
//! truncated file. `.safetensors` is read by the `safetensors` crate, which checks every tensor's
//! offsets against its shape and dtype.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use anyhow::{bail, ensure, Context, Result};
use npyz::{DType, Endianness, NpyHeader, Order, TypeChar};
use safetensors::tensor::{Dtype, SafeTensors};
use tch::{Kind, Tensor};

const NPY_MAGIC: &[u8] = b"\x93NUMPY";

/// Every tensor of a `.npy` (one, named `""`) or `.safetensors` file (in the order
/// `safetensors.torch.load_file` gives them: by their place in the file). The format is recognised
/// by content, not by name.
pub fn read_tensors(path: &Path) -> Result<Vec<(String, Tensor)>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.starts_with(NPY_MAGIC) {
        Ok(vec![(String::new(), read_npy(path)?)])
    } else {
        read_safetensors_bytes(&bytes).with_context(|| format!("{} is not a .npy or .safetensors file", path.display()))
    }
}

/// The array of a `.npy` file as a tensor of the same dtype and shape.
///
/// Errors: a truncated or corrupt file, Fortran order, big-endian data, and dtypes tch cannot hold
/// (unsigned integers wider than 8 bits, strings, objects, structured arrays).
pub fn read_npy(path: &Path) -> Result<Tensor> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let size = file.metadata()?.len();
    let mut reader = CountingReader { inner: BufReader::new(file), read: 0 };
    let header =
        NpyHeader::from_reader(&mut reader).with_context(|| format!("{} has no valid .npy header", path.display()))?;
    let what = || format!("{}", path.display());
    let DType::Plain(type_str) = header.dtype() else {
        bail!("{}: structured arrays cannot be printed as one tensor", what());
    };
    let item_size = match (type_str.type_char(), type_str.size_field()) {
        (TypeChar::Bool, 1) | (TypeChar::Uint, 1) | (TypeChar::Int, 1) => 1,
        (TypeChar::Int, n @ (2 | 4 | 8)) | (TypeChar::Float, n @ (2 | 4 | 8)) | (TypeChar::Complex, n @ (8 | 16)) => n,
        _ => bail!("{}: numpy dtype {type_str} is not one tch can hold", what()),
    };
    ensure!(
        type_str.endianness() != Endianness::Big || item_size == 1,
        "{}: big-endian data ({type_str}) is not supported; save it little-endian",
        what()
    );
    ensure!(
        header.order() == Order::C || header.shape().len() <= 1,
        "{}: Fortran-ordered arrays are not supported; save np.ascontiguousarray(a)",
        what()
    );
    let expected = header.len().checked_mul(item_size).context("the shape in the header overflows")?;
    let available = size - reader.read;
    ensure!(
        available == expected,
        "{}: the header promises {expected} bytes of data, the file holds {available}",
        what()
    );
    Tensor::read_npy(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Every tensor of a `.safetensors` file in memory, in the order of their data in the file (as
/// `safetensors.torch.load_file` gives them; tensors at the same offset by name).
pub fn read_safetensors_bytes(bytes: &[u8]) -> Result<Vec<(String, Tensor)>> {
    let file = SafeTensors::deserialize(bytes).map_err(|err| anyhow::anyhow!("invalid safetensors data: {err:?}"))?;
    let (_, metadata) =
        SafeTensors::read_metadata(bytes).map_err(|err| anyhow::anyhow!("invalid safetensors header: {err:?}"))?;
    let mut names: Vec<(usize, usize, String)> =
        metadata.tensors().into_iter().map(|(name, info)| (info.data_offsets.0, info.data_offsets.1, name)).collect();
    names.sort();
    names
        .into_iter()
        .map(|(_, _, name)| {
            let view = file.tensor(&name).map_err(|err| anyhow::anyhow!("tensor {name}: {err:?}"))?;
            let kind = match view.dtype() {
                Dtype::BOOL => Kind::Bool,
                Dtype::U8 => Kind::Uint8,
                Dtype::I8 => Kind::Int8,
                Dtype::I16 => Kind::Int16,
                Dtype::I32 => Kind::Int,
                Dtype::I64 => Kind::Int64,
                Dtype::F16 => Kind::Half,
                Dtype::BF16 => Kind::BFloat16,
                Dtype::F32 => Kind::Float,
                Dtype::F64 => Kind::Double,
                other => bail!("tensor {name} has dtype {other:?}, which tch cannot hold"),
            };
            let shape: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
            let numel: usize = view.shape().iter().product();
            ensure!(
                view.data().len() == numel * kind.elt_size_in_bytes(),
                "tensor {name}: data size does not match its shape"
            );
            let tensor =
                Tensor::f_from_data_size(view.data(), &shape, kind).with_context(|| format!("tensor {name}"))?;
            Ok((name, tensor))
        })
        .collect()
}

/// Counts the bytes the header took, to know how many are left for the data.
struct CountingReader<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}
