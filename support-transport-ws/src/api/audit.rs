//! The audit log over HTTP: `GET /api/admin/support/{ticket}/history` (a ticket's every
//! record, for staff) and `GET /api/admin/support/audit` (the whole log, filtered, newest
//! first, for admins; `format=csv` downloads the same). What may be read is the service's
//! ([`SupportService::ticket_history`](support_core::SupportService::ticket_history),
//! [`audit_log`](support_core::SupportService::audit_log)).
//!
//! The literal segment `audit` sits beside `{ticket}`: the router matches a literal segment
//! before a parameter.

use axum::extract::State;
use axum::response::{IntoResponse, Json, Response};
use serde::{Deserialize, Serialize};
use support_core::audit::{Action, AuditQuery, AuditRecord};
use support_core::time::{DayEnd, parse_instant};
use support_core::{FieldErrors, SupportService, TicketId, UserId};
use utoipa::{IntoParams, ToSchema};

use super::document::STAFF_TAG;
use super::extract::{ApiQuery, Staff, TicketPath};
use super::view::{self, Data};
use super::{ApiError, ApiState, csv_download};

/// `?actor=&ticket=&action=&from=&to=&cursor=&limit=&format=`: which records.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditLogQuery {
    /// Only this user's acts (a user id).
    #[param(value_type = Option<i64>, minimum = 1)]
    actor: Option<String>,
    /// Only this ticket's records (a ticket id).
    #[param(value_type = Option<i64>, minimum = 1)]
    ticket: Option<String>,
    /// Only these actions, comma-separated (`auth.signed_in,auth.sign_in_failed`); empty: all.
    action: Option<String>,
    /// From this time on: an RFC 3339 time, or a date (`2026-12-01`, from its start, UTC).
    from: Option<String>,
    /// Before this time: an RFC 3339 time, or a date (`2026-12-01`: up to its end, UTC).
    to: Option<String>,
    /// The `next_cursor` of the previous page; absent for the first page.
    cursor: Option<String>,
    /// Page size: 50 if absent, 1 to 500 (CSV: up to 10,000 rows, in pages of 500).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    /// `json` (the default) or `csv`.
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

impl AuditLogQuery {
    /// The store's query, or 422 naming each bad field.
    fn query(&self) -> Result<(AuditQuery, bool), ApiError> {
        let mut errors = FieldErrors::default();
        // As documented: a parameter given empty (`format=`) is not absent but invalid;
        // only `action` reads empty as "any".
        let given = |raw: &Option<String>| raw.as_deref().map(str::trim).map(str::to_owned);
        let mut q = AuditQuery {
            limit: 50,
            ..AuditQuery::default()
        };
        let id = |field: &str, raw: &Option<String>, errors: &mut FieldErrors| {
            given(raw).and_then(|v| match v.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    errors.add(
                        field,
                        format!("The {field} field must be a positive integer."),
                    );
                    None
                }
            })
        };
        q.actor_id = id("actor", &self.actor, &mut errors).map(UserId);
        q.ticket_id = id("ticket", &self.ticket, &mut errors).map(TicketId);
        if let Some(actions) = given(&self.action).filter(|a| !a.is_empty()) {
            for a in actions.split(',').map(str::trim).filter(|a| !a.is_empty()) {
                if Action::NAMES.contains(&a) {
                    q.actions.push(a.to_owned());
                } else {
                    errors.add("action", "The selected action is invalid.");
                }
            }
        }
        if let Some(from) = given(&self.from) {
            q.from = parse_instant(&from, DayEnd::Start);
            if q.from.is_none() {
                errors.add(
                    "from",
                    "The from field must be a date (YYYY-MM-DD) or an RFC 3339 time.",
                );
            }
        }
        if let Some(to) = given(&self.to) {
            q.to = parse_instant(&to, DayEnd::End);
            if q.to.is_none() {
                errors.add(
                    "to",
                    "The to field must be a date (YYYY-MM-DD) or an RFC 3339 time.",
                );
            }
        }
        if let (Some(from), Some(to)) = (q.from, q.to) {
            if from >= to {
                errors.add("to", "The to field must be a time after from.");
            }
        }
        if let Some(cursor) = given(&self.cursor) {
            match cursor.parse::<i64>() {
                Ok(n) if n > 0 => q.before_id = Some(n),
                _ => errors.add("cursor", "The cursor is invalid."),
            }
        }
        if let Some(limit) = given(&self.limit) {
            match limit.parse::<u32>() {
                Ok(n) if (1..=SupportService::MAX_AUDIT_PAGE).contains(&n) => q.limit = n,
                _ => errors.add("limit", "The limit field must be between 1 and 500."),
            }
        }
        let csv = match given(&self.format).as_deref() {
            None | Some("json") => false,
            Some("csv") => true,
            Some(_) => {
                errors.add("format", "The selected format is invalid.");
                false
            }
        };
        Ok(errors.finish(|| (q, csv))?)
    }
}

/// A page of the log: `{data, next_cursor}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditPage {
    /// Newest first.
    data: Vec<AuditRecord>,
    /// Pass this as `cursor` for the next page; `null` on the last page.
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// A ticket's history
///
/// Every record of the audit log on the ticket, oldest first: its creation and field changes,
/// each message and internal note posted, files attached, reactions, transcript exports; with
/// who, from where and when. A ticket of more than 10,000 records answers its last 10,000.
#[utoipa::path(
    get,
    path = "/{ticket}/history",
    tag = STAFF_TAG,
    operation_id = "staff_ticket_history",
    params(TicketPath),
    responses(
        (status = 200, description = "The records, oldest first.", body = Data<Vec<AuditRecord>>),
        Staff,
        TicketPath,
    ),
)]
pub(crate) async fn history(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    TicketPath(id): TicketPath,
) -> Result<Response, ApiError> {
    Ok(view::ok(s.service.ticket_history(&actor, id).await?))
}

/// The audit log
///
/// Every recorded action, newest first, filtered: ticket actions, sign-ins (and failed ones),
/// sign-outs, user and token changes, transcript exports. Admins only. `format=csv` downloads
/// the filtered log (up to 10,000 rows) as CSV.
#[utoipa::path(
    get,
    path = "/audit",
    tag = STAFF_TAG,
    operation_id = "staff_audit_log",
    params(AuditLogQuery),
    responses(
        (status = 200, description = "A page of records, newest first (or the CSV file).", content(
            (AuditPage = "application/json"),
            (String = "text/csv"),
        )),
        Staff,
        ApiQuery<AuditLogQuery>,
    ),
)]
pub(crate) async fn audit_log(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    ApiQuery(raw): ApiQuery<AuditLogQuery>,
) -> Result<Response, ApiError> {
    let (query, csv) = raw.query()?;
    if !csv {
        let data = s.service.audit_log(&actor, &query).await?;
        let next_cursor = (data.len() == query.limit as usize)
            .then(|| data.last().map(|r| r.id.to_string()))
            .flatten();
        return Ok(Json(AuditPage { data, next_cursor }).into_response());
    }
    let rows = s
        .service
        .audit_records(&actor, &query, SupportService::MAX_AUDIT_READ)
        .await?;
    let opt = |v: Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
    csv_download::download(
        "audit-log.csv",
        &[
            "id",
            "at",
            "actor_id",
            "actor_name",
            "origin",
            "action",
            "ticket_id",
            "detail",
        ],
        rows.into_iter().map(|r| {
            vec![
                r.id.to_string(),
                r.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                opt(r.actor_id.map(UserId::get)),
                r.actor_name,
                r.origin.map(|o| o.to_string()).unwrap_or_default(),
                r.action.name().to_owned(),
                opt(r.ticket_id.map(TicketId::get)),
                r.action.detail().to_string(),
            ]
        }),
    )
}
