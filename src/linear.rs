//! `torch.nn.Linear`, initialised the way PyTorch does it, for the book's bonus that shows an
//! embedding lookup is a one-hot vector times a matrix.
//!
//! tch's `nn::linear` draws with another bound and creates the bias first, so it cannot match
//! PyTorch's numbers; this draws the weight first with kaiming-uniform (a = √5), i.e. uniform in
//! ±1/√in_features, then the bias.

use anyhow::{ensure, Context, Result};
use tch::{Device, Kind, Tensor};

/// `torch.nn.Linear(in_features, out_features, bias)`.
#[derive(Debug)]
pub struct Linear {
    weight: Tensor,
    bias: Option<Tensor>,
}

impl Linear {
    /// Draws the `out × in` weight, then the bias, from the default generator.
    pub fn new(in_features: i64, out_features: i64, bias: bool) -> Result<Self> {
        ensure!(in_features > 0 && out_features > 0, "a linear layer needs at least one input and one output feature");
        let _guard = tch::no_grad_guard();
        // init.kaiming_uniform_(w, a=math.sqrt(5)), computed in the same double steps as Python.
        let a = 5f64.sqrt();
        let gain = (2.0 / (1.0 + a * a)).sqrt();
        let std = gain / (in_features as f64).sqrt();
        let bound = 3f64.sqrt() * std;
        let mut weight =
            crate::checks::empty("the linear weight", &[out_features, in_features], Kind::Float, Device::Cpu)?;
        let _ = weight.f_uniform_(-bound, bound).context("drawing the linear weight")?;
        let bias = if bias {
            let bound = 1.0 / (in_features as f64).sqrt();
            let mut b = crate::checks::empty("the linear bias", &[out_features], Kind::Float, Device::Cpu)?;
            let _ = b.f_uniform_(-bound, bound).context("drawing the linear bias")?;
            Some(b.set_requires_grad(true))
        } else {
            None
        };
        Ok(Self { weight: weight.set_requires_grad(true), bias })
    }

    /// `linear.weight = nn.Parameter(weight)`: replaces the weight (`out × in`).
    pub fn set_weight(&mut self, weight: &Tensor) -> Result<()> {
        ensure!(
            weight.size() == self.weight.size(),
            "new weight has shape {:?}, expected {:?}",
            weight.size(),
            self.weight.size()
        );
        self.weight = weight.detach().copy().set_requires_grad(true);
        Ok(())
    }

    /// The `out × in` weight.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// The bias, if the layer has one.
    pub fn bias(&self) -> Option<&Tensor> {
        self.bias.as_ref()
    }

    /// `linear(x) = x @ weight.T (+ bias)`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.f_linear(&self.weight, self.bias.as_ref()).context("linear layer")
    }
}

/// `torch.nn.functional.one_hot(torch.tensor(ids))`: one row per id, a 1 in its column;
/// as many columns as the largest id + 1 (int64, like PyTorch).
pub fn one_hot(ids: &[i64]) -> Result<Tensor> {
    ensure!(!ids.is_empty(), "one_hot needs at least one id");
    ensure!(ids.iter().all(|&id| id >= 0), "one_hot needs ids of at least 0");
    let classes = ids.iter().max().expect("not empty").saturating_add(1);
    crate::checks::check_allocation("one_hot's result", &[ids.len() as i64, classes], Kind::Int64, Device::Cpu)?;
    Tensor::f_from_slice(ids)?.f_one_hot(-1).context("one_hot")
}
