//! `cargo xtask lint`: checks that a PE image is a driver Windows and Wine 8.0 will load and
//! that cannot kill `winedevice.exe` through a bad import.
//!
//! The rules, each reported as a [`Violation`]:
//! - machine AMD64, subsystem NATIVE;
//! - exports `DriverEntry`, and the entry point is that export;
//! - imports only from `ntoskrnl.exe` and `hal.dll`, by name, none delay-loaded;
//! - imports no Wine 8.0 `@ stub` (`xtask/data/wine-8.0-stubs.tsv`), and, when Wine is
//!   installed, nothing the installed Wine's `ntoskrnl.exe`/`hal.dll` does not export;
//! - no section both writable and executable, none without characteristics (lld-link can leave
//!   one such, and Windows then refuses the image with error 998);
//! - the PE checksum is set and right;
//! - for the driver image ([`run`]): an SEH frame whose handler is `ntoskrnl.exe`'s
//!   `__C_specific_handler`, and no other exception handler ([`seh`]).

mod checksum;
pub mod seh;
#[cfg(test)]
mod test_image;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;

use anyhow::{bail, Context, Result};
use object::pe::{self, ImageNtHeaders64};
use object::read::pe::{ExportTarget, Import, ImportTable, PeFile64};
use object::LittleEndian as LE;

pub use checksum::{checksum_offset, pe_checksum};

use crate::steps;

/// Every `@ stub` export of Wine 8.0's `ntoskrnl.exe` and `hal.dll` on x86_64 (`dll<TAB>name`).
const WINE_STUBS: &str = include_str!("../data/wine-8.0-stubs.tsv");
/// Where Debian's Wine 8.0 keeps its PE builtins.
const WINE_PE_DIR: &str = "/usr/lib/x86_64-linux-gnu/wine/x86_64-windows";
/// The only DLLs a driver may import from.
const KERNEL_DLLS: [&str; 2] = ["ntoskrnl.exe", "hal.dll"];

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// The machine is not AMD64.
    Machine(u16),
    /// The subsystem is not NATIVE (1).
    Subsystem(u16),
    /// No export named `DriverEntry`.
    NoDriverEntry,
    /// The entry point is not the `DriverEntry` export.
    EntryPointNotDriverEntry {
        /// AddressOfEntryPoint.
        entry: u32,
        /// The RVA of the `DriverEntry` export.
        driver_entry: u32,
    },
    /// An import from a DLL other than `ntoskrnl.exe`/`hal.dll`.
    ForeignImport {
        /// The DLL.
        dll: String,
        /// The imported name (or `#ordinal`).
        name: String,
    },
    /// An import by ordinal, which cannot be checked against Wine.
    OrdinalImport {
        /// The DLL.
        dll: String,
        /// The ordinal.
        ordinal: u16,
    },
    /// A delay-loaded import: the kernel loader has no delay loading.
    DelayLoadImport {
        /// The DLL.
        dll: String,
    },
    /// An import that is an `@ stub` in Wine 8.0: calling it kills `winedevice.exe`.
    StubImport {
        /// The DLL.
        dll: String,
        /// The imported name.
        name: String,
    },
    /// An import the installed Wine does not export at all.
    NotExportedByWine {
        /// The DLL.
        dll: String,
        /// The imported name.
        name: String,
    },
    /// A section both writable and executable.
    WritableAndExecutable {
        /// The section name.
        section: String,
    },
    /// A section with no characteristics at all.
    NoCharacteristics {
        /// The section name.
        section: String,
    },
    /// The PE checksum is zero.
    ChecksumZero,
    /// No function's unwind information names `ntoskrnl.exe!__C_specific_handler`: the SEH
    /// shim that catches raises is missing.
    NoSehFrame,
    /// A function's unwind information names an exception handler other than
    /// `__C_specific_handler`.
    UnknownExceptionHandler {
        /// The function's RVA.
        function: u32,
        /// What the handler is.
        handler: String,
    },
    /// The PE checksum is not the checksum of the file.
    ChecksumMismatch {
        /// The value in the header.
        stored: u32,
        /// The value computed over the file.
        computed: u32,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::Machine(machine) => {
                write!(f, "machine is {machine:#06x}, not AMD64 (0x8664)")
            }
            Violation::Subsystem(subsystem) => write!(
                f,
                "subsystem is {subsystem}, not NATIVE (1): link with /SUBSYSTEM:NATIVE"
            ),
            Violation::NoDriverEntry => write!(f, "no `DriverEntry` export"),
            Violation::EntryPointNotDriverEntry {
                entry,
                driver_entry,
            } => write!(
                f,
                "entry point {entry:#x} is not DriverEntry ({driver_entry:#x}): link with /ENTRY:DriverEntry"
            ),
            Violation::ForeignImport { dll, name } => write!(
                f,
                "imports {dll}!{name}: a driver may import only from ntoskrnl.exe and hal.dll"
            ),
            Violation::OrdinalImport { dll, ordinal } => {
                write!(f, "imports {dll}!#{ordinal} by ordinal: import by name")
            }
            Violation::DelayLoadImport { dll } => write!(
                f,
                "delay-loads {dll}: the kernel loader does not delay-load"
            ),
            Violation::StubImport { dll, name } => write!(
                f,
                "imports {dll}!{name}, an `@ stub` in Wine 8.0 (calling it kills winedevice.exe): resolve it with MmGetSystemRoutineAddress or do without"
            ),
            Violation::NotExportedByWine { dll, name } => write!(
                f,
                "imports {dll}!{name}, which the installed Wine's {dll} does not export (its slot becomes a crashing stub)"
            ),
            Violation::WritableAndExecutable { section } => {
                write!(f, "section {section} is both writable and executable")
            }
            Violation::NoCharacteristics { section } => write!(
                f,
                "section {section} has no characteristics (Windows refuses the image, error 998): fix it with /MERGE: or /SECTION:"
            ),
            Violation::ChecksumZero => write!(f, "PE checksum is 0: link with /RELEASE"),
            Violation::NoSehFrame => write!(
                f,
                "no unwind information names ntoskrnl.exe!__C_specific_handler: km::seh's shim is missing, so a raise would escape"
            ),
            Violation::UnknownExceptionHandler { function, handler } => write!(
                f,
                "the function at rva {function:#x} names the exception handler {handler}, not __C_specific_handler"
            ),
            Violation::ChecksumMismatch { stored, computed } => write!(
                f,
                "PE checksum is {stored:#010x} but the file's checksum is {computed:#010x}"
            ),
        }
    }
}

/// The import lists the lint checks against.
#[derive(Debug, Default)]
pub struct KnownExports {
    /// `(lower-case dll, name)` of every Wine 8.0 `@ stub`.
    pub stubs: HashSet<(String, String)>,
    /// What the installed Wine exports, by lower-case DLL name; `None` when Wine is not installed.
    pub wine: Option<HashMap<String, HashSet<String>>>,
}

impl KnownExports {
    /// The embedded stub list, and no Wine exports.
    pub fn stubs_only() -> Self {
        KnownExports {
            stubs: parse_stub_list(WINE_STUBS),
            wine: None,
        }
    }
}

/// Parses `dll<TAB>name` lines, skipping comments.
pub fn parse_stub_list(text: &str) -> HashSet<(String, String)> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('\t'))
        .map(|(dll, name)| (dll.trim().to_ascii_lowercase(), name.trim().to_string()))
        .collect()
}

/// A section as the summary shows it.
#[derive(Debug, Clone)]
pub struct SectionInfo {
    /// The name.
    pub name: String,
    /// Its RVA.
    pub address: u32,
    /// Its size in memory.
    pub virtual_size: u32,
    /// Its characteristics.
    pub characteristics: u32,
}

/// What the lint found out about an image.
#[derive(Debug, Default)]
pub struct Findings {
    /// Every broken rule, in the order checked.
    pub violations: Vec<Violation>,
    /// The sections.
    pub sections: Vec<SectionInfo>,
    /// Imported names by DLL, as written in the image.
    pub imports: BTreeMap<String, Vec<String>>,
    /// AddressOfEntryPoint.
    pub entry: u32,
    /// The checksum in the header.
    pub checksum: u32,
}

/// Lints the image in `data`. Fails only if it is not a PE32+ image at all.
pub fn lint(data: &[u8], known: &KnownExports) -> Result<Findings> {
    let file = PeFile64::parse(data).context("not a PE32+ (64-bit PE) image")?;
    let nt = file.nt_headers();
    let optional = &nt.optional_header;
    let mut findings = Findings {
        entry: optional.address_of_entry_point.get(LE),
        checksum: optional.check_sum.get(LE),
        ..Findings::default()
    };
    let found = &mut findings.violations;

    let machine = nt.file_header.machine.get(LE);
    if machine != pe::IMAGE_FILE_MACHINE_AMD64 {
        found.push(Violation::Machine(machine.0));
    }
    let subsystem = optional.subsystem.get(LE);
    if subsystem != pe::IMAGE_SUBSYSTEM_NATIVE {
        found.push(Violation::Subsystem(subsystem.0));
    }

    check_entry(&file, findings.entry, found)?;
    findings.imports = check_imports(&file, known, found)?;

    for header in file.section_table().iter() {
        let name = String::from_utf8_lossy(header.raw_name()).into_owned();
        let characteristics = header.characteristics.get(LE);
        if characteristics.0 == 0 {
            found.push(Violation::NoCharacteristics {
                section: name.clone(),
            });
        } else if characteristics.contains(pe::IMAGE_SCN_MEM_WRITE)
            && characteristics.contains(pe::IMAGE_SCN_MEM_EXECUTE)
        {
            found.push(Violation::WritableAndExecutable {
                section: name.clone(),
            });
        }
        findings.sections.push(SectionInfo {
            name,
            address: header.virtual_address.get(LE),
            virtual_size: header.virtual_size.get(LE),
            characteristics: characteristics.0,
        });
    }

    let computed = pe_checksum(data, checksum_offset(&file));
    if findings.checksum == 0 {
        found.push(Violation::ChecksumZero);
    } else if findings.checksum != computed {
        found.push(Violation::ChecksumMismatch {
            stored: findings.checksum,
            computed,
        });
    }
    Ok(findings)
}

fn check_entry(file: &PeFile64<'_>, entry: u32, found: &mut Vec<Violation>) -> Result<()> {
    let exports = match file.export_table()? {
        Some(table) => table.exports()?,
        None => Vec::new(),
    };
    let driver_entry = exports.iter().find_map(|export| match export.target {
        ExportTarget::Address(rva) if export.name == Some(b"DriverEntry".as_slice()) => Some(rva),
        _ => None,
    });
    match driver_entry {
        None => found.push(Violation::NoDriverEntry),
        Some(driver_entry) if driver_entry != entry => {
            found.push(Violation::EntryPointNotDriverEntry {
                entry,
                driver_entry,
            })
        }
        Some(_) => {}
    }
    Ok(())
}

fn check_imports(
    file: &PeFile64<'_>,
    known: &KnownExports,
    found: &mut Vec<Violation>,
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut by_dll = BTreeMap::new();
    if let Some(table) = file.import_table()? {
        let mut descriptors = table.descriptors()?;
        while let Some(descriptor) = descriptors.next()? {
            let dll = String::from_utf8_lossy(table.name(descriptor.name.get(LE))?).into_owned();
            let names: &mut Vec<String> = by_dll.entry(dll.clone()).or_default();
            let thunks = match descriptor.original_first_thunk.get(LE) {
                0 => descriptor.first_thunk.get(LE),
                lookup => lookup,
            };
            for import in imports_of(&table, thunks)? {
                match import {
                    Import::Name(_, name) => {
                        let name = String::from_utf8_lossy(name).into_owned();
                        check_import(&dll, &name, known, found);
                        names.push(name);
                    }
                    Import::Ordinal(ordinal) => {
                        found.push(Violation::OrdinalImport {
                            dll: dll.clone(),
                            ordinal,
                        });
                        names.push(format!("#{ordinal}"));
                    }
                }
            }
        }
    }
    if let Some(table) = file.delay_load_import_table()? {
        let mut descriptors = table.descriptors()?;
        while let Some(descriptor) = descriptors.next()? {
            let dll = String::from_utf8_lossy(table.name(descriptor.dll_name_rva.get(LE))?);
            found.push(Violation::DelayLoadImport {
                dll: dll.into_owned(),
            });
        }
    }
    Ok(by_dll)
}

fn imports_of<'data>(table: &ImportTable<'data>, thunks: u32) -> Result<Vec<Import<'data>>> {
    let mut list = table.thunks(thunks)?;
    let mut imports = Vec::new();
    while let Some(thunk) = list.next::<ImageNtHeaders64>()? {
        imports.push(table.import::<ImageNtHeaders64>(thunk)?);
    }
    Ok(imports)
}

fn check_import(dll: &str, name: &str, known: &KnownExports, found: &mut Vec<Violation>) {
    let lower = dll.to_ascii_lowercase();
    if !KERNEL_DLLS.contains(&lower.as_str()) {
        found.push(Violation::ForeignImport {
            dll: dll.to_string(),
            name: name.to_string(),
        });
        return;
    }
    if known.stubs.contains(&(lower.clone(), name.to_string())) {
        found.push(Violation::StubImport {
            dll: dll.to_string(),
            name: name.to_string(),
        });
    }
    if let Some(wine) = &known.wine {
        let exported = wine.get(&lower).is_some_and(|names| names.contains(name));
        if !exported {
            found.push(Violation::NotExportedByWine {
                dll: dll.to_string(),
                name: name.to_string(),
            });
        }
    }
}

/// The names the installed Wine's `ntoskrnl.exe` and `hal.dll` export, or `None` if Wine's PE
/// builtins are not in `dir`.
pub fn wine_exports(dir: &Path) -> Result<Option<HashMap<String, HashSet<String>>>> {
    let mut all = HashMap::new();
    for dll in KERNEL_DLLS {
        let path = dir.join(dll);
        if !path.is_file() {
            return Ok(None);
        }
        let data = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let file = PeFile64::parse(data.as_slice())
            .with_context(|| format!("parsing {}", path.display()))?;
        let names = match file.export_table()? {
            Some(table) => table
                .exports()?
                .into_iter()
                .filter_map(|export| export.name)
                .map(|name| String::from_utf8_lossy(name).into_owned())
                .collect(),
            None => HashSet::new(),
        };
        all.insert(dll.to_string(), names);
    }
    Ok(Some(all))
}

/// The `lint` subcommand: lints `path`, prints every violation or the summary.
pub fn run(path: &Path) -> Result<()> {
    run_with(path, SehFrame::Required)
}

/// Whether an image must carry km's SEH frame.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SehFrame {
    /// A driver built on km: its `try_call` shim must be there.
    Required,
    /// A driver that is not built on km (the C repro of Wine's late cancel).
    NotRequired,
}

/// [`run`] for a driver that is not built on km (the C repro): every rule but the SEH frame,
/// which only km's shim provides.
pub fn run_without_km(path: &Path) -> Result<()> {
    run_with(path, SehFrame::NotRequired)
}

fn run_with(path: &Path, seh_frame: SehFrame) -> Result<()> {
    steps::heading(&format!("lint {}", path.display()));
    let data = std::fs::read(path).with_context(|| {
        format!(
            "reading {} (build it with `cargo xtask build`)",
            path.display()
        )
    })?;
    let mut known = KnownExports::stubs_only();
    known.wine = wine_exports(Path::new(WINE_PE_DIR))?;
    if known.wine.is_none() {
        steps::warn(&format!(
            "Wine is not installed ({WINE_PE_DIR}/ntoskrnl.exe missing): skipped the check that every import is exported by Wine"
        ));
    }
    let mut findings =
        lint(&data, &known).with_context(|| format!("linting {}", path.display()))?;
    let file = PeFile64::parse(data.as_slice()).context("not a PE32+ (64-bit PE) image")?;
    let handlers = seh::handlers(&file, &data)
        .with_context(|| format!("reading the unwind information of {}", path.display()))?;
    if seh_frame == SehFrame::Required {
        findings.violations.extend(seh::check(&handlers));
    }
    if !findings.violations.is_empty() {
        for violation in &findings.violations {
            eprintln!("    violation: {violation}");
        }
        bail!(
            "{} violates {} rule(s)",
            path.display(),
            findings.violations.len()
        );
    }
    print_summary(&findings, known.wine.is_some());
    for used in &handlers {
        steps::note(&format!(
            "SEH frame: the function at rva {:#x} is handled by {}",
            used.function, used.handler
        ));
    }
    Ok(())
}

fn print_summary(findings: &Findings, checked_against_wine: bool) {
    steps::note("sections:");
    for section in &findings.sections {
        steps::note(&format!(
            "  {:<8} rva {:#07x} size {:#07x} {}",
            section.name,
            section.address,
            section.virtual_size,
            flags(section.characteristics)
        ));
    }
    steps::note("imports:");
    for (dll, names) in &findings.imports {
        steps::note(&format!("  {dll} ({}): {}", names.len(), names.join(" ")));
    }
    if findings.imports.is_empty() {
        steps::note("  none");
    }
    steps::note(&format!(
        "entry point {:#x} = DriverEntry; checksum {:#010x} (verified)",
        findings.entry, findings.checksum
    ));
    let against = if checked_against_wine {
        "the Wine 8.0 stub list and the installed Wine's exports"
    } else {
        "the Wine 8.0 stub list"
    };
    steps::note(&format!("lint passed (imports checked against {against})"));
}

/// `RWX`-style flags (a `-` for each one missing), then the raw value.
fn flags(characteristics: u32) -> String {
    let flags = pe::SectionFlags(characteristics);
    let mut text: String = [
        (pe::IMAGE_SCN_MEM_READ, 'R'),
        (pe::IMAGE_SCN_MEM_WRITE, 'W'),
        (pe::IMAGE_SCN_MEM_EXECUTE, 'X'),
    ]
    .into_iter()
    .map(|(flag, letter)| if flags.contains(flag) { letter } else { '-' })
    .collect();
    if flags.contains(pe::IMAGE_SCN_MEM_DISCARDABLE) {
        text.push_str(" discardable");
    }
    text.push_str(&format!(" ({characteristics:#010x})"));
    text
}
