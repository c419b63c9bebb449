//! Messages on a ticket: chat lines, comments and staff-only internal notes.

use serde::{Deserialize, Serialize};

use crate::id::{AttachmentId, MessageId, TicketId, UserId};
use crate::ticket::{Choice, choice};
use crate::time::Timestamp;

choice!(
    /// Which side of the conversation wrote a message.
    AuthorType("author_type") {
        /// The ticket's own employee.
        Employee = "employee",
        /// Support staff.
        Support = "support",
    }
);

/// A file on a message: the metadata of an [`Upload`](crate::Upload), filled in by the server
/// when a message names the upload's id, and stored with the message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attachment {
    /// The upload's id (0 for metadata stored before uploads existed).
    #[serde(default = "no_upload")]
    pub id: AttachmentId,
    /// The file name shown to users.
    pub name: String,
    /// Where the file can be fetched ([`crate::attachment::download_path`]).
    pub url: String,
    /// Its media type (`image/png`).
    pub content_type: String,
    /// Its size in bytes.
    #[cfg_attr(
        feature = "openapi",
        schema(format = "uint64", maximum = 18446744073709551615_u64)
    )]
    pub size: u64,
}

fn no_upload() -> AttachmentId {
    AttachmentId(0)
}

/// A message as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    /// Assigned by the store; grows in commit order within a ticket.
    pub id: MessageId,
    /// The ticket it belongs to.
    pub ticket_id: TicketId,
    /// Who wrote it.
    pub author_id: UserId,
    /// The author's name when it was written.
    pub author_name: String,
    /// Employee (the ticket's owner) or support.
    pub author_type: AuthorType,
    /// The text, trimmed, 1 to 2000 characters.
    pub content: String,
    /// A staff-only note: never shown to, or sent where, an employee can read it.
    pub is_internal: bool,
    /// Attached files' metadata.
    pub attachments: Vec<Attachment>,
    /// When it was stored.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
}

impl Message {
    /// The message as one an employee may see, or `None` for an internal note. This is the only
    /// way to build a [`PublicMessage`], which is what the ticket channel carries.
    pub fn public(self) -> Option<PublicMessage> {
        (!self.is_internal).then_some(PublicMessage(self))
    }
}

/// A message that is not an internal note. It can only be made by [`Message::public`], so code
/// that takes a `PublicMessage` cannot be handed a note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PublicMessage(Message);

impl PublicMessage {
    /// The message itself.
    pub fn get(&self) -> &Message {
        &self.0
    }
}

impl std::ops::Deref for PublicMessage {
    type Target = Message;
    fn deref(&self) -> &Message {
        &self.0
    }
}

/// Whether a new message is for both sides or for staff only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Visibility {
    /// Seen by the ticket's employee and by staff.
    #[default]
    Public,
    /// An internal note: staff only.
    Internal,
}
