//! Kernel-driver services other than evshare.sys's (which its own CLI installs): the C drivers
//! the suite builds (the late-cancel repro, the C sample host), installed, started and removed
//! with Wine's `sc`.

use std::path::Path;

use anyhow::{bail, Result};

use crate::steps;
use crate::wine::{self, Wine};

/// `sc ARGS…` under Wine: its standard output, whatever its exit status.
pub fn sc(wine: &Wine, args: &[&str]) -> Result<String> {
    let mut cmd = wine.run_command("sc");
    cmd.args(args);
    let output = steps::captured(&mut cmd, "asking the service manager")?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Installs `sys` as the demand-start kernel-driver service `service` (replacing one left by
/// an earlier run) and starts it; fails unless the service manager then reports it RUNNING.
pub fn install_and_start(wine: &Wine, service: &str, sys: &Path) -> Result<()> {
    let bin_path = wine::windows_path(sys);
    remove(wine, service);
    sc(
        wine,
        &[
            "create", service, "type=", "kernel", "start=", "demand", "binpath=", &bin_path,
        ],
    )?;
    let started = sc(wine, &["start", service])?;
    if !started.contains("RUNNING") {
        bail!("the driver service {service} did not start:\n{started}");
    }
    steps::note(&format!("the service manager reports {service} RUNNING"));
    Ok(())
}

/// Stops `service` (its `DriverUnload` runs); fails unless the service manager says so.
pub fn stop(wine: &Wine, service: &str) -> Result<()> {
    let stopped = sc(wine, &["stop", service])?;
    if !stopped.contains("STOP") {
        bail!("the driver service {service} did not stop:\n{stopped}");
    }
    Ok(())
}

/// Stops and deletes `service`, if there is one.
pub fn remove(wine: &Wine, service: &str) {
    let _ = sc(wine, &["stop", service]);
    let _ = sc(wine, &["delete", service]);
}
