//! `HoldersReply`, the answer to `QUERY_HOLDERS`: which processes hold live registrations.

use super::{decode_fixed, encode_fixed};
use crate::error::ProtocolError;
use crate::method::{Method, METHODS};
use crate::wire::{wire_layout, Wire};

/// How many processes a [`HoldersReply`] lists at most.
pub const MAX_HOLDERS: usize = 32;

wire_layout! {
    /// One process with live registrations.
    pub struct Holder {
        /// the process that registered
        pid: u32,
        /// its live registrations, indexed by method
        by_method: [u32; METHODS],
    }
}

impl Default for Holder {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl Holder {
    /// An unused entry: all zero.
    pub const EMPTY: Holder = Holder {
        pid: 0,
        by_method: [0; METHODS],
    };

    /// How many of its live registrations were made with `method`.
    pub fn live_by(&self, method: Method) -> u32 {
        self.by_method.get(method.index()).copied().unwrap_or(0)
    }

    /// All its live registrations (saturating at `u32::MAX`).
    pub fn live(&self) -> u32 {
        self.by_method
            .iter()
            .fold(0_u32, |sum, &count| sum.saturating_add(count))
    }
}

wire_layout! {
    /// What `QUERY_HOLDERS` returns. Processes past the 32nd are not listed.
    pub(crate) struct HoldersReplyWire as HoldersReply {
        version: u32 = 1,
        /// entries used, at most 32
        count: u32,
        /// the first `count` used, the others zero
        holders: [Holder; MAX_HOLDERS],
    }
}

/// What `QUERY_HOLDERS` returns (layout: `HoldersReplyWire`): 32 entries, of which the first
/// `count` are used and the rest are zero. Processes past the 32nd are not listed.
///
/// `encode` and `parse` both refuse a `count` over [`MAX_HOLDERS`]
/// ([`LengthMismatch`](ProtocolError::LengthMismatch)) and an unused entry that is not zero
/// ([`ReservedNotZero`](ProtocolError::ReservedNotZero)); build a reply from
/// [`EMPTY`](Self::EMPTY) with [`push`](Self::push) to keep both true.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HoldersReply {
    /// The entries; only the first `count` are used, the others must be [`Holder::EMPTY`].
    pub holders: [Holder; MAX_HOLDERS],
    /// How many entries are used (at most [`MAX_HOLDERS`]).
    pub count: u32,
}

impl Default for HoldersReply {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl HoldersReply {
    /// The encoded size.
    pub const LEN: usize = HoldersReplyWire::LEN;

    /// A reply that lists no process.
    pub const EMPTY: HoldersReply = HoldersReply {
        holders: [Holder::EMPTY; MAX_HOLDERS],
        count: 0,
    };

    /// The used entries (all 32 if `count` is over [`MAX_HOLDERS`], which `encode` refuses).
    pub fn used(&self) -> &[Holder] {
        let count = usize::try_from(self.count).unwrap_or(usize::MAX);
        self.holders.get(..count).unwrap_or(&self.holders)
    }

    /// The used entries, in order.
    pub fn iter(&self) -> core::slice::Iter<'_, Holder> {
        self.used().iter()
    }

    /// Appends `holder` as the next used entry, or gives it back if all 32 are used.
    pub fn push(&mut self, holder: Holder) -> Result<(), Holder> {
        let count = usize::try_from(self.count).unwrap_or(usize::MAX);
        let Some(slot) = self.holders.get_mut(count) else {
            return Err(holder);
        };
        let Some(next) = self.count.checked_add(1) else {
            return Err(holder);
        };
        *slot = holder;
        self.count = next;
        Ok(())
    }

    /// Writes the reply into the first [`LEN`](Self::LEN) bytes of `out`; returns `LEN`.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, ProtocolError> {
        check_entries(&self.holders, self.count)?;
        let raw = HoldersReplyWire {
            count: self.count,
            holders: self.holders,
            ..HoldersReplyWire::BLANK
        };
        encode_fixed(&raw, out)
    }

    /// Reads a reply of exactly [`LEN`](Self::LEN) bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ProtocolError> {
        let raw: HoldersReplyWire = decode_fixed(bytes)?;
        check_entries(&raw.holders, raw.count)?;
        Ok(HoldersReply {
            holders: raw.holders,
            count: raw.count,
        })
    }
}

impl<'a> IntoIterator for &'a HoldersReply {
    type Item = &'a Holder;
    type IntoIter = core::slice::Iter<'a, Holder>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// `count` must be at most [`MAX_HOLDERS`] (else the entries it declares, in bytes, do not
/// fit the array), and every entry past it must be zero.
fn check_entries(holders: &[Holder; MAX_HOLDERS], count: u32) -> Result<(), ProtocolError> {
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let unused = holders.get(count..).ok_or(ProtocolError::LengthMismatch {
        declared: count.saturating_mul(Holder::LEN),
        got: Holder::LEN * MAX_HOLDERS,
    })?;
    if unused.iter().all(|holder| *holder == Holder::EMPTY) {
        Ok(())
    } else {
        Err(ProtocolError::ReservedNotZero)
    }
}
