//! Driver variants: `evshare.sys` built with extra cargo features into an image of its own, which
//! `cargo xtask test` installs in place of the shipped image for one more run of the whole e2e
//! suite, then puts the shipped image back.
//!
//! Each variant builds in its own cargo target directory (`target/variants/<name>/`), so the
//! shipped image and every variant stay up to date side by side: switching between them never
//! rebuilds the other, and a variant can never be copied to `target/evshare/evshare.sys`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::building::{self, cargo};
use crate::paths::{self, DRIVER_TARGET};
use crate::{pe_lint, steps};

/// A build of the driver with extra cargo features of `evshare-driver`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// Names its directories and its steps in the suite's table.
    pub name: &'static str,
    /// The features of `evshare-driver` it is built with (each also listed in
    /// `crates/driver/src/features.rs`, whose load-time log line the harness checks).
    pub features: &'static [&'static str],
}

/// The variants `cargo xtask test` builds, lints and runs the e2e suite against, in this order.
/// One line adds a variant; a feature added to a variant's list is built and checked with it.
pub const VARIANTS: &[Variant] = &[
    // The verifier build (crates/km/src/verifier.rs), with, under Wine, the Windows side of
    // every host switch Wine runs correctly (crates/km/src/host_switch.rs): the checks then
    // cover the code Windows runs wherever Wine can run it.
    Variant {
        name: "verifier",
        features: &["verifier", "windows-branches"],
    },
];

/// The variant called `name`, or an error listing the known ones.
pub fn named(name: &str) -> Result<Variant> {
    VARIANTS
        .iter()
        .copied()
        .find(|variant| variant.name == name)
        .with_context(|| {
            let known: Vec<&str> = VARIANTS.iter().map(|variant| variant.name).collect();
            format!("no driver variant `{name}` (known: {})", known.join(", "))
        })
}

impl Variant {
    /// Where its image goes: `target/evshare/variants/<name>/evshare.sys`.
    pub fn image(&self) -> PathBuf {
        paths::dist_dir()
            .join("variants")
            .join(self.name)
            .join("evshare.sys")
    }

    /// Its own cargo target directory: `target/variants/<name>/` (the sample host's build of
    /// the variant shares it).
    pub(crate) fn target_dir(&self) -> PathBuf {
        paths::target_dir().join("variants").join(self.name)
    }

    /// Builds the driver with the variant's features (`driver` profile, own target directory),
    /// copies the image to [`Variant::image`] and lints it like the shipped one.
    pub fn build(&self) -> Result<()> {
        if self.features.is_empty() {
            bail!(
                "driver variant `{}` has no features: it would be the shipped image",
                self.name
            );
        }
        steps::heading(&format!(
            "build the driver variant `{}` (features: {})",
            self.name,
            self.features.join(", ")
        ));
        let target_dir = self.target_dir();
        let mut cmd = cargo();
        cmd.args(["build", "-p", "evshare-driver", "--target", DRIVER_TARGET])
            .args(["--profile", building::DRIVER_PROFILE])
            .arg("--features")
            .arg(self.features.join(","))
            .env("CARGO_TARGET_DIR", &target_dir);
        steps::run(&mut cmd)?;
        let built = target_dir
            .join(DRIVER_TARGET)
            .join(building::DRIVER_PROFILE)
            .join("evshare.dll");
        building::copy(&built, &self.image())?;
        pe_lint::run(&self.image())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_are_named_once_and_differ_from_the_shipped_image() {
        for (i, variant) in VARIANTS.iter().enumerate() {
            assert!(!variant.features.is_empty(), "{}", variant.name);
            assert!(
                VARIANTS[i + 1..]
                    .iter()
                    .all(|other| other.name != variant.name),
                "{} is listed twice",
                variant.name
            );
            assert_ne!(variant.image(), paths::dist_driver());
            assert_eq!(named(variant.name).unwrap(), *variant);
        }
        assert!(named("no-such-variant").is_err());
    }
}
