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
    /// Text file to run the chapter on instead of the book's story (data/the-verdict.txt). It
    /// needs at least 257 GPT-2 tokens: the chapter's last data loader cuts windows of
    /// max_length=256, and each window needs one more token as its target.
    #[arg(long, value_name = "FILE")]
    text: Option<PathBuf>,
    /// Print one JSON object of the chapter's tensors instead, named after the book's variables
    /// (embedding_layer.weight, inputs, input_embeddings, ...): shape, dtype, sha256 of the raw
    /// little-endian bytes and the first values.
    #[arg(long)]
    json: bool,
    /// Where the tensors live (see the values).
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
}

pub fn run(Args { text, json, device }: Args) -> Result<ExitCode> {
    let device = device.device()?;
    let raw_text = read_text_or_verdict(text.as_ref())?;
    let chapter = walkthrough::run(&raw_text, device)?;
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
