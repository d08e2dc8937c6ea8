//! The verifier build of `evshare.sys` (`evshare_km::verifier`) in the suite: the driver
//! variant `verifier` (`crate::variants`) runs the whole e2e suite, then the ignored tests of
//! `e2e_verifier.rs` (fault injection; each check provoked), and is judged by the summaries
//! its `DriverUnload` logs: any violation under the suite fails it, and so does a provoked
//! check that does not fire exactly once.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::steps;
use crate::wine::{self, Wine};

/// The ignored e2e test that injects faults (run before the clean-unload check).
pub const FAULT_TEST: &str =
    "fault_injection_fails_requests_with_a_defined_status_and_leaves_nothing";
/// The ignored e2e test that provokes each check (run on a fresh load, after it).
pub const PROVOKE_TEST: &str = "each_check_fires_when_provoked";

/// `cargo test` of one ignored test of `crates/client/tests/e2e_verifier.rs` under Wine.
pub fn ignored_e2e(wine: &Wine, test: &str) -> Command {
    crate::test_suite::e2e_command_for(
        wine,
        &["-p", "evshare", "--test", "e2e_verifier"],
        &[
            "--ignored",
            "--exact",
            test,
            "--test-threads=1",
            "--nocapture",
        ],
    )
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

/// Each check and how many times the provocation test makes it fire: once each.
const PROVOKED: [(&str, u64); 6] = [
    ("irql", 1),
    ("irp-completion", 1),
    ("lock-order", 1),
    ("irp-at-unload", 1),
    ("pool-at-unload", 1),
    ("references-at-unload", 1),
];

/// Fails unless the unload summary after the provocation test shows every check fired exactly
/// once (its per-check counts read from the summary line).
pub fn require_each_check_fired() -> Result<()> {
    let path = wine::session_log();
    let log = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let Some(summary) = summary(&String::from_utf8_lossy(&log)) else {
        bail!("no verifier unload summary after the provocation test");
    };
    steps::note(&summary.line);
    for line in &summary.violation_lines {
        steps::note(line);
    }
    for (check, expected) in PROVOKED {
        let fired = count_in_summary(&summary.line, check);
        if fired != Some(expected) {
            bail!(
                "provoked once, check {check} fired {} times (summary: {})",
                fired.map_or("an unknown number of".to_owned(), |n| n.to_string()),
                summary.line
            );
        }
    }
    let expected: u64 = PROVOKED.iter().map(|(_, n)| n).sum();
    if summary.violations != expected || summary.violation_lines.len() as u64 != expected {
        bail!(
            "{} violations ({} lines) after provoking each of {} checks once",
            summary.violations,
            summary.violation_lines.len(),
            PROVOKED.len()
        );
    }
    Ok(())
}

/// `N` from "N check" in the summary line ("... (1 irql, 0 irp-completion, ...").
fn count_in_summary(line: &str, check: &str) -> Option<u64> {
    let inside = line.split('(').nth(1)?.split(')').next()?;
    inside.split(',').find_map(|part| {
        let mut words = part.split_whitespace();
        let count = words.next()?.parse().ok()?;
        (words.next()? == check).then_some(count)
    })
}

/// Every verifier unload summary in `log` (one per load: the e2e suite stops and restarts
/// the driver), and every violation line.
pub fn all_summaries(log: &str) -> (Vec<Summary>, Vec<String>) {
    let mut summaries = Vec::new();
    let mut violations = Vec::new();
    for line in log.lines() {
        if line.contains("VERIFIER:") && line.contains("violation:") {
            violations.push(line.trim().to_owned());
        }
        if let Some(count) = line
            .split("VERIFIER: unload summary:")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|count| count.parse().ok())
        {
            summaries.push(Summary {
                violations: count,
                line: line.trim().to_owned(),
                violation_lines: Vec::new(),
            });
        }
    }
    (summaries, violations)
}

/// Fails unless every load of the verifier build in this Wine session so far unloaded with
/// zero violations (read from the session log after the driver was stopped).
pub fn require_clean_unload() -> Result<()> {
    let path = wine::session_log();
    let log = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let (summaries, violations) = all_summaries(&String::from_utf8_lossy(&log));
    if summaries.is_empty() {
        bail!(
            "no verifier unload summary in {}: the verifier build did not unload cleanly",
            path.display()
        );
    }
    for summary in &summaries {
        steps::note(&summary.line);
    }
    // Where fault injection failed kernel calls (logged by the load that injected them).
    for line in String::from_utf8_lossy(&log)
        .lines()
        .filter(|line| line.contains("faults injected into"))
    {
        steps::note(line.trim());
    }
    let total: u64 = summaries.iter().map(|summary| summary.violations).sum();
    if total > 0 || !violations.is_empty() {
        for line in &violations {
            steps::warn(line);
        }
        bail!(
            "the verifier build found {total} violation(s) over {} load(s) under the e2e suite",
            summaries.len()
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
    fn per_check_counts_are_read_from_the_summary() {
        let line = "evshare: VERIFIER: unload summary: 3 violations (1 irql, 0 irp-completion, \
                    2 lock-order, 0 irp-at-unload, 0 pool-at-unload, 0 references-at-unload); \
                    9 calls checked";
        assert_eq!(count_in_summary(line, "irql"), Some(1));
        assert_eq!(count_in_summary(line, "lock-order"), Some(2));
        assert_eq!(count_in_summary(line, "references-at-unload"), Some(0));
        assert_eq!(count_in_summary(line, "nonsense"), None);
    }

    #[test]
    fn every_load_counts() {
        let log = format!("{CLEAN}{DIRTY}");
        let (summaries, violations) = all_summaries(&log);
        assert_eq!(summaries.len(), 2);
        assert_eq!(summaries.iter().map(|s| s.violations).sum::<u64>(), 1);
        assert_eq!(violations.len(), 2, "the old run's line counts too");
    }

    #[test]
    fn no_summary_is_none() {
        assert_eq!(summary("evshare: loaded on Wine\n"), None);
    }
}
