//! The command line: what `evshare` accepts.

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{ArgGroup, Args, CommandFactory, Parser, Subcommand};
use evshare::{IoctlSpace, SpaceError};
use evshare_protocol::ioctl_space::RESERVED_FUNCTIONS as RESERVED;

/// Share events between the evshare.sys driver and apps: install and control the driver,
/// inspect it, and run the demo.
#[derive(Debug, Parser)]
#[command(name = "evshare", version, about, long_about = None)]
pub struct Cli {
    /// The device to talk to, as a Win32 path: evshare's own, or that of a driver that embeds
    /// evshare, such as `\\.\mydriver` (with --space if it put evshare's IOCTLs in a space
    /// of its own). Used by status, stats, doctor, demo, channels and watch; install, start,
    /// stop and uninstall manage the `evshare` service and refuse it [default: \\.\evshare]
    #[arg(long, global = true, value_name = "PATH")]
    pub device: Option<String>,
    /// Where the device's driver put evshare's IOCTLs: its device type and the first function
    /// code of evshare's requests, as hex numbers `TYPE:BASE` (the sample host's is
    /// `0x9A11:0x900`), what the driver gave its `Evshare`. Used by every command that
    /// talks to the driver, like --device [default: 0x8E5E:0x800, evshare.sys's own]
    #[arg(long, global = true, value_name = "TYPE:BASE", value_parser = parse_space)]
    pub space: Option<IoctlSpace>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the command line; exits with clap's usage error when it is not valid, including
    /// a `--device` given to a command that manages the service ([`Cli::check`]).
    pub fn parse_checked() -> Cli {
        let cli = Cli::parse();
        if let Err(error) = cli.check() {
            error.exit();
        }
        cli
    }

    /// Refuses `--device` and `--space` for the commands that manage the `evshare` service:
    /// they act on evshare's own driver whatever the options say (a host driver's service is
    /// its own), and an option that would be ignored should not look as if it was used.
    pub fn check(&self) -> Result<(), clap::Error> {
        let manages_service = match self.command {
            Command::Install { .. } => Some("install"),
            Command::Start => Some("start"),
            Command::Stop => Some("stop"),
            Command::Uninstall => Some("uninstall"),
            _ => None,
        };
        let given = if self.device.is_some() {
            Some("--device")
        } else if self.space.is_some() {
            Some("--space")
        } else {
            None
        };
        match (manages_service, given) {
            (Some(name), Some(option)) => Err(Cli::command().error(
                ErrorKind::ArgumentConflict,
                format!(
                    "{option} cannot be used with `{name}`: install, start, stop and uninstall \
                     manage the `evshare` service, whose device is always {} in evshare's own \
                     IOCTL space",
                    evshare::DEFAULT_DEVICE_PATH
                ),
            )),
            _ => Ok(()),
        }
    }

    /// The device the driver commands open: `--device`, or evshare's own.
    // Only the Windows build runs commands (and the tests); elsewhere it is unused.
    #[cfg_attr(not(windows), allow(dead_code))]
    pub fn device(&self) -> &str {
        self.device
            .as_deref()
            .unwrap_or(evshare::DEFAULT_DEVICE_PATH)
    }

    /// The IOCTL space the driver commands send in: `--space`, or evshare.sys's own.
    #[cfg_attr(not(windows), allow(dead_code))]
    pub fn space(&self) -> IoctlSpace {
        self.space.unwrap_or(IoctlSpace::EVSHARE)
    }
}

/// `TYPE:BASE` as `IoctlSpace::new` takes it: two hex numbers, each with or without `0x`.
fn parse_space(text: &str) -> Result<IoctlSpace, String> {
    let shape = || {
        format!(
            "`{text}` is not TYPE:BASE, two hex numbers such as 0x9A11:0x900 (the device type, \
             then the first function code of evshare's IOCTLs)"
        )
    };
    let (device_type, base) = text.split_once(':').ok_or_else(shape)?;
    let hex = |part: &str| {
        let digits = part
            .strip_prefix("0x")
            .or_else(|| part.strip_prefix("0X"))
            .unwrap_or(part);
        // `from_str_radix` takes a sign: refuse one, and anything else that is not a digit.
        if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(shape());
        }
        u32::from_str_radix(digits, 16).map_err(|_| shape())
    };
    let (device_type, base) = (hex(device_type)?, hex(base)?);
    IoctlSpace::new(device_type, base).map_err(|error| match error {
        SpaceError::DeviceType => format!(
            "device type {device_type:#X} is outside the custom range 0x8000..=0xFFFF (the \
             types below it are Microsoft's)"
        ),
        SpaceError::FunctionBase => format!(
            "function base {base:#X} is outside 0x800..={:#X} (the custom function codes start \
             at 0x800, and evshare keeps {RESERVED:#X} functions from its base, up to 0xFFF)",
            0x1000 - RESERVED
        ),
    })
}

/// The subcommands.
#[derive(Debug, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Copy the driver into System32\drivers and create (or update) the `evshare` service.
    Install {
        /// The driver binary [default: evshare.sys next to this program].
        #[arg(long, value_name = "PATH")]
        sys: Option<PathBuf>,
    },
    /// Load the driver.
    Start,
    /// Unload the driver (waits until it has stopped).
    Stop,
    /// Stop the driver if it runs, delete the service and remove the installed binary.
    Uninstall,
    /// Show the service's state and, when the driver runs, its version and registrations.
    Status,
    /// Run the article's scenario: a named event signalled by the driver's timer, then the
    /// two classic traps (a misspelled name, session vs Global\ names).
    Demo {
        /// The driver's timer period, in milliseconds.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=3_600_000))]
        period_ms: u32,
        /// How many signals to receive.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=100_000))]
        count: u32,
    },
    /// Print the driver's counters: registrations, signals, rejected requests by reason.
    Stats {
        /// Also count the live registrations of this process id.
        #[arg(long)]
        pid: Option<u32>,
    },
    /// Diagnose: is the driver installed and running, which version, who holds registrations;
    /// and for NAME, where it resolves for this process, what is there, and the likely fix.
    Doctor {
        /// An event name to look into: `X`, `Local\X`, `Global\X` or an NT path.
        name: Option<String>,
    },
    /// List the channels the host driver publishes on (a driver that embeds evshare; see
    /// --device).
    Channels,
    /// Share an event with the driver and print its signals as they arrive, with the
    /// intervals, until Ctrl-C or --count; then a summary.
    Watch(WatchArgs),
}

/// `evshare watch`: which event, and how the driver signals it.
#[derive(Debug, Args, PartialEq, Eq)]
#[command(group(
    ArgGroup::new("source")
        .required(true)
        .args(["name", "handle", "driver_created", "ring", "channel"])
))]
pub struct WatchArgs {
    /// Register the existing named event NAME (created by your app; an auto-reset event, as
    /// watch consumes its signals): `X`, `Global\X`, ...
    pub name: Option<String>,
    /// Create an unnamed event here and share it by handle.
    #[arg(long)]
    pub handle: bool,
    /// Have the driver create the event and hand over a handle that can only wait.
    #[arg(long)]
    pub driver_created: bool,
    /// With --driver-created: have the driver create the named event `evshare-LEAF` instead,
    /// which only your user may open, and open it by that name.
    #[arg(long, value_name = "LEAF", requires = "driver_created", conflicts_with_all = ["name", "handle"])]
    pub named: Option<String>,
    /// With --named: create it in the global namespace (`Global\evshare-LEAF`).
    #[arg(long, requires = "named")]
    pub global: bool,
    /// Create a ring (a shared section and its two events), have the driver produce one record
    /// per period into it, and print the records and every gap.
    #[arg(long)]
    pub ring: bool,
    /// With --ring: records the ring holds (a power of two, 16 to 1048576) [default: 1024].
    // Not `requires = "ring"`: a flag always has a value (false) for clap, which satisfies
    // `requires`. Conflicting with every other source, in a required group, leaves --ring.
    #[arg(long, conflicts_with_all = ["name", "handle", "driver_created"])]
    pub capacity: Option<u32>,
    /// Subscribe to the host driver's channel NAME and print each payload it publishes (a
    /// ring; for payloads too long for a ring record, an event and its signals), with every
    /// gap, until Ctrl-C or --count.
    #[arg(long, value_name = "NAME")]
    pub channel: Option<String>,
    /// The driver's timer period, in milliseconds.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=3_600_000))]
    pub period_ms: u32,
    /// Stop after this many signals, or records with --ring (default: at Ctrl-C).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub count: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_cli(args: &[&str]) -> Result<Cli, clap::Error> {
        let cli = Cli::try_parse_from(std::iter::once("evshare").chain(args.iter().copied()))?;
        cli.check()?;
        Ok(cli)
    }

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        parse_cli(args).map(|cli| cli.command)
    }

    #[test]
    fn subcommands_and_defaults() {
        assert_eq!(parse(&["install"]).unwrap(), Command::Install { sys: None });
        assert_eq!(
            parse(&["install", "--sys", r"C:\x\evshare.sys"]).unwrap(),
            Command::Install {
                sys: Some(PathBuf::from(r"C:\x\evshare.sys"))
            }
        );
        assert_eq!(parse(&["start"]).unwrap(), Command::Start);
        assert_eq!(parse(&["stop"]).unwrap(), Command::Stop);
        assert_eq!(parse(&["uninstall"]).unwrap(), Command::Uninstall);
        assert_eq!(parse(&["status"]).unwrap(), Command::Status);
        assert_eq!(
            parse(&["demo"]).unwrap(),
            Command::Demo {
                period_ms: 100,
                count: 10
            }
        );
        assert_eq!(
            parse(&["demo", "--period-ms", "20", "--count", "3"]).unwrap(),
            Command::Demo {
                period_ms: 20,
                count: 3
            }
        );
        assert_eq!(parse(&["stats"]).unwrap(), Command::Stats { pid: None });
        assert_eq!(
            parse(&["stats", "--pid", "42"]).unwrap(),
            Command::Stats { pid: Some(42) }
        );
    }

    #[test]
    fn doctor_and_watch() {
        assert_eq!(parse(&["doctor"]).unwrap(), Command::Doctor { name: None });
        assert_eq!(
            parse(&["doctor", r"Global\X"]).unwrap(),
            Command::Doctor {
                name: Some(r"Global\X".to_owned())
            }
        );
        let watch = |args: &[&str]| match parse(args) {
            Ok(Command::Watch(watch)) => Ok(watch),
            Ok(other) => panic!("{other:?}"),
            Err(error) => Err(error),
        };
        let by_name = watch(&["watch", "X", "--count", "3"]).unwrap();
        assert_eq!(by_name.name.as_deref(), Some("X"));
        assert_eq!((by_name.count, by_name.period_ms), (Some(3), 100));
        assert!(
            watch(&["watch", "--handle", "--period-ms", "20"])
                .unwrap()
                .handle
        );
        let named = watch(&["watch", "--driver-created", "--named", "app", "--global"]).unwrap();
        assert!(named.driver_created && named.global);
        assert_eq!(named.named.as_deref(), Some("app"));
        // Exactly one source; --named only with --driver-created; --global only with --named.
        assert!(watch(&["watch"]).is_err());
        assert!(watch(&["watch", "X", "--handle"]).is_err());
        assert!(watch(&["watch", "--handle", "--driver-created"]).is_err());
        assert!(watch(&["watch", "--handle", "--named", "app"]).is_err());
        assert!(watch(&["watch", "--driver-created", "--global"]).is_err());
        assert!(watch(&["watch", "--handle", "--count", "0"]).is_err());
        let ring = watch(&["watch", "--ring", "--capacity", "64", "--period-ms", "5"]).unwrap();
        assert!(ring.ring && ring.capacity == Some(64) && ring.period_ms == 5);
        assert!(watch(&["watch", "X", "--ring"]).is_err());
        assert!(watch(&["watch", "X", "--capacity", "64"]).is_err());
        let channel = watch(&["watch", "--channel", "ticks", "--count", "4"]).unwrap();
        assert_eq!(channel.channel.as_deref(), Some("ticks"));
        assert_eq!(channel.count, Some(4));
        assert!(watch(&["watch", "--channel", "ticks", "--ring"]).is_err());
        assert!(watch(&["watch", "X", "--channel", "ticks"]).is_err());
        assert_eq!(parse(&["channels"]).unwrap(), Command::Channels);
    }

    #[test]
    fn device_is_global_and_defaults_to_evshare() {
        let device = |args: &[&str]| parse_cli(args).map(|cli| cli.device().to_owned());
        assert_eq!(device(&["stats"]).unwrap(), r"\\.\evshare");
        assert_eq!(
            device(&["--device", r"\\.\mydriver", "stats"]).unwrap(),
            r"\\.\mydriver"
        );
        // Global: after the subcommand too, with its own options around it.
        let cli = parse_cli(&["stats", "--device", r"\\.\mydriver", "--pid", "7"]).unwrap();
        assert_eq!(cli.device(), r"\\.\mydriver");
        assert_eq!(cli.command, Command::Stats { pid: Some(7) });
        for command in [
            &["status"][..],
            &["demo"],
            &["doctor", "X"],
            &["watch", "--handle"],
            &["watch", "--ring"],
        ] {
            let args: Vec<&str> = ["--device", r"\\.\h"]
                .iter()
                .chain(command)
                .copied()
                .collect();
            assert_eq!(device(&args).unwrap(), r"\\.\h", "{command:?}");
        }
        assert!(parse(&["--device"]).is_err());
        assert!(parse(&["stats", "--device"]).is_err());
    }

    #[test]
    fn service_commands_refuse_a_space() {
        for command in ["install", "start", "stop", "uninstall"] {
            assert_eq!(parse_cli(&[command]).unwrap().space, None);
            let error = parse(&["--space", "0x9A11:0x900", command]).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ArgumentConflict, "{command}");
            let text = error.to_string();
            assert!(
                text.contains(&format!("--space cannot be used with `{command}`")),
                "{text}"
            );
        }
    }

    #[test]
    fn service_commands_refuse_a_device() {
        for command in ["install", "start", "stop", "uninstall"] {
            assert_eq!(parse_cli(&[command]).unwrap().device, None);
            let error = parse(&["--device", r"\\.\mydriver", command]).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ArgumentConflict, "{command}");
            let text = error.to_string();
            assert!(
                text.contains(&format!("--device cannot be used with `{command}`")),
                "{text}"
            );
            assert!(text.contains(r"always \\.\evshare"), "{text}");
        }
    }

    #[test]
    fn space_is_global_hex_and_defaults_to_evshares() {
        let space = |args: &[&str]| parse_cli(args).map(|cli| cli.space());
        let sample = IoctlSpace::new(0x9A11, 0x900).unwrap();
        assert_eq!(space(&["channels"]).unwrap(), IoctlSpace::EVSHARE);
        // What the help calls the default.
        assert_eq!(IoctlSpace::new(0x8E5E, 0x800), Ok(IoctlSpace::EVSHARE));
        for text in ["0x9A11:0x900", "0x9a11:0x900", "0X9A11:0X900", "9A11:900"] {
            assert_eq!(
                space(&["--space", text, "channels"]).unwrap(),
                sample,
                "{text}"
            );
        }
        // Global: after the subcommand too, next to --device and the command's own options.
        let cli = parse_cli(&[
            "watch",
            "--channel",
            "sample.status",
            "--space",
            "0x9A11:0x900",
            "--device",
            r"\\.\EvshareSampleRust",
            "--count",
            "2",
        ])
        .unwrap();
        assert_eq!(cli.space(), sample);
        assert_eq!(cli.device(), r"\\.\EvshareSampleRust");
        for command in [
            &["status"][..],
            &["stats"],
            &["demo"],
            &["doctor"],
            &["watch", "--handle"],
            &["watch", "--ring"],
        ] {
            let args: Vec<&str> = command
                .iter()
                .copied()
                .chain(["--space", "0x8000:0xFC0"])
                .collect();
            assert_eq!(
                space(&args).unwrap(),
                IoctlSpace::new(0x8000, 0xFC0).unwrap(),
                "{command:?}"
            );
        }
    }

    #[test]
    fn a_bad_space_is_a_usage_error_that_says_why() {
        let refused = |text: &str| {
            let error = parse(&["--space", text, "channels"]).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::ValueValidation, "{text}");
            error.to_string()
        };
        for text in [
            "0x9A11",
            "0x9A11:",
            ":0x900",
            "0x9A11:0x900:1",
            "0xZZ:0x900",
            "+9A11:900",
            "0x:0x900",
            "0x100000000:0x900",
            "",
        ] {
            let message = refused(text);
            assert!(
                message.contains("is not TYPE:BASE, two hex numbers such as 0x9A11:0x900"),
                "{text}: {message}"
            );
        }
        // Well-formed, but refused by `IoctlSpace::new`, with its reason.
        for (text, reason) in [
            (
                "0x22:0x800",
                "device type 0x22 is outside the custom range 0x8000..=0xFFFF",
            ),
            (
                "0x10000:0x800",
                "device type 0x10000 is outside the custom range",
            ),
            (
                "0x9A11:0x7FF",
                "function base 0x7FF is outside 0x800..=0xFC0",
            ),
            (
                "0x9A11:0xFC1",
                "function base 0xFC1 is outside 0x800..=0xFC0",
            ),
        ] {
            let message = refused(text);
            assert!(message.contains(reason), "{text}: {message}");
            assert!(message.contains("--space <TYPE:BASE>"), "{text}: {message}");
        }
        assert!(parse(&["channels", "--space"]).is_err());
    }

    #[test]
    fn help_documents_the_device() {
        let help = Cli::command().render_long_help().to_string();
        assert!(help.contains("--device <PATH>"), "{help}");
        assert!(help.contains(r"[default: \\.\evshare]"), "{help}");
        assert!(help.contains(r"\\.\mydriver"), "{help}");
        assert!(help.contains("--space <TYPE:BASE>"), "{help}");
        assert!(help.contains("0x9A11:0x900"), "{help}");
        assert!(
            help.contains("[default: 0x8E5E:0x800, evshare.sys's own]"),
            "{help}"
        );
    }

    #[test]
    fn out_of_range_values_are_refused_before_reaching_the_driver() {
        assert!(parse(&["demo", "--period-ms", "0"]).is_err());
        assert!(parse(&["demo", "--period-ms", "3600001"]).is_err());
        assert!(parse(&["demo", "--count", "0"]).is_err());
        assert!(parse(&["frobnicate"]).is_err());
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
