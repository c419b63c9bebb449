//! SLA clocks and reports on the service: the targets it stamps on tickets, the sweep that
//! publishes `sla.breached`, and the staff's reports.

use std::time::Duration;

use serde::Serialize;

use crate::actor::Actor;
use crate::error::Result;
use crate::event::{Event, StaffEvent};
use crate::policy::Policy;
use crate::report::{self, GroupBy, ReportRange, ReportRow};
use crate::sla::SlaTargets;
use crate::time;

use super::SupportService;

/// A report: its range and grouping, one row per group, and the totals
/// ([`crate::report`] defines every figure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    /// The first day, `YYYY-MM-DD`.
    pub from: String,
    /// The last day, included.
    pub to: String,
    /// Days are UTC days: always `"UTC"`.
    pub timezone: &'static str,
    /// What the rows group by.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub group_by: GroupBy,
    /// One row per group ([`report::compute`] says which and in what order), each with a
    /// label to show: the day, category or priority name, the agent's name (`Unassigned`).
    pub groups: Vec<LabelledRow>,
    /// Every ticket of the range.
    pub total: ReportRow,
}

/// A report row and the name to show for its group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LabelledRow {
    /// What to call the group.
    pub label: String,
    /// Its figures.
    #[serde(flatten)]
    pub row: ReportRow,
}

impl SupportService {
    /// The most breaches one store call of the sweep records.
    pub const SLA_SWEEP_BATCH: u32 = 500;

    /// The SLA targets new tickets and priority changes get ([`SlaTargets::default`] unless
    /// set).
    pub fn sla_targets(&self) -> SlaTargets {
        *self
            .inner
            .sla
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets [`SupportService::sla_targets`] for every clone. Tickets keep the due times they
    /// have until their priority changes.
    pub fn set_sla_targets(&self, targets: SlaTargets) {
        *self
            .inner
            .sla
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = targets;
    }

    /// Records every SLA clock breached by now ([`SupportStore::mark_sla_breaches`], in
    /// batches) and publishes `sla.breached` to staff for each, after its commit. Returns how
    /// many. The store answers each breach to one caller only, so nodes sharing a database
    /// may all sweep: each breach is sent once. (A breach whose publish fails is not sent
    /// again; the ticket shows `sla.breached` all the same.)
    ///
    /// [`SupportStore::mark_sla_breaches`]: crate::SupportStore::mark_sla_breaches
    pub async fn sweep_sla(&self) -> Result<usize> {
        let mut sent = 0;
        loop {
            let found = self
                .inner
                .store
                .mark_sla_breaches(time::now(), Self::SLA_SWEEP_BATCH)
                .await?;
            let full = found.len() == Self::SLA_SWEEP_BATCH as usize;
            sent += found.len();
            for b in found {
                self.publish(Event::Staff(StaffEvent::SlaBreached(b)), None)
                    .await;
            }
            if !full {
                return Ok(sent);
            }
        }
    }

    /// Runs [`SupportService::sweep_sla`] now and then every `every`, until the task is
    /// aborted. A failed sweep is logged and retried at the next period.
    pub fn spawn_sla_sweep(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        self.spawn_every(every, |service| async move {
            match service.sweep_sla().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(breaches = n, "SLA clocks breached"),
                Err(e) => tracing::warn!(error = %e, "could not sweep SLA clocks"),
            }
        })
    }

    /// The report over `range` grouped by `group_by`. Staff only.
    pub async fn report(
        &self,
        actor: &Actor,
        range: &ReportRange,
        group_by: GroupBy,
    ) -> Result<Report> {
        Policy::check_staff(actor)?;
        let (from, to) = range.bounds();
        let facts = self.inner.store.report_facts(from, to).await?;
        let (rows, total) = report::compute(range, group_by, &facts);
        let names: std::collections::HashMap<_, _> = if group_by == GroupBy::Agent {
            self.inner
                .directory
                .users()
                .await?
                .into_iter()
                .map(|u| (u.id.get().to_string(), u.name))
                .collect()
        } else {
            Default::default()
        };
        let groups = rows
            .into_iter()
            .map(|row| {
                let label = match &row.key {
                    None => "Unassigned".to_owned(),
                    Some(k) if group_by == GroupBy::Agent => {
                        names.get(k).cloned().unwrap_or_else(|| format!("User {k}"))
                    }
                    Some(k) => k.clone(),
                };
                LabelledRow { label, row }
            })
            .collect();
        Ok(Report {
            from: range.from.to_string(),
            to: range.to.to_string(),
            timezone: "UTC",
            group_by,
            groups,
            total,
        })
    }
}
