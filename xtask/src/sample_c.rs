//! `samples/c-host`: a WDM driver written in C that embeds evshare through its C API
//! (`crates/kernel-c`), built with mingw-w64 against the DDK headers and the static library,
//! linted like evshare.sys, and installed under Wine as its own kernel-driver service next to
//! it. The client's `e2e_sample_c` test talks to it (the suite's e2e step runs it); its log
//! shows its prefix, its ticks and a clean unload.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::building::{cargo, DRIVER_PROFILE};
use crate::kernel_service;
use crate::paths::{self, MINGW_GCC, USER_TARGET};
use crate::pe_lint;
use crate::steps;
use crate::wine::{self, Wine};

/// The sample's service name.
pub const SERVICE: &str = "evsharesamplec";
/// What every line the sample (and evshare inside it) logs starts with.
const PREFIX: &str = "evshare-sample-c: ";
/// The Rust target the static library is built for: mingw-w64's, which links it.
const LIBRARY_TARGET: &str = USER_TARGET;

fn source() -> PathBuf {
    paths::repo_root().join("samples/c-host/driver.c")
}

/// The sample's image.
pub fn image() -> PathBuf {
    paths::target_dir().join("sample-c/evshare-sample-c.sys")
}

/// Builds `libevshare_kernel_c.a` (the `driver` profile: `panic = "abort"`) and the sample
/// against it and the header, with every gcc warning an error; then lints the image with
/// evshare.sys's rules (its SEH frame comes from the library).
pub fn build_and_lint() -> Result<()> {
    steps::heading("build libevshare_kernel_c.a (crates/kernel-c)");
    steps::run(cargo().args([
        "build",
        "-p",
        "evshare-kernel-c",
        "--target",
        LIBRARY_TARGET,
        "--profile",
        DRIVER_PROFILE,
    ]))?;
    let library_dir = paths::target_dir()
        .join(LIBRARY_TARGET)
        .join(DRIVER_PROFILE);
    steps::heading("build evshare-sample-c.sys (samples/c-host)");
    let out = image();
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut gcc = Command::new(MINGW_GCC);
    gcc.args(["-O2", "-Wall", "-Wextra", "-Werror"])
        .arg("-I/usr/x86_64-w64-mingw32/include/ddk")
        .arg(format!(
            "-I{}",
            paths::repo_root().join("crates/kernel-c/include").display()
        ))
        .args(["-shared", "-nostdlib", "-nostartfiles"])
        .args(["-Wl,--subsystem,native", "-Wl,--entry,DriverEntry", "-s"])
        .arg("-o")
        .arg(&out)
        .arg(source())
        .arg(format!("-L{}", library_dir.display()))
        // The library first (it needs ntoskrnl's imports; its own import table for them is
        // inside it), then ntoskrnl for the sample's, then libgcc for ___chkstk_ms.
        .args(["-levshare_kernel_c", "-lntoskrnl", "-lgcc"]);
    steps::run(&mut gcc)?;
    steps::note(&format!("-> {}", out.display()));
    pe_lint::run(&out)
}

/// Where the session log stood when the sample was installed: its lines come after.
#[derive(Debug, Clone, Copy)]
pub struct Installed {
    log_from: usize,
}

/// Installs and starts the sample as its own service, and checks its load in the log.
pub fn install(wine: &Wine) -> Result<Installed> {
    let image = image();
    if !image.is_file() {
        bail!("{} is missing: build it first", image.display());
    }
    let log_from = session_log().len();
    kernel_service::install_and_start(wine, SERVICE, &image)?;
    let log = session_log();
    let this_load = String::from_utf8_lossy(log.get(log_from..).unwrap_or_default());
    for expected in [
        "evshare-sample-c: SEH self-test passed",
        "evshare-sample-c: loaded: \\Device\\EvshareSampleC",
    ] {
        match this_load.lines().find(|line| line.contains(expected)) {
            Some(line) => steps::note(&format!("driver log: {}", line.trim())),
            None => not_logged(expected)?,
        }
    }
    Ok(Installed { log_from })
}

/// Stops the sample (its `DriverUnload` cancels the timer and unloads the instance) and
/// checks its log: its prefix on every line of its own, ticks published, a clean unload.
pub fn stop_and_check(wine: &Wine, installed: Installed) -> Result<()> {
    let stopped = kernel_service::stop(wine, SERVICE);
    kernel_service::remove(wine, SERVICE);
    stopped?;
    let log = session_log();
    let text = String::from_utf8_lossy(log.get(installed.log_from..).unwrap_or_default());
    let Some(unload) = unload_line(&text) else {
        return not_logged("evshare-sample-c: unloaded after N ticks");
    };
    steps::note(&format!(
        "driver log: {} ticks published on both channels, {} publishes failed",
        unload.ticks, unload.failed
    ));
    if unload.ticks == 0 || unload.failed != 0 {
        bail!("the sample's timer published badly: {unload:?}");
    }
    let published = text
        .lines()
        .filter(|line| line.contains("evshare-sample-c: published tick"))
        .count();
    if published == 0 {
        bail!(
            "the sample logged no `published tick` line in {} ticks",
            unload.ticks
        );
    }
    match text
        .lines()
        .find(|line| line.contains("evshare-sample-c: unloaded; released"))
    {
        Some(line) => steps::note(&format!("driver log: {}", line.trim())),
        None => bail!("the sample's evshare instance logged no unload"),
    }
    Ok(())
}

/// `cargo xtask sample-c`: builds and lints the sample, installs it next to whatever runs,
/// runs the client's `e2e_sample_c` against it, then stops it and checks its log (also when
/// the test failed).
pub fn run(wine: &Wine) -> Result<()> {
    build_and_lint()?;
    let installed = install(wine)?;
    steps::heading("the client's e2e_sample_c test, under Wine");
    let tested = steps::run(&mut crate::test_suite::e2e_command_for(
        wine,
        &["-p", "evshare", "--test", "e2e_sample_c"],
        &["--test-threads=1"],
    ));
    steps::heading("stop the C sample, check its log");
    let checked = stop_and_check(wine, installed);
    tested.and(checked)
}

/// What the sample's unload line reports.
#[derive(Debug, PartialEq, Eq)]
struct Unload {
    ticks: u64,
    failed: u64,
}

/// The last `evshare-sample-c: unloaded after N ticks, M publishes failed` line.
fn unload_line(log: &str) -> Option<Unload> {
    let marker = format!("{PREFIX}unloaded after ");
    let line = log.lines().rev().find(|line| line.contains(&marker))?;
    let (_, rest) = line.split_once(&marker)?;
    let (ticks, rest) = rest.split_once(" ticks, ")?;
    let (failed, _) = rest.split_once(" publishes failed")?;
    Some(Unload {
        ticks: ticks.trim().parse().ok()?,
        failed: failed.trim().parse().ok()?,
    })
}

/// The session log's bytes so far (none if it cannot be read).
fn session_log() -> Vec<u8> {
    std::fs::read(wine::session_log()).unwrap_or_default()
}

/// A line the sample logs is missing: a warning when the caller's `WINEDEBUG` may hide it,
/// else a failure.
fn not_logged(what: &str) -> Result<()> {
    if wine::session_debug_overridden() {
        steps::warn(&format!(
            "no `{what}` line in the session log (WINEDEBUG is set: add warn+debugstr to see it)"
        ));
        return Ok(());
    }
    bail!(
        "no `{what}` line in {}: the sample did not log it",
        wine::session_log().display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_unload_line_is_parsed() {
        let log = "0124:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000003: evshare-sample-c: unloaded after 7 ticks, 0 publishes failed\n\
                   noise\n\
                   0130:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000003: evshare-sample-c: unloaded after 12 ticks, 1 publishes failed\n";
        assert_eq!(
            unload_line(log),
            Some(Unload {
                ticks: 12,
                failed: 1
            })
        );
        assert_eq!(
            unload_line("evshare: unloaded after 3 ticks, 0 publishes failed"),
            None
        );
        assert_eq!(
            unload_line("evshare-sample-c: unloaded after x ticks, 0 publishes failed"),
            None
        );
    }
}
