//! The PE image checksum (what `CheckSumMappedFile` computes and the kernel loader checks for
//! drivers).
//!
//! The file is summed as little-endian 16-bit words (an odd last byte padded with zero), with the
//! four bytes of the `CheckSum` field counted as zero; each carry out of 16 bits is folded back
//! into the low 16 bits as it happens; finally the file length is added.

use object::pe::{ImageFileHeader, ImageNtHeaders64, ImageOptionalHeader64};
use object::read::pe::PeFile64;

/// The file offset of `OptionalHeader.CheckSum` in a PE32+ image.
pub fn checksum_offset(file: &PeFile64<'_>) -> usize {
    let nt_headers = file.dos_header().nt_headers_offset() as usize;
    nt_headers
        + std::mem::offset_of!(ImageNtHeaders64, optional_header)
        + std::mem::offset_of!(ImageOptionalHeader64, check_sum)
}

/// The PE checksum of `data`, whose `CheckSum` field starts at `checksum_offset`.
pub fn pe_checksum(data: &[u8], checksum_offset: usize) -> u32 {
    let field = checksum_offset..checksum_offset + 4;
    let byte = |index: usize| -> u32 {
        if field.contains(&index) {
            0
        } else {
            data.get(index).copied().map_or(0, u32::from)
        }
    };
    let mut sum: u32 = 0;
    for word in 0..data.len().div_ceil(2) {
        sum += byte(2 * word) | (byte(2 * word + 1) << 8);
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum = (sum & 0xffff) + (sum >> 16);
    // A PE image is far below 4 GiB; wrapping keeps the arithmetic defined for any input.
    sum.wrapping_add(data.len() as u32)
}

// The optional header directly follows the signature and the file header.
const _: () = assert!(
    std::mem::offset_of!(ImageNtHeaders64, optional_header)
        == 4 + std::mem::size_of::<ImageFileHeader>()
);

#[cfg(test)]
mod tests {
    use super::pe_checksum;

    #[test]
    fn sums_words_skips_the_field_and_adds_the_length() {
        // Words 0x0201 and 0x0403; bytes 4..8 are the checksum field; one odd byte 0x05.
        let data = [1, 2, 3, 4, 0xaa, 0xbb, 0xcc, 0xdd, 5];
        assert_eq!(pe_checksum(&data, 4), 0x0201 + 0x0403 + 0x0005 + 9);
    }

    #[test]
    fn folds_carries_back_into_sixteen_bits() {
        // 0xffff + 0xffff = 0x1fffe -> 0xffff; + 0x0001 = 0x10000 -> 0x0001.
        let data = [0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0];
        assert_eq!(pe_checksum(&data, 6), 0x0001 + 10);
    }
}
