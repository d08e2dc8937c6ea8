//! The subcommands, one module each.

mod channels;
mod demo;
mod doctor;
mod lifecycle;
pub(crate) mod output;
mod stats;
mod status;
mod watch;
mod watch_channel;
mod watch_ring;

use crate::args::{Cli, Command};

/// What a subcommand returns: the library's errors, or the demo's own findings.
pub(crate) type Outcome = Result<(), Box<dyn std::error::Error>>;

/// Runs one subcommand; those that talk to the driver open `--device`.
pub(crate) fn run(cli: Cli) -> Outcome {
    let device = cli.device();
    match &cli.command {
        Command::Install { sys } => lifecycle::install(sys.clone()),
        Command::Start => lifecycle::start(),
        Command::Stop => lifecycle::stop(),
        Command::Uninstall => lifecycle::uninstall(),
        Command::Status => status::run(device),
        Command::Demo { period_ms, count } => demo::run(device, *period_ms, *count),
        Command::Stats { pid } => stats::run(device, *pid),
        Command::Doctor { name } => doctor::run(device, name.as_deref()),
        Command::Channels => channels::run(device),
        Command::Watch(args) => watch::run(device, args),
    }
}

/// Whether `device` is evshare's own, whose driver is the `evshare` service (the service's
/// state says something about it; about another driver's device it says nothing).
pub(crate) fn is_evshare_device(device: &str) -> bool {
    device.eq_ignore_ascii_case(evshare::DEFAULT_DEVICE_PATH)
}
