//! The SEH rule: the driver's exception handlers, read from its `.pdata`/`.xdata`.
//!
//! evshare's kernel layer catches raises with one assembly shim (`km::seh`) whose unwind
//! information names `__C_specific_handler`, imported from `ntoskrnl.exe`. The rule: at least
//! one function's unwind information has an exception handler, and every handler is that
//! import (through its `jmp [__imp___C_specific_handler]` thunk). A missing frame means raises
//! escape (a bugcheck on Windows); any other handler is code the kernel would call that nobody
//! reviewed.

use std::collections::HashMap;

use anyhow::{Context, Result};
use object::pe;
use object::read::pe::{Import, PeFile64};
use object::LittleEndian as LE;

use super::Violation;

/// `UNW_FLAG_EHANDLER | UNW_FLAG_UHANDLER`.
const HANDLER_FLAGS: u8 = 0x1 | 0x2;

/// One function whose unwind information names an exception handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerUse {
    /// The function's RVA (`RUNTIME_FUNCTION::BeginAddress`).
    pub function: u32,
    /// `dll!name` of the imported handler, or `rva 0x…` if it is not an import thunk.
    pub handler: String,
}

/// The handler RVA of an `UNWIND_INFO` (`unwind` starts at it), if it names one.
pub fn unwind_handler_rva(unwind: &[u8]) -> Option<u32> {
    let flags = unwind.first()? >> 3;
    if flags & HANDLER_FLAGS == 0 {
        return None;
    }
    let codes = usize::from(*unwind.get(2)?);
    // The unwind codes (2 bytes each) are padded to an even count; the handler RVA follows.
    let at = 4 + 2 * ((codes + 1) & !1);
    let bytes = unwind.get(at..at + 4)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

/// The IAT slot a `jmp qword ptr [rip + disp32]` thunk at `rva` (its bytes in `code`) jumps
/// through.
pub fn thunk_slot(code: &[u8], rva: u32) -> Option<u32> {
    match code {
        [0xFF, 0x25, d0, d1, d2, d3, ..] => {
            let disp = i32::from_le_bytes([*d0, *d1, *d2, *d3]);
            rva.checked_add(6)?.checked_add_signed(disp)
        }
        _ => None,
    }
}

/// `dll!name` of every IAT slot, by slot RVA.
fn iat_names(file: &PeFile64<'_>) -> Result<HashMap<u32, String>> {
    let mut slots = HashMap::new();
    let Some(table) = file.import_table()? else {
        return Ok(slots);
    };
    let mut descriptors = table.descriptors()?;
    while let Some(descriptor) = descriptors.next()? {
        let dll = String::from_utf8_lossy(table.name(descriptor.name.get(LE))?).into_owned();
        let iat = descriptor.first_thunk.get(LE);
        let lookup = match descriptor.original_first_thunk.get(LE) {
            0 => iat,
            lookup => lookup,
        };
        let mut thunks = table.thunks(lookup)?;
        let mut slot = iat;
        while let Some(thunk) = thunks.next::<pe::ImageNtHeaders64>()? {
            if let Import::Name(_, name) = table.import::<pe::ImageNtHeaders64>(thunk)? {
                slots.insert(slot, format!("{dll}!{}", String::from_utf8_lossy(name)));
            }
            slot += 8;
        }
    }
    Ok(slots)
}

/// Every function of the image whose unwind information names an exception handler.
pub fn handlers(file: &PeFile64<'_>, data: &[u8]) -> Result<Vec<HandlerUse>> {
    let sections = file.section_table();
    let Some(dir) = file.data_directory(pe::IMAGE_DIRECTORY_ENTRY_EXCEPTION) else {
        return Ok(Vec::new());
    };
    let (start, size) = (dir.virtual_address.get(LE), dir.size.get(LE));
    if size == 0 {
        return Ok(Vec::new());
    }
    let pdata = sections
        .pe_data_at(data, start)
        .and_then(|bytes| bytes.get(..size as usize))
        .context("the exception directory lies outside the sections")?;
    let names = iat_names(file)?;
    let mut found = Vec::new();
    for entry in pdata.chunks_exact(12) {
        let word =
            |i: usize| u32::from_le_bytes([entry[i], entry[i + 1], entry[i + 2], entry[i + 3]]);
        let (function, unwind) = (word(0), word(8));
        let Some(info) = sections.pe_data_at(data, unwind) else {
            continue;
        };
        let Some(handler) = unwind_handler_rva(info) else {
            continue;
        };
        let name = sections
            .pe_data_at(data, handler)
            .and_then(|code| thunk_slot(code, handler))
            .and_then(|slot| names.get(&slot).cloned())
            .unwrap_or_else(|| format!("rva {handler:#x}"));
        found.push(HandlerUse {
            function,
            handler: name,
        });
    }
    Ok(found)
}

/// The handler every SEH frame must name.
pub const C_SPECIFIC_HANDLER: &str = "ntoskrnl.exe!__C_specific_handler";

/// The violations of the SEH rule among `uses`.
pub fn check(uses: &[HandlerUse]) -> Vec<Violation> {
    let mut found: Vec<Violation> = uses
        .iter()
        .filter(|used| !used.handler.eq_ignore_ascii_case(C_SPECIFIC_HANDLER))
        .map(|used| Violation::UnknownExceptionHandler {
            function: used.function,
            handler: used.handler.clone(),
        })
        .collect();
    if !uses
        .iter()
        .any(|used| used.handler.eq_ignore_ascii_case(C_SPECIFIC_HANDLER))
    {
        found.push(Violation::NoSehFrame);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handler_follows_the_padded_unwind_codes() {
        // Version 1, UNW_FLAG_EHANDLER; prologue 4; one code (sub rsp, 40); handler 0x8ea0.
        let one_code = [
            0x09, 0x04, 0x01, 0x00, 0x04, 0x42, 0x00, 0x00, 0xa0, 0x8e, 0, 0,
        ];
        assert_eq!(unwind_handler_rva(&one_code), Some(0x8ea0));
        // Two codes: no padding.
        let two_codes = [0x09, 0x05, 0x02, 0x00, 1, 2, 3, 4, 0x10, 0x20, 0, 0];
        assert_eq!(unwind_handler_rva(&two_codes), Some(0x2010));
        // No handler flag.
        let plain = [0x01, 0x04, 0x01, 0x00, 0x04, 0x42, 0x00, 0x00];
        assert_eq!(unwind_handler_rva(&plain), None);
        // Truncated.
        assert_eq!(unwind_handler_rva(&one_code[..9]), None);
    }

    #[test]
    fn a_jmp_thunk_names_its_slot() {
        // jmp [rip + 0xf3a] at 0x7ea0 reads the slot at 0x7ea0 + 6 + 0xf3a.
        let code = [0xff, 0x25, 0x3a, 0x0f, 0x00, 0x00, 0xcc];
        assert_eq!(thunk_slot(&code, 0x7ea0), Some(0x7ea0 + 6 + 0xf3a));
        assert_eq!(thunk_slot(&[0xc3, 0, 0, 0, 0, 0], 0x10), None);
    }

    #[test]
    fn the_rule_wants_one_c_specific_frame_and_no_other_handler() {
        let shim = HandlerUse {
            function: 0x1000,
            handler: C_SPECIFIC_HANDLER.to_string(),
        };
        let other = HandlerUse {
            function: 0x2000,
            handler: "ntoskrnl.exe!__CxxFrameHandler3".to_string(),
        };
        assert_eq!(check(std::slice::from_ref(&shim)), []);
        assert_eq!(check(&[]), [Violation::NoSehFrame]);
        assert_eq!(
            check(&[shim, other]),
            [Violation::UnknownExceptionHandler {
                function: 0x2000,
                handler: "ntoskrnl.exe!__CxxFrameHandler3".to_string()
            }]
        );
    }
}
