//! `evshare`: install, start, stop and inspect the evshare driver, diagnose names, watch
//! signals live, and run the demo.
//!
//! Every failure prints the library's error (cause and fix) followed by its `source()` chain,
//! and exits with status 1.

mod args;
#[cfg(windows)]
mod commands;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::Cli::parse_checked();
    run(cli)
}

#[cfg(windows)]
fn run(cli: args::Cli) -> ExitCode {
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", commands::output::error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(windows))]
fn run(_cli: args::Cli) -> ExitCode {
    eprintln!(
        "error: evshare controls a Windows kernel driver; run the Windows build \
         (x86_64-pc-windows-gnu) on Windows or under Wine"
    );
    ExitCode::FAILURE
}
