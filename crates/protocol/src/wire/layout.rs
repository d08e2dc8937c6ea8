//! [`wire_layout!`]: a message's fixed part, declared once.
//!
//! Why a macro over [`Reader`](super::Reader) and [`Writer`](super::Writer) and not a crate
//! such as `zerocopy`: the protocol's structs are packed little-endian with `u64`s at
//! unaligned offsets (`RegisterByName` has one after 20 bytes), so a zero-copy view needs
//! byte-order wrapper types in every field and `#[repr(C, packed)]`, and its derives emit
//! `unsafe impl`s that this crate's `#![forbid(unsafe_code)]` (and the kernel's rule of no
//! dependency it does not need) would have to make room for. What is wanted here is not
//! zero-copy access (every message is tens of bytes, copied once) but one table per message
//! from which the size, the encoding, the raw parsing *and the text of `docs/protocol.md`*
//! follow; the last needs the field names and docs as data, which no layout crate provides.
//! The reads and writes stay the bounds-checked ones the no-panic check already proves.

/// Declares a message's fixed part: the struct of its raw fields, in wire order, and from that
/// table alone its size (`LEN`), its reading and writing ([`Wire`](super::Wire)), the value an
/// encoder starts from (`BLANK`: zero, except the fields the table fixes), the check that the
/// fixed fields hold (`reserved = 0`), and its row in `docs/protocol.md` (`DOC`).
///
/// ```text
/// wire_layout! {
///     /// Note: what the message is for (the struct's rustdoc, and the row's closing text).
///     pub(crate) struct RegisterByName {
///         /// what the field means (its rustdoc, and its text in the row)
///         header: RequestHeader,
///         mode: SignalMode,
///         name_bytes: u32,
///         reserved: u32 = 0,          // a fixed value: documented, BLANK's, and checked
///     }
///     tail(name_bytes): "UTF-16LE name";   // a variable part: `declared_len()`, and the row
/// }
/// ```
///
/// `struct Name as Other` documents the layout under another name (a reply's raw struct,
/// whose public type owns the plain name). Only `///` comments may precede the struct and
/// its fields: their text is the documentation, so it must be plain Markdown (no intra-doc
/// links), and a field's doc a phrase that reads well in parentheses.
macro_rules! wire_layout {
    (@name $name:ident) => { stringify!($name) };
    (@name $name:ident $doc_name:ident) => { stringify!($doc_name) };
    (@value) => { None };
    (@value $value:literal) => { Some(stringify!($value)) };
    (@blank $ty:ty) => { <$ty as $crate::wire::Wire>::BLANK };
    (@blank $ty:ty, $value:literal) => { $value };
    (@holds $field:expr) => { $crate::wire::Wire::fixed_fields_hold(&$field) };
    (@holds $field:expr, $value:literal) => { $field == $value };
    (@tail) => { None };
    (@tail [$($len:ident),+] $doc:literal) => {
        Some($crate::layout::TailDoc { lens: &[$(stringify!($len)),+], doc: $doc })
    };
    (
        $(#[doc = $doc:literal])*
        $vis:vis struct $name:ident $(as $doc_name:ident)? {
            $(
                $(#[doc = $field_doc:literal])*
                $field:ident: $ty:ty $(= $value:literal)?,
            )+
        }
        $(tail($($len:ident),+): $tail_doc:literal;)?
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis struct $name {
            $( $(#[doc = $field_doc])* $vis $field: $ty, )+
        }

        impl $name {
            /// The encoded size, in bytes (of the fixed part, if a variable part follows).
            // Evaluated at compile time: an overflow would fail the build, not the driver.
            #[allow(clippy::arithmetic_side_effects)]
            $vis const LEN: usize = 0 $(+ <$ty as $crate::wire::Wire>::LEN)+;

            /// How `docs/protocol.md` describes this layout.
            pub(crate) const DOC: $crate::layout::MessageDoc = $crate::layout::MessageDoc {
                name: $crate::wire::wire_layout!(@name $name $($doc_name)?),
                len: Self::LEN,
                fields: &[$(
                    $crate::layout::FieldDoc {
                        name: stringify!($field),
                        ty: <$ty as $crate::wire::Wire>::TYPE,
                        value: $crate::wire::wire_layout!(@value $($value)?),
                        doc: concat!($($field_doc),*),
                    },
                )+],
                tail: $crate::wire::wire_layout!(@tail $([$($len),+] $tail_doc)?),
                note: concat!($($doc),*),
            };
        }

        $(
            impl $name {
                /// The size the message declares: its fixed part plus the lengths of its
                /// variable part (saturating: a size no buffer can have is never matched).
                pub(crate) fn declared_len(&self) -> usize {
                    [$(self.$len),+]
                        .iter()
                        .try_fold(Self::LEN, |sum, &len| {
                            usize::try_from(len).ok().and_then(|len| sum.checked_add(len))
                        })
                        .unwrap_or(usize::MAX)
                }
            }
        )?

        impl $crate::wire::Wire for $name {
            const LEN: usize = $name::LEN;
            const BLANK: Self = $name {
                $( $field: $crate::wire::wire_layout!(@blank $ty $(, $value)?), )+
            };
            const TYPE: $crate::layout::TypeDoc = $crate::layout::TypeDoc::named(Self::DOC.name);

            fn read(from: &mut $crate::wire::Reader<'_>) -> Option<Self> {
                // Struct expressions evaluate their fields in the order written: wire order.
                Some($name {
                    $( $field: <$ty as $crate::wire::Wire>::read(from)?, )+
                })
            }

            fn write(&self, to: &mut $crate::wire::Writer<'_>) -> Option<()> {
                $( <$ty as $crate::wire::Wire>::write(&self.$field, to)?; )+
                Some(())
            }

            fn fixed_fields_hold(&self) -> bool {
                $( $crate::wire::wire_layout!(@holds self.$field $(, $value)?) )&&+
            }
        }
    };
}

pub(crate) use wire_layout;
