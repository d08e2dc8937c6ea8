//! Counted UTF-16 strings (`UNICODE_STRING`) over borrowed buffers.

use crate::status::NtStatus;
use crate::sys::UNICODE_STRING;
use core::marker::PhantomData;

/// Turns an ASCII string literal into a `&'static [u16]` at compile time.
///
/// ```
/// const NAME: &[u16] = evshare_km::utf16!(r"\Device\evshare");
/// assert_eq!(NAME.len(), 15);
/// ```
#[macro_export]
macro_rules! utf16 {
    ($s:expr) => {{
        const S: &str = $s;
        const N: usize = S.len();
        const UNITS: [u16; N] = $crate::unicode::ascii_to_utf16::<N>(S);
        &UNITS as &'static [u16]
    }};
}

/// Converts an ASCII string to UTF-16 units; used by [`utf16!`] in const context.
///
/// Panics (at compile time, when used in a const) on non-ASCII input or a length mismatch.
pub const fn ascii_to_utf16<const N: usize>(s: &str) -> [u16; N] {
    let bytes = s.as_bytes();
    assert!(bytes.len() == N, "length mismatch");
    let mut out = [0u16; N];
    let mut i = 0;
    while i < N {
        assert!(bytes[i].is_ascii(), "utf16! takes ASCII only");
        out[i] = bytes[i] as u16;
        i += 1;
    }
    out
}

/// A `UNICODE_STRING` that borrows its buffer for `'a`.
#[repr(transparent)]
pub struct UnicodeStr<'a> {
    raw: UNICODE_STRING,
    _borrow: PhantomData<&'a [u16]>,
}

impl<'a> UnicodeStr<'a> {
    /// Wraps `units` (no terminator needed). Fails with `STATUS_NAME_TOO_LONG` when the byte
    /// length does not fit the 16-bit `Length` field.
    pub fn new(units: &'a [u16]) -> Result<Self, NtStatus> {
        let bytes = units.len().checked_mul(2).ok_or(NtStatus::NAME_TOO_LONG)?;
        let len = u16::try_from(bytes).map_err(|_| NtStatus::NAME_TOO_LONG)?;
        Ok(UnicodeStr {
            raw: UNICODE_STRING {
                Length: len,
                MaximumLength: len,
                // The kernel never writes through an input UNICODE_STRING.
                Buffer: units.as_ptr().cast_mut(),
            },
            _borrow: PhantomData,
        })
    }

    /// Wraps a string known at compile time to fit.
    pub const fn from_static(units: &'static [u16]) -> UnicodeStr<'static> {
        assert!(units.len() * 2 <= u16::MAX as usize);
        UnicodeStr {
            raw: UNICODE_STRING {
                Length: (units.len() * 2) as u16,
                MaximumLength: (units.len() * 2) as u16,
                Buffer: units.as_ptr().cast_mut(),
            },
            _borrow: PhantomData,
        }
    }

    /// The raw structure, for passing to kernel routines.
    pub fn as_raw(&self) -> *const UNICODE_STRING {
        &self.raw
    }

    /// Length in UTF-16 units.
    pub fn len(&self) -> usize {
        usize::from(self.raw.Length) / 2
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.raw.Length == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_macro_converts_ascii() {
        const S: &[u16] = utf16!(r"\Device\evshare");
        assert_eq!(S.len(), 15);
        assert_eq!(S[0], u16::from(b'\\'));
        assert_eq!(S[14], u16::from(b'e'));
    }

    #[test]
    fn unicode_str_counts_bytes() {
        let units = [0x41u16, 0x42, 0x43];
        let s = UnicodeStr::new(&units).expect("fits");
        assert_eq!(s.len(), 3);
        // SAFETY: `as_raw` points at the live `raw` field of `s`.
        let raw = unsafe { &*s.as_raw() };
        assert_eq!(raw.Length, 6);
        assert_eq!(raw.MaximumLength, 6);
    }

    #[test]
    fn unicode_str_refuses_oversized_buffers() {
        static BIG: [u16; 40_000] = [0x41; 40_000];
        assert_eq!(UnicodeStr::new(&BIG).err(), Some(NtStatus::NAME_TOO_LONG));
        assert!(UnicodeStr::new(&BIG[..32_767]).is_ok());
    }
}
