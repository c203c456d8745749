//! Python's string rules, checked against the live Python that runs the book's code
//! (`tests/reference/python_text.py`): white space (`str.isspace`, `str.strip`, `re`'s `\s`),
//! the book's split and decode rules, and `repr`, on every Unicode code point; then the book's
//! tokenizers and tiktoken's GPT-2 on generated strings and id lists (proptest; a failing case is
//! shrunk, printed, and its seed kept in `tests/python_text.proptest-regressions`).
//!
//! Without the venv these tests fail (they are never skipped): run `make setup`.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use proptest::prelude::*;
use serde_json::{json, Value};
use token_embeddings::pyrepr::{
    is_python_printable, is_python_whitespace, python_decimal, python_int, python_str_repr, python_strip,
};
use token_embeddings::reference;
use token_embeddings::tokenizer::{
    split_text, DisallowedSpecialToken, Gpt2Tokenizer, SimpleTokenizerV1, SimpleTokenizerV2, Vocab, END_OF_TEXT,
};
use token_embeddings::walkthrough::THE_VERDICT;

fn code_points() -> impl Iterator<Item = char> {
    (0..=0x10FFFF_u32).filter_map(char::from_u32)
}

fn code_point_set(facts: &Value, key: &str) -> HashSet<u32> {
    facts[key].as_array().unwrap_or_else(|| panic!("no {key}")).iter().map(|c| c.as_u64().unwrap() as u32).collect()
}

#[test]
fn every_code_point_follows_python() {
    let facts = reference::run_script("python_text.py", &["unicode"], None).expect("python_text.py unicode runs");
    let isspace = code_point_set(&facts, "isspace");
    let strip = code_point_set(&facts, "strip");
    let re_space = code_point_set(&facts, "re_space");
    let split_separator = code_point_set(&facts, "split_separator");
    let v1_space = code_point_set(&facts, "v1_decode_space");
    let v2_space = code_point_set(&facts, "v2_decode_space");
    let reprs: Vec<&str> = facts["reprs"].as_str().unwrap().split('\n').collect();
    let digits: std::collections::HashMap<u32, u32> = facts["int_digits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| (pair[0].as_u64().unwrap() as u32, pair[1].as_u64().unwrap() as u32))
        .collect();
    assert_eq!(reprs.len(), code_points().count(), "one repr per code point");
    assert_eq!(isspace.len(), 29, "Python 3.11's str.isspace() holds for 29 code points");

    let mut wrong = Vec::new();
    for (c, python_repr) in code_points().zip(reprs) {
        let code = u32::from(c);
        let mut check = |what: &str, ours: bool, theirs: bool| {
            if ours != theirs {
                wrong.push(format!("U+{code:04X} {what}: Rust {ours}, Python {theirs}"));
            }
        };
        check("isspace", is_python_whitespace(c), isspace.contains(&code));
        check("strip", python_strip(&format!("{c}a{c}")) == "a", strip.contains(&code));
        check("re \\s", is_python_whitespace(c), re_space.contains(&code));
        check("split", split_text(&format!("a{c}b")) == ["a", "b"], split_separator.contains(&code));
        // decode joins the pieces ["a" + c, ","] with a space; the rule removes white space before ','.
        let v1 = SimpleTokenizerV1::new(Vocab::from_tokens([format!("a{c}"), ",".to_owned()]));
        check("V1 decode", v1.decode(&[0, 1]).unwrap() == "a,", v1_space.contains(&code));
        let v2 = SimpleTokenizerV2::new(Vocab::from_tokens([format!("a{c}"), ";".into(), "<|unk|>".into()])).unwrap();
        check("V2 decode", v2.decode(&[0, 1]).unwrap() == "a;", v2_space.contains(&code));
        if python_decimal(c) != digits.get(&code).copied() {
            wrong.push(format!("U+{code:04X} int(): Rust {:?}, Python {:?}", python_decimal(c), digits.get(&code)));
        }
        let ours = python_str_repr(&c.to_string());
        if ours != python_repr {
            wrong.push(format!("U+{code:04X} repr: Rust {ours}, Python {python_repr}"));
        }
        if wrong.len() > 20 {
            break;
        }
    }
    assert!(wrong.is_empty(), "differences (first ones):\n{}", wrong.join("\n"));
}

#[test]
fn printable_table_agrees_with_repr_of_two_character_strings() {
    // Quotes and escapes interact: Python picks the quote from the whole string.
    for (text, python) in [
        ("it's", r#""it's""#),
        ("say \"hi\"", r#"'say "hi"'"#),
        ("both ' and \"", r#"'both \' and "'"#),
        ("tab\there", r"'tab\there'"),
        ("\\", r"'\\'"),
    ] {
        assert_eq!(python_str_repr(text), python, "repr({text:?})");
    }
    assert!(is_python_printable(' ') && !is_python_printable('\u{a0}'));
}

#[test]
fn committed_tables_are_what_this_python_makes() {
    let status = Command::new(reference::python())
        .arg(reference::script_named("python_text.py"))
        .args(["tables", "--check"])
        .status()
        .expect("the venv's Python runs");
    assert!(status.success(), "src/pyrepr/tables.rs is stale: regenerate it as its header says");
}

// ------------------------------------------------------------------------------------------------
// The book's tokenizers on generated input, against live Python (one server process per test run).
// ------------------------------------------------------------------------------------------------

struct Oracle {
    _child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
}

/// Asks `python_text.py serve` one question.
fn ask(request: &Value) -> Value {
    static ORACLE: OnceLock<Mutex<Oracle>> = OnceLock::new();
    let oracle = ORACLE.get_or_init(|| {
        let mut child = Command::new(reference::python())
            .arg(reference::script_named("python_text.py"))
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the venv's Python runs (run `make setup` if it is missing)");
        let input = child.stdin.take().unwrap();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        let mut hello = String::new();
        output.read_line(&mut hello).unwrap();
        let hello: Value = serde_json::from_str(&hello).expect("python_text.py serve says hello");
        assert!(hello["torch_version"].as_str().unwrap().starts_with(reference::PYTORCH_VERSION));
        Mutex::new(Oracle { _child: child, input, output })
    });
    let mut oracle = oracle.lock().unwrap_or_else(|p| p.into_inner());
    writeln!(oracle.input, "{request}").unwrap();
    oracle.input.flush().unwrap();
    let mut line = String::new();
    oracle.output.read_line(&mut line).unwrap();
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("python_text.py answered {line:?}: {e}"))
}

/// `{"ok": value}` or `{"error": "KeyError: 'x'"}`, as Python's side writes results.
fn result_json<T: serde::Serialize>(result: anyhow::Result<T>, error: impl Fn(&anyhow::Error) -> String) -> Value {
    match result {
        Ok(value) => json!({ "ok": value }),
        Err(err) => json!({ "error": error(&err) }),
    }
}

/// Pieces that make the book's rules work hard: words the story knows, punctuation and its runs,
/// every kind of Python white space (and look-alikes that are not), special tokens, anything.
fn fragment() -> impl Strategy<Value = String> {
    let words = ["I", "HAD", "always", "thought", "Jack", "Gisburn", "the", "said", "Mrs", "pride", "it", "was"];
    let punctuation = [",", ".", ":", ";", "?", "_", "!", "\"", "(", ")", "'", "--", "-", "---", "...", "—"];
    let spaces: Vec<String> = token_embeddings::pyrepr::tables::WHITESPACE
        .iter()
        .map(char::to_string)
        .chain(["\u{200b}", "\u{feff}", "\u{180e}", "\r\n", "  "].map(String::from))
        .collect();
    prop_oneof![
        4 => proptest::sample::select(words.map(String::from).to_vec()),
        3 => proptest::sample::select(punctuation.map(String::from).to_vec()),
        3 => proptest::sample::select(spaces),
        1 => proptest::sample::select(vec![END_OF_TEXT.to_owned(), "<|unk|>".to_owned(), "<|endoftext".to_owned()]),
        2 => "[a-zA-Z0-9]{1,6}",
        2 => any::<char>().prop_map(String::from),
        1 => "\\PC{1,4}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(fragment(), 0..16).prop_map(|pieces| pieces.concat())
}

/// A small vocabulary text (so V1 both succeeds and fails) or the book's story.
fn vocab_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just(THE_VERDICT.to_owned()),
        1 => text(),
    ]
}

fn key_error_of(err: &anyhow::Error) -> String {
    // Our errors name the piece as Python's repr does; Python prints `KeyError: <repr>`.
    let message = err.to_string();
    let piece = message.split(" is not in the vocabulary").next().unwrap();
    format!("KeyError: {piece}")
}

/// Our `python_int` as Python's side writes `int(text)`; a value beyond int64 (which Python reads
/// and we refuse) is shown as Python's value when our error says so.
fn int_json(text: &str, theirs: &Value) -> Value {
    match python_int(text) {
        Ok(n) => json!({ "ok": n }),
        Err(why) if why.contains("outside the int64 range") && theirs["ok"].is_number() => theirs.clone(),
        Err(why) => json!({ "error": format!("ValueError: {why}") }),
    }
}

fn value_error_of(err: &anyhow::Error) -> String {
    match err.downcast_ref::<DisallowedSpecialToken>() {
        Some(special) => format!("ValueError: {}", special.python_message()),
        None => format!("unexpected error: {err:#}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Ids, decodes and errors of V1, V2 and GPT-2 equal the book's classes and tiktoken's.
    #[test]
    fn tokenizers_equal_the_books_python(vocab_text in vocab_text(), texts in proptest::collection::vec(text(), 1..4)) {
        let python = ask(&json!({ "vocab_text": vocab_text, "texts": texts, "vocab": vocab_text.len() < 2000 }));
        let v1 = SimpleTokenizerV1::new(Vocab::from_text(&vocab_text));
        let v2 = SimpleTokenizerV2::new(Vocab::from_text_with_specials(&vocab_text)).unwrap();
        let gpt2 = Gpt2Tokenizer::new();
        if vocab_text.len() < 2000 {
            let items = |vocab: &Vocab| json!(vocab.entries().map(|(t, i)| json!([t, i])).collect::<Vec<_>>());
            prop_assert_eq!(&items(v1.vocab()), &python["v1_vocab"]);
            prop_assert_eq!(&items(v2.vocab()), &python["v2_vocab"]);
        }
        for (text, theirs) in texts.iter().zip(python["texts"].as_array().unwrap()) {
            let ours = json!({
                "v1_encode": result_json(v1.encode(text), key_error_of),
                "v1_round_trip": result_json(v1.encode(text).and_then(|ids| v1.decode(&ids)), key_error_of),
                "v2_encode": v2.encode(text),
                "v2_round_trip": v2.decode(&v2.encode(text)).unwrap(),
                "gpt2_encode": result_json(gpt2.encode(text), value_error_of),
                "gpt2_encode_allowed": gpt2.encode_with_special(text, &[END_OF_TEXT]).unwrap(),
                "gpt2_encode_ordinary": gpt2.encode_ordinary(text),
                "int": int_json(text, &theirs["int"]),
            });
            prop_assert_eq!(&ours, theirs, "text {:?}", text);
            // V2's ids are always inside its vocabulary.
            prop_assert!(v2.encode(text).iter().all(|&id| v2.vocab().token(id).is_some()));
        }
    }

    /// GPT-2 decode equals tiktoken's lossy decode (and decode_bytes its bytes) for any id list,
    /// including ids that end inside a UTF-8 character and ids outside the vocabulary.
    #[test]
    fn gpt2_decode_equals_tiktoken(ids in proptest::collection::vec(prop_oneof![
        20 => 0..50257_i64,
        3 => 49000..50257_i64,
        1 => Just(50256_i64),
        1 => prop_oneof![Just(-1_i64), Just(50257_i64), Just(i64::MAX)],
    ], 0..10)) {
        let python = ask(&json!({ "vocab_text": "", "texts": [], "gpt2_ids": [ids] }));
        let theirs = &python["gpt2_ids"][0];
        let gpt2 = Gpt2Tokenizer::new();
        if ids.iter().all(|id| (0..Gpt2Tokenizer::VOCAB_SIZE).contains(id)) {
            prop_assert_eq!(&json!({ "ok": gpt2.decode(&ids).unwrap() }), &theirs["decode"]);
            prop_assert_eq!(&json!({ "ok": gpt2.decode_bytes(&ids).unwrap() }), &theirs["decode_bytes"]);
            let pieces: Vec<String> = ids.iter().map(|&id| gpt2.decode(&[id]).unwrap()).collect();
            prop_assert_eq!(&json!({ "ok": pieces }), &theirs["pieces"]);
        } else {
            // Python raises (KeyError or OverflowError); we name the first bad id and its position.
            prop_assert!(theirs["decode"]["error"].is_string());
            let (position, id) = ids.iter().enumerate().find(|(_, id)| !(0..50257).contains(*id)).unwrap();
            let err = gpt2.decode(&ids).unwrap_err().to_string();
            let expected = format!("token id {id} at position {position} is outside GPT-2's vocabulary of 50257 ids");
            prop_assert!(err.contains(&expected), "{}", err);
        }
    }

    /// V1 and V2 decode of generated id lists: the same text, or the same failing id.
    #[test]
    fn simple_decode_equals_the_books_python(ids in proptest::collection::vec(prop_oneof![
        10 => 0..1132_i64, 1 => Just(1130_i64), 1 => Just(1131_i64), 1 => Just(5000_i64), 1 => Just(-1_i64)
    ], 0..12)) {
        let python = ask(&json!({ "vocab_text": THE_VERDICT, "texts": [], "simple_ids": [ids] }));
        let theirs = &python["simple_ids"][0];
        let v1 = SimpleTokenizerV1::new(Vocab::from_text(THE_VERDICT));
        let v2 = SimpleTokenizerV2::new(Vocab::from_text_with_specials(THE_VERDICT)).unwrap();
        let key_error = |ids: &[i64], vocab: &Vocab| -> Value {
            let bad = ids.iter().find(|&&id| vocab.token(id).is_none()).unwrap();
            json!({ "error": format!("KeyError: {bad}") })
        };
        for (name, decoded, vocab) in [("v1_decode", v1.decode(&ids), v1.vocab()), ("v2_decode", v2.decode(&ids), v2.vocab())] {
            let ours = match decoded {
                Ok(text) => json!({ "ok": text }),
                Err(err) => {
                    let (position, bad) = ids.iter().enumerate().find(|(_, &id)| vocab.token(id).is_none()).unwrap();
                    let message = err.to_string();
                    prop_assert!(message.contains(&format!("token id {bad} at position {position}")), "{}", message);
                    key_error(&ids, vocab)
                }
            };
            prop_assert_eq!(&ours, &theirs[name], "{}", name);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// `int(text)` (the number-data bonus reads its ids with it) on strings made of digits of any
    /// script, signs, underscores and white space.
    #[test]
    fn python_int_equals_int(texts in proptest::collection::vec(
        proptest::collection::vec(proptest::sample::select(vec![
            "0", "1", "7", "9", "_", "+", "-", " ", "\u{1c}", "\u{663}", "\u{ff11}", "\u{1d7ce}", "\u{b2}", "x", "00",
            "9223372036854775807", "9223372036854775808",
        ]), 0..7).prop_map(|pieces| pieces.concat()),
        1..8,
    )) {
        let python = ask(&json!({ "vocab_text": "", "texts": texts }));
        for (text, theirs) in texts.iter().zip(python["texts"].as_array().unwrap()) {
            prop_assert_eq!(&int_json(text, &theirs["int"]), &theirs["int"], "int({:?})", text);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// decode(encode(s)) == s for any string, `<|endoftext|>` inside included (allowed or not).
    #[test]
    fn gpt2_round_trip(s in prop_oneof![any::<String>(), text()]) {
        let gpt2 = Gpt2Tokenizer::new();
        prop_assert_eq!(&gpt2.decode(&gpt2.encode_with_special(&s, &[END_OF_TEXT]).unwrap()).unwrap(), &s);
        prop_assert_eq!(&gpt2.decode(&gpt2.encode_ordinary(&s)).unwrap(), &s);
        match gpt2.encode(&s) {
            Ok(ids) => prop_assert_eq!(&gpt2.decode(&ids).unwrap(), &s),
            Err(_) => prop_assert!(s.contains(END_OF_TEXT)),
        }
    }
}
