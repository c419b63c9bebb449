//! SLA clocks: per-priority targets ([`SlaTargets`]), the two clocks of a ticket ([`Sla`]), how
//! a change moves them, and when a clock is breached ([`SlaBreach`]).
//!
//! Each ticket has two clocks, both started when it is opened:
//!
//! - **first response**: due [`SlaTarget::first_response`] after `created_at`; stopped by the
//!   first public message from staff ([`Ticket::first_response_at`]; internal notes and the
//!   employee's own messages do not count), or by the ticket being resolved before anyone
//!   answered.
//! - **resolution**: due [`SlaTarget::resolution`] after `created_at`, plus every stretch of
//!   time the clock was paused. The clock runs while the ticket is open or in progress and is
//!   paused in every other status ([`Status::pauses_resolution`]): `pending` (waiting on the
//!   employee), and `resolved` or `closed` (so that a ticket reopened by a reply has the time
//!   it had left, not a breach for the days it was solved).
//!
//! Pausing is exact: entering a paused status records the instant in [`Sla::paused_since`];
//! leaving it adds `at − paused_since` to both [`Sla::resolution_due`] and the running total
//! [`Sla::paused_us`], in the same transaction as the status change (stores apply changes
//! with [`TicketPatch::apply`](crate::TicketPatch::apply) to the row as it is inside their
//! write transaction, so concurrent changes cannot lose a pause). A priority change moves both
//! due times to `created_at + new target` (plus `paused_us` for resolution).
//!
//! A clock is *breached* when its due time passes before it stops. The sweep
//! ([`SupportService::sweep_sla`](crate::SupportService::sweep_sla)) marks each breached clock
//! once ([`SupportStore::mark_sla_breaches`](crate::SupportStore::mark_sla_breaches)) and
//! publishes `sla.breached`; a recorded breach stays recorded, even if a later priority change
//! would have moved the due time past it.
//!
//! Tickets opened before SLA clocks existed have no due times (`None`): they have no clock,
//! are never breached, and a priority change leaves them without one.

use std::time::Duration;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::id::{TicketId, TicketNumber};
use crate::ticket::{Choice, Priority, Status, Ticket, choice};
use crate::time::Timestamp;

/// The two targets of one priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTarget {
    /// From opening to the first public staff message.
    pub first_response: Duration,
    /// From opening to resolution, not counting paused time.
    pub resolution: Duration,
}

/// The targets of every priority: what an embedder configures on the service
/// ([`SupportService::set_sla_targets`](crate::SupportService::set_sla_targets)).
///
/// The defaults: urgent 1 h / 8 h, high 4 h / 24 h, medium 8 h / 72 h, low 24 h / 120 h
/// (first response / resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTargets {
    /// Indexed by [`Priority::rank`].
    by_rank: [SlaTarget; 4],
}

const HOUR: u64 = 3600;

impl Default for SlaTargets {
    fn default() -> Self {
        let t = |fr: u64, res: u64| SlaTarget {
            first_response: Duration::from_secs(fr * HOUR),
            resolution: Duration::from_secs(res * HOUR),
        };
        SlaTargets {
            by_rank: [t(24, 120), t(8, 72), t(4, 24), t(1, 8)],
        }
    }
}

impl SlaTargets {
    /// The targets of `priority`.
    pub fn get(&self, priority: Priority) -> SlaTarget {
        self.by_rank[priority.rank() as usize]
    }

    /// The same targets with those of `priority` replaced.
    pub fn with(mut self, priority: Priority, target: SlaTarget) -> Self {
        self.by_rank[priority.rank() as usize] = target;
        self
    }
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// `at + d`, saturating at the largest timestamp.
fn plus(at: Timestamp, d: TimeDelta) -> Timestamp {
    at.checked_add_signed(d)
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

/// A ticket's SLA clocks as stored (see the [module](self) for how they run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sla {
    /// When the first public staff message is due; `None` for a ticket without clocks.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub first_response_due: Option<Timestamp>,
    /// When resolution is due, paused time included so far; `None` for a ticket without
    /// clocks. While [`Sla::paused_since`] is set it will still move.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub resolution_due: Option<Timestamp>,
    /// True once either clock was recorded as breached.
    pub breached: bool,
    /// The first-response clock was recorded as breached.
    pub first_response_breached: bool,
    /// The resolution clock was recorded as breached.
    pub resolution_breached: bool,
    /// Set while the resolution clock is paused: since when.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub paused_since: Option<Timestamp>,
    /// Microseconds the resolution clock was paused before, in total (already added to
    /// `resolution_due`).
    pub paused_us: i64,
}

impl Sla {
    /// The clocks of a ticket opened at `at` with `priority`.
    pub fn start(at: Timestamp, priority: Priority, targets: &SlaTargets) -> Self {
        let target = targets.get(priority);
        Sla {
            first_response_due: Some(plus(at, delta(target.first_response))),
            resolution_due: Some(plus(at, delta(target.resolution))),
            ..Sla::default()
        }
    }

    /// The clocks as a store reads them back (`breached` follows from the two marks).
    pub fn from_stored(
        first_response_due: Option<Timestamp>,
        resolution_due: Option<Timestamp>,
        first_response_breached: bool,
        resolution_breached: bool,
        paused_since: Option<Timestamp>,
        paused_us: i64,
    ) -> Self {
        Sla {
            first_response_due,
            resolution_due,
            breached: first_response_breached || resolution_breached,
            first_response_breached,
            resolution_breached,
            paused_since,
            paused_us,
        }
    }

    /// Records a breach of `clock`.
    pub fn mark(&mut self, clock: SlaClock) {
        match clock {
            SlaClock::FirstResponse => self.first_response_breached = true,
            SlaClock::Resolution => self.resolution_breached = true,
        }
        self.breached = true;
    }

    /// The ticket's status moved from `before` to `after` at `at`: pauses or resumes the
    /// resolution clock.
    pub(crate) fn on_status(&mut self, before: Status, after: Status, at: Timestamp) {
        match (self.paused_since, after.pauses_resolution()) {
            (Some(since), false) => {
                let paused = (at - since).max(TimeDelta::zero());
                self.paused_us = self
                    .paused_us
                    .saturating_add(paused.num_microseconds().unwrap_or(i64::MAX));
                self.resolution_due = self.resolution_due.map(|d| plus(d, paused));
                self.paused_since = None;
            }
            (None, true) if !before.pauses_resolution() => self.paused_since = Some(at),
            _ => {}
        }
    }

    /// The priority changed: both due times move to the new priority's targets.
    pub(crate) fn on_priority(
        &mut self,
        created_at: Timestamp,
        priority: Priority,
        targets: &SlaTargets,
    ) {
        if self.first_response_due.is_none() && self.resolution_due.is_none() {
            return;
        }
        let target = targets.get(priority);
        self.first_response_due = Some(plus(created_at, delta(target.first_response)));
        let resolution = plus(created_at, delta(target.resolution));
        self.resolution_due = Some(plus(resolution, TimeDelta::microseconds(self.paused_us)));
    }
}

choice!(
    /// One of a ticket's two SLA clocks.
    SlaClock("clock") {
        /// Until the first public staff message.
        FirstResponse = "first_response",
        /// Until resolution.
        Resolution = "resolution",
    }
);

impl Status {
    /// True for the statuses in which the resolution clock is paused: pending, resolved and
    /// closed. It runs while a ticket is open or in progress.
    pub fn pauses_resolution(self) -> bool {
        !matches!(self, Status::Open | Status::InProgress)
    }
}

/// A clock whose due time passed before it stopped, as the sweep records it: the
/// `sla.breached` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaBreach {
    /// The ticket.
    pub ticket_id: TicketId,
    /// Its number.
    pub ticket_number: TicketNumber,
    /// Which clock.
    pub clock: SlaClock,
    /// The due time it passed.
    pub due_at: Timestamp,
    /// The ticket's priority.
    pub priority: Priority,
}

impl SlaBreach {
    /// The reference semantics of the sweep: the clocks of `t` breached at `now` and not yet
    /// recorded, first response first.
    ///
    /// - first response: due before `now`, and before the clock stopped (the first response,
    ///   or the ticket's resolution, if either came);
    /// - resolution: due before `now`, and before the clock was paused, if it is.
    pub fn due(t: &Ticket, now: Timestamp) -> Vec<SlaBreach> {
        let mut found = Vec::new();
        let breach = |clock, due_at| SlaBreach {
            ticket_id: t.id,
            ticket_number: t.ticket_number.clone(),
            clock,
            due_at,
            priority: t.priority,
        };
        if let Some(due) = t.sla.first_response_due {
            let stop = t.first_response_at.or(t.resolved_at).unwrap_or(now);
            if !t.sla.first_response_breached && due < now && due < stop {
                found.push(breach(SlaClock::FirstResponse, due));
            }
        }
        if let Some(due) = t.sla.resolution_due {
            let stop = t.sla.paused_since.unwrap_or(now);
            if !t.sla.resolution_breached && due < now && due < stop {
                found.push(breach(SlaClock::Resolution, due));
            }
        }
        found
    }

    /// Which breaches one call of
    /// [`SupportStore::mark_sla_breaches`](crate::SupportStore::mark_sla_breaches) records
    /// and answers, at most `limit`: the first-response clocks due at `now` first, the
    /// earliest due first (then by ticket id), then as many resolution clocks, likewise; the
    /// answer ordered by due time, then ticket id. (SQL stores run one `UPDATE` per clock in
    /// this order.) A caller that got `limit` of them calls again for the rest.
    pub fn pick<'a>(
        tickets: impl IntoIterator<Item = &'a Ticket>,
        now: Timestamp,
        limit: u32,
    ) -> Vec<SlaBreach> {
        let (mut first, mut resolution): (Vec<SlaBreach>, Vec<SlaBreach>) = tickets
            .into_iter()
            .flat_map(|t| SlaBreach::due(t, now))
            .partition(|b| b.clock == SlaClock::FirstResponse);
        let key = |b: &SlaBreach| (b.due_at, b.ticket_id);
        first.sort_by_key(key);
        resolution.sort_by_key(key);
        let limit = limit as usize;
        first.truncate(limit);
        resolution.truncate(limit - first.len());
        first.extend(resolution);
        first.sort_by_key(key);
        first
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::now;

    #[test]
    fn defaults_are_the_contracts() {
        let t = SlaTargets::default();
        let hours = |p| {
            let x = t.get(p);
            (
                x.first_response.as_secs() / 3600,
                x.resolution.as_secs() / 3600,
            )
        };
        assert_eq!(hours(Priority::Urgent), (1, 8));
        assert_eq!(hours(Priority::High), (4, 24));
        assert_eq!(hours(Priority::Medium), (8, 72));
        assert_eq!(hours(Priority::Low), (24, 120));
    }

    #[test]
    fn a_pause_moves_the_resolution_due_time_by_exactly_its_length() {
        let at = now();
        let mut sla = Sla::start(at, Priority::High, &SlaTargets::default());
        let due = sla.resolution_due.unwrap();
        let paused = at + TimeDelta::seconds(100);
        sla.on_status(Status::Open, Status::Pending, paused);
        assert_eq!(sla.paused_since, Some(paused));
        // Pending → resolved stays paused since the same instant.
        sla.on_status(
            Status::Pending,
            Status::Resolved,
            paused + TimeDelta::seconds(5),
        );
        assert_eq!(sla.paused_since, Some(paused));
        sla.on_status(
            Status::Resolved,
            Status::Open,
            paused + TimeDelta::seconds(3600),
        );
        assert_eq!(sla.paused_since, None);
        assert_eq!(sla.resolution_due, Some(due + TimeDelta::seconds(3600)));
        assert_eq!(sla.paused_us, 3_600_000_000);
        assert_eq!(
            sla.first_response_due,
            Some(at + TimeDelta::hours(4)),
            "the first-response clock never pauses"
        );
    }
}
