//! `cargo xtask sign`: test-sign the driver for a Windows machine in test-signing mode.
//!
//! Windows x64 loads only signed drivers. For development that means a self-made code-signing
//! certificate, `bcdedit /set testsigning on`, and the certificate in the machine's Trusted
//! Root and Trusted Publishers stores. This makes the certificate once (`openssl`, kept under
//! `target/sign/`), signs `evshare.sys` with it (`osslsigncode`, SHA-256), verifies the
//! signature against the certificate, and lints the signed image (signing must keep the PE
//! checksum right). Under Wine signatures are not checked, so this is for real Windows only.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::wine::find_on_path;
use crate::{paths, pe_lint, setup, steps};

/// The subject of the test certificate.
const SUBJECT: &str = "/CN=evshare test signing (not for release)";

/// Where the test certificate and key live.
fn sign_dir() -> PathBuf {
    paths::target_dir().join("sign")
}

/// Signs `image` (default: `target/evshare/evshare.sys`) into `evshare-signed.sys` beside it.
pub fn run(image: Option<PathBuf>) -> Result<()> {
    let image = image.unwrap_or_else(paths::dist_driver);
    if !image.is_file() {
        bail!(
            "no driver image at {}: run `cargo xtask build` first",
            image.display()
        );
    }
    ensure_tools()?;
    let (certificate, key) = test_certificate()?;
    let signed = image.with_file_name("evshare-signed.sys");
    // osslsigncode refuses to overwrite its output.
    if signed.exists() {
        std::fs::remove_file(&signed)
            .with_context(|| format!("removing the old {}", signed.display()))?;
    }
    eprintln!("==> sign {} with the test certificate", image.display());
    steps::run(
        Command::new("osslsigncode")
            .args(["sign", "-h", "sha256", "-n", "evshare"])
            .arg("-certs")
            .arg(&certificate)
            .arg("-key")
            .arg(&key)
            .arg("-in")
            .arg(&image)
            .arg("-out")
            .arg(&signed),
    )?;
    eprintln!("==> verify the signature");
    steps::run(
        Command::new("osslsigncode")
            .arg("verify")
            .arg("-CAfile")
            .arg(&certificate)
            .arg("-in")
            .arg(&signed),
    )?;
    pe_lint::run(&signed)?;
    print_next_steps(&signed, &certificate);
    Ok(())
}

/// `osslsigncode` and `openssl`, installed with apt-get when missing (as root on Debian).
fn ensure_tools() -> Result<()> {
    let missing: Vec<&str> = [("osslsigncode", "osslsigncode"), ("openssl", "openssl")]
        .into_iter()
        .filter(|(binary, _)| find_on_path(binary).is_none())
        .map(|(_, package)| package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    setup::apt_install(&missing)
}

/// The test certificate and its key, made on first use (RSA 3072, code signing, ten years).
fn test_certificate() -> Result<(PathBuf, PathBuf)> {
    let dir = sign_dir();
    let certificate = dir.join("evshare-test.crt");
    let key = dir.join("evshare-test.key");
    if certificate.is_file() && key.is_file() {
        eprintln!(
            "    test certificate {} already there",
            certificate.display()
        );
        return Ok((certificate, key));
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    eprintln!("==> make a test code-signing certificate");
    steps::run(
        Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:3072", "-sha256", "-days", "3650",
            ])
            .args(["-nodes", "-subj", SUBJECT])
            .args(["-addext", "keyUsage=critical,digitalSignature"])
            .args(["-addext", "extendedKeyUsage=codeSigning"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&certificate),
    )?;
    Ok((certificate, key))
}

fn print_next_steps(signed: &Path, certificate: &Path) {
    eprintln!(
        "\nSigned: {}\n\nOn the Windows test machine (as Administrator):\n  \
         bcdedit /set testsigning on            (then reboot)\n  \
         certutil -addstore Root {name}\n  \
         certutil -addstore TrustedPublisher {name}\n  \
         evshare install --sys evshare-signed.sys\n  \
         evshare start\n\nThe certificate is a test certificate: never ship a driver signed with it.",
        signed.display(),
        name = certificate
            .file_name()
            .map_or_else(|| certificate.display().to_string(), |n| n.to_string_lossy().into_owned()),
    );
}
