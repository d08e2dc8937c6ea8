//! [`Wire`]: the field types a message's layout is made of.

use super::{Reader, Writer};
use crate::error::ProtocolError;
use crate::layout::TypeDoc;

/// A field type of the protocol: a fixed number of little-endian bytes that can be read,
/// written and named in `docs/protocol.md`.
///
/// Implemented for the integers, for arrays of any `Wire` type, and (by [`wire_layout!`]) for
/// every declared layout, so a layout can hold another (`mode: SignalMode`).
///
/// [`wire_layout!`]: super::wire_layout
pub(crate) trait Wire: Copy {
    /// The encoded size in bytes.
    const LEN: usize;
    /// The value every field of which is zero, except those the layout fixes (`version = 1`,
    /// `reserved = 0`): the starting point of an encoder.
    const BLANK: Self;
    /// How `docs/protocol.md` names the type.
    const TYPE: TypeDoc;

    /// Reads the value from the front of `from`, or `None` if fewer than [`LEN`](Self::LEN)
    /// bytes remain.
    fn read(from: &mut Reader<'_>) -> Option<Self>;

    /// Writes the value to the front of `to`, or `None` if fewer than [`LEN`](Self::LEN) bytes
    /// remain.
    fn write(&self, to: &mut Writer<'_>) -> Option<()>;

    /// Whether every field the layout fixes (`reserved = 0`, also inside nested layouts) has
    /// its value.
    fn fixed_fields_hold(&self) -> bool {
        true
    }
}

/// `Ok` if every field `raw`'s layout fixes has its value, else
/// [`ReservedNotZero`](ProtocolError::ReservedNotZero) (`flags` and `reserved` are the fixed
/// fields the peer may get wrong; `version` is checked, with its own error, before).
pub(crate) fn check_fixed<T: Wire>(raw: &T) -> Result<(), ProtocolError> {
    if raw.fixed_fields_hold() {
        Ok(())
    } else {
        Err(ProtocolError::ReservedNotZero)
    }
}

/// Implements [`Wire`] for an unsigned integer: little-endian, no fixed value.
macro_rules! integer {
    ($($ty:ident),+) => {$(
        impl Wire for $ty {
            const LEN: usize = core::mem::size_of::<$ty>();
            const BLANK: Self = 0;
            const TYPE: TypeDoc = TypeDoc::named(stringify!($ty));

            fn read(from: &mut Reader<'_>) -> Option<Self> {
                from.array().map($ty::from_le_bytes)
            }

            fn write(&self, to: &mut Writer<'_>) -> Option<()> {
                to.bytes(&self.to_le_bytes())
            }
        }
    )+};
}

integer!(u8, u16, u32, u64);

/// `[T; N]`: `N` values of `T` back to back, no padding.
impl<T: Wire, const N: usize> Wire for [T; N] {
    // An array this large cannot be declared, so the product cannot overflow; if it could,
    // the constant's evaluation would fail the build rather than the driver.
    #[allow(clippy::arithmetic_side_effects)]
    const LEN: usize = T::LEN * N;
    const BLANK: Self = [T::BLANK; N];
    const TYPE: TypeDoc = TypeDoc::array(T::TYPE, N);

    fn read(from: &mut Reader<'_>) -> Option<Self> {
        let mut values = [T::BLANK; N];
        for value in &mut values {
            *value = T::read(from)?;
        }
        Some(values)
    }

    fn write(&self, to: &mut Writer<'_>) -> Option<()> {
        self.iter().try_for_each(|value| value.write(to))
    }

    fn fixed_fields_hold(&self) -> bool {
        self.iter().all(Wire::fixed_fields_hold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_arrays_are_little_endian_and_packed() {
        let mut out = [0xAA_u8; 15];
        let mut to = Writer::new(&mut out);
        assert_eq!(0x0201_u16.write(&mut to), Some(()));
        assert_eq!([0x03_u8, 0x04].write(&mut to), Some(()));
        assert_eq!([0x0807_0605_u32; 2].write(&mut to), Some(()));
        assert_eq!(0x09_u8.write(&mut to), Some(()));
        assert_eq!(0_u64.write(&mut to), None);
        assert_eq!(out, [1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8, 9, 0xAA, 0xAA]);

        let mut from = Reader::new(&out);
        assert_eq!(u16::read(&mut from), Some(0x0201));
        assert_eq!(<[u8; 2]>::read(&mut from), Some([3, 4]));
        assert_eq!(<[u32; 2]>::read(&mut from), Some([0x0807_0605; 2]));
        assert_eq!(<[u8; 3]>::read(&mut from), Some([9, 0xAA, 0xAA]));
        assert_eq!(u8::read(&mut from), None);
        assert_eq!(<[u64; 32]>::LEN, 256);
    }
}
