//! evshare's benchmarks: what a driver → app notification costs by each method, and what the
//! ring moves, against floors measured on the same host in the same run.
//!
//! The measuring program (`evshare-bench.exe`, run under Wine by `cargo xtask bench`) only
//! exists on Windows. This library is the part both sides share and that builds everywhere:
//! the results' schema ([`report::Results`], written as JSON), the ratios to the floors and the
//! targets of issue 5 ([`report::targets`], [`report::verdict`]), and the tables a person
//! reads ([`report::table`] on the terminal, [`report::markdown`] for the README).
//!
//! Comparing absolute times across machines means little (under Wine every event operation is
//! a `wineserver` round trip, tens of microseconds; on Windows the same thing takes well under
//! one): what the benchmarks report is each method as a ratio to a floor measured in the same
//! run.

pub mod report;
