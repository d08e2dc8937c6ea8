//! `SignalReply`, the answer to `SIGNAL`.

use crate::error::ProtocolError;

counters_reply! {
    /// What `SIGNAL` returns: `version: u32`, `reserved: u32`, `timestamp: u64`.
    pub struct SignalReply, len 16 {
        /// The driver's performance counter just before it set the event (the same clock as
        /// the app's `QueryPerformanceCounter`), for latency measurements.
        pub timestamp: u64,
    }
}
