//! The cargo features this library was built with, logged by `evshare_driver_init` so that
//! whoever installed a C driver can tell which build of evshare it links (`cargo xtask
//! sample-c` and `cargo xtask test` check the line after installing each build of the C
//! sample: none for the shipped one).

use core::fmt;

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
        let mut enabled = FEATURES.iter().filter(|(_, on)| *on).map(|(name, _)| name);
        match enabled.next() {
            None => f.write_str("none"),
            Some(first) => {
                f.write_str(first)?;
                enabled.try_for_each(|name| write!(f, ", {name}"))
            }
        }
    }
}
