//! The `token-embeddings` command as a user runs it: outputs, and clear errors with a non-zero
//! exit status (never a panic or a libtorch abort) for bad input.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_token-embeddings")).args(args).output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts a clean failure: the given exit status, an `error:` line mentioning `needle`, no panic.
fn assert_fails(output: &Output, status: i32, needle: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(status), "stderr: {err}");
    assert!(err.starts_with("error: ") && err.contains(needle), "expected {needle:?} in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn walkthrough_prints_the_whole_chapter() {
    let output = cli(&["walkthrough"]);
    assert!(output.status.success(), "{}", stderr(&output));
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("walkthrough_output", stdout(&output));
    });
}

#[test]
fn walkthrough_json_names_the_books_variables() {
    let output = cli(&["walkthrough", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for key in [
        "embedding_layer.weight",
        "token_embedding_layer.weight",
        "pos_embedding_layer.weight",
        "inputs",
        "targets",
        "token_embeddings",
        "pos_embeddings",
        "input_embeddings",
    ] {
        assert!(json[key]["sha256"].as_str().is_some_and(|h| h.len() == 64), "{key}: {}", json[key]);
    }
    // sha256 of PyTorch's torch.manual_seed(123); nn.Embedding(6, 3).weight, from
    // `tests/reference/chapter2.py walkthrough`.
    assert_eq!(
        json["embedding_layer.weight"]["sha256"],
        "2f784467177dbc254fe7edec2d6e4859079bdf6c16cfc308912b52fadf651405"
    );
    assert_eq!(json["input_embeddings"]["shape"], serde_json::json!([8, 4, 256]));
}

#[test]
fn embed_prints_weight_and_lookup() {
    let output = cli(&["embed", "--seed", "123", "--vocab-size", "6", "--dim", "3", "--ids", "2,3,5,1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("cli_embed_seed_123_6x3_ids_2_3_5_1", stdout(&output));
    });
}

#[test]
fn batches_of_number_data_end_as_in_the_book() {
    let numbers = temp_file("numbers.txt", &token_embeddings::data::number_text(1000));
    let path = numbers.to_str().unwrap();
    let args = [
        "batches",
        "--text",
        path,
        "--tokenizer",
        "numbers",
        "--batch-size",
        "2",
        "--max-length",
        "4",
        "--stride",
        "4",
        "--seed",
        "123",
    ];
    let output = cli(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(text.lines().count(), 125 * 3, "125 batches of two rows, each printed on three lines");
    assert!(text.ends_with(
        "[tensor([[880, 881, 882, 883],\n        [112, 113, 114, 115]]), tensor([[881, 882, 883, 884],\n        [113, 114, 115, 116]])]\n"
    ));
}

#[test]
fn tokenize_with_each_tokenizer() {
    assert_eq!(stdout(&cli(&["tokenize", "Akwirw ier"])), "[33901, 86, 343, 86, 220, 959]\n");
    assert_eq!(
        stdout(&cli(&["tokenize", "--tokenizer", "simple-v2", "Hello, do you like tea?"])),
        "[1131, 5, 355, 1126, 628, 975, 10]\n"
    );
    assert_fails(&cli(&["tokenize", "--tokenizer", "simple-v1", "Hello, do"]), 1, "'Hello' is not in the vocabulary");
}

#[test]
fn ids_out_of_range_are_an_error() {
    assert_fails(
        &cli(&["embed", "--vocab-size", "6", "--dim", "3", "--ids", "2,6"]),
        1,
        "token id 6 is out of range at index 1",
    );
    assert_fails(
        &cli(&["embed", "--vocab-size", "6", "--dim", "3", "--ids=-1"]),
        1,
        "token id -1 is out of range at index 0",
    );
}

#[test]
fn options_the_chosen_mode_does_not_read_are_usage_errors() {
    for (args, needle) in [
        (&["tokenize", "--vocab-from", "README.md", "hi"][..], "--vocab-from is for the simple tokenizers"),
        (
            &["decode", "--tokenizer", "gpt2", "--vocab-from", "README.md", "1"],
            "--tokenizer gpt2 has its own vocabulary",
        ),
        (&["tokenize", "--tokenizer", "simple-v1", "--bpe", "data", "hi"], "--bpe DIR goes with --tokenizer bpe"),
        (&["decode", "--bpe", "data", "1"], "not --tokenizer gpt2"),
        (&["tokenize", "--tokenizer", "bpe", "hi"], "--tokenizer bpe needs --bpe DIR"),
        (
            &["tokenize", "--tokenizer", "simple-v2", "--allowed-special", "<|endoftext|>", "hi"],
            "--allowed-special is for gpt2 and bpe",
        ),
        (&["tokenize", "--show", "hi"], "--show goes with --tokenizer bpe"),
        (&["decode", "--bytes", "--tokenizer", "simple-v1", "1"], "--bytes is for GPT-2 only"),
        (
            &["positions", "--scheme", "rope", "--context-length", "4", "--dim", "8"],
            "--dim does not apply to --scheme rope",
        ),
        (&["positions", "--scheme", "sinusoidal", "--context-length", "4"], "--scheme sinusoidal needs --dim"),
        (&["rope", "--shape", "2,4,5"], "--shape needs four sizes"),
    ] {
        let output = cli(args);
        assert_fails(&output, 64, needle);
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&format!("(see `token-embeddings {} --help`)", args[0])), "{err}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn negative_values_reach_the_option_that_refuses_them() {
    // Not taken for options (clap's "unexpected argument '-1'"): the option's own message.
    assert_fails(&cli(&["embed", "--ids", "-1,2"]), 1, "token id -1 is out of range at index 0");
    assert_fails(
        &cli(&["rope", "--shape", "1,1,1,2", "--llama3-scaling", "-8,1,4,8192"]),
        1,
        "factor must be positive, not -8",
    );
    assert_fails(
        &cli(&["rope", "--shape", "1,1,1,2", "--theta-base", "-inf"]),
        1,
        "theta_base must be a positive number, not -inf",
    );
    assert_fails(
        &cli(&["embed", "--max-norm", "1", "--norm-type", "-inf", "--ids", "3"]),
        1,
        "norm_type must be positive",
    );
    assert_fails(&cli(&["tokenize", "--allowed-special", "", "hi"]), 64, "non-empty token");
    assert_fails(&cli(&["rope", "--shape", "-2,4,5,16"]), 64, "-2 is not a size of at least 1");
    assert_fails(&cli(&["bpe-train", "--text", "t", "--out", "o", "--vocab-size", "-5"]), 64, "-5 is not a count");
    assert_fails(
        &cli(&["prepare", "--text", "t", "--out", "o", "--threads", "99999999999999999999"]),
        64,
        "is larger than",
    );
    assert_fails(
        &cli(&["bpe-train", "--text", "t", "--out", "o", "--vocab-size", "300", "--allowed-special", ""]),
        64,
        "non-empty token",
    );
}

#[test]
fn allowed_special_all_is_tiktokens_idiom() {
    // tiktoken: enc.encode("a <|endoftext|> b", allowed_special="all") == [64, 220, 50256, 275]
    assert_eq!(stdout(&cli(&["tokenize", "--allowed-special", "all", "a <|endoftext|> b"])), "[64, 220, 50256, 275]\n");
}

#[test]
fn decode_refuses_an_empty_entry_between_commas() {
    // On the command line a usage error (as `embed --ids 1,,2`); from standard input, bad data.
    assert_fails(&cli(&["decode", "1,,2"]), 64, "an empty entry at position 1");
    let mut child = Command::new(env!("CARGO_BIN_EXE_token-embeddings"))
        .args(["decode", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"1,,2\n").unwrap();
    assert_fails(&child.wait_with_output().unwrap(), 1, "an empty entry at position 1");
    assert_eq!(String::from_utf8_lossy(&cli(&["decode", "[40, 367,]"]).stdout), "I H\n");
}

#[test]
fn bad_sizes_are_errors() {
    // Sizes below 1 are refused by the command line itself (status 64, see tests/errors.rs).
    assert_fails(&cli(&["embed", "--vocab-size", "0"]), 64, "--vocab-size");
    assert_fails(&cli(&["batches", "--stride", "0"]), 64, "--stride");
    assert_fails(&cli(&["batches", "--batch-size", "0"]), 64, "--batch-size");
    assert_fails(&cli(&["batches", "--max-length", "0"]), 64, "--max-length");
    // The same for every subcommand's sizes and counts, negative ones included (not taken for options).
    for (args, needle) in [
        (&["positions", "--scheme", "alibi", "--heads", "0", "--context-length", "3"][..], "'0' for '--heads"),
        (
            &["positions", "--scheme", "alibi", "--heads", "-2", "--context-length", "3"],
            "-2 is not a size of at least 1",
        ),
        (&["positions", "--scheme", "t5", "--query-length", "3", "--key-length", "0"], "'--key-length"),
        (&["rope", "--shape", "2,0,5,16"], "'0' for '--shape"),
        (&["prepare", "--text", "t.txt", "--out", "t.bin", "--threads", "0"], "'--threads"),
        (&["prepare", "--text", "t.txt", "--out", "t.bin", "--threads", "40000"], "40000 threads is more than 1024"),
        (&["prepare", "--text", "t.txt", "--out", "t.bin", "--part-bytes", "0"], "'--part-bytes"),
        (&["print", "t.npy", "--precision", "-1"], "-1 is not a count (0 or more)"),
        (&["print", "t.npy", "--linewidth", "-5"], "'--linewidth"),
    ] {
        assert_fails(&cli(args), 64, needle);
    }
    assert_fails(&cli(&["embed", "--seed", "18446744073709551616"]), 1, "outside PyTorch's range");
}

#[test]
fn missing_empty_and_short_texts_are_errors() {
    assert_fails(&cli(&["walkthrough", "--text", "/no/such/file.txt"]), 1, "reading the text file /no/such/file.txt");
    let empty = temp_file("empty.txt", "");
    assert_fails(&cli(&["walkthrough", "--text", empty.to_str().unwrap()]), 1, "the text is empty");
    assert_fails(&cli(&["batches", "--text", empty.to_str().unwrap()]), 1, "the text is empty");
    let short = temp_file("short.txt", "Only a few words here.");
    assert_fails(&cli(&["walkthrough", "--text", short.to_str().unwrap()]), 1, "text too short");
    assert_fails(&cli(&["batches", "--text", short.to_str().unwrap()]), 1, "the text is too short");
}

#[test]
fn cuda_without_a_gpu_is_a_clear_error() {
    if token_embeddings::tch::Cuda::is_available() {
        return; // the GPU path is checked on a GPU machine; nothing to assert here
    }
    assert_fails(&cli(&["embed", "--device", "cuda"]), 1, "CUDA device 0 is not available");
    assert_fails(&cli(&["batches", "--device", "cuda"]), 1, "CUDA device 0 is not available");
}

// A missing or wrong PyTorch: tests/errors.rs.
