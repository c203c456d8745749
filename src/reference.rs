//! The live PyTorch side: runs `tests/reference/chapter2.py` (the book's code on real PyTorch)
//! with the repository's virtual environment and reads its JSON.
//!
//! Python is found at `$TOKEN_EMBEDDINGS_PYTHON`, else at `.venv/bin/python` in this crate's
//! folder (made by `make python`). A missing or wrong PyTorch is a [`PyTorchMissing`] error, so
//! the CLI can tell it apart (exit status 2) and say which Python it found and the command that
//! fixes it.
//!
//! The scripts run in this crate's folder, not in the caller's: every path handed to them is
//! made absolute first ([`resolve_path`]; [`walkthrough`] and [`ops`] do it themselves).

use std::fmt;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The PyTorch version tch 0.26 is built for; both sides must run the same libtorch.
pub const PYTORCH_VERSION: &str = "2.13.0";
/// What sets the reference's Python up from scratch (the venv with torch and the book's package;
/// `make setup` also builds the notebook kernel, which the reference does not need).
pub const SETUP_COMMAND: &str = "make python";

/// PyTorch (the venv's Python with torch 2.13.0) could not be used.
#[derive(Debug)]
pub struct PyTorchMissing(pub String);

impl fmt::Display for PyTorchMissing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The command that installs the reference's packages into `python`: `make python` for this
/// crate's own venv, pip for a Python chosen with `TOKEN_EMBEDDINGS_PYTHON`.
fn install_hint(python: &Path, what: &str) -> String {
    if std::env::var_os("TOKEN_EMBEDDINGS_PYTHON").is_some() {
        format!(
            "run `{} -m pip install {what}` (or unset TOKEN_EMBEDDINGS_PYTHON to use this crate's venv)",
            python.display()
        )
    } else {
        format!("run `cd {} && {SETUP_COMMAND}`", crate_dir().display())
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
        let python = python();
        return Err(PyTorchMissing(format!(
            "{} has torch {version}, but tch 0.26 needs {PYTORCH_VERSION}; run `{} -m pip install torch=={PYTORCH_VERSION}`",
            python.display(),
            python.display()
        ))
        .into());
    }
    Ok(())
}

/// `path` as an absolute path for a script that runs in another folder: relative paths are
/// taken from the caller's current folder (symbolic links resolved when the file exists).
pub fn resolve_path(path: &Path) -> Result<String> {
    let absolute = std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .with_context(|| format!("resolving the path {}", path.display()))?;
    absolute
        .into_os_string()
        .into_string()
        .map_err(|raw| anyhow::anyhow!("the path {} is not valid UTF-8", raw.to_string_lossy()))
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
    let input = input_file(stdin.unwrap_or("")).context("writing the PyTorch reference's input")?;
    let output = Command::new(&python)
        .arg(script_named(name))
        .args(args)
        .current_dir(crate_dir())
        .stdin(Stdio::from(input))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|err| {
            let fix = if std::env::var_os("TOKEN_EMBEDDINGS_PYTHON").is_some() {
                "point TOKEN_EMBEDDINGS_PYTHON at a Python with torch, or unset it to use this crate's venv".to_owned()
            } else {
                format!("run `cd {} && {SETUP_COMMAND}`", crate_dir().display())
            };
            PyTorchMissing(format!("cannot run the Python {} ({err}); {fix}", python.display()))
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        // A Python traceback ends with the exception; the scripts' own messages are one line.
        let last = stderr.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("no message");
        for module in ["torch", "tiktoken", "llms_from_scratch"] {
            if stderr.contains(&format!("No module named '{module}'")) {
                let package = if module == "llms_from_scratch" { "llms-from-scratch --no-deps" } else { module };
                return Err(PyTorchMissing(format!(
                    "{} cannot import {module} ({last}); {}",
                    python.display(),
                    install_hint(&python, package)
                ))
                .into());
            }
        }
        bail!("the PyTorch reference {name} failed ({}): {last}", output.status);
    }
    let result: Value = serde_json::from_slice(&output.stdout).context("reading the PyTorch reference's JSON")?;
    check_version(result["torch_version"].as_str().unwrap_or("unknown"))?;
    Ok(result)
}

/// The script's input as an unlinked temporary file rather than a pipe: a script that stops early
/// cannot make the writer fail (or kill the CLI, which ends on SIGPIPE as Unix tools do).
fn input_file(text: &str) -> std::io::Result<std::fs::File> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let name =
        format!("token-embeddings-{}-{}-{nanos}.json", std::process::id(), COUNT.fetch_add(1, Ordering::Relaxed));
    let path = std::env::temp_dir().join(name);
    let mut file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path)?;
    let _ = std::fs::remove_file(&path);
    file.write_all(text.as_bytes())?;
    file.rewind()?;
    Ok(file)
}

/// `chapter2.py walkthrough [--text PATH]`: the chapter's printed steps and tensors in PyTorch.
/// A relative `text_path` is taken from the caller's current folder.
pub fn walkthrough(text_path: Option<&Path>) -> Result<Value> {
    match text_path {
        Some(path) => run(&["walkthrough", "--text", &resolve_path(path)?], None),
        None => run(&["walkthrough"], None),
    }
}

/// `chapter2.py ops`: performs a list of operations in one PyTorch process (so the default
/// generator's stream carries from one to the next) and returns one result per operation.
/// Values under keys that end in `_file`, `_path` or `_dir` are paths: relative ones are taken
/// from the caller's current folder.
pub fn ops(ops: &Value) -> Result<Vec<Value>> {
    let mut ops = ops.clone();
    resolve_paths_in(&mut ops)?;
    let result = run(&["ops"], Some(&ops.to_string()))?;
    match result.get("results") {
        Some(Value::Array(results)) => Ok(results.clone()),
        _ => bail!("the PyTorch reference returned no results list"),
    }
}

/// Makes every path in a JSON value absolute (see [`ops`]).
fn resolve_paths_in(value: &mut Value) -> Result<()> {
    match value {
        Value::Array(items) => items.iter_mut().try_for_each(resolve_paths_in),
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match item {
                    Value::String(path) if ["_file", "_path", "_dir"].iter().any(|end| key.ends_with(end)) => {
                        *path = resolve_path(Path::new(path.as_str()))?;
                    }
                    other => resolve_paths_in(other)?,
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_resolved_from_the_current_folder() {
        let here = std::env::current_dir().unwrap();
        assert_eq!(resolve_path(Path::new("Cargo.toml")).unwrap(), here.join("Cargo.toml").to_str().unwrap());
        // A path that does not exist (yet) is still made absolute, for the script to report.
        assert_eq!(resolve_path(Path::new("no/such.txt")).unwrap(), here.join("no/such.txt").to_str().unwrap());
        let mut ops = serde_json::json!([{"op": "loader", "text_file": "a.txt", "numbers": 5, "out": {"x_dir": "d"}}]);
        resolve_paths_in(&mut ops).unwrap();
        assert_eq!(ops[0]["text_file"], here.join("a.txt").to_str().unwrap());
        assert_eq!(ops[0]["out"]["x_dir"], here.join("d").to_str().unwrap());
        assert_eq!(ops[0]["numbers"], 5);
    }
}
