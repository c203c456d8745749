//! `token-embeddings print FILE`: a tensor stored in a `.npy` or `.safetensors` file, as `print(t)`
//! writes it in PyTorch after the same `torch.set_printoptions(...)` call.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use clap::ValueEnum;
use token_embeddings::printing::{tensor_repr_with, PrintOptions, Profile, SetPrintOptions};
use token_embeddings::tensor_file::read_tensors;

use super::count;

#[derive(clap::Args)]
pub struct Args {
    /// A `.npy` file (np.save) or a `.safetensors` file (safetensors.torch.save_file).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The tensor of a .safetensors file to print; without it, every tensor, each after its name, in load_file's order.
    #[arg(long, value_name = "TENSOR")]
    name: Option<String>,
    /// Digits after the decimal point (set_printoptions(precision=N)).
    #[arg(long, value_name = "N", value_parser = count, allow_negative_numbers = true)]
    precision: Option<usize>,
    /// Summarise tensors with more elements than this (a number, or inf).
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    threshold: Option<f64>,
    /// Items at each end of a summarised dimension.
    #[arg(long, value_name = "N", value_parser = count, allow_negative_numbers = true)]
    edgeitems: Option<usize>,
    /// Characters per line.
    #[arg(long, value_name = "N", value_parser = count, allow_negative_numbers = true)]
    linewidth: Option<usize>,
    /// Scientific notation always (true) or never (false); automatic when not given.
    #[arg(long, value_name = "true|false")]
    sci_mode: Option<bool>,
    /// A set of options applied before the others (default, short or full).
    #[arg(long, value_enum)]
    profile: Option<ProfileArg>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ProfileArg {
    Default,
    Short,
    Full,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let call = SetPrintOptions {
        precision: args.precision,
        threshold: args.threshold,
        edgeitems: args.edgeitems,
        linewidth: args.linewidth,
        profile: args.profile.map(|p| match p {
            ProfileArg::Default => Profile::Default,
            ProfileArg::Short => Profile::Short,
            ProfileArg::Full => Profile::Full,
        }),
        sci_mode: args.sci_mode,
    };
    let options = PrintOptions::DEFAULT.updated(&call);
    options.check()?;
    let tensors = read_tensors(&args.file)?;
    let is_npy = matches!(tensors.as_slice(), [(name, _)] if name.is_empty());
    match (&args.name, is_npy) {
        (Some(_), true) => {
            bail!("--name picks a tensor of a .safetensors file; {} holds one array", args.file.display())
        }
        (Some(wanted), false) => {
            let Some((_, tensor)) = tensors.iter().find(|(name, _)| name == wanted) else {
                let names: Vec<&str> = tensors.iter().map(|(name, _)| name.as_str()).collect();
                bail!("{} has no tensor {wanted:?} (it has: {})", args.file.display(), names.join(", "));
            };
            println!("{}", tensor_repr_with(tensor, &options)?);
        }
        (None, true) => println!("{}", tensor_repr_with(&tensors[0].1, &options)?),
        (None, false) => {
            let mut out = String::new();
            for (name, tensor) in &tensors {
                out.push_str(&format!("{name}\n{}\n", tensor_repr_with(tensor, &options)?));
            }
            print!("{out}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
