//! Installing, starting, stopping and removing the `evshare` kernel-driver service through the
//! service control manager.
//! <https://learn.microsoft.com/windows/win32/services/service-control-manager>
//!
//! Each step is idempotent where that makes sense: starting a running driver, stopping a
//! stopped one, uninstalling what is not installed all succeed and say so.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use evshare_protocol::ioctl::SERVICE_NAME;
use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_FILE_NOT_FOUND, ERROR_PATH_NOT_FOUND, ERROR_SERVICE_ALREADY_RUNNING,
    ERROR_SERVICE_DOES_NOT_EXIST, ERROR_SERVICE_EXISTS, ERROR_SERVICE_MARKED_FOR_DELETE,
    ERROR_SERVICE_NOT_ACTIVE,
};
use windows_sys::Win32::System::Services::{
    SC_MANAGER_CONNECT, SC_MANAGER_CREATE_SERVICE, SERVICE_CHANGE_CONFIG, SERVICE_QUERY_CONFIG,
    SERVICE_QUERY_STATUS, SERVICE_START, SERVICE_STOP,
};

use crate::error::{Error, Result};
pub use crate::service_state::ServiceState;
use crate::sys::scm::{self, ScHandle};
use crate::sys::wide::WideCString;

/// `DELETE` standard access right (winnt.h).
const DELETE: u32 = 0x0001_0000;

/// How long [`stop`] and [`start`] wait for the service to settle.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// What [`status`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceStatus {
    /// The service's state.
    pub state: ServiceState,
    /// The binary the service loads, as configured (`None` when not installed).
    pub binary_path: Option<String>,
    /// The Win32 exit code of the last start or stop (0 when fine).
    pub exit_code: u32,
}

/// What [`install`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installed {
    /// Where the driver binary now is (`%SystemRoot%\System32\drivers\evshare.sys`).
    pub path: PathBuf,
    /// Whether the service was created, or existed and was updated.
    pub service: InstallAction,
}

/// Whether [`install`] created the service or updated an existing one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallAction {
    /// There was no `evshare` service; it now exists.
    Created,
    /// The service existed; its binary path and start type were set again.
    Updated,
    /// The driver is running with exactly this binary; nothing was changed.
    AlreadyRunning,
}

/// Whether [`start`] started the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartOutcome {
    /// The driver was stopped and is now running.
    Started,
    /// The driver was running already.
    AlreadyRunning,
}

/// Whether [`stop`] stopped the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopOutcome {
    /// The driver was running and is now stopped (unloaded).
    Stopped,
    /// The driver was not running.
    AlreadyStopped,
}

/// Whether [`uninstall`] removed anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UninstallOutcome {
    /// The service was deleted (after stopping the driver if it ran).
    Removed,
    /// There was no `evshare` service.
    NotInstalled,
}

/// Where [`install`] puts the driver: `%SystemRoot%\System32\drivers\evshare.sys`.
pub fn installed_driver_path() -> Result<PathBuf> {
    let system = crate::sys::system::system_directory()
        .map_err(|source| Error::os("find the system directory", source))?;
    Ok(system.join("drivers").join(format!("{SERVICE_NAME}.sys")))
}

/// Copies `sys_path` to [`installed_driver_path`] and creates (or updates) the `evshare`
/// demand-start kernel-driver service pointing at it. Refuses to replace the binary of a
/// running driver ([`Error::DriverRunning`]) unless it is byte-for-byte the same file.
pub fn install(sys_path: &Path) -> Result<Installed> {
    let image = std::fs::read(sys_path).map_err(|source| Error::DriverFileMissing {
        path: sys_path.to_owned(),
        source,
    })?;
    let destination = installed_driver_path()?;
    let manager = open_manager(SC_MANAGER_CONNECT | SC_MANAGER_CREATE_SERVICE, "install")?;

    let existing = match open_service(&manager, SERVICE_QUERY_STATUS | SERVICE_CHANGE_CONFIG) {
        Ok(service) => Some(service),
        Err(error) if is_not_installed(&error) => None,
        Err(source) => return Err(service_error("open the evshare service", source)),
    };
    if let Some(service) = &existing {
        if query_state(service)? != ServiceState::Stopped {
            let same = std::fs::read(&destination).is_ok_and(|current| current == image);
            if same {
                return Ok(Installed {
                    path: destination,
                    service: InstallAction::AlreadyRunning,
                });
            }
            return Err(Error::DriverRunning);
        }
    }

    if let Some(parent) = destination.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|source| service_error("create the drivers directory", source))?;
    }
    std::fs::write(&destination, &image).map_err(|source| Error::Service {
        operation: "copy the driver into the drivers directory",
        hint: format!(
            "writing `{}` failed; run from an elevated (administrator) prompt",
            destination.display()
        ),
        source,
    })?;

    let binary = wide(&destination)?;
    let action = match existing {
        Some(service) => {
            scm::reconfigure_kernel_driver(&service, &binary)
                .map_err(|source| service_error("update the evshare service", source))?;
            InstallAction::Updated
        }
        None => {
            let name = wide(SERVICE_NAME)?;
            let display = wide("evshare: events shared between the kernel and apps")?;
            match scm::create_kernel_driver(
                &manager,
                &name,
                &display,
                &binary,
                SERVICE_QUERY_STATUS,
            ) {
                Ok(_) => InstallAction::Created,
                // Lost a race with another installer: update what it created.
                Err(error) if error.raw_os_error() == Some(ERROR_SERVICE_EXISTS as i32) => {
                    let service = open_service(&manager, SERVICE_CHANGE_CONFIG)
                        .map_err(|source| service_error("open the evshare service", source))?;
                    scm::reconfigure_kernel_driver(&service, &binary)
                        .map_err(|source| service_error("update the evshare service", source))?;
                    InstallAction::Updated
                }
                Err(source) => return Err(service_error("create the evshare service", source)),
            }
        }
    };
    Ok(Installed {
        path: destination,
        service: action,
    })
}

/// Loads the driver (`StartServiceW`) and waits until it runs. Already running is fine.
pub fn start() -> Result<StartOutcome> {
    let manager = open_manager(SC_MANAGER_CONNECT, "start the driver")?;
    let service = open_service(&manager, SERVICE_START | SERVICE_QUERY_STATUS)
        .map_err(|source| not_installed_or("start the evshare service", source))?;
    match scm::start(&service) {
        Ok(()) => {}
        Err(error) if error.raw_os_error() == Some(ERROR_SERVICE_ALREADY_RUNNING as i32) => {
            return Ok(StartOutcome::AlreadyRunning);
        }
        Err(source) => return Err(start_error(source)),
    }
    wait_for(&service, ServiceState::Running, DEFAULT_TIMEOUT)?;
    Ok(StartOutcome::Started)
}

/// Unloads the driver (`ControlService(SERVICE_CONTROL_STOP)`, which calls its
/// `DriverUnload`) and waits until the service reports it stopped, at most
/// [`DEFAULT_TIMEOUT`]. Already stopped is fine.
pub fn stop() -> Result<StopOutcome> {
    stop_within(DEFAULT_TIMEOUT)
}

/// [`stop`] with a chosen bound on the wait.
pub fn stop_within(timeout: Duration) -> Result<StopOutcome> {
    let manager = open_manager(SC_MANAGER_CONNECT, "stop the driver")?;
    let service = open_service(&manager, SERVICE_STOP | SERVICE_QUERY_STATUS)
        .map_err(|source| not_installed_or("stop the evshare service", source))?;
    match scm::stop(&service) {
        Ok(_) => {}
        Err(error) if error.raw_os_error() == Some(ERROR_SERVICE_NOT_ACTIVE as i32) => {
            return Ok(StopOutcome::AlreadyStopped);
        }
        Err(source) => return Err(service_error("stop the evshare service", source)),
    }
    wait_for(&service, ServiceState::Stopped, timeout)?;
    Ok(StopOutcome::Stopped)
}

/// Stops the driver if it runs, deletes the `evshare` service and removes the installed
/// binary (best effort: a binary still in use stays until the next boot).
pub fn uninstall() -> Result<UninstallOutcome> {
    let manager = open_manager(SC_MANAGER_CONNECT, "uninstall the driver")?;
    let service = match open_service(&manager, DELETE | SERVICE_STOP | SERVICE_QUERY_STATUS) {
        Ok(service) => service,
        Err(error) if is_not_installed(&error) => return Ok(UninstallOutcome::NotInstalled),
        Err(source) => return Err(service_error("open the evshare service", source)),
    };
    if query_state(&service)? != ServiceState::Stopped {
        match scm::stop(&service) {
            Ok(_) => wait_for(&service, ServiceState::Stopped, DEFAULT_TIMEOUT)?,
            Err(error) if error.raw_os_error() == Some(ERROR_SERVICE_NOT_ACTIVE as i32) => {}
            Err(source) => return Err(service_error("stop the evshare service", source)),
        }
    }
    match scm::delete(&service) {
        Ok(()) => {}
        Err(error) if error.raw_os_error() == Some(ERROR_SERVICE_MARKED_FOR_DELETE as i32) => {}
        Err(source) => return Err(service_error("delete the evshare service", source)),
    }
    if let Ok(path) = installed_driver_path() {
        let _ = std::fs::remove_file(path);
    }
    Ok(UninstallOutcome::Removed)
}

/// The service's state and binary path; [`ServiceState::NotInstalled`] when there is none.
pub fn status() -> Result<ServiceStatus> {
    let manager = open_manager(SC_MANAGER_CONNECT, "query the driver's status")?;
    let service = match open_service(&manager, SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG) {
        Ok(service) => service,
        Err(error) if is_not_installed(&error) => {
            return Ok(ServiceStatus {
                state: ServiceState::NotInstalled,
                binary_path: None,
                exit_code: 0,
            });
        }
        Err(source) => return Err(service_error("open the evshare service", source)),
    };
    let (state, exit_code) = scm::query_status(&service)
        .map_err(|source| service_error("query the evshare service", source))?;
    let binary_path = scm::query_binary_path(&service)
        .ok()
        .map(|path| path.to_string_lossy().into_owned());
    Ok(ServiceStatus {
        state: ServiceState::from_raw(state),
        binary_path,
        exit_code,
    })
}

/// The service's state, or [`ServiceState::Unknown`] if the service manager cannot tell.
/// Used by `Driver::open` to explain why the device is missing.
pub(crate) fn state_for_diagnosis() -> ServiceState {
    status().map_or(ServiceState::Unknown, |status| status.state)
}

fn wait_for(service: &ScHandle, wanted: ServiceState, timeout: Duration) -> Result<()> {
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        let state = query_state(service)?;
        if state == wanted {
            return Ok(());
        }
        // A start that failed lands in Stopped; no point waiting for Running any longer.
        if wanted == ServiceState::Running && state == ServiceState::Stopped {
            let (_, exit_code) = scm::query_status(service)
                .map_err(|source| service_error("query the evshare service", source))?;
            return Err(start_error(io::Error::from_raw_os_error(exit_code as i32)));
        }
        if started.elapsed() >= timeout {
            return Err(Error::ServiceTimeout {
                wanted,
                state,
                waited: timeout,
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

fn query_state(service: &ScHandle) -> Result<ServiceState> {
    scm::query_status(service)
        .map(|(state, _)| ServiceState::from_raw(state))
        .map_err(|source| service_error("query the evshare service", source))
}

fn open_manager(access: u32, purpose: &'static str) -> Result<ScHandle> {
    scm::open_manager(access).map_err(|source| Error::Service {
        operation: "open the service control manager",
        hint: format!("needed to {purpose}; {}", hint_for(&source)),
        source,
    })
}

fn open_service(manager: &ScHandle, access: u32) -> io::Result<ScHandle> {
    let name = WideCString::new(SERVICE_NAME).map_err(|_| io::ErrorKind::InvalidInput)?;
    scm::open_service(manager, &name, access)
}

fn wide(text: impl AsRef<std::ffi::OsStr>) -> Result<WideCString> {
    let text = text.as_ref();
    WideCString::new(text).map_err(|_| {
        Error::os(
            format!("pass `{}` to the service manager", text.to_string_lossy()),
            io::Error::from(io::ErrorKind::InvalidInput),
        )
    })
}

fn is_not_installed(error: &io::Error) -> bool {
    error.raw_os_error() == Some(ERROR_SERVICE_DOES_NOT_EXIST as i32)
}

fn not_installed_or(operation: &'static str, source: io::Error) -> Error {
    if is_not_installed(&source) {
        Error::DriverNotInstalled { source }
    } else {
        service_error(operation, source)
    }
}

fn service_error(operation: &'static str, source: io::Error) -> Error {
    Error::Service {
        operation,
        hint: hint_for(&source).to_owned(),
        source,
    }
}

/// Explains a failed `StartServiceW` (or a start that ended in `Stopped`).
fn start_error(source: io::Error) -> Error {
    let hint = match source.raw_os_error().map(|code| code as u32) {
        Some(ERROR_FILE_NOT_FOUND | ERROR_PATH_NOT_FOUND) => {
            "the driver binary is missing; run `evshare install` again"
        }
        // ERROR_DLL_INIT_FAILED: DriverEntry returned an error, or the image did not load.
        Some(1114) => {
            "the driver failed to load or its DriverEntry failed; under Wine rerun with \
             WINEDEBUG=+ntoskrnl,+module,+seh to see why, on Windows check the debugger output"
        }
        // ERROR_INVALID_IMAGE_HASH
        Some(577) => {
            "Windows refused the driver's signature; sign it with a test certificate \
             (`cargo xtask sign`) and enable test signing (`bcdedit /set testsigning on`, \
             then reboot)"
        }
        // ERROR_SERVICE_DISABLED
        Some(1058) => "the service is disabled; run `evshare install` to make it demand-start",
        Some(ERROR_SERVICE_MARKED_FOR_DELETE) => {
            "the service is being deleted; close every tool that has it open (services.msc), \
             then `evshare install` again"
        }
        _ => hint_for(&source),
    };
    Error::Service {
        operation: "start the evshare service",
        hint: hint.to_owned(),
        source,
    }
}

fn hint_for(source: &io::Error) -> &'static str {
    match source.raw_os_error().map(|code| code as u32) {
        Some(ERROR_ACCESS_DENIED) => "run from an elevated (administrator) prompt",
        Some(ERROR_SERVICE_DOES_NOT_EXIST) => "the driver is not installed; run `evshare install`",
        Some(ERROR_SERVICE_MARKED_FOR_DELETE) => {
            "the service is being deleted; close every tool that has it open, then retry"
        }
        // ERROR_SERVICE_CANNOT_ACCEPT_CTRL: it is starting or stopping right now.
        Some(1061) => "the service is between states; wait a moment and retry",
        _ => "see the cause below; `evshare status` shows the service's state",
    }
}
