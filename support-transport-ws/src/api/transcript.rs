//! `GET …/{ticket}/transcript?format=txt|json|html`: the ticket's conversation as a file to
//! keep, on either side. What the caller may see is the service's
//! [`transcript`](support_core::SupportService::transcript) (an employee's never holds an
//! internal note); the layout is [`support_core::transcript`]'s.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use support_core::{Actor, FieldErrors, TicketId};
use utoipa::IntoParams;

use super::{ApiError, ApiState};

/// `?format=`: which kind of file.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TranscriptQuery {
    /// `txt` (the default), `json` or `html` (a print-friendly page); nothing else, not even empty.
    #[param(value_type = Option<String>, pattern = "^(txt|json|html)$")]
    format: Option<String>,
}

/// The formats a transcript comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Json,
    Html,
}

impl TranscriptQuery {
    fn format(&self) -> Result<Format, ApiError> {
        // As documented: absent, or exactly one of the three (`format=` is not a format).
        match self.format.as_deref() {
            None | Some("txt") => Ok(Format::Text),
            Some("json") => Ok(Format::Json),
            Some("html") => Ok(Format::Html),
            Some(_) => {
                let mut errors = FieldErrors::default();
                errors.add("format", "The selected format is invalid.");
                Ok(errors.finish(|| Format::Text)?)
            }
        }
    }
}

/// The CSP of an HTML transcript: its own inline styles, nothing else (no script, no image,
/// no request anywhere), and no framing.
const HTML_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The transcript as a download.
pub(crate) async fn transcript(
    s: &ApiState,
    actor: &Actor,
    id: TicketId,
    q: &TranscriptQuery,
) -> Result<Response, ApiError> {
    let format = q.format()?;
    let ext = match format {
        Format::Text => "txt",
        Format::Json => "json",
        Format::Html => "html",
    };
    let t = s.service.transcript(actor, id, ext).await?;
    let (content_type, body) = match format {
        Format::Text => ("text/plain; charset=utf-8", t.to_text()),
        Format::Json => ("application/json", t.to_json().to_string()),
        Format::Html => ("text/html; charset=utf-8", t.to_html()),
    };
    // The ticket number is ASCII letters, digits and '-', so the name needs no escaping.
    let disposition = format!("attachment; filename=\"{}\"", t.file_name(ext));
    let mut response = (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response();
    if format == Format::Html {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(HTML_POLICY),
        );
    }
    Ok(response)
}
