//! The README's snippets work as written. Its Rust blocks are doc tests (see `src/lib.rs`); this
//! runs its Python blocks with the venv's Python and checks each printed line against the
//! comment under the `print` that promises it (`# <value>, ...`).

use std::process::Command;

use token_embeddings::reference::python;

/// The fenced blocks of `lang` in a Markdown text.
fn blocks<'a>(markdown: &'a str, lang: &str) -> Vec<&'a str> {
    let fence = format!("```{lang}\n");
    let mut out = Vec::new();
    let mut rest = markdown;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```").expect("a closed fence");
        out.push(&body[..end]);
        rest = &body[end..];
    }
    out
}

#[test]
fn every_python_snippet_runs_and_prints_what_it_says() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let snippets = blocks(&readme, "python");
    assert!(!snippets.is_empty(), "the README has the hash recipe in Python");
    for snippet in snippets {
        let output = Command::new(python()).args(["-c", snippet]).output().expect("the venv's Python runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{snippet}\n{stderr}");
        // The promised values: comment lines that start with a value, up to the first comma.
        let promised: Vec<&str> =
            snippet.lines().filter_map(|l| l.strip_prefix("# ")).map(|l| l.split(',').next().unwrap().trim()).collect();
        let printed: Vec<&str> = std::str::from_utf8(&output.stdout).unwrap().lines().collect();
        assert_eq!(printed, promised, "{snippet}");
    }
}

#[test]
fn the_hash_recipe_gives_what_embed_json_prints() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_token-embeddings")).args(["embed", "--json"]).output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let hash = json["weight"]["sha256"].as_str().unwrap();
    assert!(blocks(&readme, "python").iter().any(|b| b.contains(hash)), "{hash} in the README's recipe");
}
