//! evshare as a library a Windows driver embeds: registrations by the four event methods, the
//! ring channel, the inverted call, per-process quotas and stats, as one value ([`Evshare`])
//! the host driver owns. No statics: a host keeps each instance in a `static` of its own and
//! may run several.
//!
//! The host creates its device, forwards create/cleanup/close/device-control to the instance
//! and keeps its own IOCTLs: [`Evshare::device_control`] gives back untouched every request
//! outside the instance's [`IoctlSpace`]. The host also keeps a
//! [`HandleState`] per handle (km's `Dispatch::FileState`, alone or inside its own) and lends
//! it to each request.
//!
//! A request flows one way: [`dispatch`] → `handlers` → `methods` / `inverted` /
//! `ring_channel` → `registry` → km, with the types every step shares ([`caller`]: who asked,
//! how a refusal is made) in a leaf module. `tests/shape.rs` checks that no module imports one
//! that imports it back.
//!
//! - [`config`]: the host's choices (IOCTL space, quotas, channels).
//! - [`channel`]: the channels' subscribers; [`Evshare::publish`] delivers a payload to them.
//!   `channel_inbox`: a handle's inverted call as a subscriber, with its bounded backlog;
//!   `notification`: completing a parked `PEND_NOTIFICATION`.
//! - [`dispatch`]: [`Evshare`], the instance and its entry points.
//! - `handlers`: one function per IOCTL; answers queries.
//! - `methods`: the four ways to share an event, and the ring.
//! - `inverted`: pending IOCTLs completed one per notification, cancel-safe.
//! - `registration`, `registry`, `ring_channel`: one registered event, the table of live ones,
//!   a ring registration.
//! - [`handle_state`], `state`, `stats`: per-handle state, per-instance state, counters.
//! - [`source`]: what publishes without an app asking, above [`dispatch`] (the host's side of
//!   [`Evshare::publish`]; nothing in the library calls it).
//!
//! ## Sources: periodic, one-shot and on-demand, wired to channels
//!
//! evshare.sys's per-registration signal modes stay as they are (an app's registration may
//! still be signalled periodically, once, or on its own `SIGNAL`); for channels, a host wires
//! **sources** to the channels it declared. Periodic and one-shot are a
//! [`TimerSource`] (km's timer; its DPC publishes a numbered beat, every
//! period or once), kept in a [`SourceSlot`] from `DriverEntry` to
//! `DriverUnload`; on-demand is [`Evshare::publish`] called wherever the host's data arises.
//! Start a source after [`Evshare::start`]; stop it before [`Evshare::unload`]. evshare.sys
//! wires one: `evshare.heartbeat`, a beat a second.
// The library only exists for Windows targets; on the host the crate is empty, which keeps
// `cargo check --workspace` working on Linux. Under `--cfg loom` the host build holds the
// channel inbox alone, for its loom model (`tests/loom_channel_inbox.rs`).
#![no_std]
#![cfg(any(target_os = "windows", loom))]

#[cfg(loom)]
pub mod channel_inbox;
#[cfg(not(loom))]
mod channel_inbox;

/// Items that build only for Windows targets (everything but the channel inbox).
macro_rules! windows_only {
    ($($item:item)*) => {
        $(
            #[cfg(target_os = "windows")]
            $item
        )*
    };
}

windows_only! {
    pub mod caller;
    pub mod channel;
    pub mod config;
    pub mod dispatch;
    pub mod handle_state;
    mod handlers;
    mod inverted;
    mod methods;
    mod notification;
    mod registration;
    mod registry;
    mod ring_channel;
    pub mod source;
    mod state;
    mod stats;
    mod verifier_ops;

    pub use channel::{ChannelId, Published};
    pub use config::{Channel, Config, Quotas};
    pub use dispatch::{Evshare, PublishError};
    pub use evshare_protocol::IoctlSpace;
    pub use handle_state::HandleState;
    pub use source::{SourceSlot, Stopped, TimerSource};
}
