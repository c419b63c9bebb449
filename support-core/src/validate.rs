//! Validation: raw input in, typed values or field-level errors out.
//!
//! The bounds, counted in Unicode scalar values (an emoji is one character) after trimming
//! surrounding whitespace, which is also removed from what is stored:
//!
//! | field | bounds |
//! |---|---|
//! | message `content` / `message` | 1 to 2000 characters |
//! | ticket `subject` | 1 to 255 characters |
//! | ticket `description` | 1 to 10,000 characters |
//! | `attachments` | at most 10 upload ids (positive integers, no repeats); the service checks each is the caller's own upload on this ticket, on no message yet |
//!
//! ## Control characters
//!
//! One rule for every text field above, in every store: a control character (Unicode `Cc`,
//! U+0000 to U+001F and U+007F to U+009F) other than tab, line feed and carriage return is
//! **refused**, never stripped, with an error on the field the client sent
//! (`The content field must not contain control characters.`). NUL is one of them: no store
//! can be handed text that one of them (PostgreSQL) cannot hold. Refusing rather than
//! stripping keeps what is stored exactly what was sent, and the client hears why. See
//! [`is_refused_character`].
//!
//! Names are not client input: they come from the embedder's directory, and
//! [`crate::store::Author::of`] drops their control characters
//! ([`strip_control_characters`]) instead of failing the request. A search text (`q`) is not
//! stored either: one holding a refused character matches nothing.
//!
//! Error messages follow Laravel's wording, so a frontend written for the Laravel helpdesk
//! shows them as is.

use serde_json::{Map, Value};

use crate::error::{Error, FieldErrors, Result};
use crate::id::AttachmentId;
use crate::id::UserId;
use crate::message::Visibility;
use crate::ticket::{Category, Choice, Priority, Status, TicketPatch};

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The most characters accepted, after trimming.
            pub const MAX_CHARS: usize = $max;

            /// Trims and checks the text; the error names `field`.
            pub fn parse_field(field: &str, raw: &str) -> Result<Self> {
                let mut errors = FieldErrors::default();
                let value = check_text(&mut errors, field, raw, $max);
                errors.finish(|| $name(value))
            }

            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The validated text, owned.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

bounded_text!(
    /// A message's text: 1 to 2000 characters after trimming. Only [`MessageBody::parse`] (or
    /// `parse_field`) builds one, so an unchecked body cannot reach a store.
    MessageBody,
    2000
);
bounded_text!(
    /// A ticket's subject: 1 to 255 characters after trimming.
    Subject,
    255
);
bounded_text!(
    /// A ticket's description: 1 to 10,000 characters after trimming.
    Description,
    10_000
);

impl MessageBody {
    /// Checks a message's text, naming the field `content` in errors.
    pub fn parse(raw: &str) -> Result<Self> {
        Self::parse_field("content", raw)
    }
}

/// Laravel's name for a field in messages: `assigned_to` reads "assigned to".
fn label(field: &str) -> String {
    field.replace('_', " ")
}

/// True for the characters no text field accepts: the control characters except tab, line
/// feed and carriage return (see [the module docs](self#control-characters)).
pub fn is_refused_character(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// The text without any control character, tab and line breaks included: for one-line text
/// that does not come from a client, such as a user's name from the directory.
pub fn strip_control_characters(raw: &str) -> String {
    raw.chars().filter(|c| !c.is_control()).collect()
}

/// Records an error if the text holds a refused character anywhere, or unless 1..=max
/// characters remain after trimming.
fn check_text(errors: &mut FieldErrors, field: &str, raw: &str, max: usize) -> String {
    let trimmed = raw.trim();
    if raw.chars().any(is_refused_character) {
        errors.add(
            field,
            format!(
                "The {} field must not contain control characters.",
                label(field)
            ),
        );
    } else if trimmed.is_empty() {
        errors.add(field, format!("The {} field is required.", label(field)));
    } else if trimmed.chars().count() > max {
        errors.add(
            field,
            format!(
                "The {} field must not be greater than {max} characters.",
                label(field)
            ),
        );
    }
    trimmed.to_owned()
}

/// Parses an enumeration value; an unknown value names the field.
pub fn parse_choice<T: Choice>(field: &str, raw: &str) -> Result<T> {
    T::from_name(raw)
        .ok_or_else(|| Error::invalid(field, format!("The selected {} is invalid.", label(field))))
}

/// A validated new ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    /// One line.
    pub subject: Subject,
    /// The problem.
    pub description: Description,
    /// What it is about.
    pub category: Category,
    /// How urgent.
    pub priority: Priority,
}

impl NewTicket {
    /// Checks every field and reports all failures at once.
    pub fn parse(subject: &str, description: &str, category: &str, priority: &str) -> Result<Self> {
        let mut f = Form::default();
        let subject = f.text("subject", Some(subject), Subject::MAX_CHARS);
        let description = f.text("description", Some(description), Description::MAX_CHARS);
        let category = f.choice("category", Some(category));
        let priority = f.choice("priority", Some(priority));
        f.finish(|| Self::assemble(subject, description, category, priority))
    }

    /// From a JSON body `{subject, description, category, priority}`.
    pub fn from_json(body: &Value) -> Result<Self> {
        let mut f = Form::new(body);
        let subject = f.required_text("subject", Subject::MAX_CHARS);
        let description = f.required_text("description", Description::MAX_CHARS);
        let category = f.required_choice("category");
        let priority = f.required_choice("priority");
        f.finish(|| Self::assemble(subject, description, category, priority))
    }

    fn assemble(
        s: Option<String>,
        d: Option<String>,
        c: Option<Category>,
        p: Option<Priority>,
    ) -> Self {
        // `Form::finish` only calls this when every field parsed.
        NewTicket {
            subject: Subject(s.unwrap_or_default()),
            description: Description(d.unwrap_or_default()),
            category: c.unwrap_or(Category::Other),
            priority: p.unwrap_or(Priority::Medium),
        }
    }
}

/// A validated quick chat: a ticket opened by its first message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickChat {
    /// The first message; also the ticket's description, and its first line the subject.
    pub message: MessageBody,
    /// Defaults to `other`.
    pub category: Category,
    /// Defaults to `medium`.
    pub priority: Priority,
}

impl QuickChat {
    /// The longest subject derived from the first message, in characters.
    pub const SUBJECT_CHARS: usize = 80;

    /// From a JSON body `{message, category?, priority?}`.
    pub fn from_json(body: &Value) -> Result<Self> {
        let mut f = Form::new(body);
        let message = f.required_text("message", MessageBody::MAX_CHARS);
        let category = f.optional_choice("category").unwrap_or(Category::Other);
        let priority = f.optional_choice("priority").unwrap_or(Priority::Medium);
        f.finish(|| QuickChat {
            message: MessageBody(message.unwrap_or_default()),
            category,
            priority,
        })
    }

    /// The ticket this chat opens: subject from the message's first line, shortened with an
    /// ellipsis; the whole message as description.
    pub fn ticket(&self) -> NewTicket {
        let first_line = self
            .message
            .as_str()
            .lines()
            .next()
            .unwrap_or_default()
            .trim();
        let mut subject: String = first_line.chars().take(Self::SUBJECT_CHARS).collect();
        if first_line.chars().count() > Self::SUBJECT_CHARS {
            subject.pop();
            subject.push('…');
        }
        NewTicket {
            subject: Subject(subject),
            description: Description(self.message.as_str().to_owned()),
            category: self.category,
            priority: self.priority,
        }
    }
}

/// A validated new message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// The text.
    pub body: MessageBody,
    /// Public, or an internal note.
    pub visibility: Visibility,
    /// The uploads to attach, by id, in order: the service resolves them into the message's
    /// [`Attachment`](crate::Attachment)s.
    pub attachments: Vec<AttachmentId>,
}

impl NewMessage {
    /// The most attachments on one message.
    pub const MAX_ATTACHMENTS: usize = 10;

    /// A public message with no attachments.
    pub fn public(body: MessageBody) -> Self {
        NewMessage {
            body,
            visibility: Visibility::Public,
            attachments: Vec::new(),
        }
    }

    /// An internal note.
    pub fn internal(body: MessageBody) -> Self {
        NewMessage {
            body,
            visibility: Visibility::Internal,
            attachments: Vec::new(),
        }
    }

    /// From a JSON body whose text is in `text_field` (`content` for comments, `message` for
    /// chat), with optional `is_internal` and `attachments`.
    pub fn from_json(body: &Value, text_field: &str) -> Result<Self> {
        let mut f = Form::new(body);
        let text = f.required_text(text_field, MessageBody::MAX_CHARS);
        let internal = f.optional_bool("is_internal").unwrap_or(false);
        let attachments = f.attachments("attachments");
        f.finish(|| NewMessage {
            body: MessageBody(text.unwrap_or_default()),
            visibility: if internal {
                Visibility::Internal
            } else {
                Visibility::Public
            },
            attachments,
        })
    }
}

impl TicketPatch {
    /// From a JSON body with any of `status`, `priority`, `assigned_to` (`null` unassigns).
    /// Whether the assignee is a staff member is the service's check, not this one's.
    pub fn from_json(body: &Value) -> Result<Self> {
        let mut f = Form::new(body);
        let status: Option<Status> = f.optional_choice("status");
        let priority: Option<Priority> = f.optional_choice("priority");
        let assigned_to = f.optional_nullable_id("assigned_to");
        f.finish(|| TicketPatch {
            status,
            priority,
            assigned_to,
        })
    }
}

/// The `version` a ticket change is made from (see
/// [`Ticket::version`](crate::Ticket::version)), from a JSON body: absent or `null` is
/// `None`; anything but a positive integer is a validation error on `version`.
pub fn ticket_version(body: &Value) -> Result<Option<i64>> {
    match body.as_object().and_then(|m| m.get("version")) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().filter(|n| *n >= 1).map(Some).ok_or_else(|| {
            Error::invalid("version", "The version field must be a positive integer.")
        }),
    }
}

/// The ticket version of an `If-Match` header: `3`, `"3"` or `W/"3"`. Anything else (a list,
/// `*`, a tag that is not a positive integer) is a validation error on `If-Match`.
pub fn if_match_version(header: &str) -> Result<i64> {
    let tag = header.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    let tag = tag
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(tag);
    tag.parse::<i64>()
        .ok()
        .filter(|n| *n >= 1 && tag.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            Error::invalid(
                "If-Match",
                "The If-Match header must be the ticket's version, such as \"3\".",
            )
        })
}

/// Reads fields out of a JSON object and collects every error before giving up.
#[derive(Default)]
pub(crate) struct Form<'a> {
    fields: Option<&'a Map<String, Value>>,
    errors: FieldErrors,
}

impl<'a> Form<'a> {
    pub(crate) fn new(body: &'a Value) -> Self {
        Form {
            fields: body.as_object(),
            errors: FieldErrors::default(),
        }
    }

    pub(crate) fn finish<T>(self, value: impl FnOnce() -> T) -> Result<T> {
        self.errors.finish(value)
    }

    /// Records one more error on a field.
    pub(crate) fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.add(field, message);
    }

    /// A field that is absent or null reads as missing, as Laravel's `ConvertEmptyStringsToNull`
    /// makes it.
    pub(crate) fn get(&self, field: &str) -> Option<&'a Value> {
        self.fields
            .and_then(|m| m.get(field))
            .filter(|v| !v.is_null())
    }

    fn string(&mut self, field: &str) -> Option<&'a str> {
        match self.get(field)? {
            Value::String(s) => Some(s),
            _ => {
                self.errors.add(
                    field,
                    format!("The {} field must be a string.", label(field)),
                );
                None
            }
        }
    }

    fn text(&mut self, field: &str, raw: Option<&str>, max: usize) -> Option<String> {
        match raw {
            None => {
                self.errors
                    .add(field, format!("The {} field is required.", label(field)));
                None
            }
            Some(raw) => Some(check_text(&mut self.errors, field, raw, max)),
        }
    }

    pub(crate) fn required_text(&mut self, field: &str, max: usize) -> Option<String> {
        if self.get(field).is_none() {
            return self.text(field, None, max);
        }
        let raw = self.string(field)?;
        self.text(field, Some(raw), max)
    }

    fn choice<T: Choice>(&mut self, field: &str, raw: Option<&str>) -> Option<T> {
        let Some(raw) = raw else {
            self.errors
                .add(field, format!("The {} field is required.", label(field)));
            return None;
        };
        match parse_choice(field, raw) {
            Ok(v) => Some(v),
            Err(_) => {
                self.errors
                    .add(field, format!("The selected {} is invalid.", label(field)));
                None
            }
        }
    }

    pub(crate) fn required_choice<T: Choice>(&mut self, field: &str) -> Option<T> {
        if self.get(field).is_none() {
            return self.choice(field, None);
        }
        let raw = self.string(field)?;
        self.choice(field, Some(raw))
    }

    pub(crate) fn optional_choice<T: Choice>(&mut self, field: &str) -> Option<T> {
        self.get(field)?;
        self.required_choice(field)
    }

    pub(crate) fn optional_bool(&mut self, field: &str) -> Option<bool> {
        // Laravel's `boolean` rule: true, false, 1, 0, "1", "0".
        match self.get(field)? {
            Value::Bool(b) => Some(*b),
            Value::Number(n) if n.as_u64() == Some(1) => Some(true),
            Value::Number(n) if n.as_u64() == Some(0) => Some(false),
            Value::String(s) if s == "1" || s == "true" => Some(true),
            Value::String(s) if s == "0" || s == "false" => Some(false),
            _ => {
                self.errors.add(
                    field,
                    format!("The {} field must be true or false.", label(field)),
                );
                None
            }
        }
    }

    /// `None`: absent. `Some(None)`: explicitly null. `Some(Some(id))`: an id.
    fn optional_nullable_id(&mut self, field: &str) -> Option<Option<UserId>> {
        let present = self.fields.and_then(|m| m.get(field))?;
        let id = match present {
            Value::Null => return Some(None),
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        };
        match id {
            Some(id) if id > 0 => Some(Some(UserId(id))),
            _ => {
                self.errors.add(
                    field,
                    format!("The {} field must be an integer.", label(field)),
                );
                None
            }
        }
    }

    fn attachments(&mut self, field: &str) -> Vec<AttachmentId> {
        let Some(value) = self.get(field) else {
            return Vec::new();
        };
        let Some(items) = value.as_array() else {
            self.errors.add(
                field,
                format!("The {} field must be an array.", label(field)),
            );
            return Vec::new();
        };
        if items.len() > NewMessage::MAX_ATTACHMENTS {
            self.errors.add(
                field,
                format!(
                    "The {} field must not have more than {} items.",
                    label(field),
                    NewMessage::MAX_ATTACHMENTS
                ),
            );
            return Vec::new();
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_field = format!("{field}.{i}");
            match item.as_i64().filter(|id| *id > 0).map(AttachmentId) {
                Some(id) if out.contains(&id) => self.errors.add(
                    &item_field,
                    format!("The {item_field} field has a duplicate value."),
                ),
                Some(id) => out.push(id),
                None => self.errors.add(
                    &item_field,
                    format!("The {item_field} field must be an integer."),
                ),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn message_bodies_count_characters_not_bytes() {
        let emoji = "😀".repeat(2000);
        assert_eq!(MessageBody::parse(&emoji).unwrap().as_str(), emoji);
        let too_long = "😀".repeat(2001);
        let err = MessageBody::parse(&too_long).unwrap_err();
        assert!(err.to_string().contains("2000 characters"), "{err}");
    }

    #[test]
    fn message_bodies_are_trimmed_and_blank_is_missing() {
        assert_eq!(MessageBody::parse("  hi \n").unwrap().as_str(), "hi");
        let Error::Invalid(e) = MessageBody::parse(" \t\n ").unwrap_err() else {
            panic!()
        };
        assert_eq!(
            e.get("content").unwrap(),
            ["The content field is required."]
        );
        // 2000 characters plus surrounding spaces is still 2000 characters.
        let padded = format!("  {}  ", "a".repeat(2000));
        assert!(MessageBody::parse(&padded).is_ok());
    }

    #[test]
    fn ticket_forms_name_every_failing_field() {
        let Error::Invalid(e) =
            NewTicket::from_json(&json!({"subject": 5, "category": "cars", "priority": "high"}))
                .unwrap_err()
        else {
            panic!()
        };
        assert_eq!(
            e.get("subject").unwrap(),
            ["The subject field must be a string."]
        );
        assert_eq!(
            e.get("description").unwrap(),
            ["The description field is required."]
        );
        assert_eq!(
            e.get("category").unwrap(),
            ["The selected category is invalid."]
        );
        assert!(e.get("priority").is_none());
    }

    #[test]
    fn a_body_that_is_not_an_object_misses_every_field() {
        let Error::Invalid(e) = NewTicket::from_json(&json!([1, 2])).unwrap_err() else {
            panic!()
        };
        assert_eq!(e.fields().len(), 4);
    }

    #[test]
    fn patches_tell_null_from_absent() {
        let p = TicketPatch::from_json(&json!({"assigned_to": null})).unwrap();
        assert_eq!(p.assigned_to, Some(None));
        let p = TicketPatch::from_json(&json!({"status": "resolved"})).unwrap();
        assert_eq!(p.assigned_to, None);
        assert_eq!(p.status, Some(Status::Resolved));
        let p = TicketPatch::from_json(&json!({"assigned_to": "12"})).unwrap();
        assert_eq!(p.assigned_to, Some(Some(UserId(12))));
        assert!(TicketPatch::from_json(&json!({"assigned_to": "x"})).is_err());
        assert!(TicketPatch::from_json(&json!({"status": "done"})).is_err());
    }

    #[test]
    fn quick_chat_subject_is_the_shortened_first_line() {
        let long = format!("{}\nsecond line", "é".repeat(100));
        let q = QuickChat::from_json(&json!({ "message": long })).unwrap();
        let t = q.ticket();
        assert_eq!(t.subject.as_str().chars().count(), QuickChat::SUBJECT_CHARS);
        assert!(t.subject.as_str().ends_with('…'));
        assert_eq!(t.description.as_str(), long);
        assert_eq!(t.category, Category::Other);
        assert_eq!(t.priority, Priority::Medium);
    }

    #[test]
    fn control_characters_are_refused_on_the_field_sent_except_tab_and_line_breaks() {
        let field_of = |r: Result<NewMessage>| match r {
            Err(Error::Invalid(e)) => e.fields().keys().cloned().collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field_of(NewMessage::from_json(
                &json!({"content": "a\u{0}b"}),
                "content"
            )),
            ["content"]
        );
        assert_eq!(
            field_of(NewMessage::from_json(
                &json!({"message": "a\u{1b}[0m"}),
                "message"
            )),
            ["message"]
        );
        for c in [
            '\u{0}', '\u{7}', '\u{b}', '\u{c}', '\u{7f}', '\u{85}', '\u{9f}',
        ] {
            assert!(is_refused_character(c), "{c:?}");
            assert!(MessageBody::parse(&format!("a{c}b")).is_err(), "{c:?}");
        }
        let kept = "line\tone\r\nline two\n";
        assert_eq!(MessageBody::parse(kept).unwrap().as_str(), kept.trim());
        // Refused wherever it stands, even where trimming would have removed it.
        assert!(MessageBody::parse("\u{b}a").is_err());
        assert_eq!(strip_control_characters("Al\u{0}ice\n"), "Alice");
    }

    #[test]
    fn attachments_are_upload_ids_checked_item_by_item() {
        let body =
            json!({"content": "see file", "attachments": [7, "x", {"name": "a.png"}, 7, -1]});
        let Error::Invalid(e) = NewMessage::from_json(&body, "content").unwrap_err() else {
            panic!()
        };
        assert!(e.get("attachments.0").is_none());
        for refused in [
            "attachments.1",
            "attachments.2",
            "attachments.3",
            "attachments.4",
        ] {
            assert!(e.get(refused).is_some(), "{refused}: {e:?}");
        }
        let ok = NewMessage::from_json(&json!({"content": "x", "attachments": [3, 1]}), "content")
            .unwrap();
        assert_eq!(ok.attachments, [AttachmentId(3), AttachmentId(1)]);
        let many: Vec<i64> = (1..=11).collect();
        let body = json!({"content": "x", "attachments": many});
        assert!(NewMessage::from_json(&body, "content").is_err());
    }
}
