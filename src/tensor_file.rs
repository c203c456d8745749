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
use safetensors::tensor::{Dtype, SafeTensors};
use tch::{Kind, Tensor};

const NPY_MAGIC: &[u8] = b"\x93NUMPY";

/// A tensor file opened for reading: the one array of a `.npy` file, or the tensors of a
/// `.safetensors` file, each converted when asked for (a file may hold dtypes tch cannot, such as
/// uint16, next to ones it can). The format is recognised by content, not by name.
pub enum TensorFile {
    /// The array of a `.npy` file.
    Npy(Tensor),
    /// A `.safetensors` file whose header and offsets were checked; its tensors' names in the
    /// order `safetensors.torch.load_file` gives them (by their place in the file).
    Safetensors { bytes: Vec<u8>, names: Vec<String> },
}

impl TensorFile {
    /// Reads and checks `path`.
    ///
    /// Errors: an unreadable file, or one that is neither a valid `.npy` nor a valid `.safetensors`.
    pub fn open(path: &Path) -> Result<TensorFile> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        if bytes.starts_with(NPY_MAGIC) {
            return Ok(TensorFile::Npy(read_npy_checked(path, &bytes)?));
        }
        let names = safetensors_names(&bytes)
            .with_context(|| format!("{} is not a .npy or .safetensors file", path.display()))?;
        Ok(TensorFile::Safetensors { bytes, names })
    }

    /// The tensor called `name` of a `.safetensors` file.
    ///
    /// Errors: no tensor of that name (the message lists the names), or a dtype tch cannot hold.
    pub fn tensor(&self, name: &str) -> Result<Tensor> {
        match self {
            TensorFile::Npy(_) => bail!("a .npy file holds one array, not named tensors"),
            TensorFile::Safetensors { bytes, names } => {
                ensure!(names.iter().any(|n| n == name), "no tensor {name:?} (it has: {})", names.join(", "));
                safetensors_tensor(bytes, name)
            }
        }
    }

    /// Every tensor, each with its name (`""` for a `.npy` file's array), in the file's order.
    ///
    /// Errors: the first tensor whose dtype tch cannot hold.
    pub fn tensors(&self) -> Result<Vec<(String, Tensor)>> {
        match self {
            TensorFile::Npy(tensor) => Ok(vec![(String::new(), tensor.shallow_clone())]),
            TensorFile::Safetensors { bytes, names } => {
                names.iter().map(|name| Ok((name.clone(), safetensors_tensor(bytes, name)?))).collect()
            }
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
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
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
    safetensors_names(bytes)?.into_iter().map(|name| Ok((name.clone(), safetensors_tensor(bytes, &name)?))).collect()
}

/// The names of a `.safetensors` file's tensors in the order of their data, after the crate has
/// checked the header and every tensor's offsets against its shape and dtype.
fn safetensors_names(bytes: &[u8]) -> Result<Vec<String>> {
    SafeTensors::deserialize(bytes).map_err(|err| anyhow!("invalid safetensors data: {err}"))?;
    let (_, metadata) =
        SafeTensors::read_metadata(bytes).map_err(|err| anyhow!("invalid safetensors header: {err}"))?;
    let mut names: Vec<(usize, usize, String)> =
        metadata.tensors().into_iter().map(|(name, info)| (info.data_offsets.0, info.data_offsets.1, name)).collect();
    names.sort();
    Ok(names.into_iter().map(|(_, _, name)| name).collect())
}

/// The tensor `name` of a checked `.safetensors` file, with its dtype and shape.
fn safetensors_tensor(bytes: &[u8], name: &str) -> Result<Tensor> {
    let file = SafeTensors::deserialize(bytes).map_err(|err| anyhow!("invalid safetensors data: {err}"))?;
    let view = file.tensor(name).map_err(|err| anyhow!("tensor {name}: {err}"))?;
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
        Dtype::F8_E5M2 => Kind::Float8e5m2,
        Dtype::F8_E4M3 => Kind::Float8e4m3fn,
        Dtype::C64 => Kind::ComplexFloat,
        other => bail!("tensor {name} has dtype {other}, which tch cannot hold"),
    };
    let shape: Vec<i64> = view.shape().iter().map(|&d| d as i64).collect();
    let numel: usize = view.shape().iter().product();
    ensure!(view.data().len() == numel * kind.elt_size_in_bytes(), "tensor {name}: data size does not match its shape");
    Tensor::f_from_data_size(view.data(), &shape, kind).with_context(|| format!("tensor {name}"))
}
