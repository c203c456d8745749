//! Times the library's BPE (training; encoding in OpenAI mode) next to tiktoken-rs and Hugging
//! Face's `tokenizers`, inside one process (no start-up in the numbers). Prints one JSON object.
//!
//!     bpe-bench train --text PATH --vocab-size N [--runs R] [--merges]
//!     bpe-bench encode --text PATH --gpt2 DIR [--runs R]
//!
//! `train` reads the text as the book does (`\r\n`, `\r` -> `\n`) and trains with
//! `<|endoftext|>` allowed. `encode` encodes the whole text once with each implementation (the
//! count and sha256 of its ids go to the driver, which compares them with Python tiktoken's
//! before it reports any timing), then times each that succeeded.

#[path = "../../../src/tokenizer/bpe/mod.rs"]
#[allow(dead_code)]
mod bpe;
#[path = "../../../src/pyrepr.rs"]
#[allow(dead_code)]
mod pyrepr;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn time_runs<T>(runs: usize, mut f: impl FnMut() -> T) -> (Vec<f64>, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = f();
        times.push(start.elapsed().as_secs_f64());
        last = Some(out);
    }
    (times, last.expect("at least one run"))
}

/// sha256 of the ids as little-endian u32 (Python: `hashlib.sha256(np.array(ids, "<u4").tobytes())`).
fn digest(ids: &[u32]) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for id in ids {
        h.update(id.to_le_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn read_like_python(path: &str) -> Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    Ok(text.replace("\r\n", "\n").replace('\r', "\n"))
}

fn train(args: &[String]) -> Result<Value> {
    let text = read_like_python(&arg(args, "--text").context("--text")?)?;
    let vocab_size: usize = arg(args, "--vocab-size").context("--vocab-size")?.parse()?;
    let runs: usize = arg(args, "--runs").map_or(Ok(5), |r| r.parse())?;
    let (times, tokenizer) = time_runs(runs, || bpe::BpeTokenizer::train(&text, vocab_size, &["<|endoftext|>"]));
    let mut out = json!({
        "chars": text.chars().count(),
        "vocab_size": vocab_size,
        "len_vocab": tokenizer.vocab_size(),
        "num_merges": tokenizer.merges().len(),
        "seconds": times,
        "median_s": median(times.clone()),
    });
    if args.iter().any(|a| a == "--merges") {
        out["merges"] = tokenizer.merges().iter().map(|&((a, b), n)| json!([a, b, n])).collect();
    }
    Ok(out)
}

fn encode(args: &[String]) -> Result<Value> {
    let text = std::fs::read_to_string(arg(args, "--text").context("--text")?)?;
    let gpt2 = PathBuf::from(arg(args, "--gpt2").context("--gpt2")?);
    let runs: usize = arg(args, "--runs").map_or(Ok(5), |r| r.parse())?;
    let allowed: HashSet<&str> = HashSet::from(["<|endoftext|>"]);

    let tiktoken = tiktoken_rs::r50k_base()?;
    let mut hf = tokenizers::Tokenizer::new(
        tokenizers::models::bpe::BPE::from_file(
            gpt2.join("encoder.json").to_str().context("path")?,
            gpt2.join("vocab.bpe").to_str().context("path")?,
        )
        .build()
        .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    hf.with_pre_tokenizer(Some(tokenizers::pre_tokenizers::byte_level::ByteLevel::new(false, true, true)));
    hf.with_decoder(Some(tokenizers::decoders::byte_level::ByteLevel::default()));
    hf.add_special_tokens(&[tokenizers::AddedToken::from("<|endoftext|>", true)]);
    let ours = bpe::BpeTokenizer::load(&gpt2)?;

    type Encoder<'a> = Box<dyn Fn(&str) -> Result<Vec<u32>> + 'a>;
    let implementations: Vec<(&str, Encoder)> = vec![
        ("tiktoken-rs", Box::new(|t: &str| Ok(tiktoken.encode(t, &allowed)?.0))),
        (
            "tokenizers (Hugging Face)",
            Box::new(|t: &str| Ok(hf.encode(t, false).map_err(|e| anyhow::anyhow!("{e}"))?.get_ids().to_vec())),
        ),
        ("token-embeddings BPE (OpenAI mode)", Box::new(|t: &str| ours.encode(t, Some(&["<|endoftext|>"])))),
    ];
    let mut results = Vec::new();
    for (name, encode) in &implementations {
        let entry = match encode(&text) {
            Err(e) => json!({ "name": name, "error": format!("{e:#}") }),
            Ok(ids) => {
                let (times, _) = time_runs(runs, || encode(&text).expect("encoded once already"));
                json!({
                    "name": name,
                    "num_ids": ids.len(),
                    "ids_digest": digest(&ids),
                    "first_ids": &ids[..ids.len().min(20)],
                    "seconds": times,
                    "median_s": median(times.clone()),
                })
            }
        };
        results.push(entry);
    }
    if results.is_empty() {
        bail!("no implementation ran");
    }
    Ok(json!({ "chars": text.chars().count(), "results": results }))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("train") => train(&args),
        Some("encode") => encode(&args),
        _ => Err(anyhow::anyhow!("usage: bpe-bench train|encode ...")),
    };
    match result {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
