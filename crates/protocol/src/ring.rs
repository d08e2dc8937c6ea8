//! The limits of the ring channel's requests (`docs/protocol.md`, "The ring channel"):
//! a ring's capacity and watermark (`REGISTER_RING`) and the batch size of `PRODUCE` and
//! `NOTIFY`.
//!
//! The ring's memory layout (header, records, the producer and consumer rules) is not part of
//! the protocol: `crates/ring` defines it. The protocol only checks what a request declares.

use crate::error::ProtocolError;

/// The fewest records a ring may hold.
pub const MIN_CAPACITY: u32 = 16;
/// The most records a ring may hold (2^20).
pub const MAX_CAPACITY: u32 = 1 << 20;
/// The most records one `PRODUCE`, or notifications one `NOTIFY`, may ask for.
pub const MAX_COUNT: u32 = 1_000_000;

/// The capacity itself if it is a power of two in [`MIN_CAPACITY`]..=[`MAX_CAPACITY`], else
/// [`ProtocolError::BadCapacity`].
pub const fn check_capacity(capacity: u32) -> Result<u32, ProtocolError> {
    if capacity.is_power_of_two() && capacity >= MIN_CAPACITY && capacity <= MAX_CAPACITY {
        Ok(capacity)
    } else {
        Err(ProtocolError::BadCapacity { capacity })
    }
}

/// The watermark itself if it is in `1..=capacity`, else [`ProtocolError::BadWatermark`].
/// (The capacity is checked on its own, by [`check_capacity`].)
pub const fn check_watermark(watermark: u32, capacity: u32) -> Result<u32, ProtocolError> {
    if watermark >= 1 && watermark <= capacity {
        Ok(watermark)
    } else {
        Err(ProtocolError::BadWatermark {
            watermark,
            capacity,
        })
    }
}

/// The count itself if it is in `1..=`[`MAX_COUNT`], else [`ProtocolError::BadCount`].
pub const fn check_count(count: u32) -> Result<u32, ProtocolError> {
    if count >= 1 && count <= MAX_COUNT {
        Ok(count)
    } else {
        Err(ProtocolError::BadCount { count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities_are_powers_of_two_in_range() {
        for capacity in [16, 32, 1024, 1 << 19, 1 << 20] {
            assert_eq!(check_capacity(capacity), Ok(capacity));
        }
        for capacity in [
            0,
            1,
            2,
            8,
            15,
            17,
            24,
            1000,
            (1 << 20) - 1,
            (1 << 20) + 16,
            1 << 21,
        ] {
            assert_eq!(
                check_capacity(capacity),
                Err(ProtocolError::BadCapacity { capacity })
            );
        }
        assert!(check_capacity(u32::MAX).is_err());
        assert!(check_capacity(1 << 31).is_err());
    }

    #[test]
    fn watermarks_are_within_the_capacity() {
        assert_eq!(check_watermark(1, 16), Ok(1));
        assert_eq!(check_watermark(16, 16), Ok(16));
        let bad = |watermark, capacity| {
            Err(ProtocolError::BadWatermark {
                watermark,
                capacity,
            })
        };
        assert_eq!(check_watermark(0, 16), bad(0, 16));
        assert_eq!(check_watermark(17, 16), bad(17, 16));
        assert_eq!(
            check_watermark(u32::MAX, MAX_CAPACITY),
            bad(u32::MAX, MAX_CAPACITY)
        );
    }

    #[test]
    fn counts_are_one_to_a_million() {
        assert_eq!(check_count(1), Ok(1));
        assert_eq!(check_count(MAX_COUNT), Ok(MAX_COUNT));
        for count in [0, MAX_COUNT + 1, u32::MAX] {
            assert_eq!(check_count(count), Err(ProtocolError::BadCount { count }));
        }
    }
}
