//! The whole chapter in order, each step printing what the book's notebook prints.
//!
//! Every random draw happens where it happens in the book's run: seed 123 once before the 6×3
//! layer, then the 50257×256 token table without reseeding, then the loader's `iter` (which
//! draws a base seed), then the 4×256 positional table. The PyTorch reference
//! (`tests/reference/chapter2.py walkthrough`) runs the same steps under the same names.

use std::fmt::{self, Write as _};
use std::path::Path;

use anyhow::{ensure, Context, Result};
use tch::{Device, Tensor};

use crate::data::{create_dataloader_v1, GptDatasetV1, LoaderOptions};
use crate::embedding::Embedding;
use crate::positional::{add_positions, PositionalEmbedding};
use crate::printing::{size_repr, PyTorchPrint};
use crate::random::manual_seed;
use crate::tokenizer::{
    python_int_list, python_pair, python_str_list, split_text, Gpt2Tokenizer, SimpleTokenizerV1, SimpleTokenizerV2,
    Vocab,
};

/// The book's story, shipped in the repository.
pub const THE_VERDICT: &str = include_str!("../data/the-verdict.txt");

/// The walkthrough needs this many GPT-2 tokens: the 256-token windows of `create_dataloader_v1`
/// need one more for their target.
pub const MIN_TOKENS: usize = 257;

/// One printed output of the chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Stable name, shared with the PyTorch reference.
    pub name: &'static str,
    /// A short heading for people.
    pub heading: &'static str,
    /// Exactly what the notebook's `print` calls write, newline-terminated.
    pub text: String,
}

/// The chapter's outputs, plus the tensors behind them (named after the book's variables).
pub struct Walkthrough {
    /// The printed steps, in the book's order.
    pub steps: Vec<Step>,
    /// `("embedding_layer.weight", ...)`, `("inputs", ...)`, ... as in the book.
    pub tensors: Vec<(&'static str, Tensor)>,
}

impl fmt::Display for Walkthrough {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            writeln!(f, "── {} ──", step.heading)?;
            f.write_str(&step.text)?;
        }
        Ok(())
    }
}

/// Reads a text file for the walkthrough, with a clear error when it is missing.
pub fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading the text file {}", path.display()))
}

/// Collects what a step prints, like Python's `print` (items joined by spaces, then a newline).
struct Printer {
    steps: Vec<Step>,
}

impl Printer {
    fn step(&mut self, name: &'static str, heading: &'static str, lines: impl IntoIterator<Item = String>) {
        let mut text = String::new();
        for line in lines {
            let _ = writeln!(text, "{line}");
        }
        self.steps.push(Step { name, heading, text });
    }
}

/// Runs the chapter on `text` (normally [`THE_VERDICT`]) with tensors on `device`.
pub fn run(raw_text: &str, device: Device) -> Result<Walkthrough> {
    ensure!(!raw_text.is_empty(), "the text is empty");
    let gpt2 = Gpt2Tokenizer::new();
    let token_count = gpt2.encode(raw_text)?.len();
    ensure!(
        token_count >= MIN_TOKENS,
        "text too short: the walkthrough needs at least {MIN_TOKENS} GPT-2 tokens (its last data loader cuts windows of 256 tokens, each with one more as its target), the text has {token_count}"
    );
    let mut out = Printer { steps: Vec::new() };

    // 2.2 Tokenizing text
    out.step(
        "raw_text",
        "2.2 The raw text: length and first 99 characters",
        [format!("Total number of character: {}", raw_text.chars().count()), raw_text.chars().take(99).collect()],
    );
    let preprocessed = split_text(raw_text);
    out.step(
        "preprocessed",
        "2.2 Split into words and punctuation: first 30 pieces and count",
        [python_str_list(&preprocessed[..preprocessed.len().min(30)]), preprocessed.len().to_string()],
    );

    // 2.3 Token ids
    let vocab = Vocab::from_text(raw_text);
    out.step(
        "vocab",
        "2.3 Vocabulary: size and first 51 entries",
        std::iter::once(vocab.len().to_string()).chain(vocab.entries().take(51).map(|(t, i)| python_pair(t, i))),
    );
    let v1 = SimpleTokenizerV1::new(vocab);
    let sample = "\"It's the last he painted, you know,\" \n           Mrs. Gisburn said with pardonable pride.";
    let (encoded, decoded) = match v1.encode(sample) {
        Ok(ids) => (python_int_list(&ids), v1.decode(&ids)?),
        Err(err) => {
            let line = key_error(&v1, sample, err)?;
            (line.clone(), line)
        }
    };
    out.step("v1_encode", "2.3 SimpleTokenizerV1.encode", [encoded]);
    out.step("v1_decode", "2.3 SimpleTokenizerV1.decode", [decoded]);
    let unknown = "Hello, do you like tea. Is this-- a test?";
    let unknown_line = match v1.encode(unknown) {
        Ok(ids) => python_int_list(&ids),
        Err(err) => key_error(&v1, unknown, err)?,
    };
    out.step("v1_unknown", "2.3 SimpleTokenizerV1 on a word it has never seen", [unknown_line]);

    // 2.4 Special context tokens
    let vocab = Vocab::from_text_with_specials(raw_text);
    let last_five: Vec<String> =
        vocab.entries().skip(vocab.len().saturating_sub(5)).map(|(t, i)| python_pair(t, i)).collect();
    out.step(
        "vocab_with_specials",
        "2.4 Vocabulary with <|endoftext|> and <|unk|>: size and last 5 entries",
        std::iter::once(vocab.len().to_string()).chain(last_five),
    );
    let v2 = SimpleTokenizerV2::new(vocab)?;
    let joined = ["Hello, do you like tea?", "In the sunlit terraces of the palace."].join(" <|endoftext|> ");
    out.step("v2_text", "2.4 Two texts joined by <|endoftext|>", [joined.clone()]);
    let ids = v2.encode(&joined);
    out.step("v2_encode", "2.4 SimpleTokenizerV2.encode", [python_int_list(&ids)]);
    out.step("v2_decode", "2.4 SimpleTokenizerV2.decode", [v2.decode(&ids)?]);

    // 2.5 Byte pair encoding
    let bpe_text = "Hello, do you like tea? <|endoftext|> In the sunlit terracesof someunknownPlace.";
    let integers = gpt2.encode(bpe_text)?;
    out.step("gpt2_encode", "2.5 GPT-2 BPE encode (<|endoftext|> allowed)", [python_int_list(&integers)]);
    out.step("gpt2_decode", "2.5 GPT-2 BPE decode", [gpt2.decode(&integers)?]);
    let ids = gpt2.encode("Akwirw ier")?;
    let pieces = ids.iter().map(|&id| gpt2.decode(&[id])).collect::<Result<Vec<_>>>()?;
    out.step(
        "exercise_2_1",
        "Exercise 2.1: BPE of unknown words",
        [python_int_list(&ids), python_str_list(&pieces), gpt2.decode(&ids)?],
    );

    // 2.6 Data sampling with a sliding window
    let enc_text = gpt2.encode_ordinary(raw_text);
    out.step("enc_text", "2.6 GPT-2 tokens in the whole text", [enc_text.len().to_string()]);
    let enc_sample = &enc_text[50..];
    let context_size = 4;
    out.step(
        "x_y",
        "2.6 Input x and target y",
        [
            format!("x: {}", python_int_list(&enc_sample[..context_size])),
            format!("y:      {}", python_int_list(&enc_sample[1..=context_size])),
        ],
    );
    out.step(
        "context_desired",
        "2.6 Context ----> next token (ids)",
        (1..=context_size).map(|i| format!("{} ----> {}", python_int_list(&enc_sample[..i]), enc_sample[i])),
    );
    let decoded_pairs = (1..=context_size)
        .map(|i| Ok(format!("{} ----> {}", gpt2.decode(&enc_sample[..i])?, gpt2.decode(&enc_sample[i..=i])?)))
        .collect::<Result<Vec<_>>>()?;
    out.step("context_desired_text", "2.6 Context ----> next token (text)", decoded_pairs);

    let in_order = |batch_size| LoaderOptions { batch_size, shuffle: false, drop_last: true };
    let loader = create_dataloader_v1(raw_text, 4, 1, in_order(1))?.on_device(device);
    let mut batches = loader.iter()?;
    let first = batches.next().context("no first batch")??;
    out.step("first_batch", "2.6 First batch (batch_size=1, max_length=4, stride=1)", [first.to_string()]);
    let second = batches.next().context("no second batch")??;
    out.step("second_batch", "2.6 Second batch", [second.to_string()]);
    let loader = create_dataloader_v1(raw_text, 4, 4, in_order(8))?.on_device(device);
    let batch = loader.iter()?.next().context("no batch")??;
    out.step(
        "batch_stride_4",
        "2.6 A batch of 8 (max_length=4, stride=4)",
        [format!("Inputs:\n {}", batch.inputs.pytorch()), format!("\nTargets:\n {}", batch.targets.pytorch())],
    );
    let counts = [(4, 1), (4, 4), (256, 128)]
        .into_iter()
        .map(|(max_length, stride)| {
            let windows = GptDatasetV1::from_text(raw_text, max_length, stride)?.len();
            Ok(format!("max_length={max_length}, stride={stride}: {windows} windows"))
        })
        .collect::<Result<Vec<_>>>()?;
    out.step("window_counts", "2.6 Number of windows", counts);

    // 2.7 Creating token embeddings
    manual_seed(123);
    let embedding_layer = Embedding::new(6, 3)?.to_device(device)?;
    out.step(
        "embedding_weight",
        "2.7 Embedding(6, 3) after torch.manual_seed(123)",
        [embedding_layer.weight().pytorch_parameter().to_string()],
    );
    out.step(
        "embedding_lookup_one",
        "2.7 Looking up token id 3",
        [embedding_layer.lookup(&[3])?.pytorch().to_string()],
    );
    out.step(
        "embedding_lookup_many",
        "2.7 Looking up ids [2, 3, 5, 1]",
        [embedding_layer.lookup(&[2, 3, 5, 1])?.pytorch().to_string()],
    );

    // 2.8 Encoding word positions
    let token_embedding_layer = Embedding::new(Gpt2Tokenizer::VOCAB_SIZE, 256)?.to_device(device)?;
    let max_length = 4;
    let loader = create_dataloader_v1(raw_text, max_length, max_length, in_order(8))?.on_device(device);
    let batch = loader.iter()?.next().context("no batch")??;
    out.step(
        "token_ids",
        "2.8 Token ids of the first batch and their shape",
        [format!("Token IDs:\n {}", batch.inputs.pytorch()), format!("\nInputs shape:\n {}", size_repr(&batch.inputs))],
    );
    let token_embeddings = token_embedding_layer.forward(&batch.inputs)?;
    out.step("token_embeddings_shape", "2.8 Token embeddings: shape", [size_repr(&token_embeddings)]);
    let pos_embedding_layer = PositionalEmbedding::new(max_length as i64, 256)?.to_device(device)?;
    let pos_embeddings = pos_embedding_layer.forward(max_length as i64)?;
    out.step("pos_embeddings_shape", "2.8 Positional embeddings: shape", [size_repr(&pos_embeddings)]);
    let input_embeddings = add_positions(&token_embeddings, &pos_embeddings)?;
    out.step(
        "input_embeddings_shape",
        "2.8 Input embeddings = token + positional: shape",
        [size_repr(&input_embeddings)],
    );

    let tensors = vec![
        ("embedding_layer.weight", embedding_layer.weight().shallow_clone()),
        ("token_embedding_layer.weight", token_embedding_layer.weight().shallow_clone()),
        ("pos_embedding_layer.weight", pos_embedding_layer.weight().shallow_clone()),
        ("inputs", batch.inputs),
        ("targets", batch.targets),
        ("token_embeddings", token_embeddings),
        ("pos_embeddings", pos_embeddings),
        ("input_embeddings", input_embeddings),
    ];
    Ok(Walkthrough { steps: out.steps, tensors })
}

/// What Python prints for the book's `KeyError`: `KeyError: 'Hello'` (the first unknown piece).
fn key_error(tokenizer: &SimpleTokenizerV1, text: &str, err: anyhow::Error) -> Result<String> {
    let unknown = split_text(text)
        .into_iter()
        .find(|piece| tokenizer.vocab().id(piece).is_none())
        .with_context(|| format!("encoding failed without an unknown piece: {err:#}"))?;
    Ok(format!("KeyError: {}", crate::tokenizer::python_str_repr(&unknown)))
}
