//! Running steps and commands the same way everywhere: a `==> step` line, the command echoed
//! before it runs, a clear error naming the command when it fails, and timings for the summary.

use std::fmt::Write as _;
use std::fs::File;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::paths;

/// Prints the heading of a step.
pub fn heading(title: &str) {
    eprintln!("==> {title}");
}

/// Prints a detail under the current step.
pub fn note(text: &str) {
    eprintln!("    {text}");
}

/// Prints a warning under the current step.
pub fn warn(text: &str) {
    eprintln!("    warning: {text}");
}

/// A shell-like rendering of a command, for echoing and error messages.
pub fn display(cmd: &Command) -> String {
    let mut text = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            let _ = write!(
                text,
                "{}={} ",
                key.to_string_lossy(),
                value.to_string_lossy()
            );
        }
    }
    text.push_str(&quote(&cmd.get_program().to_string_lossy()));
    for arg in cmd.get_args() {
        text.push(' ');
        text.push_str(&quote(&arg.to_string_lossy()));
    }
    text
}

fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Runs `cmd` with its output going to the terminal; fails unless it exits with 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    let status = status(cmd)?;
    check(cmd, status)
}

/// Runs `cmd` with its output going to the terminal and returns its exit status, whatever it is.
pub fn status(cmd: &mut Command) -> Result<ExitStatus> {
    note(&format!("$ {}", display(cmd)));
    cmd.status()
        .with_context(|| format!("could not start `{}`", display(cmd)))
}

/// Runs `cmd` with its output captured behind a spinner labelled `label`; fails unless it exits
/// with 0, and then prints what it said. Returns its standard output.
pub fn run_captured(cmd: &mut Command, label: &str) -> Result<String> {
    let output = captured(cmd, label)?;
    if !output.status.success() {
        print_output(&output);
        check(cmd, output.status)?;
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Runs `cmd` with its output captured behind a spinner labelled `label`, whatever its status.
///
/// The output goes to files, not pipes, and the wait is for the process, not for the end of
/// its output: the first Windows program of a wineserver session starts `services.exe` and
/// `winedevice.exe`, which inherit its standard output and outlive it under a persistent
/// wineserver, so a pipe would never reach end-of-file.
pub fn captured(cmd: &mut Command, label: &str) -> Result<Output> {
    note(&format!("$ {}", display(cmd)));
    let spinner = spinner(label);
    let result = capture_via_files(cmd);
    spinner.finish_and_clear();
    result.with_context(|| format!("could not run `{}`", display(cmd)))
}

fn capture_via_files(cmd: &mut Command) -> Result<Output> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = paths::target_dir().join("xtask");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let base = format!(
        "capture-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let stdout_path = dir.join(format!("{base}.stdout"));
    let stderr_path = dir.join(format!("{base}.stderr"));
    let status = (|| -> Result<ExitStatus> {
        let stdout = File::create(&stdout_path)?;
        let stderr = File::create(&stderr_path)?;
        Ok(cmd
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .status()?)
    })();
    let stdout = std::fs::read(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read(&stderr_path).unwrap_or_default();
    let _ = std::fs::remove_file(&stdout_path);
    let _ = std::fs::remove_file(&stderr_path);
    Ok(Output {
        status: status?,
        stdout,
        stderr,
    })
}

/// Prints a captured command's output, indented.
pub fn print_output(output: &Output) {
    for stream in [&output.stdout, &output.stderr] {
        for line in String::from_utf8_lossy(stream).lines() {
            eprintln!("    | {line}");
        }
    }
}

/// A spinner for a long step; invisible when standard error is not a terminal (CI).
pub fn spinner(label: &str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("    {spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(label.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn check(cmd: &Command, status: ExitStatus) -> Result<()> {
    if status.success() {
        return Ok(());
    }
    match status.code() {
        Some(code) => bail!("`{}` failed with exit code {code}", display(cmd)),
        None => bail!("`{}` was killed ({status})", display(cmd)),
    }
}

/// How one step of a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It ran and succeeded.
    Passed,
    /// It ran and failed.
    Failed,
    /// It did not run because an earlier step failed.
    NotRun,
    /// The options asked to leave it out.
    Skipped,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Passed => "ok",
            Outcome::Failed => "FAILED",
            Outcome::NotRun => "not run",
            Outcome::Skipped => "skipped",
        }
    }
}

/// One row of the summary table.
#[derive(Debug)]
struct Row {
    name: String,
    outcome: Outcome,
    duration: Duration,
    error: Option<String>,
}

/// A sequence of steps that stops at the first failure, and the table that sums it up.
#[derive(Debug, Default)]
pub struct Report {
    rows: Vec<Row>,
}

impl Report {
    /// True once a step has failed.
    pub fn failed(&self) -> bool {
        self.rows.iter().any(|row| row.outcome == Outcome::Failed)
    }

    /// Runs `step` under the heading `name`, unless an earlier step failed.
    pub fn run(&mut self, name: &str, step: impl FnOnce() -> Result<()>) {
        if self.failed() {
            self.record(name, Outcome::NotRun, Duration::ZERO, None);
            return;
        }
        self.run_always(name, step);
    }

    /// Runs `step` under the heading `name` even if an earlier step failed (clean-up).
    pub fn run_always(&mut self, name: &str, step: impl FnOnce() -> Result<()>) {
        heading(name);
        let start = Instant::now();
        let result = step();
        let duration = start.elapsed();
        match result {
            Ok(()) => self.record(name, Outcome::Passed, duration, None),
            Err(err) => {
                eprintln!("    error: {err:#}");
                self.record(name, Outcome::Failed, duration, Some(format!("{err:#}")));
            }
        }
    }

    /// Records a step the options left out.
    pub fn skip(&mut self, name: &str) {
        self.record(name, Outcome::Skipped, Duration::ZERO, None);
    }

    fn record(&mut self, name: &str, outcome: Outcome, duration: Duration, error: Option<String>) {
        self.rows.push(Row {
            name: name.to_string(),
            outcome,
            duration,
            error,
        });
    }

    /// The summary table, then a `steps: N passed, N failed` line.
    pub fn render(&self) -> String {
        let width = self
            .rows
            .iter()
            .map(|row| row.name.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let mut text = String::new();
        let _ = writeln!(text, "{:<width$}  {:<7}  {:>8}", "step", "result", "time");
        let _ = writeln!(text, "{:-<width$}  {:-<7}  {:->8}", "", "", "");
        for row in &self.rows {
            let time = match row.outcome {
                Outcome::Passed | Outcome::Failed => format!("{:.1}s", row.duration.as_secs_f64()),
                Outcome::NotRun | Outcome::Skipped => "-".to_string(),
            };
            let _ = writeln!(
                text,
                "{:<width$}  {:<7}  {:>8}",
                row.name,
                row.outcome.label(),
                time
            );
        }
        for row in &self.rows {
            if let Some(error) = &row.error {
                let _ = writeln!(text, "\n{} failed: {error}", row.name);
            }
        }
        let count = |outcome| {
            self.rows
                .iter()
                .filter(|row| row.outcome == outcome)
                .count()
        };
        let _ = write!(
            text,
            "\nsteps: {} passed, {} failed",
            count(Outcome::Passed),
            count(Outcome::Failed)
        );
        let left_out = count(Outcome::NotRun) + count(Outcome::Skipped);
        if left_out > 0 {
            let _ = write!(text, ", {left_out} skipped");
        }
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_stops_at_the_first_failure_but_still_runs_clean_up() {
        let mut report = Report::default();
        let mut ran = Vec::new();
        report.run("one", || {
            ran.push("one");
            Ok(())
        });
        report.run("two", || bail!("broken"));
        report.run("three", || {
            ran.push("three");
            Ok(())
        });
        report.run_always("clean up", || {
            ran.push("clean up");
            Ok(())
        });
        report.skip("soak");
        assert_eq!(ran, ["one", "clean up"]);
        assert!(report.failed());
        let table = report.render();
        assert!(table.contains("two failed: broken"), "{table}");
        assert!(table.contains("three"), "{table}");
        assert!(
            table.ends_with("steps: 2 passed, 1 failed, 2 skipped\n"),
            "{table}"
        );
    }

    #[test]
    fn display_quotes_what_a_shell_would_need_quoted() {
        let mut cmd = Command::new("sc");
        cmd.args(["create", "evshare", "binPath=", r"Z:\a b\evshare.sys"]);
        assert_eq!(
            display(&cmd),
            r"sc create evshare binPath= 'Z:\a b\evshare.sys'"
        );
    }
}
