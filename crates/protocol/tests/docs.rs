//! `docs/protocol.md` lists the layouts the code has: the text between its
//! `<!-- wire:begin -->` and `<!-- wire:end -->` markers is what `layout::markdown` generates
//! from the layout tables. Rewrite it with `EVSHARE_BLESS=1 cargo test -p evshare-protocol
//! --test docs`.

use std::path::PathBuf;

use evshare_protocol::layout::{self, MessageDoc};

const BEGIN: &str = "<!-- wire:begin -->\n";
const END: &str = "<!-- wire:end -->";

fn protocol_md() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/protocol.md")
}

fn generated() -> String {
    let mut text = String::new();
    layout::markdown(&mut text).expect("the layouts render");
    text
}

/// The text between the markers, and what comes before and after it.
fn split(doc: &str) -> (&str, &str, &str) {
    let (before, rest) = doc
        .split_once(BEGIN)
        .unwrap_or_else(|| panic!("docs/protocol.md has no {BEGIN:?} marker line"));
    let (between, after) = rest
        .split_once(END)
        .unwrap_or_else(|| panic!("docs/protocol.md has no {END:?} marker after the first"));
    (before, between, after)
}

#[test]
fn protocol_md_lists_the_layouts_the_code_has() {
    let path = protocol_md();
    let doc = std::fs::read_to_string(&path).expect("docs/protocol.md is readable");
    let (before, between, after) = split(&doc);
    let expected = generated();
    if between == expected {
        return;
    }
    if std::env::var_os("EVSHARE_BLESS").is_some_and(|bless| bless == "1") {
        // Written aside and renamed, so the other tests never read half a file.
        let blessed = format!("{before}{BEGIN}{expected}{END}{after}");
        let aside = path.with_extension("md.blessed");
        std::fs::write(&aside, blessed).expect("docs/ is writable");
        std::fs::rename(&aside, &path).expect("docs/protocol.md is replaceable");
        return;
    }
    let first_difference = between
        .lines()
        .zip(expected.lines())
        .position(|(found, wanted)| found != wanted)
        .unwrap_or_else(|| between.lines().count().min(expected.lines().count()));
    panic!(
        "docs/protocol.md's layouts (between the wire markers) are not the code's: first \
         difference at line {} of the block. Run `EVSHARE_BLESS=1 cargo test -p \
         evshare-protocol --test docs` to rewrite them. The block should read:\n{expected}",
        first_difference + 1
    );
}

/// The names the IOCTL table of `docs/protocol.md` gives the requests and replies, each a
/// layout the code has (the table is written by hand; this keeps it honest).
#[test]
fn the_ioctl_table_names_only_layouts_the_code_has() {
    let doc = std::fs::read_to_string(protocol_md()).expect("docs/protocol.md is readable");
    let known = |name: &str, layouts: &[MessageDoc]| layouts.iter().any(|l| l.name == name);
    let mut rows = 0;
    for line in doc.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | name | function | access | request | reply |
        let [_, _, function, _, request, reply, _] = cells[..] else {
            continue;
        };
        if !function.starts_with("0x") {
            continue;
        }
        rows += 1;
        let request = request.trim_matches('`');
        assert!(
            known(request, layout::REQUESTS),
            "request {request:?}: {line}"
        );
        let reply = reply
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_matches('`');
        assert!(
            reply == "none" || known(reply, layout::REPLIES),
            "reply {reply:?}: {line}"
        );
    }
    assert_eq!(
        rows,
        evshare_protocol::Ioctl::ALL.len(),
        "the IOCTL table has a row per IOCTL"
    );
}

#[test]
fn generated_lines_fit_the_width_unless_one_word_is_wider() {
    for line in generated().lines() {
        let width = line.chars().count();
        let one_word = !line.trim_start().contains(' ');
        assert!(
            width <= layout::WIDTH || one_word,
            "{width} columns: {line}"
        );
    }
}

#[test]
fn every_layout_is_listed_once_with_its_fields_adding_up() {
    let all: Vec<&MessageDoc> = layout::REQUESTS.iter().chain(layout::REPLIES).collect();
    for (i, message) in all.iter().enumerate() {
        assert!(
            all[..i].iter().all(|other| other.name != message.name),
            "{} is listed twice",
            message.name
        );
        assert!(!message.fields.is_empty(), "{}", message.name);
    }
    let header = &layout::REQUESTS[0];
    assert_eq!(header.name, "RequestHeader");
    assert_eq!(header.len, evshare_protocol::request::HEADER_LEN);
    for request in &layout::REQUESTS[2..] {
        assert_eq!(request.fields[0].name, "header", "{}", request.name);
    }
    for reply in layout::REPLIES
        .iter()
        .filter(|reply| reply.name.ends_with("Reply"))
    {
        assert_eq!(reply.fields[0].name, "version", "{}", reply.name);
        assert_eq!(reply.fields[0].value, Some("1"), "{}", reply.name);
    }
}
