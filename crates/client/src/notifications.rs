//! [`Notifications`]: the inverted call, evshare's comparison path to shared events. The app
//! keeps `PEND_NOTIFICATION` requests pending on an overlapped handle; the driver completes one
//! per notification (`NOTIFY`, or anything else it wants to say), with a sequence number, its
//! performance-counter time and a payload. Notifications made while none is pending are owed
//! to the handle and complete the next requests to arrive, so none is lost.
//!
//! The requests' memory (an `OVERLAPPED` and a 64-byte buffer each) is pinned for as long as
//! the system may write it: dropping a `Notifications` cancels what is in flight and waits for
//! every request to complete before freeing anything. See [`overlapped`] for the raw calls.
//!
//! OSR's "Inverted Call Model in KMDF" describes the pattern:
//! <https://www.osr.com/nt-insider/2013-issue1/inverted-call-model-kmdf/>

mod overlapped;

use std::collections::VecDeque;
use std::os::windows::io::{AsHandle, BorrowedHandle, OwnedHandle};
use std::pin::Pin;
use std::time::{Duration, Instant};

use evshare_protocol::request::MAX_REQUEST_LEN;
use evshare_protocol::status::STATUS_CANCELLED;
use evshare_protocol::{Ioctl, IoctlSpace, Notification, NotifyReply, Request};

use crate::device::{reply_error, wide_path, Driver};
use crate::error::{Error, NtStatus, Result};
use crate::status_map;
use crate::wire::encode_in;
use overlapped::{IoSlot, Issued};

/// The most requests one [`Notifications`] keeps in flight (the driver parks at most 256 in
/// all, for every handle together).
pub(crate) const MAX_DEPTH: usize = 64;

/// How long cancelling, closing and dropping wait for requests to complete before they give
/// up (a driver that never completes a request it was asked to cancel is broken; the memory
/// is then leaked rather than freed under it).
const PATIENCE: Duration = Duration::from_secs(30);

/// Where one request slot is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SlotState {
    /// No request: the slot may be issued.
    Idle,
    /// A request is in flight; its event fires when it completes.
    InFlight,
    /// The request has completed; its result is in the slot.
    Done,
}

/// What a completed request brought.
enum Harvest {
    /// A notification.
    Delivered(Notification),
    /// It completed without one: cancelled (`STATUS_CANCELLED`) or failed.
    Failed {
        /// The request's final status.
        status: u32,
        /// What Win32 makes of it (`ERROR_OPERATION_ABORTED`, 995, for a cancelled one).
        win32_error: u32,
    },
}

/// What [`Notifications::cancel_one`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The request completed without a notification: cancelled (`STATUS_CANCELLED`, which
    /// Win32 reports as `ERROR_OPERATION_ABORTED`, 995) or failed otherwise.
    Cancelled {
        /// The request's final status.
        status: NtStatus,
        /// `GetOverlappedResult`'s error for it.
        win32_error: u32,
    },
    /// The driver completed it with a notification before the cancel reached it; nothing is
    /// lost: [`Notifications::next`] returns it.
    Delivered,
    /// No request was in flight.
    NothingPending,
}

/// How the requests in flight ended, for [`Notifications::cancel_all`] and
/// [`Notifications::close`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Settled {
    /// Completed with `STATUS_CANCELLED` (Win32: `ERROR_OPERATION_ABORTED`, 995).
    pub cancelled: usize,
    /// Completed with a notification first; kept for [`Notifications::next`].
    pub delivered: usize,
    /// Completed with another error.
    pub failed: usize,
    /// The Win32 error of the last request that did not deliver (995 for a cancel).
    pub last_win32_error: Option<u32>,
}

/// The inverted call on an overlapped device handle of its own: `depth` `PEND_NOTIFICATION`
/// requests kept in flight, completed by the driver one per notification, and `NOTIFY` on the
/// same handle (notifications belong to the handle). Made by [`Driver::notifications`].
///
/// A request belongs to the thread that issued it, and Windows cancels a thread's pending
/// requests when the thread exits: use a `Notifications` on threads that outlive it (a
/// request cancelled that way makes [`next`](Self::next) fail; the following call re-issues
/// it, and no notification is lost: the driver owes it to the next request).
///
#[doc = "```no_run"]
/// use evshare::Driver;
/// use std::time::Duration;
/// # fn main() -> evshare::Result<()> {
/// let driver = Driver::open()?;
/// let mut inbox = driver.notifications(8)?;
/// inbox.notify(3)?;
/// for _ in 0..3 {
///     let notification = inbox.next(Duration::from_secs(1))?.expect("one each");
///     println!("notification {}", notification.seq);
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Notifications {
    /// `None` once [`close`](Self::close) closed it.
    device: Option<OwnedHandle>,
    /// The IOCTL space of the driver it was opened from ([`Driver::space`]).
    space: IoctlSpace,
    /// Pinned: the system holds pointers into the slots while their requests are in flight.
    slots: Pin<Box<[IoSlot]>>,
    states: Vec<SlotState>,
    /// Slots with a request issued (in flight or done, not yet harvested), oldest first: the
    /// driver completes requests in the order they arrived.
    issued: VecDeque<usize>,
    /// Notifications harvested but not handed out yet (delivered before a cancel landed).
    ready: VecDeque<Notification>,
}

/// A second handle to the same file object as a [`Notifications`], to make notifications for
/// it (`NOTIFY`) from another thread. Keeping it open keeps the file object open: closing the
/// `Notifications` alone then does not close the handle in the driver's eyes.
#[derive(Debug)]
pub struct Notifier {
    device: OwnedHandle,
    /// The IOCTL space of the driver behind `device`.
    space: IoctlSpace,
}

impl Driver {
    /// Opens a second, overlapped handle to the driver, at the path this one was opened at,
    /// and keeps `depth` (1..=64) `PEND_NOTIFICATION` requests in flight on it. Its requests
    /// (`PEND_NOTIFICATION`, `NOTIFY`) carry their codes in this driver's
    /// [`space`](Driver::space).
    pub fn notifications(&self, depth: usize) -> Result<Notifications> {
        if !(1..=MAX_DEPTH).contains(&depth) {
            return Err(Error::os(
                format!("keep {depth} notification requests in flight: ask for 1 to {MAX_DEPTH}"),
                std::io::ErrorKind::InvalidInput.into(),
            ));
        }
        // The same device as this handle's: a Driver opened with `open_at` gets its
        // notifications from the driver it talks to.
        let path = self.path();
        let device = overlapped::open(&wide_path(path)?).map_err(|source| {
            Error::os(
                format!("open the device `{path}` again for asynchronous requests"),
                source,
            )
        })?;
        let slots = (0..depth)
            .map(|_| IoSlot::new())
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|source| Error::os("create the notification requests' events", source))?;
        let mut notifications = Notifications {
            device: Some(device),
            space: self.space(),
            slots: Box::into_pin(slots.into_boxed_slice()),
            states: vec![SlotState::Idle; depth],
            issued: VecDeque::with_capacity(depth),
            ready: VecDeque::new(),
        };
        notifications.refill()?;
        Ok(notifications)
    }
}

impl Notifications {
    /// How many requests it keeps in flight.
    pub fn depth(&self) -> usize {
        self.states.len()
    }

    /// How many requests are issued and not yet taken back (in flight, or completed and
    /// waiting for [`next`](Self::next)).
    pub fn in_flight(&self) -> usize {
        self.issued.len()
    }

    /// The next notification, waiting up to `timeout`; `None` if none came. Re-issues the
    /// request it took, and any that were cancelled, so `depth` stay in flight. In sequence
    /// order: the driver completes requests in the order they arrived.
    pub fn next(&mut self, timeout: Duration) -> Result<Option<Notification>> {
        if let Some(notification) = self.ready.pop_front() {
            return Ok(Some(notification));
        }
        self.refill()?;
        let deadline = Instant::now().checked_add(timeout);
        let Some(&front) = self.issued.front() else {
            return Err(closed_error());
        };
        if !self.settle(front, left_until(deadline))? {
            return Ok(None);
        }
        self.issued.pop_front();
        let harvest = self.harvest(front);
        let reissued = self.issue(front);
        match harvest? {
            Harvest::Delivered(notification) => {
                if let Err(error) = reissued {
                    // Keep it: the caller gets it on the next call.
                    self.ready.push_back(notification);
                    return Err(error);
                }
                Ok(Some(notification))
            }
            // A request the driver cancelled as it stopped, and that it now refuses to take
            // back: say so, rather than "cancelled".
            Harvest::Failed { .. } if matches!(reissued, Err(Error::DriverStopped { .. })) => {
                reissued.map(|()| None)
            }
            Harvest::Failed {
                status,
                win32_error,
            } => Err(Error::os(
                format!(
                    "receive a notification: the request completed with {}",
                    NtStatus(status)
                ),
                std::io::Error::from_raw_os_error(win32_error as i32),
            )),
        }
    }

    /// Makes `count` (1..=1,000,000) notifications for this handle (`NOTIFY`): the driver
    /// completes that many pending requests and owes the rest to the next ones to arrive.
    pub fn notify(&self, count: u32) -> Result<NotifyReply> {
        notify_on(self.device()?, self.space, count)
    }

    /// `request` through this handle: the reply's length, or the status the driver refused it
    /// with.
    pub(crate) fn request(
        &self,
        request: &Request<'_>,
        reply: &mut [u8],
    ) -> Result<std::result::Result<usize, u32>> {
        request_on(self.device()?, self.space, request, reply)
    }

    /// A [`Notifier`] for this handle, to call [`Notifier::notify`] from another thread.
    pub fn notifier(&self) -> Result<Notifier> {
        let device = self
            .device()?
            .try_clone_to_owned()
            .map_err(|source| Error::os("duplicate the notification handle", source))?;
        Ok(Notifier {
            device,
            space: self.space,
        })
    }

    /// Cancels the oldest request in flight (`CancelIoEx` with its `OVERLAPPED`) and waits for
    /// it to complete. The slot stays idle until [`next`](Self::next) re-issues it.
    pub fn cancel_one(&mut self) -> Result<CancelOutcome> {
        let Some(&front) = self.issued.front() else {
            return Ok(CancelOutcome::NothingPending);
        };
        if self.states[front] == SlotState::InFlight {
            self.slots[front]
                .cancel(self.device()?)
                .map_err(|source| Error::os("cancel a notification request", source))?;
        }
        if !self.settle(front, PATIENCE)? {
            return Err(stuck_error("the cancelled request"));
        }
        self.issued.pop_front();
        Ok(match self.harvest(front)? {
            Harvest::Delivered(notification) => {
                self.ready.push_back(notification);
                CancelOutcome::Delivered
            }
            Harvest::Failed {
                status,
                win32_error,
            } => CancelOutcome::Cancelled {
                status: NtStatus(status),
                win32_error,
            },
        })
    }

    /// Cancels every request in flight on this handle, whichever thread issued it
    /// (`CancelIoEx` without an `OVERLAPPED`), and waits for all to complete. The slots stay
    /// idle until [`next`](Self::next) re-issues them.
    pub fn cancel_all(&mut self) -> Result<Settled> {
        overlapped::cancel_all(self.device()?)
            .map_err(|source| Error::os("cancel the notification requests", source))?;
        let settled = self.settle_all(PATIENCE);
        if !self.issued.is_empty() {
            return Err(stuck_error("the cancelled requests"));
        }
        Ok(settled)
    }

    /// Closes the handle with the requests still pending, as an app that exits without
    /// cancelling does: the driver completes them (`STATUS_CANCELLED`) when the handle closes
    /// (unless a [`Notifier`] keeps it open). Waits for every one to complete.
    pub fn close(mut self) -> Result<Settled> {
        drop(self.device.take());
        let settled = self.settle_all(PATIENCE);
        if !self.issued.is_empty() {
            return Err(stuck_error("the requests of the closed handle"));
        }
        Ok(settled)
    }

    fn device(&self) -> Result<BorrowedHandle<'_>> {
        self.device
            .as_ref()
            .map(AsHandle::as_handle)
            .ok_or_else(closed_error)
    }

    /// Issues a request on every idle slot.
    fn refill(&mut self) -> Result<()> {
        for index in 0..self.states.len() {
            if self.states[index] == SlotState::Idle {
                self.issue(index)?;
            }
        }
        Ok(())
    }

    /// Issues `PEND_NOTIFICATION` on slot `index`, which must be idle.
    fn issue(&mut self, index: usize) -> Result<()> {
        debug_assert_eq!(self.states[index], SlotState::Idle);
        let mut input = [0u8; MAX_REQUEST_LEN];
        let (code, len) =
            encode_in(self.space, &Request::PendNotification, &mut input).map_err(|source| {
                Error::InvalidRequest {
                    operation: Ioctl::PendNotification,
                    source,
                }
            })?;
        let device = self.device()?;
        // SAFETY: the slot lives in `slots`, pinned in a box this value owns; the slot is idle
        // (no request in flight on it); and no slot is freed before its request completed:
        // `next`, `cancel_*` and `close` take a slot back only once it completed, and `Drop`
        // waits for every request in flight, leaking the slots if one never completes.
        let issued = unsafe { self.slots[index].issue(device, code, &input[..len]) };
        match issued {
            Issued::Pending => self.states[index] = SlotState::InFlight,
            Issued::Completed(_) => self.states[index] = SlotState::Done,
            Issued::Refused(status) => {
                return Err(status_map::request_error(
                    status,
                    Ioctl::PendNotification,
                    None,
                ))
            }
        }
        self.issued.push_back(index);
        Ok(())
    }

    /// Waits up to `timeout` for slot `index`'s request to complete; `Ok(true)` once it has
    /// (or if there was none).
    fn settle(&mut self, index: usize, timeout: Duration) -> Result<bool> {
        if self.states[index] != SlotState::InFlight {
            return Ok(true);
        }
        let millis = u32::try_from(timeout.as_millis())
            .unwrap_or(u32::MAX)
            .min(u32::MAX - 1);
        let done = self.slots[index]
            .wait(millis)
            .map_err(|source| Error::os("wait for a notification", source))?;
        if done {
            self.states[index] = SlotState::Done;
        }
        Ok(done)
    }

    /// Takes the result out of slot `index` (which has completed) and makes it idle.
    fn harvest(&mut self, index: usize) -> Result<Harvest> {
        debug_assert_eq!(self.states[index], SlotState::Done);
        self.states[index] = SlotState::Idle;
        let slot = &self.slots[index];
        let status = slot.status();
        if (status as i32) < 0 {
            let device = self.device.as_ref().map(AsHandle::as_handle);
            let win32_error = slot.win32_result(device).err().unwrap_or(0);
            return Ok(Harvest::Failed {
                status,
                win32_error,
            });
        }
        Notification::parse(slot.reply())
            .map(Harvest::Delivered)
            .map_err(|source| reply_error(Ioctl::PendNotification, source))
    }

    /// Waits (until `patience` runs out) for every request issued to complete, oldest first,
    /// and takes their results: notifications go to `ready`.
    fn settle_all(&mut self, patience: Duration) -> Settled {
        let deadline = Instant::now().checked_add(patience);
        let mut settled = Settled::default();
        while let Some(&front) = self.issued.front() {
            if !matches!(self.settle(front, left_until(deadline)), Ok(true)) {
                break;
            }
            self.issued.pop_front();
            match self.harvest(front) {
                Ok(Harvest::Delivered(notification)) => {
                    self.ready.push_back(notification);
                    settled.delivered += 1;
                }
                Ok(Harvest::Failed {
                    status,
                    win32_error,
                }) => {
                    if status == STATUS_CANCELLED {
                        settled.cancelled += 1;
                    } else {
                        settled.failed += 1;
                    }
                    settled.last_win32_error = Some(win32_error);
                }
                Err(_) => settled.failed += 1,
            }
        }
        settled
    }
}

impl Drop for Notifications {
    fn drop(&mut self) {
        if let Some(device) = &self.device {
            // Best effort: if cancelling fails, closing the handle below ends them too.
            let _ = overlapped::cancel_all(device.as_handle());
        }
        let _ = self.settle_all(PATIENCE);
        if !self.issued.is_empty() {
            // A request that never completed may still write its slot: never free that memory.
            let empty: Pin<Box<[IoSlot]>> = Box::into_pin(Vec::new().into_boxed_slice());
            std::mem::forget(std::mem::replace(&mut self.slots, empty));
        }
    }
}

impl Notifier {
    /// See [`Notifications::notify`].
    pub fn notify(&self, count: u32) -> Result<NotifyReply> {
        notify_on(self.device.as_handle(), self.space, count)
    }
}

// The inbox moves to the thread that reads it; a notifier is shared with any thread.
const _: () = {
    const fn send<T: Send>() {}
    const fn sync<T: Sync>() {}
    send::<Notifications>();
    send::<Notifier>();
    sync::<Notifier>();
};

/// `request` on `device`, whose driver keeps evshare's codes in `space`: the reply's length, or
/// the status the driver refused it with (`Err` only if it cannot be encoded).
fn request_on(
    device: BorrowedHandle<'_>,
    space: IoctlSpace,
    request: &Request<'_>,
    reply: &mut [u8],
) -> Result<std::result::Result<usize, u32>> {
    let mut input = [0u8; MAX_REQUEST_LEN];
    let (code, len) =
        encode_in(space, request, &mut input).map_err(|source| Error::InvalidRequest {
            operation: request.ioctl(),
            source,
        })?;
    Ok(overlapped::ioctl_and_wait(
        device,
        code,
        &input[..len],
        reply,
    ))
}

/// `NOTIFY` on `device`, whose driver keeps evshare's codes in `space`.
fn notify_on(device: BorrowedHandle<'_>, space: IoctlSpace, count: u32) -> Result<NotifyReply> {
    let mut reply = [0u8; NotifyReply::LEN];
    let written = request_on(device, space, &Request::Notify { count }, &mut reply)?
        .map_err(|status| status_map::request_error(status, Ioctl::Notify, None))?;
    NotifyReply::parse(&reply[..written]).map_err(|source| Error::BadReply {
        operation: Ioctl::Notify,
        source,
    })
}

fn left_until(deadline: Option<Instant>) -> Duration {
    deadline.map_or(Duration::MAX, |deadline| {
        deadline.saturating_duration_since(Instant::now())
    })
}

fn closed_error() -> Error {
    Error::os(
        "use the notification handle: it was closed",
        std::io::ErrorKind::NotConnected.into(),
    )
}

fn stuck_error(what: &str) -> Error {
    Error::os(
        format!(
            "wait for {what} to complete: still pending after {} s; the driver is not \
             completing them (check `evshare status`)",
            PATIENCE.as_secs()
        ),
        std::io::ErrorKind::TimedOut.into(),
    )
}
