//! What PyTorch's printing needs from autograd but tch does not expose: the name of the
//! operation that produced a tensor (`grad_fn=<EmbeddingBackward0>`). Read through a small
//! C++ shim (`src/autograd_name.cpp`) over libtorch's own `Node::name()`.

use std::ffi::{c_char, c_int, CStr};

use anyhow::{bail, Result};
use tch::Tensor;

extern "C" {
    fn te_grad_fn_name(tensor: *const torch_sys::C_tensor, buf: *mut c_char, buf_len: c_int) -> c_int;
    fn te_is_leaf(tensor: *const torch_sys::C_tensor) -> c_int;
}

/// The autograd node behind a tensor, as Python's `type(t.grad_fn).__name__`:
/// `Some("EmbeddingBackward0")` for a lookup, `Some("AddBackward0")` for a sum,
/// `None` for a leaf such as a layer's weight or a tensor that does not require grad.
pub fn grad_fn_name(tensor: &Tensor) -> Result<Option<String>> {
    let mut buf = [0 as c_char; 256];
    // SAFETY: tch's handle is a valid at::Tensor* for the borrow's lifetime; the shim writes at
    // most buf.len() bytes, NUL-terminated, and catches every C++ exception.
    let len = unsafe { te_grad_fn_name(tensor.as_ptr(), buf.as_mut_ptr(), buf.len() as c_int) };
    match len {
        0 => Ok(None),
        n if n < 0 => bail!("libtorch failed to read the tensor's grad_fn"),
        _ => {
            // SAFETY: the shim NUL-terminated the buffer.
            let name = unsafe { CStr::from_ptr(buf.as_ptr()) };
            Ok(Some(name.to_string_lossy().into_owned()))
        }
    }
}

/// Python's `t.is_leaf`: true for tensors created by the user (weights), false for results
/// of operations on tensors that require grad.
pub fn is_leaf(tensor: &Tensor) -> bool {
    // SAFETY: as above; is_leaf does not throw.
    unsafe { te_is_leaf(tensor.as_ptr()) == 1 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn names_the_operation_that_made_a_tensor() {
        let weight = Tensor::ones([3, 2], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        assert_eq!(grad_fn_name(&weight).unwrap(), None);
        assert!(is_leaf(&weight));
        let ids = Tensor::from_slice(&[0i64, 2]);
        let looked_up = Tensor::embedding(&weight, &ids, -1, false, false);
        assert_eq!(grad_fn_name(&looked_up).unwrap().as_deref(), Some("EmbeddingBackward0"));
        assert!(!is_leaf(&looked_up));
        let sum = &looked_up + &looked_up;
        assert_eq!(grad_fn_name(&sum).unwrap().as_deref(), Some("AddBackward0"));
    }
}
