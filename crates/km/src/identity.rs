//! Who the driver is, as the kernel's tools show it: the pool tag of its allocations (what
//! `!poolused` and Driver Verifier's pool tracking list) and the prefix of its log lines. The
//! driver names them in [`crate::driver::Dispatch::IDENTITY`]; km records them before
//! `DriverEntry`'s own code runs and uses them for every allocation and message after.

use core::ffi::{c_char, CStr};
use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

/// A driver's pool tag and log prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The pool tag, as `ExAllocatePoolWithTag` takes it (the first character in the lowest
    /// byte: [`Identity::new`] builds it from the four characters).
    pub pool_tag: u32,
    /// What every log line starts with, before `": "`.
    pub log_prefix: &'static CStr,
}

impl Identity {
    /// `evshare.sys`'s identity: tag `Evsh`, prefix `evshare`.
    pub const EVSHARE: Identity = Identity::new(*b"Evsh", c"evshare");

    /// The identity with pool tag `tag` (four characters, as `!poolused` shows them) and log
    /// prefix `log_prefix`.
    pub const fn new(tag: [u8; 4], log_prefix: &'static CStr) -> Identity {
        Identity {
            pool_tag: u32::from_le_bytes(tag),
            log_prefix,
        }
    }
}

static POOL_TAG: AtomicU32 = AtomicU32::new(Identity::EVSHARE.pool_tag);
static LOG_PREFIX: AtomicPtr<c_char> = AtomicPtr::new(c"evshare".as_ptr().cast_mut());

/// Records the driver's identity: called by km before `DriverEntry`'s own code runs, so before
/// the first allocation (each is freed with the tag it was made with).
pub(crate) fn set(identity: Identity) {
    POOL_TAG.store(identity.pool_tag, Ordering::Relaxed);
    LOG_PREFIX.store(identity.log_prefix.as_ptr().cast_mut(), Ordering::Relaxed);
}

/// The pool tag of the driver's allocations.
///
/// IRQL: any.
pub fn pool_tag() -> u32 {
    POOL_TAG.load(Ordering::Relaxed)
}

/// The log prefix, NUL-terminated: a `&'static CStr`'s pointer, never freed.
pub(crate) fn log_prefix() -> *const c_char {
    LOG_PREFIX.load(Ordering::Relaxed)
}
