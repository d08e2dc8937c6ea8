//! Little-endian reading and writing of packed fields, with every access bounds-checked.
//!
//! Readers and writers consume their buffer from the front: a field that does not fit yields
//! `None` instead of an out-of-bounds index, so no input can make the driver panic.

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
        let (head, rest) = self.rest.split_first_chunk::<4>()?;
        self.rest = rest;
        Some(u32::from_le_bytes(*head))
    }

    /// The next 8 bytes as a `u64`, or `None` if fewer remain.
    pub(crate) fn u64(&mut self) -> Option<u64> {
        let (head, rest) = self.rest.split_first_chunk::<8>()?;
        self.rest = rest;
        Some(u64::from_le_bytes(*head))
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

    /// Appends `count` zero bytes, or returns `None` if they do not fit.
    pub(crate) fn zeros(&mut self, count: usize) -> Option<()> {
        if count > self.rest.len() {
            return None;
        }
        let rest = core::mem::take(&mut self.rest);
        let (head, tail) = rest.split_at_mut_checked(count)?;
        head.fill(0);
        self.rest = tail;
        self.written = self.written.checked_add(count)?;
        Some(())
    }

    /// Appends a `u32`.
    pub(crate) fn u32(&mut self, value: u32) -> Option<()> {
        self.bytes(&value.to_le_bytes())
    }

    /// Appends a `u64`.
    pub(crate) fn u64(&mut self, value: u64) -> Option<()> {
        self.bytes(&value.to_le_bytes())
    }

    /// Appends UTF-16 code units, little-endian.
    pub(crate) fn units(&mut self, units: &[u16]) -> Option<()> {
        units
            .iter()
            .try_for_each(|unit| self.bytes(&unit.to_le_bytes()))
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
        assert_eq!(reader.u64(), Some(2));
        assert_eq!(reader.u32(), None);
        assert_eq!(reader.rest(), &[9]);
        assert_eq!(reader.bytes(2), None);
        assert_eq!(reader.bytes(1), Some(&[9][..]));
    }

    #[test]
    fn writer_refuses_a_field_that_does_not_fit_and_keeps_what_it_wrote() {
        let mut out = [0xAA; 7];
        let mut writer = Writer::new(&mut out);
        assert_eq!(writer.u32(0x0403_0201), Some(()));
        assert_eq!(writer.u32(5), None);
        assert_eq!(writer.units(&[0x0605]), Some(()));
        assert_eq!(writer.zeros(2), None);
        assert_eq!(writer.zeros(1), Some(()));
        assert_eq!(writer.written(), 7);
        assert_eq!(out, [1, 2, 3, 4, 5, 6, 0]);
    }

    #[test]
    fn units_are_little_endian_pairs() {
        let units: std::vec::Vec<u16> = units_le(&[0x41, 0x00, 0x3D, 0xD8, 0x7F]).collect();
        assert_eq!(units, [0x0041, 0xD83D]);
    }
}
