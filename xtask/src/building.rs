//! `cargo xtask build`: the driver image, the user-mode side and the ProcessPrng shim, gathered
//! in `target/evshare/`.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::paths::{self, DRIVER_TARGET, MINGW_GCC, USER_TARGET};
use crate::steps;

/// The cargo profile the driver is built with (see the root `Cargo.toml`).
pub const DRIVER_PROFILE: &str = "driver";

/// Which cargo profile the user-mode side is built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// `dev` (cargo's `target/<triple>/debug`).
    Debug,
    /// `release`.
    Release,
}

impl Profile {
    fn dir(self) -> &'static str {
        match self {
            Profile::Debug => "debug",
            Profile::Release => "release",
        }
    }
}

/// `cargo` as the environment names it (cargo sets `$CARGO` for the programs it runs), run in
/// the repository root.
pub fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    cmd.current_dir(paths::repo_root());
    cmd
}

/// Builds everything into `target/evshare/`.
pub fn all(profile: Profile) -> Result<()> {
    steps::heading("build the driver (evshare.sys)");
    driver()?;
    steps::heading("build the user-mode side (evshare.exe, evshare library)");
    user_side(profile)?;
    steps::heading("build the ProcessPrng shim (bcryptprimitives.dll)");
    shim()?;
    Ok(())
}

/// Builds the driver with the `driver` profile and copies the image to `target/evshare/evshare.sys`.
pub fn driver() -> Result<()> {
    let mut cmd = cargo();
    cmd.args([
        "build",
        "-p",
        "evshare-driver",
        "--target",
        DRIVER_TARGET,
        "--profile",
        DRIVER_PROFILE,
    ]);
    steps::run(&mut cmd)?;
    // The cdylib `evshare` comes out as a .dll: it is the driver image.
    let built = paths::target_dir()
        .join(DRIVER_TARGET)
        .join(DRIVER_PROFILE)
        .join("evshare.dll");
    copy(&built, &paths::dist_driver())
}

/// Builds the CLI and the client library for Windows and copies `evshare.exe` to `target/evshare/`.
pub fn user_side(profile: Profile) -> Result<()> {
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--target",
        USER_TARGET,
        "-p",
        "evshare-cli",
        "-p",
        "evshare",
    ]);
    if profile == Profile::Release {
        cmd.arg("--release");
    }
    steps::run(&mut cmd)?;
    let built = paths::target_dir()
        .join(USER_TARGET)
        .join(profile.dir())
        .join("evshare.exe");
    copy(&built, &paths::dist_cli())
}

/// Compiles `xtask/shim/bcryptprimitives.c` into `target/evshare/bcryptprimitives.dll`.
pub fn shim() -> Result<()> {
    let out = paths::dist_shim();
    create_parent(&out)?;
    let mut cmd = Command::new(MINGW_GCC);
    cmd.args([
        "-shared",
        "-nostdlib",
        "-Wl,--entry,DllEntry",
        // Reproducible: the same source gives the same bytes, so setup can tell it is installed.
        "-Wl,--no-insert-timestamp",
        "-O2",
        "-s",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-o",
    ])
    .arg(&out)
    .arg(paths::shim_source())
    .arg("-ladvapi32");
    steps::run_captured(&mut cmd, "compiling the shim")?;
    steps::note(&format!("-> {}", out.display()));
    Ok(())
}

/// Copies a built file to where the harness keeps it, creating the directory. The copy is
/// written beside `to` and renamed over it, never written into it: a driver loaded from `to`
/// keeps its own file. (Rewriting a loaded image in place truncates it, and Linux then drops
/// even the pages the loader had written, the import table among them: the sample host's
/// next import call jumped to an unbound slot, 0xD29A, and `winedevice.exe` died at its stop.)
pub fn copy(from: &Path, to: &Path) -> Result<()> {
    if !from.is_file() {
        bail!("the build succeeded but {} does not exist", from.display());
    }
    create_parent(to)?;
    let mut partial = to.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    std::fs::copy(from, &partial)
        .with_context(|| format!("copying {} to {}", from.display(), partial.display()))?;
    std::fs::rename(&partial, to)
        .with_context(|| format!("renaming {} to {}", partial.display(), to.display()))?;
    steps::note(&format!("-> {}", to.display()));
    Ok(())
}

fn create_parent(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(())
}
