//! The layouts of every request and reply, as data: what `docs/protocol.md` ("Encoding")
//! lists between its `<!-- wire:begin -->` and `<!-- wire:end -->` markers is
//! [`markdown`]'s output, and a test fails when the two differ.
//!
//! Each layout is declared once, in the module of its message, as a table of fields (see the
//! crate's `wire_layout!`): its size, its encoding, its raw parsing and this description all
//! come from that table, so the documentation cannot drift from the code.

use core::fmt::{self, Write};

use crate::reply::version as version_reply;
use crate::reply::{
    channels, holders, notify, register, registration, ring, signal, stats, verifier,
};
use crate::request::layout as req;

/// How a field's type is written: `u32`, `SignalMode`, `[u64; 32]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TypeDoc {
    /// The type's name, or its element's for an array.
    pub name: &'static str,
    /// For an array, how many elements.
    pub count: Option<usize>,
}

impl TypeDoc {
    /// A type written by its name.
    pub const fn named(name: &'static str) -> TypeDoc {
        TypeDoc { name, count: None }
    }

    /// An array of `count` elements of type `element`.
    pub const fn array(element: TypeDoc, count: usize) -> TypeDoc {
        TypeDoc {
            name: element.name,
            count: Some(count),
        }
    }
}

impl fmt::Display for TypeDoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.count {
            Some(count) => write!(f, "[{}; {count}]", self.name),
            None => f.write_str(self.name),
        }
    }
}

/// One field of a layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldDoc {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub ty: TypeDoc,
    /// The value the protocol fixes it to (`"0"` for a reserved field), if any.
    pub value: Option<&'static str>,
    /// What it means (may be empty).
    pub doc: &'static str,
}

impl fmt::Display for FieldDoc {
    /// `` `name: type` ``, `` `name: type = value` ``, then ` (doc)` if there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}: {}", self.name, self.ty)?;
        if let Some(value) = self.value {
            write!(f, " = {value}")?;
        }
        f.write_str("`")?;
        let doc = self.doc.trim();
        if !doc.is_empty() {
            write!(f, " ({doc})")?;
        }
        Ok(())
    }
}

/// The variable part that follows a layout's fixed fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TailDoc {
    /// The fixed fields that give its lengths in bytes, in the order the parts follow.
    pub lens: &'static [&'static str],
    /// What it is.
    pub doc: &'static str,
}

/// A request's or reply's layout (or one they contain, such as `SignalMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessageDoc {
    /// The layout's name in the documentation.
    pub name: &'static str,
    /// The size of its fixed part, in bytes.
    pub len: usize,
    /// Its fixed fields, in wire order.
    pub fields: &'static [FieldDoc],
    /// Its variable part, if it has one.
    pub tail: Option<TailDoc>,
    /// What else to say about it (may be empty).
    pub note: &'static str,
}

impl fmt::Display for MessageDoc {
    /// The layout's list item in `docs/protocol.md`, on one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "- `{}` =", self.name)?;
        let mut separator = " ";
        for field in self.fields {
            write!(f, "{separator}{field}")?;
            separator = ", ";
        }
        match self.tail {
            None => write!(f, " — {} bytes.", self.len)?,
            Some(tail) => {
                write!(
                    f,
                    " ({} bytes), then {}. Total length exactly `{}",
                    self.len,
                    tail.doc.trim(),
                    self.len
                )?;
                for len in tail.lens {
                    write!(f, " + {len}")?;
                }
                f.write_str("`.")?;
            }
        }
        let note = self.note.trim();
        if !note.is_empty() {
            write!(f, " {note}")?;
        }
        Ok(())
    }
}

/// The request layouts, in the order `docs/protocol.md` lists them.
pub const REQUESTS: &[MessageDoc] = &[
    req::RequestHeader::DOC,
    crate::mode::SignalModeWire::DOC,
    req::RegisterByName::DOC,
    req::SetSignalMode::DOC,
    req::RegistrationRequest::DOC,
    req::RegisterByHandle::DOC,
    req::CreateEvent::DOC,
    req::CreateNamedEvent::DOC,
    req::StatsRequest::DOC,
    req::RegisterRing::DOC,
    req::Produce::DOC,
    req::Notify::DOC,
    req::Verifier::DOC,
    req::Subscribe::DOC,
];

/// The reply layouts, in the order `docs/protocol.md` lists them.
pub const REPLIES: &[MessageDoc] = &[
    version_reply::VersionReplyWire::DOC,
    register::RegisterReplyWire::DOC,
    registration::RegistrationInfoWire::DOC,
    stats::StatsReplyWire::DOC,
    verifier::VerifierFiguresWire::DOC,
    verifier::VerifierReplyWire::DOC,
    holders::HoldersReplyWire::DOC,
    holders::Holder::DOC,
    signal::SignalReplyWire::DOC,
    ring::RingReplyWire::DOC,
    ring::ProduceReplyWire::DOC,
    ring::RingInfoWire::DOC,
    notify::NotificationWire::DOC,
    notify::NotifyReplyWire::DOC,
    channels::ChannelsReplyWire::DOC,
    channels::ChannelEntry::DOC,
];

/// The width `docs/protocol.md`'s lines are wrapped to.
pub const WIDTH: usize = 100;

/// Writes the text `docs/protocol.md` holds between `<!-- wire:begin -->` and
/// `<!-- wire:end -->`: the [`REQUESTS`], then the [`REPLIES`], one list item each, wrapped
/// to [`WIDTH`] columns.
pub fn markdown(out: &mut impl Write) -> fmt::Result {
    out.write_str("Requests:\n\n")?;
    for message in REQUESTS {
        wrapped(out, message)?;
    }
    out.write_str("\nReplies:\n\n")?;
    for message in REPLIES {
        wrapped(out, message)?;
    }
    Ok(())
}

/// Writes `item` as Markdown list lines of at most [`WIDTH`] columns (a longer word gets a
/// line of its own), continued lines indented by two spaces, and a final newline.
fn wrapped(out: &mut impl Write, item: &MessageDoc) -> fmt::Result {
    let mut lines = Wrap {
        out,
        column: 0,
        word: [0; WORD_CAPACITY],
        word_len: 0,
        word_width: 0,
        in_code: false,
    };
    write!(lines, "{item}")?;
    lines.end_word()?;
    lines.out.write_char('\n')
}

/// The longest word [`Wrap`] can hold, in bytes.
const WORD_CAPACITY: usize = 256;

/// Word-wraps the text written to it onto `out`, a word at a time.
struct Wrap<'a, W: Write> {
    out: &'a mut W,
    /// The column the next character goes to.
    column: usize,
    /// The word being gathered, UTF-8.
    word: [u8; WORD_CAPACITY],
    word_len: usize,
    /// Its width in characters.
    word_width: usize,
    /// Inside a code span, whose spaces do not end a word (a span is never broken).
    in_code: bool,
}

impl<W: Write> Wrap<'_, W> {
    /// Writes the gathered word, on this line if it fits, else on the next.
    fn end_word(&mut self) -> fmt::Result {
        if self.word_len == 0 {
            return Ok(());
        }
        let word = self.word.get(..self.word_len).ok_or(fmt::Error)?;
        let word = core::str::from_utf8(word).map_err(|_| fmt::Error)?;
        let fits = self
            .column
            .saturating_add(1)
            .saturating_add(self.word_width)
            <= WIDTH;
        if self.column > 0 && fits {
            self.out.write_char(' ')?;
            self.column = self.column.saturating_add(1);
        } else if self.column > 0 {
            self.out.write_str("\n  ")?;
            self.column = 2;
        }
        self.out.write_str(word)?;
        self.column = self.column.saturating_add(self.word_width);
        self.word_len = 0;
        self.word_width = 0;
        Ok(())
    }
}

impl<W: Write> Write for Wrap<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        for c in text.chars() {
            if c == '`' {
                self.in_code = !self.in_code;
            }
            if c == ' ' && !self.in_code {
                self.end_word()?;
                continue;
            }
            let end = self.word_len.checked_add(c.len_utf8()).ok_or(fmt::Error)?;
            let slot = self.word.get_mut(self.word_len..end).ok_or(fmt::Error)?;
            c.encode_utf8(slot);
            self.word_len = end;
            self.word_width = self.word_width.saturating_add(1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{check_fixed, wire_layout, Reader, Wire, Writer};
    use std::string::String;

    wire_layout! {
        /// A note.
        pub(crate) struct Sample {
            /// the first
            first: u32 = 7,
            pair: [u16; 2],
            tail_bytes: u32,
        }
        tail(tail_bytes): "`tail_bytes` bytes";
    }

    #[test]
    fn a_table_gives_the_size_the_blank_the_fixed_check_and_the_tail() {
        assert_eq!(Sample::LEN, 12);
        let blank = Sample::BLANK;
        assert_eq!((blank.first, blank.pair, blank.tail_bytes), (7, [0, 0], 0));
        assert_eq!(check_fixed(&blank), Ok(()));
        let wrong = Sample { first: 0, ..blank };
        assert_eq!(
            check_fixed(&wrong),
            Err(crate::ProtocolError::ReservedNotZero)
        );
        let sample = Sample {
            pair: [0x0201, 0x0403],
            tail_bytes: 5,
            ..blank
        };
        assert_eq!(sample.declared_len(), 17);
        let huge = Sample {
            tail_bytes: u32::MAX,
            ..blank
        };
        assert_eq!(huge.declared_len(), 12 + u32::MAX as usize);
    }

    #[test]
    fn a_table_reads_and_writes_its_fields_in_order() {
        let sample = Sample {
            pair: [0x0201, 0x0403],
            tail_bytes: 0x0605,
            ..Sample::BLANK
        };
        let mut out = [0xAA_u8; 13];
        let mut to = Writer::new(&mut out);
        assert_eq!(sample.write(&mut to), Some(()));
        assert_eq!(to.written(), 12);
        assert_eq!(out, [7, 0, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 0xAA]);
        let mut from = Reader::new(&out);
        assert_eq!(Sample::read(&mut from), Some(sample));
        assert_eq!(from.rest(), &[0xAA]);
        assert_eq!(Sample::read(&mut Reader::new(&out[..11])), None);
    }

    #[test]
    fn a_table_documents_itself() {
        let row = std::format!("{}", Sample::DOC);
        assert_eq!(
            row,
            "- `Sample` = `first: u32 = 7` (the first), `pair: [u16; 2]`, `tail_bytes: u32` \
             (12 bytes), then `tail_bytes` bytes. Total length exactly `12 + tail_bytes`. A note."
        );
        assert_eq!(<Sample as Wire>::TYPE, TypeDoc::named("Sample"));
        assert_eq!(std::format!("{}", <[Sample; 3]>::TYPE), "[Sample; 3]");
    }

    const X: &[FieldDoc] = &[FieldDoc {
        name: "x",
        ty: TypeDoc::named("u32"),
        value: None,
        doc: "",
    }];

    #[test]
    fn rows_wrap_between_words_and_never_inside_a_code_span() {
        let note = "word ".repeat(30) + "`a code span with spaces that must stay whole` end";
        let message = MessageDoc {
            name: "Long",
            len: 4,
            fields: X,
            tail: None,
            note: std::boxed::Box::leak(note.into_boxed_str()),
        };
        let mut text = String::new();
        wrapped(&mut text, &message).unwrap();
        let lines: std::vec::Vec<&str> = text.lines().collect();
        assert!(lines.len() > 1, "{text}");
        assert!(lines[0].starts_with("- `Long` = `x: u32` — 4 bytes. word"));
        for line in &lines[1..] {
            assert!(
                line.starts_with("  ") && !line.starts_with("   "),
                "{line:?}"
            );
        }
        for line in &lines {
            assert!(line.chars().count() <= WIDTH, "{line:?}");
            assert_eq!(
                line.matches('`').count() % 2,
                0,
                "a code span is cut: {line:?}"
            );
        }
        let rejoined = lines
            .iter()
            .map(|line| line.trim())
            .collect::<std::vec::Vec<_>>();
        assert_eq!(rejoined.join(" "), std::format!("{message}"));
        assert!(text.ends_with(" end\n"));
    }
}
