//! evshare-kernel for drivers written in C: a static library (`libevshare_kernel_c.a`) with an
//! `extern "C"` API over [`evshare_kernel::Evshare`], and its header
//! `include/evshare_kernel.h` (generated from [`c_api`] by cbindgen; `tests/header.rs` checks
//! the committed copy is current).
//!
//! A C driver keeps each instance in zeroed static storage of its own (`EVSHARE_INSTANCE`, whose
//! size the header states and a const assertion here checks), and calls:
//! - `evshare_driver_init` first thing in `DriverEntry` (km's part of it: the driver's pool tag
//!   and log prefix, the host, Wine's fence device), `evshare_driver_abandon` if its own part
//!   then fails;
//! - `evshare_instance_start` per instance, before the device that forwards to it exists;
//! - `evshare_dispatch` from its dispatch routines for every request: it handles create,
//!   cleanup, close and the instance's IOCTLs, answers km's fence device, and declines the rest
//!   (the driver's own IOCTLs), which the driver completes itself;
//! - `evshare_publish` from any context at `IRQL <= DISPATCH_LEVEL` (a DPC);
//! - `evshare_instance_unload` per instance, then `evshare_driver_unload` last in
//!   `DriverUnload`.
//!
//! - [`c_api`]: the functions and types the header declares.
//! - [`instance`]: what an `EVSHARE_INSTANCE` holds, and how the C configuration becomes an
//!   [`evshare_kernel::Config`].
//! - [`features`]: the cargo features of this build, logged by `evshare_driver_init`.
// The library only exists for Windows targets; on the host the crate is empty (and so needs
// `std`'s panic machinery), which keeps `cargo test` of the header check working on Linux.
#![cfg_attr(target_os = "windows", no_std)]
#![cfg(target_os = "windows")]

pub mod c_api;
pub mod features;
pub mod instance;

/// A panic in a driver has nowhere to unwind to: stop, as the kernel expects. The code is built
/// so that no panic is reachable at all (no `unwrap`, no unchecked indexing): the
/// `no-panic-check` build proves it.
#[cfg(not(feature = "no-panic-check"))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    // MANUALLY_INITIATED_CRASH1 is reserved for drivers that bugcheck on purpose.
    evshare_km::driver::bugcheck(0xDEAD_DEAD, 0xEC)
}

/// The `no-panic-check` build (never installed): the panic handler references a symbol that
/// does not exist, so a C driver links against the library only if the optimiser removed
/// every panic path of the C API, the library and km.
#[cfg(feature = "no-panic-check")]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    extern "C" {
        fn evshare_kernel_c_panic_path_is_reachable() -> !;
    }
    // SAFETY: never called when the check passes; when a panic path exists the link fails
    // before anything can run.
    unsafe { evshare_kernel_c_panic_path_is_reachable() }
}
