//! `GET /api/admin/support/reports?from=&to=&group_by=&format=`: the staff's report, as JSON
//! or as CSV. The figures are the core's ([`support_core::report`]); this module reads the
//! query and writes the answer.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use support_core::report::{GroupBy, ReportRange};
use support_core::service::Report;
use support_core::{Choice, Error, FieldErrors};
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::document::STAFF_TAG;
use super::extract::{ApiQuery, Staff};
use super::{ApiError, ApiState, csv_download};

/// The report route, for the staff router (which guards it).
pub(crate) fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::new().routes(routes!(report))
}

/// `?from=&to=&group_by=&format=`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportQuery {
    /// The first day, `YYYY-MM-DD` (UTC); 29 days before `to` if absent.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<String>,
    /// The last day, included, `YYYY-MM-DD` (UTC); today if absent. At most 366 days after
    /// `from`.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<String>,
    /// `day` (the default), `category`, `priority` or `agent`.
    #[param(value_type = Option<String>, pattern = "^(day|category|priority|agent)$")]
    group_by: Option<String>,
    /// `json` (the default) or `csv`.
    #[param(value_type = Option<String>, pattern = "^(json|csv)$")]
    format: Option<String>,
}

impl ReportQuery {
    /// The range, grouping and whether CSV was asked for; every bad field at once.
    fn read(&self) -> Result<(ReportRange, GroupBy, bool), Error> {
        let mut errors = FieldErrors::default();
        let group_by = match self.group_by.as_deref() {
            None => Some(GroupBy::Day),
            Some(g) => GroupBy::from_name(g).or_else(|| {
                errors.add("group_by", "The selected group by is invalid.");
                None
            }),
        };
        let csv = match self.format.as_deref() {
            None | Some("json") => false,
            Some("csv") => true,
            Some(_) => {
                errors.add("format", "The selected format is invalid.");
                false
            }
        };
        let today = support_core::time::now().date_naive();
        let range = match ReportRange::parse(self.from.as_deref(), self.to.as_deref(), today) {
            Ok(r) => Some(r),
            Err(Error::Invalid(found)) => {
                for (field, messages) in found.fields() {
                    for m in messages {
                        errors.add(field, m.clone());
                    }
                }
                None
            }
            Err(e) => return Err(e),
        };
        match (range, group_by, errors.is_empty()) {
            (Some(r), Some(g), true) => Ok((r, g, csv)),
            _ => Err(Error::Invalid(errors)),
        }
    }
}

/// The CSV columns, in order.
const CSV_HEADER: [&str; 9] = [
    "group",
    "label",
    "created",
    "resolved",
    "first_response_median_s",
    "first_response_p90_s",
    "resolution_median_s",
    "resolution_p90_s",
    "sla_breaches",
];

/// A report's rows for CSV, in [`CSV_HEADER`]'s order (an empty field for a figure without a
/// value).
fn csv_rows(report: &Report) -> Vec<Vec<String>> {
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    report
        .groups
        .iter()
        .map(|g| {
            let r = &g.row;
            vec![
                r.key.clone().unwrap_or_default(),
                g.label.clone(),
                r.created.to_string(),
                r.resolved.to_string(),
                opt(r.first_response.median_s),
                opt(r.first_response.p90_s),
                opt(r.resolution.median_s),
                opt(r.resolution.p90_s),
                r.sla_breaches.to_string(),
            ]
        })
        .collect()
}

/// Response-time report
///
/// Tickets created and resolved, time to first response and to resolution (median and 90th
/// percentile, nearest rank, in seconds) and SLA breaches, per day (UTC), category, priority
/// or agent, over a range of at most 366 days. `format=csv` answers the same rows as CSV, as
/// a download.
#[utoipa::path(
    get,
    path = "/reports",
    tag = STAFF_TAG,
    operation_id = "staff_reports",
    params(ReportQuery),
    responses(
        (status = 200, description = "The report (or, with `format=csv`, the same rows as CSV).",
            content((Report = "application/json"), (String = "text/csv"))),
        Staff,
        ApiQuery<ReportQuery>,
    ),
)]
pub(crate) async fn report(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let (range, group_by, csv) = q.read()?;
    let report = s.service.report(&actor, &range, group_by).await?;
    if !csv {
        return Ok(Json(report).into_response());
    }
    let name = format!(
        "support-report-{}-{}-{}.csv",
        group_by.as_str(),
        report.from,
        report.to
    );
    csv_download::download(&name, &CSV_HEADER, csv_rows(&report))
}
