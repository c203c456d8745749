//! `token-embeddings`: chapter 2 of "Build a Large Language Model (From Scratch)" on the command
//! line, next to a live PyTorch run. A thin layer over the library: one file per subcommand in
//! `src/cli/`.

use std::process::ExitCode;

use clap::Parser;
use token_embeddings::reference::PyTorchMissing;

mod cli;

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, so `token-embeddings ... | head` would panic in println! once head has
    // quit; restore the default, and the process ends quietly as other Unix tools do.
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match cli::Cli::parse().run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.downcast_ref::<PyTorchMissing>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
