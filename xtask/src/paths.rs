//! Where things live: the repository, cargo's target directory, and what the harness puts there.

use std::path::{Path, PathBuf};

/// The Rust target of the kernel driver.
pub const DRIVER_TARGET: &str = "x86_64-pc-windows-msvc";
/// The Rust target of the user-mode library, CLI and tests (run under Wine).
pub const USER_TARGET: &str = "x86_64-pc-windows-gnu";
/// The mingw-w64 C compiler that links the user side and builds the shim.
pub const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";

/// The repository root (the parent of `xtask/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the repository root")
        .to_path_buf()
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` when set, else `<repo>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => absolute(Path::new(&dir)),
        _ => repo_root().join("target"),
    }
}

/// `target/evshare/`: the files a user installs (`evshare.sys`, `evshare.exe`, the shim).
pub fn dist_dir() -> PathBuf {
    target_dir().join("evshare")
}

/// The driver image the harness installs and lints.
pub fn dist_driver() -> PathBuf {
    dist_dir().join("evshare.sys")
}

/// The CLI the harness runs under Wine.
pub fn dist_cli() -> PathBuf {
    dist_dir().join("evshare.exe")
}

/// The ProcessPrng shim DLL (see `xtask/shim/bcryptprimitives.c`).
pub fn dist_shim() -> PathBuf {
    dist_dir().join("bcryptprimitives.dll")
}

/// The C source of the ProcessPrng shim.
pub fn shim_source() -> PathBuf {
    repo_root().join("xtask/shim/bcryptprimitives.c")
}

/// `tools/wine-run`: the one launcher of Windows programs in the prepared prefix.
pub fn wine_run_script() -> PathBuf {
    repo_root().join("tools/wine-run")
}

/// `path` made absolute against the current directory (without resolving symlinks).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
