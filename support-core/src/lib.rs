//! # support-core
//!
//! The domain of an embeddable live-support chat: employees open tickets and chat with support
//! staff, who work from a live dashboard. This crate holds the rules and no I/O of its own:
//!
//! - the types ([`Ticket`], [`Message`], [`Priority`], [`Status`], [`Category`], [`Actor`]),
//! - [`validate`]: input in, typed values or Laravel-shaped field errors out,
//! - [`Policy`]: the one authorization policy, for requests and channel joins alike,
//! - [`SupportService`]: every operation, broadcasting [`Broadcast`]s after each commit,
//! - the traits adapters implement: [`SupportStore`], [`Broadcaster`], [`Directory`], and for
//!   several nodes, [`bus`]: the [`Bus`] a node joins, the [`Fanout`] its listener feeds and
//!   the [`Envelope`] events travel in,
//! - [`canned`]: canned responses ([`CannedResponse`], shared or personal, with variables that
//!   [`canned::render`] fills in) and ticket templates ([`TicketTemplate`]),
//! - [`session`]: [`SessionStore`], for a server that keeps its own sign-in sessions (the
//!   shipped stores implement it; an embedder with sessions of its own needs none of it),
//! - [`account`]: [`UserStore`], users with passwords and API tokens for a server that keeps
//!   its own accounts, and [`AccountDirectory`], the [`Directory`] over them,
//! - [`MemoryStore`] and [`MemoryBroadcaster`] for tests and single-process use, and, behind the
//!   `testing` feature, the `testing` module and `conformance_suite!`, which every store must pass.
//! - behind the `sql` feature, the `sql` module: the ticket list as one sea-query statement that
//!   the SQL stores share, each with its own dialect.
//!
//! ```
//! use support_core::*;
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let alice = Actor::new(101, "Alice Employee", Role::Employee);
//! let sam = Actor::new(201, "Sam Support", Role::Support);
//! let hub = MemoryBroadcaster::default();
//! let service =
//!     SupportService::new(MemoryStore::new(), hub.clone(), StaticDirectory::new([alice.clone(), sam.clone()]));
//!
//! let mut staff = hub.subscribe(Channel::Admin, None);
//! let ticket = service
//!     .create_ticket(&alice, NewTicket::parse("Login issue", "Cannot log in", "it", "high")?, &WriteContext::default())
//!     .await?;
//! assert_eq!(staff.recv().await.unwrap().name(), "ticket.created");
//!
//! let note = NewMessage::internal(MessageBody::parse("Checking AD account")?);
//! service.post_message(&sam, ticket.id, note, &WriteContext::default()).await?;
//! // Alice never sees the note.
//! assert!(service.show_ticket(&alice, ticket.id).await?.messages.is_empty());
//! # Ok::<(), Error>(()) }).unwrap();
//! ```

pub mod account;
pub mod actor;
pub mod archive;
pub mod attachment;
pub mod audit;
pub mod broadcast;
pub mod bus;
pub mod canned;
pub mod channel;
pub mod draft;
pub mod error;
pub mod event;
pub mod id;
pub mod idempotency;
pub mod memory;
pub mod message;
mod owners;
pub mod policy;
pub mod reaction;
pub mod reads;
pub mod report;
pub mod search;
pub mod service;
pub mod session;
pub mod sla;
#[cfg(feature = "sql")]
pub mod sql;
pub mod stats;
pub mod store;
pub mod ticket;
pub mod time;
pub mod token;
pub mod transcript;
pub mod validate;

#[cfg(feature = "testing")]
pub mod testing;

pub use account::{AccountDirectory, UserStore};
pub use actor::{Actor, Directory, Role, StaticDirectory};
pub use attachment::{
    BlobKey, BlobStore, BlobStream, MemoryBlobStore, NewUpload, Upload, UploadDraft,
};
pub use audit::{
    Action, AuditEntry, AuditQuery, AuditRecord, Change, NewAuditEntry, NewAuditRecord,
};
pub use broadcast::{Broadcaster, MemoryBroadcaster, Missed, NoBroadcast, Subscription};
pub use bus::{Bus, BusListener, BusNode, Envelope, Fanout};
pub use canned::{CannedResponse, TicketTemplate};
pub use channel::Channel;
pub use error::{Error, FieldErrors, Result};
pub use event::{
    Broadcast, Dispatch, Event, EventActor, MessageRead, PresenceChange, PresenceChannel,
    PresenceEntry, PresenceNotice, StaffEvent, TicketEvent,
};
pub use id::{
    ApiTokenId, AttachmentId, CannedResponseId, IdempotencyKey, MessageId, SocketId, TicketId,
    TicketNumber, TicketTemplateId, UserId,
};
pub use memory::MemoryStore;
pub use message::{Attachment, AuthorType, Message, PublicMessage, Visibility};
pub use policy::Policy;
pub use reaction::{Emoji, Reaction, ReactionCount};
pub use reads::{LastMessage, ReadAdvance, ReadPosition, TicketSummary};
pub use search::{SearchHit, SearchScope, SearchTerms, Snippet};
pub use service::{Dashboard, Page, PageRequest, SupportService, TicketView, WriteContext};
pub use session::{Liveness, NewSession, SessionStore, StoredSession, TokenDigest};
pub use sla::{Sla, SlaBreach, SlaClock, SlaTarget, SlaTargets};
pub use stats::Stats;
pub use store::{MessagePosition, SupportStore, TicketFilter};
pub use ticket::{Category, Choice, Priority, Status, Ticket, TicketPatch};
pub use time::Timestamp;
pub use validate::{Description, MessageBody, NewMessage, NewTicket, QuickChat, Subject};
