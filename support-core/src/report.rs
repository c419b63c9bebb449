//! Reports: ticket counts and response times over a range of days, grouped by day, category,
//! priority or agent. The arithmetic lives here alone; a store only hands over the facts of
//! each ticket ([`ReportFacts`], from
//! [`SupportStore::report_facts`](crate::SupportStore::report_facts)), so the figures are
//! exactly the same on every store.
//!
//! Definitions, for a range of whole days `from..=to` in UTC:
//!
//! - `created`: tickets opened in the range (grouped by the day they were opened).
//! - `resolved`: tickets whose `resolved_at` is in the range (grouped by that day).
//! - `first_response`: over the tickets opened in the range that have a first response,
//!   `first_response_at − created_at`.
//! - `resolution`: over the tickets resolved in the range, `resolved_at − created_at` (wall
//!   time: what the employee waited, paused time included).
//! - `sla_breaches`: over the tickets opened in the range, the number of breached clocks
//!   recorded ([`Sla::first_response_breached`](crate::Sla::first_response_breached) and
//!   [`Sla::resolution_breached`](crate::Sla::resolution_breached): a ticket counts up to 2).
//!
//! Durations are whole seconds (truncated). `median_s` and `p90_s` are **nearest-rank**
//! percentiles: sort the `n` values, the p-th percentile is the value at 1-based rank
//! `⌈p·n/100⌉` — always one of the values, the lower middle one for a median of an even
//! count; `null` when there is no value. A ticket's category, priority and agent are its
//! current ones; "agent" is the assignee (`null`: unassigned).

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{TicketId, UserId};
use crate::ticket::{Category, Choice, Priority, Ticket, choice};
use crate::time::{Timestamp, start_of};

/// What a report needs of one ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportFacts {
    /// The ticket.
    pub id: TicketId,
    /// Its category now.
    pub category: Category,
    /// Its priority now.
    pub priority: Priority,
    /// Its assignee now.
    pub assigned_to: Option<UserId>,
    /// When it was opened.
    pub created_at: Timestamp,
    /// Its first public staff message.
    pub first_response_at: Option<Timestamp>,
    /// When it was resolved (`None` if it is not).
    pub resolved_at: Option<Timestamp>,
    /// Breached clocks recorded on it, 0 to 2.
    pub sla_breaches: u8,
}

impl ReportFacts {
    /// The facts of a ticket.
    pub fn of(t: &Ticket) -> Self {
        ReportFacts {
            id: t.id,
            category: t.category,
            priority: t.priority,
            assigned_to: t.assigned_to,
            created_at: t.created_at,
            first_response_at: t.first_response_at,
            resolved_at: t.resolved_at,
            sla_breaches: u8::from(t.sla.first_response_breached)
                + u8::from(t.sla.resolution_breached),
        }
    }

    /// The reference semantics of which tickets a report over `[from, to)` reads: those
    /// opened in it, and those resolved in it.
    pub fn in_range(t: &Ticket, from: Timestamp, to: Timestamp) -> bool {
        let within = |x: Timestamp| from <= x && x < to;
        within(t.created_at) || t.resolved_at.is_some_and(within)
    }
}

choice!(
    /// What a report groups by.
    GroupBy("group_by") {
        /// The UTC day.
        Day = "day",
        /// The ticket's category.
        Category = "category",
        /// The ticket's priority.
        Priority = "priority",
        /// The ticket's assignee.
        Agent = "agent",
    }
);

/// A validated range of whole UTC days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportRange {
    /// The first day.
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
}

impl ReportRange {
    /// The longest range, in days.
    pub const MAX_DAYS: i64 = 366;
    /// The range when none is given: the last 30 days, today included.
    pub const DEFAULT_DAYS: i64 = 30;

    /// `from` and `to` as `YYYY-MM-DD`; either may be left out (`to` defaults to `today`,
    /// `from` to 29 days before `to`). Errors are validation errors on `from` or `to`: a
    /// date that is not one, `from` after `to`, or more than [`ReportRange::MAX_DAYS`] days.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<Self> {
        let date = |field: &'static str, s: &str| {
            crate::time::parse_date(s).ok_or_else(|| {
                Error::invalid(
                    field,
                    format!("The {field} field must be a valid date in the format Y-m-d."),
                )
            })
        };
        // Both dates are checked, so a request with two bad ones hears of both.
        let to = to.map(|s| date("to", s)).transpose();
        let from = from.map(|s| date("from", s)).transpose();
        let (from, to) = match (from, to) {
            (Ok(from), Ok(to)) => {
                let to = to.unwrap_or(today);
                (
                    from.unwrap_or(to - TimeDelta::days(Self::DEFAULT_DAYS - 1)),
                    to,
                )
            }
            (from, to) => {
                let mut errors = crate::error::FieldErrors::default();
                for e in [from.err(), to.err()].into_iter().flatten() {
                    if let Error::Invalid(found) = e {
                        for (field, messages) in found.fields() {
                            for m in messages {
                                errors.add(field, m.clone());
                            }
                        }
                    }
                }
                return Err(Error::Invalid(errors));
            }
        };
        if from > to {
            return Err(Error::invalid(
                "from",
                "The from field must be a date before or equal to to.",
            ));
        }
        if (to - from).num_days() + 1 > Self::MAX_DAYS {
            return Err(Error::invalid(
                "to",
                format!("The range may span at most {} days.", Self::MAX_DAYS),
            ));
        }
        Ok(ReportRange { from, to })
    }

    /// The instants `[start of from, start of the day after to)`, in UTC.
    pub fn bounds(&self) -> (Timestamp, Timestamp) {
        (start_of(self.from), start_of(self.to + TimeDelta::days(1)))
    }

    /// Every day of the range, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(|d| *d <= self.to)
    }
}

/// A median and a 90th percentile, in whole seconds (nearest rank; `None` without values).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Durations {
    /// The median (nearest rank: the lower middle value of an even count).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub median_s: Option<i64>,
    /// The 90th percentile (nearest rank).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub p90_s: Option<i64>,
}

impl Durations {
    /// The figures of these values (in any order).
    pub fn of(mut values: Vec<i64>) -> Self {
        values.sort_unstable();
        Durations {
            median_s: nearest_rank(&values, 50),
            p90_s: nearest_rank(&values, 90),
        }
    }
}

/// The nearest-rank `p`-th percentile of sorted `values`: the value at 1-based rank
/// `⌈p·n/100⌉` (at least 1).
pub fn nearest_rank(sorted: &[i64], p: u32) -> Option<i64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (p as usize * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// One group of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportRow {
    /// The group: a day (`2026-12-03`), a category or priority name, or an agent's user id as
    /// text (`null` for unassigned tickets).
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub key: Option<String>,
    /// Tickets opened.
    pub created: u64,
    /// Tickets resolved.
    pub resolved: u64,
    /// Time to first response of the tickets opened.
    pub first_response: Durations,
    /// Time to resolution of the tickets resolved.
    pub resolution: Durations,
    /// Breached clocks of the tickets opened.
    pub sla_breaches: u64,
}

#[derive(Default)]
struct Acc {
    created: u64,
    resolved: u64,
    first_response: Vec<i64>,
    resolution: Vec<i64>,
    sla_breaches: u64,
}

impl Acc {
    fn row(self, key: Option<String>) -> ReportRow {
        ReportRow {
            key,
            created: self.created,
            resolved: self.resolved,
            first_response: Durations::of(self.first_response),
            resolution: Durations::of(self.resolution),
            sla_breaches: self.sla_breaches,
        }
    }
}

fn seconds(from: Timestamp, to: Timestamp) -> i64 {
    (to - from).num_seconds()
}

/// The rows of a report over `range` grouped by `group_by`, and the totals, from the facts
/// of the tickets the store found (others in `facts` are ignored).
///
/// Rows come in a fixed order: every day of the range (days without tickets included, with
/// zeros); every category or priority (in declaration order; priorities urgent first), each
/// listed whether or not it has tickets; agents by user id, unassigned last, only those with
/// tickets.
pub fn compute(
    range: &ReportRange,
    group_by: GroupBy,
    facts: &[ReportFacts],
) -> (Vec<ReportRow>, ReportRow) {
    let (from, to) = range.bounds();
    let within = |x: Timestamp| from <= x && x < to;
    // Keys sort as wanted: (order, text).
    let mut groups: BTreeMap<(i64, Option<String>), Acc> = BTreeMap::new();
    match group_by {
        GroupBy::Day => {
            for (i, d) in range.days().enumerate() {
                groups.insert((i as i64, Some(d.to_string())), Acc::default());
            }
        }
        GroupBy::Category => {
            for (i, c) in Category::ALL.iter().enumerate() {
                groups.insert((i as i64, Some(c.as_str().to_owned())), Acc::default());
            }
        }
        GroupBy::Priority => {
            for p in Priority::ALL {
                groups.insert(
                    (-i64::from(p.rank()), Some(p.as_str().to_owned())),
                    Acc::default(),
                );
            }
        }
        GroupBy::Agent => {}
    }
    let key_of = |f: &ReportFacts, at: Timestamp| -> (i64, Option<String>) {
        match group_by {
            GroupBy::Day => {
                let day = at.date_naive();
                ((day - range.from).num_days(), Some(day.to_string()))
            }
            GroupBy::Category => (
                Category::ALL
                    .iter()
                    .position(|c| *c == f.category)
                    .unwrap_or(0) as i64,
                Some(f.category.as_str().to_owned()),
            ),
            GroupBy::Priority => (
                -i64::from(f.priority.rank()),
                Some(f.priority.as_str().to_owned()),
            ),
            GroupBy::Agent => match f.assigned_to {
                Some(u) => (u.get(), Some(u.get().to_string())),
                None => (i64::MAX, None),
            },
        }
    };
    let mut total = Acc::default();
    for f in facts {
        if within(f.created_at) {
            let first = f.first_response_at.map(|r| seconds(f.created_at, r));
            for acc in [
                groups.entry(key_of(f, f.created_at)).or_default(),
                &mut total,
            ] {
                acc.created += 1;
                acc.sla_breaches += u64::from(f.sla_breaches);
                acc.first_response.extend(first);
            }
        }
        if let Some(resolved) = f.resolved_at.filter(|r| within(*r)) {
            let took = seconds(f.created_at, resolved);
            for acc in [groups.entry(key_of(f, resolved)).or_default(), &mut total] {
                acc.resolved += 1;
                acc.resolution.push(took);
            }
        }
    }
    let rows = groups.into_iter().map(|((_, k), acc)| acc.row(k)).collect();
    (rows, total.row(None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(nearest_rank(&[], 50), None);
        assert_eq!(nearest_rank(&[7], 50), Some(7));
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        assert_eq!(nearest_rank(&[1, 2], 50), Some(1));
        assert_eq!(nearest_rank(&[1, 2], 90), Some(2));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(nearest_rank(&ten, 50), Some(5));
        assert_eq!(nearest_rank(&ten, 90), Some(9));
        let eleven: Vec<i64> = (1..=11).collect();
        assert_eq!(nearest_rank(&eleven, 50), Some(6));
        assert_eq!(nearest_rank(&eleven, 90), Some(10));
    }

    #[test]
    fn ranges_are_validated() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let r = ReportRange::parse(None, None, today).unwrap();
        assert_eq!(r.days().count(), 30);
        assert_eq!(r.to, today);
        let field = |e: Error| match e {
            Error::Invalid(f) => Some(f.fields().keys().cloned().collect::<Vec<_>>()),
            _ => None,
        };
        for (from, to, want) in [
            (Some("2026-13-01"), None, "from"),
            (None, Some("yesterday"), "to"),
            (Some("2026-12-04"), Some("2026-12-03"), "from"),
            (Some("2024-01-01"), Some("2026-01-01"), "to"),
            (Some("2026-1-01"), Some("2026-01-02"), "from"),
        ] {
            let e = ReportRange::parse(from, to, today).unwrap_err();
            assert_eq!(field(e), Some(vec![want.to_owned()]), "{from:?} {to:?}");
        }
        let one = ReportRange::parse(Some("2026-02-28"), Some("2026-02-28"), today).unwrap();
        let (a, b) = one.bounds();
        assert_eq!((b - a).num_hours(), 24);
    }
}
