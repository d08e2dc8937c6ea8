//! The fixed part of every request, declared once: the sizes in [`super`], the encoder, the
//! parser and the rows of `docs/protocol.md` ("Encoding") all come from these tables.
//!
//! The structs hold raw wire values; what they mean (a mode's range, a ring's capacity, an
//! event kind) is checked by the hand-written code in `parse.rs` and `encode.rs`, on the
//! struct these tables read.

use crate::mode::SignalModeWire;
use crate::wire::wire_layout;

wire_layout! {
    /// Every request starts with it; `QUERY_VERSION`, `QUERY_HOLDERS` and `PEND_NOTIFICATION`
    /// are nothing else.
    pub(crate) struct RequestHeader {
        /// the protocol version
        version: u32 = 1,
        flags: u32 = 0,
    }
}

wire_layout! {
    /// The name follows the name rules ("Names").
    pub(crate) struct RegisterByName {
        header: RequestHeader,
        mode: SignalModeWire,
        name_bytes: u32,
    }
    tail(name_bytes): "`name_bytes` bytes of UTF-16LE name (no terminator)";
}

wire_layout! {
    /// Changes how registration `id` is signalled.
    pub(crate) struct SetSignalMode {
        header: RequestHeader,
        id: u64,
        mode: SignalModeWire,
    }
}

wire_layout! {
    /// The request of `SIGNAL`, `UNREGISTER`, `QUERY_REGISTRATION` and `QUERY_RING`.
    pub(crate) struct RegistrationRequest {
        header: RequestHeader,
        /// the registration
        id: u64,
    }
}

wire_layout! {
    /// The handle must be an event opened with `EVENT_MODIFY_STATE`.
    pub(crate) struct RegisterByHandle {
        header: RequestHeader,
        /// the app's handle value, in the app's own process
        handle: u64,
        mode: SignalModeWire,
    }
}

wire_layout! {
    /// The driver creates an unnamed event and puts a handle to it into the caller's process
    /// with `SYNCHRONIZE` access only (returned in `RegisterReply`'s `handle`).
    pub(crate) struct CreateEvent {
        header: RequestHeader,
        /// 0 = auto-reset, 1 = manual-reset
        kind: u32,
        reserved: u32 = 0,
        mode: SignalModeWire,
    }
}

wire_layout! {
    /// The driver creates `<namespace>\evshare-<leaf>`, never opening an existing object
    /// (`STATUS_OBJECT_NAME_COLLISION`), with a DACL that grants the requesting user
    /// `SYNCHRONIZE` and nobody anything else.
    pub(crate) struct CreateNamedEvent {
        header: RequestHeader,
        /// as `CreateEvent`'s
        kind: u32,
        /// 0 = the caller's session, 1 = global
        scope: u32,
        mode: SignalModeWire,
        leaf_bytes: u32,
    }
    tail(leaf_bytes): "the UTF-16LE leaf (the leaf rules of names; at most 64 units)";
}

wire_layout! {
    /// The request of `QUERY_STATS`.
    pub(crate) struct StatsRequest {
        header: RequestHeader,
        /// count this process's live registrations too; 0 = no filter
        pid: u32,
        reserved: u32 = 0,
    }
}

wire_layout! {
    /// A ring registration is a registration (same id space, owned by the handle, capped, torn
    /// down the same way); its method is 4 = ring.
    pub(crate) struct RegisterRing {
        header: RequestHeader,
        /// records; a power of two in 16..=1_048_576
        capacity: u32,
        /// periodic: one record per tick from the timer DPC; on demand: only `PRODUCE`
        mode: SignalModeWire,
        /// 1..=capacity: the producer defers a wake-up until this many records are unread or
        /// the batch ends; 1 = wake on every record
        watermark: u32,
        section_bytes: u32,
        data_ready_bytes: u32,
        space_free_bytes: u32,
    }
    tail(section_bytes, data_ready_bytes, space_free_bytes):
        "the three UTF-16LE names back to back, each following the name rules and resolved in \
         the caller's session: the section the app created and initialised, the auto-reset \
         event the driver sets when data is ready, the auto-reset event the app sets when it \
         frees space";
}

wire_layout! {
    /// The driver produces the records now, from the dispatch routine, with the same producer
    /// the DPC uses.
    pub(crate) struct Produce {
        header: RequestHeader,
        /// the ring's registration
        id: u64,
        /// records to produce, 1..=1_000_000
        count: u32,
        reserved: u32 = 0,
    }
}

wire_layout! {
    /// Makes `count` notifications for the caller's handle; those that find no pending
    /// `PEND_NOTIFICATION` IRP are owed and complete the next ones to arrive, so none is lost.
    pub(crate) struct Notify {
        header: RequestHeader,
        /// 1..=1_000_000
        count: u32,
        reserved: u32 = 0,
    }
}

wire_layout! {
    /// `op` 0 = query (`arg` and `seed` zero); 1 = fault injection: fail about one in `arg` of
    /// the kernel calls marked injectable, chosen by a xorshift sequence seeded with `seed`
    /// (`arg` 0 stops it); 2 = provoke check `arg` (< 6) once (`seed` zero): the driver does
    /// the wrong thing that check catches, so the check fires (those checked at unload fire at
    /// unload; `irp-at-unload` keeps this very request pending for ever, so send it on a handle
    /// you then close). Anything else is `STATUS_INVALID_PARAMETER`.
    pub(crate) struct Verifier {
        header: RequestHeader,
        op: u32,
        arg: u32,
        seed: u64,
    }
}

wire_layout! {
    /// Has a subscriber of the caller's handle receive channel `channel`'s payloads: an event
    /// registration is signalled once per payload, a ring registration gets one record
    /// carrying it, the handle's inverted call one notification carrying it.
    pub(crate) struct Subscribe {
        header: RequestHeader,
        /// the registration (target 0), or 0 (target 1)
        id: u64,
        /// the channel's number in `QUERY_CHANNELS`' list
        channel: u32,
        /// who subscribes: 0 = registration `id`, 1 = the handle's inverted call
        target: u32,
    }
}

const _: () = assert!(
    <RequestHeader as crate::wire::Wire>::BLANK.version == crate::PROTOCOL_VERSION,
    "the header's fixed version is the protocol's"
);
