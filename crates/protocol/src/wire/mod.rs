//! Little-endian reading and writing of packed fields, with every access bounds-checked.
//!
//! Readers and writers consume their buffer from the front: a field that does not fit yields
//! `None` instead of an out-of-bounds index, so no input can make the driver panic.
//!
//! On top of them, [`Wire`] is a field type the protocol knows how to read, write and document,
//! and [`wire_layout!`] declares a message's fixed part once, as a table of such fields: its
//! size, its encoding, its raw parsing and its row in `docs/protocol.md` all follow from it.

mod field;
mod layout;

pub(crate) use field::{check_fixed, Wire};
pub(crate) use layout::wire_layout;

/// Reads packed little-endian fields from the front of a byte buffer.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader positioned at the start of `bytes`.
    pub(crate) const fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    /// The next 4 bytes as a `u32`, or `None` if fewer remain.
    pub(crate) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.array()?))
    }

    /// The next `N` bytes, or `None` if fewer remain.
    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, rest) = self.rest.split_first_chunk::<N>()?;
        self.rest = rest;
        Some(*head)
    }

    /// The next `len` bytes, or `None` if fewer remain.
    pub(crate) fn bytes(&mut self, len: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.rest.split_at_checked(len)?;
        self.rest = rest;
        Some(head)
    }

    /// The bytes not read yet.
    pub(crate) const fn rest(&self) -> &'a [u8] {
        self.rest
    }
}

/// Writes packed little-endian fields to the front of a byte buffer.
pub(crate) struct Writer<'a> {
    rest: &'a mut [u8],
    written: usize,
}

impl<'a> Writer<'a> {
    /// A writer positioned at the start of `out`.
    pub(crate) fn new(out: &'a mut [u8]) -> Self {
        Writer {
            rest: out,
            written: 0,
        }
    }

    /// Appends `bytes`, or returns `None` (writing nothing) if they do not fit.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> Option<()> {
        if bytes.len() > self.rest.len() {
            return None;
        }
        let rest = core::mem::take(&mut self.rest);
        let (head, tail) = rest.split_at_mut_checked(bytes.len())?;
        for (to, from) in head.iter_mut().zip(bytes) {
            *to = *from;
        }
        self.rest = tail;
        self.written = self.written.checked_add(bytes.len())?;
        Some(())
    }

    /// How many bytes have been written so far.
    pub(crate) const fn written(&self) -> usize {
        self.written
    }
}

/// The UTF-16 code units of little-endian `bytes`; a trailing odd byte is ignored.
pub(crate) fn units_le(bytes: &[u8]) -> impl Iterator<Item = u16> + '_ {
    bytes
        .chunks_exact(2)
        .filter_map(|pair| pair.first_chunk::<2>())
        .map(|pair| u16::from_le_bytes(*pair))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_stops_at_the_end_instead_of_reading_past_it() {
        let bytes = [1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9];
        let mut reader = Reader::new(&bytes);
        assert_eq!(reader.u32(), Some(1));
        assert_eq!(reader.array::<8>(), Some([2, 0, 0, 0, 0, 0, 0, 0]));
        assert_eq!(reader.u32(), None);
        assert_eq!(reader.rest(), &[9]);
        assert_eq!(reader.bytes(2), None);
        assert_eq!(reader.bytes(1), Some(&[9][..]));
    }

    #[test]
    fn writer_refuses_a_field_that_does_not_fit_and_keeps_what_it_wrote() {
        let mut out = [0xAA; 7];
        let mut writer = Writer::new(&mut out);
        assert_eq!(writer.bytes(&[1, 2, 3, 4]), Some(()));
        assert_eq!(writer.bytes(&[5, 5, 5, 5]), None);
        assert_eq!(writer.bytes(&[5, 6]), Some(()));
        assert_eq!(writer.bytes(&[0, 0]), None);
        assert_eq!(writer.bytes(&[0]), Some(()));
        assert_eq!(writer.written(), 7);
        assert_eq!(out, [1, 2, 3, 4, 5, 6, 0]);
    }

    #[test]
    fn units_are_little_endian_pairs() {
        let units: std::vec::Vec<u16> = units_le(&[0x41, 0x00, 0x3D, 0xD8, 0x7F]).collect();
        assert_eq!(units, [0x0041, 0xD83D]);
    }
}
