//! Installing, starting and stopping `evshare.sys` in the Wine prefix, through the project's
//! own CLI (`evshare.exe install --sys …`, `start`, `stop`) run under Wine, then asking Wine's
//! service manager (`sc query`) whether the driver really runs.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Result};

use crate::paths;
use crate::steps;
use crate::wine::{self, Wine};

/// The service name of the driver.
const SERVICE: &str = "evshare";
/// What evshare.sys's log lines start with (km's `Identity::EVSHARE`).
const LOG_PREFIX: &str = "evshare";

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
        self.install_image_and_start(&paths::dist_driver(), &[])
    }

    /// Stops the installed driver, then installs `image` (built with the cargo `features`) in
    /// its place and starts it, with the checks of [`DriverService::install_and_start`].
    pub fn replace_with(&self, image: &Path, features: &[&str]) -> Result<()> {
        if !image.is_file() {
            bail!("{} is missing: build it first", image.display());
        }
        self.stop()?;
        self.install_image_and_start(image, features)
    }

    /// Installs `image`, starts it, and checks that it runs, that its SEH self-test passed, and
    /// that its log names exactly `features` as the image's cargo features (so the image that
    /// loaded is the one asked for).
    fn install_image_and_start(&self, image: &Path, features: &[&str]) -> Result<()> {
        let sys = wine::windows_path(image);
        steps::run(self.cli().args(["install", "--sys", &sys]))?;
        // Only what this load logs counts: an earlier load's lines are in the log too.
        let earlier = session_log().len();
        steps::run(self.cli().arg("start"))?;
        self.require_running()?;
        let log = session_log();
        let this_load = String::from_utf8_lossy(log.get(earlier..).unwrap_or_default());
        require_seh_self_test(&this_load, LOG_PREFIX)?;
        require_fence_device(&this_load, LOG_PREFIX)?;
        require_features(&this_load, LOG_PREFIX, features)
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

/// The session log's bytes so far (none if it cannot be read).
pub(crate) fn session_log() -> Vec<u8> {
    std::fs::read(wine::session_log()).unwrap_or_default()
}

/// Warns that a line the driver logs at load is missing because the caller's `WINEDEBUG` may
/// hide it, or fails if the session shows the driver's messages and the line is not there.
fn line_not_logged(what: &str) -> Result<()> {
    let path = wine::session_log();
    if wine::session_debug_overridden() {
        steps::warn(&format!(
            "no {what} line in {} (WINEDEBUG is set: add warn+debugstr to see it)",
            path.display()
        ));
        return Ok(());
    }
    bail!(
        "no {what} line in {}: the driver did not log it",
        path.display()
    )
}

/// Fails unless the log of the driver whose log prefix is `prefix` shows its SEH self-test
/// passed (`km::seh::self_test`: a raise through `RtlRaiseStatus` caught by the driver's own
/// SEH frame with the right code). The driver refuses to load when it fails, so this check
/// proves the frame ran, not merely that the load succeeded. Skipped, with a warning, when the
/// caller's `WINEDEBUG` may hide the line.
pub(crate) fn require_seh_self_test(log: &str, prefix: &str) -> Result<()> {
    match wine::seh_self_test(log, prefix) {
        wine::SehSelfTest::Passed(line) => {
            steps::note(&format!("driver log: {line}"));
            Ok(())
        }
        wine::SehSelfTest::Failed(line) => bail!("the driver's SEH self-test failed: {line}"),
        wine::SehSelfTest::NotLogged => line_not_logged("SEH self-test"),
    }
}

/// Fails if the load in `log` of the driver whose log prefix is `prefix` could not create km's
/// Wine fence device (`km::wine_fence`: without it, completed parked IRPs are never freed).
pub(crate) fn require_fence_device(log: &str, prefix: &str) -> Result<()> {
    let marker = format!("{prefix}: Wine: no fence device");
    match log.lines().find(|line| line.contains(&marker)) {
        Some(line) => bail!("the driver has no Wine fence device: {}", line.trim()),
        None => Ok(()),
    }
}

/// Fails unless the last load of the driver whose log prefix is `prefix` logged exactly
/// `expected` as its cargo features (`crates/driver/src/features.rs`; none for the shipped
/// image). Skipped, with a warning, when the caller's `WINEDEBUG` may hide the line.
pub(crate) fn require_features(log: &str, prefix: &str, expected: &[&str]) -> Result<()> {
    let Some(found) = wine::driver_features(log, prefix) else {
        return line_not_logged("`built with features`");
    };
    let mut found_sorted: Vec<&str> = found.iter().map(String::as_str).collect();
    found_sorted.sort_unstable();
    let mut expected_sorted = expected.to_vec();
    expected_sorted.sort_unstable();
    if found_sorted != expected_sorted {
        bail!(
            "the driver that loaded was built with features [{}], not [{}]: another image is installed",
            found.join(", "),
            expected.join(", ")
        );
    }
    steps::note(&format!(
        "driver log: built with features: {}",
        if expected.is_empty() {
            "none".to_string()
        } else {
            expected.join(", ")
        }
    ));
    Ok(())
}
