//! `evshare status`: the service, and the driver when it runs. With `--device` naming another
//! driver's device, that device's driver (the `evshare` service says nothing about it).

use evshare::service::{self, ServiceState};

use super::output::{self, plural};
use super::{Device, Outcome};

/// `evshare status`, for the driver at `device`.
pub(crate) fn run(device: &Device<'_>) -> Outcome {
    if device.is_evshare() {
        if !service_runs()? {
            return Ok(());
        }
    } else {
        println!("device:   {device}");
    }
    let driver = device.open()?;
    println!("driver:   {}", output::driver(&driver.version()?));
    let stats = driver.stats(None)?;
    let rejected: u64 = stats.rejected.iter().sum();
    println!(
        "now:      {} live ({} since load), {} open (this one included), {} sent, {} rejected",
        plural(
            u64::from(stats.live_registrations),
            "registration",
            "registrations"
        ),
        stats.registrations_total,
        plural(u64::from(stats.open_handles), "handle", "handles"),
        plural(stats.signals_sent, "signal", "signals"),
        plural(rejected, "request", "requests"),
    );
    Ok(())
}

/// Prints the `evshare` service's state and what to do about it; true when it runs.
fn service_runs() -> Result<bool, Box<dyn std::error::Error>> {
    let status = service::status()?;
    println!("service:  {}", status.state);
    if let Some(path) = &status.binary_path {
        println!("binary:   {path}");
    }
    match status.state {
        ServiceState::NotInstalled => {
            println!("          run `evshare install`, then `evshare start`");
            Ok(false)
        }
        ServiceState::Stopped => {
            if status.exit_code != 0 {
                println!(
                    "          the last start or stop ended with Win32 error {}",
                    status.exit_code
                );
            }
            println!("          run `evshare start` to load the driver");
            Ok(false)
        }
        ServiceState::Running => Ok(true),
        _ => {
            println!("          the driver is between states; ask again in a moment");
            Ok(false)
        }
    }
}
