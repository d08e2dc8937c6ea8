//! The cargo features this library was built with, logged by `evshare_driver_init` so that
//! whoever installed a C driver can tell which build of evshare it links (`cargo xtask
//! sample-c` and `cargo xtask test` check the line after installing each build of the C
//! sample: none for the shipped one).

use core::fmt;
use evshare_km::log::FeatureList;

/// Every feature of this crate, and whether this build has it. A feature added to
/// `Cargo.toml` gets its line here.
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
