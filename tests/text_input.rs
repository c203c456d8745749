//! Text in, as the book's Python reads it, through the command line: Windows line endings, files
//! and standard input for `tokenize`, the `decode` subcommand, special tokens per book call, and
//! the error catalogue's text entries (one line on stderr, non-zero exit, no panic).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::json;
use token_embeddings::reference;
use token_embeddings::walkthrough::THE_VERDICT;

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_token-embeddings")).args(args).output().expect("the binary runs")
}

fn cli_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_token-embeddings"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_ok(output: &Output) {
    assert!(output.status.success(), "status {:?}, stderr: {}", output.status, stderr(output));
}

/// A clean failure: non-zero status, one `error:` line mentioning `needle`, nothing on stdout.
fn assert_fails(output: &Output, needle: &str) {
    let err = stderr(output);
    assert!(!output.status.success(), "expected a failure, got stdout: {}", stdout(output));
    assert_eq!(output.status.code(), Some(1), "stderr: {err}");
    assert!(err.starts_with("error: ") && err.contains(needle), "expected {needle:?} in: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(output.stdout.is_empty(), "nothing half-written: {}", stdout(output));
}

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("text_input").join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, contents).unwrap();
    path
}

fn s(path: &std::path::Path) -> &str {
    path.to_str().unwrap()
}

fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

/// What the book's classes and tiktoken answer, from `python_text.py tokenizers`.
fn python_tokenizers(texts: &[&str]) -> serde_json::Value {
    let request = json!({ "vocab_text": THE_VERDICT, "texts": texts });
    reference::run_script("python_text.py", &["tokenizers"], Some(&request.to_string())).expect("Python runs")
}

#[test]
fn simple_tokenizers_split_on_pythons_white_space() {
    // Issue 7, fault 1: U+001C is white space to Python's re and str.strip.
    let python = python_tokenizers(&["it\u{1c}was"]);
    let theirs = &python["texts"][0];
    assert_eq!(theirs["v2_encode"], json!([585, 1077]));
    let v2 = cli(&["tokenize", "--tokenizer", "simple-v2", "it\u{1c}was"]);
    assert_ok(&v2);
    assert_eq!(stdout(&v2), "[585, 1077]\n");
    let v1 = cli(&["tokenize", "--tokenizer", "simple-v1", "it\u{1c}was"]);
    assert_eq!(json!({ "ok": serde_json::from_str::<serde_json::Value>(&stdout(&v1)).unwrap() }), theirs["v1_encode"]);
}

#[test]
fn unknown_pieces_are_shown_as_python_repr() {
    // An invisible character prints as Python's escape, not as nothing.
    let python = python_tokenizers(&["zero\u{200b}width"]);
    assert_eq!(python["texts"][0]["v1_encode"]["error"], "KeyError: 'zero\\u200bwidth'");
    assert_fails(
        &cli(&["tokenize", "--tokenizer", "simple-v1", "zero\u{200b}width"]),
        "'zero\\u200bwidth' is not in the vocabulary",
    );
}

#[test]
fn tokenize_reads_literal_text_a_file_or_stdin() {
    let python = python_tokenizers(&["Hello, world.\nBye", "notes.txt"]);
    let ids_line = |i: usize| format!("{}\n", python["texts"][i]["gpt2_encode"]["ok"].to_string().replace(',', ", "));
    let literal = stdout(&cli(&["tokenize", "Hello, world.\nBye"]));
    assert_eq!(literal, ids_line(0));
    let file = temp_file("hello-crlf.txt", b"Hello, world.\r\nBye");
    assert_eq!(stdout(&cli(&["tokenize", "--file", s(&file)])), literal, "CRLF read as the book reads it");
    assert_eq!(stdout(&cli_with_stdin(&["tokenize", "-"], b"Hello, world.\r\nBye")), literal);
    assert_eq!(stdout(&cli_with_stdin(&["tokenize", "--file", "-"], b"Hello, world.\r\nBye")), literal);
    // TEXT is text: a file name is tokenised as it is written.
    assert_eq!(stdout(&cli(&["tokenize", "notes.txt"])), ids_line(1));
    let both = cli(&["tokenize", "--file", s(&file), "text"]);
    assert!(!both.status.success() && stderr(&both).contains("cannot be used with"), "{}", stderr(&both));
}

#[test]
fn special_tokens_need_allowed_special_as_in_tiktoken() {
    assert_fails(&cli(&["tokenize", "a <|endoftext|> b"]), "special token '<|endoftext|>'");
    let python = python_tokenizers(&["a <|endoftext|> b", "<|endoftext|>"]);
    let allowed = cli(&["tokenize", "--allowed-special", "<|endoftext|>", "a <|endoftext|> b"]);
    assert_ok(&allowed);
    let theirs = &python["texts"][0]["gpt2_encode_allowed"];
    assert_eq!(stdout(&allowed), format!("{}\n", theirs.to_string().replace(',', ", ")));
    assert!(python["texts"][0]["gpt2_encode"]["error"].as_str().unwrap().starts_with("ValueError"));
    assert_fails(&cli(&["tokenize", "--allowed-special", "<|unk|>", "a"]), "'<|unk|>' is not a special token of GPT-2");
    // V2 knows <|endoftext|> as a vocabulary entry: no rule to relax.
    let v2 = stdout(&cli(&["tokenize", "--tokenizer", "simple-v2", "<|endoftext|>"]));
    assert_eq!(v2, format!("{}\n", python["texts"][1]["v2_encode"]));
}

#[test]
fn decode_is_tiktokens_lossy_decode() {
    // Issue 7, fault 2: 49426 ends inside a UTF-8 sequence; tiktoken gives U+FFFD.
    let python = reference::run_script(
        "python_text.py",
        &["tokenizers"],
        Some(&json!({ "vocab_text": "", "texts": [], "gpt2_ids": [[49426], [40, 367, 2885, 1464]] }).to_string()),
    )
    .unwrap();
    let lossy = cli(&["decode", "49426"]);
    assert_ok(&lossy);
    assert_eq!(json!({ "ok": stdout(&lossy).trim_end_matches('\n') }), python["gpt2_ids"][0]["decode"]);
    let bytes = cli(&["decode", "--bytes", "49426"]);
    assert_eq!(json!({ "ok": bytes.stdout }), python["gpt2_ids"][0]["decode_bytes"]);
    let text = cli(&["decode", "40,367,2885,1464"]);
    assert_eq!(json!({ "ok": stdout(&text).trim_end_matches('\n') }), python["gpt2_ids"][1]["decode"]);
    // The list `tokenize` prints goes back in as it is, also through a pipe.
    let ids = stdout(&cli(&["tokenize", "I HAD always thought"]));
    assert_eq!(stdout(&cli(&["decode", &ids])), "I HAD always thought\n");
    assert_eq!(stdout(&cli_with_stdin(&["decode", "-"], ids.as_bytes())), "I HAD always thought\n");
}

#[test]
fn decode_with_the_simple_tokenizers() {
    let v1 = cli(&["decode", "--tokenizer", "simple-v1", "1,56,2,850,988,602,533,746,5,1126,596,5,1"]);
    assert_eq!(stdout(&v1), "\" It' s the last he painted, you know,\"\n");
    let v2 = cli(&["decode", "--tokenizer", "simple-v2", "1131,5,355,1126,628,975,10,1130"]);
    assert_eq!(stdout(&v2), "<|unk|>, do you like tea? <|endoftext|>\n");
}

#[test]
fn ids_out_of_range_name_the_id_its_position_and_the_vocabulary() {
    assert_fails(
        &cli(&["decode", "40,50257"]),
        "token id 50257 at position 1 is outside GPT-2's vocabulary of 50257 ids",
    );
    assert_fails(&cli(&["decode", "-1"]), "token id -1 at position 0");
    assert_fails(
        &cli(&["decode", "--tokenizer", "simple-v1", "0,1130"]),
        "token id 1130 at position 1 is not in the vocabulary (1130 entries",
    );
    assert_fails(
        &cli(&["decode", "--tokenizer", "simple-v2", "1132"]),
        "token id 1132 at position 0 is not in the vocabulary (1132 entries",
    );
    // Ids that do not parse are a mistake on the command line: a usage error (tests/cli.rs).
    let malformed = cli(&["decode", "1,two"]);
    assert_eq!(malformed.status.code(), Some(64));
    assert!(stderr(&malformed).contains("'two' at position 1 is not a token id"));
}

#[test]
fn text_files_errors_are_one_line() {
    let dir = temp_file("placeholder", b"").parent().unwrap().to_path_buf();
    let latin1 = temp_file("latin1.txt", b"I HAD always thought Jack Gisburn caf\xe9");
    let blank = temp_file("blank.txt", b" \r\n\t\n");
    for command in
        [&["walkthrough", "--text"][..], &["batches", "--text"], &["compare", "--text"], &["tokenize", "--file"]]
    {
        let run = |path: &str| {
            let mut args = command.to_vec();
            args.push(path);
            cli(&args)
        };
        assert_fails(&run("/no/such/file.txt"), "reading the text file /no/such/file.txt: no such file");
        assert_fails(&run(s(&dir)), "is a directory, not a file");
        assert_fails(&run(s(&latin1)), "latin1.txt is not valid UTF-8: byte 0xe9 at byte offset 37");
    }
    // Unreadable even for root: reading /proc/self/mem at offset 0 fails with EIO.
    assert_fails(&cli(&["tokenize", "--file", "/proc/self/mem"]), "reading the text file /proc/self/mem: ");
    assert_fails(
        &cli(&["tokenize", "--tokenizer", "simple-v2", "--vocab-from", s(&blank), "x"]),
        "yields no vocabulary",
    );
    assert_fails(&cli(&["decode", "--tokenizer", "simple-v1", "--vocab-from", s(&dir), "1"]), "is a directory");
    assert_fails(
        &cli_with_stdin(&["tokenize", "-"], b"\xff"),
        "standard input is not valid UTF-8: byte 0xff at byte offset 0",
    );
}

#[test]
fn empty_and_short_texts_say_what_is_needed() {
    let empty = temp_file("empty.txt", b"");
    assert_fails(
        &cli(&["walkthrough", "--text", s(&empty)]),
        "the text is empty: the walkthrough needs at least 257 GPT-2 tokens",
    );
    assert_fails(&cli(&["compare", "--text", s(&empty)]), "the text is empty");
    let short = temp_file("short.txt", b"Only a few words here.");
    assert_fails(
        &cli(&["walkthrough", "--text", s(&short)]),
        "needs at least 257 GPT-2 tokens (its last dataset has windows of max_length=256",
    );
    assert_fails(&cli(&["batches", "--text", s(&short), "--max-length", "8"]), "too short");
    // An empty text is a text: zero ids, as tokenizer.encode("") gives.
    assert_eq!(stdout(&cli(&["tokenize", ""])), "[]\n");
}

#[test]
fn windows_line_endings_give_the_books_ids_in_walkthrough_and_batches() {
    // Issue 7, fault 8: Python's open() turns \r\n into \n, so a CRLF copy is the same story.
    let lf = temp_file("verdict-lf.txt", THE_VERDICT.as_bytes());
    let crlf_copy = temp_file("verdict-crlf.txt", crlf(THE_VERDICT).as_bytes());
    let cr_copy = temp_file("verdict-cr.txt", THE_VERDICT.replace('\n', "\r").as_bytes());
    let walk = |path: &PathBuf| stdout(&cli(&["walkthrough", "--json", "--text", s(path)]));
    let expected = walk(&lf);
    assert_eq!(walk(&crlf_copy), expected);
    assert_eq!(walk(&cr_copy), expected);
    let batches = |path: &PathBuf| {
        let args = [
            "batches",
            "--text",
            s(path),
            "--shuffle",
            "false",
            "--max-length",
            "4",
            "--stride",
            "4",
            "--batch-size",
            "8",
        ];
        stdout(&cli(&args))
    };
    assert_eq!(batches(&crlf_copy), batches(&lf));
    assert!(batches(&lf).starts_with("[tensor([[   40,   367,  2885,  1464],"));
}

/// The summary line of `compare`, e.g. "28/28 printed steps and 8/8 tensors equal PyTorch ...".
fn compare_summary(output: &Output) -> String {
    stdout(output).lines().last().unwrap_or_default().to_owned()
}

#[test]
fn compare_on_a_crlf_text_matches_every_step() {
    let crlf_copy = temp_file("compare-crlf.txt", crlf(THE_VERDICT).as_bytes());
    let output = cli(&["compare", "--text", s(&crlf_copy)]);
    assert_ok(&output);
    assert!(compare_summary(&output).starts_with("28/28 printed steps and 8/8 tensors"), "{}", stdout(&output));
}

/// A story with `<|endoftext|>` between two texts, and a tiny vocabulary, as a user might try.
fn story_with_endoftext() -> String {
    let first: String = THE_VERDICT.chars().take(1500).collect();
    format!("{first}\n<|endoftext|>\n{}", "a b. ".repeat(30))
}

#[test]
fn walkthrough_keeps_each_book_calls_special_token_rule() {
    // Issue 7, fault 9: tokenizer.encode(raw_text) raises; GPTDatasetV1 allows <|endoftext|>.
    let path = temp_file("with-endoftext.txt", story_with_endoftext().as_bytes());
    let output = cli(&["walkthrough", "--text", s(&path)]);
    assert_ok(&output);
    let text = stdout(&output);
    assert!(
        text.contains(
            "── 2.6 GPT-2 tokens in the whole text (tokenizer.encode(raw_text) raises) ──\n\
         ValueError: Encountered text corresponding to disallowed special token '<|endoftext|>'.\n"
        ),
        "{text}"
    );
    assert!(text.contains("NameError: name 'enc_text' is not defined\n"), "{text}");
    assert!(text
        .contains("── 2.6 First batch (batch_size=1, max_length=4, stride=1) ──\n[tensor([[  40,  367, 2885, 1464]])"));
}

#[test]
fn compare_shows_the_special_token_error_on_both_sides() {
    let path = temp_file("compare-endoftext.txt", story_with_endoftext().as_bytes());
    let output = cli(&["compare", "--text", s(&path)]);
    assert_ok(&output);
    let text = stdout(&output);
    assert!(
        text.contains(
            "── 2.6 GPT-2 tokens in the whole text (tokenizer.encode(raw_text) raises) ── ✓ match\nValueError:"
        ),
        "{text}"
    );
    assert!(compare_summary(&output).starts_with("28/28 printed steps and 8/8 tensors"), "{text}");
}

#[test]
fn headings_claim_only_what_a_small_text_has() {
    // 600 GPT-2 tokens but a vocabulary of three pieces ("a", "b", ".").
    let path = temp_file("tiny-vocab.txt", "a b. ".repeat(150).as_bytes());
    let output = cli(&["compare", "--text", s(&path)]);
    assert_ok(&output);
    let text = stdout(&output);
    assert!(
        text.contains("── 2.3 Vocabulary: size and first 3 entries ── ✓ match\n3\n('.', 0)\n('a', 1)\n('b', 2)\n"),
        "{text}"
    );
    assert!(
        text.contains("── 2.4 Vocabulary with <|endoftext|> and <|unk|>: size and last 5 entries ── ✓ match\n5\n"),
        "{text}"
    );
    assert!(text.contains("── 2.3 SimpleTokenizerV1.encode ── ✓ match\nKeyError: '\"'\n"), "{text}");
    assert!(compare_summary(&output).starts_with("28/28 printed steps and 8/8 tensors"), "{text}");
}
