//! The notebooks in `notebooks/` run top to bottom through the real Rust (evcxr) kernel and print
//! what their committed outputs show.
//!
//! Each test runs `tests/run_notebook.py` (nbclient, kernel `rust`, no cell may fail) and then
//! (a) compares every code cell's text outputs, and the mime types of its displays, with the
//! outputs saved in the committed `.ipynb`, and (b) snapshots them in `snapshots/`. A notebook
//! that stops running, or prints something else, fails.
//!
//! Needs `make setup` (the venv with Jupyter and the registered `rust` kernel). The notebooks
//! share one evcxr build folder (`target/evcxr`), so the tests take turns. The first run compiles
//! the crate for the kernel (a few minutes); later runs take well under a minute per notebook.
//! To refresh a notebook's saved outputs after a deliberate change:
//! `.venv/bin/python tests/run_notebook.py notebooks/NAME.ipynb --write`, then
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test --test notebooks`).

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use serde_json::{json, Value};
use token_embeddings::reference::python;

/// One kernel build folder for all notebooks: one notebook at a time.
static KERNEL: Mutex<()> = Mutex::new(());

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The comparable outputs of each code cell of a notebook's JSON, in the form that
/// `run_notebook.py` prints: stream text (consecutive pieces of one stream joined), and for
/// display and execute results the sorted mime types and the `text/plain` part.
fn saved_outputs(notebook: &Value) -> Vec<Value> {
    let text = |v: &Value| -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Array(lines) => lines.iter().filter_map(Value::as_str).collect(),
            _ => String::new(),
        }
    };
    let mut cells = Vec::new();
    for (index, cell) in notebook["cells"].as_array().expect("a notebook has cells").iter().enumerate() {
        if cell["cell_type"] != "code" {
            continue;
        }
        let mut outputs: Vec<Value> = Vec::new();
        for out in cell["outputs"].as_array().into_iter().flatten() {
            match out["output_type"].as_str() {
                Some("stream") => {
                    let piece = text(&out["text"]);
                    match outputs.last_mut() {
                        Some(last) if last["type"] == "stream" && last["name"] == out["name"] => {
                            let joined = format!("{}{piece}", last["text"].as_str().unwrap_or(""));
                            last["text"] = Value::String(joined);
                        }
                        _ => outputs.push(json!({"type": "stream", "name": out["name"], "text": piece})),
                    }
                }
                Some("display_data" | "execute_result") => {
                    let data = out["data"].as_object().cloned().unwrap_or_default();
                    let mut mime: Vec<&String> = data.keys().collect();
                    mime.sort();
                    let plain = data.get("text/plain").map(text).unwrap_or_default();
                    outputs.push(json!({"type": "display", "mime": mime, "text": plain}));
                }
                Some("error") => outputs.push(json!({
                    "type": "error",
                    "text": format!("{}: {}", out["ename"].as_str().unwrap_or(""), out["evalue"].as_str().unwrap_or("")),
                })),
                _ => {}
            }
        }
        cells.push(json!({"index": index, "outputs": outputs}));
    }
    cells
}

/// The outputs as one readable text, for the snapshot: a header per code cell, then its
/// outputs (displays marked with their mime types).
fn render(cells: &[Value]) -> String {
    let mut text = String::new();
    for cell in cells {
        text.push_str(&format!("── cell {} ──\n", cell["index"]));
        for out in cell["outputs"].as_array().into_iter().flatten() {
            let body = out["text"].as_str().unwrap_or("");
            match out["type"].as_str() {
                Some("display") => {
                    let mime: Vec<&str> =
                        out["mime"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                    text.push_str(&format!("[display: {}]\n{body}\n", mime.join(", ")));
                }
                Some("stream") if out["name"] != "stdout" => {
                    text.push_str(&format!("[{}]\n{body}", out["name"].as_str().unwrap_or("?")));
                }
                _ => text.push_str(body),
            }
        }
    }
    text
}

fn check_notebook(file: &str, snapshot: &str) {
    let _turn = KERNEL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let path = root().join("notebooks").join(file);
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display())),
    )
    .unwrap_or_else(|err| panic!("{} is not valid JSON: {err}", path.display()));
    let saved = saved_outputs(&committed);

    let output = Command::new(python())
        .arg(root().join("tests/run_notebook.py"))
        .arg(&path)
        .current_dir(root())
        .output()
        .unwrap_or_else(|err| panic!("cannot run {} ({err}); run `make setup` first", python().display()));
    assert!(
        output.status.success(),
        "{file} did not run through ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let ran: Value = serde_json::from_slice(&output.stdout).expect("run_notebook.py prints JSON");
    let ran = ran["cells"].as_array().expect("a cells list").clone();

    // (a) what the notebook prints now is what its committed outputs show, cell by cell.
    assert_eq!(ran.len(), saved.len(), "{file}: the run and the committed notebook have different code cells");
    for (now, before) in ran.iter().zip(&saved) {
        assert!(
            now == before,
            "{file}, cell {}: the output differs from the committed notebook's.\nnow:\n{}\ncommitted:\n{}\n\
             (after a deliberate change: .venv/bin/python tests/run_notebook.py notebooks/{file} --write)",
            now["index"],
            render(std::slice::from_ref(now)),
            render(std::slice::from_ref(before)),
        );
    }

    // (b) and it is the reviewed snapshot.
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(snapshot, render(&ran));
    });
}

#[test]
fn notebook_01_tokenizing_text() {
    check_notebook("01-tokenizing-text.ipynb", "notebook_01_tokenizing_text");
}

#[test]
fn notebook_02_data_sampling() {
    check_notebook("02-data-sampling.ipynb", "notebook_02_data_sampling");
}

#[test]
fn notebook_03_token_embeddings() {
    check_notebook("03-token-embeddings.ipynb", "notebook_03_token_embeddings");
}

#[test]
fn notebook_04_positional_embeddings() {
    check_notebook("04-positional-embeddings.ipynb", "notebook_04_positional_embeddings");
}

#[test]
fn notebook_05_embedding_vs_one_hot() {
    check_notebook("05-embedding-vs-one-hot.ipynb", "notebook_05_embedding_vs_one_hot");
}

#[test]
fn notebook_06_bpe_from_scratch() {
    check_notebook("06-bpe-from-scratch.ipynb", "notebook_06_bpe_from_scratch");
}

#[test]
fn notebook_07_training_embeddings() {
    check_notebook("07-training-embeddings.ipynb", "notebook_07_training_embeddings");
}

#[test]
fn notebook_08_positional_encodings() {
    check_notebook("08-positional-encodings.ipynb", "notebook_08_positional_encodings");
}

#[test]
fn saved_outputs_join_streams_and_list_mime_types() {
    let notebook = json!({"cells": [
        {"cell_type": "markdown", "source": "# title"},
        {"cell_type": "code", "outputs": [
            {"output_type": "stream", "name": "stdout", "text": ["a\n", "b\n"]},
            {"output_type": "stream", "name": "stdout", "text": "c\n"},
            {"output_type": "execute_result", "data": {"text/plain": ["tensor([1])"], "text/html": "<table/>"}},
        ]},
    ]});
    let cells = saved_outputs(&notebook);
    assert_eq!(
        cells,
        [json!({"index": 1, "outputs": [
            {"type": "stream", "name": "stdout", "text": "a\nb\nc\n"},
            {"type": "display", "mime": ["text/html", "text/plain"], "text": "tensor([1])"},
        ]})]
    );
    assert_eq!(render(&cells), "── cell 1 ──\na\nb\nc\n[display: text/html, text/plain]\ntensor([1])\n");
}
