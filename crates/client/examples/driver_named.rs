//! A **driver-created named** event: the driver creates `evshare-<leaf>` on request, with a
//! DACL that lets only this user wait on it (nobody may set it), and refuses a name that is
//! already taken instead of adopting someone else's object. Other processes of the same user
//! can open it by the name the driver gives back.
//!
//! With the driver installed and started (`evshare install`, `evshare start`):
//! `cargo run --target x86_64-pc-windows-gnu -p evshare --example driver_named`

#[cfg(windows)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use evshare::access::{READ_CONTROL, SYNCHRONIZE};
    use evshare::{Driver, Event, EventKind, Scope, Share, SignalMode, WaitOutcome};
    use std::time::Duration;

    // 1. Ask the driver for the event `evshare-<leaf>` in this session's namespace.
    let leaf = format!("example-{}", std::process::id());
    let driver = Driver::open()?;
    let share = Share::DriverNamed {
        leaf: &leaf,
        scope: Scope::Session,
        kind: EventKind::AutoReset,
    };
    let registration = driver.register(share, SignalMode::OnDemand)?;
    let name = registration.name().unwrap_or_default().to_owned();
    println!(
        "the driver created {} (open it as `{name}`)",
        registration.target()
    );

    // 2. Its security descriptor names this user only.
    println!("its security: {}", registration.event().security()?);

    // 3. Any process of this user may open it by name, to wait on it.
    let opened = Event::open_with_access(&name, SYNCHRONIZE | READ_CONTROL)?;
    for n in 1..=5 {
        registration.signal()?;
        if opened.wait(Duration::from_secs(5))? == WaitOutcome::TimedOut {
            return Err(format!("signal {n} never came").into());
        }
        println!("signal {n} received through `{name}`");
    }

    // 4. Asking for the same name again is refused: it is taken.
    let again = Share::DriverNamed {
        leaf: &leaf,
        scope: Scope::Session,
        kind: EventKind::AutoReset,
    };
    match driver.register(again, SignalMode::OnDemand) {
        Ok(_) => return Err("the driver created the same name twice".into()),
        Err(error) => println!("a second creation is refused: {error}"),
    }
    registration.unregister()?;
    println!("unregistered: the name is gone once the last handle closes");
    Ok(())
}

#[cfg(not(windows))]
fn main() {
    eprintln!("this example talks to evshare.sys: run it on Windows or under Wine");
}
