//! Archiving through the service: a run over every closed ticket old enough, in batches
//! ([`crate::archive`]), by an admin or by the server itself.

use std::time::Duration;

use crate::actor::Actor;
use crate::archive::{self, ARCHIVE_BATCH, ArchiveBatch, ArchiveReport};
use crate::audit::{Action, NewAuditRecord};
use crate::error::{Error, Result};
use crate::policy::Policy;

use super::SupportService;

impl SupportService {
    /// Archives every closed ticket whose latest activity is more than `older_than` ago, in
    /// batches of [`ARCHIVE_BATCH`] (each its own transaction), and says how many it archived.
    /// Done by `actor` (admins only) or, with `None`, by whoever `name` stands for (the command
    /// line, the server's daily run); each archived ticket gets an audit record
    /// `ticket.archived` naming them. Running it again archives nothing new; a run cut short
    /// leaves every ticket either archived or as it was.
    pub async fn archive_closed(
        &self,
        actor: Option<&Actor>,
        name: &str,
        older_than: Duration,
    ) -> Result<ArchiveReport> {
        if let Some(actor) = actor {
            Policy::check_admin(actor)?;
        }
        let record = NewAuditRecord::now(actor, name, None, None, Action::TicketArchived);
        let closed_before = archive::cutoff(record.at, older_than).ok_or_else(|| {
            Error::invalid("closed_before", "The closed before field is too large.")
        })?;
        let batch = ArchiveBatch {
            closed_before,
            limit: ARCHIVE_BATCH,
            record,
        };
        let mut archived = 0u64;
        // Ends: every call archives what it answers, an archived ticket is never picked
        // again, and no ticket can become active before a cutoff already in the past.
        loop {
            let ids = self.inner.store.archive_closed(&batch).await?;
            archived += ids.len() as u64;
            if ids.len() < batch.limit as usize {
                break;
            }
        }
        if archived > 0 {
            tracing::info!(archived, %closed_before, "archived closed tickets");
        }
        Ok(ArchiveReport {
            archived,
            closed_before,
        })
    }

    /// Runs [`archive_closed`](Self::archive_closed) now and then once `every` (a day, for the
    /// reference server's `--archive-after`), as `name`, until the task is aborted. A failed
    /// run is logged and tried again at the next tick; nothing is lost by it (see
    /// [`crate::archive`]).
    pub fn spawn_archiving(
        &self,
        older_than: Duration,
        every: Duration,
        name: &'static str,
    ) -> tokio::task::JoinHandle<()> {
        self.spawn_every(every, move |service| async move {
            if let Err(e) = service.archive_closed(None, name, older_than).await {
                tracing::warn!(error = %e, "could not archive closed tickets");
            }
        })
    }
}
