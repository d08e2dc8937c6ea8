//! Event names: what `REGISTER_BY_NAME` accepts and the NT path it opens.
//!
//! An app names an event the way Win32 does (`Global\X`, `Local\X`, a bare `X`) or by its NT
//! path (`\BaseNamedObjects\X`, `\Sessions\s\BaseNamedObjects\X`). The driver resolves that
//! name against the caller's session id `s`, which it reads from the requesting process and
//! never takes from the app (`docs/protocol.md`, "Names"):
//!
//! | input | resolves to |
//! |---|---|
//! | `Global\X` | `\BaseNamedObjects\X` |
//! | `Local\X`, bare `X` | `\Sessions\s\BaseNamedObjects\X`; `\BaseNamedObjects\X` when `s == 0` |
//! | `\BaseNamedObjects\X` | as is |
//! | `\Sessions\s\BaseNamedObjects\X` | as is (the global path when `s == 0`); another session's `s` is refused |
//!
//! Prefixes and directory names match ignoring ASCII case, as the object manager's lookup
//! does; the resolved path always uses the canonical spelling above. Anything else (another
//! directory, a subdirectory, `Session\N\X`, device paths, `\??\`) is refused, so the driver
//! only ever opens objects in a `BaseNamedObjects` directory the caller may use.
//!
//! Events the driver creates (`CREATE_NAMED_EVENT`) get a name of the driver's making:
//! [`driver_created`] puts the app's leaf after [`CREATED_PREFIX`] in the directory the
//! [`Scope`](crate::created::Scope) picks, so a created event can never take the name of an
//! event that evshare did not make. [`ResolvedName::win32_name`] gives the name an app passes
//! to `OpenEvent` for any resolved path.

mod created;
mod error;
mod resolve;
mod resolved;
mod units;
mod wire;

pub use created::{check_wire_leaf, decode_wire_leaf, driver_created};
pub use error::NameError;
pub use resolve::resolve;
pub use resolved::{Namespace, ResolvedName};
pub use wire::{check_wire_name, decode_wire_name};

/// The most UTF-16 units the leaf `X` (the object's own name) may have.
pub const MAX_LEAF_UNITS: usize = 200;
/// The most UTF-16 units the name the app sends may have.
pub const MAX_INPUT_UNITS: usize = 240;
/// The capacity of a resolved NT path, in UTF-16 units (the `resolved` field of the replies).
pub const MAX_RESOLVED_UNITS: usize = 256;
/// What every driver-created event's own name starts with: `evshare-<leaf>`.
pub const CREATED_PREFIX: &str = "evshare-";
/// The most UTF-16 units the leaf of a driver-created event may have (after
/// [`CREATED_PREFIX`]).
pub const MAX_CREATED_LEAF_UNITS: usize = 64;
