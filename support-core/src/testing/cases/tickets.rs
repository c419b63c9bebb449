//! Opening a ticket: the fields it stores, its unique number, and a quick chat's first
//! message.

use std::collections::HashSet;

use super::*;

pub async fn create_ticket_stores_fields_opens_and_numbers_it(store: Store) {
    let f = Fixture::new(store);
    let input =
        NewTicket::parse("  Login issue ", "Cannot access my account", "it", "high").unwrap();
    let t = f
        .service
        .create_ticket(&f.alice, input, &WriteContext::default())
        .await
        .unwrap();
    assert_eq!(t.subject, "Login issue", "subject is stored trimmed");
    assert_eq!(t.description, "Cannot access my account");
    assert_eq!(
        (t.category, t.priority, t.status),
        (Category::It, Priority::High, Status::Open)
    );
    assert_eq!(t.employee_id, f.alice.id);
    assert_eq!(t.assigned_to, None);
    assert_eq!(t.resolved_at, None);
    assert_eq!(t.created_at, t.updated_at);
    assert_eq!(t.ticket_number, TicketNumber::for_id(t.id));
    let read = f.store.ticket(t.id).await.unwrap().expect("stored");
    assert_eq!(read, t, "what create returns is what is stored");
}

pub async fn ticket_numbers_are_unique_under_concurrent_creation(store: Store) {
    let f = Arc::new(Fixture::new(store));
    let mut tasks = Vec::new();
    for i in 0..64 {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let owner = if i % 2 == 0 { &f.alice } else { &f.bob };
            f.ticket(owner, &format!("concurrent {i}"), Priority::Low)
                .await
        }));
    }
    let mut numbers = HashSet::new();
    let mut seen = HashSet::new();
    for t in tasks {
        let t = t.await.unwrap();
        assert_eq!(t.ticket_number, TicketNumber::for_id(t.id));
        assert!(
            numbers.insert(t.ticket_number.clone()),
            "duplicate number {}",
            t.ticket_number
        );
        assert!(seen.insert(t.id));
    }
    assert_eq!(f.list_all(TicketFilter::default()).await.len(), 64);
}

pub async fn quick_chat_creates_ticket_with_its_first_message(store: Store) {
    let f = Fixture::new(store);
    let chat = QuickChat::from_json(
        &serde_json::json!({"message": "My laptop will not boot", "priority": "urgent"}),
    )
    .unwrap();
    let (t, m) = f
        .service
        .quick_chat(&f.alice, chat, &WriteContext::default())
        .await
        .unwrap();
    assert_eq!(t.subject, "My laptop will not boot");
    assert_eq!(
        (t.priority, t.category, t.status),
        (Priority::Urgent, Category::Other, Status::Open)
    );
    assert_eq!(m.ticket_id, t.id);
    assert_eq!(
        (m.author_id, m.author_type, m.is_internal),
        (f.alice.id, AuthorType::Employee, false)
    );
    let view = f.service.show_ticket(&f.alice, t.id).await.unwrap();
    assert_eq!(view.messages, vec![m]);
    assert_eq!(f.store.stats().await.unwrap().urgent, 1);
}
