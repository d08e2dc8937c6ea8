//! `samples/rust-host`: the sample Rust driver that embeds evshare, built and linted like
//! evshare.sys, and installed under Wine as a second kernel-driver service next to it (with
//! `sc`, as the C repro is: the evshare CLI manages evshare's own service only). Its e2e tests
//! are `crates/client/tests/e2e_sample_rust.rs`, `e2e_sample_loss.rs`,
//! `e2e_channel_inverted.rs` and `e2e_sample_instances.rs` ([`E2E_TESTS`]).

use std::path::PathBuf;

use anyhow::{bail, Result};

use crate::building::{self, cargo, DRIVER_PROFILE};
use crate::driver_service::{
    require_features, require_fence_device, require_seh_self_test, session_log,
};
use crate::paths::{self, DRIVER_TARGET};
use crate::variants::Variant;
use crate::wine::{self, Wine};
use crate::{pe_lint, steps, test_suite, verifier};

/// Its cargo package.
const PACKAGE: &str = "evshare-sample-rust";
/// The image cargo builds (the cdylib `evshare_sample_rust`).
const BUILT: &str = "evshare_sample_rust.dll";
/// Its service name in the prefix.
pub const SERVICE: &str = "evsharesamplerust";
/// What its log lines start with (its km `Identity`).
const LOG_PREFIX: &str = "evshare-sample-rust";
/// Its e2e tests (test targets of the `evshare` crate): what it serves; loss and release under
/// bursts, kills and closes; the channels' inverted call (IRPs completed from its DPC, which a
/// verifier build of the sample checks); and its two devices' two instances, each request
/// routed to its device's.
const E2E_TESTS: [&str; 4] = [
    "e2e_sample_rust",
    "e2e_sample_loss",
    "e2e_channel_inverted",
    "e2e_sample_instances",
];

/// A build of the sample: the shipped one, or with a driver variant's features.
#[derive(Debug, Clone, Copy)]
pub struct SampleBuild {
    /// `None` for the shipped image.
    pub variant: Option<Variant>,
}

impl SampleBuild {
    /// The shipped image.
    pub const SHIPPED: SampleBuild = SampleBuild { variant: None };

    /// The features it is built with.
    pub fn features(&self) -> &'static [&'static str] {
        self.variant.map_or(&[], |variant| variant.features)
    }

    /// Where its image goes: `target/evshare/samples/evshare_sample_rust.sys`, or under
    /// `variants/<name>/` for a variant.
    pub fn image(&self) -> PathBuf {
        let dir = match self.variant {
            None => paths::dist_dir().join("samples"),
            Some(variant) => paths::dist_dir()
                .join("variants")
                .join(variant.name)
                .join("samples"),
        };
        dir.join("evshare_sample_rust.sys")
    }

    /// Builds it (`driver` profile; a variant in that variant's own target directory, which
    /// it shares with evshare.sys's variant, so km and the library are built once for both),
    /// copies the image to [`SampleBuild::image`] and lints it like evshare.sys.
    pub fn build(&self) -> Result<()> {
        steps::heading(&format!(
            "build the sample host (samples/rust-host), features: {}",
            listed(self.features())
        ));
        let target_dir = self
            .variant
            .map_or_else(paths::target_dir, |variant| variant.target_dir());
        let mut cmd = cargo();
        cmd.args(["build", "-p", PACKAGE, "--target", DRIVER_TARGET])
            .args(["--profile", DRIVER_PROFILE])
            .env("CARGO_TARGET_DIR", &target_dir);
        if !self.features().is_empty() {
            cmd.arg("--features").arg(self.features().join(","));
        }
        steps::run(&mut cmd)?;
        let built = target_dir
            .join(DRIVER_TARGET)
            .join(DRIVER_PROFILE)
            .join(BUILT);
        building::copy(&built, &self.image())?;
        pe_lint::run(&self.image())
    }

    /// Installs it as the service [`SERVICE`] (replacing whatever image that service had) and
    /// starts it; fails unless the service manager reports it running, its SEH self-test
    /// passed and it logged its own features. Needs the persistent wineserver.
    pub fn install(&self, wine: &Wine) -> Result<()> {
        let image = self.image();
        if !image.is_file() {
            bail!(
                "{} is missing: build it first (`cargo xtask sample`)",
                image.display()
            );
        }
        let bin_path = wine::windows_path(&image);
        // A service left by an earlier run, or another build of the sample, is replaced.
        stop_quietly(wine);
        let _ = sc(wine, &["delete", SERVICE]);
        sc(
            wine,
            &[
                "create", SERVICE, "type=", "kernel", "start=", "demand", "binpath=", &bin_path,
            ],
        )?;
        let earlier = session_log().len();
        let started = sc(wine, &["start", SERVICE])?;
        if !started.contains("RUNNING") {
            bail!("the sample host did not start (WINEDEBUG=+ntoskrnl,+seh,+module shows why a load fails):\n{started}");
        }
        steps::note(&format!("the service manager reports {SERVICE} RUNNING"));
        let log = session_log();
        let this_load = String::from_utf8_lossy(log.get(earlier..).unwrap_or_default());
        require_seh_self_test(&this_load, LOG_PREFIX)?;
        // A second km driver in the session: its fence device must not collide with evshare's.
        require_fence_device(&this_load, LOG_PREFIX)?;
        require_features(&this_load, LOG_PREFIX, self.features())
    }
}

/// The features as the log prints them.
fn listed(features: &[&str]) -> String {
    if features.is_empty() {
        "none".to_string()
    } else {
        features.join(", ")
    }
}

/// `sc ARGS…` under Wine; its standard output.
fn sc(wine: &Wine, args: &[&str]) -> Result<String> {
    let mut cmd = wine.run_command("sc");
    cmd.args(args);
    let output = steps::captured(&mut cmd, "asking the service manager")?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn stop_quietly(wine: &Wine) {
    let _ = sc(wine, &["stop", SERVICE]);
}

/// Stops the sample (its `DriverUnload` runs) and removes its service.
pub fn uninstall(wine: &Wine) -> Result<()> {
    let stopped = sc(wine, &["stop", SERVICE])?;
    let _ = sc(wine, &["delete", SERVICE]);
    if stopped.contains("FAILED") {
        bail!("stopping {SERVICE}: {stopped}");
    }
    Ok(())
}

/// The sample's e2e tests under Wine, against the installed drivers.
pub fn e2e(wine: &Wine) -> Result<()> {
    let mut selection = vec!["-p", "evshare"];
    for test in E2E_TESTS {
        selection.extend(["--test", test]);
    }
    steps::run(&mut test_suite::e2e_command_for(
        wine,
        &selection,
        &["--test-threads=1", "--show-output"],
    ))
}

/// The sample built with `variant`'s features in place of the shipped one, its e2e tests run
/// against it, then the shipped sample installed again (also when the test failed). A
/// verifier build must then have logged an unload summary with zero violations.
pub fn variant_e2e(variant: Variant, wine: &Wine) -> Result<()> {
    let build = SampleBuild {
        variant: Some(variant),
    };
    let earlier = session_log().len();
    let tested = build.install(wine).and_then(|()| e2e(wine));
    steps::note("restoring the shipped sample");
    // Stopping the variant runs its DriverUnload, which logs the verifier's summary.
    let restored = SampleBuild::SHIPPED.install(wine);
    let clean = if variant.features.contains(&"verifier") {
        let log = session_log();
        require_clean_unload(
            &String::from_utf8_lossy(log.get(earlier..).unwrap_or_default()),
            LOG_PREFIX,
        )
    } else {
        Ok(())
    };
    tested.and(restored).and(clean)
}

/// Fails unless `log` (the session log since a sample's verifier build was installed) holds
/// the unload summary of the driver whose log prefix is `prefix`, with zero violations. Skipped,
/// with a warning, when the caller's `WINEDEBUG` may hide the line. The C sample's verifier
/// build is judged by it too.
pub(crate) fn require_clean_unload(log: &str, prefix: &str) -> Result<()> {
    let marker = format!("{prefix}: VERIFIER: unload summary:");
    let ours: String = log
        .lines()
        .filter(|line| line.contains(prefix))
        .map(|line| format!("{line}\n"))
        .collect();
    match verifier::summary(&ours) {
        Some(summary) if ours.contains(&marker) => {
            steps::note(&summary.line);
            if summary.violations != 0 || !summary.violation_lines.is_empty() {
                bail!(
                    "the sample's verifier build unloaded with violations: {}\n{}",
                    summary.line,
                    summary.violation_lines.join("\n")
                );
            }
            Ok(())
        }
        _ if wine::session_debug_overridden() => {
            steps::warn("no sample verifier summary in the session log (WINEDEBUG is set)");
            Ok(())
        }
        _ => bail!("the sample's verifier build logged no unload summary"),
    }
}

/// `cargo xtask sample`: build and lint the sample, install it next to the running evshare.sys.
pub fn build_and_install(variant: Option<Variant>) -> Result<()> {
    let build = SampleBuild { variant };
    build.build()?;
    let wine = Wine::locate()?;
    wine.require_prefix()?;
    steps::heading("install + start the sample host");
    build.install(&wine)?;
    steps::note(&format!(
        "{SERVICE} runs next to evshare.sys: \\\\.\\EvshareSampleRust and \\\\.\\EvshareSampleRust2; \
         `cargo xtask stop` stops both"
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first ```rust block after `heading` in `text`.
    fn rust_block_after<'t>(text: &'t str, heading: &str) -> Option<&'t str> {
        let (_, after) = text.split_once(heading)?;
        let (_, block) = after.split_once("```rust\n")?;
        Some(block.split_once("```")?.0)
    }

    /// The README's "Use evshare in your driver" snippet is the sample's compiled code: each
    /// fragment (between `// …` lines) appears verbatim in `samples/rust-host/src/lib.rs`.
    #[test]
    fn the_readme_snippet_is_the_samples_code() {
        let root = paths::repo_root();
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let source = std::fs::read_to_string(root.join("samples/rust-host/src/lib.rs")).unwrap();
        let snippet = rust_block_after(&readme, "## Use evshare in your driver").unwrap();
        let mut fragments = 0;
        for fragment in snippet.split("// …\n") {
            let fragment = fragment.trim_matches('\n');
            assert!(!fragment.is_empty(), "an empty fragment in the snippet");
            assert!(
                source.contains(fragment),
                "the README's fragment is not in samples/rust-host/src/lib.rs:\n{fragment}"
            );
            fragments += 1;
        }
        assert!(fragments >= 3, "{fragments} fragments");
    }

    #[test]
    fn a_changed_fragment_is_caught() {
        let text = "## Use evshare in your driver\n```rust\nfn a() {}\n// …\nfn b() {}\n```\n";
        let block = rust_block_after(text, "## Use evshare in your driver").unwrap();
        let parts: Vec<&str> = block
            .split("// …\n")
            .map(|f| f.trim_matches('\n'))
            .collect();
        assert_eq!(parts, ["fn a() {}", "fn b() {}"]);
        assert!(!"fn a() {}\nfn c() {}".contains(parts[1]));
    }

    #[test]
    fn sample_images_never_replace_evshare_sys() {
        assert_ne!(SampleBuild::SHIPPED.image(), paths::dist_driver());
        for variant in crate::variants::VARIANTS {
            let build = SampleBuild {
                variant: Some(*variant),
            };
            assert_ne!(build.image(), variant.image());
            assert_ne!(build.image(), SampleBuild::SHIPPED.image());
            assert_eq!(build.features(), variant.features);
        }
        assert!(SampleBuild::SHIPPED.features().is_empty());
    }
}
