//! Tensors from files: NumPy's `.npy` (what `np.save` writes) and `.safetensors` (what
//! `safetensors.torch.save_file` writes), for `token-embeddings print`.
//!
//! `.npy` is read by tch's own reader (`Tensor::read_npy`) after its header has been checked
//! against the file's size: tch's reader trusts the shape in the header and would read past the end
//! of a truncated file. The header is a Python dict literal, parsed with `py_literal` (what the `npyz`
//! reader uses); shapes whose size overflows are refused. `.safetensors` is read by the
//! `safetensors` crate, which checks every tensor's offsets against its shape and dtype.

use std::path::Path;

use anyhow::{anyhow, bail, ensure, Context, Result};
use py_literal::Value;
use safetensors::tensor::{Dtype, SafeTensors, TensorInfo};
use tch::{Kind, Tensor};

use crate::text::io_error;

const NPY_MAGIC: &[u8] = b"\x93NUMPY";

/// A tensor file opened for reading: the one array of a `.npy` file, or the tensors of a
/// `.safetensors` file, each converted when asked for (a file may hold dtypes tch cannot, such as
/// uint16, next to ones it can). The format is recognised by content, not by name.
pub enum TensorFile {
    /// The array of a `.npy` file.
    Npy(Tensor),
    /// A `.safetensors` file whose header and offsets were checked: its tensors' names in the
    /// order `safetensors.torch.load_file` gives them (by their place in the file), and each
    /// tensor's dtype, shape and bytes, read from the header once.
    Safetensors { bytes: Vec<u8>, names: Vec<String>, infos: Vec<TensorInfo>, data_start: usize },
}

impl TensorFile {
    /// Reads and checks `path`.
    ///
    /// Errors: an unreadable file, or one that is neither a valid `.npy` nor a valid `.safetensors`.
    pub fn open(path: &Path) -> Result<TensorFile> {
        let bytes = std::fs::read(path).map_err(|err| io_error("reading", path, &err))?;
        if bytes.starts_with(NPY_MAGIC) {
            return Ok(TensorFile::Npy(read_npy_checked(path, &bytes)?));
        }
        let (names, infos, data_start) = safetensors_header(&bytes)
            .with_context(|| format!("{} is not a .npy or .safetensors file", path.display()))?;
        Ok(TensorFile::Safetensors { bytes, names, infos, data_start })
    }

    /// The tensor called `name` of a `.safetensors` file.
    ///
    /// Errors: no tensor of that name (the message lists the names), or a dtype tch cannot hold.
    pub fn tensor(&self, name: &str) -> Result<Tensor> {
        match self {
            TensorFile::Npy(_) => bail!("a .npy file holds one array, not named tensors"),
            TensorFile::Safetensors { bytes, names, infos, data_start } => {
                let Some(index) = names.iter().position(|n| n == name) else {
                    bail!("no tensor {name:?} (it has: {})", names.join(", "))
                };
                safetensors_tensor(name, &infos[index], &bytes[*data_start..])
            }
        }
    }

    /// Every tensor, each with its name (`""` for a `.npy` file's array), in the file's order.
    ///
    /// Errors: the first tensor whose dtype tch cannot hold.
    pub fn tensors(&self) -> Result<Vec<(String, Tensor)>> {
        match self {
            TensorFile::Npy(tensor) => Ok(vec![(String::new(), tensor.shallow_clone())]),
            TensorFile::Safetensors { bytes, names, infos, data_start } => names
                .iter()
                .zip(infos)
                .map(|(name, info)| Ok((name.clone(), safetensors_tensor(name, info, &bytes[*data_start..])?)))
                .collect(),
        }
    }
}

/// Every tensor of a `.npy` (one, named `""`) or `.safetensors` file (in the order
/// `safetensors.torch.load_file` gives them: by their place in the file).
pub fn read_tensors(path: &Path) -> Result<Vec<(String, Tensor)>> {
    TensorFile::open(path)?.tensors()
}

/// The array of a `.npy` file as a tensor of the same dtype and shape.
///
/// Errors: a truncated or corrupt file, Fortran order, big-endian data, and dtypes tch cannot hold
/// (unsigned integers wider than 8 bits, strings, objects, structured arrays).
pub fn read_npy(path: &Path) -> Result<Tensor> {
    let bytes = std::fs::read(path).map_err(|err| io_error("reading", path, &err))?;
    read_npy_checked(path, &bytes)
}

fn read_npy_checked(path: &Path, bytes: &[u8]) -> Result<Tensor> {
    let what = path.display();
    let header = NpyHeader::parse(bytes).with_context(|| format!("{what} has no valid .npy header"))?;
    let descr = header.descr.as_str();
    let (kind, item_size) = match descr.trim_start_matches(['<', '>', '|', '=']) {
        "b1" => (Kind::Bool, 1),
        "u1" => (Kind::Uint8, 1),
        "i1" => (Kind::Int8, 1),
        "i2" => (Kind::Int16, 2),
        "i4" => (Kind::Int, 4),
        "i8" => (Kind::Int64, 8),
        "f2" => (Kind::Half, 2),
        "f4" => (Kind::Float, 4),
        "f8" => (Kind::Double, 8),
        "c8" => (Kind::ComplexFloat, 8),
        "c16" => (Kind::ComplexDouble, 16),
        _ => bail!("{what}: numpy dtype {descr} is not one tch can hold"),
    };
    ensure!(
        !descr.starts_with('>') || item_size == 1,
        "{what}: big-endian data ({descr}) is not supported; save it little-endian"
    );
    ensure!(
        !header.fortran_order || header.shape.len() <= 1,
        "{what}: Fortran-ordered arrays are not supported; save np.ascontiguousarray(a)"
    );
    let expected = header
        .shape
        .iter()
        .try_fold(item_size as u64, |n, &d| n.checked_mul(d as u64))
        .with_context(|| format!("{what}: the shape {:?} is too large", header.shape))?;
    let available = (bytes.len() - header.data_start) as u64;
    ensure!(available == expected, "{what}: the header promises {expected} bytes of data, the file holds {available}");
    let tensor = Tensor::read_npy(path).with_context(|| format!("cannot read {what}"))?;
    ensure!(tensor.kind() == kind && tensor.size() == header.shape, "{what}: tch read another dtype or shape");
    Ok(tensor)
}

/// The dict at the start of a `.npy` file (format versions 1 to 3).
struct NpyHeader {
    descr: String,
    fortran_order: bool,
    shape: Vec<i64>,
    data_start: usize,
}

impl NpyHeader {
    fn parse(bytes: &[u8]) -> Result<Self> {
        ensure!(bytes.starts_with(NPY_MAGIC), "no .npy magic string");
        // Magic, major and minor version, then the header's length: 2 bytes (version 1) or 4.
        let len_size = match bytes.get(6) {
            Some(1) => 2,
            Some(2 | 3) => 4,
            other => bail!("unsupported .npy version {other:?}"),
        };
        let start = 8 + len_size;
        let len = bytes.get(8..start).context("the file ends inside its header")?;
        let len = len.iter().rev().fold(0usize, |n, &b| n * 256 + b as usize);
        let text =
            start.checked_add(len).and_then(|end| bytes.get(start..end)).context("the file ends inside its header")?;
        let text = std::str::from_utf8(text).context("the header is not text")?;
        let value = text.trim().parse::<Value>().map_err(|err| {
            // pest's message draws the line under a caret; its first line says what went wrong.
            let message = err.to_string();
            anyhow!("the header is not a Python literal ({})", message.lines().next().unwrap_or("").trim())
        })?;
        let Value::Dict(entries) = value else { bail!("the header is not a dict") };
        let (mut descr, mut fortran_order, mut shape) = (None, None, None);
        for (key, value) in entries {
            match (key, value) {
                (Value::String(key), Value::String(v)) if key == "descr" => descr = Some(v),
                (Value::String(key), Value::List(_)) if key == "descr" => {
                    bail!("structured arrays cannot be printed as one tensor")
                }
                (Value::String(key), Value::Boolean(v)) if key == "fortran_order" => fortran_order = Some(v),
                (Value::String(key), Value::Tuple(dims)) if key == "shape" => {
                    let dims = dims
                        .iter()
                        .map(|d| match d {
                            Value::Integer(d) => i64::try_from(d).ok().filter(|d| *d >= 0),
                            _ => None,
                        })
                        .collect::<Option<Vec<i64>>>()
                        .context("the shape holds something other than sizes")?;
                    shape = Some(dims);
                }
                (key, value) => bail!("unexpected header entry {key}: {value}"),
            }
        }
        Ok(NpyHeader {
            descr: descr.context("the header has no descr")?,
            fortran_order: fortran_order.context("the header has no fortran_order")?,
            shape: shape.context("the header has no shape")?,
            data_start: start + len,
        })
    }
}

/// Every tensor of a `.safetensors` file in memory, in the order of their data in the file (as
/// `safetensors.torch.load_file` gives them; tensors at the same offset by name).
pub fn read_safetensors_bytes(bytes: &[u8]) -> Result<Vec<(String, Tensor)>> {
    let (names, infos, data_start) = safetensors_header(bytes)?;
    names
        .iter()
        .zip(&infos)
        .map(|(name, info)| Ok((name.clone(), safetensors_tensor(name, info, &bytes[data_start..])?)))
        .collect()
}

/// The tensors of a `.safetensors` file in the order of their data (names, and dtype, shape and
/// offsets of each), and where the data starts, after the crate has checked the header and every
/// tensor's offsets against its shape and dtype. Parsed once: a file of many tensors costs one pass.
fn safetensors_header(bytes: &[u8]) -> Result<(Vec<String>, Vec<TensorInfo>, usize)> {
    SafeTensors::deserialize(bytes).map_err(|err| anyhow!("invalid safetensors data: {err}"))?;
    let (header_len, metadata) =
        SafeTensors::read_metadata(bytes).map_err(|err| anyhow!("invalid safetensors header: {err}"))?;
    let mut tensors: Vec<(usize, usize, String, TensorInfo)> = metadata
        .tensors()
        .into_iter()
        .map(|(name, info)| (info.data_offsets.0, info.data_offsets.1, name, info.clone()))
        .collect();
    tensors.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
    let (names, infos) = tensors.into_iter().map(|(_, _, name, info)| (name, info)).unzip();
    Ok((names, infos, 8 + header_len))
}

/// The tensor `name` described by `info`, whose offsets index `data` (the bytes after the header).
fn safetensors_tensor(name: &str, info: &TensorInfo, data: &[u8]) -> Result<Tensor> {
    let kind = match info.dtype {
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
        Dtype::F8_E5M2 => Kind::Float8e5m2,
        Dtype::F8_E4M3 => Kind::Float8e4m3fn,
        Dtype::F8_E5M2FNUZ => Kind::Float8e5m2fnuz,
        Dtype::F8_E4M3FNUZ => Kind::Float8e4m3fnuz,
        Dtype::C64 => Kind::ComplexFloat,
        other => bail!("tensor {name} has dtype {other}, which tch cannot hold"),
    };
    let (start, end) = info.data_offsets;
    let bytes =
        data.get(start..end).with_context(|| format!("tensor {name}: offsets {start}..{end} outside the data"))?;
    let shape: Vec<i64> = info.shape.iter().map(|&d| d as i64).collect();
    let numel: usize = info.shape.iter().product();
    ensure!(bytes.len() == numel * kind.elt_size_in_bytes(), "tensor {name}: data size does not match its shape");
    Tensor::f_from_data_size(bytes, &shape, kind).with_context(|| format!("tensor {name}"))
}
