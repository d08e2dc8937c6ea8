//! `cargo xtask bench`: builds the driver and `evshare-bench.exe` (release), installs and starts
//! the driver in the Wine prefix, runs the benchmarks under Wine, then stops the driver and the
//! wineserver and turns the results into `target/bench/results.json`, `target/bench/latency.svg`,
//! `target/bench/summary.md` and a table on the terminal.
//!
//! Fails only if a run errors or loses data (the bench program's exit status, and the results'
//! own record of it); a target not met is reported, not a failure. No timing is asserted
//! anywhere.

mod plot;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use anyhow::{bail, Context, Result};
use evshare_bench::report::{self, Host, Results};

use crate::building::{self, cargo, Profile};
use crate::driver_service::DriverService;
use crate::paths::{self, USER_TARGET};
use crate::wine::{self, Wine};
use crate::{pe_lint, setup, steps};

/// What to run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// A short run (about 30 s of measuring instead of about a minute and a half).
    pub quick: bool,
    /// Measure nothing: redraw the plot, the summary and the table from the last
    /// `results.json`.
    pub report_only: bool,
}

/// `target/bench/`: everything a run leaves.
pub fn out_dir() -> PathBuf {
    paths::target_dir().join("bench")
}

/// The bench program the harness runs under Wine.
fn dist_bench() -> PathBuf {
    paths::dist_dir().join("evshare-bench.exe")
}

/// Set up, build, install, measure, stop, report.
pub fn run(options: Options) -> Result<()> {
    if options.report_only {
        return report_again();
    }
    setup::all()?;
    steps::heading("build the driver (evshare.sys)");
    building::driver()?;
    steps::heading("build the user-mode side, release (evshare.exe, evshare-bench.exe)");
    building::user_side(Profile::Release)?;
    build_bench()?;
    steps::heading("build the ProcessPrng shim (bcryptprimitives.dll)");
    building::shim()?;
    pe_lint::run(&paths::dist_driver())?;

    let out = out_dir();
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let raw = out.join("raw.json");
    if raw.exists() {
        std::fs::remove_file(&raw).with_context(|| format!("removing {}", raw.display()))?;
    }

    let load_before = load_average();
    let wine = Wine::locate()?;
    steps::heading("start persistent wineserver");
    let server = wine.start_persistent_server()?;
    steps::heading("install + start driver");
    let service = DriverService::new(wine.clone())?;
    let measured = service.install_and_start().and_then(|()| {
        steps::heading("evshare-bench (under Wine)");
        let mut cmd = wine.run_command(dist_bench());
        cmd.arg("--json")
            .arg(wine::windows_path(&raw))
            .arg("--no-table");
        if options.quick {
            cmd.arg("--quick");
        }
        steps::status(&mut cmd)
    });
    steps::heading("stop driver");
    let stopped = service.stop();
    steps::heading("stop wineserver");
    let server_stopped = server.stop();

    let status = measured?;
    let mut results = read_results(&raw, status)?;
    let mut machine = host(&wine);
    machine.load_average = format!("{load_before} before, {} after", load_average());
    results.host = Some(machine);
    steps::heading("results");
    let files = write_outputs(&results)?;
    eprintln!("\n{}", report::table(&results));
    for file in files {
        steps::note(&format!("-> {}", file.display()));
    }
    stopped?;
    server_stopped?;
    if !status.success() || results.failed() {
        bail!(
            "the benchmarks lost data or failed ({status}): {}",
            if results.failures.is_empty() {
                "see the table".to_owned()
            } else {
                results.failures.join("; ")
            }
        );
    }
    Ok(())
}

/// Redraws everything from the last `results.json`.
fn report_again() -> Result<()> {
    let json = out_dir().join("results.json");
    let text = std::fs::read_to_string(&json)
        .with_context(|| format!("reading {} (run `cargo xtask bench` first)", json.display()))?;
    let results: Results = serde_json::from_str(&text)
        .with_context(|| format!("reading the results in {}", json.display()))?;
    steps::heading("results (from the last run)");
    let files = write_outputs(&results)?;
    eprintln!("\n{}", report::table(&results));
    for file in files {
        steps::note(&format!("-> {}", file.display()));
    }
    Ok(())
}

/// `cargo build --release -p evshare-bench` for Windows, copied to `target/evshare/`.
fn build_bench() -> Result<()> {
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--release",
        "--target",
        USER_TARGET,
        "-p",
        "evshare-bench",
    ]);
    steps::run(&mut cmd)?;
    let built = paths::target_dir()
        .join(USER_TARGET)
        .join("release")
        .join("evshare-bench.exe");
    if !built.is_file() {
        bail!("the build succeeded but {} does not exist", built.display());
    }
    let to = dist_bench();
    std::fs::copy(&built, &to)
        .with_context(|| format!("copying {} to {}", built.display(), to.display()))?;
    steps::note(&format!("-> {}", to.display()));
    Ok(())
}

/// The bench program's JSON; without it, the reason is its exit status.
fn read_results(raw: &Path, status: ExitStatus) -> Result<Results> {
    let text = match std::fs::read_to_string(raw) {
        Ok(text) => text,
        Err(err) => bail!(
            "evshare-bench ended ({status}) without writing {}: {err}",
            raw.display()
        ),
    };
    let results: Results = serde_json::from_str(&text)
        .with_context(|| format!("reading the results in {}", raw.display()))?;
    if results.schema != report::SCHEMA_VERSION {
        bail!(
            "{} has schema {}, this xtask reads {}",
            raw.display(),
            results.schema,
            report::SCHEMA_VERSION
        );
    }
    Ok(results)
}

/// Writes `results.json`, `latency.svg` and `summary.md`; returns their paths.
fn write_outputs(results: &Results) -> Result<Vec<PathBuf>> {
    let out = out_dir();
    let json = out.join("results.json");
    let text = serde_json::to_string_pretty(results).context("encoding the results")?;
    std::fs::write(&json, text + "\n").with_context(|| format!("writing {}", json.display()))?;
    let svg = out.join("latency.svg");
    plot::render(results, &svg).with_context(|| format!("drawing {}", svg.display()))?;
    let summary = out.join("summary.md");
    std::fs::write(&summary, report::markdown(results))
        .with_context(|| format!("writing {}", summary.display()))?;
    Ok(vec![json, svg, summary])
}

/// What the Linux side knows about the machine.
fn host(wine: &Wine) -> Host {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu_model = cpuinfo
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == "model name").then(|| value.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let os = std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("PRETTY_NAME="))
        .map(|name| name.trim_matches('"').to_owned())
        .unwrap_or_else(|| "unknown OS".to_owned());
    let nproc = std::thread::available_parallelism()
        .map_or(0, |n| u32::try_from(n.get()).unwrap_or(u32::MAX));
    Host {
        cpu_model,
        nproc,
        kernel: output_of(Command::new("uname").arg("-sr")),
        os,
        wine: output_of(wine.wine64_command().arg("--version")),
        date: output_of(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])),
        load_average: String::new(),
    }
}

/// The 1-minute load average (`/proc/loadavg`), or `unknown`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A command's first line of output, or `unknown`.
fn output_of(cmd: &mut Command) -> String {
    cmd.output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| {
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .next()
                .map(|line| line.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}
