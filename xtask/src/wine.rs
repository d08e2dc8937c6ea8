//! Wine: finding it, the prefix, the persistent `wineserver` that keeps the driver alive, and
//! running Windows programs (always through `tools/wine-run`, the same launcher cargo uses).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::paths;
use crate::steps;

/// Where Debian's `wine64` package puts the 64-bit loader.
const WINE64: &str = "/usr/lib/wine/wine64";
/// Where Debian's Wine packages put the `wineserver` launcher.
const WINESERVER: &str = "/usr/lib/wine/wineserver";
/// `wineserver -p` exits with this when a server already runs for the prefix.
const WINESERVER_ALREADY_RUNNING: i32 = 2;

/// A located Wine installation and the prefix the harness uses.
#[derive(Debug, Clone)]
pub struct Wine {
    /// The 64-bit loader.
    pub wine64: PathBuf,
    /// The `wineserver` launcher.
    pub wineserver: PathBuf,
    /// The prefix: `$WINEPREFIX` when set, else `<repo>/target/wine/prefix`.
    pub prefix: PathBuf,
}

impl Wine {
    /// Finds Wine, or explains how to get it.
    pub fn locate() -> Result<Self> {
        let wine64 = find_wine64().context(
            "wine64 not found (looked at /usr/lib/wine/wine64 and PATH): run `cargo xtask setup`",
        )?;
        let wineserver = find_program(WINESERVER, "wineserver").context(
            "wineserver not found (looked at /usr/lib/wine/wineserver and PATH): run `cargo xtask setup`",
        )?;
        Ok(Wine {
            wine64,
            wineserver,
            prefix: prefix(),
        })
    }

    /// True when `wineboot --init` has completed for the prefix.
    pub fn prefix_exists(&self) -> bool {
        self.prefix.join("system.reg").is_file()
    }

    /// The prefix's `C:\windows\system32`.
    pub fn system32(&self) -> PathBuf {
        self.prefix.join("drive_c/windows/system32")
    }

    /// `wine64 ARGS…` with the harness's environment, bypassing `tools/wine-run` (which refuses
    /// an unprepared prefix). Only for preparing the prefix.
    pub fn wine64_command(&self) -> Command {
        let mut cmd = Command::new(&self.wine64);
        self.apply_env(&mut cmd);
        cmd
    }

    /// `tools/wine-run PROGRAM`: runs a Windows program in the prepared prefix.
    pub fn run_command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(paths::wine_run_script());
        self.apply_env(&mut cmd);
        cmd.arg(program);
        cmd
    }

    /// `wineserver ARGS…` for the prefix.
    pub fn wineserver_command(&self) -> Command {
        let mut cmd = Command::new(&self.wineserver);
        self.apply_env(&mut cmd);
        cmd
    }

    fn apply_env(&self, cmd: &mut Command) {
        cmd.env("WINEPREFIX", &self.prefix);
        if std::env::var_os("WINEDEBUG").is_none() {
            cmd.env("WINEDEBUG", "-all");
        }
    }

    /// Fails unless the prefix is ready for `tools/wine-run`.
    pub fn require_prefix(&self) -> Result<()> {
        if !self.prefix_exists() {
            bail!(
                "no Wine prefix at {}: run `cargo xtask setup`",
                self.prefix.display()
            );
        }
        if !self.system32().join("bcryptprimitives.dll").is_file() {
            bail!(
                "the Wine prefix {} lacks the ProcessPrng shim: run `cargo xtask setup`",
                self.prefix.display()
            );
        }
        Ok(())
    }

    /// Starts a persistent `wineserver` for the prefix, so that the driver (which lives in
    /// `winedevice.exe`) survives between the programs that use it. A server already running for
    /// the prefix (left by an interrupted run, or not persistent) is shut down first, so every
    /// run starts from a fresh kernel. The returned guard shuts the server down when dropped.
    ///
    /// Everything that outlives this call writes to [`session_log`], never to our own output:
    /// the server keeps its standard error open, and the first program of a session starts
    /// `services.exe`, `winedevice.exe` (the driver's host) and friends, which inherit its
    /// standard output and error and live as long as the server. Were those our pipe
    /// (`cargo xtask install | tee log`), it would stay open until the server is killed. The
    /// driver's own output (`WINEDEBUG=warn+debugstr` shows its `DbgPrint`s) lands there too.
    pub fn start_persistent_server(&self) -> Result<ServerGuard> {
        let log_path = session_log();
        if let Some(dir) = log_path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let log =
            File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
        steps::note(&format!(
            "the wineserver session logs to {}",
            log_path.display()
        ));

        let status = self.spawn_persistent_server(&log)?;
        if status.code() == Some(WINESERVER_ALREADY_RUNNING) {
            steps::note("a wineserver already runs for this prefix: restarting it, persistent");
            self.kill_server()?;
            let status = self.spawn_persistent_server(&log)?;
            if !status.success() {
                bail!("`wineserver -p` failed ({status})");
            }
        } else if !status.success() {
            bail!("`wineserver -p` failed ({status})");
        }
        let guard = ServerGuard {
            wine: Some(self.clone()),
        };
        self.start_session(&log)?;
        Ok(guard)
    }

    /// `wineserver -p`, which detaches and returns at once.
    fn spawn_persistent_server(&self, log: &File) -> Result<ExitStatus> {
        let mut cmd = self.wineserver_command();
        cmd.arg("-p")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log.try_clone()?);
        steps::note(&format!("$ {}", steps::display(&cmd)));
        cmd.status().context("could not start `wineserver -p`")
    }

    /// Runs a first, trivial program in the new server session, its output going to `log`, so
    /// that the system processes it starts inherit `log` (see [`Wine::start_persistent_server`]).
    ///
    /// Unless the caller chose its own `WINEDEBUG`, the session shows `warn+debugstr` (and
    /// nothing else), so the driver's `DbgPrint`s reach the log: the install step checks the
    /// driver's SEH self-test line there ([`seh_self_test`]).
    fn start_session(&self, log: &File) -> Result<()> {
        let mut cmd = self.run_command("cmd.exe");
        if std::env::var_os("WINEDEBUG").is_none() {
            cmd.env("WINEDEBUG", SESSION_WINEDEBUG);
        }
        cmd.args(["/c", "exit", "0"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log.try_clone()?);
        steps::note(&format!("$ {}", steps::display(&cmd)));
        let status = cmd
            .status()
            .context("could not start the first Wine program of the session")?;
        if !status.success() {
            bail!(
                "Wine cannot run a program in {} ({status}): `cmd.exe /c exit 0` failed",
                self.prefix.display()
            );
        }
        Ok(())
    }

    /// Shuts the prefix's wineserver down (and with it `winedevice.exe` and the driver), and
    /// waits until it has gone. Succeeds if no server was running.
    pub fn kill_server(&self) -> Result<()> {
        // `-k` fails when there is no server: that is the state we want.
        let _ = steps::captured(self.wineserver_command().arg("-k"), "stopping wineserver")?;
        self.wait_for_server(Duration::from_secs(60))
    }

    /// Waits (`wineserver -w`) until the prefix's wineserver has exited, at most `limit`.
    pub fn wait_for_server(&self, limit: Duration) -> Result<()> {
        let mut cmd = self.wineserver_command();
        cmd.arg("-w").stdin(Stdio::null());
        steps::note(&format!("$ {}", steps::display(&cmd)));
        let spinner = steps::spinner("waiting for wineserver to exit");
        let mut child = cmd.spawn().context("could not start `wineserver -w`")?;
        let start = Instant::now();
        let outcome = loop {
            if child.try_wait()?.is_some() {
                break Ok(());
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                break Err(anyhow::anyhow!(
                    "the wineserver of {} still runs after {}s",
                    self.prefix.display(),
                    limit.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        spinner.finish_and_clear();
        outcome
    }
}

/// Shuts the persistent wineserver down when dropped, also on an error or a panic.
#[derive(Debug)]
pub struct ServerGuard {
    wine: Option<Wine>,
}

impl ServerGuard {
    /// Leaves the server running after the harness exits (for `cargo xtask install`).
    pub fn keep_running(mut self) {
        self.wine = None;
    }

    /// Shuts the server down now, reporting failure.
    pub fn stop(mut self) -> Result<()> {
        match self.wine.take() {
            Some(wine) => wine.kill_server(),
            None => Ok(()),
        }
    }
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        if let Some(wine) = self.wine.take() {
            steps::heading("stop wineserver");
            if let Err(err) = wine.kill_server() {
                steps::warn(&format!("{err:#}"));
            }
        }
    }
}

/// Where the output of the session's system processes (`winedevice.exe`: the driver) goes.
pub fn session_log() -> PathBuf {
    paths::target_dir().join("xtask/wine-session.log")
}

/// The `WINEDEBUG` of the session's system processes: the driver's messages only.
const SESSION_WINEDEBUG: &str = "-all,warn+debugstr";

/// What the driver's last SEH self-test line in the session log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SehSelfTest {
    /// `SEH self-test passed: …` (the line).
    Passed(String),
    /// `SEH self-test FAILED: …` or no raise routine (the line).
    Failed(String),
    /// No self-test line: the session does not show `debugstr` (a caller's own `WINEDEBUG`).
    NotLogged,
}

/// Finds the last SEH self-test line in `log` (the session log's text) of the driver whose log
/// prefix (km's `Identity`) is `prefix`: `evshare` for evshare.sys.
pub fn seh_self_test(log: &str, prefix: &str) -> SehSelfTest {
    let marker = format!("{prefix}: SEH self-test");
    match log.lines().rev().find(|line| line.contains(&marker)) {
        Some(line) if line.contains("SEH self-test passed") => {
            SehSelfTest::Passed(line.trim().to_string())
        }
        Some(line) => SehSelfTest::Failed(line.trim().to_string()),
        None => SehSelfTest::NotLogged,
    }
}

/// The cargo features the last load of the driver whose log prefix is `prefix` logged
/// (`evshare: built with features: a, b` or `… none`), or `None` when no load logged them.
pub fn driver_features(log: &str, prefix: &str) -> Option<Vec<String>> {
    let marker = format!("{prefix}: built with features: ");
    let line = log.lines().rev().find(|line| line.contains(&marker))?;
    let (_, list) = line.split_once(&marker)?;
    let list = list.trim();
    if list == "none" {
        return Some(Vec::new());
    }
    Some(
        list.split(',')
            .map(|name| name.trim().to_string())
            .collect(),
    )
}

/// Whether the session was started with the caller's own `WINEDEBUG` (so the driver's messages
/// may not be in the log).
pub fn session_debug_overridden() -> bool {
    std::env::var_os("WINEDEBUG").is_some()
}

#[cfg(test)]
mod seh_log_tests {
    use super::*;

    #[test]
    fn the_last_self_test_line_decides() {
        let passed = "0124:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000008: evshare: SEH self-test passed: RtlRaiseStatus(0x80000002) caught as 0x80000002";
        let failed = "0124:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000000: evshare: SEH self-test FAILED: plain call Ok(24256), raise Ok(0)";
        assert_eq!(
            seh_self_test(&format!("{failed}\nnoise\n{passed}\n"), "evshare"),
            SehSelfTest::Passed(passed.to_string())
        );
        assert_eq!(
            seh_self_test(&format!("{passed}\n{failed}\n"), "evshare"),
            SehSelfTest::Failed(failed.to_string())
        );
        assert_eq!(
            seh_self_test("evshare: loaded on Wine\n", "evshare"),
            SehSelfTest::NotLogged
        );
    }

    #[test]
    fn the_last_features_line_decides() {
        let shipped = "0124:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000003: evshare: built with features: none";
        let variant = "0130:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000003: evshare: built with features: windows-branches, verifier";
        assert_eq!(
            driver_features(&format!("{shipped}\nnoise\n{variant}\n"), "evshare"),
            Some(vec!["windows-branches".to_string(), "verifier".to_string()])
        );
        assert_eq!(
            driver_features(&format!("{variant}\n{shipped}\n"), "evshare"),
            Some(Vec::new())
        );
        assert_eq!(
            driver_features("evshare: loaded on Wine\n", "evshare"),
            None
        );
    }
}

/// The prefix: `$WINEPREFIX` (made absolute) when set, else `<repo>/target/wine/prefix`.
pub fn prefix() -> PathBuf {
    match std::env::var_os("WINEPREFIX") {
        Some(prefix) if !prefix.is_empty() => paths::absolute(Path::new(&prefix)),
        _ => paths::repo_root().join("target/wine/prefix"),
    }
}

/// The Windows name of a Linux path: Wine maps `/` to drive `Z:`.
pub fn windows_path(path: &Path) -> String {
    let absolute = paths::absolute(path);
    format!("Z:{}", absolute.to_string_lossy().replace('/', "\\"))
}

/// The wine64 loader, if installed.
pub fn find_wine64() -> Option<PathBuf> {
    find_program(WINE64, "wine64")
}

/// `preferred` if it is an executable file, else `name` on `PATH`.
fn find_program(preferred: &str, name: &str) -> Option<PathBuf> {
    let preferred = Path::new(preferred);
    if is_executable(preferred) {
        return Some(preferred.to_path_buf());
    }
    find_on_path(name)
}

/// `name` on `PATH`, if it is there.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_paths_map_to_drive_z() {
        assert_eq!(
            windows_path(Path::new("/work/main/target/evshare/evshare.sys")),
            r"Z:\work\main\target\evshare\evshare.sys"
        );
    }
}
