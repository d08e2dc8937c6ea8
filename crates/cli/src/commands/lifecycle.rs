//! `install`, `start`, `stop`, `uninstall`.

use std::path::PathBuf;

use evshare::service::{self, InstallAction, StartOutcome, StopOutcome, UninstallOutcome};
use evshare::Driver;

use super::output;
use super::Outcome;

/// `evshare install [--sys PATH]`.
pub(crate) fn install(sys: Option<PathBuf>) -> Outcome {
    let sys = match sys {
        Some(path) => path,
        None => default_sys_path()?,
    };
    let installed = service::install(&sys)?;
    match installed.service {
        InstallAction::Created => println!(
            "Installed {} and created the `evshare` service (kernel driver, demand start).",
            installed.path.display()
        ),
        InstallAction::Updated => println!(
            "Installed {} and updated the existing `evshare` service.",
            installed.path.display()
        ),
        InstallAction::AlreadyRunning => {
            println!(
                "The driver is already installed and running from {} (same binary); nothing to do.",
                installed.path.display()
            );
            return Ok(());
        }
    }
    println!("Next: `evshare start`.");
    Ok(())
}

/// `evshare.sys` in the directory of this program.
fn default_sys_path() -> Result<PathBuf, Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .ok_or("cannot tell which directory this program is in; pass --sys PATH")?;
    Ok(dir.join("evshare.sys"))
}

/// `evshare start`.
pub(crate) fn start() -> Outcome {
    match service::start()? {
        StartOutcome::Started => print!("Started. "),
        StartOutcome::AlreadyRunning => print!("Already running. "),
    }
    // Prove it answers, not just that the service manager says so.
    let driver = Driver::open()?;
    println!("{}.", output::driver(&driver.version()?));
    Ok(())
}

/// `evshare stop`.
pub(crate) fn stop() -> Outcome {
    match service::stop()? {
        StopOutcome::Stopped => println!("Stopped: the driver is unloaded."),
        StopOutcome::AlreadyStopped => println!("The driver was not running."),
    }
    Ok(())
}

/// `evshare uninstall`.
pub(crate) fn uninstall() -> Outcome {
    match service::uninstall()? {
        UninstallOutcome::Removed => {
            println!("Uninstalled: the `evshare` service and its binary are gone.")
        }
        UninstallOutcome::NotInstalled => println!("The driver was not installed."),
    }
    Ok(())
}
