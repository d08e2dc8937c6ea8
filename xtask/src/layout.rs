//! `cargo xtask layout`: the kernel structure layouts the Rust side relies on, checked against
//! the mingw-w64 DDK headers.
//!
//! Each check pairs a C expression (`offsetof(IRP, IoStatus)`, `sizeof(KEVENT)`) with the value
//! the Rust side computed (`core::mem::offset_of!`, `size_of`). The harness writes
//! `target/layout/check_layout.c` with one `_Static_assert` per check and compiles it with
//! `x86_64-w64-mingw32-gcc -fsyntax-only`; for the checks that fail it compiles a second file
//! that makes gcc print the C value, so the report says both sides.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::paths::{self, MINGW_GCC};
use crate::steps;

/// Where mingw-w64 (Debian's `mingw-w64-x86-64-dev`) keeps `ntifs.h`, `wdm.h`, …
const DDK_INCLUDE: &str = "/usr/x86_64-w64-mingw32/include/ddk";

/// One layout fact: the C expression, the value Rust computed, and what it is about.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    /// A C expression over the DDK types, e.g. `offsetof(IRP, IoStatus)`.
    pub c_expr: &'a str,
    /// What the Rust side computed for it.
    pub value: usize,
    /// What the check is about, for messages.
    pub what: &'a str,
}

/// A check the C compiler disagreed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The C expression.
    pub c_expr: String,
    /// What it is about.
    pub what: String,
    /// What Rust computed.
    pub rust: usize,
    /// What the C headers give, when gcc could tell.
    pub c: Option<usize>,
}

/// The `layout` subcommand.
pub fn run() -> Result<()> {
    steps::heading("check kernel struct layouts against the mingw-w64 DDK headers");
    let checks = checks();
    let dir = paths::target_dir().join("layout");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mismatches = check_all(&checks, &dir)?;
    if mismatches.is_empty() {
        steps::note(&format!(
            "{} of {} layout checks passed",
            checks.len(),
            checks.len()
        ));
        return Ok(());
    }
    for mismatch in &mismatches {
        let c = mismatch
            .c
            .map_or_else(|| "something else".to_string(), |value| value.to_string());
        eprintln!(
            "    mismatch: {}: `{}` is {c} in the DDK headers, Rust says {}",
            mismatch.what, mismatch.c_expr, mismatch.rust
        );
    }
    bail!(
        "{} of {} layout checks failed",
        mismatches.len(),
        checks.len()
    );
}

/// The table `evshare-km` keeps beside its declarations (`evshare_km::layout::CHECKS`).
fn checks() -> Vec<Check<'static>> {
    evshare_km::layout::CHECKS
        .iter()
        .map(|check| Check {
            c_expr: check.c_expr,
            value: check.value,
            what: check.what,
        })
        .collect()
}

/// Checks every entry with gcc, writing the C files into `dir`; returns the mismatches.
pub fn check_all(checks: &[Check<'_>], dir: &Path) -> Result<Vec<Mismatch>> {
    let source = dir.join("check_layout.c");
    let (text, first_line) = assertions_source(checks);
    std::fs::write(&source, text).with_context(|| format!("writing {}", source.display()))?;
    let output = compile(&source)?;
    if output.status.success() {
        return Ok(Vec::new());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let failed: Vec<usize> = error_lines(&stderr, "check_layout.c", "static assertion failed")
        .into_iter()
        .filter_map(|line| line.checked_sub(first_line))
        .filter(|index| *index < checks.len())
        .collect();
    if failed.is_empty() {
        steps::print_output(&output);
        bail!(
            "gcc could not compile {} (an expression the DDK headers cannot evaluate?)",
            source.display()
        );
    }
    let failed: Vec<&Check<'_>> = failed.iter().map(|&index| &checks[index]).collect();
    let c_values = c_values(&failed, dir)?;
    Ok(failed
        .iter()
        .zip(c_values)
        .map(|(check, c)| Mismatch {
            c_expr: check.c_expr.to_string(),
            what: check.what.to_string(),
            rust: check.value,
            c,
        })
        .collect())
}

/// The file of `_Static_assert`s, one a line, and the line number of the first one.
pub fn assertions_source(checks: &[Check<'_>]) -> (String, usize) {
    let mut text = header();
    let first_line = text.lines().count() + 1;
    for check in checks {
        let _ = writeln!(
            text,
            "_Static_assert(({}) == {}u, \"{}: Rust says {}\");",
            check.c_expr,
            check.value,
            c_string(check.what),
            check.value
        );
    }
    (text, first_line)
}

/// For each check, the value gcc gives its C expression (`None` if it could not tell): each
/// expression becomes an array bound that gcc names in a warning.
fn c_values(checks: &[&Check<'_>], dir: &Path) -> Result<Vec<Option<usize>>> {
    let source = dir.join("probe_layout.c");
    let mut text = header();
    let first_line = text.lines().count() + 1;
    for (index, check) in checks.iter().enumerate() {
        let _ = writeln!(text, "char (*probe_{index})[{}] = 1;", check.c_expr);
    }
    std::fs::write(&source, text).with_context(|| format!("writing {}", source.display()))?;
    let output = compile(&source)?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut values = vec![None; checks.len()];
    for line in stderr.lines() {
        let Some(number) = line_number(line, "probe_layout.c") else {
            continue;
        };
        let value = line
            .split_once("char (*)[")
            .and_then(|(_, rest)| rest.split_once(']'))
            .and_then(|(value, _)| value.parse().ok());
        if let (Some(slot), Some(value)) = (
            number
                .checked_sub(first_line)
                .and_then(|index| values.get_mut(index)),
            value,
        ) {
            *slot = Some(value);
        }
    }
    Ok(values)
}

fn header() -> String {
    "/* Generated by `cargo xtask layout`: do not edit. */\n\
     #include <ntifs.h>\n\
     #include <stddef.h>\n\n"
        .to_string()
}

fn compile(source: &Path) -> Result<std::process::Output> {
    let mut cmd = Command::new(MINGW_GCC);
    cmd.args(["-fsyntax-only", "-I", DDK_INCLUDE]).arg(source);
    steps::captured(&mut cmd, "compiling with the DDK headers")
}

/// The line numbers of gcc diagnostics in `file` that contain `message`.
fn error_lines(stderr: &str, file: &str, message: &str) -> Vec<usize> {
    stderr
        .lines()
        .filter(|line| line.contains(message))
        .filter_map(|line| line_number(line, file))
        .collect()
}

/// The line number of a gcc diagnostic `…/file:LINE:COL: …` about `file`.
fn line_number(line: &str, file: &str) -> Option<usize> {
    let (_, rest) = line.split_once(&format!("{file}:"))?;
    rest.split(':').next()?.parse().ok()
}

fn c_string(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_check_becomes_one_static_assert_on_a_known_line() {
        let checks = [
            Check {
                c_expr: "sizeof(KEVENT)",
                value: 24,
                what: "KEVENT \"size\"",
            },
            Check {
                c_expr: "offsetof(IRP, IoStatus)",
                value: 48,
                what: "IRP.IoStatus",
            },
        ];
        let (text, first_line) = assertions_source(&checks);
        let lines: Vec<&str> = text.lines().collect();
        assert!(text.contains("#include <ntifs.h>"));
        assert_eq!(
            lines[first_line - 1],
            r#"_Static_assert((sizeof(KEVENT)) == 24u, "KEVENT \"size\": Rust says 24");"#
        );
        assert_eq!(
            lines[first_line],
            r#"_Static_assert((offsetof(IRP, IoStatus)) == 48u, "IRP.IoStatus: Rust says 48");"#
        );
    }

    /// Runs the real compiler: needs mingw-w64, which `cargo xtask setup` installs.
    #[test]
    fn mismatches_are_reported_with_the_c_value_and_matches_are_not() {
        let dir = std::env::temp_dir().join(format!("xtask-layout-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let checks = [
            Check {
                c_expr: "sizeof(KEVENT)",
                value: 24,
                what: "KEVENT size",
            },
            Check {
                c_expr: "offsetof(IRP, IoStatus)",
                value: 40,
                what: "IRP.IoStatus",
            },
            Check {
                c_expr: "offsetof(IO_STACK_LOCATION, Parameters.DeviceIoControl.IoControlCode)",
                value: 16,
                what: "IoControlCode as windows-sys has it",
            },
        ];
        let mismatches = check_all(&checks, &dir)
            .expect("x86_64-w64-mingw32-gcc and the DDK headers (run `cargo xtask setup`)");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            mismatches,
            [
                Mismatch {
                    c_expr: "offsetof(IRP, IoStatus)".into(),
                    what: "IRP.IoStatus".into(),
                    rust: 40,
                    c: Some(48),
                },
                Mismatch {
                    c_expr: "offsetof(IO_STACK_LOCATION, Parameters.DeviceIoControl.IoControlCode)"
                        .into(),
                    what: "IoControlCode as windows-sys has it".into(),
                    rust: 16,
                    c: Some(24),
                },
            ]
        );
    }

    #[test]
    fn an_expression_the_headers_cannot_evaluate_is_an_error() {
        let dir = std::env::temp_dir().join(format!("xtask-layout-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let checks = [Check {
            c_expr: "offsetof(IRP, NoSuchField)",
            value: 0,
            what: "a field the DDK does not have",
        }];
        let result = check_all(&checks, &dir);
        std::fs::remove_dir_all(&dir).unwrap();
        let error = result.expect_err("gcc rejects an unknown field");
        assert!(error.to_string().contains("could not compile"), "{error:#}");
    }

    #[test]
    fn gcc_diagnostics_are_mapped_to_lines() {
        let stderr = "\
/work/target/layout/check_layout.c:7:1: error: static assertion failed: \"x\"\n\
/work/target/layout/check_layout.c:9:1: error: static assertion failed: \"y\"\n\
/usr/include/ddk/ntifs.h:12:1: note: something\n";
        assert_eq!(
            error_lines(stderr, "check_layout.c", "static assertion failed"),
            [7, 9]
        );
    }
}
