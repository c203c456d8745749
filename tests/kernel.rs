//! The notebooks' kernel works however Jupyter finds it (issue 7, fault 5): from a fresh kernel
//! spec, and again after evcxr_jupyter rewrote a spec that had no `version.txt`, with neither
//! `LD_LIBRARY_PATH` nor `LIBTORCH` in the environment. The cells find libtorch through the rpath
//! that `notebooks/evcxr.toml` gives them.
//!
//! Needs the venv with Jupyter and `evcxr_jupyter` (`make setup`); shares `target/evcxr` with
//! `tests/notebooks.rs` (cargo runs test binaries one after another).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use token_embeddings::reference::python;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn evcxr_jupyter() -> PathBuf {
    let home = std::env::var_os("HOME").expect("HOME is set");
    PathBuf::from(home).join(".cargo/bin/evcxr_jupyter")
}

/// A two-cell notebook: the crate as the notebooks load it, and a tensor printed through libtorch.
fn small_notebook(dir: &Path) -> PathBuf {
    let cell = |source: &str| serde_json::json!({"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": source});
    let notebook = serde_json::json!({
        "cells": [
            cell(":dep token-embeddings = { path = \"..\", features = [\"plots\"] }"),
            cell("use token_embeddings::printing::PyTorchPrint;\nprintln!(\"{}\", token_embeddings::tch::Tensor::from_slice(&[1i64, 2, 3]).pytorch());"),
        ],
        "metadata": {"kernelspec": {"display_name": "Rust", "language": "rust", "name": "rust"}},
        "nbformat": 4,
        "nbformat_minor": 5
    });
    let path = dir.join("kernel-check.ipynb");
    std::fs::write(&path, serde_json::to_string_pretty(&notebook).unwrap()).unwrap();
    path
}

/// Runs the notebook with Jupyter looking in `jupyter_path` first, without libtorch's variables.
fn run_notebook(jupyter_path: &Path, notebook: &Path) -> Output {
    Command::new(python())
        .arg(root().join("tests/run_notebook.py"))
        .arg(notebook)
        .env("JUPYTER_PATH", jupyter_path)
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("LIBTORCH")
        .output()
        .expect("the venv's Python runs")
}

fn assert_prints_the_tensor(output: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{what}: {stderr}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["cells"][1]["outputs"][0]["text"], "tensor([1, 2, 3])\n", "{what}: {json}");
}

#[test]
fn the_kernel_runs_from_a_fresh_spec_and_after_evcxr_rewrote_it() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kernel-check");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let notebook = small_notebook(&dir);

    // 1. The spec as `make kernel` registers it: evcxr_jupyter --install into a fresh folder.
    let fresh = dir.join("fresh");
    let status = Command::new(evcxr_jupyter())
        .arg("--install")
        .env("JUPYTER_PATH", &fresh)
        .output()
        .expect("evcxr_jupyter is installed (make setup)");
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let spec = fresh.join("kernels/rust/kernel.json");
    assert!(!std::fs::read_to_string(&spec).unwrap().contains("\"env\""), "the spec needs no environment");
    assert_prints_the_tensor(&run_notebook(&fresh, &notebook), "fresh spec");

    // 2. The case: a spec without version.txt (what the old Makefile wrote). evcxr_jupyter
    //    "updates" it on its first start, dropping anything of ours; both runs must work.
    let old = dir.join("old");
    std::fs::create_dir_all(old.join("kernels/rust")).unwrap();
    let argv = serde_json::json!([evcxr_jupyter(), "--control_file", "{connection_file}"]);
    let old_spec =
        serde_json::json!({"argv": argv, "display_name": "Rust", "language": "rust", "interrupt_mode": "message"});
    std::fs::write(old.join("kernels/rust/kernel.json"), old_spec.to_string()).unwrap();
    assert_prints_the_tensor(&run_notebook(&old, &notebook), "spec without version.txt, first run");
    assert!(old.join("kernels/rust/version.txt").exists(), "evcxr_jupyter rewrote the spec");
    assert_prints_the_tensor(&run_notebook(&old, &notebook), "the spec evcxr_jupyter rewrote, second run");
}
