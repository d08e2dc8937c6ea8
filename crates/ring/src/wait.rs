//! Blocking on the data-ready event, whatever it is: a Win32 event handle in the client, a
//! mutex and condition variable in the same-process harness, loom's in the model.

use core::time::Duration;

/// An auto-reset event the consumer can sleep on: the producer's side sets it.
pub trait Waiter {
    /// Sleeps until the event is set (consuming the signal) or `timeout` passes (`None`:
    /// forever). A signal set before the call must end it at once.
    fn wait(&self, timeout: Option<Duration>) -> WaitStatus;
}

/// How a [`Waiter::wait`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitStatus {
    /// The event was set.
    Signalled,
    /// The timeout passed first.
    TimedOut,
}

/// What [`Consumer::prepare_wait`](crate::Consumer::prepare_wait) found after flagging the
/// consumer waiting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitDecision {
    /// There is something to poll (records, a gap to report, or the ring was closed): the flag
    /// is already cleared; poll, do not sleep.
    DataAvailable,
    /// Nothing: sleep on the data-ready event, then call
    /// [`Consumer::finish_wait`](crate::Consumer::finish_wait). The producer will set the event
    /// for anything it publishes from now on.
    Sleep,
}

/// What [`Consumer::wait`](crate::Consumer::wait) ended with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Poll now (there may be nothing after a stale signal: then wait again).
    Ready,
    /// The timeout passed with nothing to poll.
    TimedOut,
}
