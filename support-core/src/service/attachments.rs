//! Uploads in the service: who may upload to a ticket, resolving a message's upload ids into
//! its attachments, who may download one, and collecting the uploads nobody attached.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::actor::Actor;
use crate::attachment::{BlobKey, BlobStore, NewUpload, Upload, UploadDraft, not_attachable};
use crate::error::{Error, Result};
use crate::id::{AttachmentId, TicketId};
use crate::message::{Attachment, Visibility};
use crate::policy::Policy;
use crate::time;

use super::SupportService;

impl SupportService {
    /// `Ok` if `actor` may upload a file to ticket `ticket_id`: if they may post on it (an
    /// employee on their own ticket, staff on any). `NotFound` otherwise. Check it before
    /// reading an upload's body.
    pub async fn check_upload(&self, actor: &Actor, ticket_id: TicketId) -> Result<()> {
        let owner = self.visible_owner(actor, ticket_id).await?;
        Policy::check_post(actor, owner, Visibility::Public)
    }

    /// Records an upload whose bytes are already in the blob store under
    /// [`BlobKey::content`]`(file.sha256)`, on no message yet: only `actor` can attach it,
    /// only to a message of this ticket, within [`SupportService::upload_ttl`].
    pub async fn upload_attachment(
        &self,
        actor: &Actor,
        ticket_id: TicketId,
        file: NewUpload,
    ) -> Result<Upload> {
        self.check_upload(actor, ticket_id).await?;
        self.inner
            .store
            .create_upload(&UploadDraft {
                ticket_id,
                uploader_id: actor.id,
                name: file.name,
                content_type: file.content_type,
                size: file.size,
                sha256: file.sha256,
                at: time::now(),
            })
            .await
    }

    /// The upload `id` of ticket `ticket_id`, if `actor` may download it: an upload on a
    /// message for whoever may see that ticket (an internal note's: staff only); one on no
    /// message for its uploader only. `NotFound` for everyone else, and for an id of another
    /// ticket.
    pub async fn attachment(
        &self,
        actor: &Actor,
        ticket_id: TicketId,
        id: AttachmentId,
    ) -> Result<Upload> {
        let owner = self.visible_owner(actor, ticket_id).await?;
        let upload = self
            .inner
            .store
            .upload(id)
            .await?
            .filter(|u| u.ticket_id == ticket_id)
            .ok_or(Error::NotFound)?;
        let allowed = match upload.message_id {
            None => upload.uploader_id == actor.id,
            Some(_) => {
                Policy::can_view(actor, owner)
                    && (!upload.is_internal || Policy::can_see_internal(actor))
            }
        };
        if allowed {
            Ok(upload)
        } else {
            Err(Error::NotFound)
        }
    }

    /// How long an upload may wait for a message ([`Upload::TTL`] unless set).
    pub fn upload_ttl(&self) -> Duration {
        Duration::from_millis(self.inner.upload_ttl_ms.load(Ordering::Relaxed))
    }

    /// Sets [`SupportService::upload_ttl`] for every clone: a server's configuration (and
    /// tests that cannot wait a day).
    pub fn set_upload_ttl(&self, ttl: Duration) {
        let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        self.inner.upload_ttl_ms.store(ms, Ordering::Relaxed);
    }

    /// The attachments a message by `actor` on `ticket_id` names: each must be `actor`'s own
    /// upload on this ticket, on no message yet and younger than the TTL, else a validation
    /// error on `attachments.{index}`. With an idempotency key an upload already on a message
    /// passes here: the store answers a replay, and refuses anything else.
    pub(super) async fn resolve_attachments(
        &self,
        actor: &Actor,
        ticket_id: TicketId,
        ids: &[AttachmentId],
        keyed: bool,
    ) -> Result<Vec<Attachment>> {
        let oldest = self.upload_cutoff();
        let mut out = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let upload = self.inner.store.upload(*id).await?;
            let usable = upload.filter(|u| {
                u.uploader_id == actor.id
                    && u.ticket_id == ticket_id
                    && (u.message_id.is_none() || keyed)
                    && u.created_at >= oldest
            });
            match usable {
                Some(u) => out.push(u.attachment()),
                None => return Err(not_attachable(i)),
            }
        }
        Ok(out)
    }

    /// Removes up to `limit` uploads left on no message for longer than the TTL, oldest first,
    /// and the bytes of each from `blobs` once no other upload has the same content. Answers
    /// how many uploads were removed. The server runs it periodically; each run's work is
    /// bounded by `limit`.
    pub async fn purge_unattached_uploads(
        &self,
        blobs: &dyn BlobStore,
        limit: u32,
    ) -> Result<usize> {
        let stale = self
            .inner
            .store
            .unattached_uploads(self.upload_cutoff(), limit)
            .await?;
        let mut removed = 0;
        for upload in stale {
            if !self.inner.store.delete_upload(upload.id).await? {
                continue; // attached meanwhile
            }
            removed += 1;
            if !self.inner.store.blob_in_use(&upload.sha256).await? {
                if let Some(key) = BlobKey::content(&upload.sha256) {
                    blobs.delete(&key).await?;
                }
            }
        }
        Ok(removed)
    }

    fn upload_cutoff(&self) -> time::Timestamp {
        let ttl = chrono::Duration::from_std(self.upload_ttl()).unwrap_or(chrono::Duration::MAX);
        time::now()
            .checked_sub_signed(ttl)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
    }
}
