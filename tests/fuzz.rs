//! A bounded fuzz run over the tokenizers and the command line's argument handling: arbitrary
//! text, bytes, ids and argument vectors must never panic, abort or print a C++ stack; a failure
//! is one `error:` line and a non-zero status.
//!
//! `cargo test` runs a few cases of each; a long run is behind an environment variable:
//! `TOKEN_EMBEDDINGS_FUZZ_CASES=5000 cargo test --release --test fuzz -- --nocapture` (each test
//! prints how many cases it ran).

use std::cell::Cell;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use token_embeddings::pyrepr::{python_str_repr, python_strip};
use token_embeddings::tokenizer::{
    split_text, Gpt2Tokenizer, SimpleTokenizerV1, SimpleTokenizerV2, Vocab, END_OF_TEXT,
};
use token_embeddings::walkthrough::THE_VERDICT;

fn cases(default: u32) -> u32 {
    std::env::var("TOKEN_EMBEDDINGS_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

#[test]
fn tokenizers_never_panic_and_round_trip() {
    let n = cases(256);
    let v1 = SimpleTokenizerV1::new(Vocab::from_text(THE_VERDICT));
    let v2 = SimpleTokenizerV2::new(Vocab::from_text_with_specials(THE_VERDICT)).unwrap();
    let gpt2 = Gpt2Tokenizer::new();
    let text = prop_oneof![any::<String>(), "\\PC{0,40}", "[ -~\u{1c}-\u{1f}\u{85}\u{a0}\u{2028}]{0,40}"];
    runner(n)
        .run(&(text, proptest::collection::vec(any::<i64>(), 0..8)), |(s, ids)| {
            let pieces = split_text(&s);
            prop_assert!(pieces.iter().all(|p| !p.is_empty() && python_strip(p) == p));
            let _ = v1.encode(&s).map(|ids| v1.decode(&ids).unwrap());
            let ids2 = v2.encode(&s);
            prop_assert!(v2.decode(&ids2).is_ok());
            let _ = v1.decode(&ids);
            let _ = v2.decode(&ids);
            let allowed = gpt2.encode_with_special(&s, &[END_OF_TEXT]).unwrap();
            prop_assert_eq!(gpt2.decode(&allowed).unwrap(), s.clone());
            prop_assert_eq!(gpt2.encode(&s).is_err(), s.contains(END_OF_TEXT));
            let _ = gpt2.decode(&ids);
            let repr = python_str_repr(&s);
            prop_assert!(repr.len() >= 2 && !repr.contains('\n'));
            Ok(())
        })
        .unwrap();
    println!("tokenizers: {n} cases, no panic, every round trip exact");
}

/// Files the argument fuzzer may name: missing, a directory, not UTF-8, CRLF, tiny, the story.
fn files() -> &'static [String] {
    static FILES: OnceLock<Vec<String>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz");
        std::fs::create_dir_all(&dir).unwrap();
        let mut files = vec!["/no/such/file".to_owned(), dir.display().to_string()];
        for (name, bytes) in [
            ("bad-utf8.txt", b"abc\xff\xfe".to_vec()),
            ("crlf.txt", THE_VERDICT.replace('\n', "\r\n").into_bytes()),
            ("tiny.txt", b"a b c".to_vec()),
            ("numbers.txt", token_embeddings::data::number_text(50).into_bytes()),
            ("empty.txt", Vec::new()),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            files.push(path.display().to_string());
        }
        files
    })
}

/// Argument vectors from the command line's grammar, with wrong values mixed in.
fn argv() -> impl Strategy<Value = Vec<String>> {
    let command = proptest::sample::select(vec!["tokenize", "decode", "embed", "batches", "nosuch", "--help", ""]);
    let option = proptest::sample::select(vec![
        "--tokenizer",
        "--vocab-from",
        "--allowed-special",
        "--file",
        "--bytes",
        "--seed",
        "--vocab-size",
        "--dim",
        "--ids",
        "--json",
        "--text",
        "--batch-size",
        "--max-length",
        "--stride",
        "--shuffle",
        "--drop-last",
        "--device",
        "-",
        "--",
    ]);
    let value = prop_oneof![
        proptest::sample::select(vec![
            "gpt2",
            "simple-v1",
            "simple-v2",
            "numbers",
            "bpe",
            "true",
            "false",
            "cpu",
            "cuda",
            "0",
            "-1",
            "1",
            "3",
            "40,367",
            "[40, 367]",
            "50257",
            "-9223372036854775808",
            "18446744073709551616",
            "1e3",
            "<|endoftext|>",
            "<|unk|>",
            "it\u{1c}was",
            "",
        ])
        .prop_map(str::to_owned),
        proptest::sample::select(files().to_vec()),
        "\\PC{0,12}",
        any::<i32>().prop_map(|n| n.to_string()),
    ];
    let word = prop_oneof![option.prop_map(str::to_owned), value];
    (command, proptest::collection::vec(word, 0..6))
        .prop_map(|(command, rest)| std::iter::once(command.to_owned()).chain(rest).filter(|a| !a.is_empty()).collect())
}

#[test]
fn the_command_line_fails_cleanly_on_any_arguments() {
    let n = cases(24);
    let (ok, failed) = (Cell::new(0), Cell::new(0));
    runner(n)
        .run(&argv(), |args| {
            // Keep every run small: no huge tables, no walkthrough or compare (covered elsewhere).
            if args.windows(2).any(|w| ["--vocab-size", "--dim"].contains(&w[0].as_str()) && w[1].len() > 3) {
                return Ok(());
            }
            let output =
                Command::new(env!("CARGO_BIN_EXE_token-embeddings")).args(&args).stdin(Stdio::null()).output().unwrap();
            let err = String::from_utf8_lossy(&output.stderr);
            prop_assert!(output.status.code().is_some(), "killed by a signal: {:?} {}", args, err);
            prop_assert!(
                !err.contains("panicked") && !err.contains("stack backtrace") && !err.contains("frame #"),
                "{:?}: {}",
                args,
                err
            );
            let code = output.status.code().unwrap();
            prop_assert!(code < 100, "{:?} exited {}: {}", args, code, err);
            if code == 0 {
                ok.set(ok.get() + 1);
            } else {
                failed.set(failed.get() + 1);
                prop_assert!(err.starts_with("error:") || err.contains("Usage:"), "{:?}: {}", args, err);
            }
            Ok(())
        })
        .unwrap();
    println!("command line: {n} argument vectors, {} ran, {} failed cleanly, none panicked", ok.get(), failed.get());
}
