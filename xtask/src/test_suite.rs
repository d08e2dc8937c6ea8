//! `cargo xtask test`: every check the project lives by, in order, stopping at the first failure,
//! with the Wine end-to-end tests against the real driver last and the driver and wineserver
//! always stopped at the end. Ends with a table of step, result and duration.

use std::cell::RefCell;

use anyhow::{bail, Context, Result};

use crate::building::{self, cargo, Profile};
use crate::driver_service::DriverService;
use crate::paths::{self, DRIVER_TARGET, USER_TARGET};
use crate::sample_host::{self, SampleBuild};
use crate::steps::{self, Report};
use crate::variants::{Variant, VARIANTS};
use crate::verifier;
use crate::wine::{ServerGuard, Wine};
use crate::{layout, pe_lint, repro, runner_check, sample_c, setup, sign};

/// A step that needs nothing from the steps before it.
type Step = fn() -> Result<()>;

/// Which parts of the suite to run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Only what the end-to-end tests need: setup, build, lint, Wine, the e2e tests.
    pub e2e_only: bool,
    /// Everything that does not run Wine.
    pub host_only: bool,
    /// Also run the soak tests (the ignored e2e tests named `*soak*`, with `EVSHARE_SOAK=1`).
    pub soak: bool,
}

/// Runs the suite; fails if any step failed.
pub fn run(options: Options) -> Result<()> {
    let mut report = Report::default();
    let log = RefCell::new(setup::Log::default());
    let static_checks = !options.e2e_only;

    report.run("setup: toolchain", || {
        setup::toolchain(&mut log.borrow_mut())
    });
    let host_steps: [(&str, Step); 13] = [
        ("cargo fmt --check", fmt),
        ("host unit tests", host_tests),
        ("loom: ring handshakes", loom),
        ("loom: pending queue", loom_pending),
        ("loom: timer DPC vs unregister", loom_timer),
        ("loom: unload vs dispatch", loom_rundown),
        ("loom: channel inbox", loom_channel_inbox),
        ("no-panic checks", no_panic_checks),
        ("clippy: host crates", clippy_host),
        ("clippy: driver (msvc)", clippy_driver),
        ("clippy: kernel-c (gnu)", clippy_kernel_c),
        ("clippy: user side (gnu)", clippy_user),
        ("cargo doc: 0 warnings", docs),
    ];
    for (name, step) in host_steps {
        if static_checks {
            report.run(name, step);
        } else {
            report.skip(name);
        }
    }
    report.run("build", || building::all(Profile::Debug));
    report.run("lint evshare.sys", || pe_lint::run(&paths::dist_driver()));
    report.run(SAMPLE_BUILD, || SampleBuild::SHIPPED.build());
    report.run("build + lint C sample", sample_c::build_and_lint);
    for variant in VARIANTS {
        report.run(&format!("build + lint variant {}", variant.name), || {
            variant.build()
        });
        report.run(&format!("{SAMPLE_BUILD}: variant {}", variant.name), || {
            SampleBuild {
                variant: Some(*variant),
            }
            .build()
        });
        report.run(
            &format!("build + lint C sample: variant {}", variant.name),
            || {
                sample_c::Build {
                    variant: Some(*variant),
                }
                .build_and_lint()
            },
        );
    }
    if static_checks {
        // A signed image must still be one Windows loads: signature verified, image re-linted.
        report.run("test-sign evshare.sys", || sign::run(None));
    } else {
        report.skip("test-sign evshare.sys");
    }
    if static_checks {
        report.run("layout", layout::run);
    } else {
        report.skip("layout");
    }

    if options.host_only {
        for name in [
            "setup: Wine prefix",
            "start wineserver",
            "wine-run passes exit codes",
            "install + start driver",
            SAMPLE_INSTALL,
            "install + start C sample",
            "e2e tests under Wine",
            "examples under Wine",
            "Wine's late cancel (C repro)",
        ] {
            report.skip(name);
        }
        for variant in VARIANTS {
            report.skip(&variant_step(variant));
        }
        for variant in VARIANTS {
            report.skip(&sample_variant_step(variant));
        }
        for variant in VARIANTS {
            report.skip(&c_sample_variant_step(variant));
        }
        report.skip(SAMPLE_STOP_STEP);
    } else {
        wine_steps(&mut report, &log, options.soak);
    }

    log.borrow().print_summary();
    eprintln!("\n{}", report.render());
    if report.failed() {
        bail!("cargo xtask test failed");
    }
    Ok(())
}

/// The step that builds and lints the sample host.
const SAMPLE_BUILD: &str = "build + lint sample host";
/// The step that installs the sample host next to evshare.sys.
const SAMPLE_INSTALL: &str = "install + start sample host";

/// The name of the step that runs the sample's e2e tests against its build of `variant`.
fn sample_variant_step(variant: &Variant) -> String {
    format!("e2e sample host under Wine: variant {}", variant.name)
}

/// The name of the step that runs the C sample's e2e test against its build linked with
/// `variant`'s library.
fn c_sample_variant_step(variant: &Variant) -> String {
    format!("e2e C sample under Wine: variant {}", variant.name)
}

/// The prefix, the persistent server, the driver and the sample host next to it, the e2e tests
/// (the sample's among them), then the clean-up, which runs whatever happened before it.
fn wine_steps(report: &mut Report, log: &RefCell<setup::Log>, soak: bool) {
    report.run("setup: Wine prefix", || {
        setup::prefix(&mut log.borrow_mut())
    });
    let mut wine = None;
    let mut server: Option<ServerGuard> = None;
    report.run("start wineserver", || {
        let located = Wine::locate()?;
        server = Some(located.start_persistent_server()?);
        wine = Some(located);
        Ok(())
    });
    report.run("wine-run passes exit codes", || {
        runner_check::run(wine.as_ref().context("Wine was not located")?)
    });
    let mut service = None;
    report.run("install + start driver", || {
        let installed = DriverService::new(wine.clone().context("Wine was not located")?)?;
        installed.install_and_start()?;
        service = Some(installed);
        Ok(())
    });
    let mut sample_installed = false;
    report.run(SAMPLE_INSTALL, || {
        SampleBuild::SHIPPED.install(wine.as_ref().context("Wine was not located")?)?;
        sample_installed = true;
        Ok(())
    });
    // Before the e2e tests: the client's `e2e_sample_c` talks to it.
    let mut sample = None;
    report.run("install + start C sample", || {
        sample = Some(sample_c::install(
            wine.as_ref().context("Wine was not located")?,
            sample_c::Build::SHIPPED,
        )?);
        Ok(())
    });
    report.run("e2e tests under Wine", || {
        e2e_tests(wine.as_ref().context("Wine was not located")?)
    });
    report.run("examples under Wine", || {
        examples(wine.as_ref().context("Wine was not located")?)
    });
    report.run("Wine's late cancel (C repro)", || {
        repro::run(wine.as_ref().context("Wine was not located")?)
    });
    for variant in VARIANTS {
        report.run(&variant_step(variant), || {
            let wine = wine.as_ref().context("Wine was not located")?;
            let service = service.as_ref().context("the driver was not installed")?;
            variant_e2e_tests(variant, service, wine)
        });
    }
    for variant in VARIANTS {
        report.run(&sample_variant_step(variant), || {
            sample_host::variant_e2e(*variant, wine.as_ref().context("Wine was not located")?)
        });
    }
    for variant in VARIANTS {
        report.run(&c_sample_variant_step(variant), || {
            let wine = wine.as_ref().context("Wine was not located")?;
            sample_c::variant_e2e(wine, *variant, &mut sample)
        });
    }
    if let Some(installed) = sample {
        report.run_always(SAMPLE_STOP_STEP, || {
            let wine = wine.as_ref().context("Wine was not located")?;
            sample_c::stop_and_check(wine, installed)
        });
    }
    if soak {
        report.run("soak tests under Wine", || {
            soak_tests(wine.as_ref().context("Wine was not located")?)
        });
    }
    if let (true, Some(wine)) = (sample_installed, &wine) {
        report.run_always("stop sample host", || sample_host::uninstall(wine));
    }
    if let Some(service) = &service {
        report.run_always("stop driver", || service.stop());
    }
    if let Some(server) = server {
        report.run_always("stop wineserver", || server.stop());
    }
}

fn fmt() -> Result<()> {
    steps::run(cargo().args(["fmt", "--all", "--check"]))
}

/// `cargo test` of the workspace's default members (the host-buildable crates).
fn host_tests() -> Result<()> {
    steps::run(cargo().arg("test"))
}

/// The loom models: the ring's sleep/wake and space-free handshakes and the index arithmetic
/// on the real producer and consumer, plus deliberately weakened variants the model must
/// reject (so the model can fail). Built with `--cfg loom` in its own target directory, so
/// it does not invalidate the normal build.
fn loom() -> Result<()> {
    let mut cmd = cargo();
    cmd.args(["test", "-p", "evshare-ring", "--release", "--test", "loom"])
        .env("RUSTFLAGS", "--cfg loom")
        .env("CARGO_TARGET_DIR", paths::target_dir().join("loom"));
    steps::run(&mut cmd)
}

/// km's pending-IRP queue on mock IRPs (`crates/km/tests/loom_pending.rs`): two parks at the
/// limits, cancel vs take vs close; the old check-then-insert park is a weakened variant the
/// model must reject.
fn loom_pending() -> Result<()> {
    loom_km("loom_pending", None)
}

/// One of km's loom models (`crates/km/tests/NAME.rs`), with the ring's flags and target
/// directory, and a preemption bound when the model needs one to finish in seconds.
fn loom_km(test: &str, max_preemptions: Option<&str>) -> Result<()> {
    let mut cmd = cargo();
    cmd.args(["test", "-p", "evshare-km", "--release", "--test", test])
        .env("RUSTFLAGS", "--cfg loom")
        .env("CARGO_TARGET_DIR", paths::target_dir().join("loom"));
    if let Some(bound) = max_preemptions {
        cmd.env("LOOM_MAX_PREEMPTIONS", bound);
    }
    steps::run(&mut cmd)
}

/// Timer DPC vs unregister (and a SET_MODE racing it) over a mock kernel timer with Windows'
/// semantics, plus a kernel without the flush that the model must reject. Unbounded, its spin
/// loops make the search run for many minutes; four preemptions per execution cover every
/// interleaving of the races in about 10 s.
fn loom_timer() -> Result<()> {
    loom_km("loom_timer", Some("4"))
}

/// The unload rundown (`crates/km/tests/loom_rundown.rs`): requests, closes and unload in every
/// interleaving over a model of Wine's `IO_REMOVE_LOCK`, and the kernel lock alone, which the
/// model must reject.
fn loom_rundown() -> Result<()> {
    loom_km("loom_rundown", None)
}

/// A handle's inverted call as a channel subscriber (`crates/kernel/tests/loom_channel_inbox.rs`,
/// the library's inbox over km's queue and mock IRPs): publication vs `PEND_NOTIFICATION`, vs a
/// second publication, vs a cancel; a pend that parks after releasing the backlog is the
/// weakened variant the model must reject.
fn loom_channel_inbox() -> Result<()> {
    let mut cmd = cargo();
    cmd.args([
        "test",
        "-p",
        "evshare-kernel",
        "--release",
        "--test",
        "loom_channel_inbox",
    ])
    .env("RUSTFLAGS", "--cfg loom")
    .env("CARGO_TARGET_DIR", paths::target_dir().join("loom"));
    steps::run(&mut cmd)
}

/// Links the driver-side entry points of `evshare-protocol` and `evshare-ring`, then the whole
/// driver image and the C sample with the C API's library, with a panic handler that cannot
/// link: success proves nothing in them can panic (in the driver a panic is a bugcheck). Each
/// crate keeps its check in `no-panic-check/run.sh`; the driver's and the C API's are their
/// `no-panic-check` features.
fn no_panic_checks() -> Result<()> {
    for krate in ["protocol", "ring"] {
        let script = paths::repo_root().join(format!("crates/{krate}/no-panic-check/run.sh"));
        let mut cmd = std::process::Command::new("bash");
        cmd.arg(&script)
            .env("CARGO_TARGET_DIR", paths::target_dir());
        steps::run(&mut cmd).with_context(|| format!("the no-panic check of {krate} failed"))?;
    }
    // The whole image: evshare.sys as shipped and as the verifier build, linked with a panic
    // handler that references a symbol nowhere defined (`crates/driver/src/lib.rs`).
    let shipped: &[&str] = &[];
    for features in std::iter::once(shipped).chain(VARIANTS.iter().map(|v| v.features)) {
        let mut all = vec!["no-panic-check"];
        all.extend_from_slice(features);
        steps::run(
            cargo()
                .args(["build", "-p", "evshare-driver", "--target", DRIVER_TARGET])
                .args(["--profile", building::DRIVER_PROFILE, "--features"])
                .arg(all.join(","))
                // Its own directory, so the images the other steps install are never this one.
                .env(
                    "CARGO_TARGET_DIR",
                    paths::target_dir().join("no-panic-check"),
                ),
        )
        .with_context(|| {
            format!(
                "a panic path is left in evshare.sys (features: {}): find it with a /MAP build \
                 and the callers of core::panicking",
                all.join(", ")
            )
        })?;
    }
    // What a C driver links: the C API's library, linked into the C sample.
    sample_c::no_panic_check()
}

/// The name of the step that stops the C sample and reads its log.
const SAMPLE_STOP_STEP: &str = "C sample: stop, check its log";

/// The C API's static library, for the target that links it (its own crate type and target,
/// so not in the driver's clippy run), as shipped and with each variant's features.
fn clippy_kernel_c() -> Result<()> {
    let shipped: &[&str] = &[];
    for features in std::iter::once(shipped).chain(VARIANTS.iter().map(|v| v.features)) {
        let mut cmd = cargo();
        cmd.args(["clippy", "--target", USER_TARGET]).args([
            "--profile",
            building::DRIVER_PROFILE,
            "-p",
            "evshare-kernel-c",
        ]);
        if !features.is_empty() {
            cmd.arg("--features").arg(features.join(","));
        }
        steps::run(cmd.args(["--", "-D", "warnings"]))?;
    }
    Ok(())
}

fn clippy_host() -> Result<()> {
    steps::run(cargo().args(["clippy", "--all-targets", "--", "-D", "warnings"]))
}

/// The driver, the sample host, the library they host and km, as shipped and with each
/// variant's features (code behind a feature is linted too).
fn clippy_driver() -> Result<()> {
    let shipped: &[&str] = &[];
    for features in std::iter::once(shipped).chain(VARIANTS.iter().map(|v| v.features)) {
        let mut cmd = cargo();
        cmd.args(["clippy", "--target", DRIVER_TARGET, "--profile", "driver"])
            .args([
                "-p",
                "evshare-driver",
                "-p",
                "evshare-sample-rust",
                "-p",
                "evshare-kernel",
                "-p",
                "evshare-km",
            ]);
        if !features.is_empty() {
            // The drivers' features (the library's and km's are forwarded by the drivers').
            let named: Vec<String> = features
                .iter()
                .flat_map(|feature| {
                    ["evshare-driver", "evshare-sample-rust"]
                        .map(|package| format!("{package}/{feature}"))
                })
                .collect();
            cmd.arg("--features").arg(named.join(","));
        }
        steps::run(cmd.args(["--", "-D", "warnings"]))?;
    }
    Ok(())
}

/// The API docs of each library, for the target it runs on, with warnings (broken links
/// among them) as errors: the host crates on the host, km and the library (with every
/// feature) for Windows' kernel target, the client for the apps' target.
fn docs() -> Result<()> {
    let runs: [&[&str]; 3] = [
        // km's pure parts build on the host too (host tests, loom): their docs as well.
        &[
            "-p",
            "evshare-ntstatus",
            "-p",
            "evshare-protocol",
            "-p",
            "evshare-ring",
            "-p",
            "evshare-km",
        ],
        &[
            "-p",
            "evshare-km",
            "-p",
            "evshare-kernel",
            "--target",
            DRIVER_TARGET,
            "--features",
            "verifier,windows-branches",
        ],
        &["-p", "evshare", "--target", USER_TARGET],
    ];
    for args in runs {
        steps::run(
            cargo()
                .args(["doc", "--no-deps"])
                .args(args)
                .env("RUSTDOCFLAGS", "-D warnings"),
        )?;
    }
    Ok(())
}

fn clippy_user() -> Result<()> {
    steps::run(cargo().args([
        "clippy",
        "--target",
        USER_TARGET,
        "-p",
        "evshare",
        "-p",
        "evshare-cli",
        "-p",
        "evshare-bench",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

/// The client library's and the CLI's tests, run under Wine by cargo's runner
/// (`tools/wine-run`), against the driver the harness installed (`EVSHARE_E2E=1` tells them so).
fn e2e_tests(wine: &Wine) -> Result<()> {
    steps::run(&mut e2e_command(wine))
}

/// The name of a variant's e2e step in the table.
fn variant_step(variant: &Variant) -> String {
    format!("e2e tests under Wine: variant {}", variant.name)
}

/// The whole e2e suite (the same command as [`e2e_tests`]) against `variant`'s image, installed
/// in place of the shipped one; the shipped image is installed and started again afterwards,
/// also when the suite failed, so the steps after this one find it as before.
///
/// A variant with the `verifier` feature also goes through [`verifier_phase`] before the
/// shipped image comes back.
fn variant_e2e_tests(variant: &Variant, service: &DriverService, wine: &Wine) -> Result<()> {
    service.replace_with(&variant.image(), variant.features)?;
    let tested = steps::run(&mut e2e_command(wine))
        .with_context(|| format!("the e2e suite failed against variant {}", variant.name))
        .and_then(|()| {
            if variant.features.contains(&"verifier") {
                verifier_phase(variant, service, wine)
            } else {
                Ok(())
            }
        });
    steps::note("restoring the shipped image");
    let restored = service.replace_with(&paths::dist_driver(), &[]);
    tested.and(restored)
}

/// The verifier build after the e2e suite: fault injection, then a restart whose unload
/// summaries (one per load, the e2e suite restarts the driver) must all report zero
/// violations; then, on that fresh load, each check provoked once, and a restart after which
/// the summary must show each check fired exactly once.
fn verifier_phase(variant: &Variant, service: &DriverService, wine: &Wine) -> Result<()> {
    steps::heading("verifier build: fault injection");
    steps::run(&mut verifier::ignored_e2e(wine, verifier::FAULT_TEST))?;
    steps::heading("verifier build: every load unloaded with 0 violations");
    service.replace_with(&variant.image(), variant.features)?;
    verifier::require_clean_unload()?;
    steps::heading("verifier build: each check fires when provoked");
    steps::run(&mut verifier::ignored_e2e(wine, verifier::PROVOKE_TEST))?;
    service.stop()?;
    let fired = verifier::require_each_check_fired();
    service.install_and_start().and(fired)
}

/// The soak tests: the client's `#[ignore]`d tests whose names contain `soak` (ignored so that
/// a plain run reports them as ignored, not passed), run with `EVSHARE_SOAK=1`.
fn soak_tests(wine: &Wine) -> Result<()> {
    let mut cmd = e2e_command(wine);
    cmd.args(["--ignored", "soak"]).env("EVSHARE_SOAK", "1");
    steps::run(&mut cmd)
}

fn e2e_command(wine: &Wine) -> std::process::Command {
    // --show-output: tests that report figures (the live fuzzer: requests sent, statuses seen,
    // leaks) print them even when they pass.
    e2e_command_for(
        wine,
        &["-p", "evshare", "-p", "evshare-cli"],
        &["--test-threads=1", "--show-output"],
    )
}

/// `cargo test` for Windows, of the tests `selection` picks, run under Wine against the
/// installed driver, with `test_args` for the test binaries.
pub(crate) fn e2e_command_for(
    wine: &Wine,
    selection: &[&str],
    test_args: &[&str],
) -> std::process::Command {
    let mut cmd = cargo();
    cmd.args(["test", "--target", USER_TARGET])
        .args(selection)
        .arg("--")
        .args(test_args)
        .env("WINEPREFIX", &wine.prefix)
        .env("EVSHARE_E2E", "1");
    cmd
}

/// Every example of the client crate (the programs a driver writer copies), run under Wine
/// against the installed driver; each must exit 0.
fn examples(wine: &Wine) -> Result<()> {
    let dir = paths::repo_root().join("crates/client/examples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let path = entry.path();
            (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(str::to_owned))?
        })
        .collect();
    names.sort();
    if names.is_empty() {
        bail!("no examples found in {}", dir.display());
    }
    for name in &names {
        let mut cmd = cargo();
        cmd.args([
            "run",
            "--quiet",
            "--target",
            USER_TARGET,
            "-p",
            "evshare",
            "--example",
        ])
        .arg(name)
        .env("WINEPREFIX", &wine.prefix)
        .env("EVSHARE_E2E", "1");
        steps::run(&mut cmd).with_context(|| format!("example `{name}` failed"))?;
    }
    eprintln!(
        "    {} examples ran and exited 0: {}",
        names.len(),
        names.join(", ")
    );
    Ok(())
}
