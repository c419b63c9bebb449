//! The service: every operation of the helpdesk, each checked by the policy, validated, stored
//! in one transaction, and broadcast after the commit.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::Mutex;

use crate::actor::{Actor, Directory};
use crate::audit::AuditEntry;
use crate::broadcast::Broadcaster;
use crate::channel::Channel;
use crate::error::{Error, Result};
use crate::event::{Broadcast, Dispatch, Event, EventActor, StaffEvent, TicketEvent};
use crate::id::{IdempotencyKey, MessageId, SocketId, TicketId, UserId};
use crate::message::Message;
use crate::owners::Owners;
use crate::policy::Policy;
use crate::stats::Stats;
use crate::store::*;
use crate::ticket::{Status, Ticket, TicketPatch};
use crate::time;
use crate::transcript::Transcript;
use crate::validate::{NewMessage, NewTicket, QuickChat};

/// Where a write came from: what makes it safe to retry and whom not to echo it to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteContext {
    /// The client's `Idempotency-Key`.
    pub idempotency_key: Option<IdempotencyKey>,
    /// The client's `X-Socket-ID`: that connection does not receive the broadcast.
    pub socket_id: Option<SocketId>,
}

/// Which page of a list to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// The `next_cursor` of the previous page; `None` for the first page.
    pub cursor: Option<String>,
    /// Page size; defaults per list, larger values are clamped to the list's maximum.
    pub limit: Option<u32>,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The items.
    pub data: Vec<T>,
    /// Pass this as `cursor` for the next page; `None` on the last page.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub next_cursor: Option<String>,
}

/// A ticket with the newest of the messages the caller may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketView {
    /// The ticket.
    pub ticket: Ticket,
    /// Up to [`SupportService::MESSAGE_PAGE`] newest messages, oldest first.
    pub messages: Vec<Message>,
    /// True if older messages exist: page back with `Before(first id)`.
    pub has_older: bool,
    /// The ticket's audit entries the caller may see, oldest first: what the thread draws
    /// its event lines from (opened, status changes and reopenings, priority, assignment).
    /// Every kind recorded today shows values the ticket itself shows its employee, so an
    /// employee sees them all; a kind that holds anything staff-only must be left out here
    /// for employees.
    pub activity: Vec<AuditEntry>,
}

/// The live dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dashboard {
    /// Active tickets, urgent first, longest waiting first within a priority.
    pub tickets: Page<Ticket>,
    /// The badge counts.
    pub stats: Stats,
}

/// The helpdesk. Cheap to clone; clones share everything.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use support_core::*;
///
/// let hub = MemoryBroadcaster::default();
/// let alice = Actor::new(1, "Alice", Role::Employee);
/// let sam = Actor::new(2, "Sam", Role::Support);
/// let service = SupportService::new(
///     MemoryStore::new(),
///     hub.clone(),
///     StaticDirectory::new([alice.clone(), sam.clone()]),
/// );
///
/// let ticket = service
///     .create_ticket(&alice, NewTicket::parse("VPN down", "Since 9am", "it", "high")?, &WriteContext::default())
///     .await?;
/// let mut staff_side = hub.subscribe(Channel::Ticket(ticket.id), None);
/// service
///     .post_message(&alice, ticket.id, NewMessage::public(MessageBody::parse("Any news?")?), &WriteContext::default())
///     .await?;
/// let event = staff_side.recv().await.unwrap();
/// assert_eq!(event.name(), "chat.message");
/// assert_eq!(event.payload()["message"], "Any news?");
/// # Ok::<(), Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct SupportService {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn SupportStore>,
    broadcaster: Arc<dyn Broadcaster>,
    directory: Arc<dyn Directory>,
    /// Ticket owners, so that posting and reading messages need not read the ticket first.
    owners: Owners,
    /// Serializes "read stats, publish stats" so the last `stats.updated` sent is never older
    /// than the last commit that changed the counts.
    stats_gate: Mutex<()>,
    /// [`SupportService::upload_ttl`], in milliseconds.
    upload_ttl_ms: std::sync::atomic::AtomicU64,
    /// [`SupportService::sla_targets`].
    sla: std::sync::RwLock<crate::sla::SlaTargets>,
}

impl std::fmt::Debug for SupportService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupportService").finish_non_exhaustive()
    }
}

impl SupportService {
    /// Default and maximum page sizes of ticket lists.
    pub const TICKET_PAGE: (u32, u32) = (25, 100);
    /// Default and maximum page sizes of message pages.
    pub const MESSAGE_PAGE: (u32, u32) = (50, 200);

    /// A service over a store, a broadcaster and a directory. Events reach exactly the
    /// subscribers of `broadcaster`: to serve websocket clients, let
    /// `support_transport_ws::SupportChat` build the service, which publishes into the hub
    /// those clients are connected to (or through a bus that feeds it).
    pub fn new(
        store: impl SupportStore,
        broadcaster: impl Broadcaster,
        directory: impl Directory,
    ) -> Self {
        Self::from_parts(Arc::new(store), Arc::new(broadcaster), Arc::new(directory))
    }

    /// A service over shared parts.
    pub fn from_parts(
        store: Arc<dyn SupportStore>,
        broadcaster: Arc<dyn Broadcaster>,
        directory: Arc<dyn Directory>,
    ) -> Self {
        SupportService {
            inner: Arc::new(Inner {
                store,
                broadcaster,
                directory,
                owners: Owners::new(),
                stats_gate: Mutex::new(()),
                upload_ttl_ms: std::sync::atomic::AtomicU64::new(
                    crate::attachment::Upload::TTL.as_millis() as u64,
                ),
                sla: std::sync::RwLock::new(crate::sla::SlaTargets::default()),
            }),
        }
    }

    /// The store, for health checks and tools.
    pub fn store(&self) -> &Arc<dyn SupportStore> {
        &self.inner.store
    }

    /// The directory.
    pub fn directory(&self) -> &Arc<dyn Directory> {
        &self.inner.directory
    }

    // ----- employee side -------------------------------------------------------------------

    /// Opens a ticket for the caller. Broadcasts `ticket.created` and `stats.updated` to staff.
    pub async fn create_ticket(
        &self,
        actor: &Actor,
        new: NewTicket,
        ctx: &WriteContext,
    ) -> Result<Ticket> {
        let (ticket, _) = self.open_ticket(actor, new, None, ctx).await?;
        Ok(ticket)
    }

    /// Opens a ticket with its first message in one step (the floating widget's quick chat).
    pub async fn quick_chat(
        &self,
        actor: &Actor,
        chat: QuickChat,
        ctx: &WriteContext,
    ) -> Result<(Ticket, Message)> {
        let new = chat.ticket();
        let (ticket, message) = self
            .open_ticket(actor, new, Some(chat.message), ctx)
            .await?;
        let message = message.ok_or_else(|| {
            Error::Conflict("idempotency key was used for a ticket without a first message".into())
        })?;
        Ok((ticket, message))
    }

    async fn open_ticket(
        &self,
        actor: &Actor,
        new: NewTicket,
        first_message: Option<crate::MessageBody>,
        ctx: &WriteContext,
    ) -> Result<(Ticket, Option<Message>)> {
        let draft = TicketDraft {
            employee: Author::of(actor),
            ticket: new,
            first_message,
            idempotency_key: ctx.idempotency_key.clone(),
            at: time::now(),
            sla: self.sla_targets(),
        };
        let created = self.inner.store.create_ticket(&draft).await?;
        // New or not, the store returned the ticket: its owner is known now and for good.
        let (Created::New((ticket, _)) | Created::Existing((ticket, _))) = &created;
        self.inner.owners.remember(ticket.id, ticket.employee_id);
        match created {
            Created::Existing((ticket, message)) => {
                // Priority and status may have been changed by staff since; the rest is fixed.
                let same = ticket.employee_id == actor.id
                    && ticket.subject == draft.ticket.subject.as_str()
                    && ticket.description == draft.ticket.description.as_str()
                    && ticket.category == draft.ticket.category
                    && message.as_ref().map(|m| m.content.as_str())
                        == draft.first_message.as_ref().map(|b| b.as_str());
                if !same {
                    return Err(reused_key());
                }
                Ok((ticket, message))
            }
            Created::New((ticket, message)) => {
                let except = ctx.socket_id.clone();
                self.publish(
                    Event::Staff(StaffEvent::TicketCreated(ticket.clone())),
                    except.clone(),
                )
                .await;
                if let Some(m) = &message {
                    self.publish(Event::Staff(StaffEvent::MessageCreated(m.clone())), except)
                        .await;
                }
                self.publish_stats().await;
                Ok((ticket, message))
            }
        }
    }

    /// The caller's own tickets, latest activity first: the live ones, or (`archived`) the
    /// archived ones ([`crate::archive`]).
    pub async fn my_tickets(
        &self,
        actor: &Actor,
        archived: bool,
        page: &PageRequest,
    ) -> Result<Page<Ticket>> {
        let filter = TicketFilter {
            employee_id: Some(actor.id),
            archived: Some(archived),
            ..TicketFilter::default()
        };
        self.ticket_page(filter, TicketOrder::Activity, page).await
    }

    /// A ticket the caller may see, with the newest messages they may see.
    pub async fn show_ticket(&self, actor: &Actor, id: TicketId) -> Result<TicketView> {
        let ticket = self.visible_ticket(actor, id).await?;
        let mut messages = self
            .inner
            .store
            .messages(&MessageQuery {
                ticket_id: id,
                position: MessagePosition::Latest,
                limit: Self::MESSAGE_PAGE.0 + 1,
                include_internal: Policy::can_see_internal(actor),
            })
            .await?;
        let has_older = messages.len() > Self::MESSAGE_PAGE.0 as usize;
        if has_older {
            messages.remove(0);
        }
        let activity = self.inner.store.audit_trail(id).await?;
        Ok(TicketView {
            ticket,
            messages,
            has_older,
            activity,
        })
    }

    /// The whole conversation of a ticket the caller may see, for export: every message they
    /// may see (an employee's never holds an internal note), oldest first, up to
    /// [`Transcript::MAX_MESSAGES`], with the ticket's event lines and the names they mention.
    /// The export is recorded in the audit log, with `format` (`txt`, `json`, `html`).
    pub async fn transcript(
        &self,
        actor: &Actor,
        id: TicketId,
        format: &str,
    ) -> Result<Transcript> {
        let ticket = self.visible_ticket(actor, id).await?;
        let include_internal = Policy::can_see_internal(actor);
        let page = Self::MESSAGE_PAGE.1;
        let mut messages: Vec<Message> = Vec::new();
        let mut truncated = false;
        loop {
            let position = messages
                .last()
                .map_or(MessagePosition::After(MessageId(i64::MIN)), |m| {
                    MessagePosition::After(m.id)
                });
            let found = self
                .inner
                .store
                .messages(&MessageQuery {
                    ticket_id: id,
                    position,
                    limit: page,
                    include_internal,
                })
                .await?;
            let full = found.len() == page as usize;
            messages.extend(found);
            if messages.len() > Transcript::MAX_MESSAGES {
                messages.truncate(Transcript::MAX_MESSAGES);
                truncated = true;
                break;
            }
            if !full {
                break;
            }
        }
        let activity = self.inner.store.audit_trail(id).await?;
        let mut names = std::collections::BTreeMap::new();
        for e in &activity {
            if let crate::audit::Change::AssignedTo {
                after: Some(to), ..
            } = e.change
            {
                if let std::collections::btree_map::Entry::Vacant(slot) = names.entry(to) {
                    if let Some(user) = self.inner.directory.actor(to).await? {
                        slot.insert(user.name);
                    }
                }
            }
        }
        let exported = crate::audit::Action::TranscriptExported {
            format: format.to_owned(),
            internal: include_internal,
        };
        self.record(Some(actor), &actor.name, None, Some(id), exported)
            .await?;
        Ok(Transcript {
            ticket,
            messages,
            activity,
            names,
            includes_internal: include_internal,
            truncated,
            exported_at: time::now(),
        })
    }

    /// Posts a chat message, comment or (staff only) internal note. Public messages are
    /// broadcast as `chat.message` on the ticket's channel; every message as `message.created`
    /// to staff. The sender's socket is left out of both.
    pub async fn post_message(
        &self,
        actor: &Actor,
        ticket_id: TicketId,
        message: NewMessage,
        ctx: &WriteContext,
    ) -> Result<Message> {
        let owner = self.visible_owner(actor, ticket_id).await?;
        Policy::check_post(actor, owner, message.visibility)?;
        let keyed = ctx.idempotency_key.is_some();
        let attachments = self
            .resolve_attachments(actor, ticket_id, &message.attachments, keyed)
            .await?;
        let draft = MessageDraft {
            ticket_id,
            author: Author::of(actor),
            author_type: Policy::author_type(actor, owner),
            message,
            attachments,
            idempotency_key: ctx.idempotency_key.clone(),
            at: time::now(),
        };
        match self.inner.store.append_message(&draft).await? {
            Created::Existing(Appended { message: m, .. }) => {
                let same = m.ticket_id == ticket_id
                    && m.content == draft.message.body.as_str()
                    && m.is_internal == (draft.message.visibility == crate::Visibility::Internal)
                    && m.attachments.iter().map(|a| a.id).eq(draft
                        .message
                        .attachments
                        .iter()
                        .copied());
                if same { Ok(m) } else { Err(reused_key()) }
            }
            Created::New(Appended {
                message: m,
                reopened,
            }) => {
                let except = ctx.socket_id.clone();
                if let Some(public) = m.clone().public() {
                    self.publish(
                        Event::Ticket(ticket_id, TicketEvent::ChatMessage(public)),
                        except.clone(),
                    )
                    .await;
                }
                self.publish(
                    Event::Staff(StaffEvent::MessageCreated(m.clone())),
                    except.clone(),
                )
                .await;
                if let Some(update) = reopened {
                    self.publish_update(&update, &draft.author, m.created_at, except)
                        .await;
                }
                Ok(m)
            }
        }
    }

    /// A page of a ticket's messages the caller may see, oldest first: `After(id)` to catch
    /// up, `Before(id)` for older history, `Latest` for the newest.
    pub async fn messages(
        &self,
        actor: &Actor,
        ticket_id: TicketId,
        position: MessagePosition,
        limit: Option<u32>,
    ) -> Result<Vec<Message>> {
        self.visible_owner(actor, ticket_id).await?;
        let limit = page_limit(limit, Self::MESSAGE_PAGE)?;
        self.inner
            .store
            .messages(&MessageQuery {
                ticket_id,
                position,
                limit,
                include_internal: Policy::can_see_internal(actor),
            })
            .await
    }

    // ----- staff side ----------------------------------------------------------------------

    /// Active tickets (open, in progress, pending), urgent first and longest waiting first
    /// within a priority, with the stats. Staff only.
    pub async fn dashboard(&self, actor: &Actor, page: &PageRequest) -> Result<Dashboard> {
        Policy::check_staff(actor)?;
        let filter = TicketFilter {
            statuses: Status::ACTIVE.to_vec(),
            ..TicketFilter::default()
        };
        let tickets = self.ticket_page(filter, TicketOrder::Queue, page).await?;
        let stats = self.inner.store.stats().await?;
        Ok(Dashboard { tickets, stats })
    }

    /// All tickets matching the filter, newest first. Staff only. A filter that says nothing
    /// of archived tickets ([`TicketFilter::archived`]) leaves them out.
    pub async fn list_tickets(
        &self,
        actor: &Actor,
        mut filter: TicketFilter,
        page: &PageRequest,
    ) -> Result<Page<Ticket>> {
        Policy::check_staff(actor)?;
        filter.archived = Some(filter.archived.unwrap_or(false));
        self.ticket_page(filter, TicketOrder::Newest, page).await
    }

    /// Changes status, priority or assignment. Staff only; the assignee must be staff.
    /// Broadcasts `ticket.updated` to the ticket's channel and to staff, and `stats.updated`
    /// when the counts moved. A patch that changes nothing writes and sends nothing. A retry
    /// with the same idempotency key from the same user answers the ticket as it is and
    /// changes, records and sends nothing again; the key on a different change is `Conflict`.
    pub async fn update_ticket(
        &self,
        actor: &Actor,
        ticket_id: TicketId,
        patch: TicketPatch,
        ctx: &WriteContext,
    ) -> Result<Ticket> {
        self.update_ticket_from(actor, ticket_id, patch, None, ctx)
            .await
    }

    /// [`SupportService::update_ticket`] made from the ticket at `expected_version` (a
    /// client's `If-Match`): when the ticket has changed since, [`Error::Stale`] with the
    /// ticket as it is, and nothing is written, recorded or sent. The version is compared in
    /// the store's write transaction. `None` is `update_ticket`.
    pub async fn update_ticket_from(
        &self,
        actor: &Actor,
        ticket_id: TicketId,
        patch: TicketPatch,
        expected_version: Option<i64>,
        ctx: &WriteContext,
    ) -> Result<Ticket> {
        Policy::check_staff(actor)?;
        if let Some(Some(assignee)) = patch.assigned_to {
            let user = self.inner.directory.actor(assignee).await?;
            if !user.as_ref().is_some_and(Policy::can_be_assigned) {
                return Err(Error::invalid(
                    "assigned_to",
                    "The selected assigned to is invalid.",
                ));
            }
        }
        let change = TicketChange {
            patch,
            author: Author::of(actor),
            idempotency_key: ctx.idempotency_key.clone(),
            expected_version,
            at: time::now(),
            sla: self.sla_targets(),
        };
        let update = self
            .inner
            .store
            .update_ticket(ticket_id, &change)
            .await?
            .ok_or(Error::NotFound)?;
        if !update.changes.is_empty() {
            self.publish_update(&update, &change.author, change.at, ctx.socket_id.clone())
                .await;
        }
        Ok(update.after)
    }

    /// The badge counts, exact now. Staff only.
    pub async fn stats(&self, actor: &Actor) -> Result<Stats> {
        Policy::check_staff(actor)?;
        self.inner.store.stats().await
    }

    /// Every user of the directory, in id order: the names staff screens show and the people
    /// a ticket can be assigned to. Staff only.
    pub async fn users(&self, actor: &Actor) -> Result<Vec<Actor>> {
        Policy::check_staff(actor)?;
        let mut users = self.inner.directory.users().await?;
        users.sort_by_key(|u| u.id);
        Ok(users)
    }

    /// Every recorded change of a ticket, oldest first. Staff only.
    pub async fn audit_trail(&self, actor: &Actor, ticket_id: TicketId) -> Result<Vec<AuditEntry>> {
        Policy::check_staff(actor)?;
        self.visible_owner(actor, ticket_id).await?;
        self.inner.store.audit_trail(ticket_id).await
    }

    // ----- realtime ------------------------------------------------------------------------

    /// `Ok` if `actor` may join `channel` (the Pusher channel authorization).
    /// Refusals are [`Error::Forbidden`], whether or not the ticket exists.
    pub async fn authorize_channel(&self, actor: &Actor, channel: &Channel) -> Result<()> {
        let owner = match channel.ticket() {
            Some(id) => self.owner(id).await?,
            None => None,
        };
        if Policy::can_join(actor, channel, owner) {
            Ok(())
        } else {
            Err(Error::Forbidden("may not join this channel"))
        }
    }

    /// Closes every open realtime connection of `user`, on every node: publishes
    /// [`Dispatch::DisconnectUser`] through the broadcaster (or the bus), and each node's
    /// websocket hub closes that user's connections with 4009 ("unauthorized", which tells
    /// clients not to reconnect unchanged); they leave their channels and presence as a normal
    /// close does. Other users' connections are untouched. A connection is the user's once one
    /// of its subscriptions was signed with `channel_data` naming the user, which is how
    /// channel auth signs every join it allows.
    ///
    /// Call it after revoking the user's access (an admin disabled them), once their sessions
    /// and tokens no longer identify them. It ends no session and no token itself, and it does
    /// not stop a new connection: the embedder's identity must refuse the user from now on, or
    /// the client reconnects and signs in to its channels again. There is no policy check: it
    /// carries out a decision the caller has already made.
    ///
    /// Fails only if the broadcaster (the bus) does not take the notice (typically
    /// [`Error::Unavailable`]); nothing was closed then, and calling it again is harmless.
    pub async fn disconnect_user(&self, user: UserId) -> Result<()> {
        self.inner
            .broadcaster
            .publish(Dispatch::DisconnectUser(user))
            .await
    }

    // ----- internals -----------------------------------------------------------------------

    async fn visible_ticket(&self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        let ticket = self.inner.store.ticket(id).await?.ok_or(Error::NotFound)?;
        self.inner.owners.remember(id, ticket.employee_id);
        Policy::check_view(actor, ticket.employee_id)?;
        Ok(ticket)
    }

    /// The owner of a ticket `actor` may see; `NotFound` for a missing ticket and for one the
    /// actor may not see alike. Reads the ticket only the first time (see [`Owners`]).
    async fn visible_owner(&self, actor: &Actor, id: TicketId) -> Result<UserId> {
        let owner = self.owner(id).await?.ok_or(Error::NotFound)?;
        Policy::check_view(actor, owner)?;
        Ok(owner)
    }

    /// Message `id` of ticket `ticket_id` if `actor` may see it (an internal note only for
    /// staff); `None` otherwise. The ticket itself must have been checked.
    async fn visible_message(
        &self,
        actor: &Actor,
        ticket_id: TicketId,
        id: MessageId,
    ) -> Result<Option<Message>> {
        let found = self
            .inner
            .store
            .messages(&MessageQuery {
                ticket_id,
                position: MessagePosition::After(MessageId(id.get().saturating_sub(1))),
                limit: 1,
                include_internal: Policy::can_see_internal(actor),
            })
            .await?;
        Ok(found.into_iter().next().filter(|m| m.id == id))
    }

    /// The owner of a ticket, `None` if there is no such ticket.
    async fn owner(&self, id: TicketId) -> Result<Option<UserId>> {
        if let Some(owner) = self.inner.owners.get(id) {
            return Ok(Some(owner));
        }
        let Some(ticket) = self.inner.store.ticket(id).await? else {
            return Ok(None);
        };
        self.inner.owners.remember(id, ticket.employee_id);
        Ok(Some(ticket.employee_id))
    }

    async fn ticket_page(
        &self,
        filter: TicketFilter,
        order: TicketOrder,
        page: &PageRequest,
    ) -> Result<Page<Ticket>> {
        let limit = page_limit(page.limit, Self::TICKET_PAGE)?;
        let after = page.cursor.as_deref().map(TicketKey::decode).transpose()?;
        let mut data = self
            .inner
            .store
            .tickets(&TicketQuery {
                filter,
                order,
                after,
                limit: limit + 1,
            })
            .await?;
        let next_cursor = if data.len() > limit as usize {
            data.truncate(limit as usize);
            data.last().map(|t| TicketKey::of(t).encode())
        } else {
            None
        };
        Ok(Page { data, next_cursor })
    }

    /// Runs `job` on this service now and then once every `every`, until the task is aborted.
    /// A run that overruns delays the next tick rather than bunching them. The one loop behind
    /// the SLA sweep and the daily archiving.
    fn spawn_every<F, Fut>(&self, every: std::time::Duration, job: F) -> tokio::task::JoinHandle<()>
    where
        F: Fn(SupportService) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let service = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                job(service.clone()).await;
            }
        })
    }

    async fn publish(&self, event: Event, except: Option<SocketId>) {
        let broadcast = Arc::new(Broadcast { event, except });
        let dispatch = Dispatch::Event(broadcast.clone());
        if let Err(e) = self.inner.broadcaster.publish(dispatch).await {
            tracing::warn!(
                channel = %broadcast.channel(),
                event = broadcast.name(),
                error = %e,
                "broadcast failed; clients will catch up from the store"
            );
        }
    }

    /// After a committed change of a ticket (a staff change, or a reopening reply):
    /// `ticket.updated` on the ticket's channel and to staff, and `stats.updated` when the
    /// counts moved.
    async fn publish_update(
        &self,
        update: &TicketUpdate,
        by: &Author,
        at: time::Timestamp,
        except: Option<SocketId>,
    ) {
        let (ticket, changes) = (update.after.clone(), update.changes.clone());
        let actor = EventActor {
            id: by.id,
            full_name: by.name.clone(),
        };
        self.publish(
            Event::Ticket(
                ticket.id,
                TicketEvent::TicketUpdated {
                    ticket: ticket.clone(),
                    changes: changes.clone(),
                    actor: actor.clone(),
                    at,
                },
            ),
            except.clone(),
        )
        .await;
        self.publish(
            Event::Staff(StaffEvent::TicketUpdated {
                ticket,
                changes,
                actor,
                at,
            }),
            except,
        )
        .await;
        let counts = |t: &Ticket| Stats::of(t.status, t.priority);
        if counts(&update.before) != counts(&update.after) {
            self.publish_stats().await;
        }
    }

    async fn publish_stats(&self) {
        let _gate = self.inner.stats_gate.lock().await;
        match self.inner.store.stats().await {
            Ok(stats) => {
                self.publish(Event::Staff(StaffEvent::StatsUpdated(stats)), None)
                    .await
            }
            Err(e) => tracing::warn!(error = %e, "could not read stats to broadcast them"),
        }
    }
}

fn reused_key() -> Error {
    Error::Conflict("the Idempotency-Key was already used for a different request".into())
}

/// The requested page size: the default when absent, at most the maximum, at least 1.
fn page_limit(requested: Option<u32>, (default, max): (u32, u32)) -> Result<u32> {
    match requested {
        None => Ok(default),
        Some(0) => Err(Error::invalid(
            "limit",
            "The limit field must be at least 1.",
        )),
        Some(n) => Ok(n.min(max)),
    }
}

pub use sla::{LabelledRow, Report};

mod archive;
mod attachments;
mod audit;
mod canned;
mod reactions;
mod reads;
mod search;
mod sla;
#[cfg(test)]
mod tests;
