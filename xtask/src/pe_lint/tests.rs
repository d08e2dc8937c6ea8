//! Each rule fires on exactly the mutation that breaks it, and on nothing else.

use std::collections::{HashMap, HashSet};

use object::pe;
use object::LittleEndian as LE;

use super::test_image::{self, Spec, HELPER_OFFSET};
use super::{lint, KnownExports, Violation};

/// Lints `image` against the embedded stub list only (no dependence on an installed Wine).
fn violations(image: &[u8]) -> Vec<Violation> {
    lint(image, &KnownExports::stubs_only())
        .expect("the test image parses")
        .violations
}

fn good() -> Vec<u8> {
    test_image::build(&Spec::default())
}

/// Builds the good image, applies `mutate`, and recomputes the checksum.
fn mutated(mutate: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut image = good();
    mutate(&mut image);
    test_image::fix_checksum(&mut image);
    image
}

fn with_imports(imports: Vec<(&'static str, Vec<&'static str>)>) -> Vec<u8> {
    test_image::build(&Spec {
        imports,
        ..Spec::default()
    })
}

#[test]
fn the_good_image_passes_and_is_summarised() {
    let findings = lint(&good(), &KnownExports::stubs_only()).unwrap();
    assert_eq!(findings.violations, []);
    let names: Vec<&str> = findings.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, [".text", ".rdata", ".data"]);
    assert_eq!(
        findings.imports["ntoskrnl.exe"],
        ["KeSetEvent", "ZwClose", "IoCreateDevice"]
    );
    assert_eq!(findings.imports["HAL.dll"], ["KeQueryPerformanceCounter"]);
    assert_ne!(findings.checksum, 0);
}

#[test]
fn a_wrong_subsystem_is_reported() {
    let image = mutated(|image| {
        test_image::nt_headers(image)
            .optional_header
            .subsystem
            .set(LE, pe::IMAGE_SUBSYSTEM_WINDOWS_CUI);
    });
    assert_eq!(violations(&image), [Violation::Subsystem(3)]);
}

#[test]
fn a_wrong_machine_is_reported() {
    let image = mutated(|image| {
        test_image::nt_headers(image)
            .file_header
            .machine
            .set(LE, pe::IMAGE_FILE_MACHINE_ARM64);
    });
    assert_eq!(violations(&image), [Violation::Machine(0xaa64)]);
}

#[test]
fn a_zero_checksum_is_reported() {
    let mut image = good();
    test_image::set_checksum(&mut image, 0);
    assert_eq!(violations(&image), [Violation::ChecksumZero]);
}

#[test]
fn a_wrong_checksum_is_reported_with_the_right_one() {
    let mut image = good();
    let right = lint(&image, &KnownExports::stubs_only()).unwrap().checksum;
    test_image::set_checksum(&mut image, right + 1);
    assert_eq!(
        violations(&image),
        [Violation::ChecksumMismatch {
            stored: right + 1,
            computed: right
        }]
    );
}

#[test]
fn a_checksum_that_misses_a_changed_byte_is_reported() {
    let mut image = good();
    let last = image.len() - 1;
    image[last] ^= 0x5a;
    assert!(matches!(
        violations(&image)[..],
        [Violation::ChecksumMismatch { .. }]
    ));
}

#[test]
fn a_writable_and_executable_section_is_reported() {
    let image = mutated(|image| {
        let text = test_image::section(image, ".text");
        let flags = text.characteristics.get(LE);
        text.characteristics
            .set(LE, flags | pe::IMAGE_SCN_MEM_WRITE);
    });
    assert_eq!(
        violations(&image),
        [Violation::WritableAndExecutable {
            section: ".text".into()
        }]
    );
}

#[test]
fn a_section_without_characteristics_is_reported() {
    let image = mutated(|image| {
        test_image::section(image, ".data")
            .characteristics
            .set(LE, pe::SectionFlags(0));
    });
    assert_eq!(
        violations(&image),
        [Violation::NoCharacteristics {
            section: ".data".into()
        }]
    );
}

#[test]
fn an_import_from_ntdll_is_reported() {
    let image = with_imports(vec![
        ("ntoskrnl.exe", vec!["KeSetEvent"]),
        ("ntdll.dll", vec!["ZwClose"]),
    ]);
    assert_eq!(
        violations(&image),
        [Violation::ForeignImport {
            dll: "ntdll.dll".into(),
            name: "ZwClose".into()
        }]
    );
}

#[test]
fn an_import_of_a_wine_stub_is_reported() {
    let image = with_imports(vec![("ntoskrnl.exe", vec!["KeSetEvent", "ObCloseHandle"])]);
    assert_eq!(
        violations(&image),
        [Violation::StubImport {
            dll: "ntoskrnl.exe".into(),
            name: "ObCloseHandle".into()
        }]
    );
}

#[test]
fn stub_names_match_whatever_the_case_of_the_dll_name() {
    let image = with_imports(vec![("NTOSKRNL.EXE", vec!["ObCloseHandle"])]);
    assert_eq!(
        violations(&image),
        [Violation::StubImport {
            dll: "NTOSKRNL.EXE".into(),
            name: "ObCloseHandle".into()
        }]
    );
}

#[test]
fn an_entry_point_other_than_driver_entry_is_reported() {
    let mut entry = 0;
    let image = mutated(|image| {
        let optional = &mut test_image::nt_headers(image).optional_header;
        entry = optional.address_of_entry_point.get(LE) + HELPER_OFFSET;
        optional.address_of_entry_point.set(LE, entry);
    });
    assert_eq!(
        violations(&image),
        [Violation::EntryPointNotDriverEntry {
            entry,
            driver_entry: entry - HELPER_OFFSET
        }]
    );
}

#[test]
fn a_missing_driver_entry_export_is_reported() {
    let image = test_image::build(&Spec {
        entry_export: "DriverMain",
        ..Spec::default()
    });
    assert_eq!(violations(&image), [Violation::NoDriverEntry]);
}

#[test]
fn an_import_the_installed_wine_lacks_is_reported() {
    let exported = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<HashSet<_>>();
    let wine = HashMap::from([
        (
            "ntoskrnl.exe".to_string(),
            exported(&["KeSetEvent", "ZwClose", "IoCreateDevice"]),
        ),
        (
            "hal.dll".to_string(),
            exported(&["KeQueryPerformanceCounter"]),
        ),
    ]);
    let known = KnownExports {
        wine: Some(wine),
        ..KnownExports::stubs_only()
    };
    assert_eq!(lint(&good(), &known).unwrap().violations, []);

    let image = with_imports(vec![(
        "ntoskrnl.exe",
        vec!["KeSetEvent", "ExAllocatePool2"],
    )]);
    assert_eq!(
        lint(&image, &known).unwrap().violations,
        [Violation::NotExportedByWine {
            dll: "ntoskrnl.exe".into(),
            name: "ExAllocatePool2".into()
        }]
    );
}

#[test]
fn the_embedded_stub_list_is_the_wine_8_0_one() {
    let stubs = KnownExports::stubs_only().stubs;
    assert!(stubs.contains(&("ntoskrnl.exe".into(), "ObCloseHandle".into())));
    assert!(stubs.contains(&("ntoskrnl.exe".into(), "MmMapViewInSystemSpace".into())));
    assert!(!stubs.contains(&("ntoskrnl.exe".into(), "ZwClose".into())));
    assert!(stubs
        .iter()
        .all(|(dll, _)| dll == "ntoskrnl.exe" || dll == "hal.dll"));
}

#[test]
fn something_that_is_not_a_pe_image_is_an_error() {
    assert!(lint(b"MZ but not really", &KnownExports::stubs_only()).is_err());
}
