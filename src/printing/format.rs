//! Elements as text: PyTorch's `_Formatter`, which picks one width for all elements of a tensor and
//! whether floats print as integers (`1.`), in fixed notation (`1.2340`) or in scientific notation
//! (`1.2340e-05`), and Python's number formatting.

use anyhow::{bail, Result};
use tch::{Kind, Tensor};

use super::PrintOptions;

/// The values that will be shown, read once from the tensor (on the CPU), in row-major order.
pub(crate) enum Values {
    /// Every floating dtype, widened to f64 exactly (as Python's `tolist`/`item` do).
    Floating(Vec<f64>),
    /// Complex dtypes: real and imaginary parts, each printed by its own formatter.
    Complex(Vec<f64>, Vec<f64>),
    Integer(Vec<i64>),
    Boolean(Vec<bool>),
}

impl Values {
    /// Reads a CPU tensor of any printable dtype, flattened.
    pub(crate) fn read(flat: &Tensor) -> Result<Self> {
        Ok(match flat.kind() {
            // The float8 dtypes print through float16 in PyTorch (`_tensor_str`), which holds them
            // exactly, as float64 does.
            Kind::Float
            | Kind::Double
            | Kind::Half
            | Kind::BFloat16
            | Kind::Float8e5m2
            | Kind::Float8e4m3fn
            | Kind::Float8e5m2fnuz
            | Kind::Float8e4m3fnuz => Values::Floating(Vec::<f64>::try_from(flat.f_to_kind(Kind::Double)?)?),
            Kind::ComplexHalf | Kind::ComplexFloat | Kind::ComplexDouble => {
                let parts = flat.f_view_as_real()?.f_to_kind(Kind::Double)?.f_contiguous()?;
                let parts = Vec::<f64>::try_from(parts.f_reshape([-1])?)?;
                let (re, im) = parts.chunks_exact(2).map(|p| (p[0], p[1])).unzip();
                Values::Complex(re, im)
            }
            Kind::Int64 | Kind::Int | Kind::Int16 | Kind::Int8 | Kind::Uint8 => {
                Values::Integer(Vec::<i64>::try_from(flat.f_to_kind(Kind::Int64)?)?)
            }
            // A bool tensor may hold bytes other than 0 and 1 (a file's, or `view(torch.bool)`), which
            // are not valid Rust `bool`s: read the bytes, and any non-zero byte is True, as in PyTorch.
            Kind::Bool => {
                let bytes = Vec::<u8>::try_from(flat.f_view_dtype(Kind::Uint8)?)?;
                Values::Boolean(bytes.into_iter().map(|b| b != 0).collect())
            }
            other => bail!("printing tensors of kind {other:?} is not supported"),
        })
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Values::Floating(v) => v.len(),
            Values::Complex(re, _) => re.len(),
            Values::Integer(v) => v.len(),
            Values::Boolean(v) => v.len(),
        }
    }

    /// The value of element `index` as a real number, for shading a table cell (`None` for complex).
    pub(crate) fn real(&self, index: usize) -> Option<f64> {
        match self {
            Values::Floating(v) => Some(v[index]),
            Values::Complex(..) => None,
            Values::Integer(v) => Some(v[index] as f64),
            Values::Boolean(v) => Some(if v[index] { 1.0 } else { 0.0 }),
        }
    }
}

/// One formatter per tensor (two for complex tensors: real and imaginary parts).
pub(crate) struct Formatter {
    kind: FormatterKind,
    precision: usize,
}

enum FormatterKind {
    Integer { width: usize },
    Float { int_mode: bool, sci_mode: bool, width: usize },
    Complex { real: Box<Formatter>, imag: Box<Formatter> },
}

impl Formatter {
    /// `_Formatter(tensor)` over the values that will be shown (`get_summarized_data` when summarising).
    pub(crate) fn new(values: &Values, options: &PrintOptions) -> Self {
        let precision = options.precision;
        let kind = match values {
            Values::Integer(v) => {
                FormatterKind::Integer { width: v.iter().map(|x| x.to_string().len()).fold(1, usize::max) }
            }
            Values::Boolean(v) => {
                FormatterKind::Integer { width: v.iter().map(|&x| python_bool(x).len()).fold(1, usize::max) }
            }
            Values::Floating(v) => float_kind(v, options),
            Values::Complex(re, im) => FormatterKind::Complex {
                real: Box::new(Formatter { kind: float_kind(re, options), precision }),
                imag: Box::new(Formatter { kind: float_kind(im, options), precision }),
            },
        };
        Formatter { kind, precision }
    }

    /// Characters an element takes in a line, without the `, ` between elements (complex: both
    /// parts and the `j`).
    pub(crate) fn element_width(&self) -> usize {
        match &self.kind {
            FormatterKind::Integer { width } | FormatterKind::Float { width, .. } => *width,
            FormatterKind::Complex { real, imag } => real.element_width() + imag.element_width() + 1,
        }
    }

    /// Element `index`, padded on the left to the common width (`_val_formatter`).
    pub(crate) fn format(&self, values: &Values, index: usize) -> String {
        match (&self.kind, values) {
            (FormatterKind::Integer { width }, Values::Integer(v)) => pad(v[index].to_string(), *width),
            (FormatterKind::Integer { width }, Values::Boolean(v)) => pad(python_bool(v[index]).to_owned(), *width),
            (FormatterKind::Float { .. }, Values::Floating(v)) => self.format_float(v[index]),
            (FormatterKind::Complex { real, imag }, Values::Complex(re, im)) => {
                let real = real.format_float(re[index]);
                let imag = format!("{}j", imag.format_float(im[index]));
                let imag = imag.trim_start();
                // A sign (of a negative number, nan has none) joins the parts by itself.
                if imag.starts_with('+') || imag.starts_with('-') {
                    format!("{real}{imag}")
                } else {
                    format!("{real}+{imag}")
                }
            }
            _ => unreachable!("a formatter is built from the values it formats"),
        }
    }

    /// `_Formatter.format(value)` of a float.
    fn format_float(&self, x: f64) -> String {
        let FormatterKind::Float { int_mode, sci_mode, width } = self.kind else {
            unreachable!("only float formatters format floats")
        };
        let text = if !x.is_finite() {
            python_nonfinite(x).to_owned()
        } else if sci_mode {
            python_sci(x, self.precision)
        } else if int_mode {
            format!("{x:.0}.")
        } else {
            python_fixed(x, self.precision)
        };
        pad(text, width)
    }
}

/// `_Formatter.__init__` for floating values.
fn float_kind(values: &[f64], options: &PrintOptions) -> FormatterKind {
    let nonzero_finite: Vec<f64> = values.iter().copied().filter(|x| x.is_finite() && *x != 0.0).collect();
    if nonzero_finite.is_empty() {
        // PyTorch returns before looking at sci_mode: zeros, nan and inf print as `0.`, `nan`, `inf`
        // even with sci_mode=True.
        return FormatterKind::Float { int_mode: true, sci_mode: false, width: 1 };
    }
    let min = nonzero_finite.iter().map(|x| x.abs()).fold(f64::INFINITY, f64::min);
    let max = nonzero_finite.iter().map(|x| x.abs()).fold(0.0, f64::max);
    let int_mode = nonzero_finite.iter().all(|x| *x == x.ceil());
    let sci_mode = options.sci_mode.unwrap_or(max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4);
    let precision = options.precision;
    let width_of = |x: f64| -> usize {
        if sci_mode {
            python_sci(x, precision).len()
        } else if int_mode {
            format!("{x:.0}").len() + 1
        } else {
            python_fixed(x, precision).len()
        }
    };
    let width = nonzero_finite.iter().map(|&x| width_of(x)).fold(1, usize::max);
    FormatterKind::Float { int_mode, sci_mode, width }
}

fn pad(text: String, width: usize) -> String {
    if text.len() >= width {
        text
    } else {
        // Not `{:>width$}`: Rust's formatter stops at widths of 65535, Python's does not.
        let mut padded: String = std::iter::repeat_n(' ', width - text.len()).collect();
        padded.push_str(&text);
        padded
    }
}

pub(crate) fn python_bool(value: bool) -> &'static str {
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

/// Digits after the point beyond which every float64 is exact: a double's decimal expansion has
/// at most 1074 digits after the point (2^-1074), and at most 767 significant ones. Python prints
/// any precision (`'{:.70000f}'.format(x)`, zeros after the exact digits); Rust's formatter stops
/// at 65535, so longer precisions are written as these digits and then zeros.
const EXACT_DIGITS: usize = 1100;

/// Python's `'{:.{precision}f}'.format(x)` of a finite number (ties to even, exact digits).
pub(crate) fn python_fixed(x: f64, precision: usize) -> String {
    let digits = precision.min(EXACT_DIGITS);
    let mut text = format!("{x:.digits$}");
    text.extend(std::iter::repeat_n('0', precision - digits));
    text
}

/// Python's `'{:.{precision}e}'.format(x)` of a finite number: a signed exponent of at least two
/// digits (`1.2340e-05`).
pub(crate) fn python_sci(x: f64, precision: usize) -> String {
    let digits = precision.min(EXACT_DIGITS);
    let rust = format!("{x:.digits$e}");
    let (mantissa, exponent) = rust.split_once('e').expect("Rust's {:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("Rust's exponent is an integer");
    let sign = if exponent < 0 { '-' } else { '+' };
    let zeros: String = std::iter::repeat_n('0', precision - digits).collect();
    format!("{mantissa}{zeros}e{sign}{:02}", exponent.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_scientific_notation() {
        assert_eq!(python_sci(1.234e-5, 4), "1.2340e-05");
        assert_eq!(python_sci(-3.0e10, 4), "-3.0000e+10");
        assert_eq!(python_sci(1.0e100, 4), "1.0000e+100");
        assert_eq!(python_sci(1.5, 0), "2e+00");
        assert_eq!(python_sci(-0.0, 2), "-0.00e+00");
    }

    #[test]
    fn any_precision_as_python_prints_it() {
        // Python: len('{:.70000f}'.format(0.1)) == 70002, its digits after the 55 exact ones are zeros;
        // '{:.2000e}'.format(5e-324) ends in '0e-324'.
        let text = python_fixed(0.1, 70000);
        assert_eq!(text.len(), 70002);
        assert!(text.starts_with("0.1000000000000000055511151231257827021181583404541015625000"));
        assert!(text[57..].bytes().all(|b| b == b'0'));
        let tiny = python_sci(5e-324, 2000);
        assert!(tiny.starts_with("4.940656458412465441765687928682213723650598026143247644255856825006755072702087518652998363616359923797965646954457177309266567103559397963987747960107818781263007131903114045278458171678489821036887186360569987307230500063874091535649843873124733972731696151400317153853980741262385655911710266585566867681870395603106249319452715914924553293054565444011274801297099995419319894090804165633245247571478690147267801593552386115501348035264934720193790268107107491703332226844753335720832431936092382893458368060106011506169809753078342277318329247904982524730776375927247874656084778203734469699533647017972677717585125660551199131504891101451037862738167250955837389733598993664809941164205702637090279242767544565229087538682506419718265533447265625"));
        assert!(tiny.ends_with("0e-324"));
        assert_eq!(tiny.len(), "4.".len() + 2000 + "e-324".len());
    }

    #[test]
    fn ties_round_to_even_as_python_does() {
        // '{:.4f}'.format(0.03125) == '0.0312'; '{:.0f}'.format(0.5) == '0'; '{:.1e}'.format(0.125) == '1.2e-01'
        assert_eq!(format!("{:.4}", 0.03125f64), "0.0312");
        assert_eq!(format!("{:.0}", 0.5f64), "0");
        assert_eq!(format!("{:.0}", 2.5f64), "2");
        assert_eq!(python_sci(0.125, 1), "1.2e-01");
    }
}
