//! `token-embeddings rope --seed S --shape B,H,T,D [--theta-base B]`: the book's RoPE example.
//! `torch.manual_seed(S)`, queries and keys drawn with `randn(B, H, T, D)`, both rotated with
//! the tables for `T` positions; prints the rotated queries, then the rotated keys.

use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use token_embeddings::checks;
use token_embeddings::positional::{rope, Llama3Scaling};
use token_embeddings::random::manual_seed;
use token_embeddings::tch::{Device, Kind, Tensor};

use super::positions::{parse_llama3_scaling, print_tensors};
use super::{positive_i64, torch_seed, usage_bail, DeviceArg};

#[derive(Clone, Copy, ValueEnum)]
pub enum Layout {
    /// The book's layout: pairs (x[i], x[i + D/2]).
    Halves,
    /// The RoFormer paper's and Meta's layout: pairs (x[2i], x[2i + 1]).
    Interleaved,
}

#[derive(clap::Args)]
pub struct Args {
    /// torch.manual_seed(SEED) before queries and keys are drawn (the book's example: 123).
    #[arg(long, default_value_t = 123, allow_negative_numbers = true)]
    seed: i128,
    /// B,H,T,D: batch size, heads, sequence length, head dimension (the book: 2,4,5,16).
    #[arg(long, value_delimiter = ',', num_args = 1, required = true, allow_hyphen_values = true,
          value_parser = positive_i64)]
    shape: Vec<i64>,
    /// RoPE's base (the book's default 10000; Llama 3 uses 500000).
    #[arg(long, default_value_t = rope::DEFAULT_THETA_BASE, allow_hyphen_values = true)]
    theta_base: f64,
    /// Llama 3.1 frequency scaling FACTOR,LOW,HIGH,ORIGINAL_CONTEXT (e.g. 8,1,4,8192).
    #[arg(long, value_name = "FACTOR,LOW,HIGH,ORIGINAL_CONTEXT", value_parser = parse_llama3_scaling,
          allow_hyphen_values = true)]
    llama3_scaling: Option<Llama3Scaling>,
    /// Which coordinates form a rotated pair: the book's split halves or the paper's interleaved
    /// pairs (the same rotation after permuting dimensions).
    #[arg(long, value_enum, default_value_t = Layout::Halves)]
    layout: Layout,
    /// Print {shape, dtype, sha256, head} per tensor instead of the tensors.
    #[arg(long)]
    json: bool,
    /// Where queries and keys are rotated (drawn on the CPU generator, then moved, as
    /// randn(...).to("cuda")).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
}

pub fn run(Args { seed, shape, theta_base, llama3_scaling, layout, json, device }: Args) -> Result<ExitCode> {
    if shape.len() != 4 {
        usage_bail!(
            "--shape needs four sizes B,H,T,D (e.g. 2,4,5,16), not {}",
            shape.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        );
    }
    let device = device.device()?;
    // Queries, keys and their rotations (four [B, H, T, D] tensors) and the tables, refused before
    // libtorch sees sizes it cannot hold.
    let four: Vec<i64> = std::iter::once(4).chain(shape.iter().copied()).collect();
    checks::check_allocation("queries, keys and their rotations", &four, Kind::Float, device)?;
    checks::check_allocation("the cos and sin tables", &[4, shape[2], shape[3]], Kind::Float, device)?;
    let (context_length, head_dim) = (shape[2], shape[3]);
    let scaling = llama3_scaling.as_ref();
    let (cos, sin) = match layout {
        Layout::Halves => rope::compute_rope_params(head_dim, theta_base, context_length, scaling, device)?,
        Layout::Interleaved => {
            rope::compute_rope_params_interleaved(head_dim, theta_base, context_length, scaling, device)?
        }
    };
    // Drawn on the CPU generator, then moved, so that CUDA rotates the same numbers.
    manual_seed(torch_seed(seed)?);
    let queries = Tensor::f_randn(&shape, (Kind::Float, Device::Cpu))?.f_to_device(device)?;
    let keys = Tensor::f_randn(&shape, (Kind::Float, Device::Cpu))?.f_to_device(device)?;
    let apply = match layout {
        Layout::Halves => rope::apply_rope,
        Layout::Interleaved => rope::apply_rope_interleaved,
    };
    let queries_rot = apply(&queries, &cos, &sin)?;
    let keys_rot = apply(&keys, &cos, &sin)?;
    print_tensors(&[("queries_rot", queries_rot), ("keys_rot", keys_rot)], json)?;
    Ok(ExitCode::SUCCESS)
}
