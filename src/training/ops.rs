//! The libtorch calls with a scalar factor that tch's generated bindings leave out, through the
//! C++ shim `optim_ops.cpp`: the very same ATen functions PyTorch's optimizers call, so the
//! results are the same bits (`a + alpha * b` is one fused multiply-add in ATen's CPU kernel;
//! two tch calls would round twice).

use std::ffi::{c_char, c_int, CStr};

use anyhow::{bail, Result};
use tch::Tensor;
use torch_sys::C_tensor;

extern "C" {
    fn te_add_alpha_(s: *mut C_tensor, o: *const C_tensor, alpha: f64, err: *mut c_char, len: c_int) -> c_int;
    fn te_add_alpha(
        s: *const C_tensor,
        o: *const C_tensor,
        alpha: f64,
        out: *mut *mut C_tensor,
        err: *mut c_char,
        len: c_int,
    ) -> c_int;
    fn te_addcmul_(
        s: *mut C_tensor,
        t1: *const C_tensor,
        t2: *const C_tensor,
        value: f64,
        err: *mut c_char,
        len: c_int,
    ) -> c_int;
    fn te_addcdiv_(
        s: *mut C_tensor,
        t1: *const C_tensor,
        t2: *const C_tensor,
        value: f64,
        err: *mut c_char,
        len: c_int,
    ) -> c_int;
    fn te_grad_to_none(s: *mut C_tensor, err: *mut c_char, len: c_int) -> c_int;
}

const ERR_LEN: usize = 1024;

fn check(rc: c_int, err: &[c_char; ERR_LEN], what: &str) -> Result<()> {
    if rc != 0 {
        // SAFETY: the shim NUL-terminates the buffer whenever it reports a failure.
        let message = unsafe { CStr::from_ptr(err.as_ptr()) }.to_string_lossy();
        bail!("{what}: {}", message.lines().next().unwrap_or("libtorch error"));
    }
    Ok(())
}

// SAFETY (all functions below): tch's handles are valid `at::Tensor*` for the borrows' lifetimes;
// the shim catches every C++ exception and writes at most ERR_LEN bytes, NUL-terminated.

/// `tensor.add_(other, alpha=alpha)`.
pub(crate) fn add_(tensor: &mut Tensor, other: &Tensor, alpha: f64) -> Result<()> {
    let mut err = [0 as c_char; ERR_LEN];
    let rc = unsafe { te_add_alpha_(tensor.as_mut_ptr(), other.as_ptr(), alpha, err.as_mut_ptr(), ERR_LEN as c_int) };
    check(rc, &err, "add_")
}

/// `tensor.add(other, alpha=alpha)`: a new tensor.
pub(crate) fn add(tensor: &Tensor, other: &Tensor, alpha: f64) -> Result<Tensor> {
    let mut err = [0 as c_char; ERR_LEN];
    let mut out: *mut C_tensor = std::ptr::null_mut();
    let rc =
        unsafe { te_add_alpha(tensor.as_ptr(), other.as_ptr(), alpha, &mut out, err.as_mut_ptr(), ERR_LEN as c_int) };
    check(rc, &err, "add")?;
    // SAFETY: on success the shim hands over a newly allocated at::Tensor; tch frees it on drop.
    Ok(unsafe { Tensor::from_ptr(out) })
}

/// `tensor.addcmul_(tensor1, tensor2, value=value)`.
pub(crate) fn addcmul_(tensor: &mut Tensor, tensor1: &Tensor, tensor2: &Tensor, value: f64) -> Result<()> {
    let mut err = [0 as c_char; ERR_LEN];
    let rc = unsafe {
        te_addcmul_(tensor.as_mut_ptr(), tensor1.as_ptr(), tensor2.as_ptr(), value, err.as_mut_ptr(), ERR_LEN as c_int)
    };
    check(rc, &err, "addcmul_")
}

/// `tensor.addcdiv_(tensor1, tensor2, value=value)`.
pub(crate) fn addcdiv_(tensor: &mut Tensor, tensor1: &Tensor, tensor2: &Tensor, value: f64) -> Result<()> {
    let mut err = [0 as c_char; ERR_LEN];
    let rc = unsafe {
        te_addcdiv_(tensor.as_mut_ptr(), tensor1.as_ptr(), tensor2.as_ptr(), value, err.as_mut_ptr(), ERR_LEN as c_int)
    };
    check(rc, &err, "addcdiv_")
}

/// `tensor.grad = None`.
pub(crate) fn grad_to_none(tensor: &mut Tensor) -> Result<()> {
    let mut err = [0 as c_char; ERR_LEN];
    let rc = unsafe { te_grad_to_none(tensor.as_mut_ptr(), err.as_mut_ptr(), ERR_LEN as c_int) };
    check(rc, &err, "resetting the gradient")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::{Device, Kind};

    #[test]
    fn scaled_operations_and_errors() {
        let mut a = Tensor::from_slice(&[1.0f32, 2.0]);
        let b = Tensor::from_slice(&[10.0f32, 20.0]);
        add_(&mut a, &b, 0.5).unwrap();
        assert_eq!(Vec::<f32>::try_from(&a).unwrap(), [6.0, 12.0]);
        assert_eq!(Vec::<f32>::try_from(&add(&a, &b, -1.0).unwrap()).unwrap(), [-4.0, -8.0]);
        addcmul_(&mut a, &b, &b, 0.01).unwrap();
        assert_eq!(Vec::<f32>::try_from(&a).unwrap(), [7.0, 16.0]);
        addcdiv_(&mut a, &b, &b, 2.0).unwrap();
        assert_eq!(Vec::<f32>::try_from(&a).unwrap(), [9.0, 18.0]);
        let wrong = Tensor::ones([3], (Kind::Float, Device::Cpu));
        let err = add_(&mut a, &wrong, 1.0).unwrap_err().to_string();
        assert!(err.starts_with("add_: ") && !err.contains("frame #"), "{err}");
    }

    #[test]
    fn gradients_can_be_reset_to_none() {
        let mut w = Tensor::ones([2], (Kind::Float, Device::Cpu)).set_requires_grad(true);
        (&w * 3.0).sum(Kind::Float).backward();
        assert!(w.grad().defined());
        grad_to_none(&mut w).unwrap();
        assert!(!w.grad().defined());
    }
}
