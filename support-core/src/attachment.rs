//! Uploaded files: the stored upload (its metadata, kept by the [`SupportStore`]) and the
//! [`BlobStore`] its bytes live in, addressed by their SHA-256 so that the same content is kept
//! once.
//!
//! An upload is made on one ticket by one user, and is on no message until a message names its
//! id (`"attachments": [id, …]`); the store links it to that message in the message's own
//! transaction, once and for good. An upload still on no message after
//! [`Upload::TTL`] can no longer be attached and is removed by the server's collector
//! ([`SupportService::purge_unattached_uploads`](crate::SupportService::purge_unattached_uploads)),
//! with its bytes when no other upload has the same content.
//!
//! [`SupportStore`]: crate::SupportStore

use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::id::{AttachmentId, MessageId, TicketId, UserId};
use crate::message::Attachment;
use crate::time::Timestamp;

/// An upload as stored: a file on a ticket, on a message once one names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    /// Assigned by the store.
    pub id: AttachmentId,
    /// The ticket it was uploaded to; it can only go on a message of that ticket.
    pub ticket_id: TicketId,
    /// Who uploaded it; only they can attach it.
    pub uploader_id: UserId,
    /// The file name shown to users: display only, never a path.
    pub name: String,
    /// The media type decided from the bytes.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of the bytes, lowercase hex: where they are in the [`BlobStore`]
    /// ([`BlobKey::content`]).
    pub sha256: String,
    /// When it was uploaded.
    pub created_at: Timestamp,
    /// The message it is on, once linked.
    pub message_id: Option<MessageId>,
    /// True once linked to an internal note: then staff only, like the note.
    pub is_internal: bool,
}

impl Upload {
    /// How long an upload may wait for a message: older unattached uploads can no longer be
    /// attached and are collected.
    pub const TTL: Duration = Duration::from_secs(24 * 60 * 60);

    /// The metadata a message carries for this upload.
    pub fn attachment(&self) -> Attachment {
        Attachment {
            id: self.id,
            name: self.name.clone(),
            url: download_path(self.ticket_id, self.id),
            content_type: self.content_type.clone(),
            size: self.size,
        }
    }
}

/// The path the JSON API serves an attachment at, for either side (staff may use the employee
/// portal's routes, which show them every ticket):
/// `/api/employee/portal/support/{ticket}/attachments/{id}`.
pub fn download_path(ticket: TicketId, id: AttachmentId) -> String {
    format!("/api/employee/portal/support/{ticket}/attachments/{id}")
}

/// The refusal of the upload named at `index` of a message's `"attachments"`: missing, not the
/// caller's, of another ticket, already on a message or expired. Laravel's wording for a value
/// that does not exist: `The selected attachments.0 is invalid.`
pub fn not_attachable(index: usize) -> Error {
    let field = format!("attachments.{index}");
    let message = format!("The selected {field} is invalid.");
    Error::invalid(&field, message)
}

/// A file whose bytes are in the [`BlobStore`] under [`BlobKey::content`], to record as an
/// upload ([`SupportService::upload_attachment`](crate::SupportService::upload_attachment)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpload {
    /// The display name ([`NewUpload::display_name`] of what the client sent).
    pub name: String,
    /// The media type decided from the bytes.
    pub content_type: String,
    /// The size in bytes.
    pub size: u64,
    /// The SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
}

impl NewUpload {
    /// The most characters of a file name kept.
    pub const MAX_NAME_CHARS: usize = 255;

    /// A client's file name made safe to show and to store: its last path segment (after any
    /// `/` or `\\`), without control characters, trimmed, at most
    /// [`NewUpload::MAX_NAME_CHARS`] characters; `file` when nothing is left. It is only ever
    /// shown, never used as a path.
    pub fn display_name(raw: &str) -> String {
        let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
        let clean = crate::validate::strip_control_characters(last);
        let name: String = clean.trim().chars().take(Self::MAX_NAME_CHARS).collect();
        let name = name.trim();
        if name.is_empty() || name == "." || name == ".." {
            "file".to_owned()
        } else {
            name.to_owned()
        }
    }
}

/// An upload to record: everything but the id, which the store assigns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadDraft {
    /// The ticket it is uploaded to.
    pub ticket_id: TicketId,
    /// Who uploads it.
    pub uploader_id: UserId,
    /// The file name, for display.
    pub name: String,
    /// The media type decided from the bytes.
    pub content_type: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
    /// When.
    pub at: Timestamp,
}

impl UploadDraft {
    /// The upload as stored under the id the store assigned: on no message yet.
    pub fn stored(self, id: AttachmentId) -> Upload {
        Upload {
            id,
            ticket_id: self.ticket_id,
            uploader_id: self.uploader_id,
            name: self.name,
            content_type: self.content_type,
            size: self.size,
            sha256: self.sha256,
            created_at: self.at,
            message_id: None,
            is_internal: false,
        }
    }
}

/// Where an object is in a [`BlobStore`]: a relative path of ASCII letters, digits, `/`, `-`
/// and `_`, made only by the constructors here (never from a file name).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    /// The content address of bytes whose SHA-256 is `sha256` (lowercase hex):
    /// `sha256/ab/abcdef…`. `None` unless `sha256` is 64 lowercase hex digits.
    pub fn content(sha256: &str) -> Option<Self> {
        let hex = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        hex.then(|| BlobKey(format!("sha256/{}/{sha256}", &sha256[..2])))
    }

    /// A temporary object for an upload being written: `tmp/{token}`, where `token` keeps only
    /// its ASCII letters, digits, `-` and `_`.
    pub fn temporary(token: &str) -> Self {
        let token: String = token
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        BlobKey(format!("tmp/{token}"))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Bytes in or out of a [`BlobStore`], a chunk at a time.
pub type BlobStream = Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>;

/// Where the bytes of uploads are kept: a local folder, an S3 bucket.
///
/// # Contract
///
/// - **Streamed.** [`BlobStore::put`] writes its stream as it comes, holding a bounded amount
///   of it in memory whatever its length (but for [`MemoryBlobStore`], whose objects are in
///   memory); [`BlobStore::get`] answers a stream likewise.
/// - **All or nothing.** An object is visible under its key only once `put` has read the
///   whole stream and returned `Ok`. When the stream fails (an error item: the client went
///   away, or the server's size limit was passed) or the backend does, `put` returns the
///   error and leaves nothing under the key, nor anything else behind.
/// - **Rename** moves an object to another key, replacing what is there (the same content,
///   for content addresses); afterwards only the new key has it.
/// - **Delete** of a key that holds nothing is `Ok`. **Exists** tells whether a key holds an
///   object; **get** answers `None` for one that does not.
/// - **Errors** are [`Error`] kinds: `Unavailable` for a backend that cannot be
///   reached, `Backend` otherwise; the stream's own error comes back as `Unavailable` too. No
///   method panics.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Writes `body` under `key`, replacing what is there; the number of bytes written.
    async fn put(&self, key: &BlobKey, body: BlobStream) -> Result<u64>;

    /// The object under `key`, as a stream; `None` if there is none.
    async fn get(&self, key: &BlobKey) -> Result<Option<BlobStream>>;

    /// Moves the object under `from` to `to`.
    async fn rename(&self, from: &BlobKey, to: &BlobKey) -> Result<()>;

    /// Removes the object under `key`, if any.
    async fn delete(&self, key: &BlobKey) -> Result<()>;

    /// True if `key` holds an object.
    async fn exists(&self, key: &BlobKey) -> Result<bool>;
}

#[async_trait]
impl<B: BlobStore + ?Sized> BlobStore for std::sync::Arc<B> {
    async fn put(&self, key: &BlobKey, body: BlobStream) -> Result<u64> {
        (**self).put(key, body).await
    }
    async fn get(&self, key: &BlobKey) -> Result<Option<BlobStream>> {
        (**self).get(key).await
    }
    async fn rename(&self, from: &BlobKey, to: &BlobKey) -> Result<()> {
        (**self).rename(from, to).await
    }
    async fn delete(&self, key: &BlobKey) -> Result<()> {
        (**self).delete(key).await
    }
    async fn exists(&self, key: &BlobKey) -> Result<bool> {
        (**self).exists(key).await
    }
}

/// A [`BlobStore`] in memory: for tests and demos. Nothing survives the process.
#[derive(Debug, Default, Clone)]
pub struct MemoryBlobStore {
    objects: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<BlobKey, Bytes>>>,
}

impl MemoryBlobStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The keys held now, sorted: what a test checks was left behind.
    pub fn keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.lock().keys().map(|k| k.0.clone()).collect();
        keys.sort();
        keys
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<BlobKey, Bytes>> {
        self.objects
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl BlobStore for MemoryBlobStore {
    async fn put(&self, key: &BlobKey, mut body: BlobStream) -> Result<u64> {
        use futures::StreamExt;
        let mut all = Vec::new();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Error::Unavailable(e.to_string()))?;
            all.extend_from_slice(&chunk);
        }
        let len = all.len() as u64;
        self.lock().insert(key.clone(), Bytes::from(all));
        Ok(len)
    }
    async fn get(&self, key: &BlobKey) -> Result<Option<BlobStream>> {
        let found = self.lock().get(key).cloned();
        Ok(found.map(|b| Box::pin(futures::stream::once(async move { Ok(b) })) as BlobStream))
    }
    async fn rename(&self, from: &BlobKey, to: &BlobKey) -> Result<()> {
        let mut objects = self.lock();
        let object = objects.remove(from).ok_or(Error::NotFound)?;
        objects.insert(to.clone(), object);
        Ok(())
    }
    async fn delete(&self, key: &BlobKey) -> Result<()> {
        self.lock().remove(key);
        Ok(())
    }
    async fn exists(&self, key: &BlobKey) -> Result<bool> {
        Ok(self.lock().contains_key(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_keys_take_only_sha256_hex() {
        let hex = "ab".repeat(32);
        assert_eq!(
            BlobKey::content(&hex).map(|k| k.0),
            Some(format!("sha256/ab/{hex}"))
        );
        assert!(BlobKey::content("../../etc/passwd").is_none());
        assert!(BlobKey::content(&"AB".repeat(32)).is_none());
        assert_eq!(BlobKey::temporary("../x y/z").as_str(), "tmp/xyz");
    }

    #[test]
    fn display_names_are_a_last_segment_without_control_characters() {
        assert_eq!(
            NewUpload::display_name("C:\\Users\\a\\shot 1.png"),
            "shot 1.png"
        );
        assert_eq!(NewUpload::display_name("../../etc/passwd"), "passwd");
        assert_eq!(NewUpload::display_name(" re\u{0}port\n.pdf "), "report.pdf");
        assert_eq!(NewUpload::display_name(".."), "file");
        assert_eq!(NewUpload::display_name(""), "file");
        assert_eq!(
            NewUpload::display_name(&"é".repeat(300)).chars().count(),
            255
        );
    }
}
