//! `include/evshare_kernel.h` is what cbindgen writes from `src/c_api.rs` now: a C driver
//! compiled against a stale header would pass the wrong sizes or arguments. With
//! `EVSHARE_BLESS=1` the test writes the header instead (then review and commit it).

use std::path::Path;

#[test]
fn the_committed_header_is_what_cbindgen_writes() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/c_api.rs"))
        .generate()
        .expect("cbindgen reads src/c_api.rs")
        .write(&mut generated);
    let generated = String::from_utf8(generated).expect("the header is UTF-8");
    let committed_path = crate_dir.join("include/evshare_kernel.h");
    if std::env::var_os("EVSHARE_BLESS").is_some() {
        std::fs::write(&committed_path, &generated).expect("the header is written");
        return;
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: run `EVSHARE_BLESS=1 cargo test -p evshare-kernel-c --test header` and \
         commit it. cbindgen writes:\n{generated}",
        committed_path.display()
    );
}

#[test]
fn the_header_declares_the_whole_api() {
    let header = include_str!("../include/evshare_kernel.h");
    for name in [
        "evshare_driver_init",
        "evshare_driver_abandon",
        "evshare_instance_start",
        "evshare_dispatch",
        "evshare_publish",
        "evshare_instance_unload",
        "evshare_driver_unload",
        "EVSHARE_INSTANCE_WORDS",
        "} EVSHARE_INSTANCE;",
        "} EVSHARE_CONFIG;",
        "EVSHARE_POOL_TAG",
    ] {
        assert!(header.contains(name), "the header lacks {name}");
    }
}
