//! A small driver-shaped PE32+ image, written with `object`'s PE writer, for the lint's tests:
//! `.text` (DriverEntry and a helper), `.rdata` (export and import directories), `.data`.
//! Tests build it, then break one thing at a time with the mutators below.

use object::pe::{self, ImageNtHeaders64, ImageSectionHeader};
use object::write::pe::{NtHeaders, Writer};
use object::LittleEndian as LE;

use super::{checksum_offset, pe_checksum};
use object::read::pe::PeFile64;

/// RVA offset of the helper function inside `.text` (DriverEntry is at offset 0).
pub const HELPER_OFFSET: u32 = 16;

/// What the image imports and exports.
pub struct Spec {
    /// `(dll, names)` in import order.
    pub imports: Vec<(&'static str, Vec<&'static str>)>,
    /// The name the entry function is exported under.
    pub entry_export: &'static str,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            imports: vec![
                (
                    "ntoskrnl.exe",
                    vec!["KeSetEvent", "ZwClose", "IoCreateDevice"],
                ),
                ("HAL.dll", vec!["KeQueryPerformanceCounter"]),
            ],
            entry_export: "DriverEntry",
        }
    }
}

/// Builds the image of `spec`, with a correct checksum.
pub fn build(spec: &Spec) -> Vec<u8> {
    let mut image = Vec::new();
    let mut writer = Writer::new(true, 0x1000, 0x200, &mut image);
    writer.reserve_dos_header_and_stub();
    writer.reserve_nt_headers(pe::IMAGE_NUMBEROF_DIRECTORY_ENTRIES);
    writer.reserve_section_headers(3);

    // DriverEntry: xor eax, eax; ret.  Helper (at +16): ret.
    let mut code = vec![0xcc; 32];
    code[..3].copy_from_slice(&[0x31, 0xc0, 0xc3]);
    code[HELPER_OFFSET as usize] = 0xc3;
    let text = writer.reserve_text_section(code.len() as u32);

    // The layout of .rdata does not depend on where it lands: size it at 0, then place it.
    let size = Rdata::new(spec, 0, text.virtual_address).bytes.len() as u32;
    let rdata_range = writer.reserve_rdata_section(size);
    let rdata = Rdata::new(spec, rdata_range.virtual_address, text.virtual_address);
    let data = writer.reserve_data_section(16, 16);

    writer.set_data_directory(
        pe::IMAGE_DIRECTORY_ENTRY_EXPORT,
        rdata.exports.0,
        rdata.exports.1,
    );
    writer.set_data_directory(
        pe::IMAGE_DIRECTORY_ENTRY_IMPORT,
        rdata.imports.0,
        rdata.imports.1,
    );
    writer.set_data_directory(pe::IMAGE_DIRECTORY_ENTRY_IAT, rdata.iat.0, rdata.iat.1);

    writer
        .write_dos_header_and_stub()
        .expect("the DOS header fits");
    writer.write_nt_headers(NtHeaders {
        machine: pe::IMAGE_FILE_MACHINE_AMD64,
        time_date_stamp: 0,
        characteristics: pe::IMAGE_FILE_EXECUTABLE_IMAGE
            | pe::IMAGE_FILE_LARGE_ADDRESS_AWARE
            | pe::IMAGE_FILE_DLL,
        major_linker_version: 14,
        minor_linker_version: 0,
        address_of_entry_point: text.virtual_address,
        image_base: 0x1_4000_0000,
        major_operating_system_version: 10,
        minor_operating_system_version: 0,
        major_image_version: 0,
        minor_image_version: 0,
        major_subsystem_version: 10,
        minor_subsystem_version: 0,
        subsystem: pe::IMAGE_SUBSYSTEM_NATIVE,
        dll_characteristics: pe::IMAGE_DLLCHARACTERISTICS_NX_COMPAT,
        size_of_stack_reserve: 0x40000,
        size_of_stack_commit: 0x1000,
        size_of_heap_reserve: 0x100000,
        size_of_heap_commit: 0x1000,
    });
    writer.write_section_headers();
    writer.write_section(text.file_offset, &code);
    writer.write_section(rdata_range.file_offset, &rdata.bytes);
    writer.write_section(data.file_offset, &[0; 16]);
    drop(writer);

    fix_checksum(&mut image);
    image
}

/// The `.rdata` contents and where its directories are, as `(rva, size)`.
struct Rdata {
    bytes: Vec<u8>,
    exports: (u32, u32),
    imports: (u32, u32),
    iat: (u32, u32),
}

impl Rdata {
    fn new(spec: &Spec, base: u32, text: u32) -> Self {
        let mut out = Bytes {
            bytes: Vec::new(),
            base,
        };

        // Export directory: one function, one name.
        let export_dir = out.rva();
        let export_patch = out.len();
        out.zeros(40);
        let functions = out.rva();
        out.u32(text);
        let names = out.rva();
        let name_patch = out.len();
        out.u32(0);
        let ordinals = out.rva();
        out.u16(0);
        let module_name = out.string("evshare.sys");
        let entry_name = out.string(spec.entry_export);
        out.patch_u32(name_patch, entry_name);
        for (offset, value) in [
            (12, module_name), // Name
            (16, 1),           // Base
            (20, 1),           // NumberOfFunctions
            (24, 1),           // NumberOfNames
            (28, functions),   // AddressOfFunctions
            (32, names),       // AddressOfNames
            (36, ordinals),    // AddressOfNameOrdinals
        ] {
            out.patch_u32(export_patch + offset, value);
        }
        let exports = (export_dir, out.rva() - export_dir);

        // Import descriptors (20 bytes each, plus a null one), then per DLL the lookup table,
        // the address table, the hint/name entries and the DLL name.
        out.align(8);
        let import_dir = out.rva();
        let descriptors_at = out.len();
        out.zeros(20 * (spec.imports.len() + 1));
        let imports = (import_dir, out.rva() - import_dir);
        let iat_start = out.rva();
        let mut tables = Vec::new();
        for (_, names) in &spec.imports {
            out.align(8);
            let lookup = out.len();
            out.zeros(8 * (names.len() + 1));
            let address = out.len();
            out.zeros(8 * (names.len() + 1));
            tables.push((lookup, address));
        }
        let iat = (iat_start, out.rva() - iat_start);
        for (index, (dll, names)) in spec.imports.iter().enumerate() {
            let (lookup, address) = tables[index];
            for (slot, name) in names.iter().enumerate() {
                out.align(2);
                let hint_name = out.rva();
                out.u16(0);
                out.string(name);
                out.patch_u64(lookup + 8 * slot, u64::from(hint_name));
                out.patch_u64(address + 8 * slot, u64::from(hint_name));
            }
            let dll_name = out.string(dll);
            let descriptor = descriptors_at + 20 * index;
            out.patch_u32(descriptor, base + lookup as u32); // OriginalFirstThunk
            out.patch_u32(descriptor + 12, dll_name); // Name
            out.patch_u32(descriptor + 16, base + address as u32); // FirstThunk
        }
        Rdata {
            bytes: out.bytes,
            exports,
            imports,
            iat,
        }
    }
}

/// A growing section whose offsets are also RVAs from `base`.
struct Bytes {
    bytes: Vec<u8>,
    base: u32,
}

impl Bytes {
    fn len(&self) -> usize {
        self.bytes.len()
    }
    fn rva(&self) -> u32 {
        self.base + self.bytes.len() as u32
    }
    fn zeros(&mut self, count: usize) {
        self.bytes.resize(self.bytes.len() + count, 0);
    }
    fn align(&mut self, to: usize) {
        self.zeros(self.bytes.len().next_multiple_of(to) - self.bytes.len());
    }
    fn u16(&mut self, value: u16) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }
    fn u32(&mut self, value: u32) {
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }
    fn string(&mut self, text: &str) -> u32 {
        let rva = self.rva();
        self.bytes.extend_from_slice(text.as_bytes());
        self.bytes.push(0);
        rva
    }
    fn patch_u32(&mut self, at: usize, value: u32) {
        self.bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }
    fn patch_u64(&mut self, at: usize, value: u64) {
        self.bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
    }
}

/// Recomputes and stores the checksum, as a linker would.
pub fn fix_checksum(image: &mut [u8]) {
    let offset = checksum_offset(&PeFile64::parse(&*image).expect("a PE32+ image"));
    let sum = pe_checksum(image, offset);
    set_checksum(image, sum);
}

/// Stores `value` as the checksum.
pub fn set_checksum(image: &mut [u8], value: u32) {
    nt_headers(image).optional_header.check_sum.set(LE, value);
}

/// The image's NT headers, to edit in place.
pub fn nt_headers(image: &mut [u8]) -> &mut ImageNtHeaders64 {
    let offset = image_offsets(image).0;
    object::pod::from_bytes_mut::<ImageNtHeaders64>(&mut image[offset..])
        .expect("NT headers")
        .0
}

/// The section header named `name`, to edit in place.
pub fn section<'a>(image: &'a mut [u8], name: &str) -> &'a mut ImageSectionHeader {
    let (_, sections, count) = image_offsets(image);
    let headers =
        object::pod::slice_from_bytes_mut::<ImageSectionHeader>(&mut image[sections..], count)
            .expect("section headers")
            .0;
    headers
        .iter_mut()
        .find(|header| header.raw_name() == name.as_bytes())
        .unwrap_or_else(|| panic!("no section {name}"))
}

/// `(NT headers offset, section table offset, section count)`.
fn image_offsets(image: &[u8]) -> (usize, usize, usize) {
    let file = PeFile64::parse(image).expect("a PE32+ image");
    let nt_offset = file.dos_header().nt_headers_offset() as usize;
    let file_header = &file.nt_headers().file_header;
    let sections = nt_offset
        + 4
        + std::mem::size_of::<pe::ImageFileHeader>()
        + usize::from(file_header.size_of_optional_header.get(LE));
    (
        nt_offset,
        sections,
        usize::from(file_header.number_of_sections.get(LE)),
    )
}
