//! The cargo features this image was built with, logged once at load so that whoever installed
//! an image can tell which build runs (`cargo xtask test` checks the line after installing each
//! driver variant, and that the shipped image has none).

use core::fmt;
use evshare_km::log::FeatureList;

/// Every feature of this crate, and whether this image has it. A feature added to `Cargo.toml`
/// gets its line here.
const FEATURES: &[(&str, bool)] = &[
    ("verifier", cfg!(feature = "verifier")),
    ("windows-branches", cfg!(feature = "windows-branches")),
    ("no-panic-check", cfg!(feature = "no-panic-check")),
];

/// The enabled features, comma-separated, or `none`.
pub struct Enabled;

impl fmt::Display for Enabled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        FeatureList(FEATURES).fmt(f)
    }
}
