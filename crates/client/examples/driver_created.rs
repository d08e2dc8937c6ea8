//! A **driver-created** event: the driver creates an unnamed event and puts a handle to it
//! into this process with SYNCHRONIZE access only. The app can wait, but can neither set nor
//! reset the event, so it can neither fake nor swallow the driver's signals.
//!
//! With the driver installed and started (`evshare install`, `evshare start`):
//! `cargo run --target x86_64-pc-windows-gnu -p evshare --example driver_created`

#[cfg(windows)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use evshare::{Driver, EventKind, Share, SignalMode, WaitOutcome};
    use std::time::Duration;

    // 1. Ask the driver for an auto-reset event it signals every 50 ms.
    let driver = Driver::open()?;
    let share = Share::DriverCreated {
        kind: EventKind::AutoReset,
    };
    let registration = driver.register(share, SignalMode::Periodic { period_ms: 50 })?;
    println!("the driver created {}", registration.target());

    // 2. Wait for the signals.
    for n in 1..=5 {
        if registration.wait(Duration::from_secs(5))? == WaitOutcome::TimedOut {
            return Err(format!("signal {n} never came").into());
        }
        println!("signal {n} received");
    }

    // 3. The handle may only wait: setting the event is refused.
    match registration.event().set() {
        Ok(()) => return Err("SetEvent succeeded on a handle that should only wait".into()),
        Err(error) => println!("SetEvent refused, as it should be: {error}"),
    }

    // 4. Unregister: the driver drops the event, and this handle goes with the registration.
    registration.unregister()?;
    println!("unregistered");
    Ok(())
}

#[cfg(not(windows))]
fn main() {
    eprintln!("this example talks to evshare.sys: run it on Windows or under Wine");
}
