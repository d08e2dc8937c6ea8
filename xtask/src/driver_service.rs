//! Installing, starting and stopping `evshare.sys` in the Wine prefix, through the project's
//! own CLI (`evshare.exe install --sys …`, `start`, `stop`) run under Wine, then asking Wine's
//! service manager (`sc query`) whether the driver really runs.

use std::process::Command;

use anyhow::{bail, Result};

use crate::paths;
use crate::steps;
use crate::wine::{self, Wine};

/// The service name of the driver.
const SERVICE: &str = "evshare";

/// The driver as a service of the prefix, driven by `evshare.exe`.
#[derive(Debug)]
pub struct DriverService {
    wine: Wine,
}

impl DriverService {
    /// Checks that the prefix and the built files are there.
    pub fn new(wine: Wine) -> Result<Self> {
        wine.require_prefix()?;
        for file in [paths::dist_driver(), paths::dist_cli()] {
            if !file.is_file() {
                bail!("{} is missing: run `cargo xtask build`", file.display());
            }
        }
        Ok(DriverService { wine })
    }

    /// Installs the driver from `target/evshare/evshare.sys`, starts it, and checks that it runs.
    /// Needs the persistent wineserver to be up (else the driver dies with the last program).
    pub fn install_and_start(&self) -> Result<()> {
        self.install_image_and_start(&paths::dist_driver())
    }

    /// Installs the driver image at `image` (the service is reconfigured if it exists), starts
    /// it, and checks that it runs.
    pub fn install_image_and_start(&self, image: &std::path::Path) -> Result<()> {
        let sys = wine::windows_path(image);
        steps::run(self.cli().args(["install", "--sys", &sys]))?;
        steps::run(self.cli().arg("start"))?;
        self.require_running()?;
        require_seh_self_test()
    }

    /// Stops the driver (its `DriverUnload` runs).
    pub fn stop(&self) -> Result<()> {
        steps::run(self.cli().arg("stop"))
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

/// Fails unless the driver's log shows its SEH self-test passed (`km::seh::self_test`: a raise
/// through `RtlRaiseStatus` caught by the driver's own SEH frame with the right code). The
/// driver refuses to load when it fails, so this check proves the frame ran, not merely that
/// the load succeeded. Skipped, with a warning, when the caller's `WINEDEBUG` may hide the line.
fn require_seh_self_test() -> Result<()> {
    let path = wine::session_log();
    let log = std::fs::read(&path).unwrap_or_default();
    match wine::seh_self_test(&String::from_utf8_lossy(&log)) {
        wine::SehSelfTest::Passed(line) => {
            steps::note(&format!("driver log: {line}"));
            Ok(())
        }
        wine::SehSelfTest::Failed(line) => bail!("the driver's SEH self-test failed: {line}"),
        wine::SehSelfTest::NotLogged if wine::session_debug_overridden() => {
            steps::warn(&format!(
                "no SEH self-test line in {} (WINEDEBUG is set: add warn+debugstr to see it)",
                path.display()
            ));
            Ok(())
        }
        wine::SehSelfTest::NotLogged => bail!(
            "no SEH self-test line in {}: the driver did not log its self-test",
            path.display()
        ),
    }
}
