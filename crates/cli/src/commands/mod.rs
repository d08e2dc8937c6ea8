//! The subcommands, one module each.

mod demo;
mod doctor;
mod lifecycle;
pub(crate) mod output;
mod stats;
mod status;
mod watch;
mod watch_ring;

use crate::args::Command;

/// What a subcommand returns: the library's errors, or the demo's own findings.
pub(crate) type Outcome = Result<(), Box<dyn std::error::Error>>;

/// Runs one subcommand.
pub(crate) fn run(command: Command) -> Outcome {
    match command {
        Command::Install { sys } => lifecycle::install(sys),
        Command::Start => lifecycle::start(),
        Command::Stop => lifecycle::stop(),
        Command::Uninstall => lifecycle::uninstall(),
        Command::Status => status::run(),
        Command::Demo { period_ms, count } => demo::run(period_ms, count),
        Command::Stats { pid } => stats::run(pid),
        Command::Doctor { name } => doctor::run(name.as_deref()),
        Command::Watch(args) => watch::run(&args),
    }
}
