//! `token-embeddings print FILE`: a tensor stored in a `.npy` or `.safetensors` file, as `print(t)`
//! writes it in PyTorch after the same `torch.set_printoptions(...)` call.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use token_embeddings::printing::{tensor_repr_with, PrintOptions, Profile, SetPrintOptions};
use token_embeddings::tensor_file::TensorFile;

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
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
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
    let file = TensorFile::open(&args.file)?;
    let what = args.file.display();
    match (&file, &args.name) {
        (TensorFile::Npy(_), Some(_)) => {
            bail!("--name picks a tensor of a .safetensors file; {what} holds one array")
        }
        (TensorFile::Npy(tensor), None) => println!("{}", tensor_repr_with(tensor, &options)?),
        (TensorFile::Safetensors { names, .. }, Some(wanted)) => {
            if !names.contains(wanted) {
                bail!("{what} has no tensor {wanted:?} (it has: {})", names.join(", "));
            }
            let tensor = file.tensor(wanted).with_context(|| what.to_string())?;
            println!("{}", tensor_repr_with(&tensor, &options)?);
        }
        (TensorFile::Safetensors { names, .. }, None) => {
            let mut out = String::new();
            for name in names {
                let tensor = file
                    .tensor(name)
                    .map_err(|err| anyhow::anyhow!("{what}: {err:#} (--name TENSOR prints one of the others)"))?;
                out.push_str(&format!("{name}\n{}\n", tensor_repr_with(&tensor, &options)?));
            }
            print!("{out}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
