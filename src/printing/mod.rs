//! Printing tensors exactly as PyTorch's `print` does.
//!
//! A port of `torch/_tensor_str.py` (PyTorch 2.13): every dtype tch can hold (float16, bfloat16,
//! float32, float64, complex32/64/128, int8/16/32/64, uint8, bool), 0-dim and empty tensors,
//! `device=`, `dtype=`, `grad_fn=` and `requires_grad=` suffixes, parameters, lists and tuples of
//! tensors, under the options of `torch.set_printoptions` ([`PrintOptions`]: precision, threshold,
//! edgeitems, linewidth, sci_mode, and the `default`/`short`/`full` profiles). tch's own `Display`
//! reads differently (no `tensor(` wrapper, another indent, a footer), so notebooks and the CLI
//! print through this.
//!
//! ```
//! use token_embeddings::printing::{PrintOptions, PyTorchPrint};
//! use token_embeddings::tch::Tensor;
//! let t = Tensor::from_slice(&[0.5f32, -1.25, 3.0]);
//! assert_eq!(t.pytorch().to_string(), "tensor([ 0.5000, -1.2500,  3.0000])");
//! assert_eq!(t.pytorch().with_options(PrintOptions::SHORT).to_string(), "tensor([ 0.50, -1.25,  3.00])");
//! assert_eq!(t.torch_size().to_string(), "torch.Size([3])");
//! ```
//!
//! Not covered: sparse, quantized, nested and meta tensors, and a default dtype other than float32
//! (`torch.set_default_dtype`), which change which dtypes get a `dtype=` suffix.

use std::fmt;

use anyhow::{bail, Context, Result};
use tch::{Device, Kind, Tensor};

use crate::autograd;

mod format;
mod layout;
mod module;
mod options;

use format::{Formatter, Values};
use layout::{add_suffixes, Layout, Shown};
pub use options::{
    get_printoptions, printoptions, set_printoptions, with_printoptions, PrintOptions, Profile, SetPrintOptions,
    EVCXR_OPTIONS_VAR,
};

/// `repr(t)` under the current options ([`get_printoptions`]): what `print(t)` writes, e.g. `tensor([1, 2, 3])`.
pub fn tensor_repr(tensor: &Tensor) -> Result<String> {
    tensor_repr_with(tensor, &get_printoptions())
}

/// `repr(t)` under the given options.
pub fn tensor_repr_with(tensor: &Tensor, options: &PrintOptions) -> Result<String> {
    let _guard = tch::no_grad_guard();
    let prefix = "tensor(";
    let indent = prefix.len();
    let mut suffixes = Vec::new();
    let kind = tensor.f_kind().context("printing a tensor without a dtype")?;
    let dtype = dtype_name(kind)?;

    let device = tensor.device();
    if device != Device::Cpu {
        suffixes.push(format!("device='{}'", device_name(device)));
    }

    let body = if tensor.numel() == 0 {
        // NumPy's rule: the shape is shown unless it is (0,).
        if tensor.dim() != 1 {
            suffixes.push(format!("size={}", python_tuple(&tensor.size())));
        }
        // No element tells the dtype, so it is shown unless it is the default float32.
        if kind != Kind::Float {
            suffixes.push(format!("dtype={dtype}"));
        }
        "[]".to_owned()
    } else {
        if options.edgeitems == 0 {
            suffixes.push(format!("size={}", python_tuple(&tensor.size())));
        }
        if !matches!(kind, Kind::Float | Kind::ComplexFloat | Kind::Int64 | Kind::Bool) {
            suffixes.push(format!("dtype={dtype}"));
        }
        tensor_body(tensor, indent, options)?
    };

    if let Some(name) = autograd::grad_fn_name(tensor)? {
        suffixes.push(format!("grad_fn=<{name}>"));
    } else if tensor.requires_grad() {
        suffixes.push("requires_grad=True".to_owned());
    }
    Ok(add_suffixes(format!("{prefix}{body}"), &suffixes, indent, options))
}

/// `repr(p)` of an `nn.Parameter`, such as a layer's weight: `Parameter containing:` then the tensor.
pub fn parameter_repr(tensor: &Tensor) -> Result<String> {
    parameter_repr_with(tensor, &get_printoptions())
}

/// [`parameter_repr`] under the given options.
pub fn parameter_repr_with(tensor: &Tensor, options: &PrintOptions) -> Result<String> {
    Ok(format!("Parameter containing:\n{}", tensor_repr_with(tensor, options)?))
}

/// `str(t.shape)`: `torch.Size([8, 4, 256])`.
pub fn size_repr(tensor: &Tensor) -> String {
    TorchSize(tensor.size()).to_string()
}

/// `repr([a, b])` of a list of tensors, as a DataLoader batch prints: `[tensor(...), tensor(...)]`.
pub fn list_repr(tensors: &[&Tensor]) -> Result<String> {
    list_repr_with(tensors, &get_printoptions())
}

/// [`list_repr`] under the given options.
pub fn list_repr_with(tensors: &[&Tensor], options: &PrintOptions) -> Result<String> {
    Ok(format!("[{}]", reprs(tensors, options)?.join(", ")))
}

/// `repr((a, b))` of a tuple of tensors: `(tensor(...), tensor(...))`, and `(tensor(...),)` for one.
pub fn tuple_repr(tensors: &[&Tensor]) -> Result<String> {
    tuple_repr_with(tensors, &get_printoptions())
}

/// [`tuple_repr`] under the given options.
pub fn tuple_repr_with(tensors: &[&Tensor], options: &PrintOptions) -> Result<String> {
    let items = reprs(tensors, options)?;
    Ok(match items.as_slice() {
        [one] => format!("({one},)"),
        _ => format!("({})", items.join(", ")),
    })
}

fn reprs(tensors: &[&Tensor], options: &PrintOptions) -> Result<Vec<String>> {
    tensors.iter().map(|t| tensor_repr_with(t, options)).collect()
}

/// PyTorch's name of a dtype, as in `dtype=torch.float64`.
pub fn dtype_name(kind: Kind) -> Result<&'static str> {
    Ok(match kind {
        Kind::Float => "torch.float32",
        Kind::Double => "torch.float64",
        Kind::Half => "torch.float16",
        Kind::BFloat16 => "torch.bfloat16",
        Kind::Float8e5m2 => "torch.float8_e5m2",
        Kind::Float8e4m3fn => "torch.float8_e4m3fn",
        Kind::Float8e5m2fnuz => "torch.float8_e5m2fnuz",
        Kind::Float8e4m3fnuz => "torch.float8_e4m3fnuz",
        Kind::ComplexHalf => "torch.complex32",
        Kind::ComplexFloat => "torch.complex64",
        Kind::ComplexDouble => "torch.complex128",
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

/// `str(tuple(shape))`: `(0, 3)`, `(0,)`, `()`.
fn python_tuple(dims: &[i64]) -> String {
    match dims {
        [one] => format!("({one},)"),
        _ => format!("({})", dims.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")),
    }
}

/// The elements a print shows, fetched once and formatted: shape, which entries are shown, the
/// formatted cells of the shown elements (row-major) and their values.
pub(crate) struct ShownCells {
    pub shape: Vec<i64>,
    pub summarize: bool,
    pub edgeitems: usize,
    pub element_width: usize,
    pub cells: Vec<String>,
    pub values: Values,
}

impl ShownCells {
    pub(crate) fn shown(&self) -> Shown<'_> {
        Shown { shape: &self.shape, summarize: self.summarize, edgeitems: self.edgeitems }
    }
}

/// Fetches and formats what `print` shows of a non-empty tensor: with summarising on, only the edges
/// of each long dimension (PyTorch's formatter also sees only those, `get_summarized_data`).
pub(crate) fn shown_cells(tensor: &Tensor, options: &PrintOptions) -> Result<ShownCells> {
    let _guard = tch::no_grad_guard();
    let shape = tensor.size();
    let summarize = tensor.numel() as f64 > options.threshold;
    let edge = Shown { shape: &shape, summarize, edgeitems: options.edgeitems };
    // Conjugate and negative views print their values.
    let mut shown = tensor.detach().f_resolve_conj()?.f_resolve_neg()?;
    for dim in 0..shape.len() {
        if edge.cut(dim) {
            let indices = Tensor::from_slice(&edge.indices(dim)).to_device(shown.device());
            shown = shown.f_index_select(dim as i64, &indices)?;
        }
    }
    let flat = shown.f_to_device(Device::Cpu)?.f_contiguous()?.f_reshape([-1])?;
    let values = Values::read(&flat)?;
    let formatter = Formatter::new(&values, options);
    let cells = (0..values.len()).map(|i| formatter.format(&values, i)).collect();
    Ok(ShownCells {
        shape,
        summarize,
        edgeitems: options.edgeitems,
        element_width: formatter.element_width(),
        cells,
        values,
    })
}

/// `_tensor_str`: the bracketed body of a non-empty tensor, without `tensor(` and the suffixes.
fn tensor_body(tensor: &Tensor, indent: usize, options: &PrintOptions) -> Result<String> {
    let summarize = tensor.numel() as f64 > options.threshold;
    if summarize && options.edgeitems == 0 && tensor.dim() > 0 {
        // PyTorch shows no element at all, whatever the number of dimensions.
        return Ok("[...]".to_owned());
    }
    let shown = shown_cells(tensor, options)?;
    let layout = Layout {
        shown: shown.shown(),
        element_width: shown.element_width,
        cells: &shown.cells,
        linewidth: options.linewidth,
    };
    Ok(layout.render(0, 0, indent))
}

/// Every element formatted as `print` would show it (same notation and precision under the current
/// options), without padding, in row-major order, never summarised; `None` for an empty tensor.
#[cfg(feature = "plots")]
pub(crate) fn element_strings(tensor: &Tensor) -> Result<Option<Vec<String>>> {
    if tensor.numel() == 0 {
        return Ok(None);
    }
    let options = PrintOptions { threshold: f64::INFINITY, ..get_printoptions() };
    let shown = shown_cells(tensor, &options)?;
    Ok(Some(shown.cells.into_iter().map(|cell| cell.trim_start().to_owned()).collect()))
}

/// What a [`Printed`] shows.
enum Item<'a> {
    Tensor(&'a Tensor),
    Parameter(&'a Tensor),
    List(Vec<&'a Tensor>),
    Tuple(Vec<&'a Tensor>),
}

/// A tensor (or a list or tuple of tensors) shown as PyTorch prints it; see [`PyTorchPrint`],
/// [`list`] and [`tuple`].
///
/// It prints under the options in effect when it is displayed ([`get_printoptions`]) unless given
/// its own with [`Printed::with_options`]. In an evcxr notebook a 1-D or 2-D tensor also shows as an
/// HTML table (summarised as the text is), keeping the PyTorch text as the `text/plain` part.
pub struct Printed<'a> {
    item: Item<'a>,
    options: Option<PrintOptions>,
}

/// `print([a, b])`: a list of tensors.
pub fn list<'a>(tensors: &[&'a Tensor]) -> Printed<'a> {
    Printed { item: Item::List(tensors.to_vec()), options: None }
}

/// `print((a, b))`: a tuple of tensors.
pub fn tuple<'a>(tensors: &[&'a Tensor]) -> Printed<'a> {
    Printed { item: Item::Tuple(tensors.to_vec()), options: None }
}

impl<'a> Printed<'a> {
    /// The same print under `options`, whatever the current ones are.
    pub fn with_options(self, options: PrintOptions) -> Printed<'a> {
        Printed { options: Some(options), ..self }
    }

    fn options(&self) -> PrintOptions {
        self.options.unwrap_or_else(get_printoptions)
    }

    /// The text, or why the tensor cannot be printed.
    pub fn text(&self) -> Result<String> {
        let options = self.options();
        match &self.item {
            Item::Tensor(t) => tensor_repr_with(t, &options),
            Item::Parameter(t) => parameter_repr_with(t, &options),
            Item::List(ts) => list_repr_with(ts, &options),
            Item::Tuple(ts) => tuple_repr_with(ts, &options),
        }
    }

    /// Called by the evcxr Jupyter kernel to show the value of a cell.
    pub fn evcxr_display(&self) {
        let text = self.to_string();
        let table = match &self.item {
            Item::Tensor(t) | Item::Parameter(t) => crate::html::tensor_table_with(t, &self.options()),
            _ => Ok(None),
        };
        match table {
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
        Printed { item: Item::Tensor(self), options: None }
    }

    fn pytorch_parameter(&self) -> Printed<'_> {
        Printed { item: Item::Parameter(self), options: None }
    }

    fn torch_size(&self) -> TorchSize {
        TorchSize(self.size())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: PrintOptions = PrintOptions::DEFAULT;

    fn floats(values: &[f32], shape: &[i64]) -> Tensor {
        Tensor::from_slice(values).reshape(shape)
    }

    fn repr(t: &Tensor) -> String {
        tensor_repr_with(t, &DEFAULT).unwrap()
    }

    #[test]
    fn integer_valued_floats_print_with_a_dot() {
        assert_eq!(repr(&floats(&[1.0, -2.0, 30.0], &[3])), "tensor([ 1., -2., 30.])");
        assert_eq!(repr(&floats(&[0.0, 0.0], &[2])), "tensor([0., 0.])");
    }

    #[test]
    fn int64_tensor_has_no_dtype_suffix_but_int32_does() {
        let ids = Tensor::from_slice(&[40i64, 367, 2885, 1464]).reshape([1, 4]);
        assert_eq!(repr(&ids), "tensor([[  40,  367, 2885, 1464]])");
        let ids32 = Tensor::from_slice(&[1i32, 2]);
        assert_eq!(repr(&ids32), "tensor([1, 2], dtype=torch.int32)");
    }

    #[test]
    fn suffix_wraps_past_the_line_width() {
        let t = floats(&[1.3010, 1.2753, -0.2010, -0.1606, -0.4015], &[1, 5]);
        let text = add_suffixes(
            format!("tensor({}", tensor_body(&t, 7, &DEFAULT).unwrap()),
            &["grad_fn=<EmbeddingBackward0>".to_owned()],
            7,
            &DEFAULT,
        );
        assert_eq!(
            text,
            "tensor([[ 1.3010,  1.2753, -0.2010, -0.1606, -0.4015]],\n       grad_fn=<EmbeddingBackward0>)"
        );
    }

    #[test]
    fn large_tensors_are_summarised() {
        let t = Tensor::arange(2000, (Kind::Int64, Device::Cpu));
        assert_eq!(repr(&t), "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])");
    }

    #[test]
    fn edge_items_come_from_the_options() {
        // The edges used to be fixed at [0, 1, 2, n-3, n-2, n-1] whatever edgeitems said.
        let t = Tensor::arange(2000, (Kind::Int64, Device::Cpu)).reshape([20, 100]);
        let one = DEFAULT.with_edgeitems(1);
        assert_eq!(
            tensor_repr_with(&t, &one).unwrap(),
            "tensor([[   0,  ...,   99],\n        ...,\n        [1900,  ..., 1999]])"
        );
        let four = DEFAULT.with_edgeitems(4).with_threshold(9.0);
        let t = Tensor::arange(10, (Kind::Int64, Device::Cpu)).reshape([10]);
        assert_eq!(tensor_repr_with(&t, &four).unwrap(), "tensor([0, 1, 2, 3,  ..., 6, 7, 8, 9])");
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
        assert_eq!(repr(&t), "tensor([], size=(0, 3), dtype=torch.int64)");
    }

    #[test]
    fn tuples_of_one_have_a_trailing_comma() {
        let t = Tensor::from_slice(&[1i64]);
        assert_eq!(tuple_repr_with(&[&t], &DEFAULT).unwrap(), "(tensor([1]),)");
        assert_eq!(list_repr_with(&[&t, &t], &DEFAULT).unwrap(), "[tensor([1]), tensor([1])]");
    }
}
