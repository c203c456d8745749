//! The live PyTorch side: runs `tests/reference/chapter2.py` (the book's code on real PyTorch)
//! with the repository's virtual environment and reads its JSON.
//!
//! Python is found at `$TOKEN_EMBEDDINGS_PYTHON`, else at `.venv/bin/python` in this crate's
//! folder (made by `make setup`). A missing or wrong PyTorch is a [`PyTorchMissing`] error, so
//! the CLI can tell it apart (exit status 2) and say how to set it up.

use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The PyTorch version tch 0.26 is built for; both sides must run the same libtorch.
pub const PYTORCH_VERSION: &str = "2.13.0";
/// What sets the reference up from scratch.
pub const SETUP_COMMAND: &str = "make setup";

/// PyTorch (the venv's Python with torch 2.13.0) could not be used.
#[derive(Debug)]
pub struct PyTorchMissing(pub String);

impl fmt::Display for PyTorchMissing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; run `{SETUP_COMMAND}` in {} to install torch=={PYTORCH_VERSION}", self.0, crate_dir().display())
    }
}

impl std::error::Error for PyTorchMissing {}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Python interpreter that has the reference's PyTorch.
pub fn python() -> PathBuf {
    std::env::var_os("TOKEN_EMBEDDINGS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir().join(".venv/bin/python"))
}

/// The chapter's reference script.
pub fn script() -> PathBuf {
    script_named("chapter2.py")
}

/// A reference script in `tests/reference/` (one per area: `chapter2.py`, and one file for each
/// topic beyond the chapter).
pub fn script_named(name: &str) -> PathBuf {
    crate_dir().join("tests/reference").join(name)
}

/// Wheels report e.g. "2.13.0+cu130": the local part names the build, not the version.
fn check_version(version: &str) -> Result<()> {
    if version.split('+').next() != Some(PYTORCH_VERSION) {
        return Err(PyTorchMissing(format!(
            "{} has torch {version}, but tch 0.26 needs {PYTORCH_VERSION}",
            python().display()
        ))
        .into());
    }
    Ok(())
}

/// Runs the chapter's reference with `args`, feeding `stdin`, and parses the one JSON object it
/// prints. The reference reports its torch version, which must be the one tch links.
pub fn run(args: &[&str], stdin: Option<&str>) -> Result<Value> {
    run_script("chapter2.py", args, stdin)
}

/// Runs the reference script `name` (in `tests/reference/`) as [`run`] runs the chapter's. Every
/// script prints one JSON object with a `torch_version` key.
pub fn run_script(name: &str, args: &[&str], stdin: Option<&str>) -> Result<Value> {
    let python = python();
    let mut child = Command::new(&python)
        .arg(script_named(name))
        .args(args)
        .current_dir(crate_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| PyTorchMissing(format!("cannot run {}: {err}", python.display())))?;
    {
        let mut input = child.stdin.take().expect("stdin is piped");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).context("writing to the PyTorch reference")?;
        }
    }
    let output = child.wait_with_output().context("waiting for the PyTorch reference")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("No module named 'torch'") || stderr.contains("No module named 'tiktoken'") {
            let last = stderr.lines().last().unwrap_or("no output");
            return Err(PyTorchMissing(format!("{} cannot import torch ({last})", python.display())).into());
        }
        bail!("the PyTorch reference failed ({}): {}", output.status, stderr.trim());
    }
    let result: Value = serde_json::from_slice(&output.stdout).context("reading the PyTorch reference's JSON")?;
    check_version(result["torch_version"].as_str().unwrap_or("unknown"))?;
    Ok(result)
}

/// `chapter2.py walkthrough [--text PATH]`: the chapter's printed steps and tensors in PyTorch.
pub fn walkthrough(text_path: Option<&std::path::Path>) -> Result<Value> {
    match text_path {
        Some(path) => {
            let path = path.to_str().context("the text path is not valid UTF-8")?;
            run(&["walkthrough", "--text", path], None)
        }
        None => run(&["walkthrough"], None),
    }
}

/// `chapter2.py ops`: performs a list of operations in one PyTorch process (so the default
/// generator's stream carries from one to the next) and returns one result per operation.
pub fn ops(ops: &Value) -> Result<Vec<Value>> {
    let result = run(&["ops"], Some(&ops.to_string()))?;
    match result.get("results") {
        Some(Value::Array(results)) => Ok(results.clone()),
        _ => bail!("the PyTorch reference returned no results list"),
    }
}
