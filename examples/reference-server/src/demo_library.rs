//! The demo's canned responses and ticket templates: a few shared responses and two templates,
//! so that the composer's `/` list and the create form have something to offer. Seeded in demo
//! mode into a store that has none of either kind (never twice, never over an admin's own).

use support_core::canned::{CannedDraft, TemplateDraft};
use support_core::{Category, Priority, SupportStore, UserId, time};

/// The shared responses: shortcut, title, body.
const RESPONSES: [(&str, &str, &str); 3] = [
    (
        "hello",
        "Greeting",
        "Hi {{employee.name}}, thanks for reaching out. I'm {{agent.name}} and I'm looking into {{ticket.number}} now.",
    ),
    (
        "reset-password",
        "Password reset",
        "Hi {{employee.name}}, I've sent a password reset link to your work email. It is valid for one hour.",
    ),
    (
        "closing",
        "Closing the ticket",
        "I'm marking {{ticket.number}} as resolved. Reply here if anything is still not working. — {{agent.name}}",
    ),
];

/// Seeds the shared responses (owned by `admin`) and the templates when the store has no
/// shared response and no template.
pub(crate) async fn seed(store: &dyn SupportStore, admin: UserId) -> Result<(), String> {
    let failed = |e: support_core::Error| format!("demo canned responses: {e}");
    let shared = store.canned_responses(admin).await.map_err(failed)?;
    if !shared.iter().any(|r| r.shared) {
        for (shortcut, title, body) in RESPONSES {
            let draft = CannedDraft {
                shortcut: shortcut.into(),
                title: title.into(),
                body: body.into(),
                shared: true,
                owner_id: admin,
                at: time::now(),
            };
            store
                .save_canned_response(None, &draft)
                .await
                .map_err(failed)?;
        }
    }
    if store.ticket_templates().await.map_err(failed)?.is_empty() {
        let templates = [
            TemplateDraft {
                name: "VPN or network problem".into(),
                category: Category::It,
                priority: Priority::High,
                subject: "VPN: cannot connect".into(),
                description: "Since when:\nWhere (office / home):\nError message:\n".into(),
            },
            TemplateDraft {
                name: "Leave request question".into(),
                category: Category::Hr,
                priority: Priority::Low,
                subject: "Question about my leave".into(),
                description: "Dates concerned:\nQuestion:\n".into(),
            },
        ];
        for t in templates {
            store.save_ticket_template(None, &t).await.map_err(failed)?;
        }
    }
    Ok(())
}
