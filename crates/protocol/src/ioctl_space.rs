//! Where a host driver puts evshare's IOCTL codes: its own device type and a function-code
//! base, so evshare's codes sit next to the host's own without colliding.
//!
//! `evshare.sys` uses [`IoctlSpace::EVSHARE`] (device type `0x8E5E`, functions from `0x800`),
//! which gives exactly the codes of [`Ioctl::code`]. A driver that embeds evshare picks the
//! device type of its own device and a base after its own function codes; the app passes the
//! same space to the client. The method (`METHOD_BUFFERED`) and the access bits of each
//! request are the protocol's and do not move.

use crate::ioctl::{ctl_code, Ioctl, FILE_DEVICE_EVSHARE, METHOD_BUFFERED};

/// Function codes evshare reserves from its base: the protocol's IOCTLs use the first ones,
/// the rest are kept for its future requests, so a host's own codes never have to move.
pub const RESERVED_FUNCTIONS: u32 = 0x40;

/// The first function code evshare uses in its own space (`CTL_CODE`'s custom range starts
/// at `0x800`).
const EVSHARE_BASE: u32 = 0x800;

/// Why a device type and function base cannot hold evshare's codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceError {
    /// The device type does not fit `CTL_CODE`'s 16 bits, or lies below the custom range
    /// (`0x8000`), which Microsoft reserves.
    DeviceType,
    /// The base lies below the custom function range (`0x800`), or the reserved functions
    /// would pass `0xFFF`.
    FunctionBase,
}

/// A device type and function-code base: where evshare's IOCTLs live on one device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IoctlSpace {
    device_type: u32,
    function_base: u32,
}

impl IoctlSpace {
    /// `evshare.sys`'s own space: the codes of [`Ioctl::code`].
    pub const EVSHARE: IoctlSpace = IoctlSpace {
        device_type: FILE_DEVICE_EVSHARE,
        function_base: EVSHARE_BASE,
    };

    /// A space on a device of `device_type` (`0x8000..=0xFFFF`) whose evshare functions start
    /// at `function_base` (`0x800..=0xFFF - RESERVED_FUNCTIONS + 1`).
    pub const fn new(device_type: u32, function_base: u32) -> Result<IoctlSpace, SpaceError> {
        if device_type < 0x8000 || device_type > 0xFFFF {
            return Err(SpaceError::DeviceType);
        }
        if function_base < EVSHARE_BASE || function_base > 0x1000 - RESERVED_FUNCTIONS {
            return Err(SpaceError::FunctionBase);
        }
        Ok(IoctlSpace {
            device_type,
            function_base,
        })
    }

    /// The device type.
    pub const fn device_type(self) -> u32 {
        self.device_type
    }

    /// The first function code evshare uses.
    pub const fn function_base(self) -> u32 {
        self.function_base
    }

    /// `ioctl`'s code in this space.
    pub const fn code_of(self, ioctl: Ioctl) -> u32 {
        // `function()` is 0x800.. and below 0x800 + RESERVED_FUNCTIONS: the offset fits.
        let offset = ioctl.function().wrapping_sub(EVSHARE_BASE);
        ctl_code(
            self.device_type,
            self.function_base.wrapping_add(offset),
            METHOD_BUFFERED,
            ioctl.access(),
        )
    }

    /// The evshare request `code` is in this space, or `None` for any other code (the host's
    /// own, or one whose method or access bits differ from the protocol's).
    pub fn ioctl_of(self, code: u32) -> Option<Ioctl> {
        Ioctl::ALL
            .into_iter()
            .find(|ioctl| self.code_of(*ioctl) == code)
    }
}

impl Default for IoctlSpace {
    fn default() -> Self {
        IoctlSpace::EVSHARE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evshares_space_gives_the_protocols_codes() {
        for ioctl in Ioctl::ALL {
            assert_eq!(IoctlSpace::EVSHARE.code_of(ioctl), ioctl.code(), "{ioctl}");
            assert_eq!(IoctlSpace::EVSHARE.ioctl_of(ioctl.code()), Some(ioctl));
        }
    }

    #[test]
    fn every_ioctl_fits_the_reserved_functions() {
        for ioctl in Ioctl::ALL {
            assert!(ioctl.function() >= EVSHARE_BASE);
            assert!(
                ioctl.function() < EVSHARE_BASE + RESERVED_FUNCTIONS,
                "{ioctl}"
            );
        }
    }

    #[test]
    fn a_hosts_space_moves_device_and_function_only() {
        let space = IoctlSpace::new(0x9A11, 0x900).unwrap();
        for ioctl in Ioctl::ALL {
            let code = space.code_of(ioctl);
            assert_eq!(code >> 16, 0x9A11);
            assert_eq!((code >> 2) & 0xFFF, 0x900 + ioctl.function() - 0x800);
            assert_eq!(code & 3, METHOD_BUFFERED);
            assert_eq!((code >> 14) & 3, ioctl.access());
            assert_eq!(space.ioctl_of(code), Some(ioctl));
            // The same request in evshare's own space is not this host's.
            assert_eq!(space.ioctl_of(ioctl.code()), None);
        }
        // The host's own codes below the base stay the host's.
        assert_eq!(space.ioctl_of(ctl_code(0x9A11, 0x800, 0, 0)), None);
        assert_eq!(space.ioctl_of(ctl_code(0x9A11, 0x8FF, 0, 1)), None);
    }

    #[test]
    fn spaces_outside_the_custom_ranges_are_refused() {
        assert_eq!(IoctlSpace::new(0x22, 0x800), Err(SpaceError::DeviceType));
        assert_eq!(
            IoctlSpace::new(0x1_0000, 0x800),
            Err(SpaceError::DeviceType)
        );
        assert_eq!(
            IoctlSpace::new(0x8000, 0x7FF),
            Err(SpaceError::FunctionBase)
        );
        assert_eq!(
            IoctlSpace::new(0x8000, 0x1000 - RESERVED_FUNCTIONS + 1),
            Err(SpaceError::FunctionBase)
        );
        assert!(IoctlSpace::new(0xFFFF, 0x1000 - RESERVED_FUNCTIONS).is_ok());
    }
}
