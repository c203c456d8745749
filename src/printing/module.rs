//! Modules as `print(module)` shows them (`nn.Module.__repr__`: the class name, then `extra_repr()`
//! in parentheses).
//!
//! ```
//! use token_embeddings::linear::Linear;
//! use token_embeddings::positional::PositionalEmbedding;
//! let linear = Linear::new(4, 5, false)?;
//! assert_eq!(linear.to_string(), "Linear(in_features=4, out_features=5, bias=False)");
//! // The book's pos_embedding_layer is a torch.nn.Embedding over positions.
//! assert_eq!(PositionalEmbedding::new(4, 256)?.to_string(), "Embedding(4, 256)");
//! # anyhow::Ok(())
//! ```

use std::fmt;

use crate::linear::Linear;
use crate::positional::PositionalEmbedding;

use super::format::python_bool;

/// `Linear(in_features=4, out_features=5, bias=False)` (`nn.Linear.extra_repr`).
impl fmt::Display for Linear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let size = self.weight().size();
        write!(
            f,
            "Linear(in_features={}, out_features={}, bias={})",
            size[1],
            size[0],
            python_bool(self.bias().is_some())
        )
    }
}

/// `Embedding(4, 256)`: `nn.Embedding(context_length, dim)`'s `extra_repr`, which is what the book's
/// `pos_embedding_layer` prints.
impl fmt::Display for PositionalEmbedding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let size = self.weight().size();
        write!(f, "Embedding({}, {})", size[0], size[1])
    }
}
