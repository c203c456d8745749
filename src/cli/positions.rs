//! `token-embeddings positions --scheme sinusoidal|rope|t5|alibi ...`: one positional encoding's
//! table, printed as PyTorch prints it (or fingerprinted with `--json`).

use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use serde_json::{Map, Value};
use token_embeddings::checks;
use token_embeddings::positional::{alibi, rope, sinusoidal, t5, Llama3Scaling};
use token_embeddings::printing::PyTorchPrint;
use token_embeddings::summary::summarize;
use token_embeddings::tch::{Device, Kind, Tensor};

use super::{positive_i64, usage_bail, DeviceArg, UsageError};

#[derive(Clone, Copy, PartialEq, ValueEnum)]
pub enum Scheme {
    /// The Annotated Transformer's sine/cosine table, [context-length, dim].
    Sinusoidal,
    /// The book's RoPE tables cos and sin, [context-length, head-dim] each.
    Rope,
    /// T5's relative-position bucket ids, [query-length, key-length].
    T5,
    /// ALiBi's biases slope[h] * (j - i), [heads, context-length, context-length].
    Alibi,
}

impl Scheme {
    fn name(self) -> &'static str {
        match self {
            Scheme::Sinusoidal => "sinusoidal",
            Scheme::Rope => "rope",
            Scheme::T5 => "t5",
            Scheme::Alibi => "alibi",
        }
    }
}

#[derive(clap::Args)]
pub struct Args {
    /// Which encoding: the sinusoid table, RoPE's cos/sin tables, T5's relative-position buckets
    /// or ALiBi's biases.
    #[arg(long, value_enum)]
    scheme: Scheme,
    /// Number of positions (sinusoidal, rope, alibi).
    #[arg(long, value_parser = positive_i64, allow_negative_numbers = true)]
    context_length: Option<i64>,
    /// Embedding dimension (sinusoidal; even).
    #[arg(long, value_parser = positive_i64, allow_negative_numbers = true)]
    dim: Option<i64>,
    /// Dimension of one attention head (rope; even).
    #[arg(long, value_parser = positive_i64, allow_negative_numbers = true)]
    head_dim: Option<i64>,
    /// RoPE's base (rope; the book's default 10000, Llama 3 uses 500000).
    #[arg(long, allow_hyphen_values = true)]
    theta_base: Option<f64>,
    /// Llama 3.1 frequency scaling FACTOR,LOW,HIGH,ORIGINAL_CONTEXT (rope; Llama 3.1: 8,1,4,8192).
    #[arg(long, value_name = "FACTOR,LOW,HIGH,ORIGINAL_CONTEXT", value_parser = parse_llama3_scaling,
          allow_hyphen_values = true)]
    llama3_scaling: Option<Llama3Scaling>,
    /// Number of query positions (t5).
    #[arg(long, value_parser = positive_i64, allow_negative_numbers = true)]
    query_length: Option<i64>,
    /// Number of key positions (t5).
    #[arg(long, value_parser = positive_i64, allow_negative_numbers = true)]
    key_length: Option<i64>,
    /// Number of buckets (t5; default 32).
    #[arg(long, value_parser = positive_i64, allow_negative_numbers = true)]
    num_buckets: Option<i64>,
    /// Distance from which all positions share the last bucket (t5; default 128).
    #[arg(long, value_parser = positive_i64, allow_negative_numbers = true)]
    max_distance: Option<i64>,
    /// Encoder (true) or causal decoder (false) buckets (t5; default true).
    #[arg(long, value_name = "true|false")]
    bidirectional: Option<bool>,
    /// Number of attention heads (alibi).
    #[arg(long, value_parser = positive_i64, allow_negative_numbers = true)]
    heads: Option<i64>,
    /// Print {shape, dtype, sha256, head} per tensor instead of the tensors.
    #[arg(long)]
    json: bool,
    /// Where the table is computed (cuda: PyTorch's CUDA kernels, equal to PyTorch on the GPU).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
}

/// `FACTOR,LOW,HIGH,ORIGINAL_CONTEXT`, e.g. `8,1,4,8192`.
pub fn parse_llama3_scaling(text: &str) -> Result<Llama3Scaling, String> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    let [factor, low, high, original] = parts[..] else {
        return Err(format!("expected FACTOR,LOW,HIGH,ORIGINAL_CONTEXT (e.g. 8,1,4,8192), not {text:?}"));
    };
    let number = |name: &str, s: &str| s.parse::<f64>().map_err(|_| format!("{name} {s:?} is not a number"));
    Ok(Llama3Scaling {
        factor: number("FACTOR", factor)?,
        low_freq_factor: number("LOW", low)?,
        high_freq_factor: number("HIGH", high)?,
        original_context_length: original
            .parse()
            .map_err(|_| format!("ORIGINAL_CONTEXT {original:?} is not a whole number"))?,
    })
}

pub fn run(args: Args) -> Result<ExitCode> {
    check_options(&args)?;
    let device = args.device.device()?;
    check_sizes(&args, device)?;
    let need = |value: Option<i64>, flag: &str| {
        value.ok_or_else(|| anyhow::Error::new(UsageError(format!("--scheme {} needs --{flag}", args.scheme.name()))))
    };
    let tensors: Vec<(&str, Tensor)> = match args.scheme {
        Scheme::Sinusoidal => {
            let pe = sinusoidal::sinusoidal_table(
                need(args.context_length, "context-length")?,
                need(args.dim, "dim")?,
                device,
            )?;
            vec![("pe", pe)]
        }
        Scheme::Rope => {
            let (cos, sin) = rope::compute_rope_params(
                need(args.head_dim, "head-dim")?,
                args.theta_base.unwrap_or(rope::DEFAULT_THETA_BASE),
                need(args.context_length, "context-length")?,
                args.llama3_scaling.as_ref(),
                device,
            )?;
            vec![("cos", cos), ("sin", sin)]
        }
        Scheme::T5 => {
            let buckets = t5::t5_buckets(
                need(args.query_length, "query-length")?,
                need(args.key_length, "key-length")?,
                args.bidirectional.unwrap_or(true),
                args.num_buckets.unwrap_or(t5::DEFAULT_NUM_BUCKETS),
                args.max_distance.unwrap_or(t5::DEFAULT_MAX_DISTANCE),
                device,
            )?;
            vec![("buckets", buckets)]
        }
        Scheme::Alibi => {
            let heads = need(args.heads, "heads")?;
            let bias = alibi::alibi_bias(heads, need(args.context_length, "context-length")?, device)?;
            if args.json {
                vec![("bias", bias), ("slopes", alibi::alibi_slopes(heads, device)?)]
            } else {
                vec![("bias", bias)]
            }
        }
    };
    print_tensors(&tensors, args.json)?;
    Ok(ExitCode::SUCCESS)
}

/// Each tensor as `print(tensor)` writes it, or one JSON object of fingerprints.
pub fn print_tensors(tensors: &[(&str, Tensor)], json: bool) -> Result<()> {
    if json {
        let mut out = Map::new();
        for (name, tensor) in tensors {
            out.insert((*name).to_owned(), serde_json::to_value(summarize(tensor)?)?);
        }
        println!("{}", serde_json::to_string_pretty(&Value::Object(out))?);
    } else {
        for (_, tensor) in tensors {
            println!("{}", tensor.pytorch());
        }
    }
    Ok(())
}

/// Sizes whose tables cannot be held are refused before libtorch sees them (one line with the
/// shape and the bytes): the output's shape, with a factor of four for the intermediate tensors
/// the formulas make along the way. Sizes below 1 do not parse.
fn check_sizes(args: &Args, device: Device) -> Result<()> {
    let (table, kind): (Vec<Option<i64>>, Kind) = match args.scheme {
        Scheme::Sinusoidal => (vec![args.context_length, args.dim], Kind::Float),
        Scheme::Rope => (vec![args.context_length, args.head_dim], Kind::Float),
        Scheme::T5 => (vec![args.query_length, args.key_length], Kind::Int64),
        Scheme::Alibi => (vec![args.heads, args.context_length, args.context_length], Kind::Float),
    };
    let Some(table) = table.into_iter().collect::<Option<Vec<i64>>>() else { return Ok(()) };
    let with_intermediates: Vec<i64> = std::iter::once(4).chain(table).collect();
    checks::check_allocation("the table and its intermediate tensors", &with_intermediates, kind, device)?;
    Ok(())
}

/// An option that the chosen scheme does not read is a mistake worth a clear line (e.g. `--dim`
/// with `--scheme rope`, whose option is `--head-dim`).
fn check_options(args: &Args) -> Result<()> {
    let given = [
        ("context-length", args.context_length.is_some(), &[Scheme::Sinusoidal, Scheme::Rope, Scheme::Alibi][..]),
        ("dim", args.dim.is_some(), &[Scheme::Sinusoidal][..]),
        ("head-dim", args.head_dim.is_some(), &[Scheme::Rope][..]),
        ("theta-base", args.theta_base.is_some(), &[Scheme::Rope][..]),
        ("llama3-scaling", args.llama3_scaling.is_some(), &[Scheme::Rope][..]),
        ("query-length", args.query_length.is_some(), &[Scheme::T5][..]),
        ("key-length", args.key_length.is_some(), &[Scheme::T5][..]),
        ("num-buckets", args.num_buckets.is_some(), &[Scheme::T5][..]),
        ("max-distance", args.max_distance.is_some(), &[Scheme::T5][..]),
        ("bidirectional", args.bidirectional.is_some(), &[Scheme::T5][..]),
        ("heads", args.heads.is_some(), &[Scheme::Alibi][..]),
    ];
    for (flag, is_given, schemes) in given {
        if is_given && !schemes.contains(&args.scheme) {
            let users: Vec<&str> = schemes.iter().map(|s| s.name()).collect();
            usage_bail!("--{flag} does not apply to --scheme {} (only to {})", args.scheme.name(), users.join(", "));
        }
    }
    Ok(())
}
