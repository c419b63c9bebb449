//! Open-loop pacing: event `n` of a run is due at `n / rate` seconds after its start whatever
//! happened to the others, so a server that answers slowly is offered the same load anyway
//! instead of being given time to recover (no coordinated omission).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

/// The due times of a run's events, handed out in order to whichever sender asks next.
#[derive(Debug)]
pub struct Schedule {
    start: Instant,
    interval: f64,
    events: u64,
    next: AtomicU64,
}

impl Schedule {
    /// `events` events at `rate` a second from `start`.
    pub fn new(start: Instant, rate: f64, events: u64) -> Self {
        Schedule {
            start,
            interval: 1.0 / rate,
            events,
            next: AtomicU64::new(0),
        }
    }

    /// How many events the run has.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// When the run starts.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// How long after the start event `seq` is due.
    pub fn offset(&self, seq: u64) -> Duration {
        Duration::from_secs_f64(seq as f64 * self.interval)
    }

    /// Takes the next event and waits until it is due; `None` when all are taken. A sender
    /// that comes late gets an event that is already due, at once.
    pub async fn next(&self) -> Option<u64> {
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        if seq >= self.events {
            return None;
        }
        tokio::time::sleep_until(self.start + self.offset(seq)).await;
        Some(seq)
    }
}
