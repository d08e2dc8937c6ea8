//! evshare's kernel layer: our own `ntoskrnl.exe` imports and safe wrappers over them.
//!
//! - [`sys`]: raw declarations, checked against the mingw-w64 DDK headers by [`layout`].
//! - [`status`], [`unicode`]: `NTSTATUS` and counted strings.
//! - [`pool`], [`sync`]: pool memory that frees itself, a spin lock that owns its data.
//! - [`event`], [`handle`], [`process`]: referenced and created events, kernel handles, the
//!   requesting process, its session and handles duplicated out of or into it.
//! - [`security`]: the requesting user's SID and descriptors that admit only that user.
//! - [`seh`]: calls of routines that may raise, with the exception caught as an `NTSTATUS`
//!   (which routines may raise, and where evshare calls them: `docs/raise-audit.md`).
//! - [`section`]: a named section mapped where a DPC can write it (one documented host switch).
//! - [`timer`], [`timer_state`], [`time`]: a timer that lives in its owner and keeps it alive
//!   while armed, its host-checked bookkeeping; the performance counter.
//! - [`irp`], [`driver`]: IRPs moved into their completion, the dispatch table, devices.
//! - [`device_id`]: which of a driver's devices a request was sent to, for a driver with
//!   several (one evshare instance per device).
//! - [`identity`]: the driver's pool tag and log prefix, which the driver names (km is not
//!   evshare's alone: any Rust driver may build on it).
//! - [`host_switch`]: every place Windows and Wine behave differently, with its verdict, and
//!   the `windows-branches` test build that runs under Wine the Windows sides Wine can run.
//! - [`pending`]: a cancel-safe queue of pending IRPs (`IoCsq*` is unusable under Wine), with
//!   per-process quotas; generic over the IRP seam so the loom models run its code, over the
//!   mock IRPs of `pending_mock` (built with `--cfg loom` only, for km's models and those of
//!   code built on the queue).
//! - [`wine_fence`]: under Wine, completed parked IRPs are freed only once no late cancel can
//!   reach them (Wine 8.0's `IoCancelIrp` use-after-free).
//! - [`irql`]: IRQL in the types: `PASSIVE_LEVEL` routines take a [`irql::Passive`] token
//!   that DPCs do not have and spin-lock guards borrow.
//! - [`verifier`]: the verifier build's checks (feature `verifier`): shadow IRQL, IRP
//!   completion, lock order, leaks at unload, fault injection.
//! - [`remove_lock`]: the unload rundown (refuse new requests, wait for those in flight) over
//!   `IO_REMOVE_LOCK`; its protocol builds on the host for the loom model.
//!
//! [`ddi`] is the DDI table: every kernel routine km binds, its safe wrapper, its IRQL rule,
//! whether it may raise, and its state in Wine 8.0 (`docs/ddi.md`, kept in step by a test).
//!
//! IRQL: every public function that calls a kernel routine says the IRQL it may be called at
//! (an `IRQL:` line); one without that line calls none and runs at any IRQL km runs at. The
//! kernel routines' own rules are declared with their imports (`sys::imports`, listed in the [`ddi`] table).
//!
//! Only the pure parts (`status`, `unicode`, `layout`, `sys::types`, `host_switch`'s table,
//! `device_id`),
//! and `sync`, `pending`, `timer_state` and `remove_lock`'s protocol (the seams the loom models
//! use) build on the host; the rest
//! is Windows-only and is checked with `cargo clippy --target x86_64-pc-windows-msvc`.
#![no_std]
// On the host only the pure parts build (above), so the links these docs make to the
// Windows-only modules cannot resolve there; they do in the Windows build of the docs, which
// `cargo xtask test` builds with `-D warnings`, as it builds these host docs (every other
// warning stays an error).
#![cfg_attr(not(target_os = "windows"), allow(rustdoc::broken_intra_doc_links))]

#[doc = include_str!("../../../docs/ddi.md")]
pub mod ddi {}
pub mod device_id;
pub mod irql;
pub mod layout;
pub mod status;
pub mod sys;
pub mod unicode;

#[cfg(target_os = "windows")]
pub mod driver;
#[cfg(target_os = "windows")]
pub mod event;
#[cfg(target_os = "windows")]
pub mod handle;
#[cfg(target_os = "windows")]
mod handle_state;
pub mod host_switch;
#[cfg(target_os = "windows")]
pub mod identity;
#[cfg(target_os = "windows")]
pub mod irp;
#[cfg(target_os = "windows")]
pub mod log;
pub mod pending;
#[cfg(loom)]
pub mod pending_mock;
#[cfg(target_os = "windows")]
pub mod pool;
#[cfg(target_os = "windows")]
pub mod process;
pub mod remove_lock;
#[cfg(target_os = "windows")]
pub mod section;
#[cfg(target_os = "windows")]
pub mod security;
#[cfg(target_os = "windows")]
pub mod seh;
pub mod sync;
#[cfg(target_os = "windows")]
pub mod time;
#[cfg(target_os = "windows")]
pub mod timer;
pub mod timer_state;
pub mod verifier;
#[cfg(target_os = "windows")]
pub mod wine_fence;

pub use status::NtStatus;
