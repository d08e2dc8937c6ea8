//! `evshare demo`: the article's scenario done right, then its two famous traps.
//!
//! 1. An app creates a named event, the driver opens it *by name* and signals it from a
//!    periodic timer; the app prints each signal and its interval, then unregisters.
//! 2. Trap 1: a misspelled name. The article's driver used `IoCreateNotificationEvent`, which
//!    creates what it cannot find, so a typo "succeeds" and the app waits forever. evshare
//!    opens and never creates: the typo is an error that says so.
//! 3. Trap 2: session names. Since Vista a bare name lives in the app's session
//!    (`\Sessions\N\BaseNamedObjects\X`), not in `\BaseNamedObjects` where such drivers
//!    looked. evshare resolves a name the way the app meant it.

use std::time::{Duration, Instant};

use evshare::{Driver, Event, SignalMode, WaitOutcome};

use super::output::{self, error_chain};
use super::{Device, Outcome};

/// `evshare demo --period-ms P --count N`, with the driver at `device`.
pub(crate) fn run(device: &Device<'_>, period_ms: u32, count: u32) -> Outcome {
    let driver = device.open()?;
    let session = driver.session_id();
    let tag = std::process::id();
    println!("evshare demo: the driver signals an app's named event.");
    println!(
        "{}; this process runs in session {session}.",
        output::driver(&driver.version()?)
    );

    periodic(&driver, &format!("evshare-demo-{tag}"), period_ms, count)?;
    misspelled(&driver, &format!("evshare-demo-{tag}"))?;
    session_and_global(&driver, tag)?;
    println!("\nDone: every registration was unregistered.");
    Ok(())
}

/// The scenario: named event, periodic timer, one line per signal.
fn periodic(driver: &Driver, name: &str, period_ms: u32, count: u32) -> Outcome {
    println!();
    let event = Event::create_auto_reset(name)?;
    println!("1. Created the auto-reset event `{name}` (a bare name: it lives in this session).");
    let mode = SignalMode::Periodic { period_ms };
    let registration = driver.register_by_name(name, mode)?;
    println!(
        "2. Registered it by name as #{}: the driver opened {} and signals it {mode}.",
        registration.id(),
        registration.target()
    );

    // Generous, only so a broken driver cannot hang the demo.
    let patience = Duration::from_millis(u64::from(period_ms) * 20).max(Duration::from_secs(5));
    let mut last = Instant::now();
    let (mut shortest, mut longest, first) = (Duration::MAX, Duration::ZERO, last);
    for n in 1..=count {
        if event.wait(patience)? == WaitOutcome::TimedOut {
            return Err(format!(
                "no signal for {} after {} of {count}; the driver's timer is not firing (see `evshare stats`)",
                output::duration(patience),
                n - 1
            )
            .into());
        }
        let now = Instant::now();
        let interval = now - last;
        last = now;
        shortest = shortest.min(interval);
        longest = longest.max(interval);
        println!("   signal {n:>3}  +{}", output::duration(interval));
    }
    let info = registration.info()?;
    let total = last - first;
    println!(
        "   {count} signals in {}: interval min {}, mean {}, max {}; the driver counted {} sent.",
        output::duration(total),
        output::duration(shortest),
        output::duration(total / count),
        output::duration(longest),
        info.signals_sent
    );
    let id = registration.id();
    registration.unregister()?;
    println!("3. Unregistered #{id}: the driver no longer holds the event.");
    Ok(())
}

/// Trap 1: a typo must be an error, not a silent success.
fn misspelled(driver: &Driver, real_name: &str) -> Outcome {
    println!("\nTrap 1: a misspelled name.");
    println!(
        "   A driver that calls IoCreateNotificationEvent creates whatever it cannot find, so a\n   \
         typo \"works\" and the app waits forever. evshare opens, and never creates:"
    );
    let _event = Event::create_auto_reset(real_name)?;
    let typo = real_name.replacen("demo", "dmeo", 1);
    println!("   the app created `{real_name}`; registering `{typo}` ...");
    match driver.register_by_name(&typo, SignalMode::Periodic { period_ms: 100 }) {
        Ok(registration) => Err(format!(
            "the driver accepted the misspelled name `{typo}` (it opened {}): that is the trap \
             this demo should show evshare avoids",
            registration.target()
        )
        .into()),
        Err(error) => {
            println!("   refused, as it should be:");
            println!("   {}", indent(&error_chain(&error)));
            Ok(())
        }
    }
}

/// Trap 2: a bare name and a `Global\` name each resolve where the app created them.
fn session_and_global(driver: &Driver, tag: u32) -> Outcome {
    println!("\nTrap 2: session names and Global\\ names.");
    println!(
        "   A bare name lives in the app's session; a driver that looks in \\BaseNamedObjects never\n   \
         finds it. evshare resolves each name the way the app meant it:"
    );
    let bare = format!("evshare-demo-{tag}-session");
    let global = format!("Global\\evshare-demo-{tag}-global");
    let width = bare.len().max(global.len()) + 2;
    for name in [&bare, &global] {
        let event = Event::create_auto_reset(name)?;
        let registration = driver.register_by_name(name, SignalMode::OnDemand)?;
        registration.signal()?;
        let received = event.wait(Duration::from_secs(5))? == WaitOutcome::Signaled;
        println!(
            "   {:<width$} -> {:<60} {}",
            format!("`{name}`"),
            registration.target(),
            if received {
                "signal received"
            } else {
                "NO SIGNAL"
            }
        );
        registration.unregister()?;
        if !received {
            return Err(format!("the driver did not signal `{name}`").into());
        }
    }

    println!("   And the old mistake, adding `Global\\` to an event created without it:");
    let _event = Event::create_auto_reset(&bare)?;
    let wrong = format!("Global\\{bare}");
    match driver.register_by_name(&wrong, SignalMode::OnDemand) {
        Ok(registration) => Err(format!(
            "the driver accepted `{wrong}` (it opened {}) although no such global event exists",
            registration.target()
        )
        .into()),
        Err(error) => {
            println!("   {}", indent(&error_chain(&error)));
            Ok(())
        }
    }
}

fn indent(text: &str) -> String {
    text.replace('\n', "\n   ")
}
