//! Installing, starting and stopping `evshare.sys` in the Wine prefix, through the project's
//! own CLI (`evshare.exe install --sys …`, `start`, `stop`) run under Wine.
//!
//! TEMPORARY: while the CLI lacks those subcommands, the harness falls back to Wine's `sc.exe`
//! (see [`temporary_sc_fallback`]); it says so loudly when it does.

use std::process::Command;

use anyhow::{bail, Result};

use crate::paths;
use crate::steps;
use crate::wine::{self, Wine};

/// The service name of the driver.
const SERVICE: &str = "evshare";

/// The driver as a service of the prefix, driven by whichever tool can drive it.
#[derive(Debug)]
pub struct DriverService {
    wine: Wine,
    via_cli: bool,
}

impl DriverService {
    /// Checks that the prefix and the built files are there, and picks the tool.
    pub fn new(wine: Wine) -> Result<Self> {
        wine.require_prefix()?;
        for file in [paths::dist_driver(), paths::dist_cli()] {
            if !file.is_file() {
                bail!("{} is missing: run `cargo xtask build`", file.display());
            }
        }
        let via_cli = cli_can_manage_the_driver(&wine)?;
        if !via_cli {
            steps::warn(
                "TEMPORARY: evshare.exe has no install/start/stop subcommands yet; using Wine's sc.exe instead",
            );
        }
        Ok(DriverService { wine, via_cli })
    }

    /// Installs the driver from `target/evshare/evshare.sys`, starts it, and checks that it runs.
    /// Needs the persistent wineserver to be up (else the driver dies with the last program).
    pub fn install_and_start(&self) -> Result<()> {
        let sys = wine::windows_path(&paths::dist_driver());
        if self.via_cli {
            steps::run(self.cli().args(["install", "--sys", &sys]))?;
            steps::run(self.cli().arg("start"))?;
        } else {
            temporary_sc_fallback::install_and_start(&self.wine, &sys)?;
        }
        self.require_running()
    }

    /// Stops the driver (its `DriverUnload` runs).
    pub fn stop(&self) -> Result<()> {
        if self.via_cli {
            steps::run(self.cli().arg("stop"))
        } else {
            temporary_sc_fallback::stop(&self.wine)
        }
    }

    /// `evshare.exe ARGS…` under Wine, output to the terminal.
    pub fn cli(&self) -> Command {
        self.wine.run_command(paths::dist_cli())
    }

    /// Fails unless the service manager reports the driver RUNNING.
    fn require_running(&self) -> Result<()> {
        let mut query = self.wine.run_command("sc");
        query.args(["query", SERVICE]);
        let output = steps::captured(&mut query, "asking the service manager")?;
        let text = String::from_utf8_lossy(&output.stdout);
        if output.status.success() && text.contains("RUNNING") {
            steps::note("the service manager reports evshare RUNNING");
            return Ok(());
        }
        steps::print_output(&output);
        bail!("the driver is not running after start (WINEDEBUG=+ntoskrnl,+seh,+module shows why a load fails)")
    }
}

/// True when `evshare.exe --help` lists the `install`, `start` and `stop` subcommands.
fn cli_can_manage_the_driver(wine: &Wine) -> Result<bool> {
    let mut help = wine.run_command(paths::dist_cli());
    help.arg("--help");
    let output = steps::captured(&mut help, "asking evshare.exe what it can do")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(["install", "start", "stop"]
        .iter()
        .all(|subcommand| mentions_subcommand(&text, subcommand)))
}

/// True when a help text lists `subcommand` as a word at the start of a line.
fn mentions_subcommand(help: &str, subcommand: &str) -> bool {
    help.lines()
        .any(|line| line.split_whitespace().next() == Some(subcommand))
}

/// TEMPORARY, until `evshare.exe install/start/stop` exist: the same with Wine's `sc.exe`.
mod temporary_sc_fallback {
    use anyhow::Result;

    use super::SERVICE;
    use crate::steps;
    use crate::wine::Wine;

    /// `sc delete` (a leftover from an earlier run), `sc create … type= kernel`, `sc start`.
    pub fn install_and_start(wine: &Wine, sys: &str) -> Result<()> {
        let mut delete = wine.run_command("sc");
        delete.args(["delete", SERVICE]);
        // Fails when there is nothing to delete, which is the usual case.
        let _ = steps::captured(&mut delete, "removing any earlier evshare service")?;
        let mut create = wine.run_command("sc");
        create.args(["create", SERVICE, "type=", "kernel", "binPath=", sys]);
        steps::run(&mut create)?;
        let mut start = wine.run_command("sc");
        start.args(["start", SERVICE]);
        steps::run(&mut start)
    }

    /// `sc stop`.
    pub fn stop(wine: &Wine) -> Result<()> {
        let mut stop = wine.run_command("sc");
        stop.args(["stop", SERVICE]);
        steps::run(&mut stop)
    }
}

#[cfg(test)]
mod tests {
    use super::mentions_subcommand;

    #[test]
    fn subcommands_are_found_in_a_clap_help_text() {
        let help = "Usage: evshare.exe <COMMAND>\n\nCommands:\n  install  Install the driver\n  start    Start it\n  help     Print help\n";
        assert!(mentions_subcommand(help, "install"));
        assert!(mentions_subcommand(help, "start"));
        assert!(!mentions_subcommand(help, "stop"));
        assert!(!mentions_subcommand("", "install"));
    }
}
