#!/usr/bin/env bash
# Links the ring producer's driver-side entry points with a panic handler that cannot link:
# success means no input, header scribble or index can make them panic (a panic in the driver
# is a bugcheck).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target_dir="${CARGO_TARGET_DIR:-$here/../../../target}/no-panic-check"
cd "$here"
RUSTFLAGS="-C linker-flavor=lld-link -C link-arg=/NODEFAULTLIB -C link-arg=/ENTRY:DllMain" \
    CARGO_TARGET_DIR="$target_dir" \
    cargo build --release --target x86_64-pc-windows-msvc \
    --config 'target.x86_64-pc-windows-msvc.linker="rust-lld"'
echo "no-panic check: no panic path is reachable from the ring producer's entry points"
