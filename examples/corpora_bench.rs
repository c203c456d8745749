//! The Rust side of `make bench` (benches/side_by_side.py): one measurement per process, timed
//! inside the process (libtorch's start-up excluded), printed as one JSON line. The script reads
//! the process's peak memory from the operating system.
//!
//! ```text
//! corpora_bench tokenise TEXT REPEATS         GPT-2 ids of a text file, in memory
//! corpora_bench prepare TEXT OUT.bin           the `prepare` subcommand's work
//! corpora_bench epoch FILE.bin STRIDE          GptDatasetV1 over a token file + one shuffled epoch
//! corpora_bench embeddings REPEATS             input embeddings at GPT-2 small sizes, and a copy
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, ensure, Context, Result};
use serde_json::json;
use token_embeddings::data::encode::Gpt2Encoder;
use token_embeddings::data::prepare::{encode_ordinary_parallel, prepare, PrepareOptions};
use token_embeddings::data::{DataLoader, GptDatasetV1, LoaderOptions};
use token_embeddings::embedding::Embedding;
use token_embeddings::positional::{input_embeddings, PositionalEmbedding};
use token_embeddings::random::manual_seed;
use token_embeddings::tch::{self, Device, Kind, Tensor};

fn time<T>(f: impl FnOnce() -> Result<T>) -> Result<(f64, T)> {
    let start = Instant::now();
    let value = f()?;
    Ok((start.elapsed().as_secs_f64(), value))
}

fn bits(t: &Tensor) -> Vec<u32> {
    let t = t.contiguous();
    let mut values = vec![0f32; t.numel()];
    t.copy_data(&mut values, t.numel());
    values.into_iter().map(f32::to_bits).collect()
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).with_context(|| format!("argument {i} missing (see the file's docs)"));
    let result = match arg(0)?.as_str() {
        "tokenise" => {
            let text = std::fs::read_to_string(arg(1)?)?;
            let repeats: usize = arg(2)?.parse()?;
            // Built once per process (as Python's get_encoding is, before its timing).
            let _ = Gpt2Encoder::get();
            let mut seconds = Vec::new();
            let mut tokens = 0;
            for _ in 0..repeats {
                let (s, ids) = time(|| Ok(encode_ordinary_parallel(&text)))?;
                seconds.push(s);
                tokens = ids.len();
            }
            json!({ "seconds": seconds, "tokens": tokens, "threads": rayon::current_num_threads() })
        }
        "prepare" => {
            let (text, out) = (PathBuf::from(arg(1)?), PathBuf::from(arg(2)?));
            let options = PrepareOptions { progress: false, ..PrepareOptions::default() };
            let _ = Gpt2Encoder::get();
            let (s, info) = time(|| prepare(&[text], &out, &options))?;
            json!({ "seconds": [s], "tokens": info.tokens, "sha256": info.sha256 })
        }
        "epoch" => {
            let path = PathBuf::from(arg(1)?);
            let stride: usize = arg(2)?.parse()?;
            manual_seed(123);
            let (s, batches) = time(|| {
                let dataset = GptDatasetV1::open_token_file(&path, 256, stride)?;
                let options = LoaderOptions { batch_size: 8, shuffle: true, drop_last: true };
                let loader = DataLoader::new(dataset, options)?;
                let mut batches = 0;
                for batch in loader.iter()? {
                    batch?;
                    batches += 1;
                }
                Ok(batches)
            })?;
            json!({ "seconds": [s], "batches": batches })
        }
        "embeddings" => {
            let repeats: usize = arg(1)?.parse()?;
            manual_seed(123);
            let tok = Embedding::new(50257, 768)?;
            let pos = PositionalEmbedding::new(1024, 768)?;
            let ids = Tensor::randint(50257, [8, 1024], (Kind::Int64, Device::Cpu));
            let _guard = tch::no_grad_guard();
            let fused = input_embeddings(&tok, &pos, &ids)?;
            let two_steps = tok.forward(&ids)? + pos.forward(1024)?;
            ensure!(bits(&fused) == bits(&two_steps), "fused input embeddings differ from the two steps");
            let mut results = serde_json::Map::new();
            for name in ["fused", "two_steps", "copy"] {
                let mut seconds = Vec::new();
                for _ in 0..repeats {
                    let (s, out) = time(|| match name {
                        "fused" => input_embeddings(&tok, &pos, &ids),
                        "two_steps" => Ok(tok.forward(&ids)? + pos.forward(1024)?),
                        // What `clone()` does in PyTorch (tch's `copy()` zero-fills first).
                        _ => {
                            let mut copy = fused.f_empty_like()?;
                            copy.f_copy_(&fused)?;
                            Ok(copy)
                        }
                    })?;
                    drop(out);
                    seconds.push(s);
                }
                results.insert(name.into(), json!(seconds));
            }
            json!({ "seconds": results, "bytes": fused.numel() * 4, "threads": rayon::current_num_threads(),
                    "torch_threads": tch::get_num_threads() })
        }
        other => bail!("unknown measurement {other:?}"),
    };
    println!("{result}");
    Ok(())
}
