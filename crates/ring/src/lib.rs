//! evshare's lossless shared-memory channel: a ring in a section the app creates and the
//! driver maps. The driver produces (from a timer DPC or an IOCTL, never waiting); the app
//! consumes. The same code runs in the kernel driver, in the client library and in the
//! benchmarks, so it is `no_std`, allocates nothing, and never panics on the producer path.
//!
//! - [`layout`]: the header (four cache lines: identity, producer, consumer, space-free
//!   request) and the 64-byte records, with their offsets.
//! - [`Region`]: the shared memory, seen through atomics only.
//! - [`Producer`]: the driver's side. Keeps its own indices and capacity and never trusts a
//!   field the app can write: a scribbled header makes it drop and count, never write outside
//!   the section or wait. [`WakePolicy`] defers wake-ups to a watermark or a deadline.
//! - [`Consumer`]: the app's side. Yields records in order and every loss as
//!   [`Item::Missed`]; waits with a bounded adaptive spin ([`SpinPolicy`]), then on the
//!   data-ready event through a [`Waiter`], with a timeout.
//! - `inprocess` (feature `std`): the same ring in one process, for tests and benchmarks.
//!
//! The rules are SPEC.md's "The ring, rule by rule"; each module says which it implements.
//!
//! # Checking it
//! - `cargo test -p evshare-ring`: unit tests, hostile-header tests (guard bytes after the
//!   region), property tests of the gap accounting, threaded runs.
//! - `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p evshare-ring --release
//!   --test loom`: the loom model of the sleep/wake and space-free handshakes and of the index
//!   arithmetic, run on the real producer and consumer, plus two deliberately weakened variants
//!   (fences `AcqRel` instead of `SeqCst`; no re-check after flagging) that the model must
//!   reject. About 30 s on two cores (preemption bound 5; `LOOM_MAX_PREEMPTIONS` overrides).
//! - `cargo run -p evshare-ring --release --example inprocess`: records/s and wake-ups per
//!   1,000 records for a producer thread and a consumer thread.
//! - `crates/ring/no-panic-check/run.sh`: links the producer into a `no_std` DLL whose panic
//!   handler cannot link, proving no panic path is reachable from it.

#![no_std]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

#[cfg(any(test, loom, feature = "std"))]
extern crate std;

pub mod consumer;
mod error;
pub mod layout;
pub mod producer;
mod region;
mod spin;
mod sync;
mod wait;
mod wake;

#[cfg(all(feature = "std", not(loom)))]
pub mod inprocess;

pub use consumer::{Batch, Consumer, ConsumerStats, Item, PublishedTotals};
pub use error::RingError;
pub use layout::{Entry, Record};
pub use producer::{ProduceReport, Producer, ProducerStats};
#[cfg(loom)]
pub use region::Fault;
pub use region::{HeaderSnapshot, Region};
pub use spin::{SpinPolicy, PAUSES_PER_POLL};
pub use wait::{Readiness, WaitDecision, WaitStatus, Waiter};
pub use wake::WakePolicy;
