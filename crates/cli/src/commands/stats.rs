//! `evshare stats`: the driver's counters.

use evshare::{Method, RejectReason, VERIFIER_CHECK_NAMES};

use super::output::plural;
use super::{Device, Outcome};

/// `evshare stats [--pid PID]`, of the driver at `device`.
pub(crate) fn run(device: &Device<'_>, pid: Option<u32>) -> Outcome {
    let driver = device.open()?;
    let stats = driver.stats(pid)?;
    println!("driver host:          {}", stats.host);
    println!("live registrations:   {}", stats.live_registrations);
    for method in Method::ALL {
        let live = stats.live_by(method);
        if live > 0 {
            println!("  {:<20} {live}", method.label());
        }
    }
    if let Some(pid) = pid {
        println!("  of process {pid:<8} {}", stats.live_for_pid);
    }
    println!("registrations made:   {}", stats.registrations_total);
    println!("signals sent:         {}", stats.signals_sent);
    println!(
        "open handles:         {} (this one included)",
        stats.open_handles
    );
    let total: u64 = stats.rejected.iter().sum();
    println!(
        "rejected:             {}",
        plural(total, "request", "requests")
    );
    for reason in RejectReason::ALL {
        let count = stats.rejected_for(reason);
        if count > 0 {
            println!("  {:<20} {count}", reason.label());
        }
    }
    let verifier = stats.verifier;
    if verifier.enabled {
        println!(
            "verifier build:       {} kernel calls checked, {} faults injected, {}",
            verifier.calls_checked,
            verifier.faults_injected,
            plural(verifier.total_violations(), "violation", "violations")
        );
        for (name, count) in VERIFIER_CHECK_NAMES.iter().zip(verifier.violations) {
            if count > 0 {
                println!("  {name:<20} {count}");
            }
        }
    }
    Ok(())
}
