//! Placeholder: the in-process benchmark comes next.
fn main() {}
