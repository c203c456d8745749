//! Printing tensors exactly as PyTorch's `print` does.
//!
//! A port of `torch/_tensor_str.py` (PyTorch 2.13) with the default print options: 4 decimals,
//! lines of at most 80 characters, and tensors of more than 1000 elements summarised with `...`
//! (3 items at each edge of every long dimension). tch's own `Display` reads differently
//! (no `tensor(` wrapper, another indent, a footer), so notebooks and the CLI print through this.
//!
//! ```
//! use token_embeddings::printing::PyTorchPrint;
//! use token_embeddings::tch::Tensor;
//! let t = Tensor::from_slice(&[0.5f32, -1.25, 3.0]);
//! assert_eq!(t.pytorch().to_string(), "tensor([ 0.5000, -1.2500,  3.0000])");
//! assert_eq!(t.torch_size().to_string(), "torch.Size([3])");
//! ```

use std::fmt;

use anyhow::{bail, Context, Result};
use tch::{Device, Kind, Tensor};

use crate::autograd;

/// Digits after the decimal point (`torch.set_printoptions(precision=4)`).
const PRECISION: usize = 4;
/// Tensors with more elements than this are summarised.
const THRESHOLD: i64 = 1000;
/// Items kept at each edge of a summarised dimension.
const EDGE_ITEMS: i64 = 3;
/// Characters per line before elements wrap and suffixes move to a new line.
const LINE_WIDTH: usize = 80;

/// `repr(t)`: what `print(t)` writes for a tensor, e.g. `tensor([1, 2, 3])`.
pub fn tensor_repr(tensor: &Tensor) -> Result<String> {
    let _guard = tch::no_grad_guard();
    let prefix = "tensor(";
    let indent = prefix.len();
    let mut suffixes = Vec::new();
    let kind = tensor.f_kind().context("printing a tensor without a dtype")?;

    let device = tensor.device();
    if device != Device::Cpu {
        suffixes.push(format!("device='{}'", device_name(device)));
    }

    let body = if tensor.numel() == 0 {
        if tensor.dim() != 1 {
            suffixes.push(format!("size={}", python_tuple(&tensor.size())));
        }
        // An empty tensor shows its dtype unless it is the default float32 (so int64 too).
        if kind != Kind::Float {
            suffixes.push(format!("dtype={}", dtype_name(kind)?));
        }
        "[]".to_owned()
    } else {
        if !matches!(kind, Kind::Float | Kind::Int64 | Kind::Bool) {
            suffixes.push(format!("dtype={}", dtype_name(kind)?));
        }
        tensor_body(tensor, indent)?
    };

    if let Some(name) = autograd::grad_fn_name(tensor)? {
        suffixes.push(format!("grad_fn=<{name}>"));
    } else if tensor.requires_grad() {
        suffixes.push("requires_grad=True".to_owned());
    }
    Ok(add_suffixes(format!("{prefix}{body}"), &suffixes, indent))
}

/// `repr(p)` of an `nn.Parameter`, such as a layer's weight: `Parameter containing:` then the tensor.
pub fn parameter_repr(tensor: &Tensor) -> Result<String> {
    Ok(format!("Parameter containing:\n{}", tensor_repr(tensor)?))
}

/// `str(t.shape)`: `torch.Size([8, 4, 256])`.
pub fn size_repr(tensor: &Tensor) -> String {
    TorchSize(tensor.size()).to_string()
}

/// `repr([a, b])` of a list of tensors, as a DataLoader batch prints: `[tensor(...), tensor(...)]`.
pub fn list_repr(tensors: &[&Tensor]) -> Result<String> {
    let items = tensors.iter().map(|t| tensor_repr(t)).collect::<Result<Vec<_>>>()?;
    Ok(format!("[{}]", items.join(", ")))
}

/// PyTorch's name of a dtype, as in `dtype=torch.float64`.
pub fn dtype_name(kind: Kind) -> Result<&'static str> {
    Ok(match kind {
        Kind::Float => "torch.float32",
        Kind::Double => "torch.float64",
        Kind::Half => "torch.float16",
        Kind::BFloat16 => "torch.bfloat16",
        Kind::Int64 => "torch.int64",
        Kind::Int => "torch.int32",
        Kind::Int16 => "torch.int16",
        Kind::Int8 => "torch.int8",
        Kind::Uint8 => "torch.uint8",
        Kind::Bool => "torch.bool",
        other => bail!("printing tensors of kind {other:?} is not supported"),
    })
}

fn device_name(device: Device) -> String {
    match device {
        Device::Cpu => "cpu".to_owned(),
        Device::Cuda(index) => format!("cuda:{index}"),
        Device::Mps => "mps".to_owned(),
        Device::Vulkan => "vulkan".to_owned(),
    }
}

fn python_tuple(dims: &[i64]) -> String {
    match dims {
        [one] => format!("({one},)"),
        _ => format!("({})", dims.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")),
    }
}

/// `_add_suffixes`: each suffix goes after `, ` unless the line would pass 80 characters,
/// then on a new line indented under the opening bracket.
fn add_suffixes(mut text: String, suffixes: &[String], indent: usize) -> String {
    // PyTorch measures the last line as len - rfind("\n") + 1 (so +2 when there is no newline).
    let mut last_line_len = match text.rfind('\n') {
        Some(pos) => text.len() - pos + 1,
        None => text.len() + 2,
    };
    for suffix in suffixes {
        if last_line_len + suffix.len() + 2 > LINE_WIDTH {
            text.push_str(",\n");
            text.push_str(&" ".repeat(indent));
            text.push_str(suffix);
            last_line_len = indent + suffix.len();
        } else {
            text.push_str(", ");
            text.push_str(suffix);
            last_line_len += suffix.len() + 2;
        }
    }
    text.push(')');
    text
}

/// The values that will be shown, read once from the tensor (on the CPU).
enum Values {
    Floating(Vec<f64>),
    Integer(Vec<i64>),
    Boolean(Vec<bool>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Floating(v) => v.len(),
            Values::Integer(v) => v.len(),
            Values::Boolean(v) => v.len(),
        }
    }
}

/// `_tensor_str`: the bracketed body, without `tensor(` and the suffixes.
fn tensor_body(tensor: &Tensor, indent: usize) -> Result<String> {
    let shape = tensor.size();
    let summarize = tensor.numel() as i64 > THRESHOLD;
    // With summarising on, only the edges of each long dimension are ever looked at (also by
    // the formatter, which PyTorch builds from `get_summarized_data`): fetch just those.
    let mut shown = tensor.detach();
    if summarize {
        for (dim, &size) in shape.iter().enumerate() {
            if size > 2 * EDGE_ITEMS {
                let edges = Tensor::from_slice(&[0, 1, 2, size - 3, size - 2, size - 1]).to_device(shown.device());
                shown = shown.f_index_select(dim as i64, &edges)?;
            }
        }
    }
    let shown = shown.f_to_device(Device::Cpu)?.f_contiguous()?.f_reshape([-1])?;
    let kind = shown.kind();
    let values = match kind {
        Kind::Float | Kind::Double | Kind::Half | Kind::BFloat16 => {
            Values::Floating(Vec::<f64>::try_from(shown.f_to_kind(Kind::Double)?)?)
        }
        Kind::Int64 | Kind::Int | Kind::Int16 | Kind::Int8 | Kind::Uint8 => {
            Values::Integer(Vec::<i64>::try_from(shown.f_to_kind(Kind::Int64)?)?)
        }
        Kind::Bool => Values::Boolean(Vec::<bool>::try_from(shown)?),
        other => bail!("printing tensors of kind {other:?} is not supported"),
    };
    let formatter = Formatter::new(&values);
    let cells: Vec<String> = (0..values.len()).map(|i| formatter.format(&values, i)).collect();
    let layout = Layout { shape: &shape, summarize, width: formatter.max_width, cells: &cells };
    Ok(layout.render(0, 0, indent))
}

/// Every element formatted as `print` would show it (same notation and precision), without
/// padding, in row-major order; `None` for tensors PyTorch would summarise.
pub(crate) fn element_strings(tensor: &Tensor) -> Result<Option<Vec<String>>> {
    if tensor.numel() as i64 > THRESHOLD || tensor.numel() == 0 {
        return Ok(None);
    }
    let _guard = tch::no_grad_guard();
    let body = tensor_body(tensor, 0)?;
    let cells = body
        .split(|c: char| c == '[' || c == ']' || c == ',' || c.is_whitespace())
        .filter(|cell| !cell.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(Some(cells))
}

/// `_Formatter`: one column width for all elements, and whether floats print as integers
/// (`1.`), in fixed notation (`1.2340`) or in scientific notation (`1.2340e-05`).
struct Formatter {
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
}

impl Formatter {
    fn new(values: &Values) -> Self {
        let mut formatter = Formatter { int_mode: true, sci_mode: false, max_width: 1 };
        match values {
            Values::Integer(v) => formatter.max_width = v.iter().map(|x| x.to_string().len()).fold(1, usize::max),
            Values::Boolean(v) => formatter.max_width = v.iter().map(|&x| python_bool(x).len()).fold(1, usize::max),
            Values::Floating(v) => {
                let nonzero_finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite() && *x != 0.0).collect();
                if nonzero_finite.is_empty() {
                    return formatter;
                }
                let abs = nonzero_finite.iter().map(|x| x.abs());
                let min = abs.clone().fold(f64::INFINITY, f64::min);
                let max = abs.fold(0.0, f64::max);
                formatter.int_mode = nonzero_finite.iter().all(|x| *x == x.ceil());
                formatter.sci_mode = max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4;
                let width_of = |x: f64| -> usize {
                    if formatter.sci_mode {
                        python_sci(x).len()
                    } else if formatter.int_mode {
                        format!("{x:.0}").len() + 1
                    } else {
                        format!("{x:.PRECISION$}").len()
                    }
                };
                formatter.max_width = nonzero_finite.iter().map(|&x| width_of(x)).fold(1, usize::max);
            }
        }
        formatter
    }

    fn format(&self, values: &Values, index: usize) -> String {
        let text = match values {
            Values::Integer(v) => v[index].to_string(),
            Values::Boolean(v) => python_bool(v[index]).to_owned(),
            Values::Floating(v) => {
                let x = v[index];
                if !x.is_finite() {
                    python_nonfinite(x).to_owned()
                } else if self.sci_mode {
                    python_sci(x)
                } else if self.int_mode {
                    format!("{x:.0}.")
                } else {
                    format!("{x:.PRECISION$}")
                }
            }
        };
        format!("{text:>width$}", width = self.max_width)
    }
}

fn python_bool(value: bool) -> &'static str {
    if value {
        "True"
    } else {
        "False"
    }
}

fn python_nonfinite(x: f64) -> &'static str {
    if x.is_nan() {
        "nan"
    } else if x > 0.0 {
        "inf"
    } else {
        "-inf"
    }
}

/// Python's `'{:.4e}'.format(x)`: a signed exponent of at least two digits (`1.2340e-05`).
fn python_sci(x: f64) -> String {
    let rust = format!("{x:.PRECISION$e}");
    let (mantissa, exponent) = rust.split_once('e').expect("Rust's {:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("Rust's exponent is an integer");
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.abs())
}

/// The nesting of brackets over the formatted cells (`_tensor_str_with_formatter`).
struct Layout<'a> {
    shape: &'a [i64],
    summarize: bool,
    width: usize,
    cells: &'a [String],
}

impl Layout<'_> {
    /// Whether this dimension is cut to its edges, and how many entries of it were fetched.
    fn shown(&self, dim: usize) -> (bool, usize) {
        let cut = self.summarize && self.shape[dim] > 2 * EDGE_ITEMS;
        (cut, if cut { 2 * EDGE_ITEMS as usize } else { self.shape[dim] as usize })
    }

    fn stride(&self, dim: usize) -> usize {
        (dim + 1..self.shape.len()).map(|d| self.shown(d).1).product()
    }

    /// Entries of a dimension in print order; `None` stands for the `...` of a cut dimension.
    fn entries(&self, dim: usize) -> Vec<Option<usize>> {
        let (cut, count) = self.shown(dim);
        let edge = EDGE_ITEMS as usize;
        if cut {
            (0..edge).map(Some).chain([None]).chain((edge..2 * edge).map(Some)).collect()
        } else {
            (0..count).map(Some).collect()
        }
    }

    fn render(&self, dim: usize, offset: usize, indent: usize) -> String {
        if self.shape.is_empty() {
            return self.cells[0].clone();
        }
        if dim + 1 == self.shape.len() {
            return self.render_vector(dim, offset, indent);
        }
        let stride = self.stride(dim);
        let slices: Vec<String> = self
            .entries(dim)
            .into_iter()
            .map(|entry| match entry {
                Some(i) => self.render(dim + 1, offset + i * stride, indent + 1),
                None => "...".to_owned(),
            })
            .collect();
        let blank_lines = "\n".repeat(self.shape.len() - dim - 1);
        let separator = format!(",{blank_lines}{}", " ".repeat(indent + 1));
        format!("[{}]", slices.join(&separator))
    }

    /// `_vector_str`: as many elements per line as fit in 80 columns after the indent.
    fn render_vector(&self, dim: usize, offset: usize, indent: usize) -> String {
        let element_length = self.width + 2;
        let per_line = ((LINE_WIDTH as f64 - indent as f64) / element_length as f64).floor().max(1.0) as usize;
        let data: Vec<&str> = self
            .entries(dim)
            .into_iter()
            .map(|entry| match entry {
                Some(i) => self.cells[offset + i].as_str(),
                None => " ...",
            })
            .collect();
        let lines: Vec<String> = data.chunks(per_line).map(|line| line.join(", ")).collect();
        format!("[{}]", lines.join(&format!(",\n{}", " ".repeat(indent + 1))))
    }
}

/// A tensor shown as PyTorch prints it; see [`PyTorchPrint`].
///
/// In an evcxr notebook it also shows as an HTML table (for up to two dimensions), keeping the
/// PyTorch text as the `text/plain` part.
pub struct Printed<'a> {
    tensor: &'a Tensor,
    parameter: bool,
}

impl Printed<'_> {
    fn text(&self) -> Result<String> {
        if self.parameter {
            parameter_repr(self.tensor)
        } else {
            tensor_repr(self.tensor)
        }
    }

    /// Called by the evcxr Jupyter kernel to show the value of a cell.
    pub fn evcxr_display(&self) {
        let text = self.to_string();
        match crate::html::tensor_table(self.tensor) {
            Ok(Some(html)) => crate::html::emit_display(&text, &html),
            _ => println!("{text}"),
        }
    }
}

impl fmt::Display for Printed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text() {
            Ok(text) => f.write_str(&text),
            Err(err) => write!(f, "<tensor that cannot be printed: {err:#}>"),
        }
    }
}

impl fmt::Debug for Printed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `torch.Size([...])`, the printed shape of a tensor.
#[derive(Clone, PartialEq, Eq)]
pub struct TorchSize(pub Vec<i64>);

impl fmt::Display for TorchSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims: Vec<String> = self.0.iter().map(i64::to_string).collect();
        write!(f, "torch.Size([{}])", dims.join(", "))
    }
}

impl fmt::Debug for TorchSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `println!("{}", t.pytorch())` prints what Python's `print(t)` prints.
pub trait PyTorchPrint {
    /// The tensor as `print(t)` shows it.
    fn pytorch(&self) -> Printed<'_>;
    /// The tensor as `print(layer.weight)` shows a parameter (`Parameter containing:` first).
    fn pytorch_parameter(&self) -> Printed<'_>;
    /// The shape as `print(t.shape)` shows it.
    fn torch_size(&self) -> TorchSize;
}

impl PyTorchPrint for Tensor {
    fn pytorch(&self) -> Printed<'_> {
        Printed { tensor: self, parameter: false }
    }

    fn pytorch_parameter(&self) -> Printed<'_> {
        Printed { tensor: self, parameter: true }
    }

    fn torch_size(&self) -> TorchSize {
        TorchSize(self.size())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(values: &[f32], shape: &[i64]) -> Tensor {
        Tensor::from_slice(values).reshape(shape)
    }

    #[test]
    fn python_scientific_notation() {
        assert_eq!(python_sci(1.234e-5), "1.2340e-05");
        assert_eq!(python_sci(-3.0e10), "-3.0000e+10");
        assert_eq!(python_sci(1.0e100), "1.0000e+100");
    }

    #[test]
    fn integer_valued_floats_print_with_a_dot() {
        assert_eq!(tensor_repr(&floats(&[1.0, -2.0, 30.0], &[3])).unwrap(), "tensor([ 1., -2., 30.])");
        assert_eq!(tensor_repr(&floats(&[0.0, 0.0], &[2])).unwrap(), "tensor([0., 0.])");
    }

    #[test]
    fn int64_tensor_has_no_dtype_suffix_but_int32_does() {
        let ids = Tensor::from_slice(&[40i64, 367, 2885, 1464]).reshape([1, 4]);
        assert_eq!(tensor_repr(&ids).unwrap(), "tensor([[  40,  367, 2885, 1464]])");
        let ids32 = Tensor::from_slice(&[1i32, 2]);
        assert_eq!(tensor_repr(&ids32).unwrap(), "tensor([1, 2], dtype=torch.int32)");
    }

    #[test]
    fn suffix_wraps_past_eighty_columns() {
        let t = floats(&[1.3010, 1.2753, -0.2010, -0.1606, -0.4015], &[1, 5]).set_requires_grad(true);
        let text = add_suffixes(
            format!("tensor({}", tensor_body(&t, 7).unwrap()),
            &["grad_fn=<EmbeddingBackward0>".to_owned()],
            7,
        );
        assert_eq!(
            text,
            "tensor([[ 1.3010,  1.2753, -0.2010, -0.1606, -0.4015]],\n       grad_fn=<EmbeddingBackward0>)"
        );
    }

    #[test]
    fn large_tensors_are_summarised() {
        let t = Tensor::arange(2000, (Kind::Int64, Device::Cpu));
        assert_eq!(tensor_repr(&t).unwrap(), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
    }

    #[test]
    fn shapes_print_as_torch_size() {
        let t = Tensor::zeros([8, 4, 256], (Kind::Float, Device::Cpu));
        assert_eq!(size_repr(&t), "torch.Size([8, 4, 256])");
        assert_eq!(t.torch_size().to_string(), "torch.Size([8, 4, 256])");
    }

    #[test]
    fn empty_tensors_show_size_and_dtype() {
        let t = Tensor::zeros([0, 3], (Kind::Int64, Device::Cpu));
        assert_eq!(tensor_repr(&t).unwrap(), "tensor([], size=(0, 3), dtype=torch.int64)");
    }
}
