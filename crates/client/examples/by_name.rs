//! Sharing an event **by name** — the article's recommendation: the app creates a named event,
//! the driver opens it.
//!
//! With the driver installed and started (`evshare install`, `evshare start`):
//! `cargo run --target x86_64-pc-windows-gnu -p evshare --example by_name`

#[cfg(windows)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use evshare::{Driver, Event, Share, SignalMode, WaitOutcome};
    use std::time::Duration;

    // 1. Create the event. A bare name lives in this session's namespace (`Global\...` for
    //    the global one); the driver resolves the name the same way.
    let name = format!("evshare-example-{}", std::process::id());
    let event = Event::create_auto_reset(&name)?;
    println!("created the auto-reset event `{name}`");

    // 2. Ask the driver to signal it every 50 ms. The driver opens the event and never
    //    creates it: a misspelled name is an error, not an event nobody waits on.
    let driver = Driver::open()?;
    let mode = SignalMode::Periodic { period_ms: 50 };
    let registration = driver.register(Share::ByName(&name), mode)?;
    println!("registered it: the driver opened {}", registration.target());

    // 3. Wait for the signals, on your own event (or on `registration.wait`).
    for n in 1..=5 {
        if event.wait(Duration::from_secs(5))? == WaitOutcome::TimedOut {
            return Err(format!("signal {n} never came").into());
        }
        println!("signal {n} received");
    }

    // 4. Unregister (dropping the registration does it too).
    registration.unregister()?;
    println!("unregistered: the driver no longer holds the event");
    Ok(())
}

#[cfg(not(windows))]
fn main() {
    eprintln!("this example talks to evshare.sys: run it on Windows or under Wine");
}
