//! Driver messages through `DbgPrintEx`, each line starting with the driver's prefix
//! ([`crate::identity`]) (under Wine, visible with `WINEDEBUG=warn+debugstr`).
//!
//! Messages are formatted by Rust into a stack buffer and handed over as one `%s`, so no format
//! directive of ours ever reaches the kernel's printf (Wine's has no `%wZ`).

use crate::sys::imports::DbgPrintEx;
use crate::sys::{DPFLTR_ERROR_LEVEL, DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL};
use core::fmt::{self, Write};

/// Message importance.
#[derive(Clone, Copy, Debug)]
pub enum Level {
    /// Something failed.
    Error,
    /// What happened.
    Info,
}

struct Line {
    buf: [u8; 240],
    len: usize,
}

impl Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Keep one byte for the terminator; truncate silently rather than fail.
        let room = self.buf.len() - 1 - self.len;
        let take = s.len().min(room);
        if let (Some(dst), Some(src)) = (
            self.buf.get_mut(self.len..self.len + take),
            s.as_bytes().get(..take),
        ) {
            dst.copy_from_slice(src);
            self.len += take;
        }
        Ok(())
    }
}

/// Prints one line. Use [`crate::log!`].
///
/// IRQL: `<= DISPATCH_LEVEL` (`DbgPrintEx`).
pub fn emit(level: Level, args: fmt::Arguments<'_>) {
    let mut line = Line {
        buf: [0; 240],
        len: 0,
    };
    let _ = line.write_fmt(args);
    let level = match level {
        Level::Error => DPFLTR_ERROR_LEVEL,
        Level::Info => DPFLTR_INFO_LEVEL,
    };
    // SAFETY: the format is a NUL-terminated literal with two %s: the driver's prefix (a
    // `&'static CStr`) and `line.buf`, NUL-terminated because `write_str` always leaves the
    // last byte zero.
    unsafe {
        DbgPrintEx(
            DPFLTR_IHVDRIVER_ID,
            level,
            c"%s: %s\n".as_ptr().cast(),
            crate::identity::log_prefix(),
            line.buf.as_ptr(),
        )
    };
}

/// `log!(Info, "registered {}", id)`: formats and prints a driver message.
#[macro_export]
macro_rules! log {
    ($level:ident, $($arg:tt)*) => {
        $crate::log::emit($crate::log::Level::$level, format_args!($($arg)*))
    };
}

/// A build's cargo features for its load line: each name and whether this build has it,
/// displayed as the enabled ones, comma-separated, or `none`. A crate keeps its own list
/// (`cfg!(feature = …)` is evaluated where it is written).
pub struct FeatureList(pub &'static [(&'static str, bool)]);

impl core::fmt::Display for FeatureList {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut enabled = self.0.iter().filter(|(_, on)| *on).map(|(name, _)| name);
        match enabled.next() {
            None => f.write_str("none"),
            Some(first) => {
                f.write_str(first)?;
                enabled.try_for_each(|name| write!(f, ", {name}"))
            }
        }
    }
}
