//! # token-embeddings
//!
//! Chapter 2 of Sebastian Raschka's *Build a Large Language Model (From Scratch)* in Rust on
//! tch (libtorch): tokenising text, sampling it with a sliding window into input/target
//! batches, token embeddings and absolute positional embeddings, with every number equal to
//! what PyTorch computes for the same seed and every tensor printed as PyTorch prints it.
//!
//! The modules follow the chapter:
//! - [`tokenizer`]: the book's simple tokenizers and GPT-2's byte-pair encoding (2.2–2.5);
//! - [`data`]: sliding-window dataset and a PyTorch-faithful data loader (2.6);
//! - [`embedding`]: `nn.Embedding`, lookup of ids (2.7);
//! - [`positional`]: absolute positional embeddings and the input embeddings (2.8), and beyond the
//!   chapter the sinusoidal table, RoPE, T5's relative buckets and ALiBi;
//! - [`printing`]: `print(tensor)` exactly as PyTorch writes it;
//! - [`random`]: where PyTorch's random numbers go (seeding, loader seeds, `randperm`);
//! - [`walkthrough`]: the whole chapter, step by step;
//! - [`checks`]: sizes from users checked before anything is allocated, libtorch errors as one line.
//!
//! ```
//! use token_embeddings::{embedding::Embedding, printing::PyTorchPrint, random::manual_seed};
//! manual_seed(123);
//! let layer = Embedding::new(6, 3)?;
//! println!("{}", layer.weight().pytorch_parameter());
//! # anyhow::Ok(())
//! ```

pub mod autograd;
pub mod checks;
pub mod data;
pub mod embedding;
pub mod html;
pub mod linear;
#[cfg(feature = "plots")]
pub mod plots;
pub mod positional;
pub mod printing;
pub mod pyrepr;
pub mod random;
pub mod reference;
pub mod summary;
pub mod tensor_file;
pub mod text;
pub mod tokenizer;
pub mod training;
pub mod walkthrough;

/// tch, re-exported so that notebooks and users name the very same tensor type.
pub use tch;

/// The README's Rust blocks, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
