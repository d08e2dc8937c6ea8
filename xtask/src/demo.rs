//! `cargo xtask demo`, `install` and `stop`: the driver running in the Wine prefix for a person
//! to watch or use.

use anyhow::Result;

use crate::building::{self, Profile};
use crate::driver_service::DriverService;
use crate::variants::Variant;
use crate::wine::Wine;
use crate::{paths, pe_lint, sample_host, setup, steps};

/// Setup, build, install and start, `evshare.exe demo` with its output on the terminal, then the
/// driver and the wineserver stopped (also when the demo fails).
pub fn demo() -> Result<()> {
    setup::all()?;
    building::all(Profile::Debug)?;
    pe_lint::run(&paths::dist_driver())?;

    let wine = Wine::locate()?;
    steps::heading("start persistent wineserver");
    let server = wine.start_persistent_server()?;
    steps::heading("install + start driver");
    let service = DriverService::new(wine)?;
    service.install_and_start()?;

    steps::heading("evshare demo");
    let demo = steps::run(service.cli().arg("demo"));

    steps::heading("stop driver");
    let stopped = service.stop();
    steps::heading("stop wineserver");
    let server_stopped = server.stop();
    demo?;
    stopped?;
    server_stopped
}

/// Starts the persistent wineserver, installs and starts the driver (the shipped image, or
/// `variant`'s in its place), and leaves both running.
pub fn install(variant: Option<Variant>) -> Result<()> {
    let wine = Wine::locate()?;
    steps::heading("start persistent wineserver");
    let server = wine.start_persistent_server()?;
    steps::heading("install + start driver");
    let service = DriverService::new(wine.clone())?;
    service.install_and_start()?;
    if let Some(variant) = variant {
        steps::heading(&format!(
            "install + start the driver variant {}",
            variant.name
        ));
        service.replace_with(&variant.image(), variant.features)?;
    }
    server.keep_running();
    steps::note(&format!(
        "the driver runs in the prefix {}; `cargo xtask stop` stops it and the wineserver",
        wine.prefix.display()
    ));
    Ok(())
}

/// Stops the sample host and the driver if it can (a warning if not: they may not be running),
/// then shuts the prefix's wineserver down, which ends `winedevice.exe` and the drivers in any
/// case.
pub fn stop() -> Result<()> {
    let wine = Wine::locate()?;
    steps::heading("stop the sample host");
    if let Err(err) = sample_host::uninstall(&wine) {
        steps::warn(&format!(
            "could not stop the sample host (it may not be installed): {err:#}"
        ));
    }
    steps::heading("stop driver");
    if let Err(err) = DriverService::new(wine.clone()).and_then(|service| service.stop()) {
        steps::warn(&format!("could not stop the driver: {err:#}"));
    }
    steps::heading("stop wineserver");
    wine.kill_server()
}
