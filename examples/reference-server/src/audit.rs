//! What the reference server records in the audit log itself (the service records every
//! ticket action in the write that does it): sign-ins, failed sign-ins, sign-outs, and user and
//! API token changes, from the web pages, the admins' users API and the `users` command line.
//!
//! These records are written after the act they tell of, on their own: a record that cannot be
//! written (the database just went away) is logged as an error and does not undo or refuse the
//! act, which already happened.

use std::net::IpAddr;
use std::sync::Arc;

use support_core::audit::{Action, NewAuditRecord};
use support_core::{Actor, SupportStore};

/// Who did it, as the log names them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum By<'a> {
    /// A signed-in user, from their origin (or the one given).
    User(&'a Actor, Option<IpAddr>),
    /// Someone who proved nobody (a failed sign-in), named by what they typed.
    Unproven(&'a str, Option<IpAddr>),
    /// `reference-server users …`.
    CommandLine,
}

/// The name the command line acts under in the audit log.
pub(crate) const COMMAND_LINE: &str = "command line";

/// Writes the server's own audit records.
#[derive(Clone)]
pub(crate) struct AuditTrail(Arc<dyn SupportStore>);

impl std::fmt::Debug for AuditTrail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditTrail").finish_non_exhaustive()
    }
}

impl AuditTrail {
    pub(crate) fn new(store: Arc<dyn SupportStore>) -> Self {
        AuditTrail(store)
    }

    /// Records `action` by `by`.
    pub(crate) async fn record(&self, by: By<'_>, action: Action) {
        let record = match by {
            By::User(actor, origin) => NewAuditRecord::now(Some(actor), "", origin, None, action),
            By::Unproven(name, origin) => NewAuditRecord::now(None, name, origin, None, action),
            By::CommandLine => NewAuditRecord::now(None, COMMAND_LINE, None, None, action),
        };
        if let Err(e) = self.0.record_audit(&record).await {
            tracing::error!(action = record.action.name(), error = %e, "could not write an audit record");
        }
    }
}
