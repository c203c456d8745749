//! The book's BPE from scratch (`BPETokenizerSimple`), against the book's own code.
//!
//! `tests/reference/bpe-expected.json` is what `tests/reference/bpe.py expected` prints: the
//! book's notebook code (executed from `../shared/reference/book/bpe-from-scratch.ipynb`) on
//! every case here. Most tests read that file (fast, no Python); `committed_values_are_the_books_output`
//! runs the book's code live and checks it still prints exactly that file, and
//! `the_books_code_loads_our_files` has the book's Python load files this crate wrote.
//! The ids typed in `tests_py_*` are the book's own `tests.py` expectations.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use rand_mt::Mt64;
use serde_json::{json, Value};
use token_embeddings::tokenizer::bpe::{is_python_space, pretokenize, BpeTokenizer, TokenId};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn expected() -> &'static Value {
    static EXPECTED: OnceLock<Value> = OnceLock::new();
    EXPECTED.get_or_init(|| {
        let text = std::fs::read_to_string(root().join("tests/reference/bpe-expected.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    })
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("bpe-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A text as the book reads it (`open(path, encoding="utf-8").read()`: `\r\n`, `\r` -> `\n`).
fn read_like_python(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap().replace("\r\n", "\n").replace('\r', "\n")
}

fn case_text(case: &Value) -> String {
    match case["text_file"].as_str() {
        Some(file) => read_like_python(&root().join(file)),
        None => case["text"].as_str().unwrap().to_owned(),
    }
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect()
}

fn merges_json(tokenizer: &BpeTokenizer) -> Value {
    tokenizer.merges().iter().map(|&((a, b), n)| json!([a, b, n])).collect()
}

fn vocab_json(tokenizer: &BpeTokenizer) -> Value {
    tokenizer.vocab().map(|(i, s)| json!([i, s])).collect()
}

/// Ours as the reference script writes an outcome: `{"ok": ...}` or `{"error": "ValueError: ..."}`.
fn outcome<T: serde::Serialize>(result: anyhow::Result<T>) -> Value {
    match result {
        Ok(v) => json!({ "ok": v }),
        Err(e) => json!({ "error": format!("ValueError: {e:#}") }),
    }
}

fn check_probes(tokenizer: &BpeTokenizer, probes: &Value, context: &str) {
    for probe in probes.as_array().unwrap() {
        let text = probe["text"].as_str().unwrap();
        let allowed: Option<Vec<&str>> = probe["allowed"].as_array().map(|_| strings(&probe["allowed"]));
        let encoded = tokenizer.encode(text, allowed.as_deref());
        let ours = outcome(encoded.as_ref().map(Clone::clone).map_err(|e| anyhow::anyhow!("{e:#}")));
        assert_eq!(ours, probe["encode"], "{context}: encode({text:?}, {allowed:?})");
        if let Ok(ids) = encoded {
            assert_eq!(outcome(tokenizer.decode(&ids)), probe["decode"], "{context}: decode of {text:?}");
            let pieces: Vec<String> = ids.iter().map(|&i| tokenizer.decode(&[i]).unwrap()).collect();
            assert_eq!(json!(pieces), probe["pieces"], "{context}: per-id decode of {text:?}");
        }
    }
}

#[test]
fn white_space_is_pythons() {
    let ours: Vec<u32> = (0..0x110000u32).filter(|&c| char::from_u32(c).is_some_and(is_python_space)).collect();
    let python: Vec<u32> =
        expected()["python_whitespace"].as_array().unwrap().iter().map(|c| c.as_u64().unwrap() as u32).collect();
    assert_eq!(ours, python);
}

#[test]
fn pretokenizer_is_the_books() {
    for (text, pieces) in expected()["pretokenize"].as_object().unwrap() {
        assert_eq!(pretokenize(text), strings(pieces), "pretokenize({text:?})");
    }
}

#[test]
fn training_learns_the_books_vocabulary_and_merges() {
    for case in expected()["training"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let text = case_text(case);
        let allowed = strings(&case["allowed"]);
        let vocab_size = case["vocab_size"].as_u64().unwrap() as usize;
        let tokenizer = BpeTokenizer::train(&text, vocab_size, &allowed);
        assert_eq!(merges_json(&tokenizer), case["merges"], "{name}: merges");
        assert_eq!(tokenizer.vocab_size() as u64, case["len_vocab"].as_u64().unwrap(), "{name}: len(vocab)");
        if case["vocab"].is_array() {
            assert_eq!(vocab_json(&tokenizer), case["vocab"], "{name}: vocab");
        }
        if let Some(file) = case["vocab_json"].as_str() {
            assert_eq!(tokenizer.vocab_json(), file, "{name}: vocab.json, byte for byte");
            assert_eq!(tokenizer.merges_json(), case["merges_json"].as_str().unwrap(), "{name}: bpe_merges.txt");
        }
        check_probes(&tokenizer, &case["probes"], name);
        let unknown = tokenizer.vocab_size() as TokenId + 5;
        assert_eq!(outcome(tokenizer.decode(&[unknown])), case["decode_unknown"], "{name}: unknown id");
    }
}

#[test]
fn literal_port_learns_the_books_merges() {
    for case in expected()["training"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let allowed = strings(&case["allowed"]);
        let vocab_size = case["vocab_size"].as_u64().unwrap() as usize;
        let tokenizer = BpeTokenizer::train_literal(&case_text(case), vocab_size, &allowed);
        assert_eq!(merges_json(&tokenizer), case["merges"], "{name}: merges of the literal port");
    }
}

#[test]
fn files_written_by_the_books_python_load_here() {
    for case in expected()["training"].as_array().unwrap() {
        let Some(vocab) = case["vocab_json"].as_str() else { continue };
        let name = case["name"].as_str().unwrap();
        let dir = temp_dir(name);
        std::fs::write(dir.join("vocab.json"), vocab).unwrap();
        std::fs::write(dir.join("bpe_merges.txt"), case["merges_json"].as_str().unwrap()).unwrap();
        let loaded = BpeTokenizer::load(&dir).unwrap();
        assert_eq!(merges_json(&loaded), case["merges"], "{name}");
        assert_eq!(loaded.vocab_json(), vocab, "{name}: written back, byte for byte");
        assert_eq!(outcome(loaded.encode("Jack embraced beauty through art and life.", None)), case["reloaded_encode"]);
        // Every probe encodes as the trained tokenizer does (the book's reloaded tokenizer too).
        let trained = BpeTokenizer::train(
            &case_text(case),
            case["vocab_size"].as_u64().unwrap() as usize,
            &strings(&case["allowed"]),
        );
        for probe in case["probes"].as_array().unwrap() {
            let text = probe["text"].as_str().unwrap();
            let allowed: Option<Vec<&str>> = probe["allowed"].as_array().map(|_| strings(&probe["allowed"]));
            assert_eq!(
                loaded.encode(text, allowed.as_deref()).map_err(|e| e.to_string()),
                trained.encode(text, allowed.as_deref()).map_err(|e| e.to_string()),
                "{name}: {text:?}"
            );
        }
    }
}

fn gpt2() -> &'static BpeTokenizer {
    static GPT2: OnceLock<BpeTokenizer> = OnceLock::new();
    GPT2.get_or_init(|| BpeTokenizer::load(&root().join("data/gpt2")).unwrap())
}

#[test]
fn openai_files_encode_as_the_book_does() {
    let openai = &expected()["openai"];
    let tokenizer = gpt2();
    assert!(tokenizer.is_openai());
    assert_eq!(tokenizer.vocab_size() as u64, openai["len_vocab"].as_u64().unwrap());
    assert_eq!(tokenizer.id("\n"), Some(openai["inverse_newline"].as_u64().unwrap() as TokenId));
    assert_eq!(tokenizer.id("\r"), Some(openai["inverse_cr"].as_u64().unwrap() as TokenId));
    check_probes(tokenizer, &openai["cases"], "openai");
    assert_eq!(outcome(tokenizer.decode(&[50257])), openai["decode_unknown"]);
}

/// Where the book's tokenizer in OpenAI mode and tiktoken agree, and where they do not (the book
/// works on characters: non-ASCII text, tabs). This pins the list, so a change shows.
#[test]
fn openai_mode_differs_from_tiktoken_only_where_the_book_does() {
    let mut differ = Vec::new();
    for case in expected()["openai"]["cases"].as_array().unwrap() {
        // Both refusing (a disallowed special token) counts as agreeing; the messages differ.
        let agree = match (case["encode"].get("ok"), case["tiktoken"].get("ok")) {
            (Some(ours), Some(theirs)) => ours == theirs,
            (None, None) => true,
            _ => false,
        };
        if !agree {
            differ.push(format!("{} {}", case["text"], case["allowed"]));
        }
    }
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("bpe_openai_vs_tiktoken_differences", differ.join("\n"));
    });
}

#[test]
fn tests_py_training_on_the_verdict() {
    let text = read_like_python(&root().join("data/the-verdict.txt"));
    let tokenizer = BpeTokenizer::train(&text, 1000, &["<|endoftext|>"]);
    assert_eq!(tokenizer.vocab_size(), 1000);
    assert_eq!(tokenizer.merges().len(), 742);
    let inner_space: Vec<&str> =
        tokenizer.vocab().map(|(_, t)| t).filter(|t| t.contains('Ġ') && *t != "Ġ" && !t.starts_with('Ġ')).collect();
    assert!(inner_space.is_empty(), "{inner_space:?}");
    let input = "Jack embraced beauty through art and life.";
    let ids = tokenizer.encode(input, None).unwrap();
    assert_eq!(ids, [74, 361, 310, 109, 98, 420, 397, 100, 300, 428, 116, 121, 519, 699, 299, 808, 534]);
    assert_eq!(tokenizer.decode(&ids).unwrap(), input);
    let dir = temp_dir("verdict");
    tokenizer.save(&dir).unwrap();
    assert_eq!(BpeTokenizer::load(&dir).unwrap().decode(&ids).unwrap(), input);
}

#[test]
fn tests_py_openai_edge_cases() {
    let tok = gpt2();
    assert_eq!(tok.vocab_size(), 50257);
    let cases: [(&str, &[TokenId]); 5] = [
        ("This is some text", &[1212, 318, 617, 2420]),
        ("Hello,", &[15496, 11]),
        ("Implementations", &[3546, 26908, 602]),
        (
            "asdf asdfasdf a!!, @aba 9asdf90asdfk",
            &[292, 7568, 355, 7568, 292, 7568, 257, 3228, 11, 2488, 15498, 860, 292, 7568, 3829, 292, 7568, 74],
        ),
        ("Hello, world. Is this-- a test?", &[15496, 11, 995, 13, 1148, 428, 438, 257, 1332, 30]),
    ];
    for (text, want) in cases {
        assert_eq!(tok.encode(text, None).unwrap(), want, "{text:?}");
    }
    assert_eq!((tok.id("Ċ"), tok.id("<|endoftext|>"), tok.id("\n")), (Some(198), Some(50256), Some(198)));
    assert_eq!((tok.token(198), tok.token(50256)), (Some("Ċ"), Some("<|endoftext|>")));
    let err = tok.encode("Hello<|endoftext|>\nworld", None).unwrap_err().to_string();
    assert_eq!(err, "Disallowed special tokens encountered in text: ['<|endoftext|>']");
    for text in ["a\nb", "a\n\nb", "\nHello", "Hello\n", "a\r\nb"] {
        let ids = tok.encode(text, None).unwrap();
        assert_eq!(ids.iter().filter(|&&i| i == 198).count(), text.matches('\n').count(), "{text:?}");
        assert_eq!(tok.decode(&ids).unwrap(), text);
    }
    assert_eq!(tok.decode(&tok.encode("  Hello World.", None).unwrap()).unwrap(), "  Hello World.");
}

/// Texts from a few symbols, spaces and line breaks: nearly every merge is a tie.
fn generated_text(rng: &mut Mt64, alphabet: &[char], len: usize) -> String {
    (0..len).map(|_| alphabet[(rng.next_u64() % alphabet.len() as u64) as usize]).collect()
}

#[test]
fn fast_trainer_equals_the_literal_port_on_generated_texts() {
    let mut rng = Mt64::new(20240601);
    let alphabets: [&[char]; 5] = [
        &['a', 'b', ' '],
        &['a', 'b', 'c', ' ', ' ', '\n'],
        &['x', 'y', 'é', '東', ' ', '\r', '\n', '\t'],
        &['a', 'a', 'a', 'b', ' '],
        &['<', '|', 'e', '>', ' ', 'a'],
    ];
    for round in 0..150 {
        let alphabet = alphabets[round % alphabets.len()];
        let len = 1 + (rng.next_u64() % 400) as usize;
        let text = generated_text(&mut rng, alphabet, len);
        let vocab_size = 250 + (rng.next_u64() % 200) as usize;
        let allowed: &[&str] = if round % 3 == 0 { &[] } else { &["<|endoftext|>"] };
        let fast = BpeTokenizer::train(&text, vocab_size, allowed);
        let slow = BpeTokenizer::train_literal(&text, vocab_size, allowed);
        assert_eq!(fast.merges(), slow.merges(), "text {text:?}, vocab size {vocab_size}");
        assert_eq!(fast.vocab_json(), slow.vocab_json());
    }
}

#[test]
fn save_and_load_round_trip() {
    let text = "Café  naïve\r\nfaçade <|endoftext|> the cat in the hat\n\n  ";
    let tokenizer = BpeTokenizer::train(text, 300, &["<|endoftext|>"]);
    let dir = temp_dir("roundtrip");
    tokenizer.save(&dir).unwrap();
    let loaded = BpeTokenizer::load(&dir).unwrap();
    assert_eq!(loaded.merges(), tokenizer.merges());
    assert_eq!(loaded.vocab_json(), tokenizer.vocab_json());
    for probe in ["the cat", "naïve façade", "  the  hat  "] {
        let ids = tokenizer.encode(probe, None).unwrap();
        assert_eq!(loaded.encode(probe, None).unwrap(), ids);
        assert_eq!(loaded.decode(&ids).unwrap(), probe);
    }
}

#[test]
fn bad_files_are_clear_errors() {
    let dir = temp_dir("bad");
    let err = BpeTokenizer::load(&dir).unwrap_err().to_string();
    assert!(err.contains("holds neither"), "{err}");
    std::fs::write(dir.join("vocab.json"), "{\"x\": \"a\"}").unwrap();
    std::fs::write(dir.join("bpe_merges.txt"), "[]").unwrap();
    let err = format!("{:#}", BpeTokenizer::load(&dir).unwrap_err());
    assert!(err.contains("is not a token id"), "{err}");
    std::fs::write(dir.join("vocab.json"), "{\"0\": \"a\"}").unwrap();
    std::fs::write(dir.join("bpe_merges.txt"), "[{\"pair\": [0], \"new_id\": 1}]").unwrap();
    let err = format!("{:#}", BpeTokenizer::load(&dir).unwrap_err());
    assert!(err.contains("bpe_merges.txt"), "{err}");
}

// ---- live: the book's code, now ----

#[test]
fn committed_values_are_the_books_output() {
    let mut live = token_embeddings::reference::run_script("bpe.py", &["expected"], None).unwrap();
    live.as_object_mut().unwrap().remove("torch_version");
    assert!(live == *expected(), "tests/reference/bpe.py expected no longer prints tests/reference/bpe-expected.json");
}

#[test]
fn the_books_code_loads_our_files() {
    let text = "Hello  world\r\n\tTabbed <|endoftext|> line, naïve café\n  the cat in the hat  ";
    let tokenizer = BpeTokenizer::train(text, 300, &["<|endoftext|>"]);
    let dir = temp_dir("ours-for-python");
    tokenizer.save(&dir).unwrap();
    let probe = "the cat <|endoftext|> naïve  hat\n";
    let dir_arg = dir.to_str().unwrap();
    let python = token_embeddings::reference::run_script(
        "bpe.py",
        &["load", "--dir", dir_arg, "--text", probe, "--allowed-special", "<|endoftext|>"],
        None,
    )
    .unwrap();
    let ours = tokenizer.encode(probe, Some(&["<|endoftext|>"])).unwrap();
    assert_eq!(python["encode"], json!({ "ok": ours }));
    assert_eq!(python["decode"], json!({ "ok": probe }));
    assert_eq!(python["len_vocab"], json!(tokenizer.vocab_size()));
}

// ---- the command line ----

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_token-embeddings")).args(args).output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn assert_fails(output: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {err}");
    assert!(err.starts_with("error: ") && err.contains(needle), "expected {needle:?} in: {err}");
    assert!(!err.contains("panicked") && err.lines().count() == 1, "{err}");
}

#[test]
fn cli_trains_saves_tokenizes_and_decodes() {
    let dir = temp_dir("cli");
    let text_path = dir.join("text.txt");
    // \r\n and \r become \n, as the book's open(...).read() reads them.
    std::fs::write(&text_path, "the cat in the hat\r\nthe cat<|endoftext|>\rsat").unwrap();
    let out_dir = dir.join("tok");
    let out = cli(&[
        "bpe-train",
        "--text",
        text_path.to_str().unwrap(),
        "--vocab-size",
        "280",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let trained = BpeTokenizer::train("the cat in the hat\nthe cat<|endoftext|>\nsat", 280, &["<|endoftext|>"]);
    assert_eq!(
        stdout(&out),
        format!("vocabulary size: {}\nmerges: {}\n", trained.vocab_size(), trained.merges().len())
    );
    assert_eq!(std::fs::read_to_string(out_dir.join("vocab.json")).unwrap(), trained.vocab_json());
    assert_eq!(std::fs::read_to_string(out_dir.join("bpe_merges.txt")).unwrap(), trained.merges_json());

    let d = out_dir.to_str().unwrap();
    let ids = trained.encode("the cat sat", None).unwrap();
    let list = format!("[{}]", ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", "));
    let out = cli(&["tokenize", "--tokenizer", "bpe", "--bpe", d, "the cat sat"]);
    assert_eq!(stdout(&out), format!("{list}\n"));
    assert_fails(&cli(&["tokenize", "--tokenizer", "bpe", "--bpe", d, "a<|endoftext|>"]), "Disallowed special tokens");
    let out =
        cli(&["tokenize", "--tokenizer", "bpe", "--bpe", d, "--allowed-special", "<|endoftext|>", "a<|endoftext|>"]);
    assert!(out.status.success());
    let csv = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
    assert_eq!(stdout(&cli(&["decode", "--tokenizer", "bpe", "--bpe", d, &csv])), "the cat sat\n");
    assert_fails(&cli(&["decode", "--tokenizer", "bpe", "--bpe", d, "99999"]), "Token ID 99999 not found in vocab.");
    assert_fails(&cli(&["tokenize", "--tokenizer", "bpe", "--bpe", d, "東"]), "Characters not found in vocab: ['東']");
    let missing = cli(&["tokenize", "--tokenizer", "bpe", "hi"]);
    assert_eq!(missing.status.code(), Some(64), "a missing --bpe DIR is a usage error");
    assert!(String::from_utf8_lossy(&missing.stderr).contains("needs --bpe DIR"));
}

#[test]
fn cli_reads_openai_files_and_shows_pieces() {
    let d = root().join("data/gpt2");
    let d = d.to_str().unwrap();
    assert_eq!(
        stdout(&cli(&["tokenize", "--tokenizer", "bpe", "--bpe", d, "Hello, world."])),
        "[15496, 11, 995, 13]\n"
    );
    assert_eq!(
        stdout(&cli(&["tokenize", "--tokenizer", "bpe", "--bpe", d, "--show", "Hello, world."])),
        "15496 -> Hello\n11 -> ,\n995 ->  world\n13 -> .\n"
    );
    assert_eq!(stdout(&cli(&["decode", "--tokenizer", "bpe", "--bpe", d, "15496,11,995,13"])), "Hello, world.\n");
    assert_fails(
        &cli(&["bpe-train", "--text", "/nonexistent/x.txt", "--vocab-size", "300", "--out", "/tmp/x"]),
        "/nonexistent/x.txt",
    );
}

/// The book's tie-break, spelled out: in "the cat in the hat", `(t, h)`, `(h, e)` and `(a, t)`
/// each occur twice; the book's code takes `(t, h)`, the first met reading left to right (the
/// rule of Hugging Face's trainer, the smallest pair, would take `(a, t)` = (97, 116)).
/// The expected merges are the book's (case `runs_out_of_pairs` of the committed values).
#[test]
fn ties_go_to_the_pair_met_first() {
    let tokenizer = BpeTokenizer::train("the cat in the hat", 1000, &["<|endoftext|>"]);
    assert_eq!(tokenizer.merges()[0], ((116, 104), 258));
    let book = expected()["training"].as_array().unwrap().iter().find(|c| c["name"] == "runs_out_of_pairs").unwrap();
    assert_eq!(merges_json(&tokenizer), book["merges"]);
    // It ran out of pairs: 10 merges, not 1000 - 258.
    assert_eq!((tokenizer.vocab_size(), tokenizer.merges().len()), (268, 10));
}

/// Pairs overlap when counted (`a a a` holds `(a, a)` twice) and not when replaced (`a a a` ->
/// `Z a`), as the book's `Counter` and `replace_pair` do.
#[test]
fn overlapping_pairs_count_twice_and_merge_once() {
    use token_embeddings::tokenizer::bpe::literal::{find_freq_pair, replace_pair};
    let a = 97;
    assert_eq!(find_freq_pair(&[vec![a, a, a], vec![98, 99], vec![98, 99]]), Some((a, a)));
    assert_eq!(replace_pair(&[vec![a, a, a], vec![a, a, a, a]], (a, a), 300), [vec![300, a], vec![300, 300]]);
    // Pieces "aaa", "Ġbc", "Ġbc": (a, a), (Ġ, b) and (b, c) all count 2; (a, a) is met first.
    // Then "Za", "Ġbc", "Ġbc": (Ġ, b) before (b, c).
    let fast = BpeTokenizer::train("aaa bc bc", 259, &[]);
    assert_eq!(fast.merges(), [((97, 97), 257), ((256, 98), 258)]);
    assert_eq!(BpeTokenizer::train_literal("aaa bc bc", 259, &[]).merges(), fast.merges());
}
