//! A check for stores that write concurrent plain appends together (group commit): each caller
//! still gets its own message back, as stored, and a message for a missing ticket fails alone.

use std::sync::Arc;

use super::drafts::{message, simple_ticket};
use crate::store::{MessagePosition, MessageQuery, SupportStore};
use crate::{Error, Message, MessageId, TicketId, time};

/// Rounds of concurrent appends.
pub const ROUNDS: usize = 20;
/// Appends in flight at once in a round, over four tickets; one of them goes to a missing
/// ticket instead.
pub const PER_ROUND: usize = 48;

/// Runs [`ROUNDS`] rounds of [`PER_ROUND`] concurrent appends over four tickets, one of each
/// round to a missing ticket, and checks every answer against the store. Returns each ticket
/// with all its messages, oldest first, for the store's own checks.
pub async fn concurrent_appends_each_get_their_own_message<S: SupportStore>(
    store: Arc<S>,
) -> Vec<(TicketId, Vec<Message>)> {
    let mut tickets = Vec::new();
    for i in 0..4 {
        let (t, _) = store
            .create_ticket(&simple_ticket(i, "batch"))
            .await
            .unwrap()
            .into_inner();
        tickets.push(t.id);
    }
    let missing = TicketId(999);
    let odd_one = 17;
    for round in 0..ROUNDS {
        let mut tasks = Vec::new();
        for i in 0..PER_ROUND {
            let store = store.clone();
            let ticket = if i == odd_one {
                missing
            } else {
                tickets[i % tickets.len()]
            };
            let text = format!("round {round} {}message {i}", "é".repeat(i));
            tasks.push(tokio::spawn(async move {
                let r = store
                    .append_message(&message(ticket, 1, &text, time::now()))
                    .await;
                (ticket, text, r)
            }));
        }
        for task in tasks {
            let (ticket, text, result) = task.await.unwrap();
            match result {
                Ok(created) => {
                    let m = created.into_message();
                    assert_eq!((m.ticket_id, m.content.as_str()), (ticket, text.as_str()));
                    let q = MessageQuery {
                        ticket_id: ticket,
                        position: MessagePosition::After(MessageId(m.id.get() - 1)),
                        limit: 1,
                        include_internal: true,
                    };
                    assert_eq!(store.messages(&q).await.unwrap(), vec![m], "as answered");
                }
                Err(Error::NotFound) => assert_eq!(ticket, missing),
                Err(e) => panic!("{e:?}"),
            }
        }
    }

    let mut all = Vec::new();
    for (k, t) in tickets.iter().enumerate() {
        let q = MessageQuery {
            ticket_id: *t,
            position: MessagePosition::After(MessageId(0)),
            limit: 1000,
            include_internal: true,
        };
        let messages = store.messages(&q).await.unwrap();
        // PER_ROUND / 4 a round for each ticket, less the one sent to the missing ticket.
        let expected = ROUNDS * (PER_ROUND / 4 - usize::from(k == odd_one % 4));
        assert_eq!(messages.len(), expected, "ticket {k}");
        all.push((*t, messages));
    }
    all
}
