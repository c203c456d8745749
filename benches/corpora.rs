//! Criterion benchmarks of the real-corpora path, the Rust side only (`make bench` runs the
//! side-by-side comparison with Python and PyTorch): tokenising, one loader epoch over a
//! memory-mapped token file, and input embeddings at GPT-2 small sizes against a plain copy.
//!
//! `cargo bench --bench corpora` (a release build).

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use token_embeddings::data::encode::Gpt2Encoder;
use token_embeddings::data::prepare::{encode_ordinary_parallel, prepare, PrepareOptions};
use token_embeddings::data::{DataLoader, GptDatasetV1, LoaderOptions};
use token_embeddings::embedding::Embedding;
use token_embeddings::positional::{input_embeddings, PositionalEmbedding};
use token_embeddings::random::manual_seed;
use token_embeddings::tch::{self, Device, Kind, Tensor};

fn verdict() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/the-verdict.txt")).unwrap()
}

/// About 10^5 GPT-2 tokens: the story 20 times (5145 tokens each).
fn corpus() -> String {
    verdict().repeat(20)
}

fn tokenising(c: &mut Criterion) {
    let text = corpus();
    let bpe = tiktoken_rs::r50k_base_singleton();
    let mut group = c.benchmark_group("tokenise_1e5_tokens");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("tiktoken_rs_one_thread", |b| b.iter(|| bpe.encode_ordinary(&text)));
    group.bench_function("gpt2_encoder_one_thread", |b| b.iter(|| Gpt2Encoder::get().encode_ordinary(&text)));
    group.bench_function("gpt2_encoder_all_cores", |b| b.iter(|| encode_ordinary_parallel(&text)));
    group.finish();
}

fn token_file() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-corpora");
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("corpus-1e5.txt");
    std::fs::write(&text, corpus()).unwrap();
    let out = dir.join("corpus-1e5.bin");
    prepare(&[text], &out, &PrepareOptions { progress: false, ..PrepareOptions::default() }).unwrap();
    out
}

fn loader_epoch(c: &mut Criterion) {
    let path = token_file();
    let mut group = c.benchmark_group("loader_epoch_1e5_tokens");
    for stride in [128usize, 1] {
        group.bench_with_input(BenchmarkId::new("stride", stride), &stride, |b, &stride| {
            b.iter(|| {
                manual_seed(123);
                let dataset = GptDatasetV1::open_token_file(&path, 256, stride).unwrap();
                let loader =
                    DataLoader::new(dataset, LoaderOptions { batch_size: 8, shuffle: true, drop_last: true }).unwrap();
                let mut batches = 0;
                for batch in loader.iter().unwrap() {
                    batch.unwrap();
                    batches += 1;
                }
                batches
            })
        });
    }
    group.finish();
}

fn embeddings(c: &mut Criterion) {
    // GPT-2 small: 50257 x 768 tokens, 1024 positions, a batch of 8 full-length sequences.
    manual_seed(123);
    let tok = Embedding::new(50257, 768).unwrap();
    let pos = PositionalEmbedding::new(1024, 768).unwrap();
    let ids = Tensor::randint(50257, [8, 1024], (Kind::Int64, Device::Cpu));
    let output = tch::no_grad(|| input_embeddings(&tok, &pos, &ids)).unwrap();
    let mut group = c.benchmark_group("input_embeddings_gpt2_small");
    group.throughput(Throughput::Bytes((output.numel() * 4) as u64));
    group.bench_function("fused", |b| b.iter(|| tch::no_grad(|| input_embeddings(&tok, &pos, &ids)).unwrap()));
    group.bench_function("two_steps", |b| {
        b.iter(|| tch::no_grad(|| tok.forward(&ids).unwrap() + pos.forward(1024).unwrap()))
    });
    group.bench_function("copy_of_the_output", |b| {
        b.iter(|| {
            let mut copy = output.empty_like();
            copy.copy_(&output);
            copy
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = tokenising, loader_epoch, embeddings
}
criterion_main!(benches);
