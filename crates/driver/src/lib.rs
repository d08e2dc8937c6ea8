//! `evshare.sys`: a control device through which user-mode apps register events that the driver
//! signals (periodically, once, or on demand), with every registration owned by the handle that
//! made it and released when that handle goes away.
//!
//! - [`dispatch`]: `DriverEntry`, create/cleanup/close, IOCTL routing, unload.
//! - [`features`]: the cargo features of this image, logged at load.
//! - [`handlers`]: routes each IOCTL; answers queries.
//! - [`methods`]: the four ways to share an event (by name, by handle, driver-created with a
//!   handle returned, driver-created named).
//! - [`file_state`], [`inverted`]: per-handle state; the inverted call (pending IOCTLs completed
//!   one per notification, cancel-safe).
//! - [`registration`]: one registered event, its timer and counters.
//! - [`registry`]: the table of live registrations.
//! - [`ring_channel`]: a ring registration (the app's section, the producer, its two events).
//! - [`stats`]: counters the stats IOCTL reports.
// The driver only exists for Windows targets; on the host the crate is empty (and so needs
// `std`'s panic machinery), which keeps `cargo check --workspace` working on Linux.
#![cfg_attr(target_os = "windows", no_std)]
#![cfg(target_os = "windows")]

mod dispatch;
mod features;
mod file_state;
mod handlers;
mod inverted;
mod methods;
mod registration;
mod registry;
mod ring_channel;
mod stats;
mod verifier_ops;

evshare_km::driver_entry!(dispatch::Evshare);

/// A panic in a driver has nowhere to unwind to: stop, as the kernel expects. The code is built
/// so that no panic is reachable from a request (no `unwrap`, no unchecked indexing).
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    // MANUALLY_INITIATED_CRASH1 is reserved for drivers that bugcheck on purpose.
    evshare_km::driver::bugcheck(0xDEAD_DEAD, 0xE5)
}
