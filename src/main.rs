//! `token-embeddings`: chapter 2 of "Build a Large Language Model (From Scratch)" on the command
//! line, next to a live PyTorch run. A thin layer over the library: one file per subcommand in
//! `src/cli/`.
//!
//! Exit status (also in the README): 0 success; 1 an error while running (bad input found in a
//! file, an id, a size, memory, a device), and `compare`'s mismatch; 2 PyTorch missing or of the
//! wrong version; 64 a command line that does not parse or does not fit together (an option the
//! chosen mode does not read, a size below 1: `EX_USAGE` of sysexits.h); 101 a bug
//! (a panic). Every error is one line on stderr. A closed stdout (`… | head -3`) ends the
//! process quietly through `SIGPIPE`, as `cat` or `seq` end (status 141 in a shell).

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use token_embeddings::checks::first_line;
use token_embeddings::reference::PyTorchMissing;

mod cli;

/// Exit status for a command line that clap cannot parse (sysexits.h's `EX_USAGE`).
const EXIT_USAGE: u8 = 64;

fn main() -> ExitCode {
    restore_sigpipe();
    quiet_panics();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            // --help and --version; nothing to report if stdout is already closed.
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        Err(err) if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // clap would print the whole help on stderr.
            let command = cli::Cli::command();
            let names: Vec<&str> = command.get_subcommands().map(|sub| sub.get_name()).collect();
            eprintln!("error: a subcommand is needed: {} (see `token-embeddings --help`)", names.join(", "));
            return ExitCode::from(EXIT_USAGE);
        }
        Err(err) => {
            eprintln!("error: {} (see `{}`)", usage_error_line(&err.render().to_string()), help_command());
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match cli.run() {
        Ok(code) => code,
        Err(err) if err.downcast_ref::<cli::UsageError>().is_some() => {
            eprintln!("error: {} (see `{}`)", error_line(&err), help_command());
            ExitCode::from(EXIT_USAGE)
        }
        Err(err) => {
            eprintln!("error: {}", error_line(&err));
            if err.downcast_ref::<PyTorchMissing>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// The help to read after a usage error: that of the subcommand named on the command line.
fn help_command() -> String {
    let command = cli::Cli::command();
    let names: Vec<&str> = command.get_subcommands().map(|sub| sub.get_name()).collect();
    let sub = std::env::args().skip(1).find(|arg| names.contains(&arg.as_str()));
    sub.map_or("token-embeddings --help".to_owned(), |sub| format!("token-embeddings {sub} --help"))
}

/// Rust ignores `SIGPIPE`, so a write to a closed pipe fails and `println!` panics ("failed
/// printing to stdout: Broken pipe"). Unix tools instead end silently on the signal; so do we.
/// (The library writes to no pipe of its own: the reference's input comes from a file.)
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: signal(2) with SIG_DFL, a valid disposition for SIGPIPE, called first thing in main
    // before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// A panic is a bug: one line on stderr instead of a message spread over several lines and a
/// backtrace hint (`RUST_BACKTRACE=1` keeps Rust's own report, with the backtrace).
fn quiet_panics() {
    if std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0") {
        return;
    }
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("unknown panic");
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        eprintln!(
            "error: internal error (a bug in token-embeddings{place}; RUST_BACKTRACE=1 shows more): {}",
            first_line(message)
        );
    }));
}

/// The error and its causes on one line, `outer: inner: innermost`, each cut to its first line
/// (libtorch's messages go on with C++ stack frames).
fn error_line(err: &anyhow::Error) -> String {
    err.chain().map(|cause| first_line(&cause.to_string()).to_owned()).collect::<Vec<_>>().join(": ")
}

/// clap's error report (message, tips, usage, pointer to --help over several lines) as one
/// line: the message and its tips.
fn usage_error_line(rendered: &str) -> String {
    let paragraphs: Vec<Vec<&str>> = rendered
        .split("\n\n")
        .map(|p| p.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
        .collect();
    let mut line = paragraphs.first().map(|p| p.join(" ")).unwrap_or_default();
    line = line.trim_start_matches("error: ").to_owned();
    for paragraph in paragraphs.iter().skip(1) {
        if paragraph[0].starts_with("tip:") {
            line.push_str("; ");
            line.push_str(&paragraph.join(" "));
        }
    }
    line
}
