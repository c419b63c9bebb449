//! Attachments: where their bytes are kept ([`ObjectBlobStore`]: a local folder or any
//! S3-compatible service, through the `object_store` crate), what may be uploaded
//! ([`Attachments`]: the size limit and the allowed types, decided from the bytes), the
//! `Content-Disposition` of a download ([`content_disposition`]), and the collector of uploads
//! nobody attached ([`spawn_upload_collector`]).
//!
//! The routes themselves are the JSON API's (`POST /api/{side}/support/{ticket}/attachments`,
//! `GET /api/employee/portal/support/{ticket}/attachments/{id}`); they answer 404 until the
//! router is given an [`Attachments`] ([`crate::SupportChatBuilder::attachments`]).

mod collector;
mod disposition;
mod file_type;
mod object_blobs;
pub(crate) mod receive;

use std::sync::Arc;

use support_core::BlobStore;

pub use collector::spawn_upload_collector;
pub use disposition::content_disposition;
pub use file_type::{FileType, is_shown_inline};
pub use object_blobs::ObjectBlobStore;

/// What the upload routes need: the blob store, the size limit and the allowed types.
#[derive(Clone)]
pub struct Attachments {
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) max_bytes: u64,
    pub(crate) allowed: Vec<String>,
}

impl std::fmt::Debug for Attachments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attachments")
            .field("max_bytes", &self.max_bytes)
            .field("allowed", &self.allowed)
            .finish_non_exhaustive()
    }
}

impl Attachments {
    /// The default size limit: 10 MiB.
    pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;

    /// The types allowed by default: PNG, JPEG, GIF and WebP images, PDF, plain text, office
    /// documents (Word, Excel, PowerPoint, old and new, and OpenDocument) and zip.
    pub const DEFAULT_TYPES: &'static [&'static str] = &[
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "text/plain",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "application/zip",
    ];

    /// Uploads into `blobs`, at most [`Attachments::DEFAULT_MAX_BYTES`] each, of
    /// [`Attachments::DEFAULT_TYPES`].
    pub fn new(blobs: impl BlobStore) -> Self {
        Attachments {
            blobs: Arc::new(blobs),
            max_bytes: Self::DEFAULT_MAX_BYTES,
            allowed: Self::DEFAULT_TYPES
                .iter()
                .map(|t| (*t).to_owned())
                .collect(),
        }
    }

    /// The largest upload, in bytes: a bigger one is 413.
    pub fn max_upload_bytes(mut self, max: u64) -> Self {
        self.max_bytes = max;
        self
    }

    /// The media types allowed (as [`FileType::of`] names them from the bytes); anything else
    /// is 422. SVG, HTML and other scriptable types are refused whatever this list says.
    pub fn allowed_types(mut self, types: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.allowed = types.into_iter().map(Into::into).collect();
        self
    }

    /// The blob store.
    pub fn blobs(&self) -> &Arc<dyn BlobStore> {
        &self.blobs
    }
}
