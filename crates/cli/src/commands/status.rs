//! `evshare status`: the service, and the driver when it runs.

use evshare::service::{self, ServiceState};
use evshare::Driver;

use super::output::{self, plural};
use super::Outcome;

/// `evshare status`.
pub(crate) fn run() -> Outcome {
    let status = service::status()?;
    println!("service:  {}", status.state);
    if let Some(path) = &status.binary_path {
        println!("binary:   {path}");
    }
    match status.state {
        ServiceState::NotInstalled => {
            println!("          run `evshare install`, then `evshare start`");
            return Ok(());
        }
        ServiceState::Stopped => {
            if status.exit_code != 0 {
                println!(
                    "          the last start or stop ended with Win32 error {}",
                    status.exit_code
                );
            }
            println!("          run `evshare start` to load the driver");
            return Ok(());
        }
        ServiceState::Running => {}
        _ => {
            println!("          the driver is between states; ask again in a moment");
            return Ok(());
        }
    }
    let driver = Driver::open()?;
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
