//! Declares `cfg(loom)` (set by `RUSTFLAGS="--cfg loom"` for the loom model tests), so that
//! `unexpected_cfgs` knows it. A `[lints.rust]` table would do the same, but it cannot sit beside
//! `[lints] workspace = true`.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(loom)");
}
