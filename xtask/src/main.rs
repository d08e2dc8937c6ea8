//! `cargo xtask`: builds evshare, checks it, and runs it for real under Wine.
//!
//! The driver (`evshare.sys`) is cross-built for `x86_64-pc-windows-msvc`, the user side for
//! `x86_64-pc-windows-gnu`, and Wine 8.0's `winedevice.exe` loads the driver as a kernel-driver
//! service in a prefix of our own (`$WINEPREFIX`, default `target/wine/prefix`).

mod bench;
mod building;
mod demo;
mod driver_service;
mod kernel_service;
mod layout;
mod paths;
mod pe_lint;
mod repro;
mod runner_check;
mod sample_c;
mod sample_host;
mod setup;
mod sign;
mod steps;
mod test_suite;
mod variants;
mod verifier;
mod wine;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Build, check and run evshare (driver + user side) under Wine.
#[derive(Debug, Parser)]
#[command(name = "xtask", bin_name = "cargo xtask", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Install what is missing: Wine and mingw-w64 (apt-get, as root on Debian), the Rust
    /// targets, the Wine prefix and the ProcessPrng shim in it. Idempotent.
    ///
    /// The prefix is $WINEPREFIX, or target/wine/prefix. The shim
    /// (xtask/shim/bcryptprimitives.c) gives Wine 8.0 the bcryptprimitives.dll!ProcessPrng
    /// every Rust program needs to start.
    Setup,

    /// Build the driver, the CLI and the shim into target/evshare/, then lint the driver.
    ///
    /// target/evshare/evshare.sys is the driver image (built with the `driver` profile),
    /// evshare.exe the CLI, bcryptprimitives.dll the ProcessPrng shim.
    Build {
        /// Build the user-mode side with the release profile (the driver always uses `driver`).
        #[arg(long)]
        release: bool,
        /// Also build the driver variant NAME (its cargo features, its own target directory)
        /// into target/evshare/variants/NAME/evshare.sys, and lint it.
        #[arg(long, value_name = "NAME")]
        variant: Option<String>,
    },

    /// Check that a PE image is a driver Windows and Wine 8.0 will load safely.
    ///
    /// Rules: AMD64; subsystem NATIVE; the entry point is the DriverEntry export; imports only
    /// from ntoskrnl.exe and hal.dll, none of them a Wine 8.0 `@ stub`, all exported by the
    /// installed Wine; no writable+executable section; no section without characteristics; a
    /// correct, non-zero PE checksum.
    Lint {
        /// The image to check.
        #[arg(default_value_os_t = paths::dist_driver())]
        path: PathBuf,
    },

    /// Check the kernel struct layouts the Rust side uses against the mingw-w64 DDK headers
    /// (one _Static_assert per check, compiled with x86_64-w64-mingw32-gcc -fsyntax-only).
    Layout,

    /// Start a persistent wineserver, install evshare.sys and start it; leave both running.
    ///
    /// Needs `cargo xtask setup` and `cargo xtask build` first. `cargo xtask stop` undoes it.
    Install {
        /// Install the driver variant NAME instead of the shipped image (built by
        /// `cargo xtask build --variant NAME`), to run e2e tests against it by hand.
        #[arg(long, value_name = "NAME")]
        variant: Option<String>,
    },

    /// Build and lint the sample host (samples/rust-host, a Rust driver that embeds
    /// evshare), then install it under Wine as a second kernel-driver service next to
    /// evshare.sys and start it: its device is \\.\EvshareSampleRust.
    ///
    /// Needs `cargo xtask install` first (the persistent wineserver); `cargo xtask stop`
    /// stops both drivers.
    Sample {
        /// Build and install the sample with the driver variant NAME's features instead.
        #[arg(long, value_name = "NAME")]
        variant: Option<String>,
    },

    /// Stop the driver (and the sample host, if installed) and shut the prefix's wineserver
    /// down.
    Stop,

    /// Show Wine 8.0's late-cancel use-after-free on a minimal C driver
    /// (tools/repro/cancel-uaf): build it with mingw-w64, install it next to whatever runs,
    /// line requests up so a stale cancel lands on another IRP, and report. Needs a running
    /// persistent wineserver (`cargo xtask install`); part of `cargo xtask test`.
    ReproCancel,

    /// Build the C sample host driver (samples/c-host: evshare linked as a static library
    /// through crates/kernel-c's C header), lint it, install it under Wine as its own
    /// service, run the client's e2e_sample_c test against it, stop it and check its log.
    /// Needs a running persistent wineserver (`cargo xtask install`); part of
    /// `cargo xtask test`.
    SampleC,

    /// Run every check: fmt, host unit tests, clippy (host, driver, user side), build, lint,
    /// layout, then the Wine end-to-end tests against the installed driver, and once more
    /// against each driver variant (xtask/src/variants.rs: the driver built with extra
    /// features, e.g. windows-branches).
    ///
    /// Runs setup first, stops at the first failure, always stops the driver and the
    /// wineserver at the end, and prints a table of the steps. The e2e tests are the evshare
    /// library's tests run under Wine with EVSHARE_E2E=1; a Wine that cannot run fails them.
    Test {
        /// Only the steps the end-to-end tests need (setup, build, lint, Wine, e2e).
        #[arg(long, conflicts_with = "host_only")]
        e2e_only: bool,
        /// Only the steps that do not run Wine.
        #[arg(long)]
        host_only: bool,
        /// Also run the long soak tests, after the e2e tests: the client's #[ignore]d tests
        /// whose names contain "soak", with EVSHARE_SOAK=1 set.
        #[arg(long, conflicts_with = "host_only")]
        soak: bool,
    },

    /// Set up, build, install and start the driver, run `evshare demo` under Wine, then stop
    /// the driver and the wineserver.
    Demo,

    /// Test-sign the driver for a Windows machine in test-signing mode: make a test
    /// code-signing certificate once (openssl, under target/sign/), sign evshare.sys with
    /// osslsigncode (SHA-256) into evshare-signed.sys, verify the signature, lint the signed
    /// image, and print the steps for the Windows machine.
    Sign {
        /// The image to sign (default: target/evshare/evshare.sys).
        image: Option<PathBuf>,
    },

    /// Measure, on this host and in one run, what a driver → app notification costs by event
    /// and by inverted call, and what the ring moves, against the floors (an event round trip
    /// between two user threads, the same ring code in one process, rtrb).
    ///
    /// Sets up, builds (release), installs and starts the driver, runs evshare-bench.exe under
    /// Wine, stops the driver and the wineserver, then writes target/bench/results.json,
    /// target/bench/latency.svg (the plot) and target/bench/summary.md (the README's tables),
    /// and prints the table with the ratios and the targets. Fails only if a run errors or
    /// loses data; a target not met is reported, not a failure.
    Bench {
        /// A short run: 1,000 samples per latency method and 2-second ring runs (about 30 s
        /// of measuring instead of about a minute and a half).
        #[arg(long)]
        quick: bool,
        /// Measure nothing: redraw the plot, summary.md and the table from the last
        /// target/bench/results.json.
        #[arg(long, conflicts_with = "quick")]
        report_only: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Setup => setup::all(),
        Command::Build { release, variant } => {
            let profile = if release {
                building::Profile::Release
            } else {
                building::Profile::Debug
            };
            let variant = variant.as_deref().map(variants::named).transpose()?;
            building::all(profile)?;
            pe_lint::run(&paths::dist_driver())?;
            match variant {
                Some(variant) => variant.build(),
                None => Ok(()),
            }
        }
        Command::Lint { path } => pe_lint::run(&path),
        Command::Layout => layout::run(),
        Command::Install { variant } => {
            demo::install(variant.as_deref().map(variants::named).transpose()?)
        }
        Command::Sample { variant } => {
            sample_host::build_and_install(variant.as_deref().map(variants::named).transpose()?)
        }
        Command::Stop => demo::stop(),
        Command::ReproCancel => repro::run(&wine::Wine::locate()?),
        Command::SampleC => sample_c::run(&wine::Wine::locate()?),
        Command::Test {
            e2e_only,
            host_only,
            soak,
        } => test_suite::run(test_suite::Options {
            e2e_only,
            host_only,
            soak,
        }),
        Command::Demo => demo::demo(),
        Command::Sign { image } => sign::run(image),
        Command::Bench { quick, report_only } => bench::run(bench::Options { quick, report_only }),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
