//! Parity with a live PyTorch 2.13.0: the same operations run here and in
//! `tests/reference/chapter2.py ops` (the book's code on real PyTorch), and every tensor is
//! compared by the SHA-256 of its bytes, every printed form character by character.
//!
//! Each test sends one list of operations: both sides perform them in order in one process, so
//! the default generator's stream carries from one operation to the next, as in a notebook.
//! Without the venv these tests fail (they are never skipped): run `make setup`.

use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use token_embeddings::data::{number_text, DataLoader, GptDatasetV1, LoaderOptions};
use token_embeddings::embedding::Embedding;
use token_embeddings::linear::{one_hot, Linear};
use token_embeddings::printing::{list_repr, parameter_repr, tensor_repr};
use token_embeddings::random::{draw_int64_seed, manual_seed, PrivateGenerator};
use token_embeddings::reference;
use token_embeddings::summary::summarize;
use token_embeddings::tch::{Device, Kind, Tensor};
use token_embeddings::walkthrough::{self, THE_VERDICT};

const VERDICT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/the-verdict.txt");

/// The default generator is one per process; tests run on several threads.
static GENERATOR: Mutex<()> = Mutex::new(());

/// Runs `ops` in PyTorch and here, and asserts that every result is identical.
fn assert_parity(ops: Value) {
    let python = reference::ops(&ops).expect("the PyTorch reference runs (run `make setup` if it is missing)");
    let rust = {
        let _guard = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
        ops.as_array()
            .unwrap()
            .iter()
            .map(|op| run_op(op).unwrap_or_else(|e| panic!("{op}: {e:#}")))
            .collect::<Vec<_>>()
    };
    assert_eq!(python.len(), rust.len());
    for ((op, ours), theirs) in ops.as_array().unwrap().iter().zip(&rust).zip(&python) {
        assert_same(op, ours, theirs, "");
    }
}

/// Field by field, so that a failure names the operation and the field; texts are shown whole.
fn assert_same(op: &Value, ours: &Value, theirs: &Value, path: &str) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let (x, y) = (a.get(key).unwrap_or(&Value::Null), b.get(key).unwrap_or(&Value::Null));
                assert_same(op, x, y, &format!("{path}.{key}"));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_same(op, x, y, &format!("{path}[{i}]"));
            }
        }
        (Value::String(a), Value::String(b)) => {
            assert!(a == b, "op {op}\nfield {path} differs\n--- Rust:\n{a}\n--- PyTorch:\n{b}\n");
        }
        _ => assert!(ours == theirs, "op {op}\nfield {path} differs\nRust:    {ours}\nPyTorch: {theirs}"),
    }
}

fn int(op: &Value, key: &str) -> Result<i64> {
    op[key].as_i64().with_context(|| format!("{key} missing"))
}

fn flag(op: &Value, key: &str, default: bool) -> bool {
    op[key].as_bool().unwrap_or(default)
}

fn shape(op: &Value) -> Result<Vec<i64>> {
    op["shape"].as_array().context("shape")?.iter().map(|d| d.as_i64().context("dim")).collect()
}

/// A nested JSON list of ids as a tensor of the same shape (`torch.tensor(ids)`).
fn id_tensor(ids: &Value) -> Result<Tensor> {
    fn walk(v: &Value, depth: usize, shape: &mut Vec<i64>, flat: &mut Vec<i64>) -> Result<()> {
        match v {
            Value::Array(items) => {
                if shape.len() == depth {
                    shape.push(items.len() as i64);
                }
                items.iter().try_for_each(|item| walk(item, depth + 1, shape, flat))
            }
            _ => {
                flat.push(v.as_i64().context("id")?);
                Ok(())
            }
        }
    }
    let (mut shape, mut flat) = (Vec::new(), Vec::new());
    walk(ids, 0, &mut shape, &mut flat)?;
    Ok(Tensor::from_slice(&flat).reshape(&shape))
}

fn summary(t: &Tensor) -> Result<Value> {
    Ok(serde_json::to_value(summarize(t)?)?)
}

fn kind_of(name: &str) -> Result<Kind> {
    Ok(match name {
        "float32" => Kind::Float,
        "float64" => Kind::Double,
        "float16" => Kind::Half,
        "int64" => Kind::Int64,
        "int32" => Kind::Int,
        "uint8" => Kind::Uint8,
        "bool" => Kind::Bool,
        other => bail!("unknown dtype {other}"),
    })
}

/// The Rust side of one operation of `chapter2.py ops`, returning the same JSON.
fn run_op(op: &Value) -> Result<Value> {
    Ok(match op["op"].as_str().context("op")? {
        "manual_seed" => {
            let seed = op["seed"].as_u64().or_else(|| op["seed"].as_i64().map(|s| s as u64)).context("seed")?;
            manual_seed(seed);
            json!({})
        }
        "embedding" => {
            let (v, d) = (int(op, "num_embeddings")?, int(op, "dim")?);
            let layer = Embedding::new(v, d)?;
            let mut out = json!({
                "weight": summary(layer.weight())?,
                "weight_text": if v * d <= 2_000_000 { json!(parameter_repr(layer.weight())?) } else { Value::Null },
            });
            if !op["ids"].is_null() {
                let looked_up = layer.forward(&id_tensor(&op["ids"])?)?;
                out["lookup"] = summary(&looked_up)?;
                out["lookup_text"] = json!(tensor_repr(&looked_up)?);
            }
            out
        }
        "linear" => {
            let layer = Linear::new(int(op, "in_features")?, int(op, "out_features")?, flag(op, "bias", true))?;
            json!({
                "weight": summary(layer.weight())?,
                "weight_text": parameter_repr(layer.weight())?,
                "bias": layer.bias().map(summary).transpose()?,
            })
        }
        "loader" => {
            let (max_length, stride) = (int(op, "max_length")? as usize, int(op, "stride")? as usize);
            let dataset = if let Some(path) = op["text_file"].as_str() {
                GptDatasetV1::from_text(&std::fs::read_to_string(path)?, max_length, stride)?
            } else {
                GptDatasetV1::from_numbers_text(&number_text(int(op, "numbers")? as usize), max_length, stride)?
            };
            let options = LoaderOptions {
                batch_size: int(op, "batch_size")? as usize,
                shuffle: flag(op, "shuffle", true),
                drop_last: flag(op, "drop_last", true),
            };
            let loader = DataLoader::new(dataset, options)?;
            let limit = op["max_batches"].as_u64().map_or(usize::MAX, |n| n as usize);
            let mut batches = Vec::new();
            for batch in loader.iter()?.take(limit) {
                let batch = batch?;
                batches.push(json!({
                    "inputs": summary(&batch.inputs)?,
                    "targets": summary(&batch.targets)?,
                    "text": list_repr(&[&batch.inputs, &batch.targets])?,
                }));
            }
            json!({ "batches": batches, "num_batches": loader.len() })
        }
        "randn" => {
            let t = Tensor::f_randn(shape(op)?, (Kind::Float, Device::Cpu))?;
            json!({ "tensor": summary(&t)?, "text": tensor_repr(&t)? })
        }
        "randperm" => {
            let seed = op["seed"].as_u64().context("seed")?;
            json!({ "perm": PrivateGenerator::new(seed).randperm(int(op, "n")? as usize) })
        }
        "int64_seed" => json!({ "value": draw_int64_seed()? }),
        "print" => {
            let kind = kind_of(op["dtype"].as_str().unwrap_or("float32"))?;
            let values = op["values"].as_array().context("values")?;
            let t = match kind {
                Kind::Bool => {
                    Tensor::from_slice(&values.iter().map(|v| v.as_bool().unwrap_or(false)).collect::<Vec<_>>())
                }
                Kind::Int64 | Kind::Int | Kind::Uint8 => {
                    Tensor::from_slice(&values.iter().map(|v| v.as_i64().unwrap_or(0)).collect::<Vec<_>>())
                        .to_kind(kind)
                }
                _ => {
                    let floats: Vec<f64> = values
                        .iter()
                        .map(|v| match v.as_str() {
                            Some("nan") => f64::NAN,
                            Some("inf") => f64::INFINITY,
                            Some("-inf") => f64::NEG_INFINITY,
                            _ => v.as_f64().unwrap_or(0.0),
                        })
                        .collect();
                    Tensor::from_slice(&floats).to_kind(kind)
                }
            };
            let t = t.reshape(shape(op)?).set_requires_grad(flag(op, "requires_grad", false));
            let text = if flag(op, "parameter", false) {
                parameter_repr(&t.set_requires_grad(true))?
            } else {
                tensor_repr(&t)?
            };
            json!({ "text": text })
        }
        "print_randn" => {
            let scale = op["scale"].as_f64().unwrap_or(1.0);
            let mut t = Tensor::f_randn(shape(op)?, (Kind::Float, Device::Cpu))?.set_requires_grad(flag(
                op,
                "requires_grad",
                false,
            ));
            if scale != 1.0 {
                // Python's `t * 2.0` wraps the number in a 0-d tensor (mul.Tensor, MulBackward0);
                // tch's mul_scalar would be mul.Scalar and print MulBackward1.
                t = t.f_mul(&Tensor::from(scale))?;
            }
            json!({ "text": tensor_repr(&t)?, "tensor": summary(&t)? })
        }
        "one_hot_linear" => {
            let (v, d) = (int(op, "num_embeddings")?, int(op, "dim")?);
            let ids: Vec<i64> = op["ids"].as_array().context("ids")?.iter().filter_map(Value::as_i64).collect();
            manual_seed(123);
            let embedding = Embedding::new(v, d)?;
            let onehot = one_hot(&ids)?;
            manual_seed(123);
            let mut linear = Linear::new(v, d, false)?;
            let linear_weight_text = parameter_repr(linear.weight())?;
            linear.set_weight(&embedding.weight().tr())?;
            let embedded = embedding.lookup(&ids)?;
            let projected = linear.forward(&onehot.to_kind(Kind::Float))?;
            json!({
                "embedding_text": tensor_repr(&embedded)?,
                "onehot_text": tensor_repr(&onehot)?,
                "linear_weight_text": linear_weight_text,
                "linear_text": tensor_repr(&projected)?,
                "embedding": summary(&embedded)?,
                "linear": summary(&projected)?,
            })
        }
        other => bail!("unknown op {other}"),
    })
}

const SEEDS: [u64; 5] = [0, 1, 123, (1 << 31) - 1, (1 << 32) + 5];

#[test]
fn the_whole_chapter_matches_pytorch() {
    let python = reference::walkthrough(None).expect("the PyTorch reference runs");
    let rust = {
        let _guard = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
        walkthrough::run(THE_VERDICT, Device::Cpu).unwrap()
    };
    let steps = python["steps"].as_array().unwrap();
    assert_eq!(steps.len(), rust.steps.len());
    for (ours, theirs) in rust.steps.iter().zip(steps) {
        assert_eq!(theirs["name"], ours.name);
        assert_eq!(theirs["text"].as_str().unwrap(), ours.text, "step {}", ours.name);
    }
    // Including the 50257×256 and 4×256 tables the notebook never prints.
    for (name, tensor) in &rust.tensors {
        assert_eq!(python["tensors"][*name], summary(tensor).unwrap(), "tensor {name}");
    }
}

#[test]
fn embedding_layers_for_many_seeds_and_sizes() {
    // Fewer than 16 elements (scalar normal_ path), a multiple of 16, not a multiple of 16,
    // and GPT-2's 50257×768 table.
    let sizes = [(3, 5), (4, 8), (6, 3), (50257, 768)];
    let mut ops = Vec::new();
    for seed in SEEDS {
        for (v, d) in sizes {
            ops.push(json!({ "op": "manual_seed", "seed": seed }));
            ops.push(json!({ "op": "embedding", "num_embeddings": v, "dim": d, "ids": [[0, v - 1], [v / 2, 1]] }));
        }
    }
    assert_parity(Value::Array(ops));
}

#[test]
fn seeds_python_accepts_beyond_int64() {
    assert_parity(json!([
        { "op": "manual_seed", "seed": u64::MAX },
        { "op": "embedding", "num_embeddings": 5, "dim": 4 },
        { "op": "manual_seed", "seed": -1 },
        { "op": "embedding", "num_embeddings": 5, "dim": 4 },
        { "op": "manual_seed", "seed": i64::MIN },
        { "op": "int64_seed" },
    ]));
}

#[test]
fn shuffled_loaders_on_the_verdict() {
    let mut ops = Vec::new();
    let cases =
        [(1, 4, 1, true), (3, 4, 4, false), (8, 4, 4, true), (4, 256, 128, true), (5, 32, 7, false), (2, 16, 64, true)];
    for (i, &(batch_size, max_length, stride, drop_last)) in cases.iter().enumerate() {
        ops.push(json!({ "op": "manual_seed", "seed": SEEDS[i % SEEDS.len()] }));
        ops.push(json!({
            "op": "loader", "text_file": VERDICT, "batch_size": batch_size, "max_length": max_length,
            "stride": stride, "shuffle": true, "drop_last": drop_last,
        }));
    }
    assert_parity(Value::Array(ops));
}

#[test]
fn loaders_on_number_data() {
    let mut ops = Vec::new();
    for &seed in &SEEDS {
        for (batch_size, max_length, stride, shuffle, drop_last) in
            [(2, 4, 4, true, true), (3, 5, 2, true, false), (7, 4, 1, false, false)]
        {
            ops.push(json!({ "op": "manual_seed", "seed": seed }));
            ops.push(json!({
                "op": "loader", "numbers": 1000, "batch_size": batch_size, "max_length": max_length,
                "stride": stride, "shuffle": shuffle, "drop_last": drop_last,
            }));
        }
    }
    assert_parity(Value::Array(ops));
}

#[test]
fn order_of_draws_across_loaders_and_layers() {
    assert_parity(json!([
        { "op": "manual_seed", "seed": 123 },
        // Two shuffling loaders, one after the other: the second one's order depends on the
        // draws of the first (base seed at iter, sampler seed at the first batch).
        { "op": "loader", "numbers": 200, "batch_size": 4, "max_length": 4, "stride": 3, "shuffle": true, "drop_last": true },
        { "op": "loader", "numbers": 200, "batch_size": 4, "max_length": 4, "stride": 3, "shuffle": true, "drop_last": true },
        // A layer created after a loader that only drew its base seed (no shuffle).
        { "op": "loader", "text_file": VERDICT, "batch_size": 8, "max_length": 4, "stride": 4, "shuffle": false, "drop_last": true, "max_batches": 1 },
        { "op": "embedding", "num_embeddings": 7, "dim": 5, "ids": [3, 1] },
        // iter() without any batch still draws the base seed; a shuffling first batch draws more.
        { "op": "loader", "numbers": 50, "batch_size": 2, "max_length": 4, "stride": 4, "shuffle": true, "drop_last": true, "max_batches": 0 },
        { "op": "int64_seed" },
        { "op": "loader", "numbers": 50, "batch_size": 2, "max_length": 4, "stride": 4, "shuffle": true, "drop_last": true, "max_batches": 1 },
        { "op": "embedding", "num_embeddings": 3, "dim": 3 },
        { "op": "randn", "shape": [2, 17] },
    ]));
}

#[test]
fn private_generator_randperm() {
    let mut ops = Vec::new();
    for seed in [0u64, 1, 123, 4_294_967_296 + 7, 9_007_199_254_740_993] {
        for n in [1, 2, 10, 125, 1286, 5141] {
            ops.push(json!({ "op": "randperm", "n": n, "seed": seed }));
        }
    }
    assert_parity(Value::Array(ops));
}

#[test]
fn embedding_equals_one_hot_times_linear() {
    assert_parity(json!([
        { "op": "one_hot_linear", "ids": [2, 3, 1], "num_embeddings": 4, "dim": 5 },
        { "op": "manual_seed", "seed": 123 },
        { "op": "linear", "in_features": 4, "out_features": 5, "bias": false },
        { "op": "manual_seed", "seed": 7 },
        { "op": "linear", "in_features": 30, "out_features": 3, "bias": true },
    ]));
}

fn print_op(values: Value, shape: Value, dtype: &str) -> Value {
    json!({ "op": "print", "values": values, "shape": shape, "dtype": dtype })
}

#[test]
fn printed_forms_of_many_tensors() {
    let mut ops = vec![
        print_op(json!([0.5, -1.25, 3.0]), json!([3]), "float32"),
        print_op(json!([1.0, -2.0, 30.0]), json!([3]), "float32"),
        print_op(json!([0.0, 0.0, 0.0, 0.0]), json!([2, 2]), "float32"),
        print_op(json!([-0.0, 1.5]), json!([2]), "float32"),
        print_op(json!([1e-5, 1.0, -2.5]), json!([3]), "float32"),
        print_op(json!([1e9, 1.0]), json!([2]), "float32"),
        print_op(json!([123456.0, 0.001]), json!([2]), "float32"),
        print_op(json!([2e8, 3.0]), json!([2]), "float32"),
        print_op(json!(["nan", "inf", "-inf", 1.5]), json!([4]), "float32"),
        print_op(json!(["nan", 1.0]), json!([2]), "float32"),
        print_op(json!(["nan", 1e-7]), json!([2]), "float32"),
        print_op(json!([0.03125, 0.09375, 2.5]), json!([3]), "float32"),
        print_op(json!([3.5]), json!([]), "float32"),
        print_op(json!([7]), json!([]), "int64"),
        print_op(json!([]), json!([0]), "float32"),
        print_op(json!([]), json!([0, 3]), "float32"),
        print_op(json!([]), json!([0]), "int64"),
        print_op(json!([0.1, 0.2, 0.3]), json!([3]), "float64"),
        print_op(json!([0.5, 1.0, -2.0]), json!([3]), "float16"),
        print_op(json!([1, -20, 300]), json!([3]), "int32"),
        print_op(json!([1, 20, 255]), json!([3]), "uint8"),
        print_op(json!([true, false, true, true]), json!([2, 2]), "bool"),
        print_op(json!((0..12).map(|i| i as f64 * 0.25 - 1.0).collect::<Vec<_>>()), json!([2, 2, 3]), "float32"),
        print_op(json!((0..40).map(|i| i as f64 * 1.5).collect::<Vec<_>>()), json!([40]), "float32"),
        print_op(json!((0..1001).collect::<Vec<_>>()), json!([1001]), "int64"),
        print_op(json!((0..1200).map(|i| i as f64).collect::<Vec<_>>()), json!([3, 400]), "float32"),
        print_op(json!((0..1200).map(|i| i as f64 - 600.0).collect::<Vec<_>>()), json!([10, 6, 20]), "float32"),
        json!({ "op": "print", "values": [1.0, 2.0, 3.0], "shape": [3], "requires_grad": true }),
        json!({ "op": "print", "values": [0.25, -0.5, 1.0, 2.0, 4.0, 8.0], "shape": [2, 3], "parameter": true }),
        json!({ "op": "manual_seed", "seed": 123 }),
    ];
    for shape in [json!([2000]), json!([50, 40]), json!([3, 400, 2]), json!([7, 7, 7, 7]), json!([1, 9])] {
        ops.push(json!({ "op": "print_randn", "shape": shape }));
    }
    for scale in [1e-5, 1000.0, 1e10, 3.0] {
        ops.push(json!({ "op": "print_randn", "shape": [4, 5], "scale": scale }));
    }
    ops.push(json!({ "op": "print_randn", "shape": [1, 9], "scale": 2.0, "requires_grad": true }));
    ops.push(json!({ "op": "print_randn", "shape": [12], "requires_grad": true }));
    assert_parity(Value::Array(ops));
}
