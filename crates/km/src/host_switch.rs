//! The places where the driver behaves differently on Windows and under Wine, each declared once
//! as a [`Switch`] with its verdict: can Wine run the Windows side correctly?
//!
//! Every use site asks [`branch`] which side to run, never the host directly. In the shipped
//! build [`branch`] is the host [`crate::driver::detect_host`] found. With the cargo feature
//! `windows-branches` (a test build, never shipped), the switches whose Windows side Wine runs
//! correctly ([`Switch::forced`]) run that side under Wine too, so the Wine end-to-end suite
//! covers the code Windows runs; the others keep their Wine side, for the reason their
//! documentation gives. `cargo xtask test` runs the e2e suite once more against that build.
//!
//! The host the driver *reports* (`HostKind` in the version and stats replies) is not a switch:
//! it is always the host detected.

/// Which kernel the driver runs on, decided once from the exports it sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// Microsoft Windows.
    Windows,
    /// Wine's `ntoskrnl.exe` inside `winedevice.exe`.
    Wine,
}

/// One host switch. Each variant's documentation is its verdict: what the Windows side does,
/// and whether Wine 8.0 runs it correctly (with the source lines or the run that decided).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Switch {
    /// Signalling an app's event that the driver opened **by name** (`REGISTER_BY_NAME`, a
    /// ring's two events). Windows side: `KeSetEvent` on the referenced object; Wine side:
    /// `ZwSetEvent` on the kept handle.
    ///
    /// **Forced.** Wine's `KeSetEvent` (`dlls/ntoskrnl.exe/sync.c` l.263) on an object that came
    /// from a handle (marked in `create_event_object`, l.195) re-opens it by pointer with
    /// `EVENT_MODIFY_STATE` (`ObOpenObjectByPointer`, `ntoskrnl.c` l.376; the server's
    /// `get_kernel_object_handle`, `server/device.c` l.1129, allocates that handle with the
    /// object's descriptor checked), sets it and closes the handle, and drops the signal
    /// silently if the open is refused. The driver opened this event with `EVENT_MODIFY_STATE`
    /// and `OBJ_FORCE_ACCESS_CHECK`, and every process of a Wine prefix runs with the same
    /// token, so the re-open passes the check that the open passed. Measured: the whole e2e
    /// suite passes with it forced, and a trace (`trace+ntoskrnl`) shows the driver's signals
    /// going through `KeSetEvent` and `ObOpenObjectByPointer(EVENT_MODIFY_STATE)`.
    SetEventOpenedByName,
    /// Signalling an app's event the driver got **by handle** (`REGISTER_BY_HANDLE`). The sides
    /// are those of [`Switch::SetEventOpenedByName`].
    ///
    /// **Not forced.** The app's handle may carry access the event's descriptor denies (the
    /// creator's handle has full access whatever the DACL), and the driver only checked the
    /// handle. Wine's `KeSetEvent` re-opens the object against the descriptor and, refused,
    /// drops the signal without a word. Measured: forced, `e2e_deputy`'s event whose DACL grants
    /// Everyone `SYNCHRONIZE` only, shared by its creator's handle, never receives the signal
    /// (`an_event_whose_descriptor_denies_the_caller_is_refused` fails). Windows' `KeSetEvent`
    /// checks no access at all.
    SetEventFromAppHandle,
    /// Signalling an event the driver **created** (`REGISTER_DRIVER_HANDLE`,
    /// `REGISTER_DRIVER_NAMED`). The sides are those of [`Switch::SetEventOpenedByName`].
    ///
    /// **Not forced.** The driver's descriptor grants the caller's user `SYNCHRONIZE |
    /// READ_CONTROL` only, and `winedevice.exe` runs as that same user: Wine's `KeSetEvent`
    /// re-open is refused and the signal dropped, as for [`Switch::SetEventFromAppHandle`].
    /// Measured: forced, the seven `e2e_methods` tests that wait on a driver-created event
    /// fail (no signal arrives).
    SetCreatedEvent,
    /// Mapping a ring's section (`crate::section`). Windows side: a system-space view
    /// (`MmMapViewInSystemSpace` on the object `MmSectionObjectType` names), locked with an
    /// MDL; Wine side: a view in `winedevice.exe` (`ZwMapViewOfSection(NtCurrentProcess())`),
    /// checked page by page for commitment.
    ///
    /// **Not forced.** `MmMapViewInSystemSpace`, `MmUnmapViewInSystemSpace` and the data export
    /// `MmSectionObjectType` are `@ stub` in Wine 8.0 (`ntoskrnl.exe.spec` l.741, l.754): the
    /// first call kills `winedevice.exe`, and the type's value is garbage.
    MapSection,
    /// Which raise routines the SEH self-test may resolve (`crate::seh`). Windows side:
    /// `RtlRaiseStatus`, else `ExRaiseStatus`; Wine side: `RtlRaiseStatus` only.
    ///
    /// **Forced.** Wine exports and implements `RtlRaiseStatus` (`ntoskrnl.exe.spec` l.1235),
    /// so the Windows side's lookup stops at it and never resolves the stub `ExRaiseStatus`
    /// (l.185). Measured: the forced build's self-test passes at load.
    RaiseRoutines,
    /// Whether `DriverEntry` runs the SEH self-test (a raise caught by the driver's own frame).
    /// Windows side: no self-test (a broken frame would bugcheck at every load; the PE lint
    /// checks the frame's unwind data instead); Wine side: the self-test, failing the load.
    ///
    /// **Not forced.** Wine could run the Windows side, but that side runs nothing: forcing it
    /// would only take away the load-time proof of the SEH frame that `cargo xtask install`
    /// checks, and test no Windows code.
    SehSelfTest,
    /// What a refused `IRP_MJ_CREATE` does with the per-handle state km attached. Windows side:
    /// free it at once (Windows sends no `IRP_MJ_CLOSE` for a failed open); Wine side: leave
    /// it to the `IRP_MJ_CLOSE` that follows (Wine cannot refuse an open).
    ///
    /// **Forced.** Wine's `dispatch_create` (`ntoskrnl.c` l.550) keeps the file object whatever
    /// the driver returns, and the server made the handle before the driver saw the request
    /// (`server/device.c` `device_open_file`, l.423), so Wine's CLOSE still comes: it finds the
    /// file object's context cleared by the Windows side and frees nothing twice. Measured:
    /// `e2e_stop`'s opens racing the stop hit it 2 to 6 times a run (counted with a temporary
    /// log line), and the driver restarts clean with `winedevice.exe` alive.
    FreeRefusedCreateState,
    /// Completing an IRP taken out of the queue of pending IRPs, and the fence device that
    /// goes with it (`crate::wine_fence`, `crate::irp`). Windows side: `IofCompleteRequest`,
    /// which frees the IRP; Wine side: complete it but keep it alive until a fence request
    /// proves no cancel for it is still queued.
    ///
    /// **Not forced.** The Wine side is the mitigation of a Wine 8.0 bug: the server queues a
    /// cancel with the raw IRP pointer (`server/device.c` `cancel_irp_call`) and nothing
    /// withdraws it when the IRP completes, so `dispatch_cancel` (`ntoskrnl.c` l.849) runs
    /// `IoCancelIrp` on freed memory. Reproduced before the fence: `winedevice.exe` crashed in
    /// 4 of 10 kill campaigns; `cargo xtask repro-cancel` shows it on a minimal C driver.
    WineFence,
}

impl Switch {
    /// Every switch, in the order they are logged.
    pub const ALL: [Switch; 8] = [
        Switch::SetEventOpenedByName,
        Switch::SetEventFromAppHandle,
        Switch::SetCreatedEvent,
        Switch::MapSection,
        Switch::RaiseRoutines,
        Switch::SehSelfTest,
        Switch::FreeRefusedCreateState,
        Switch::WineFence,
    ];

    /// Whether the `windows-branches` build runs this switch's Windows side under Wine: the
    /// one place the choice is made (each variant's documentation says why).
    pub const fn forced(self) -> bool {
        match self {
            Switch::SetEventOpenedByName => true,
            Switch::SetEventFromAppHandle => false,
            Switch::SetCreatedEvent => false,
            Switch::MapSection => false,
            Switch::RaiseRoutines => true,
            Switch::SehSelfTest => false,
            Switch::FreeRefusedCreateState => true,
            Switch::WineFence => false,
        }
    }

    /// A short name for logs.
    pub const fn name(self) -> &'static str {
        match self {
            Switch::SetEventOpenedByName => "set-event-opened-by-name",
            Switch::SetEventFromAppHandle => "set-event-from-app-handle",
            Switch::SetCreatedEvent => "set-created-event",
            Switch::MapSection => "map-section",
            Switch::RaiseRoutines => "raise-routines",
            Switch::SehSelfTest => "seh-self-test",
            Switch::FreeRefusedCreateState => "free-refused-create-state",
            Switch::WineFence => "wine-fence",
        }
    }
}

/// Whether this build forces the Windows side of the [`Switch::forced`] switches (the cargo
/// feature `windows-branches`).
pub const FORCING: bool = cfg!(feature = "windows-branches");

/// The side of `switch` to run on `detected`, in a build that forces (`forcing`) or not. Pure,
/// so the host tests check the table; the driver calls [`branch`].
pub const fn branch_on(switch: Switch, detected: Host, forcing: bool) -> Host {
    if forcing && switch.forced() {
        Host::Windows
    } else {
        detected
    }
}

/// The side of `switch` to run: the host the driver detected, or Windows for a forced switch
/// in the `windows-branches` build.
///
/// IRQL: any.
#[cfg(target_os = "windows")]
pub fn branch(switch: Switch) -> Host {
    branch_on(switch, crate::driver::host(), FORCING)
}

/// The switches whose Windows side runs although the host is `detected`, in the order of
/// [`Switch::ALL`] (none in the shipped build, none on Windows).
pub fn forced_on(detected: Host, forcing: bool) -> impl Iterator<Item = Switch> {
    Switch::ALL
        .into_iter()
        .filter(move |&switch| branch_on(switch, detected, forcing) != detected)
}

/// Logs, once from `DriverEntry` after the host was detected, which switches run their Windows
/// side under Wine; says nothing when none does (the shipped build, or Windows itself).
///
/// IRQL: `<= DISPATCH_LEVEL`.
#[cfg(target_os = "windows")]
pub fn log_forced() {
    let detected = crate::driver::host();
    if forced_on(detected, FORCING).next().is_none() {
        return;
    }
    crate::log!(
        Info,
        "windows-branches: forcing the Windows side on {:?} of {} switch(es)",
        detected,
        forced_on(detected, FORCING).count()
    );
    for switch in forced_on(detected, FORCING) {
        crate::log!(Info, "windows-branches: forced {}", switch.name());
    }
    for switch in Switch::ALL.into_iter().filter(|switch| !switch.forced()) {
        crate::log!(
            Info,
            "windows-branches: kept {:?} side of {}",
            detected,
            switch.name()
        );
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    #[test]
    fn the_shipped_build_follows_the_host_everywhere() {
        for switch in Switch::ALL {
            for host in [Host::Windows, Host::Wine] {
                assert_eq!(
                    branch_on(switch, host, false),
                    host,
                    "{switch:?} on {host:?}"
                );
            }
        }
        assert_eq!(forced_on(Host::Wine, false).count(), 0);
    }

    #[test]
    fn forcing_moves_exactly_the_forceable_switches_under_wine() {
        let forced: Vec<Switch> = forced_on(Host::Wine, true).collect();
        assert_eq!(
            forced,
            [
                Switch::SetEventOpenedByName,
                Switch::RaiseRoutines,
                Switch::FreeRefusedCreateState,
            ]
        );
        for switch in Switch::ALL {
            let expected = if switch.forced() {
                Host::Windows
            } else {
                Host::Wine
            };
            assert_eq!(branch_on(switch, Host::Wine, true), expected, "{switch:?}");
            // On Windows nothing changes.
            assert_eq!(branch_on(switch, Host::Windows, true), Host::Windows);
        }
        assert_eq!(forced_on(Host::Windows, true).count(), 0);
    }

    #[test]
    fn the_wine_bug_mitigation_and_the_stubs_are_never_forced() {
        for switch in [
            Switch::WineFence,
            Switch::MapSection,
            Switch::SetCreatedEvent,
            Switch::SetEventFromAppHandle,
        ] {
            assert_eq!(
                branch_on(switch, Host::Wine, true),
                Host::Wine,
                "{switch:?}"
            );
        }
    }

    #[test]
    fn every_switch_is_listed_once_with_its_own_name() {
        for (i, a) in Switch::ALL.iter().enumerate() {
            for b in &Switch::ALL[i + 1..] {
                assert_ne!(a, b);
                assert_ne!(a.name(), b.name());
            }
        }
    }
}
