//! Positional information for a sequence of token embeddings.
//!
//! One file per scheme:
//! - [`absolute`]: the learned table of GPT-2 and the book (section 2.8), added to the token
//!   embeddings.

pub mod absolute;
pub mod input;

pub use absolute::{add_positions, PositionalEmbedding};
pub use input::input_embeddings;
