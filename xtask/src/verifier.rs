//! The verifier build of `evshare.sys` (`evshare_km::verifier`) in the suite: built with the
//! driver's `verifier` feature into its own target directory (the shipped image is not
//! touched), installed in place of the shipped driver, run under the whole e2e suite, and
//! judged by the summary its `DriverUnload` logs: any violation fails the suite.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::building::{cargo, DRIVER_PROFILE};
use crate::paths::{self, DRIVER_TARGET};
use crate::steps;
use crate::wine;

/// Where the verifier image goes.
pub fn image() -> PathBuf {
    paths::dist_dir().join("verifier").join("evshare.sys")
}

/// Builds the verifier image (features `verifier`) into `target/verifier-build/`.
pub fn build() -> Result<PathBuf> {
    let target_dir = paths::target_dir().join("verifier-build");
    steps::run(cargo().args([
        "build",
        "-p",
        "evshare-driver",
        "--features",
        "verifier",
        "--target",
        DRIVER_TARGET,
        "--profile",
        DRIVER_PROFILE,
        "--target-dir",
        &target_dir.to_string_lossy(),
    ]))?;
    let built = target_dir
        .join(DRIVER_TARGET)
        .join(DRIVER_PROFILE)
        .join("evshare.dll");
    let image = image();
    if let Some(parent) = image.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::copy(&built, &image)
        .with_context(|| format!("copying {} to {}", built.display(), image.display()))?;
    Ok(image)
}

/// What the verifier's unload summary says.
#[derive(Debug, PartialEq, Eq)]
pub struct Summary {
    /// Violations of every check.
    pub violations: u64,
    /// The summary line itself.
    pub line: String,
    /// Each violation's own line, in order.
    pub violation_lines: Vec<String>,
}

/// The last verifier unload summary in `log` (the Wine session log), with the violation lines
/// logged since the verifier build was loaded (after the last `loaded on` line before it).
pub fn summary(log: &str) -> Option<Summary> {
    let lines: Vec<&str> = log.lines().collect();
    let at = lines
        .iter()
        .rposition(|line| line.contains("VERIFIER: unload summary:"))?;
    let line = lines.get(at)?;
    let count = line
        .split("VERIFIER: unload summary:")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let start = lines
        .get(..at)?
        .iter()
        .rposition(|line| line.contains("evshare: loaded on"))
        .unwrap_or(0);
    let violation_lines = lines
        .get(start..at)?
        .iter()
        .filter(|line| line.contains("VERIFIER:") && line.contains("violation:"))
        .map(|line| line.trim().to_owned())
        .collect();
    Some(Summary {
        violations: count,
        line: line.trim().to_owned(),
        violation_lines,
    })
}

/// Fails unless the verifier build unloaded with zero violations (read from the session log
/// after the driver was stopped).
pub fn require_clean_unload() -> Result<()> {
    let path = wine::session_log();
    let log = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let Some(summary) = summary(&String::from_utf8_lossy(&log)) else {
        bail!(
            "no verifier unload summary in {}: the verifier build did not unload cleanly",
            path.display()
        );
    };
    steps::note(&summary.line);
    if summary.violations > 0 || !summary.violation_lines.is_empty() {
        for line in &summary.violation_lines {
            steps::warn(line);
        }
        bail!(
            "the verifier build found {} violation(s) under the e2e suite",
            summary.violations
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLEAN: &str = "\
0128:warn:debugstr:x evshare: loaded on Wine
0128:warn:debugstr:x evshare: VERIFIER: unload summary: 0 violations (0 irql, ...); 812 calls checked
";

    const DIRTY: &str = "\
0128:warn:debugstr:x evshare: VERIFIER: irql violation: old run
0128:warn:debugstr:x evshare: loaded on Wine
0130:warn:debugstr:x evshare: VERIFIER: irql violation: ZwSetEvent needs PASSIVE_LEVEL but runs at Dispatch
0128:warn:debugstr:x evshare: VERIFIER: unload summary: 1 violations (1 irql, ...); 9 calls checked
";

    #[test]
    fn a_clean_summary_reads_zero() {
        let summary = summary(CLEAN).expect("a summary");
        assert_eq!(summary.violations, 0);
        assert!(summary.violation_lines.is_empty());
    }

    #[test]
    fn violations_since_the_last_load_are_collected() {
        let summary = summary(DIRTY).expect("a summary");
        assert_eq!(summary.violations, 1);
        assert_eq!(summary.violation_lines.len(), 1);
        assert!(summary.violation_lines[0].contains("ZwSetEvent"));
    }

    #[test]
    fn no_summary_is_none() {
        assert_eq!(summary("evshare: loaded on Wine\n"), None);
    }
}
