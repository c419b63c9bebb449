//! The audit log: every act on a ticket recorded by the write that does it, with who, what,
//! when and from where; nothing for a replay or a change that changed nothing; the activity a
//! subset of it under the same ids; the log's filters and pages; and who may read it.

use std::net::IpAddr;

use chrono::{Duration, TimeZone, Utc};

use super::*;
use crate::attachment::NewUpload;
use crate::audit::{Action, AuditQuery, AuditRecord, NewAuditRecord};
use crate::reaction::Emoji;

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

fn names(records: &[AuditRecord]) -> Vec<&'static str> {
    records.iter().map(|r| r.action.name()).collect()
}

pub async fn every_ticket_action_is_recorded_with_who_and_where(store: Store) {
    let f = Fixture::new(store.clone());
    let alice = f.alice.clone().from_origin(ip("10.0.0.1"));
    let sam = f.sam.clone().from_origin(ip("2001:db8::5"));
    let t = f
        .service
        .create_ticket(
            &alice,
            Fixture::ticket_input("audited", Priority::Low),
            &WriteContext::default(),
        )
        .await
        .unwrap();
    let file = f
        .service
        .upload_attachment(
            &alice,
            t.id,
            NewUpload {
                name: "screen.png".into(),
                content_type: "image/png".into(),
                size: 10,
                sha256: "ab".repeat(32),
            },
        )
        .await
        .unwrap();
    let body = serde_json::json!({"content": "see attached", "attachments": [file.id]});
    let said = f
        .service
        .post_message(
            &alice,
            t.id,
            NewMessage::from_json(&body, "content").unwrap(),
            &ctx_key("say"),
        )
        .await
        .unwrap();
    // A retry of the same post records nothing more.
    f.service
        .post_message(
            &alice,
            t.id,
            NewMessage::from_json(&body, "content").unwrap(),
            &ctx_key("say"),
        )
        .await
        .unwrap();
    let note = f.note(&sam, t.id, "checked the logs").await;
    let patch = TicketPatch {
        status: Some(Status::InProgress),
        priority: Some(Priority::High),
        ..TicketPatch::default()
    };
    f.patch(&sam, t.id, patch.clone()).await;
    // The same patch again changes nothing and records nothing.
    f.patch(&sam, t.id, patch).await;
    let thumbs = Emoji::parse("👍").unwrap();
    let ctx = WriteContext::default();
    f.service
        .react(&sam, t.id, said.id, thumbs.clone(), true, &ctx)
        .await
        .unwrap();
    f.service
        .react(&sam, t.id, said.id, thumbs.clone(), true, &ctx)
        .await
        .unwrap();
    f.service
        .react(&sam, t.id, said.id, thumbs.clone(), false, &ctx)
        .await
        .unwrap();
    f.service.transcript(&sam, t.id, "html").await.unwrap();

    let history = f.service.ticket_history(&f.ada, t.id).await.unwrap();
    assert_eq!(
        names(&history),
        [
            "ticket",
            "message.posted",
            "attachment.added",
            "message.posted",
            "ticket",
            "ticket",
            "reaction.added",
            "reaction.removed",
            "transcript.exported",
        ],
        "{history:#?}"
    );
    assert!(
        history.windows(2).all(|w| w[0].id < w[1].id),
        "oldest first"
    );
    assert!(history.iter().all(|r| r.ticket_id == Some(t.id)));
    for r in &history[..3] {
        assert_eq!(
            (r.actor_id, r.actor_name.as_str()),
            (Some(alice.id), "Alice Employee")
        );
        assert_eq!(r.origin, ip("10.0.0.1"), "{r:?}");
    }
    for r in &history[3..] {
        assert_eq!(
            (r.actor_id, r.origin),
            (Some(sam.id), ip("2001:db8::5")),
            "{r:?}"
        );
    }
    assert!(matches!(
        history[0].action,
        Action::Ticket(Change::Created {
            priority: Priority::Low,
            ..
        })
    ));
    assert_eq!(
        history[1].action,
        Action::MessagePosted {
            message_id: said.id,
            internal: false
        }
    );
    assert_eq!(
        history[2].action,
        Action::AttachmentAdded {
            message_id: said.id,
            attachment_id: file.id,
            filename: "screen.png".into()
        }
    );
    assert_eq!(
        history[3].action,
        Action::MessagePosted {
            message_id: note.id,
            internal: true
        }
    );
    assert_eq!(
        history[4].action,
        Action::Ticket(Change::Status {
            before: Status::Open,
            after: Status::InProgress
        })
    );
    assert_eq!(
        history[5].action,
        Action::Ticket(Change::Priority {
            before: Priority::Low,
            after: Priority::High
        })
    );
    assert_eq!(
        history[6].action,
        Action::ReactionAdded {
            message_id: said.id,
            emoji: thumbs.clone()
        }
    );
    assert_eq!(
        history[8].action,
        Action::TranscriptExported {
            format: "html".into(),
            internal: true
        }
    );
    let first = history[0].at;
    assert!(
        history.iter().all(|r| r.at >= first),
        "times follow the acts"
    );

    // The ticket's activity is the field changes of the log, under the same ids.
    let activity: Vec<AuditEntry> = history.iter().filter_map(AuditRecord::activity).collect();
    assert_eq!(store.audit_trail(t.id).await.unwrap(), activity);
    assert_eq!(activity.len(), 3);
}

pub async fn a_quick_chat_records_its_ticket_and_first_message(store: Store) {
    let f = Fixture::new(store.clone());
    let alice = f.alice.clone().from_origin(ip("192.0.2.7"));
    let chat = QuickChat::from_json(&serde_json::json!({"message": "printer on fire"})).unwrap();
    let (t, m) = f
        .service
        .quick_chat(&alice, chat, &WriteContext::default())
        .await
        .unwrap();
    let history = f.service.ticket_history(&f.sam, t.id).await.unwrap();
    assert_eq!(names(&history), ["ticket", "message.posted"]);
    assert_eq!(
        history[1].action,
        Action::MessagePosted {
            message_id: m.id,
            internal: false
        }
    );
    assert!(history.iter().all(|r| r.origin == ip("192.0.2.7")));
}

pub async fn the_audit_log_filters_and_pages_newest_first(store: Store) {
    let f = Fixture::new(store.clone());
    let base = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    let t = f.ticket(&f.alice, "filtered", Priority::Medium).await;
    let mut written = Vec::new();
    for i in 0..12i64 {
        let (actor_id, actor_name, action) = match i % 3 {
            0 => (
                Some(f.sam.id),
                "Sam Support",
                Action::SignedIn {
                    method: "password".into(),
                },
            ),
            1 => (
                None,
                "mallory@example.com",
                Action::SignInFailed {
                    method: "password".into(),
                    reason: "bad_credentials".into(),
                },
            ),
            _ => (
                Some(f.ada.id),
                "Ada Admin",
                Action::TranscriptExported {
                    format: "txt".into(),
                    internal: true,
                },
            ),
        };
        let r = NewAuditRecord {
            ticket_id: (i % 3 == 2).then_some(t.id),
            actor_id,
            actor_name: actor_name.into(),
            action,
            origin: ip("198.51.100.1"),
            at: base + Duration::minutes(i),
        };
        let stored = store.record_audit(&r).await.unwrap();
        assert_eq!(stored.clone().action, r.action);
        written.push(stored);
    }
    let ids = |rs: &[AuditRecord]| rs.iter().map(|r| r.id).collect::<Vec<_>>();
    let newest_first = |pred: &dyn Fn(&AuditRecord) -> bool| {
        let mut v: Vec<i64> = written.iter().filter(|r| pred(r)).map(|r| r.id).collect();
        v.reverse();
        v
    };
    let q = |query: AuditQuery| {
        let store = store.clone();
        async move {
            store
                .audit_log(&AuditQuery {
                    limit: 100,
                    ..query
                })
                .await
                .unwrap()
        }
    };
    // Stored as given, and read back the same.
    let all = q(AuditQuery::default()).await;
    for w in &written {
        assert_eq!(all.iter().find(|r| r.id == w.id), Some(w));
    }
    assert_eq!(
        ids(&q(AuditQuery {
            actor_id: Some(f.sam.id),
            ..AuditQuery::default()
        })
        .await),
        newest_first(&|r| r.actor_id == Some(f.sam.id))
    );
    let on_ticket = q(AuditQuery {
        ticket_id: Some(t.id),
        ..AuditQuery::default()
    })
    .await;
    assert!(on_ticket.iter().all(|r| r.ticket_id == Some(t.id)));
    assert_eq!(
        on_ticket
            .iter()
            .filter(|r| r.action.name() == "transcript.exported")
            .count(),
        4
    );
    assert_eq!(
        ids(&q(AuditQuery {
            actions: vec!["auth.sign_in_failed".into(), "auth.signed_in".into()],
            ..AuditQuery::default()
        })
        .await),
        newest_first(&|r| r.action.name().starts_with("auth."))
    );
    assert_eq!(
        ids(&q(AuditQuery {
            from: Some(base + Duration::minutes(3)),
            to: Some(base + Duration::minutes(6)),
            ..AuditQuery::default()
        })
        .await),
        newest_first(&|r| r.at >= base + Duration::minutes(3) && r.at < base + Duration::minutes(6))
    );
    // Pages of 5 by the last id: all, once each, newest first.
    let mut paged = Vec::new();
    let mut before_id = None;
    loop {
        let page = store
            .audit_log(&AuditQuery {
                before_id,
                limit: 5,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        assert!(page.len() <= 5);
        before_id = page.last().map(|r| r.id);
        paged.extend(ids(&page));
        if page.len() < 5 {
            break;
        }
    }
    assert_eq!(paged, ids(&all));
    assert!(paged.windows(2).all(|w| w[0] > w[1]));
}

pub async fn only_staff_read_a_tickets_history_and_only_admins_the_log(store: Store) {
    let f = Fixture::new(store);
    let t = f.ticket(&f.alice, "private", Priority::Medium).await;
    f.note(&f.sam, t.id, "internal").await;
    assert!(matches!(
        f.service.ticket_history(&f.alice, t.id).await,
        Err(Error::Forbidden(_))
    ));
    assert!(is_not_found(
        f.service.ticket_history(&f.sam, TicketId(999_999)).await
    ));
    assert_eq!(
        f.service.ticket_history(&f.hana, t.id).await.unwrap().len(),
        2
    );
    let all = AuditQuery {
        limit: 10,
        ..AuditQuery::default()
    };
    assert!(matches!(
        f.service.audit_log(&f.sam, &all).await,
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        f.service.audit_log(&f.alice, &all).await,
        Err(Error::Forbidden(_))
    ));
    assert_eq!(f.service.audit_log(&f.ada, &all).await.unwrap().len(), 2);
    // What an employee sees of the ticket is its activity alone: no note's record.
    let view = f.service.show_ticket(&f.alice, t.id).await.unwrap();
    assert!(
        view.activity
            .iter()
            .all(|e| matches!(e.change, Change::Created { .. }))
    );
}
