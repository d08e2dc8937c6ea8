//! `samples/c-host`: a WDM driver written in C that embeds evshare through its C API
//! (`crates/kernel-c`), built with mingw-w64 against the DDK headers and the static library,
//! linted like evshare.sys, and installed under Wine as its own kernel-driver service next to
//! it. The client's `e2e_sample_c` test talks to it (the suite's e2e step runs it); its log
//! shows its prefix, its ticks and a clean unload. A second image links the library built with
//! a driver variant's features (the verifier build): the same test runs against it, and its
//! unload summary must report no violation.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::building::{cargo, DRIVER_PROFILE};
use crate::driver_service::require_features;
use crate::paths::{self, MINGW_GCC, USER_TARGET};
use crate::variants::{Variant, VARIANTS};
use crate::wine::{self, Wine};
use crate::{kernel_service, pe_lint, sample_host, steps};

/// The sample's service name.
pub const SERVICE: &str = "evsharesamplec";
/// The sample's log prefix (its `evshare_driver_init` argument).
const LOG_PREFIX: &str = "evshare-sample-c";
/// What every line the sample (and evshare inside it) logs starts with.
const PREFIX: &str = "evshare-sample-c: ";
/// The Rust target the static library is built for: mingw-w64's, which links it.
const LIBRARY_TARGET: &str = USER_TARGET;

fn source() -> PathBuf {
    paths::repo_root().join("samples/c-host/driver.c")
}

/// A build of the C sample: linked with the shipped library, or with the library built with a
/// driver variant's features.
#[derive(Debug, Clone, Copy)]
pub struct Build {
    /// `None` for the shipped image.
    pub variant: Option<Variant>,
}

impl Build {
    /// The shipped image.
    pub const SHIPPED: Build = Build { variant: None };

    /// The features of `evshare-kernel-c` it links.
    pub fn features(&self) -> &'static [&'static str] {
        self.variant.map_or(&[], |variant| variant.features)
    }

    /// Its image: `target/sample-c/evshare-sample-c.sys`, or under `variants/<name>/`.
    pub fn image(&self) -> PathBuf {
        let dir = paths::target_dir().join("sample-c");
        let dir = match self.variant {
            None => dir,
            Some(variant) => dir.join("variants").join(variant.name),
        };
        dir.join("evshare-sample-c.sys")
    }

    /// Builds `libevshare_kernel_c.a` (the `driver` profile: `panic = "abort"`; a variant in
    /// that variant's own target directory) and the sample against it and the header, with
    /// every gcc warning an error; then lints the image with evshare.sys's rules (its SEH
    /// frame comes from the library).
    pub fn build_and_lint(&self) -> Result<()> {
        let target_dir = self
            .variant
            .map_or_else(paths::target_dir, |variant| variant.target_dir());
        let library_dir = build_library(self.features(), &target_dir)?;
        let out = self.image();
        link(&library_dir, &out)?;
        pe_lint::run(&out)
    }
}

/// Builds `libevshare_kernel_c.a` with `features` in `target_dir`; returns its directory.
fn build_library(features: &[&str], target_dir: &Path) -> Result<PathBuf> {
    steps::heading(&format!(
        "build libevshare_kernel_c.a (crates/kernel-c), features: {}",
        listed(features)
    ));
    let mut library = cargo();
    library
        .args([
            "build",
            "-p",
            "evshare-kernel-c",
            "--target",
            LIBRARY_TARGET,
        ])
        .args(["--profile", DRIVER_PROFILE])
        .env("CARGO_TARGET_DIR", target_dir);
    if !features.is_empty() {
        library.arg("--features").arg(features.join(","));
    }
    steps::run(&mut library)?;
    Ok(target_dir.join(LIBRARY_TARGET).join(DRIVER_PROFILE))
}

/// Compiles `driver.c` and links it with the library in `library_dir` into `out`.
fn link(library_dir: &Path, out: &Path) -> Result<()> {
    steps::heading("build evshare-sample-c.sys (samples/c-host)");
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut gcc = Command::new(MINGW_GCC);
    gcc.args(["-O2", "-Wall", "-Wextra", "-Werror"])
        .arg("-I/usr/x86_64-w64-mingw32/include/ddk")
        .arg(format!(
            "-I{}",
            paths::repo_root().join("crates/kernel-c/include").display()
        ))
        .args(["-shared", "-nostdlib", "-nostartfiles"])
        .args(["-Wl,--subsystem,native", "-Wl,--entry,DriverEntry", "-s"])
        .arg("-o")
        .arg(out)
        .arg(source())
        .arg(format!("-L{}", library_dir.display()))
        // The library first (it needs ntoskrnl's imports; its own import table for them is
        // inside it), then ntoskrnl for the sample's, then libgcc for ___chkstk_ms.
        .args(["-levshare_kernel_c", "-lntoskrnl", "-lgcc"]);
    steps::run(&mut gcc)?;
    steps::note(&format!("-> {}", out.display()));
    Ok(())
}

/// The no-panic check of the C API (a step of `cargo xtask test`): the library built with its
/// `no-panic-check` feature (a panic handler that calls a symbol defined nowhere), as shipped
/// and with each variant's features, in `target/no-panic-check/`, and the sample linked
/// against it there (never installed). The link succeeds only if no panic path is left in
/// what a C driver links.
pub fn no_panic_check() -> Result<()> {
    let target_dir = paths::target_dir().join("no-panic-check");
    let shipped: &[&str] = &[];
    for features in std::iter::once(shipped).chain(VARIANTS.iter().map(|v| v.features)) {
        let mut all = vec!["no-panic-check"];
        all.extend_from_slice(features);
        let library_dir = build_library(&all, &target_dir)?;
        let out = target_dir
            .join("sample-c")
            .join(all.join("+"))
            .join("evshare-sample-c.sys");
        link(&library_dir, &out).with_context(|| {
            format!(
                "a panic path is left in libevshare_kernel_c.a (features: {}): the link \
                 names the object that calls evshare_kernel_c_panic_path_is_reachable",
                all.join(", ")
            )
        })?;
    }
    Ok(())
}

/// The features as the log prints them.
fn listed(features: &[&str]) -> String {
    if features.is_empty() {
        "none".to_string()
    } else {
        features.join(", ")
    }
}

/// The shipped sample's build and lint (a step of `cargo xtask test`).
pub fn build_and_lint() -> Result<()> {
    Build::SHIPPED.build_and_lint()
}

/// A build of the sample that runs, and where the session log stood when it was installed:
/// its lines come after.
#[derive(Debug, Clone, Copy)]
pub struct Installed {
    build: Build,
    log_from: usize,
}

/// Installs and starts `build` of the sample as its own service (replacing whatever image the
/// service had), and checks its load in the log: its SEH self-test, its device, the features
/// of the library it links.
pub fn install(wine: &Wine, build: Build) -> Result<Installed> {
    let image = build.image();
    if !image.is_file() {
        bail!("{} is missing: build it first", image.display());
    }
    let log_from = session_log().len();
    kernel_service::install_and_start(wine, SERVICE, &image)?;
    let log = session_log();
    let this_load = String::from_utf8_lossy(log.get(log_from..).unwrap_or_default());
    for expected in [
        "evshare-sample-c: SEH self-test passed",
        "evshare-sample-c: loaded: \\Device\\EvshareSampleC",
    ] {
        match this_load.lines().find(|line| line.contains(expected)) {
            Some(line) => steps::note(&format!("driver log: {}", line.trim())),
            None => not_logged(expected)?,
        }
    }
    require_features(&this_load, LOG_PREFIX, build.features())?;
    Ok(Installed { build, log_from })
}

/// Stops the sample (its `DriverUnload` cancels the timer and unloads the instance) and
/// checks its log: its prefix on every line of its own, ticks published, a clean unload, and
/// for a verifier build an unload summary with zero violations.
pub fn stop_and_check(wine: &Wine, installed: Installed) -> Result<()> {
    let stopped = kernel_service::stop(wine, SERVICE);
    kernel_service::remove(wine, SERVICE);
    stopped?;
    let log = session_log();
    let text = String::from_utf8_lossy(log.get(installed.log_from..).unwrap_or_default());
    let Some(unload) = unload_line(&text) else {
        return not_logged("evshare-sample-c: unloaded after N ticks");
    };
    steps::note(&format!(
        "driver log: {} ticks published on both channels, {} publishes failed",
        unload.ticks, unload.failed
    ));
    if unload.ticks == 0 || unload.failed != 0 {
        bail!("the sample's timer published badly: {unload:?}");
    }
    let published = text
        .lines()
        .filter(|line| line.contains("evshare-sample-c: published tick"))
        .count();
    if published == 0 {
        bail!(
            "the sample logged no `published tick` line in {} ticks",
            unload.ticks
        );
    }
    match text
        .lines()
        .find(|line| line.contains("evshare-sample-c: unloaded; released"))
    {
        Some(line) => steps::note(&format!("driver log: {}", line.trim())),
        None => bail!("the sample's evshare instance logged no unload"),
    }
    if installed.build.features().contains(&"verifier") {
        sample_host::require_clean_unload(&text, LOG_PREFIX)?;
    }
    Ok(())
}

/// The sample's e2e test under Wine, against the installed drivers.
fn e2e(wine: &Wine) -> Result<()> {
    steps::run(&mut crate::test_suite::e2e_command_for(
        wine,
        &["-p", "evshare", "--test", "e2e_sample_c"],
        &["--test-threads=1", "--show-output"],
    ))
}

/// The channels' inverted call against the C sample (`e2e_channel_inverted`'s C test): its
/// DPC completes the app's IRPs, which a verifier build checks at `DISPATCH_LEVEL`.
fn e2e_inverted(wine: &Wine) -> Result<()> {
    steps::run(&mut crate::test_suite::e2e_command_for(
        wine,
        &["-p", "evshare", "--test", "e2e_channel_inverted"],
        &[
            "the_c_samples_counter_reaches_an_inverted_call_in_order",
            "--exact",
            "--show-output",
        ],
    ))
}

/// The sample linked with `variant`'s build of the library in place of the shipped one: the
/// shipped sample in `shipped` (if any) stopped and its log checked, the variant installed,
/// `e2e_sample_c` and the C test of `e2e_channel_inverted` run against it, the variant stopped
/// and its log checked (a verifier build:
/// its unload summary must report zero violations), then the shipped sample installed again,
/// also when something failed; `shipped` is then that new load.
pub fn variant_e2e(wine: &Wine, variant: Variant, shipped: &mut Option<Installed>) -> Result<()> {
    let earlier = match shipped.take() {
        Some(installed) => stop_and_check(wine, installed),
        None => Ok(()),
    };
    let tested = install(
        wine,
        Build {
            variant: Some(variant),
        },
    )
    .and_then(|installed| {
        steps::heading(&format!(
            "the client's e2e_sample_c test against variant {}",
            variant.name
        ));
        let tested = e2e(wine).and_then(|()| e2e_inverted(wine));
        steps::heading(&format!("stop variant {}, check its log", variant.name));
        tested.and(stop_and_check(wine, installed))
    });
    steps::note("restoring the shipped C sample");
    let restored = install(wine, Build::SHIPPED).and_then(|installed| {
        *shipped = Some(installed);
        // Its stop is checked for ticks, and may come next: the timer runs first.
        first_tick(installed)
    });
    earlier.and(tested).and(restored)
}

/// Waits (up to 5 s; the first tick is due 0.5 s after the load) until the sample's log shows
/// its first tick published on both channels.
fn first_tick(installed: Installed) -> Result<()> {
    let marker = format!("{PREFIX}published tick 1 on both channels");
    for _ in 0..50 {
        let log = session_log();
        let text = String::from_utf8_lossy(log.get(installed.log_from..).unwrap_or_default());
        if let Some(line) = text.lines().find(|line| line.contains(&marker)) {
            steps::note(&format!("driver log: {}", line.trim()));
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    not_logged(&marker)
}

/// `cargo xtask sample-c`: builds and lints the sample (shipped, and linked with each
/// variant's library), installs the shipped one next to whatever runs, runs the client's
/// `e2e_sample_c` against it, then against each variant ([`variant_e2e`]), then stops it and
/// checks its log (also when a test failed).
pub fn run(wine: &Wine) -> Result<()> {
    Build::SHIPPED.build_and_lint()?;
    for variant in VARIANTS {
        Build {
            variant: Some(*variant),
        }
        .build_and_lint()?;
    }
    let mut installed = Some(install(wine, Build::SHIPPED)?);
    steps::heading("the client's e2e_sample_c test, under Wine");
    let mut tested = e2e(wine);
    for variant in VARIANTS {
        tested = tested.and(variant_e2e(wine, *variant, &mut installed));
    }
    steps::heading("stop the C sample, check its log");
    let checked = match installed {
        Some(installed) => stop_and_check(wine, installed),
        None => Ok(()),
    };
    tested.and(checked)
}

/// What the sample's unload line reports.
#[derive(Debug, PartialEq, Eq)]
struct Unload {
    ticks: u64,
    failed: u64,
}

/// The last `evshare-sample-c: unloaded after N ticks, M publishes failed` line.
fn unload_line(log: &str) -> Option<Unload> {
    let marker = format!("{PREFIX}unloaded after ");
    let line = log.lines().rev().find(|line| line.contains(&marker))?;
    let (_, rest) = line.split_once(&marker)?;
    let (ticks, rest) = rest.split_once(" ticks, ")?;
    let (failed, _) = rest.split_once(" publishes failed")?;
    Some(Unload {
        ticks: ticks.trim().parse().ok()?,
        failed: failed.trim().parse().ok()?,
    })
}

/// The session log's bytes so far (none if it cannot be read).
fn session_log() -> Vec<u8> {
    std::fs::read(wine::session_log()).unwrap_or_default()
}

/// A line the sample logs is missing: a warning when the caller's `WINEDEBUG` may hide it,
/// else a failure.
fn not_logged(what: &str) -> Result<()> {
    if wine::session_debug_overridden() {
        steps::warn(&format!(
            "no `{what}` line in the session log (WINEDEBUG is set: add warn+debugstr to see it)"
        ));
        return Ok(());
    }
    bail!(
        "no `{what}` line in {}: the sample did not log it",
        wine::session_log().display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What separates the fragments of the README's C snippet.
    const SEPARATOR: &str = "/* … */\n";

    /// The first ```c block after `heading` in `text`, cut into its fragments (between
    /// [`SEPARATOR`] lines), each without its leading and trailing newlines.
    fn c_fragments_after<'t>(text: &'t str, heading: &str) -> Option<Vec<&'t str>> {
        let (_, after) = text.split_once(heading)?;
        let (_, block) = after.split_once("```c\n")?;
        let (block, _) = block.split_once("```")?;
        Some(
            block
                .split(SEPARATOR)
                .map(|fragment| fragment.trim_matches('\n'))
                .collect(),
        )
    }

    /// The README's C snippet in "Use evshare in your driver" is the C sample's compiled code:
    /// each fragment appears verbatim in `samples/c-host/driver.c`.
    #[test]
    fn the_readme_c_snippet_is_the_samples_code() {
        let readme = std::fs::read_to_string(paths::repo_root().join("README.md")).unwrap();
        let driver = std::fs::read_to_string(source()).unwrap();
        let fragments = c_fragments_after(&readme, "## Use evshare in your driver")
            .expect("a ```c block in the README's \"Use evshare in your driver\"");
        for fragment in &fragments {
            assert!(!fragment.is_empty(), "an empty fragment in the C snippet");
            assert!(
                driver.contains(fragment),
                "the README's C fragment is not in samples/c-host/driver.c:\n{fragment}"
            );
        }
        // Configuration, DriverEntry, dispatch, the DPC's publish, unload: each shown.
        for call in [
            "EVSHARE_CONFIG",
            "evshare_driver_init",
            "evshare_instance_start",
            "evshare_dispatch",
            "evshare_publish",
            "evshare_instance_unload",
            "evshare_driver_unload",
        ] {
            assert!(
                fragments.iter().any(|fragment| fragment.contains(call)),
                "the C snippet leaves out {call}"
            );
        }
    }

    #[test]
    fn a_changed_c_fragment_is_caught() {
        let text = "## Use evshare in your driver\n```rust\nfn a() {}\n```\n```c\nint a;\n\
                    /* … */\n    f(a);\n```\n";
        let fragments = c_fragments_after(text, "## Use evshare in your driver").unwrap();
        assert_eq!(fragments, ["int a;", "    f(a);"]);
        let source = "int a;\nvoid g(void)\n{\n    f(b);\n}\n";
        assert!(source.contains(fragments[0]));
        assert!(!source.contains(fragments[1]), "f(b) is not f(a)");
    }

    #[test]
    fn the_last_unload_line_is_parsed() {
        let log = "0124:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000003: evshare-sample-c: unloaded after 7 ticks, 0 publishes failed\n\
                   noise\n\
                   0130:warn:debugstr:vDbgPrintExWithPrefix 0000004d:00000003: evshare-sample-c: unloaded after 12 ticks, 1 publishes failed\n";
        assert_eq!(
            unload_line(log),
            Some(Unload {
                ticks: 12,
                failed: 1
            })
        );
        assert_eq!(
            unload_line("evshare: unloaded after 3 ticks, 0 publishes failed"),
            None
        );
        assert_eq!(
            unload_line("evshare-sample-c: unloaded after x ticks, 0 publishes failed"),
            None
        );
    }
}
