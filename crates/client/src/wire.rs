//! A request as it goes to one driver: the protocol's bytes, under the IOCTL code of that
//! driver's [`IoctlSpace`]. evshare.sys uses [`IoctlSpace::EVSHARE`] (the codes of
//! `Ioctl::code`); a driver that embeds evshare puts the same requests on its own device type
//! and function base, and only the code changes, never the bytes. Every request the client
//! sends goes through [`encode_in`]. Pure, so it is tested on the host.

use evshare_protocol::request::{encode, MAX_REQUEST_LEN};
use evshare_protocol::{IoctlSpace, ProtocolError, Request};

/// Encodes `request` into `out` and returns its IOCTL code in `space` and its length.
pub(crate) fn encode_in(
    space: IoctlSpace,
    request: &Request<'_>,
    out: &mut [u8; MAX_REQUEST_LEN],
) -> Result<(u32, usize), ProtocolError> {
    let (_evshares_code, len) = encode(request, out)?;
    Ok((space.code_of(request.ioctl()), len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use evshare_protocol::{Ioctl, SignalMode, VerifierOp};

    /// One request of each kind that carries no borrowed bytes.
    fn requests() -> Vec<Request<'static>> {
        vec![
            Request::QueryVersion,
            Request::SetSignalMode {
                id: 7,
                mode: SignalMode::OnDemand,
            },
            Request::Signal { id: 7 },
            Request::Unregister { id: 7 },
            Request::QueryStats { pid: 42 },
            Request::QueryRegistration { id: 7 },
            Request::RegisterByHandle {
                handle: 0x40,
                mode: SignalMode::Periodic { period_ms: 20 },
            },
            Request::QueryHolders,
            Request::Produce { id: 7, count: 3 },
            Request::PendNotification,
            Request::Notify { count: 2 },
            Request::QueryRing { id: 7 },
            Request::Verifier {
                op: VerifierOp::Query,
            },
        ]
    }

    /// The space the sample host (`samples/rust-host`) gives evshare.
    fn sample_space() -> IoctlSpace {
        IoctlSpace::new(0x9A11, 0x900).unwrap()
    }

    #[test]
    fn evshares_space_sends_what_encode_gives() {
        for request in requests() {
            let (mut plain, mut spaced) = ([0u8; MAX_REQUEST_LEN], [0u8; MAX_REQUEST_LEN]);
            let expected = encode(&request, &mut plain).unwrap();
            let got = encode_in(IoctlSpace::EVSHARE, &request, &mut spaced).unwrap();
            assert_eq!(got, expected, "{}", request.ioctl());
            assert_eq!(plain, spaced, "{}", request.ioctl());
        }
    }

    #[test]
    fn a_hosts_space_moves_the_code_and_keeps_the_bytes() {
        let space = sample_space();
        let mut seen = Vec::new();
        for request in requests() {
            let (mut plain, mut spaced) = ([0u8; MAX_REQUEST_LEN], [0u8; MAX_REQUEST_LEN]);
            let (evshares, plain_len) = encode(&request, &mut plain).unwrap();
            let (code, len) = encode_in(space, &request, &mut spaced).unwrap();
            let ioctl = request.ioctl();
            assert_eq!(code, space.code_of(ioctl), "{ioctl}");
            assert_ne!(code, evshares, "{ioctl}: still evshare.sys's code");
            assert_eq!(code >> 16, 0x9A11, "{ioctl}: device type");
            assert_eq!(space.ioctl_of(code), Some(ioctl));
            assert_eq!(
                Ioctl::from_code(code),
                None,
                "{ioctl}: evshare.sys would take it"
            );
            assert_eq!((len, &spaced[..len]), (plain_len, &plain[..plain_len]));
            seen.push(code);
        }
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), requests().len(), "two requests share a code");
    }

    #[test]
    fn a_request_the_protocol_refuses_is_refused_in_any_space() {
        let bad = Request::SetSignalMode {
            id: 1,
            mode: SignalMode::Periodic { period_ms: 0 },
        };
        let mut out = [0u8; MAX_REQUEST_LEN];
        let plain = encode(&bad, &mut out).unwrap_err();
        assert_eq!(encode_in(sample_space(), &bad, &mut out), Err(plain));
    }
}
