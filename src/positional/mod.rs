//! Positional information for a sequence of token embeddings.
//!
//! One file per scheme:
//! - [`absolute`]: the learned table of GPT-2 and the book (section 2.8), added to the token
//!   embeddings.
//! - [`sinusoidal`]: the fixed sine/cosine table of "Attention Is All You Need", as the
//!   Annotated Transformer computes it, added like the learned one.
//! - [`rope`]: rotary embeddings (the book's Llama code, with Llama 3.1's frequency scaling), which
//!   rotate queries and keys inside attention, in the split-halves and interleaved layouts.
//! - [`t5`]: T5's bucketed relative positions (Hugging Face's `_relative_position_bucket`).
//! - [`alibi`]: ALiBi's per-head linear biases on the attention scores (Press et al. 2022).
//!
//! [`input`] adds token and position embeddings in one pass (`input_embeddings`).
//!
//! With the feature `plots`, `plots` draws them for the notebooks.

pub mod absolute;
pub mod alibi;
pub mod input;
#[cfg(feature = "plots")]
pub mod plots;
pub mod rope;
pub mod sinusoidal;
pub mod t5;

pub use absolute::{add_positions, PositionalEmbedding};
pub use alibi::{alibi_bias, alibi_slopes, get_slopes};
pub use input::input_embeddings;
pub use rope::{
    apply_rope, apply_rope_interleaved, compute_rope_params, compute_rope_params_interleaved, Llama3Scaling,
};
pub use sinusoidal::sinusoidal_table;
pub use t5::{relative_position_bucket, t5_buckets};
