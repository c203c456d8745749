//! Print options, as `torch.set_printoptions` has them (`torch/_tensor_str.py`, PyTorch 2.13).
//!
//! Three forms, as in Python and one more for Rust:
//! - a value, [`PrintOptions`], passed to one print ([`Printed::with_options`](super::Printed::with_options),
//!   [`tensor_repr_with`](super::tensor_repr_with));
//! - process-wide, [`set_printoptions`] and [`get_printoptions`], with Python's rules: a profile first,
//!   then the values given, and `sci_mode` back to automatic when the call does not give it;
//! - scoped to a closure on the current thread, [`printoptions`] (Python's `with torch.printoptions(...)`)
//!   and [`with_printoptions`]; tests running in parallel threads do not see each other's scopes.
//!
//! ```
//! use token_embeddings::printing::{printoptions, PyTorchPrint, SetPrintOptions};
//! use token_embeddings::tch::Tensor;
//! let t = Tensor::from_slice(&[1.12345f64]);
//! let text = printoptions(SetPrintOptions::new().precision(2), || t.pytorch().to_string());
//! assert_eq!(text, "tensor([1.12], dtype=torch.float64)");
//! ```

use std::cell::Cell;
use std::fmt;
use std::str::FromStr;
use std::sync::RwLock;

use anyhow::{bail, Context, Result};

/// The options PyTorch's printer reads (`torch._tensor_str.PRINT_OPTS`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrintOptions {
    /// Digits after the decimal point of floating-point elements (default 4).
    pub precision: usize,
    /// Tensors with more elements than this are summarised with `...` (default 1000; `f64::INFINITY`
    /// never summarises). A float, as in Python, so that `full` can be infinite.
    pub threshold: f64,
    /// Items kept at the start and at the end of each summarised dimension (default 3).
    pub edgeitems: usize,
    /// Characters per line before elements wrap and suffixes move to a new line (default 80).
    pub linewidth: usize,
    /// `Some(true)`: always scientific notation; `Some(false)`: never; `None` (default): PyTorch
    /// decides per tensor (ratio of largest to smallest magnitude above 1000, or values above 1e8
    /// or below 1e-4).
    pub sci_mode: Option<bool>,
}

/// `torch.set_printoptions(profile=...)`: named sets of the four numeric options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// precision 4, threshold 1000, edgeitems 3, linewidth 80.
    Default,
    /// precision 2, threshold 1000, edgeitems 2, linewidth 80.
    Short,
    /// precision 4, threshold infinite (never summarise), edgeitems 3, linewidth 80.
    Full,
}

impl Profile {
    /// Python's name of the profile.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Short => "short",
            Profile::Full => "full",
        }
    }
}

impl FromStr for Profile {
    type Err = anyhow::Error;

    fn from_str(name: &str) -> Result<Self> {
        Ok(match name {
            "default" => Profile::Default,
            "short" => Profile::Short,
            "full" => Profile::Full,
            other => bail!("unknown print profile {other:?}: use default, short or full"),
        })
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PrintOptions {
    /// PyTorch's defaults (the `default` profile, automatic `sci_mode`).
    pub const DEFAULT: PrintOptions =
        PrintOptions { precision: 4, threshold: 1000.0, edgeitems: 3, linewidth: 80, sci_mode: None };
    /// The `short` profile.
    pub const SHORT: PrintOptions =
        PrintOptions { precision: 2, threshold: 1000.0, edgeitems: 2, linewidth: 80, sci_mode: None };
    /// The `full` profile: nothing is summarised.
    pub const FULL: PrintOptions =
        PrintOptions { precision: 4, threshold: f64::INFINITY, edgeitems: 3, linewidth: 80, sci_mode: None };

    /// The options of a profile, with automatic `sci_mode`.
    pub fn profile(profile: Profile) -> Self {
        match profile {
            Profile::Default => Self::DEFAULT,
            Profile::Short => Self::SHORT,
            Profile::Full => Self::FULL,
        }
    }

    /// These options after `torch.set_printoptions(**call)`: the profile's four values first (if one is
    /// given), then every value given, and `sci_mode` set to the call's (automatic when not given).
    pub fn updated(self, call: &SetPrintOptions) -> Self {
        let mut options = match call.profile {
            // A profile sets the four numbers and leaves sci_mode to the line below.
            Some(profile) => PrintOptions { sci_mode: self.sci_mode, ..Self::profile(profile) },
            None => self,
        };
        if let Some(precision) = call.precision {
            options.precision = precision;
        }
        if let Some(threshold) = call.threshold {
            options.threshold = threshold;
        }
        if let Some(edgeitems) = call.edgeitems {
            options.edgeitems = edgeitems;
        }
        if let Some(linewidth) = call.linewidth {
            options.linewidth = linewidth;
        }
        options.sci_mode = call.sci_mode;
        options
    }

    /// With another precision (the other options unchanged).
    pub fn with_precision(self, precision: usize) -> Self {
        Self { precision, ..self }
    }

    /// With another threshold.
    pub fn with_threshold(self, threshold: f64) -> Self {
        Self { threshold, ..self }
    }

    /// With another number of edge items.
    pub fn with_edgeitems(self, edgeitems: usize) -> Self {
        Self { edgeitems, ..self }
    }

    /// With another line width.
    pub fn with_linewidth(self, linewidth: usize) -> Self {
        Self { linewidth, ..self }
    }

    /// With scientific notation forced on (`Some(true)`), off (`Some(false)`) or automatic (`None`).
    pub fn with_sci_mode(self, sci_mode: Option<bool>) -> Self {
        Self { sci_mode, ..self }
    }
}

impl Default for PrintOptions {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The arguments of one `torch.set_printoptions(...)` call; `None` is an argument not given.
///
/// ```
/// use token_embeddings::printing::{PrintOptions, Profile, SetPrintOptions};
/// // torch.set_printoptions(profile="short", precision=6)
/// let call = SetPrintOptions::new().profile(Profile::Short).precision(6);
/// let options = PrintOptions::DEFAULT.with_sci_mode(Some(true)).updated(&call);
/// assert_eq!(options, PrintOptions { precision: 6, edgeitems: 2, sci_mode: None, ..PrintOptions::DEFAULT });
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SetPrintOptions {
    pub precision: Option<usize>,
    pub threshold: Option<f64>,
    pub edgeitems: Option<usize>,
    pub linewidth: Option<usize>,
    pub profile: Option<Profile>,
    pub sci_mode: Option<bool>,
}

impl SetPrintOptions {
    /// A call without arguments: `torch.set_printoptions()` (which only resets `sci_mode`).
    pub fn new() -> Self {
        Self::default()
    }

    /// `precision=`.
    pub fn precision(self, precision: usize) -> Self {
        Self { precision: Some(precision), ..self }
    }

    /// `threshold=`.
    pub fn threshold(self, threshold: f64) -> Self {
        Self { threshold: Some(threshold), ..self }
    }

    /// `edgeitems=`.
    pub fn edgeitems(self, edgeitems: usize) -> Self {
        Self { edgeitems: Some(edgeitems), ..self }
    }

    /// `linewidth=`.
    pub fn linewidth(self, linewidth: usize) -> Self {
        Self { linewidth: Some(linewidth), ..self }
    }

    /// `profile=`.
    pub fn profile(self, profile: Profile) -> Self {
        Self { profile: Some(profile), ..self }
    }

    /// `sci_mode=`.
    pub fn sci_mode(self, sci_mode: bool) -> Self {
        Self { sci_mode: Some(sci_mode), ..self }
    }

    /// The call that restores `options` exactly (what Python's `printoptions` context manager does
    /// on exit with the dictionary of `get_printoptions()`).
    pub fn restoring(options: &PrintOptions) -> Self {
        Self {
            precision: Some(options.precision),
            threshold: Some(options.threshold),
            edgeitems: Some(options.edgeitems),
            linewidth: Some(options.linewidth),
            profile: None,
            sci_mode: options.sci_mode,
        }
    }
}

static PROCESS: RwLock<PrintOptions> = RwLock::new(PrintOptions::DEFAULT);

thread_local! {
    static SCOPED: Cell<Option<PrintOptions>> = const { Cell::new(None) };
}

/// Where the process-wide options live inside an evcxr notebook (which sets `EVCXR_IS_RUNTIME`).
///
/// evcxr links a copy of this crate into every cell, each with its own statics, so a
/// `set_printoptions` in one cell would not reach the prints of the next; the process's environment
/// is shared by all copies. (Outside evcxr the options stay in a static: changing the environment
/// while other threads may read it is not safe.)
pub const EVCXR_OPTIONS_VAR: &str = "TOKEN_EMBEDDINGS_PRINTOPTIONS";

fn in_evcxr() -> bool {
    std::env::var_os("EVCXR_IS_RUNTIME").is_some()
}

impl PrintOptions {
    /// `precision=4,threshold=1000,edgeitems=3,linewidth=80,sci_mode=None`: the options as text
    /// (`threshold=inf` for the `full` profile), read back by [`PrintOptions::from_text`].
    pub fn to_text(&self) -> String {
        let sci_mode = match self.sci_mode {
            None => "None",
            Some(true) => "True",
            Some(false) => "False",
        };
        format!(
            "precision={},threshold={},edgeitems={},linewidth={},sci_mode={sci_mode}",
            self.precision, self.threshold, self.edgeitems, self.linewidth
        )
    }

    /// Reads what [`PrintOptions::to_text`] writes; options not named keep their defaults.
    pub fn from_text(text: &str) -> Result<Self> {
        let mut options = Self::DEFAULT;
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (key, value) =
                part.split_once('=').with_context(|| format!("print option {part:?} is not key=value"))?;
            let bad = || format!("print option {key} has a bad value {value:?}");
            match key.trim() {
                "precision" => options.precision = value.trim().parse().with_context(bad)?,
                "threshold" => options.threshold = value.trim().parse().with_context(bad)?,
                "edgeitems" => options.edgeitems = value.trim().parse().with_context(bad)?,
                "linewidth" => options.linewidth = value.trim().parse().with_context(bad)?,
                "sci_mode" => {
                    options.sci_mode = match value.trim() {
                        "None" => None,
                        "True" => Some(true),
                        "False" => Some(false),
                        _ => bail!(bad()),
                    }
                }
                other => bail!("unknown print option {other:?}"),
            }
        }
        Ok(options)
    }
}

fn process_options(stored: &PrintOptions) -> PrintOptions {
    if in_evcxr() {
        if let Some(text) = std::env::var_os(EVCXR_OPTIONS_VAR) {
            return text.to_str().and_then(|t| PrintOptions::from_text(t).ok()).unwrap_or(PrintOptions::DEFAULT);
        }
    }
    *stored
}

/// `torch.get_printoptions()`: the options in effect on this thread (the innermost
/// [`printoptions`] scope, else the process-wide ones).
pub fn get_printoptions() -> PrintOptions {
    SCOPED.with(Cell::get).unwrap_or_else(|| process_options(&PROCESS.read().unwrap_or_else(|e| e.into_inner())))
}

/// `torch.set_printoptions(...)`: changes the process-wide options with Python's rules (see
/// [`PrintOptions::updated`]). Inside a [`printoptions`] scope it changes that scope's options
/// instead, which the scope's end undoes, as leaving Python's `with torch.printoptions(...)` does.
/// In an evcxr notebook the options reach the later cells too (see [`EVCXR_OPTIONS_VAR`]).
pub fn set_printoptions(call: SetPrintOptions) -> Result<()> {
    if let Some(scoped) = SCOPED.with(Cell::get) {
        let options = scoped.updated(&call);
        SCOPED.with(|s| s.set(Some(options)));
        return Ok(());
    }
    let mut process = PROCESS.write().unwrap_or_else(|e| e.into_inner());
    let options = process_options(&process).updated(&call);
    *process = options;
    if in_evcxr() {
        std::env::set_var(EVCXR_OPTIONS_VAR, options.to_text());
    }
    Ok(())
}

/// `with torch.printoptions(...)`: runs `f` with the current options updated by `call`, on this
/// thread only, and restores them afterwards (also if `f` panics).
pub fn printoptions<R>(call: SetPrintOptions, f: impl FnOnce() -> R) -> R {
    with_printoptions(get_printoptions().updated(&call), f)
}

/// Runs `f` with exactly `options` on this thread, then restores the previous ones.
pub fn with_printoptions<R>(options: PrintOptions, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<PrintOptions>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SCOPED.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SCOPED.with(|s| s.replace(Some(options))));
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_then_the_values_given_and_sci_mode_reset() {
        let forced = PrintOptions::DEFAULT.with_sci_mode(Some(true)).with_precision(7);
        // torch.set_printoptions(precision=2): the other values stay, sci_mode goes back to None.
        assert_eq!(forced.updated(&SetPrintOptions::new().precision(2)), PrintOptions::DEFAULT.with_precision(2));
        // profile="full", edgeitems=1.
        let full = forced.updated(&SetPrintOptions::new().profile(Profile::Full).edgeitems(1));
        assert_eq!(full, PrintOptions { edgeitems: 1, ..PrintOptions::FULL });
        // A restoring call gives back every value, sci_mode included.
        assert_eq!(PrintOptions::SHORT.updated(&SetPrintOptions::restoring(&forced)), forced);
    }

    #[test]
    fn scopes_nest_and_restore() {
        let outer = get_printoptions();
        printoptions(SetPrintOptions::new().precision(1), || {
            assert_eq!(get_printoptions().precision, 1);
            with_printoptions(PrintOptions::SHORT, || assert_eq!(get_printoptions(), PrintOptions::SHORT));
            set_printoptions(SetPrintOptions::new().linewidth(40)).unwrap();
            assert_eq!(get_printoptions().linewidth, 40);
        });
        assert_eq!(get_printoptions(), outer);
    }

    #[test]
    fn options_read_back_from_text() {
        for options in [
            PrintOptions::FULL,
            PrintOptions::SHORT.with_sci_mode(Some(false)),
            PrintOptions::DEFAULT.with_sci_mode(Some(true)),
        ] {
            assert_eq!(PrintOptions::from_text(&options.to_text()).unwrap(), options);
        }
        assert_eq!(
            PrintOptions::DEFAULT.to_text(),
            "precision=4,threshold=1000,edgeitems=3,linewidth=80,sci_mode=None"
        );
        assert!(PrintOptions::from_text("precision=two").is_err());
        assert!(PrintOptions::from_text("colour=red").is_err());
    }

    #[test]
    fn profiles_parse_by_python_name() {
        assert_eq!("short".parse::<Profile>().unwrap(), Profile::Short);
        assert!("long".parse::<Profile>().is_err());
    }
}
