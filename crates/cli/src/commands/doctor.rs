//! `evshare doctor [NAME]`: what stands between an app and the driver's signals.
//!
//! The driver: installed? running? which version, on which host? who holds registrations, by
//! which method? (Asked through a read-only handle: the doctor only looks.) And for NAME: the
//! namespace it resolves to for this process's session, whether an event exists there, whether
//! the driver could set it, and when not, the likely fix ("did you mean `Global\X`?").
//!
//! With `--device` naming another driver's device, the service questions are skipped (the
//! `evshare` service says nothing about that driver) and the doctor asks that device.
//!
//! Exits with status 1 when it found a problem.

use evshare::diagnose::{self, Found, NameReport};
use evshare::service::{self, ServiceState};
use evshare::{current_session_id, current_user_sid, quota, Method, RejectReason};

use super::output::{self, plural};
use super::{Device, Outcome};

/// What the doctor found wrong, each with its fix.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    fn problem(&mut self, text: String) {
        println!("  problem:  {text}");
        self.0.push(text);
    }
}

/// `evshare doctor [NAME]`, about the driver at `device`.
pub(crate) fn run(device: &Device<'_>, name: Option<&str>) -> Outcome {
    let mut findings = Findings::default();
    println!("This process");
    println!(
        "  session:  {} (bare names and `Local\\` live in its directory)",
        current_session_id()?
    );
    match current_user_sid() {
        Ok(sid) => println!("  user:     {sid}"),
        Err(error) => println!("  user:     unknown ({error})"),
    }
    println!();
    driver_section(device, &mut findings)?;
    if let Some(name) = name {
        println!();
        name_section(name, &mut findings)?;
    }
    println!();
    match findings.0.len() {
        0 => {
            println!("No problem found.");
            Ok(())
        }
        n => Err(format!(
            "the doctor found {}: {}",
            plural(n as u64, "problem", "problems"),
            findings.0.join("; ")
        )
        .into()),
    }
}

fn driver_section(device: &Device<'_>, findings: &mut Findings) -> Outcome {
    println!("Driver");
    if device.is_evshare() {
        if !service_runs(findings)? {
            return Ok(());
        }
    } else {
        println!("  device:   {device}");
    }
    let driver = match device.open_read_only() {
        Ok(driver) => driver,
        Err(error) => {
            findings.problem(output::error_chain(error.as_ref()));
            return Ok(());
        }
    };
    println!("  driver:   {}", output::driver(&driver.version()?));
    let stats = driver.stats(None)?;
    let by_method: Vec<String> = Method::ALL
        .into_iter()
        .filter(|method| stats.live_by(*method) > 0)
        .map(|method| format!("{} {}", stats.live_by(method), method.label()))
        .collect();
    println!(
        "  now:      {} live{}, {} since load; {} sent; {} open",
        plural(
            u64::from(stats.live_registrations),
            "registration",
            "registrations"
        ),
        if by_method.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_method.join(", "))
        },
        stats.registrations_total,
        plural(stats.signals_sent, "signal", "signals"),
        plural(u64::from(stats.open_handles), "handle", "handles"),
    );
    let rejected: u64 = RejectReason::ALL
        .into_iter()
        .map(|reason| stats.rejected_for(reason))
        .sum();
    if rejected > 0 {
        println!(
            "  refused:  {} since load (by reason: `evshare stats`)",
            plural(rejected, "request", "requests")
        );
    }
    println!(
        "  quotas:   per process {} registrations (per handle {}, {} in all), {} MiB of rings, \
         {} timer signals/s, {} pending requests ({} in all)",
        quota::MAX_PER_PROCESS,
        quota::MAX_PER_HANDLE,
        quota::MAX_REGISTRATIONS,
        quota::MAX_RING_BYTES_PER_PROCESS >> 20,
        quota::MAX_SIGNALS_PER_SECOND_PER_PROCESS,
        quota::MAX_PENDING_PER_PROCESS,
        quota::MAX_PENDING
    );
    let holders = driver.holders()?;
    if holders.count == 0 {
        println!("  holders:  no process holds a registration");
    }
    for holder in holders.iter() {
        let methods: Vec<String> = Method::ALL
            .into_iter()
            .filter(|method| holder.live_by(*method) > 0)
            .map(|method| format!("{} {}", holder.live_by(method), method.label()))
            .collect();
        let held: u32 = Method::ALL
            .into_iter()
            .map(|method| holder.live_by(method))
            .sum();
        println!(
            "  holder:   pid {} ({}): {}{}",
            holder.pid,
            diagnose::process_image(holder.pid).unwrap_or_else(|| "exited or not visible".into()),
            methods.join(", "),
            if held >= quota::MAX_PER_PROCESS {
                " (at its quota: it cannot register more until it unregisters some)"
            } else {
                ""
            }
        );
    }
    Ok(())
}

/// The `evshare` service's state, with the problem when it does not run; true when it runs.
fn service_runs(findings: &mut Findings) -> Result<bool, Box<dyn std::error::Error>> {
    let status = service::status()?;
    println!(
        "  service:  {}{}",
        status.state,
        status
            .binary_path
            .as_deref()
            .map(|path| format!(" ({path})"))
            .unwrap_or_default()
    );
    match status.state {
        ServiceState::NotInstalled => {
            findings.problem(
                "the driver is not installed: run `evshare install`, then `evshare start`".into(),
            );
            Ok(false)
        }
        ServiceState::Running => Ok(true),
        state => {
            findings.problem(format!("the driver is {state}: run `evshare start`"));
            Ok(false)
        }
    }
}

fn name_section(name: &str, findings: &mut Findings) -> Outcome {
    println!("Name `{name}`");
    let report = diagnose::name(name)?;
    let resolved = match &report.resolved {
        Ok(resolved) => resolved,
        Err(refusal) => {
            findings.problem(output::error_chain(refusal));
            return Ok(());
        }
    };
    println!(
        "  resolves: {resolved} (in {}, for this process)",
        report.directory().unwrap_or_default()
    );
    if let Some(win32) = &report.win32_name {
        println!("  opens as: `{win32}`");
    }
    match report.found {
        Found::Event => println!("  there:    an event"),
        Found::Missing => {
            println!("  there:    nothing");
            findings.problem(missing_fix(&report));
        }
        Found::Other(kind) => {
            println!("  there:    {kind}");
            findings.problem(format!(
                "`{name}` is {kind}, not an event: the driver refuses it; create an event under \
                 a name no other object uses"
            ));
        }
    }
    if let Some((other, found)) = &report.counterpart {
        let what = match found {
            Found::Missing => "nothing".to_owned(),
            Found::Event => "an event".to_owned(),
            Found::Other(kind) => kind.to_string(),
        };
        println!("  also:     `{other}` (the other directory) holds {what}");
    }
    match &report.security {
        Some(Ok(security)) => println!("  security: {security}"),
        Some(Err(error)) => println!("  security: unreadable ({error})"),
        None => {}
    }
    match report.may_set {
        Some(true) => println!("  the driver may set it: yes (this user has EVENT_MODIFY_STATE)"),
        Some(false) => {
            println!("  the driver may set it: no");
            findings.problem(format!(
                "the DACL of `{name}` denies this user EVENT_MODIFY_STATE, and the driver opens \
                 events with the caller's access: create it with default security, or grant \
                 your user EVENT_MODIFY_STATE"
            ));
        }
        None => {}
    }
    Ok(())
}

/// The fix for a name with nothing behind it.
fn missing_fix(report: &NameReport) -> String {
    match report.suggestion() {
        Some(other) => format!(
            "no event `{}` here, but `{other}` is an event: did you mean `{other}`?",
            report.name
        ),
        None => format!(
            "no event `{}` in {}: create it first (CreateEventW); the driver opens events and \
             never creates them",
            report.name,
            report.directory().unwrap_or_default()
        ),
    }
}
