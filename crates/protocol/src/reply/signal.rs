//! `SignalReply`, the answer to `SIGNAL`.

use crate::error::ProtocolError;

counters_reply! {
    /// What `SIGNAL` returns, for latency measurements.
    pub struct SignalReply, wire SignalReplyWire {
        /// the driver's performance counter just before it set the event, on the same clock as
        /// the app's `QueryPerformanceCounter`
        pub timestamp: u64,
    }
}
