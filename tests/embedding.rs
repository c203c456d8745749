//! The whole `nn.Embedding` against a live PyTorch 2.13 (`tests/reference/training.py`):
//! padding_idx (negative too), max_norm/norm_type with the in-place renorm, scale_grad_by_freq,
//! from_pretrained, the module's repr, and growing the vocabulary for new special tokens. Every
//! tensor is compared by the SHA-256 of its bytes, every printed form character by character.
//! Without the venv these tests fail (they are never skipped): run `make setup`.

mod common;

use std::process::Command;

use common::{pytorch, summary, GENERATOR};
use serde_json::{json, Value};
use token_embeddings::embedding::{Embedding, EmbeddingOptions};
use token_embeddings::printing::PyTorchPrint;
use token_embeddings::random::manual_seed;
use token_embeddings::tch::{Device, Kind, Tensor};
use token_embeddings::training::vocab::ExtendedGpt2Tokenizer;

/// A nested JSON list of ids as a tensor of the same shape (`torch.tensor(ids)`).
fn id_tensor(ids: &Value) -> Tensor {
    match ids {
        Value::Array(rows) if rows.first().is_some_and(Value::is_array) => {
            Tensor::stack(&rows.iter().map(id_tensor).collect::<Vec<_>>(), 0)
        }
        Value::Array(items) => Tensor::from_slice(&items.iter().map(|v| v.as_i64().unwrap()).collect::<Vec<_>>()),
        other => panic!("ids must be a list, got {other}"),
    }
}

fn options(spec: &Value) -> EmbeddingOptions {
    EmbeddingOptions {
        padding_idx: spec["padding_idx"].as_i64(),
        max_norm: spec["max_norm"].as_f64(),
        norm_type: spec["norm_type"].as_f64().unwrap_or(2.0),
        scale_grad_by_freq: spec["scale_grad_by_freq"].as_bool().unwrap_or(false),
    }
}

/// `(arange(n) + 1) / 8` shaped like the lookup: the gradient the backward pass sends to it.
fn gradient_weights(shape: &[i64]) -> Tensor {
    let n: i64 = shape.iter().product();
    (Tensor::arange(n, (Kind::Float, Device::Cpu)).reshape(shape) + 1.0) / 8.0
}

/// The Rust side of `training.py embedding`, field for field.
fn rust_embedding(spec: &Value) -> Value {
    let _guard = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
    manual_seed(spec["seed"].as_u64().unwrap_or(123));
    let (v, d) = (spec["num_embeddings"].as_i64().unwrap(), spec["embedding_dim"].as_i64().unwrap());
    let mut layer = Embedding::with_options(v, d, options(spec)).unwrap();
    let mut out = json!({
        "repr": layer.to_string(),
        "weight_text": layer.weight().pytorch_parameter().to_string(),
        "weight": summary(layer.weight()),
    });
    if spec["pretrained"].as_bool() == Some(true) {
        let freeze = spec["freeze"].as_bool().unwrap_or(true);
        let weight = layer.weight().detach_copy();
        layer = Embedding::from_pretrained_with_options(&weight, freeze, options(spec)).unwrap();
        out["pretrained_repr"] = json!(layer.to_string());
        out["requires_grad"] = json!(layer.weight().requires_grad());
    }
    if !spec["ids"].is_null() {
        let looked_up = layer.forward(&id_tensor(&spec["ids"])).unwrap();
        out["lookup_text"] = json!(looked_up.pytorch().to_string());
        out["lookup"] = summary(&looked_up);
        out["weight_after"] = summary(layer.weight());
        out["weight_after_text"] = json!(layer.weight().pytorch_parameter().to_string());
        if layer.weight().requires_grad() {
            (&looked_up * gradient_weights(&looked_up.size())).sum(Kind::Float).backward();
            out["grad"] = summary(&layer.weight().grad());
        }
    }
    out
}

fn assert_same(ours: &Value, theirs: &Value) {
    let ours = ours.as_object().unwrap();
    let theirs = theirs.as_object().unwrap();
    for (key, value) in ours {
        assert_eq!(Some(value), theirs.get(key), "field {key} differs (left: Rust, right: PyTorch)");
    }
    for key in theirs.keys().filter(|k| *k != "torch_version") {
        assert!(ours.contains_key(key), "Rust does not report {key}");
    }
}

fn check(spec: Value) -> Value {
    let theirs = pytorch("embedding", &spec);
    let ours = rust_embedding(&spec);
    assert_same(&ours, &theirs);
    ours
}

#[test]
fn padding_row_is_zero_and_gets_no_gradient() {
    let out = check(json!({"num_embeddings": 6, "embedding_dim": 3, "padding_idx": 0, "ids": [[0, 2, 0], [5, 0, 1]]}));
    assert_eq!(out["repr"], "Embedding(6, 3, padding_idx=0)");
    assert_eq!(out["weight"]["head"].as_array().unwrap()[..3], [json!(0.0), json!(0.0), json!(0.0)]);
    assert_eq!(out["grad"]["head"].as_array().unwrap()[..3], [json!(0.0), json!(0.0), json!(0.0)]);
}

#[test]
fn negative_padding_idx_counts_from_the_end() {
    let out = check(json!({"num_embeddings": 6, "embedding_dim": 3, "padding_idx": -1, "ids": [5, 5, 4]}));
    assert_eq!(out["repr"], "Embedding(6, 3, padding_idx=5)");
    check(json!({"num_embeddings": 6, "embedding_dim": 3, "padding_idx": -6, "ids": [0, 1]}));
}

#[test]
fn max_norm_renormalises_the_looked_up_rows_in_place() {
    let out = check(json!({"num_embeddings": 6, "embedding_dim": 3, "max_norm": 1.0, "ids": [2, 3, 5, 1]}));
    assert_eq!(out["repr"], "Embedding(6, 3, max_norm=1.0)");
    assert_ne!(out["weight"], out["weight_after"], "the lookup changed the weight");
    // Repeated ids are renormalised once; rows not looked up (0, 4) keep their values.
    check(json!({"num_embeddings": 6, "embedding_dim": 3, "max_norm": 0.5, "ids": [[3, 3], [3, 2]]}));
}

#[test]
fn norm_type_one_and_infinity() {
    let out =
        check(json!({"num_embeddings": 8, "embedding_dim": 5, "max_norm": 1.5, "norm_type": 1.0, "ids": [1, 2, 7]}));
    assert_eq!(out["repr"], "Embedding(8, 5, max_norm=1.5, norm_type=1.0)");
    check(json!({"num_embeddings": 8, "embedding_dim": 5, "max_norm": 0.75, "norm_type": 3.0, "ids": [0, 6]}));
}

#[test]
fn padding_and_max_norm_together() {
    let out = check(json!({"num_embeddings": 6, "embedding_dim": 3, "padding_idx": 0, "max_norm": 1.0,
                           "ids": [[2, 3, 5, 1], [0, 3, 3, 3]]}));
    assert_eq!(out["repr"], "Embedding(6, 3, padding_idx=0, max_norm=1.0)");
}

#[test]
fn scale_grad_by_freq_divides_by_the_count_in_the_batch() {
    let out = check(json!({"num_embeddings": 6, "embedding_dim": 3, "scale_grad_by_freq": true,
                           "ids": [[1, 1, 1, 4], [4, 2, 1, 0]]}));
    assert_eq!(out["repr"], "Embedding(6, 3, scale_grad_by_freq=True)");
    check(json!({"num_embeddings": 6, "embedding_dim": 3, "scale_grad_by_freq": true, "padding_idx": 1,
                 "ids": [1, 1, 3, 3, 3]}));
}

#[test]
fn from_pretrained_frozen_and_trainable() {
    let out =
        check(json!({"num_embeddings": 5, "embedding_dim": 4, "pretrained": true, "freeze": true, "ids": [4, 0]}));
    assert_eq!(out["requires_grad"], false);
    let out = check(json!({"num_embeddings": 5, "embedding_dim": 4, "pretrained": true, "freeze": false,
                           "padding_idx": 2, "ids": [2, 0, 2]}));
    assert_eq!(out["pretrained_repr"], "Embedding(5, 4, padding_idx=2)");
    assert_eq!(out["requires_grad"], true);
}

#[test]
fn vocabulary_grown_for_new_special_tokens() {
    let spec = json!({"embedding_dim": 8});
    let theirs = pytorch("grow", &spec);
    let _guard = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());

    let tokenizer = ExtendedGpt2Tokenizer::new(&["MyNewToken_1", "MyNewToken_2"]).unwrap();
    let ids = tokenizer.encode("Sample text with MyNewToken_1 and MyNewToken_2. <|endoftext|>").unwrap();
    assert_eq!(json!(ids), theirs["token_ids"]);
    let decoded: Vec<String> = ids.iter().map(|&i| tokenizer.decode(&[i]).unwrap()).collect();
    assert_eq!(json!(decoded), theirs["decoded"]);

    manual_seed(123);
    let embedding = Embedding::new(50257, 8).unwrap();
    let grown = embedding.grown(2).unwrap();
    assert_eq!(grown.to_string(), theirs["repr"]);
    assert_eq!(summary(embedding.weight()), theirs["old_weight"]);
    assert_eq!(summary(grown.weight()), theirs["new_weight"]);
    let new_rows = grown.weight().narrow(0, 50257, 2);
    assert_eq!(summary(&new_rows), theirs["new_rows"]);
    assert_eq!(new_rows.pytorch().to_string(), theirs["new_rows_text"].as_str().unwrap());
    let looked_up = grown.forward(&Tensor::from_slice(&ids).unsqueeze(0)).unwrap();
    assert_eq!(summary(&looked_up), theirs["lookup"]);
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_token-embeddings")).args(args).output().expect("the binary runs")
}

#[test]
fn cli_embed_with_padding_and_max_norm_prints_what_pytorch_prints() {
    let output = cli(&[
        "embed",
        "--seed",
        "123",
        "--vocab-size",
        "6",
        "--dim",
        "3",
        "--ids",
        "2,3,5,1,0",
        "--padding-idx",
        "0",
        "--max-norm",
        "1.0",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let theirs = pytorch(
        "embedding",
        &json!({"num_embeddings": 6, "embedding_dim": 3, "padding_idx": 0,
                                              "max_norm": 1.0, "ids": [2, 3, 5, 1, 0]}),
    );
    let expected = format!(
        "{}\n{}\n{}\n",
        theirs["weight_text"].as_str().unwrap(),
        theirs["lookup_text"].as_str().unwrap(),
        theirs["weight_after_text"].as_str().unwrap()
    );
    assert_eq!(stdout, expected);
    insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("cli_embed_padding_idx_0_max_norm_1", stdout);
    });
}

#[test]
fn cli_embed_negative_padding_idx_and_json() {
    let output = cli(&["embed", "--vocab-size", "6", "--dim", "3", "--ids", "5,4", "--padding-idx", "-1", "--json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let theirs =
        pytorch("embedding", &json!({"num_embeddings": 6, "embedding_dim": 3, "padding_idx": -1, "ids": [5, 4]}));
    assert_eq!(json["weight"], theirs["weight"]);
    assert_eq!(json["lookup"], theirs["lookup"]);
    assert!(json.get("weight_after").is_none(), "without --max-norm the weight does not change");
}

#[test]
fn cli_embed_rejects_bad_options_in_one_line() {
    for (args, needle) in [
        (vec!["--padding-idx", "6"], "Padding_idx must be within num_embeddings"),
        (vec!["--padding-idx", "-7"], "Padding_idx must be within num_embeddings"),
        (vec!["--max-norm", "0"], "max_norm must be a positive number"),
        (vec!["--max-norm", "-1"], "max_norm must be a positive number"),
        (vec!["--max-norm", "1", "--norm-type", "0"], "norm_type must be positive"),
    ] {
        let mut all = vec!["embed", "--vocab-size", "6", "--dim", "3", "--ids", "1"];
        all.extend(args);
        let output = cli(&all);
        let err = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{all:?}: {err}");
        assert!(err.starts_with("error: ") && err.contains(needle) && err.lines().count() == 1, "{all:?}: {err}");
    }
}
