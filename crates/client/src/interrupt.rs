//! Ctrl-C as an event: [`interrupt_event`] gives a manual-reset event that a console control
//! handler sets on Ctrl-C or Ctrl-Break, so a program waiting for the driver's signals can
//! wait for "signal or stop" with [`wait_any`](crate::wait_any) and end cleanly (unregister,
//! print a summary) instead of being killed.
//! <https://learn.microsoft.com/windows/console/setconsolectrlhandler>

use std::sync::{Mutex, OnceLock};

use windows_sys::core::BOOL;
use windows_sys::Win32::System::Console::{CTRL_BREAK_EVENT, CTRL_C_EVENT};

use crate::error::{Error, Result};
use crate::event::{Event, ResetKind};
use crate::sys::console;

static INTERRUPT: OnceLock<Event> = OnceLock::new();
static INSTALL: Mutex<()> = Mutex::new(());

/// The console's control handler: sets the event for Ctrl-C and Ctrl-Break and says they are
/// handled (so the process is not ended); anything else goes on to the default handler.
extern "system" fn on_console_event(event: u32) -> BOOL {
    match (event, INTERRUPT.get()) {
        (CTRL_C_EVENT | CTRL_BREAK_EVENT, Some(interrupt)) => BOOL::from(interrupt.set().is_ok()),
        _ => 0,
    }
}

/// The event Ctrl-C and Ctrl-Break set, from now on, instead of ending the process. The first
/// call installs the handler; later calls return the same event. It stays set once set.
pub fn interrupt_event() -> Result<&'static Event> {
    let _installing = INSTALL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(event) = INTERRUPT.get() {
        return Ok(event);
    }
    let event = Event::new(ResetKind::Manual)?;
    // The handler finds no event until it is stored below, and leaves those events to the
    // default handler meanwhile.
    console::add_ctrl_handler(on_console_event)
        .map_err(|source| Error::os("install a Ctrl-C handler", source))?;
    // We hold INSTALL and saw the cell empty, so this stores our event.
    Ok(INTERRUPT.get_or_init(|| event))
}
