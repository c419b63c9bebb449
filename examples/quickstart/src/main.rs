//! Run with: `cargo run --release -p quickstart [-- sqlite://support.db]`
//!
//! A whole support conversation against a real SQLite file, with the live events each side
//! would receive printed as they arrive: an employee opens a ticket, staff see it on their
//! dashboard, both chat, staff leave an internal note the employee never receives, and resolve
//! the ticket. Run it twice: the file keeps everything, and the dashboard grows.

use std::time::Duration;

use support_core::*;
use support_store_sqlite::SqliteStore;

#[tokio::main]
async fn main() -> Result<()> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sqlite://support.db".to_owned());
    let store = SqliteStore::open(&url).await?;

    let alice = Actor::new(101, "Alice Employee", Role::Employee);
    let sam = Actor::new(201, "Sam Support", Role::Support);
    let hub = MemoryBroadcaster::default();
    let service = SupportService::new(
        store,
        hub.clone(),
        StaticDirectory::new([alice.clone(), sam.clone()]),
    );

    // Staff listen on the admin channel, as the dashboard does.
    let mut staff_feed = hub.subscribe(Channel::Admin, None);
    let printer = tokio::spawn(async move {
        while let Ok(event) = staff_feed.recv().await {
            println!("  [staff channel] {} {}", event.name(), event.payload());
        }
    });

    let none = WriteContext::default();
    println!("Alice opens a ticket:");
    let ticket = service
        .create_ticket(
            &alice,
            NewTicket::parse("Login issue", "Cannot access my account", "it", "high")?,
            &none,
        )
        .await?;
    println!(
        "  {} {:?} {:?}",
        ticket.ticket_number, ticket.status, ticket.priority
    );

    // Alice's browser listens on her ticket's channel.
    let mut alice_feed = hub.subscribe(Channel::Ticket(ticket.id), None);

    let say = |text: &str| Ok::<_, Error>(NewMessage::public(MessageBody::parse(text)?));
    service
        .post_message(
            &alice,
            ticket.id,
            say("I tried resetting my password but still cannot login")?,
            &none,
        )
        .await?;
    service
        .post_message(
            &sam,
            ticket.id,
            say("Let me check your account status...")?,
            &none,
        )
        .await?;
    let note = NewMessage::internal(MessageBody::parse("Account locked by 5 failed attempts")?);
    service.post_message(&sam, ticket.id, note, &none).await?;
    let patch = TicketPatch {
        status: Some(Status::Resolved),
        assigned_to: Some(Some(sam.id)),
        ..Default::default()
    };
    service.update_ticket(&sam, ticket.id, patch, &none).await?;

    println!("What Alice's ticket channel carried (no internal note):");
    while let Some(Ok(event)) = alice_feed.try_recv() {
        println!("  [ticket channel] {} {}", event.name(), event.payload());
    }

    let dashboard = service.dashboard(&sam, &PageRequest::default()).await?;
    println!(
        "Dashboard: {} active tickets, stats {:?}",
        dashboard.tickets.data.len(),
        dashboard.stats
    );
    for entry in service.audit_trail(&sam, ticket.id).await? {
        println!(
            "  audit: {} by {} at {}",
            describe(&entry.change),
            entry.actor_name,
            entry.at
        );
    }
    println!("Stored in {url}.");

    tokio::time::sleep(Duration::from_millis(50)).await;
    printer.abort();
    Ok(())
}

fn describe(change: &Change) -> String {
    match change {
        Change::Created {
            status,
            priority,
            category,
        } => format!("created ({status}, {priority}, {category})"),
        Change::Status { before, after } => format!("status {before} -> {after}"),
        Change::Priority { before, after } => format!("priority {before} -> {after}"),
        Change::AssignedTo { before, after } => format!("assigned {before:?} -> {after:?}"),
        other => format!("{other:?}"),
    }
}
