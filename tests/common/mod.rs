//! Helpers the PyTorch-reference tests share (`mod common;` in each test file that uses them).

use std::sync::Mutex;

use serde_json::Value;
use token_embeddings::reference::run_script;
use token_embeddings::summary::summarize;
use token_embeddings::tch::Tensor;

/// The default generator is one per process; tests run on several threads.
pub static GENERATOR: Mutex<()> = Mutex::new(());

/// A tensor's `{shape, dtype, sha256, head}` as JSON, as the reference scripts report tensors.
pub fn summary(t: &Tensor) -> Value {
    serde_json::to_value(summarize(t).unwrap()).unwrap()
}

/// Runs `tests/reference/training.py COMMAND` on the JSON `spec` in the live PyTorch.
pub fn pytorch(command: &str, spec: &Value) -> Value {
    run_script("training.py", &[command], Some(&spec.to_string()))
        .expect("the PyTorch reference runs (run `make setup` if it is missing)")
}
