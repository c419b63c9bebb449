use std::sync::Arc;

use crate::*;

/// A service over the store under test, with an in-process hub and a fixed cast of users:
/// employees Alice (101) and Bob (102); staff Sam (support, 201), Ada (admin, 202) and
/// Hana (hr, 203).
pub struct Fixture {
    pub service: SupportService,
    pub hub: MemoryBroadcaster,
    pub store: Arc<dyn SupportStore>,
    pub alice: Actor,
    pub bob: Actor,
    pub sam: Actor,
    pub ada: Actor,
    pub hana: Actor,
}

impl Fixture {
    pub fn new(store: Arc<dyn SupportStore>) -> Self {
        let alice = Actor::new(101, "Alice Employee", Role::Employee);
        let bob = Actor::new(102, "Bob Employee", Role::Employee);
        let sam = Actor::new(201, "Sam Support", Role::Support);
        let ada = Actor::new(202, "Ada Admin", Role::Admin);
        let hana = Actor::new(203, "Hana HR", Role::Hr);
        let hub = MemoryBroadcaster::new(100_000);
        let directory = StaticDirectory::new([
            alice.clone(),
            bob.clone(),
            sam.clone(),
            ada.clone(),
            hana.clone(),
        ]);
        let service =
            SupportService::from_parts(store.clone(), Arc::new(hub.clone()), Arc::new(directory));
        Fixture {
            service,
            hub,
            store,
            alice,
            bob,
            sam,
            ada,
            hana,
        }
    }

    /// A fixture over a fresh [`MemoryStore`], for what the store does not decide.
    pub fn in_memory() -> Self {
        Self::new(Arc::new(MemoryStore::new()))
    }

    pub fn staff(&self) -> [&Actor; 3] {
        [&self.sam, &self.ada, &self.hana]
    }

    pub fn ticket_input(subject: &str, priority: Priority) -> NewTicket {
        NewTicket::parse(
            subject,
            &format!("{subject}: details"),
            "it",
            priority.as_str(),
        )
        .unwrap()
    }

    /// Opens a ticket for `owner`.
    pub async fn ticket(&self, owner: &Actor, subject: &str, priority: Priority) -> Ticket {
        self.service
            .create_ticket(
                owner,
                Self::ticket_input(subject, priority),
                &WriteContext::default(),
            )
            .await
            .unwrap()
    }

    /// Posts a public message.
    pub async fn say(&self, who: &Actor, ticket: TicketId, text: &str) -> Message {
        let body = NewMessage::public(MessageBody::parse(text).unwrap());
        self.service
            .post_message(who, ticket, body, &WriteContext::default())
            .await
            .unwrap()
    }

    /// Posts an internal note.
    pub async fn note(&self, who: &Actor, ticket: TicketId, text: &str) -> Message {
        let body = NewMessage::internal(MessageBody::parse(text).unwrap());
        self.service
            .post_message(who, ticket, body, &WriteContext::default())
            .await
            .unwrap()
    }

    /// Applies a staff patch.
    pub async fn patch(&self, who: &Actor, ticket: TicketId, patch: TicketPatch) -> Ticket {
        self.service
            .update_ticket(who, ticket, patch, &WriteContext::default())
            .await
            .unwrap()
    }

    /// Every message of a ticket that `who` may see, paging forward from the start.
    pub async fn all_messages(&self, who: &Actor, ticket: TicketId) -> Vec<Message> {
        let mut out: Vec<Message> = Vec::new();
        loop {
            let after = out.last().map_or(MessageId(0), |m| m.id);
            let page = self
                .service
                .messages(who, ticket, MessagePosition::After(after), Some(200))
                .await
                .unwrap();
            if page.is_empty() {
                return out;
            }
            out.extend(page);
        }
    }

    /// Every ticket of a staff list with this filter, paging through.
    pub async fn list_all(&self, filter: TicketFilter) -> Vec<Ticket> {
        let mut out = Vec::new();
        let mut page = PageRequest {
            cursor: None,
            limit: Some(100),
        };
        loop {
            let p = self
                .service
                .list_tickets(&self.sam, filter.clone(), &page)
                .await
                .unwrap();
            out.extend(p.data);
            match p.next_cursor {
                Some(c) => page.cursor = Some(c),
                None => return out,
            }
        }
    }

    /// Drains what a subscription has already received.
    pub fn drain(sub: &mut Subscription) -> Vec<Arc<Broadcast>> {
        let mut out = Vec::new();
        while let Some(r) = sub.try_recv() {
            out.push(r.expect("subscriber fell behind"));
        }
        out
    }
}
