//! `token-embeddings walkthrough`: every output of the chapter, in order.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use serde_json::{Map, Value};
use token_embeddings::summary::summarize;
use token_embeddings::walkthrough;

use super::{read_text_or_verdict, DeviceArg};

#[derive(clap::Args)]
pub struct Args {
    /// Text to use instead of the book's story (data/the-verdict.txt).
    #[arg(long)]
    text: Option<PathBuf>,
    /// Print one JSON object of the chapter's tensors (shape, dtype, sha256, head).
    #[arg(long)]
    json: bool,
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
}

pub fn run(Args { text, json, device }: Args) -> Result<ExitCode> {
    let raw_text = read_text_or_verdict(text.as_ref())?;
    let chapter = walkthrough::run(&raw_text, device.device()?)?;
    if json {
        let mut tensors = Map::new();
        for (name, tensor) in &chapter.tensors {
            tensors.insert((*name).to_owned(), serde_json::to_value(summarize(tensor)?)?);
        }
        println!("{}", serde_json::to_string_pretty(&Value::Object(tensors))?);
    } else {
        print!("{chapter}");
    }
    Ok(ExitCode::SUCCESS)
}
