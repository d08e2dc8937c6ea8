//! How `winedevice.exe` — the process our driver runs in under Wine — is doing: alive, its
//! threads, open file descriptors and resident memory, read from Linux's `/proc` through
//! Wine's `Z:` drive. The campaigns take a baseline, hammer the driver, and check that the host
//! process is still there and came back near the baseline (a leak of threads, handles or
//! memory per request shows up as growth proportional to the work done).

use std::path::{Path, PathBuf};

/// One reading of `winedevice.exe`'s resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Health {
    /// Its Linux process id.
    pub pid: u32,
    /// Threads (`Threads:` in `/proc/PID/status`).
    pub threads: u64,
    /// Open file descriptors (entries of `/proc/PID/fd`).
    pub fds: u64,
    /// Resident memory in KiB (`VmRSS:`).
    pub rss_kib: u64,
}

impl std::fmt::Display for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "winedevice pid {}: {} threads, {} fds, {} MiB resident",
            self.pid,
            self.threads,
            self.fds,
            self.rss_kib / 1024
        )
    }
}

fn proc_root() -> PathBuf {
    PathBuf::from(r"Z:\proc")
}

/// The `winedevice.exe` processes of this test's Wine prefix that have evshare.sys mapped
/// (Wine runs one winedevice per driver, and other prefixes may run their own at the same time).
fn winedevice_pids() -> Vec<u32> {
    let prefix = std::env::var("WINEPREFIX").unwrap_or_else(|_| {
        panic!("WINEPREFIX is not set: the harness sets it, and it tells our winedevice apart")
    });
    let wanted_env = format!("WINEPREFIX={prefix}");
    let Ok(entries) = std::fs::read_dir(proc_root()) else {
        panic!("cannot list Z:\\proc: these checks need Wine's Z: drive mapped to /");
    };
    let mut pids: Vec<u32> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let dir = proc_root().join(pid.to_string());
            let read = |file: &str| std::fs::read(dir.join(file)).unwrap_or_default();
            // Cheapest first: most processes are not winedevice at all.
            is_winedevice(*pid)
                && read("environ")
                    .split(|&b| b == 0)
                    .any(|var| var == wanted_env.as_bytes())
                && String::from_utf8_lossy(&read("maps")).contains("evshare.sys")
        })
        .collect();
    pids.sort_unstable();
    pids
}

fn status_field(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|value| value.parse().ok())
}

fn read_one(pid: u32) -> Option<Health> {
    let dir = proc_root().join(pid.to_string());
    let status = std::fs::read_to_string(dir.join("status")).ok()?;
    let fds = count_entries(&dir.join("fd"))?;
    Some(Health {
        pid,
        threads: status_field(&status, "Threads:")?,
        fds,
        rss_kib: status_field(&status, "VmRSS:")?,
    })
}

fn count_entries(dir: &Path) -> Option<u64> {
    Some(std::fs::read_dir(dir).ok()?.count() as u64)
}

/// The reading of the `winedevice.exe` that hosts evshare in this prefix. Panics if none
/// runs: the driver's host process is gone, which is exactly what the campaigns must never
/// cause.
pub fn snapshot() -> Health {
    winedevice_pids()
        .into_iter()
        .find_map(read_one)
        .unwrap_or_else(|| {
            panic!("no winedevice.exe hosts evshare.sys: the driver's host process died")
        })
}

/// Whether `pid` is a running `winedevice.exe` (a dead one, even a zombie, has no command line).
fn is_winedevice(pid: u32) -> bool {
    let cmdline =
        std::fs::read(proc_root().join(pid.to_string()).join("cmdline")).unwrap_or_default();
    String::from_utf8_lossy(&cmdline)
        .to_ascii_lowercase()
        .contains("winedevice.exe")
}

/// Whether `pid` (a reading's process) is still a running `winedevice.exe`: one look at its
/// command line, cheap enough to ask after every kill.
pub fn alive(pid: u32) -> bool {
    is_winedevice(pid)
}

/// Waits (up to ~5 s, as resources are released a moment after the handles that held them)
/// until the host process is the same one as at `baseline` and within `slack` of it: at most
/// `slack.threads` more threads, `slack.fds` more descriptors, `slack.rss_kib` more memory.
/// Returns the final reading; panics with both readings otherwise.
pub fn assert_back_near(baseline: Health, slack: Health) -> Health {
    let mut last = None;
    for _ in 0..100 {
        assert!(
            alive(baseline.pid),
            "winedevice.exe (pid {}) died; now: {:?}",
            baseline.pid,
            winedevice_pids()
        );
        if let Some(now) = read_one(baseline.pid) {
            if now.threads <= baseline.threads + slack.threads
                && now.fds <= baseline.fds + slack.fds
                && now.rss_kib <= baseline.rss_kib + slack.rss_kib
            {
                return now;
            }
            last = Some(now);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!(
        "winedevice.exe did not come back near its baseline: before {baseline}, after {}",
        last.map_or_else(|| "unreadable".to_owned(), |h| h.to_string())
    );
}

/// The slack the campaigns allow: a few threads (Wine's thread pool keeps some), a few
/// descriptors, 64 MiB of memory (heap growth that the allocator keeps for reuse).
pub const SLACK: Health = Health {
    pid: 0,
    threads: 8,
    fds: 16,
    rss_kib: 64 * 1024,
};
