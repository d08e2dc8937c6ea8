//! Checks on UTF-16 units shared by name resolution and wire decoding.

use super::{NameError, MAX_INPUT_UNITS, MAX_LEAF_UNITS};

/// `\` as a UTF-16 unit.
pub(super) const BACKSLASH: u16 = b'\\' as u16;

/// Checks the whole name: not empty, at most [`MAX_INPUT_UNITS`] units, valid UTF-16 and no
/// NUL. Problems are reported in that order; within the units, the first one wins.
pub(super) fn check_whole_name(name: &[u16]) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_INPUT_UNITS {
        return Err(NameError::TooLong { units: name.len() });
    }
    check_utf16_without_nul(name.iter().copied())
}

/// Checks that `units` are valid UTF-16 (no unpaired surrogate) and contain no NUL.
pub(super) fn check_utf16_without_nul(units: impl Iterator<Item = u16>) -> Result<(), NameError> {
    for decoded in char::decode_utf16(units) {
        match decoded {
            Err(_) => return Err(NameError::NotUtf16),
            Ok('\0') => return Err(NameError::EmbeddedNul),
            Ok(_) => {}
        }
    }
    Ok(())
}

/// Checks the leaf (the object's own name). A `\` means a subdirectory, which is outside the
/// allowed namespaces; otherwise the leaf must be 1..=[`MAX_LEAF_UNITS`] units and not `.`
/// or `..`. NUL and surrogates were already checked on the whole name.
pub(super) fn check_leaf(leaf: &[u16]) -> Result<(), NameError> {
    const DOT: u16 = b'.' as u16;
    if leaf.contains(&BACKSLASH) {
        return Err(NameError::OutsideNamespace);
    }
    if leaf.is_empty() || leaf.len() > MAX_LEAF_UNITS || leaf == [DOT] || leaf == [DOT, DOT] {
        return Err(NameError::BadLeaf);
    }
    Ok(())
}

/// `name` without its leading `prefix`, matching ASCII letters in either case. `prefix` must
/// be ASCII (every byte is then one UTF-16 unit).
pub(super) fn strip_prefix_ignore_ascii_case<'a>(
    name: &'a [u16],
    prefix: &str,
) -> Option<&'a [u16]> {
    let (head, rest) = name.split_at_checked(prefix.len())?;
    let matches = head
        .iter()
        .zip(prefix.bytes())
        .all(|(&unit, byte)| u8::try_from(unit).is_ok_and(|unit| unit.eq_ignore_ascii_case(&byte)));
    matches.then_some(rest)
}

/// A session id written in decimal: ASCII digits only, no sign, no leading zero (but `0`
/// itself), and within `u32`.
pub(super) fn parse_session_id(digits: &[u16]) -> Option<u32> {
    const ZERO: u16 = b'0' as u16;
    match digits {
        [] => None,
        [ZERO, _, ..] => None,
        _ => digits.iter().try_fold(0_u32, |value, &unit| {
            let digit = unit.checked_sub(ZERO).filter(|digit| *digit <= 9)?;
            value.checked_mul(10)?.checked_add(u32::from(digit))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn units(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn session_ids_are_plain_decimal_within_u32() {
        let cases = [
            ("0", Some(0)),
            ("1", Some(1)),
            ("42", Some(42)),
            ("4294967295", Some(u32::MAX)),
            ("4294967296", None),
            ("99999999999", None),
            ("", None),
            ("01", None),
            ("00", None),
            ("+1", None),
            ("-1", None),
            ("1a", None),
            (" 1", None),
            ("\u{0661}", None), // ARABIC-INDIC DIGIT ONE
        ];
        for (digits, expected) in cases {
            assert_eq!(parse_session_id(&units(digits)), expected, "{digits:?}");
        }
    }

    #[test]
    fn prefixes_match_ascii_case_insensitively_only() {
        let name = units(r"gLoBaL\X");
        assert_eq!(
            strip_prefix_ignore_ascii_case(&name, r"Global\"),
            Some(&units("X")[..])
        );
        assert_eq!(
            strip_prefix_ignore_ascii_case(&units("Glo"), r"Global\"),
            None
        );
        // U+212A KELVIN SIGN folds to `k` in Unicode but is not ASCII.
        assert_eq!(
            strip_prefix_ignore_ascii_case(&units("\u{212A}ey"), "key"),
            None
        );
        // A unit whose low byte is ASCII is not that ASCII letter.
        assert_eq!(strip_prefix_ignore_ascii_case(&[0x0141], "A"), None);
    }
}
