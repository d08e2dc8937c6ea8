//! Every ring entry point the driver calls, exported so the linker keeps them, in a DLL whose
//! panic handler references a symbol that does not exist: the DLL links only if the optimiser
//! removed every panic path, i.e. if nothing the app controls can make the producer panic.
//!
//! `Display` impls are left out on purpose: the driver does not format errors.

#![no_std]

use core::mem::MaybeUninit;

use evshare_ring::layout::PAYLOAD_LEN;
use evshare_ring::{Entry, Producer, ProducerStats, Region, WakePolicy};

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    extern "C" {
        fn evshare_ring_panic_path_is_reachable() -> !;
    }
    // SAFETY: never called when the check passes; when a panic path exists the link fails
    // before anything can run.
    unsafe { evshare_ring_panic_path_is_reachable() }
}

/// Entry point, so the DLL links without a CRT.
#[no_mangle]
pub extern "system" fn DllMain(_: usize, _: u32, _: usize) -> i32 {
    1
}

/// What the driver does when a ring is registered: wrap the mapped view, attach. Returns 0 on
/// success (and `*out` holds the producer), else a nonzero code.
///
/// # Safety
/// `base` must be valid for `len` bytes of memory only accessed atomically; `out` must be
/// valid for writes.
#[no_mangle]
pub unsafe extern "C" fn ring_attach(
    base: *mut u8,
    len: usize,
    capacity: u32,
    watermark: u32,
    max_delay: u64,
    out: *mut MaybeUninit<Producer>,
) -> u32 {
    // SAFETY: the caller guarantees `base` is valid for `len` bytes, accessed atomically only.
    let region = match unsafe { Region::from_raw(base, len) } {
        Ok(region) => region,
        Err(_) => return 1,
    };
    match Producer::attach(region, capacity, WakePolicy::deferred(watermark, max_delay)) {
        Ok(producer) => {
            // SAFETY: the caller guarantees `out` is valid for writes.
            unsafe { (*out).write(producer) };
            0
        }
        Err(_) => 2,
    }
}

fn entry(timestamp: u64, seq: u64) -> Entry {
    let mut payload = [0_u8; PAYLOAD_LEN];
    for (byte, from) in payload.iter_mut().zip(seq.to_le_bytes()) {
        *byte = from;
    }
    Entry { timestamp, payload }
}

/// What the DPC and the `PRODUCE` IOCTL do: produce, deliver owed or due wake-ups.
///
/// # Safety
/// `producer` must point at a producer made by `ring_attach`.
#[no_mangle]
pub unsafe extern "C" fn ring_produce(
    producer: *mut Producer,
    count: u32,
    now: u64,
    signal: extern "C" fn(),
) -> u64 {
    // SAFETY: the caller guarantees `producer` is valid and not aliased.
    let producer = unsafe { &mut *producer };
    let one = producer.produce(entry(now, 0), || signal());
    let report = producer.produce_batch(count, |seq| entry(now, seq), || signal());
    let flushed = producer.flush_wake(|| signal());
    let due = producer.wake_if_due(now, || signal());
    u64::from(one.written)
        ^ u64::from(report.written) << 8
        ^ u64::from(report.dropped) << 16
        ^ u64::from(report.wakeups) << 24
        ^ u64::from(flushed) << 32
        ^ u64::from(due) << 33
        ^ u64::from(producer.capacity()) << 34
}

/// Teardown: poison, set both events, read the totals.
///
/// # Safety
/// `producer` must point at a producer made by `ring_attach`; it is consumed.
#[no_mangle]
pub unsafe extern "C" fn ring_poison(producer: *mut Producer, signal: extern "C" fn()) -> u64 {
    // SAFETY: the caller guarantees `producer` is a valid producer it gives up.
    let producer = unsafe { producer.read() };
    let stats: ProducerStats = producer.poison(|| signal());
    stats.produced ^ stats.dropped ^ stats.corrupt ^ stats.wakeups ^ stats.space_free_requests
}
