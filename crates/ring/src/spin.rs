//! The consumer's bounded busy-wait before it flags itself waiting (SPEC rule 8).
//!
//! A consumer that sleeps the moment it catches up makes a fast producer pay one wake-up per
//! record (the ping-pong regime: under Wine 1,000,000 records took 69 s instead of 0.05 s).
//! Polling a little longer first lets a steady stream arrive without any wake-up at all; the
//! poll is bounded, so an idle consumer still goes to sleep.
//!
//! The budget adapts without a clock: a sleep ended by the producer's signal means the stream
//! is live and spinning longer may avoid the next one (budget doubles, up to `max_polls`); a
//! sleep that timed out means the ring is idle and spinning is wasted (budget halves, down to
//! `min_polls`).

/// How long the consumer polls before it sleeps, in polls. One poll is a load of the producer's
/// cache line and [`PAUSES_PER_POLL`] CPU pause hints: ~70 ns on the development machine (a
/// Xeon VM), up to ~0.4 µs on CPUs with a long `PAUSE` (Skylake and later).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpinPolicy {
    /// The budget after the ring has gone idle.
    pub min_polls: u32,
    /// The budget while the producer is active (and the starting budget).
    pub max_polls: u32,
}

/// CPU pause hints between two polls of the producer's line (fewer loads of a contended line).
pub const PAUSES_PER_POLL: u32 = 8;

impl SpinPolicy {
    /// Never poll: sleep as soon as the ring is empty. Lowest CPU use, and the ping-pong regime
    /// under a fast producer; the loom models use it.
    pub const NEVER: SpinPolicy = SpinPolicy {
        min_polls: 0,
        max_polls: 0,
    };

    /// The default: up to ~0.3 ms of polling while the producer is active (several times a
    /// Wine `KeSetEvent`, ~40 µs), ~5 µs once idle.
    pub const DEFAULT: SpinPolicy = SpinPolicy {
        min_polls: 64,
        max_polls: 4096,
    };
}

impl Default for SpinPolicy {
    fn default() -> Self {
        SpinPolicy::DEFAULT
    }
}

/// The current budget under a policy.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AdaptiveSpin {
    policy: SpinPolicy,
    budget: u32,
}

impl AdaptiveSpin {
    pub(crate) fn new(policy: SpinPolicy) -> AdaptiveSpin {
        let policy = SpinPolicy {
            min_polls: policy.min_polls.min(policy.max_polls),
            max_polls: policy.max_polls,
        };
        AdaptiveSpin {
            policy,
            budget: policy.max_polls,
        }
    }

    pub(crate) fn budget(&self) -> u32 {
        self.budget
    }

    /// The producer woke us: the stream is live.
    pub(crate) fn signalled(&mut self) {
        self.budget = self
            .budget
            .saturating_mul(2)
            .max(1)
            .clamp(self.policy.min_polls, self.policy.max_polls);
    }

    /// We slept until the timeout: the ring is idle.
    pub(crate) fn timed_out(&mut self) {
        self.budget = (self.budget / 2).max(self.policy.min_polls);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn budget_moves_between_the_bounds() {
        let mut spin = AdaptiveSpin::new(SpinPolicy {
            min_polls: 4,
            max_polls: 64,
        });
        assert_eq!(spin.budget(), 64);
        for _ in 0..10 {
            spin.timed_out();
        }
        assert_eq!(spin.budget(), 4);
        spin.signalled();
        assert_eq!(spin.budget(), 8);
        for _ in 0..10 {
            spin.signalled();
        }
        assert_eq!(spin.budget(), 64);
    }

    #[test]
    fn never_stays_zero_and_zero_min_recovers() {
        let mut never = AdaptiveSpin::new(SpinPolicy::NEVER);
        never.signalled();
        assert_eq!(never.budget(), 0);
        let mut spin = AdaptiveSpin::new(SpinPolicy {
            min_polls: 0,
            max_polls: 8,
        });
        for _ in 0..10 {
            spin.timed_out();
        }
        assert_eq!(spin.budget(), 0);
        spin.signalled();
        assert_eq!(spin.budget(), 1);
    }
}
