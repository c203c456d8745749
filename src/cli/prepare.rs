//! `token-embeddings prepare`: text files to a flat token file for training (nanoGPT's format).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use token_embeddings::data::prepare::{prepare, PrepareOptions};

use super::positive_size;

#[derive(clap::Args)]
pub struct Args {
    /// A text file (UTF-8); repeat for several. Each file is one document, followed by <|endoftext|>.
    #[arg(long = "text", value_name = "PATH", required = true)]
    texts: Vec<PathBuf>,
    /// The token file to write (little-endian uint16 ids), with its sidecar FILE.bin.json.
    #[arg(long, value_name = "FILE.bin")]
    out: PathBuf,
    /// Worker threads for tokenising (default: one per core; at most 1024).
    #[arg(long, value_parser = thread_count, allow_negative_numbers = true)]
    threads: Option<usize>,
    /// Bytes of text each worker encodes at a time.
    #[arg(long, default_value_t = 256 << 10, value_name = "BYTES", value_parser = positive_size, allow_negative_numbers = true)]
    part_bytes: usize,
    /// Print the sidecar (JSON) instead of a one-line summary.
    #[arg(long)]
    json: bool,
    /// No progress bar (there is none anyway when stderr is not a terminal).
    #[arg(long)]
    quiet: bool,
}

/// More threads than this is a mistake (each is an OS thread with its own stack; 40,000 of them
/// took minutes to start and stop on 2 cores).
const MAX_THREADS: usize = 1024;

/// `--threads`: 1 to [`MAX_THREADS`].
fn thread_count(value: &str) -> Result<usize, String> {
    let n = positive_size(value)?;
    if n > MAX_THREADS {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        return Err(format!(
            "{n} threads is more than {MAX_THREADS} (one per core is fastest; this machine has {cores})"
        ));
    }
    Ok(n)
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args { texts, out, threads, part_bytes, json, quiet } = args;
    if let Some(threads) = threads {
        rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().context("starting the worker threads")?;
    }
    let started = Instant::now();
    let info = prepare(&texts, &out, &PrepareOptions { part_bytes, progress: !quiet })?;
    let seconds = started.elapsed().as_secs_f64();
    if json {
        println!("{}", serde_json::to_string_pretty(&info)?);
    } else {
        println!(
            "{}: {} tokens ({}) from {} document(s) in {seconds:.2} s; sidecar {}.json",
            out.display(),
            info.tokens,
            info.dtype.name(),
            info.documents,
            out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
