//! `tools/repro/cancel-uaf`: Wine 8.0's late-cancel use-after-free, shown on the smallest C
//! driver that parks and completes IRPs the textbook way (issue 8, item 1).
//!
//! The app lines Wine's single request queue up as `COMPLETE_ALL | PARK(Y) | CANCEL(X)` behind
//! a sleeping dispatch: the cancel the server queued for X, before the driver completed (and
//! Wine freed) X, lands on Y, which took X's memory. The step passes when the app shows it
//! (`hit` or `dead` rounds): that is the root cause evshare's `km::wine_fence` works around.
//! Should a future Wine no longer show it, the step fails and says so, because the workaround
//! would then deserve a second look.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::kernel_service;
use crate::paths;
use crate::pe_lint;
use crate::steps;
use crate::wine::Wine;

/// The service name of the repro driver.
const SERVICE: &str = "cancelrepro";
/// Rounds the app tries.
const ROUNDS: &str = "5";

fn source_dir() -> PathBuf {
    paths::repo_root().join("tools/repro/cancel-uaf")
}

fn out_dir() -> PathBuf {
    paths::target_dir().join("repro")
}

fn gcc() -> Command {
    let mut cmd = Command::new("x86_64-w64-mingw32-gcc");
    cmd.args(["-O2", "-Wall", "-Wextra", "-Werror"]);
    cmd
}

/// Builds the driver (native subsystem, entry `DriverEntry`, imports from ntoskrnl only) and
/// the app with mingw-w64; returns their paths.
fn build() -> Result<(PathBuf, PathBuf)> {
    let out = out_dir();
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let sys = out.join("cancelrepro.sys");
    let exe = out.join("cancelrepro.exe");
    steps::run(
        gcc()
            .args([
                "-I/usr/x86_64-w64-mingw32/include/ddk",
                "-shared",
                "-nostdlib",
            ])
            .args([
                "-nostartfiles",
                "-Wl,--subsystem,native",
                "-Wl,--entry,DriverEntry",
            ])
            .arg("-o")
            .arg(&sys)
            .arg(source_dir().join("driver.c"))
            .arg("-lntoskrnl"),
    )?;
    steps::run(gcc().arg("-o").arg(&exe).arg(source_dir().join("app.c")))?;
    Ok((sys, exe))
}

/// What the app's last line reported.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    rounds: u32,
    hits: u32,
    misses: u32,
    dead: u32,
}

/// Parses `rounds N: hit H, miss M, dead D`.
fn parse_summary(text: &str) -> Option<Summary> {
    let line = text.lines().rev().find(|l| l.starts_with("rounds "))?;
    let numbers: Vec<u32> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    match numbers.as_slice() {
        [rounds, hits, misses, dead] => Some(Summary {
            rounds: *rounds,
            hits: *hits,
            misses: *misses,
            dead: *dead,
        }),
        _ => None,
    }
}

/// Builds, lints, installs and runs the repro; fails unless Wine's late cancel showed.
pub fn run(wine: &Wine) -> Result<()> {
    steps::heading("Wine's late cancel, on a minimal C driver (tools/repro/cancel-uaf)");
    let (sys, exe) = build()?;
    pe_lint::run_without_km(&sys)?;
    kernel_service::install_and_start(wine, SERVICE, &sys)?;
    let mut app = wine.run_command(&exe);
    app.arg(ROUNDS);
    let output = steps::captured(&mut app, "lining requests up")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    kernel_service::remove(wine, SERVICE);
    for line in text.lines() {
        steps::note(line);
    }
    let summary = parse_summary(&text).context("the repro app printed no summary")?;
    if summary.hits + summary.dead == 0 {
        bail!(
            "Wine no longer shows the late cancel ({summary:?}): km's wine_fence workaround may be \
             unnecessary on this Wine"
        );
    }
    steps::note(&format!(
        "shown in {} of {} rounds: a cancel queued before completion ran IoCancelIrp on freed memory",
        summary.hits + summary.dead,
        summary.rounds
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_line_is_parsed() {
        let text = "round 0: hit (X's stale cancel cancelled Y)\nrounds 5: hit 4, miss 1, dead 0\n";
        assert_eq!(
            parse_summary(text),
            Some(Summary {
                rounds: 5,
                hits: 4,
                misses: 1,
                dead: 0
            })
        );
        assert_eq!(parse_summary("round 0: miss\n"), None);
        assert_eq!(parse_summary("rounds 5: hit 4\n"), None);
    }
}
