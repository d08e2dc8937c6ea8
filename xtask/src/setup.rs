//! `cargo xtask setup`: installs what the build and the Wine tests need, idempotently.
//!
//! Two halves: [`toolchain`] (Wine and mingw-w64 from Debian, the Rust targets and components)
//! and [`prefix`] (the Wine prefix with the ProcessPrng shim in its `system32`).

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::building;
use crate::paths::{self, DRIVER_TARGET, MINGW_GCC, USER_TARGET};
use crate::steps;
use crate::wine::find_on_path;
use crate::wine::{self, Wine};

/// Rust components the harness uses (`cargo fmt`, `cargo clippy`).
const COMPONENTS: [&str; 2] = ["rustfmt", "clippy"];

/// What setup did and what it found already done, for its closing summary.
#[derive(Debug, Default)]
pub struct Log {
    done: Vec<String>,
    skipped: Vec<String>,
}

impl Log {
    fn did(&mut self, what: impl Into<String>) {
        let what = what.into();
        steps::note(&what);
        self.done.push(what);
    }

    fn skipped(&mut self, what: impl Into<String>) {
        let what = what.into();
        steps::note(&format!("{what}: already there, skipped"));
        self.skipped.push(what);
    }

    /// Prints what was done and what was skipped.
    pub fn print_summary(&self) {
        steps::heading("setup summary");
        if self.done.is_empty() {
            steps::note("did: nothing (all was in place)");
        }
        for what in &self.done {
            steps::note(&format!("did: {what}"));
        }
        for what in &self.skipped {
            steps::note(&format!("skipped (already in place): {what}"));
        }
    }
}

/// The whole setup: toolchain, then prefix.
pub fn all() -> Result<()> {
    let mut log = Log::default();
    toolchain(&mut log)?;
    prefix(&mut log)?;
    log.print_summary();
    Ok(())
}

/// Wine and mingw-w64 (apt-get, as root on Debian), then the Rust targets and components.
pub fn toolchain(log: &mut Log) -> Result<()> {
    steps::heading("host packages (wine64, mingw-w64)");
    host_packages(log)?;
    steps::heading("Rust targets and components");
    rust_targets(log)?;
    Ok(())
}

/// The Wine prefix, created if missing, and the ProcessPrng shim in its `system32`.
pub fn prefix(log: &mut Log) -> Result<()> {
    let wine = Wine::locate()?;
    steps::heading(&format!("Wine prefix {}", wine.prefix.display()));
    if wine.prefix_exists() {
        log.skipped(format!("Wine prefix {}", wine.prefix.display()));
    } else {
        create_prefix(&wine)?;
        log.did(format!("created the Wine prefix {}", wine.prefix.display()));
    }

    steps::heading("ProcessPrng shim (bcryptprimitives.dll)");
    building::shim()?;
    let installed = wine.system32().join("bcryptprimitives.dll");
    let built = std::fs::read(paths::dist_shim()).context("reading the shim just built")?;
    if std::fs::read(&installed).ok().as_deref() == Some(built.as_slice()) {
        log.skipped(format!("shim in {}", installed.display()));
    } else {
        std::fs::write(&installed, &built)
            .with_context(|| format!("copying the shim to {}", installed.display()))?;
        log.did(format!("installed the shim as {}", installed.display()));
    }
    Ok(())
}

fn host_packages(log: &mut Log) -> Result<()> {
    let have_wine = wine::find_wine64().is_some();
    let have_gcc = find_on_path(MINGW_GCC).is_some();
    if have_wine && have_gcc {
        log.skipped("wine64 and mingw-w64");
        return Ok(());
    }
    let mut missing = Vec::new();
    if !have_wine {
        missing.push("wine64");
    }
    if !have_gcc {
        missing.push("mingw-w64");
    }
    let missing_list = missing.join(" ");
    if !Path::new("/etc/debian_version").exists() {
        bail!("missing {missing_list}: install Wine 8 (64-bit) and the mingw-w64 cross compiler with your package manager");
    }
    apt_install(&missing)?;
    if wine::find_wine64().is_none() || find_on_path(MINGW_GCC).is_none() {
        bail!("apt-get installed {missing_list}, yet wine64 or {MINGW_GCC} is still missing");
    }
    log.did(format!("installed {missing_list} with apt-get"));
    Ok(())
}

/// Installs Debian packages with apt-get (update first), as root; otherwise says what to run.
pub fn apt_install(packages: &[&str]) -> Result<()> {
    let list = packages.join(" ");
    if !Path::new("/etc/debian_version").exists() {
        bail!("missing {list}: install it with your package manager");
    }
    if !is_root() {
        bail!("missing {list}: run `sudo apt-get install -y {list}` (or run this as root)");
    }
    let mut update = Command::new("apt-get");
    update
        .env("DEBIAN_FRONTEND", "noninteractive")
        .arg("update");
    steps::run(&mut update)?;
    let mut install = Command::new("apt-get");
    install
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y"])
        .args(packages);
    steps::run(&mut install)
}

fn rust_targets(log: &mut Log) -> Result<()> {
    let Some(rustup) = find_on_path("rustup") else {
        steps::warn("rustup not found: cannot check the Rust targets; the build will fail if they are missing");
        return Ok(());
    };
    // Run in the repository so rust-toolchain.toml picks the toolchain.
    let root = paths::repo_root();
    let installed = rustup_list(&rustup, &root, &["target", "list", "--installed"])?;
    let missing: Vec<&str> = [DRIVER_TARGET, USER_TARGET]
        .into_iter()
        .filter(|target| !installed.iter().any(|line| line == target))
        .collect();
    if missing.is_empty() {
        log.skipped(format!("Rust targets {DRIVER_TARGET} {USER_TARGET}"));
    } else {
        let mut cmd = Command::new(&rustup);
        cmd.current_dir(&root)
            .args(["target", "add"])
            .args(&missing);
        steps::run(&mut cmd)?;
        log.did(format!("added Rust targets {}", missing.join(" ")));
    }

    let installed = rustup_list(&rustup, &root, &["component", "list", "--installed"])?;
    let missing: Vec<&str> = COMPONENTS
        .into_iter()
        .filter(|component| {
            !installed
                .iter()
                .any(|line| line.split('-').next() == Some(component))
        })
        .collect();
    if missing.is_empty() {
        log.skipped(format!("Rust components {}", COMPONENTS.join(" ")));
    } else {
        let mut cmd = Command::new(&rustup);
        cmd.current_dir(&root)
            .args(["component", "add"])
            .args(&missing);
        steps::run(&mut cmd)?;
        log.did(format!("added Rust components {}", missing.join(" ")));
    }
    Ok(())
}

fn rustup_list(rustup: &Path, root: &Path, args: &[&str]) -> Result<Vec<String>> {
    let mut cmd = Command::new(rustup);
    cmd.current_dir(root).args(args);
    let out = steps::run_captured(&mut cmd, "asking rustup")?;
    Ok(out.lines().map(|line| line.trim().to_string()).collect())
}

fn create_prefix(wine: &Wine) -> Result<()> {
    if let Some(parent) = wine.prefix.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let mut cmd = wine.wine64_command();
    // No Mono/Gecko installers: the harness needs neither.
    cmd.env("WINEDLLOVERRIDES", "mscoree,mshtml=")
        .args(["wineboot", "--init"]);
    // wineboot prints harmless noise (rundll32 c0000135, systray, nodrv_CreateWindow) without a
    // display: keep it behind the spinner unless it fails.
    steps::run_captured(&mut cmd, "wineboot --init (about 10 s)")?;
    // The registry files are written when the server exits.
    wine.wait_for_server(std::time::Duration::from_secs(120))?;
    if !wine.prefix_exists() {
        bail!(
            "wineboot --init finished but {} has no system.reg",
            wine.prefix.display()
        );
    }
    Ok(())
}

/// True when running as root (the owner of `/proc/self` is the effective user).
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|meta| meta.uid() == 0)
        .unwrap_or(false)
}
