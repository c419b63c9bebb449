//! Who owns each ticket, remembered so that the requests that only need the owner (posting a
//! message, reading a page of messages, joining a ticket's channel) skip reading the ticket.
//!
//! Every rule of [`Policy`](crate::Policy) about a ticket depends only on its owner, and reading
//! the ticket first was a whole round trip to the store in front of every message. Remembering
//! the owner is safe without any invalidation, in one process and across many nodes on one
//! database alike, because an entry can never become wrong:
//!
//! - a ticket's owner is fixed when it is created: no store method changes `employee_id`
//!   ([`TicketPatch`](crate::TicketPatch) has no such field);
//! - tickets are never deleted, so an id that existed once keeps existing with that owner;
//! - only what a store returned is remembered (a ticket it read or one whose create it
//!   committed), never a guess, and a missing ticket is not remembered, so a ticket created
//!   later on another node is read when it is first asked for.
//!
//! A process must therefore be restarted if its database is replaced by one where the same ids
//! name other tickets (say, restored from a backup older than tickets it served).
//!
//! The cache is bounded, so a long-running node with millions of tickets keeps only the
//! recently used ones; an evicted ticket is simply read again.

use quick_cache::sync::Cache;

use crate::id::{TicketId, UserId};

/// A bounded map ticket id → owner, shared by every clone of a service.
pub(crate) struct Owners {
    cache: Cache<TicketId, UserId>,
}

impl Owners {
    /// How many tickets are remembered: at 16 bytes of key and value each, a few MB at most,
    /// and far more than the chats one node serves at once.
    pub(crate) const CAPACITY: usize = 100_000;

    /// An empty cache of [`Owners::CAPACITY`] tickets.
    pub(crate) fn new() -> Self {
        Owners {
            cache: Cache::new(Self::CAPACITY),
        }
    }

    /// The owner of `ticket`, if remembered.
    pub(crate) fn get(&self, ticket: TicketId) -> Option<UserId> {
        self.cache.get(&ticket)
    }

    /// Remembers the owner of a ticket the store has returned.
    pub(crate) fn remember(&self, ticket: TicketId, owner: UserId) {
        self.cache.insert(ticket, owner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_and_forgets_beyond_capacity() {
        let owners = Owners::new();
        owners.remember(TicketId(1), UserId(101));
        assert_eq!(owners.get(TicketId(1)), Some(UserId(101)));
        assert_eq!(owners.get(TicketId(2)), None);
        let n = i64::try_from(Owners::CAPACITY * 2).unwrap();
        for id in 10..10 + n {
            owners.remember(TicketId(id), UserId(id));
        }
        let kept = (10..10 + n)
            .filter(|id| owners.get(TicketId(*id)).is_some())
            .count();
        assert!(kept <= Owners::CAPACITY, "kept {kept}");
        assert!(kept > 0);
    }
}
