//! Real corpora: `prepare` against nanoGPT-style Python tiktoken, memory-mapped token files against
//! the book's `GPTDatasetV1` + `DataLoader` in live PyTorch, and clear errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use token_embeddings::data::{DataLoader, GptDatasetV1, LoaderOptions, TokenFile, TokenFileInfo};
use token_embeddings::random::manual_seed;
use token_embeddings::reference::run_script;

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_token-embeddings")).args(args).output().expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_fails(output: &Output, needle: &str) {
    let err = stderr(output);
    assert!(!output.status.success(), "expected a failure, stderr: {err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("corpora").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn verdict() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/the-verdict.txt")).unwrap()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Three documents where splitting is delicate, plus the story.
fn write_documents(dir: &Path) -> Vec<PathBuf> {
    let texts = [
        ("verdict.txt", verdict()),
        (
            "adversarial.txt",
            format!(
                "{}{}{}{}{}",
                "word  \n\n   word\t\t\r\n".repeat(50),
                "x".repeat(5000),
                " It's they'll 'em  123 4567 ...!!! ".repeat(40),
                "中文 \u{a0} éé\u{3000}🦀 <|endoftext|> ".repeat(30),
                "   \n\n"
            ),
        ),
        ("no-spaces.txt", "NoSpacesAnywhere,just.punctuation;and-words".repeat(200)),
    ];
    texts
        .into_iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        })
        .collect()
}

#[test]
fn prepare_writes_the_ids_python_tiktoken_gives() {
    let dir = temp_dir("prepare");
    let docs = write_documents(&dir);
    let python = run_script("corpora.py", &["prepare", s(&docs[0]), s(&docs[1]), s(&docs[2])], None).unwrap();

    // Default parts, and tiny parts (many parts and many streaming rounds per document).
    for (name, part_bytes) in [("default.bin", None), ("tiny-parts.bin", Some("64"))] {
        let out = dir.join(name);
        let mut args = vec!["prepare", "--text", s(&docs[0]), "--text", s(&docs[1]), "--text", s(&docs[2])];
        args.extend(["--out", s(&out)]);
        if let Some(bytes) = part_bytes {
            args.extend(["--part-bytes", bytes]);
        }
        let output = cli(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        assert!(output.stderr.is_empty(), "no progress bar when stderr is not a terminal: {}", stderr(&output));
        let info = TokenFileInfo::read(&out).unwrap();
        assert_eq!(info.tokens, python["tokens"].as_u64().unwrap(), "{name}");
        assert_eq!(info.sha256, python["sha256"].as_str().unwrap(), "{name}");
        assert_eq!(info.documents, 3);
        assert_eq!(info.tokenizer, "gpt2");
        assert_eq!(info.dtype.name(), "uint16");
        assert_eq!(info.sources.iter().map(|d| d.tokens).sum::<u64>(), info.tokens);
        // The first document is the story: its 5145 ids, then <|endoftext|>.
        assert_eq!(info.sources[0].tokens, 5146);
        let file = TokenFile::open(&out).unwrap();
        assert_eq!(file.get(5145), 50256);
        let head: Vec<i64> = serde_json::from_value(python["head"].clone()).unwrap();
        assert_eq!(file.to_vec_i64()[..8], head[..]);
        // The sidecar's sha256 is the file's.
        let bytes = std::fs::read(&out).unwrap();
        use sha2::{Digest, Sha256};
        assert_eq!(format!("{:x}", Sha256::digest(&bytes)), info.sha256);
    }
}

/// `batches --tokens FILE --summary` and the book's loader over the same ids.
fn compare_loaders(tokens: &Path, batch: &str, length: &str, stride: &str, extra_rust: &[&str], extra_py: &[&str]) {
    let mut args = vec!["batches", "--tokens", s(tokens), "--batch-size", batch, "--max-length", length];
    args.extend(["--stride", stride, "--summary"]);
    args.extend(extra_rust);
    let output = cli(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let ours: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut py_args = vec!["loader", "--tokens", s(tokens), "--batch-size", batch, "--max-length", length];
    py_args.extend(["--stride", stride]);
    py_args.extend(extra_py);
    let mut book = run_script("corpora.py", &py_args, None).unwrap();
    book.as_object_mut().unwrap().remove("torch_version");
    assert_eq!(ours, book, "{args:?}");
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 1);
}

#[test]
fn memory_mapped_batches_equal_the_books_loader() {
    let dir = temp_dir("loader");
    let docs = write_documents(&dir);
    let out = dir.join("corpus.bin");
    let output = cli(&["prepare", "--text", s(&docs[0]), "--text", s(&docs[1]), "--out", s(&out)]);
    assert!(output.status.success(), "{}", stderr(&output));

    compare_loaders(&out, "8", "16", "1", &["--seed", "123"], &["--seed", "123"]);
    compare_loaders(&out, "4", "256", "128", &["--seed", "7"], &["--seed", "7"]);
    compare_loaders(
        &out,
        "5",
        "32",
        "3",
        &["--shuffle", "false", "--drop-last", "false"],
        &["--no-shuffle", "--keep-last"],
    );
}

#[test]
fn mapped_and_in_memory_ids_give_the_same_batches() {
    let dir = temp_dir("same-batches");
    let docs = write_documents(&dir);
    let out = dir.join("corpus.bin");
    let output = cli(&["prepare", "--text", s(&docs[1]), "--text", s(&docs[0]), "--out", s(&out), "--threads", "1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let options = LoaderOptions { batch_size: 3, shuffle: true, drop_last: false };
    let summary = |dataset: GptDatasetV1| {
        manual_seed(99);
        DataLoader::new(dataset, options).unwrap().summary().unwrap()
    };
    let mapped = GptDatasetV1::open_token_file(&out, 64, 5).unwrap();
    assert!(mapped.is_memory_mapped());
    let ids = TokenFile::open(&out).unwrap().to_vec_i64();
    let in_memory = GptDatasetV1::from_token_ids(ids, 64, 5).unwrap();
    assert_eq!(mapped.len(), in_memory.len());
    assert_eq!(mapped.window(17), in_memory.window(17));
    assert_eq!(summary(mapped), summary(in_memory));
}

#[test]
fn bad_corpora_are_clear_errors() {
    let dir = temp_dir("errors");
    let out = dir.join("out.bin");
    // The words every reader uses (text::io_error).
    assert_fails(
        &cli(&["prepare", "--text", "/nonexistent/a.txt", "--out", s(&out)]),
        "/nonexistent/a.txt: no such file",
    );
    assert_fails(&cli(&["prepare", "--text", s(&dir), "--out", s(&out)]), "it is a directory, not a file");
    assert!(!out.exists());

    let latin1 = dir.join("latin1.txt");
    std::fs::write(&latin1, b"caf\xe9 au lait").unwrap();
    assert_fails(
        &cli(&["prepare", "--text", s(&latin1), "--out", s(&out)]),
        "latin1.txt is not valid UTF-8: byte 0xe9 at byte offset 3",
    );
    assert!(!out.exists() && !dir.join("out.bin.partial").exists(), "nothing half-written");

    assert_fails(&cli(&["prepare", "--out", s(&out)]), "--text");
    let text = dir.join("t.txt");
    std::fs::write(&text, "a b c").unwrap();
    assert_fails(&cli(&["prepare", "--text", s(&text), "--out", s(&text)]), "also an input");

    assert_fails(
        &cli(&["prepare", "--text", s(&text), "--out", "/nonexistent/dir/out.bin"]),
        "creating /nonexistent/dir/out.bin.partial: its folder does not exist",
    );
    assert_fails(&cli(&["batches", "--tokens", "/nonexistent/t.bin", "--summary"]), "/nonexistent/t.bin: no such file");
    assert_fails(&cli(&["batches", "--tokens", s(&dir), "--summary"]), "it is a directory, not a file");
    let odd = dir.join("odd.bin");
    std::fs::write(&odd, [1u8, 2, 3]).unwrap();
    assert_fails(&cli(&["batches", "--tokens", s(&odd)]), "not a whole number of uint16 ids");
    let short = dir.join("short.bin");
    std::fs::write(&short, [1u8, 0, 2, 0]).unwrap();
    assert_fails(&cli(&["batches", "--tokens", s(&short), "--max-length", "4"]), "too short");
    assert_fails(&cli(&["batches", "--tokens", s(&short), "--text", s(&text)]), "cannot be used with");
}

#[test]
fn shards_prepared_apart_concatenate_to_one_prepare() {
    // What the README promises for corpora beyond one machine: one token file per input, made
    // anywhere, read in order, equals one `prepare` over all inputs in that order.
    let dir = temp_dir("shards");
    let docs = write_documents(&dir);
    let whole = dir.join("whole.bin");
    let mut args = vec!["prepare", "--out", s(&whole)];
    docs.iter().for_each(|doc| args.extend(["--text", s(doc)]));
    assert!(cli(&args).status.success());
    let mut joined = Vec::new();
    for (i, doc) in docs.iter().enumerate() {
        let shard = dir.join(format!("shard-{i:04}.bin"));
        assert!(cli(&["prepare", "--text", s(doc), "--out", s(&shard), "--quiet"]).status.success());
        joined.extend(std::fs::read(&shard).unwrap());
    }
    assert_eq!(joined, std::fs::read(&whole).unwrap());
}
