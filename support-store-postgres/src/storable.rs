//! Text that Postgres cannot store. A `text` value cannot hold the NUL character, and `jsonb`
//! refuses the `\u0000` escape, while the domain's validation accepts NUL like any other
//! character. The store checks drafts up front so such input is an [`Error::Invalid`] naming
//! the field, as validation would report it, not an encoding failure from the server.

use support_core::store::{MessageDraft, TicketDraft};
use support_core::{Error, Result};

fn check(field: &str, value: &str) -> Result<()> {
    if value.contains('\0') {
        Err(Error::invalid(
            field,
            format!("The {field} field must not contain NUL characters."),
        ))
    } else {
        Ok(())
    }
}

/// Checks every text a new ticket writes.
pub(crate) fn ticket(d: &TicketDraft) -> Result<()> {
    check("subject", d.ticket.subject.as_str())?;
    check("description", d.ticket.description.as_str())?;
    if let Some(body) = &d.first_message {
        check("message", body.as_str())?;
    }
    check("author_name", &d.employee.name)
}

/// Checks every text a new message writes.
pub(crate) fn message(d: &MessageDraft) -> Result<()> {
    check("message", d.message.body.as_str())?;
    check("author_name", &d.author.name)?;
    for a in &d.message.attachments {
        for value in [&a.name, &a.url, &a.content_type] {
            check("attachments", value)?;
        }
    }
    Ok(())
}
