//! Sharing an event **by handle**: the app passes the driver a handle to its own event. The
//! driver copies the handle out of this process (whatever context it runs in), checks that it
//! is an event the app may set, and keeps its own reference.
//!
//! With the driver installed and started (`evshare install`, `evshare start`):
//! `cargo run --target x86_64-pc-windows-gnu -p evshare --example by_handle`

#[cfg(windows)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use evshare::{Driver, Event, ResetKind, Share, SignalMode, WaitOutcome};
    use std::time::Duration;

    // 1. Create an event; no name needed. The handle has EVENT_ALL_ACCESS, which includes the
    //    EVENT_MODIFY_STATE the driver insists on.
    let event = Event::new(ResetKind::Auto)?;
    println!("created an unnamed auto-reset event");

    // 2. Hand it to the driver, which will signal it on demand.
    let driver = Driver::open()?;
    let registration = driver.register(Share::by_handle(&event), SignalMode::OnDemand)?;
    println!(
        "registered it: the driver signals {}",
        registration.target()
    );

    // 3. The driver holds its own reference: the app may even close its handle now. The
    //    registration keeps a SYNCHRONIZE handle to wait on.
    drop(event);
    println!("closed the app's own handle");

    // 4. Ask for a signal (in a real driver: whenever something happens), and wait for it.
    for n in 1..=5 {
        registration.signal()?;
        if registration.wait(Duration::from_secs(5))? == WaitOutcome::TimedOut {
            return Err(format!("signal {n} never came").into());
        }
        println!("signal {n} received");
    }
    registration.unregister()?;
    println!("unregistered");
    Ok(())
}

#[cfg(not(windows))]
fn main() {
    eprintln!("this example talks to evshare.sys: run it on Windows or under Wine");
}
