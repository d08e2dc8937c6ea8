//! The verifier build's bookkeeping: fixed tables of atomics (a verifier that allocates would
//! disturb what it measures), lock-free so every context may use them.

use super::{keeps, Check, Report, CHECKS};
use crate::irql::{Level, Rule};
use crate::sys::imports::PsGetCurrentThread;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// Whether this is the verifier build.
pub const ENABLED: bool = true;

static VIOLATIONS: [AtomicU32; CHECKS] = [const { AtomicU32::new(0) }; CHECKS];
static CALLS_CHECKED: AtomicU64 = AtomicU64::new(0);

/// Counts and logs one violation.
fn violation(check: Check, args: core::fmt::Arguments<'_>) {
    if let Some(counter) = VIOLATIONS.get(check as usize) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
    crate::log!(Error, "VERIFIER: {} violation: {}", check.name(), args);
}

// ---- Shadow IRQL, per thread -------------------------------------------------------------

/// How many locks one thread may hold at once before the verifier stops tracking its order.
const MAX_HELD: usize = 8;
/// Threads raised above `PASSIVE_LEVEL` at the same time.
const THREADS: usize = 256;

/// A thread above `PASSIVE_LEVEL`: claimed when it raises, given back when it is down again.
/// Only its own thread writes a claimed slot.
struct Slot {
    thread: AtomicUsize,
    dpcs: AtomicU32,
    /// Inside [`wine_branch`]: calls Windows never makes.
    wine_only: AtomicU32,
    held: AtomicUsize,
    classes: [AtomicUsize; MAX_HELD],
}

static SLOTS: [Slot; THREADS] = [const {
    Slot {
        thread: AtomicUsize::new(0),
        dpcs: AtomicU32::new(0),
        wine_only: AtomicU32::new(0),
        held: AtomicUsize::new(0),
        classes: [const { AtomicUsize::new(0) }; MAX_HELD],
    }
}; THREADS];
/// Raises the verifier could not track (table full); reported in the unload summary.
static UNTRACKED_RAISES: AtomicU32 = AtomicU32::new(0);

fn current_thread() -> usize {
    // SAFETY: no arguments; callable at any IRQL. (Under Wine, in a dispatch routine, this is
    // the requesting thread's object: stable for the whole dispatch, which is what matters.)
    unsafe { PsGetCurrentThread() as usize }
}

fn own_slot(thread: usize) -> Option<&'static Slot> {
    SLOTS
        .iter()
        .find(|slot| slot.thread.load(Ordering::Relaxed) == thread)
}

fn claim_slot(thread: usize) -> Option<&'static Slot> {
    own_slot(thread).or_else(|| {
        let slot = SLOTS.iter().find(|slot| {
            slot.thread
                .compare_exchange(0, thread, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        });
        if slot.is_none() {
            UNTRACKED_RAISES.fetch_add(1, Ordering::Relaxed);
        }
        slot
    })
}

/// Gives the slot back once its thread is at `PASSIVE_LEVEL` again.
fn settle(slot: &Slot) {
    if slot.dpcs.load(Ordering::Relaxed) == 0
        && slot.held.load(Ordering::Relaxed) == 0
        && slot.wine_only.load(Ordering::Relaxed) == 0
    {
        slot.thread.store(0, Ordering::Release);
    }
}

/// The current thread's shadow IRQL.
fn level() -> Level {
    match own_slot(current_thread()) {
        Some(slot)
            if slot.dpcs.load(Ordering::Relaxed) > 0 || slot.held.load(Ordering::Relaxed) > 0 =>
        {
            Level::Dispatch
        }
        _ => Level::Passive,
    }
}

/// Calls made inside [`wine_branch`], not checked.
static WINE_ONLY_CALLS: AtomicU64 = AtomicU64::new(0);

/// Runs `f`, the Wine side of a host switch, whose kernel calls Windows never makes: Wine has
/// no IRQL, so their IRQL rules do not apply. They are counted, not checked; the Windows side
/// of the same switch is what the checks cover (and `windows-branches` runs it under Wine
/// where Wine can).
pub fn wine_branch<R>(f: impl FnOnce() -> R) -> R {
    let slot = claim_slot(current_thread());
    if let Some(slot) = slot {
        slot.wine_only.fetch_add(1, Ordering::Relaxed);
    }
    let result = f();
    if let Some(slot) = slot {
        slot.wine_only.fetch_sub(1, Ordering::Relaxed);
        settle(slot);
    }
    result
}

/// A kernel routine is about to be called: checks its IRQL rule against the shadow IRQL.
pub fn on_call(rule: Rule, routine: &'static str) {
    if let Some(slot) = own_slot(current_thread()) {
        if slot.wine_only.load(Ordering::Relaxed) > 0 {
            WINE_ONLY_CALLS.fetch_add(1, Ordering::Relaxed);
            return;
        }
    }
    CALLS_CHECKED.fetch_add(1, Ordering::Relaxed);
    if matches!(rule, Rule::Any | Rule::Dispatch) {
        return;
    }
    let level = level();
    if !keeps(rule, level) {
        violation(
            Check::Irql,
            format_args!(
                "{routine} needs {} but runs at {level:?} (a DPC or under a spin lock)",
                rule.describe()
            ),
        );
    }
}

/// A DPC starts on this thread.
pub fn dpc_enter() {
    if let Some(slot) = claim_slot(current_thread()) {
        slot.dpcs.fetch_add(1, Ordering::Relaxed);
    }
}

/// The DPC ends.
pub fn dpc_leave() {
    if let Some(slot) = own_slot(current_thread()) {
        slot.dpcs.fetch_sub(1, Ordering::Relaxed);
        settle(slot);
    }
}

// ---- Lock order ---------------------------------------------------------------------------

/// Pairs of lock classes seen nested, `(outer, inner)`: append-only.
const PAIRS: usize = 64;
static PAIR_OUTER: [AtomicUsize; PAIRS] = [const { AtomicUsize::new(0) }; PAIRS];
static PAIR_INNER: [AtomicUsize; PAIRS] = [const { AtomicUsize::new(0) }; PAIRS];
static PAIRS_USED: AtomicUsize = AtomicUsize::new(0);

fn seen(outer: usize, inner: usize) -> bool {
    let used = PAIRS_USED.load(Ordering::Acquire).min(PAIRS);
    (0..used).any(|i| {
        PAIR_OUTER.get(i).map(|a| a.load(Ordering::Relaxed)) == Some(outer)
            && PAIR_INNER.get(i).map(|a| a.load(Ordering::Relaxed)) == Some(inner)
    })
}

fn record(outer: usize, inner: usize) {
    if seen(outer, inner) {
        return;
    }
    let index = PAIRS_USED.fetch_add(1, Ordering::AcqRel);
    if let (Some(o), Some(i)) = (PAIR_OUTER.get(index), PAIR_INNER.get(index)) {
        o.store(outer, Ordering::Relaxed);
        i.store(inner, Ordering::Relaxed);
    }
}

fn class_id(class: &'static str) -> usize {
    class.as_ptr() as usize
}

/// A spin lock of `class` (the type it protects) was taken: the thread is at
/// `DISPATCH_LEVEL`, and the order against the locks it already holds is checked.
pub fn lock_taken(class: &'static str) {
    let Some(slot) = claim_slot(current_thread()) else {
        return;
    };
    let id = class_id(class);
    let held = slot.held.load(Ordering::Relaxed);
    for outer in slot.classes.iter().take(held.min(MAX_HELD)) {
        let outer = outer.load(Ordering::Relaxed);
        if outer == id {
            violation(
                Check::LockOrder,
                format_args!("a lock of {class} taken while one is held"),
            );
        } else if seen(id, outer) {
            violation(
                Check::LockOrder,
                format_args!("{class} taken after a lock it is also taken before"),
            );
        } else {
            record(outer, id);
        }
    }
    if let Some(entry) = slot.classes.get(held) {
        entry.store(id, Ordering::Relaxed);
    }
    slot.held.store(held + 1, Ordering::Relaxed);
}

/// A spin lock of `class` is released.
pub fn lock_released(_class: &'static str) {
    if let Some(slot) = own_slot(current_thread()) {
        let held = slot.held.load(Ordering::Relaxed);
        slot.held.store(held.saturating_sub(1), Ordering::Relaxed);
        settle(slot);
    }
}

// ---- IRPs -----------------------------------------------------------------------------------

/// IRPs received and not yet completed (open addressing would need deletes; a scan of a small
/// table is enough for the hundreds a test keeps pending).
const IRPS: usize = 2048;
static IRP_TABLE: [AtomicUsize; IRPS] = [const { AtomicUsize::new(0) }; IRPS];
/// IRPs received while the table was full: their completion cannot be checked.
static IRPS_UNTRACKED: AtomicU32 = AtomicU32::new(0);

/// The driver received the IRP at `address`.
pub fn irp_received(address: usize) {
    let stored = IRP_TABLE.iter().any(|entry| {
        entry
            .compare_exchange(0, address, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    });
    if !stored {
        IRPS_UNTRACKED.fetch_add(1, Ordering::Relaxed);
    }
}

/// The IRP at `address` is about to be completed. `false` (a violation) refuses the
/// completion: the IRP was already completed, so it is not the driver's to touch.
pub fn irp_completing(address: usize) -> bool {
    let found = IRP_TABLE.iter().any(|entry| {
        entry
            .compare_exchange(address, 0, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    });
    if found || IRPS_UNTRACKED.load(Ordering::Relaxed) > 0 {
        return true;
    }
    violation(
        Check::IrpCompletion,
        format_args!("IRP {address:#x} completed again (refused)"),
    );
    false
}

// ---- Pool and references ----------------------------------------------------------------

const TAGS: usize = 8;
static TAG_IDS: [AtomicU32; TAGS] = [const { AtomicU32::new(0) }; TAGS];
static TAG_ALLOCATIONS: [AtomicU64; TAGS] = [const { AtomicU64::new(0) }; TAGS];
static TAG_FREES: [AtomicU64; TAGS] = [const { AtomicU64::new(0) }; TAGS];
static TAG_BYTES: [AtomicU64; TAGS] = [const { AtomicU64::new(0) }; TAGS];

fn tag_index(tag: u32) -> Option<usize> {
    TAG_IDS.iter().position(|id| {
        id.load(Ordering::Relaxed) == tag
            || id
                .compare_exchange(0, tag, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
    })
}

/// `bytes` of pool were allocated with `tag`.
pub fn pool_allocated(tag: u32, bytes: usize) {
    if let Some(i) = tag_index(tag) {
        if let (Some(count), Some(total)) = (TAG_ALLOCATIONS.get(i), TAG_BYTES.get(i)) {
            count.fetch_add(1, Ordering::Relaxed);
            total.fetch_add(bytes as u64, Ordering::Relaxed);
        }
    }
}

/// `bytes` of pool allocated with `tag` were freed.
pub fn pool_freed(tag: u32, bytes: usize) {
    if let Some(i) = tag_index(tag) {
        if let (Some(count), Some(total)) = (TAG_FREES.get(i), TAG_BYTES.get(i)) {
            count.fetch_add(1, Ordering::Relaxed);
            total.fetch_sub(bytes as u64, Ordering::Relaxed);
        }
    }
}

static REFERENCES: AtomicU64 = AtomicU64::new(0);
static RELEASES: AtomicU64 = AtomicU64::new(0);

/// An object reference or kernel handle was taken.
pub fn reference_taken() {
    REFERENCES.fetch_add(1, Ordering::Relaxed);
}

/// An object reference or kernel handle was given back.
pub fn reference_given() {
    RELEASES.fetch_add(1, Ordering::Relaxed);
}

// ---- Fault injection ----------------------------------------------------------------------

static FAULT_STATE: AtomicU64 = AtomicU64::new(0);
static FAULT_ONE_IN: AtomicU32 = AtomicU32::new(0);
static FAULTS: AtomicU32 = AtomicU32::new(0);
/// Where faults were injected: routine names (their address) and counts.
const SITES: usize = 24;
static SITE_NAMES: [AtomicUsize; SITES] = [const { AtomicUsize::new(0) }; SITES];
static SITE_LENS: [AtomicUsize; SITES] = [const { AtomicUsize::new(0) }; SITES];
static SITE_COUNTS: [AtomicU32; SITES] = [const { AtomicU32::new(0) }; SITES];

/// Fault injection: from now on fail about one in `one_in` injectable calls, chosen by a
/// xorshift sequence from `seed` (`one_in == 0` stops it). Returns `true`: this build injects.
pub fn set_faults(seed: u64, one_in: u32) -> bool {
    FAULT_STATE.store(seed | 1, Ordering::Relaxed);
    FAULT_ONE_IN.store(one_in, Ordering::Release);
    crate::log!(
        Info,
        "VERIFIER: fault injection {} (seed {seed:#x}, one call in {one_in})",
        if one_in == 0 { "off" } else { "on" }
    );
    true
}

fn next_random() -> u64 {
    let mut x = FAULT_STATE.load(Ordering::Relaxed);
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    FAULT_STATE.store(x, Ordering::Relaxed);
    x
}

/// Whether fault injection fails this call of `routine`.
pub fn inject(routine: &'static str) -> bool {
    let one_in = FAULT_ONE_IN.load(Ordering::Acquire);
    if one_in == 0 || !next_random().is_multiple_of(u64::from(one_in)) {
        return false;
    }
    FAULTS.fetch_add(1, Ordering::Relaxed);
    let name = routine.as_ptr() as usize;
    let site = SITE_NAMES.iter().position(|slot| {
        slot.load(Ordering::Relaxed) == name
            || slot
                .compare_exchange(0, name, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
    });
    if let Some(i) = site {
        if let (Some(len), Some(count)) = (SITE_LENS.get(i), SITE_COUNTS.get(i)) {
            len.store(routine.len(), Ordering::Relaxed);
            count.fetch_add(1, Ordering::Relaxed);
        }
    }
    true
}

/// Logs where faults were injected, one line per routine.
pub fn log_fault_sites() {
    for i in 0..SITES {
        let (Some(name), Some(len), Some(count)) =
            (SITE_NAMES.get(i), SITE_LENS.get(i), SITE_COUNTS.get(i))
        else {
            continue;
        };
        let (name, len, count) = (
            name.load(Ordering::Relaxed),
            len.load(Ordering::Relaxed),
            count.load(Ordering::Relaxed),
        );
        if name == 0 || count == 0 {
            continue;
        }
        // SAFETY: `name`/`len` are the address and length of a `&'static str` passed to
        // `inject` (a routine's name from `stringify!`), stored by this module only.
        let routine = unsafe { core::slice::from_raw_parts(name as *const u8, len) };
        let routine = core::str::from_utf8(routine).unwrap_or("?");
        crate::log!(Info, "VERIFIER: {count} faults injected into {routine}");
    }
}

// ---- Reports --------------------------------------------------------------------------------

/// What the verifier has seen so far.
pub fn report() -> Report {
    let mut violations = [0; CHECKS];
    for (out, counter) in violations.iter_mut().zip(VIOLATIONS.iter()) {
        *out = counter.load(Ordering::Relaxed);
    }
    Report {
        enabled: true,
        calls_checked: CALLS_CHECKED.load(Ordering::Relaxed),
        violations,
        faults_injected: FAULTS.load(Ordering::Relaxed),
    }
}

/// At unload, after the driver released everything: IRPs never completed, pool not freed,
/// references not given back are violations; then the summary line the test harness reads.
pub fn at_unload() {
    let irps = IRP_TABLE
        .iter()
        .filter(|entry| entry.load(Ordering::Relaxed) != 0)
        .count();
    if irps > 0 {
        violation(
            Check::IrpAtUnload,
            format_args!("{irps} IRPs received and never completed"),
        );
    }
    for i in 0..TAGS {
        let (Some(id), Some(allocations), Some(frees), Some(bytes)) = (
            TAG_IDS.get(i),
            TAG_ALLOCATIONS.get(i),
            TAG_FREES.get(i),
            TAG_BYTES.get(i),
        ) else {
            continue;
        };
        let (id, allocations, frees) = (
            id.load(Ordering::Relaxed),
            allocations.load(Ordering::Relaxed),
            frees.load(Ordering::Relaxed),
        );
        if id != 0 && allocations != frees {
            let tag = id.to_le_bytes();
            let tag = core::str::from_utf8(&tag).unwrap_or("????");
            violation(
                Check::PoolAtUnload,
                format_args!(
                    "pool tag '{tag}': {} of {allocations} allocations not freed ({} bytes)",
                    allocations.saturating_sub(frees),
                    bytes.load(Ordering::Relaxed)
                ),
            );
        }
    }
    let (taken, given) = (
        REFERENCES.load(Ordering::Relaxed),
        RELEASES.load(Ordering::Relaxed),
    );
    if taken != given {
        violation(
            Check::ReferencesAtUnload,
            format_args!("{taken} object references and kernel handles taken, {given} given back"),
        );
    }
    log_fault_sites();
    let report = report();
    let total: u32 = report.violations.iter().sum();
    crate::log!(
        Info,
        "VERIFIER: unload summary: {total} violations ({} irql, {} irp-completion, {} \
         lock-order, {} irp-at-unload, {} pool-at-unload, {} references-at-unload); {} calls \
         checked, {} Wine-only calls not checked, {} faults injected, {} raises and {} IRPs \
         untracked",
        report.violations[0],
        report.violations[1],
        report.violations[2],
        report.violations[3],
        report.violations[4],
        report.violations[5],
        report.calls_checked,
        WINE_ONLY_CALLS.load(Ordering::Relaxed),
        report.faults_injected,
        UNTRACKED_RAISES.load(Ordering::Relaxed),
        IRPS_UNTRACKED.load(Ordering::Relaxed),
    );
}
