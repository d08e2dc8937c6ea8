//! The subcommands, one module each.

mod channels;
mod demo;
mod doctor;
mod lifecycle;
pub(crate) mod output;
mod stats;
mod status;
mod watch;
mod watch_channel;
mod watch_ring;

use std::error::Error;
use std::fmt;

use evshare::{Driver, IoctlSpace, NtStatus};
use evshare_protocol::status::STATUS_INVALID_DEVICE_REQUEST;
use evshare_protocol::Ioctl;

use crate::args::{Cli, Command};

/// What a subcommand returns: the library's errors, or the demo's own findings.
pub(crate) type Outcome = Result<(), Box<dyn Error>>;

/// Runs one subcommand; those that talk to the driver open `--device` in `--space`.
pub(crate) fn run(cli: Cli) -> Outcome {
    let device = &Device {
        path: cli.device(),
        space: cli.space(),
    };
    match &cli.command {
        Command::Install { sys } => lifecycle::install(sys.clone()),
        Command::Start => lifecycle::start(),
        Command::Stop => lifecycle::stop(),
        Command::Uninstall => lifecycle::uninstall(),
        Command::Status => status::run(device),
        Command::Demo { period_ms, count } => demo::run(device, *period_ms, *count),
        Command::Stats { pid } => stats::run(device, *pid),
        Command::Doctor { name } => doctor::run(device, name.as_deref()),
        Command::Channels => channels::run(device),
        Command::Watch(args) => watch::run(device, args),
    }
}

/// The device the driver commands talk to: its Win32 path, and the IOCTL space its driver
/// put evshare's requests in. Displayed as the path, with the space when it is not evshare's.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Device<'a> {
    pub path: &'a str,
    pub space: IoctlSpace,
}

impl Device<'_> {
    /// Opens it for reading and writing ([`Driver::open_in`]).
    pub fn open(&self) -> Result<Driver, Box<dyn Error>> {
        Driver::open_in(self.path, self.space).map_err(|error| self.explain(error))
    }

    /// Opens it for reading only ([`Driver::open_read_only_in`]).
    pub fn open_read_only(&self) -> Result<Driver, Box<dyn Error>> {
        Driver::open_read_only_in(self.path, self.space).map_err(|error| self.explain(error))
    }

    /// The library's error, or, when the driver refused the version check as an unknown
    /// IOCTL, [`WrongSpace`] around it: the likelier cause is a space the driver does not use.
    fn explain(&self, error: evshare::Error) -> Box<dyn Error> {
        match error {
            evshare::Error::DriverRejected {
                operation: Ioctl::QueryVersion,
                status: NtStatus(STATUS_INVALID_DEVICE_REQUEST),
            } => Box::new(WrongSpace {
                device: self.path.to_owned(),
                space: self.space,
                source: error,
            }),
            error => Box::new(error),
        }
    }

    /// Whether it is evshare's own device in evshare's own space, whose driver is the
    /// `evshare` service (the service's state says something about it; about another
    /// driver's device it says nothing).
    pub fn is_evshare(&self) -> bool {
        self.path.eq_ignore_ascii_case(evshare::DEFAULT_DEVICE_PATH)
            && self.space == IoctlSpace::EVSHARE
    }
}

impl fmt::Display for Device<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path)?;
        if self.space != IoctlSpace::EVSHARE {
            write!(
                f,
                " (IOCTL space {:#X}:{:#X})",
                self.space.device_type(),
                self.space.function_base()
            )?;
        }
        Ok(())
    }
}

/// The driver at a device refused evshare's first request as an unknown IOCTL: it does not put
/// evshare's requests in the space they were sent in.
#[derive(Debug)]
pub(crate) struct WrongSpace {
    device: String,
    space: IoctlSpace,
    source: evshare::Error,
}

impl fmt::Display for WrongSpace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the driver of `{}` does not know evshare's requests in IOCTL space {:#X}:{:#X}: a \
             driver that embeds evshare answers them in the space it gave its instance, which \
             --space TYPE:BASE names (the sample host's is 0x9A11:0x900)",
            self.device,
            self.space.device_type(),
            self.space.function_base()
        )
    }
}

impl Error for WrongSpace {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}
