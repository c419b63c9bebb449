//! Uploads and downloads of attachments, for both sides: the upload answer, its documented
//! errors, the `{ticket}/attachments/{id}` path, and the two operations the sides' handlers
//! call.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use support_core::attachment::download_path;
use support_core::{Actor, AttachmentId, BlobKey, Error, NewUpload, TicketId, Upload};
use utoipa::openapi::RefOr;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::{IntoParams, IntoResponses, ToSchema};

use super::document::errors;
use super::extract::{id_param, path_id};
use super::{ApiError, ApiState, view};
use crate::attachments::receive::receive;
use crate::attachments::{content_disposition, is_shown_inline};

/// Multipart framing (boundaries, part headers) allowed above the size limit in a
/// `Content-Length`, before the body is read.
const FRAMING_BYTES: u64 = 16 * 1024;

/// What a download carries whatever the file: its bytes are never run, framed or sniffed.
const DOWNLOAD_POLICY: &str = "sandbox; default-src 'none'";

/// An upload, as stored: not yet on any message.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct UploadView {
    /// Name it in a message's `attachments` to attach it.
    id: AttachmentId,
    /// The file name, for display only.
    name: String,
    /// The type decided from the bytes.
    content_type: String,
    /// Its size in bytes.
    #[schema(format = "uint64", maximum = 18446744073709551615_u64)]
    size: u64,
    /// The SHA-256 of the bytes, lowercase hex.
    sha256: String,
    /// Where it is downloaded (by its uploader only, until it is on a message).
    url: String,
}

impl From<Upload> for UploadView {
    fn from(u: Upload) -> Self {
        UploadView {
            url: download_path(u.ticket_id, u.id),
            id: u.id,
            name: u.name,
            content_type: u.content_type,
            size: u.size,
            sha256: u.sha256,
        }
    }
}

/// The body of an upload (`multipart/form-data`).
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "never built: it describes the form the handler streams"
)]
pub(crate) struct UploadBody {
    /// The file: at most the server's limit (`--max-upload-bytes`, 10 MiB by default), of an
    /// allowed type as its bytes say.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// What an upload may be refused with besides the caller and ticket checks: 400 (a body that
/// breaks off), 413 (over the limit), 415 (not multipart), 422 (no `file`, a type not allowed
/// or not what its name or declared type says).
pub(crate) struct UploadErrors;

impl IntoResponses for UploadErrors {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        errors(&[
            StatusCode::BAD_REQUEST,
            StatusCode::PAYLOAD_TOO_LARGE,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            StatusCode::UNPROCESSABLE_ENTITY,
        ])
    }
}

/// `{ticket}/attachments/{attachment}`: two positive integers, else 404.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttachmentPath(pub(crate) TicketId, pub(crate) AttachmentId);

impl<S: Send + Sync> FromRequestParts<S> for AttachmentPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let ticket = path_id(parts, state, "ticket").await?;
        let id = path_id(parts, state, "attachment").await?;
        Ok(AttachmentPath(TicketId(ticket), AttachmentId(id)))
    }
}

impl IntoParams for AttachmentPath {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            id_param(
                "ticket",
                "The ticket's id. Anything else, or a ticket the caller may not see, is 404.",
            ),
            id_param(
                "attachment",
                "The upload's id. Anything else, or a file the caller may not see, is 404.",
            ),
        ]
    }
}

impl IntoResponses for AttachmentPath {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        errors(&[StatusCode::NOT_FOUND])
    }
}

/// Receives an upload to `ticket` by `actor`: checked before a byte of the body is read
/// (the ticket, the policy, the `Content-Length`), streamed into the blob store, typed from
/// its bytes, stored once by content, recorded. Runs in a task of its own, so that a client
/// going away mid-upload still leaves nothing behind.
pub(crate) async fn upload(
    s: &ApiState,
    actor: &Actor,
    ticket: TicketId,
    request: Request,
) -> Result<Response, ApiError> {
    let config = s.uploads.clone().ok_or(Error::NotFound)?;
    s.service.check_upload(actor, ticket).await?;
    let declared_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared_length.is_some_and(|n| n > config.max_bytes.saturating_add(FRAMING_BYTES)) {
        return Err(ApiError::PayloadTooLarge);
    }
    let service = s.service.clone();
    let actor = actor.clone();
    let work = tokio::spawn(async move {
        let blobs = config.blobs.clone();
        let got = receive(config.clone(), request).await?;
        let name = NewUpload::display_name(&got.name);
        if let Some(why) =
            got.file_type
                .refusal(&got.name, got.declared.as_deref(), &config.allowed)
        {
            let _ = blobs.delete(&got.temp).await;
            return Err(ApiError::Service(Error::invalid("file", why)));
        }
        let content = BlobKey::content(&got.sha256)
            .ok_or_else(|| Error::backend("a SHA-256 that is not 64 hex digits"))?;
        let file = NewUpload {
            name,
            content_type: got.file_type.mime.clone(),
            size: got.size,
            sha256: got.sha256.clone(),
        };
        // The row first, then the content address: from the row on, the collector sees the
        // content in use and leaves it.
        let stored = match service.upload_attachment(&actor, ticket, file).await {
            Ok(stored) => stored,
            Err(e) => {
                let _ = blobs.delete(&got.temp).await;
                return Err(e.into());
            }
        };
        if let Err(e) = blobs.rename(&got.temp, &content).await {
            let _ = blobs.delete(&got.temp).await;
            let _ = service.store().delete_upload(stored.id).await;
            return Err(e.into());
        }
        Ok(view::created(UploadView::from(stored)))
    });
    work.await
        .map_err(|e| ApiError::Service(Error::backend(e.to_string())))?
}

/// The bytes of an upload `actor` may see ([`support_core::SupportService::attachment`]),
/// streamed, with headers that keep a browser from running or sniffing them.
pub(crate) async fn download(
    s: &ApiState,
    actor: &Actor,
    ticket: TicketId,
    id: AttachmentId,
) -> Result<Response, ApiError> {
    let config = s.uploads.as_ref().ok_or(Error::NotFound)?;
    let upload = s.service.attachment(actor, ticket, id).await?;
    let key = BlobKey::content(&upload.sha256).ok_or(Error::NotFound)?;
    let Some(stream) = config.blobs.get(&key).await? else {
        tracing::warn!(attachment = %upload.id, "an upload's content is missing from the blob store");
        return Err(Error::NotFound.into());
    };
    let inline = is_shown_inline(&upload.content_type);
    let content_type = HeaderValue::from_str(&upload.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = HeaderValue::from_str(&content_disposition(inline, &upload.name))
        .map_err(|e| Error::backend(e.to_string()))?;
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(upload.size));
    headers.insert(header::CONTENT_DISPOSITION, disposition);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(DOWNLOAD_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
