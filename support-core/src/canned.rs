//! Canned responses and ticket templates: what staff insert into a reply, and what an employee
//! starts a ticket from.
//!
//! A [`CannedResponse`] is shared (every staff member reads it, only admins manage it) or
//! personal (its owner's alone). Its body may hold the variables [`VARIABLES`]
//! (`{{employee.name}}`, `{{ticket.number}}`, `{{agent.name}}`, spaces inside the braces
//! allowed), which [`render`] fills in as plain text. A [`TicketTemplate`] holds the fields of
//! a new ticket for the create form to start from.
//!
//! The bounds, after trimming, in characters:
//!
//! | field | bounds |
//! |---|---|
//! | `shortcut` | 1 to 32 of `a-z`, `0-9`, `_`, `-` |
//! | `title` | 1 to 100 |
//! | `body` | 1 to 2000, only known variables |
//! | template `name` | 1 to 100 |
//! | template `subject`, `description` | a ticket's ([`Subject`], [`Description`]) |

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::Result;
use crate::id::{CannedResponseId, TicketTemplateId, UserId};
use crate::ticket::{Category, Priority};
use crate::time::Timestamp;
use crate::validate::{Description, Form, Subject};

/// The variables a canned response's body may use, by name (inside `{{ }}`).
pub const VARIABLES: [&str; 3] = ["employee.name", "ticket.number", "agent.name"];

/// A reply kept for reuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CannedResponse {
    /// The store's id.
    pub id: CannedResponseId,
    /// What staff type after `/` to find it: unique among shared ones, and among each owner's
    /// personal ones.
    pub shortcut: String,
    /// What the list shows.
    pub title: String,
    /// The text inserted, with its variables.
    pub body: String,
    /// Every staff member sees it (admins manage it); otherwise only its owner.
    pub shared: bool,
    /// Who made it (who owns it when it is personal).
    pub owner_id: UserId,
    /// When it was made.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When it last changed.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub updated_at: Timestamp,
}

/// What a store writes for a canned response: every field but the id and, on an update, the
/// creation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedDraft {
    /// See [`CannedResponse::shortcut`].
    pub shortcut: String,
    /// See [`CannedResponse::title`].
    pub title: String,
    /// See [`CannedResponse::body`].
    pub body: String,
    /// See [`CannedResponse::shared`].
    pub shared: bool,
    /// See [`CannedResponse::owner_id`].
    pub owner_id: UserId,
    /// The write's time: `created_at` of a new one, `updated_at` of any.
    pub at: Timestamp,
}

impl CannedDraft {
    /// The uniqueness scope of its shortcut: `0` for shared ones, the owner's id for personal
    /// ones (user ids are positive). Stores keep `(scope, shortcut)` unique.
    pub fn scope(&self) -> i64 {
        if self.shared { 0 } else { self.owner_id.get() }
    }

    /// The response this draft makes, for stores that build it themselves.
    pub fn stored(&self, id: CannedResponseId, created_at: Timestamp) -> CannedResponse {
        CannedResponse {
            id,
            shortcut: self.shortcut.clone(),
            title: self.title.clone(),
            body: self.body.clone(),
            shared: self.shared,
            owner_id: self.owner_id,
            created_at,
            updated_at: self.at,
        }
    }
}

/// A validated canned response from a client: `POST` gives every field, `PATCH` any of them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CannedFields {
    /// `shortcut`, if given.
    pub shortcut: Option<String>,
    /// `title`, if given.
    pub title: Option<String>,
    /// `body`, if given (its variables checked).
    pub body: Option<String>,
    /// `shared`, if given.
    pub shared: Option<bool>,
}

impl CannedFields {
    /// The longest shortcut.
    pub const SHORTCUT_CHARS: usize = 32;
    /// The longest title.
    pub const TITLE_CHARS: usize = 100;
    /// The longest body.
    pub const BODY_CHARS: usize = 2000;

    /// A new one: `shortcut`, `title` and `body` required, `shared` defaults to false.
    pub fn new_from_json(body: &Value) -> Result<Self> {
        Self::parse(body, true)
    }

    /// A change: any of the fields; those absent (or `null`) stay as they are.
    pub fn patch_from_json(body: &Value) -> Result<Self> {
        Self::parse(body, false)
    }

    fn parse(json: &Value, required: bool) -> Result<Self> {
        let mut f = Form::new(json);
        let text = |f: &mut Form<'_>, field: &str, max: usize| {
            (required || f.get(field).is_some())
                .then(|| f.required_text(field, max))
                .flatten()
        };
        let shortcut = text(&mut f, "shortcut", Self::SHORTCUT_CHARS);
        let title = text(&mut f, "title", Self::TITLE_CHARS);
        let body = text(&mut f, "body", Self::BODY_CHARS);
        let shared = f.optional_bool("shared");
        if let Some(s) = &shortcut {
            if !s.is_empty() && !is_shortcut(s) {
                f.error("shortcut", "The shortcut field format is invalid.");
            }
        }
        if let Some(b) = &body {
            for name in unknown_variables(b) {
                f.error(
                    "body",
                    format!(
                        "The body field uses an unknown variable {{{{{name}}}}}; the known ones are {{{{employee.name}}}}, {{{{ticket.number}}}} and {{{{agent.name}}}}."
                    ),
                );
            }
        }
        f.finish(|| CannedFields {
            shortcut,
            title,
            body,
            shared,
        })
    }
}

/// True for a shortcut's characters: `a-z`, `0-9`, `_`, `-` (the length is checked apart).
fn is_shortcut(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Every `{{ … }}` of a text: its byte range and its trimmed name. An opening `{{` with no
/// closing `}}` is text.
fn placeholders(text: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else {
            break;
        };
        found.push((open..close + 2, text[open + 2..close].trim()));
        from = close + 2;
    }
    found
}

/// The names between `{{ }}` that are not [`VARIABLES`], in order.
pub fn unknown_variables(text: &str) -> Vec<&str> {
    placeholders(text)
        .into_iter()
        .map(|(_, name)| name)
        .filter(|name| !VARIABLES.contains(name))
        .collect()
}

/// The values [`render`] fills in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderValues {
    /// `{{employee.name}}`: the ticket's employee.
    pub employee_name: String,
    /// `{{ticket.number}}`: the ticket's number as the API shows it (`TKT-000001`).
    pub ticket_number: String,
    /// `{{agent.name}}`: the staff member inserting it.
    pub agent_name: String,
}

/// The body with every known variable filled in, as plain text (nothing escaped: the UI
/// inserts it as text). An unknown `{{…}}` (which validation refuses) stays as it is.
///
/// ```
/// use support_core::canned::{RenderValues, render};
/// let values = RenderValues {
///     employee_name: "Ada".into(),
///     ticket_number: "TKT-000007".into(),
///     agent_name: "Sam".into(),
/// };
/// assert_eq!(
///     render("Hi {{ employee.name }}, {{ticket.number}} is fixed. <b>{{agent.name}}</b>", &values),
///     "Hi Ada, TKT-000007 is fixed. <b>Sam</b>"
/// );
/// ```
pub fn render(body: &str, values: &RenderValues) -> String {
    let mut out = String::with_capacity(body.len());
    let mut last = 0;
    for (range, name) in placeholders(body) {
        let value = match name {
            "employee.name" => &values.employee_name,
            "ticket.number" => &values.ticket_number,
            "agent.name" => &values.agent_name,
            _ => continue,
        };
        out.push_str(&body[last..range.start]);
        out.push_str(value);
        last = range.end;
    }
    out.push_str(&body[last..]);
    out
}

/// A ticket to start from: what the create form is filled with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketTemplate {
    /// The store's id.
    pub id: TicketTemplateId,
    /// What the form's menu shows.
    pub name: String,
    /// The ticket's category.
    pub category: Category,
    /// The ticket's priority.
    pub priority: Priority,
    /// The ticket's subject, a skeleton to complete.
    pub subject: String,
    /// The ticket's description, a skeleton to complete.
    pub description: String,
}

/// What a store writes for a template: every field but the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateDraft {
    /// See [`TicketTemplate::name`].
    pub name: String,
    /// See [`TicketTemplate::category`].
    pub category: Category,
    /// See [`TicketTemplate::priority`].
    pub priority: Priority,
    /// See [`TicketTemplate::subject`].
    pub subject: String,
    /// See [`TicketTemplate::description`].
    pub description: String,
}

impl TemplateDraft {
    /// The longest name.
    pub const NAME_CHARS: usize = 100;

    /// The template this draft makes.
    pub fn stored(&self, id: TicketTemplateId) -> TicketTemplate {
        TicketTemplate {
            id,
            name: self.name.clone(),
            category: self.category,
            priority: self.priority,
            subject: self.subject.clone(),
            description: self.description.clone(),
        }
    }

    /// A new template from JSON: every field required.
    pub fn from_json(body: &Value) -> Result<Self> {
        let mut f = Form::new(body);
        let name = f.required_text("name", Self::NAME_CHARS);
        let category = f.required_choice("category");
        let priority = f.required_choice("priority");
        let subject = f.required_text("subject", Subject::MAX_CHARS);
        let description = f.required_text("description", Description::MAX_CHARS);
        f.finish(|| TemplateDraft {
            name: name.unwrap_or_default(),
            category: category.unwrap_or(Category::Other),
            priority: priority.unwrap_or(Priority::Medium),
            subject: subject.unwrap_or_default(),
            description: description.unwrap_or_default(),
        })
    }

    /// `template` changed by the fields present in JSON (absent or `null` ones stay).
    pub fn patch_from_json(template: &TicketTemplate, body: &Value) -> Result<Self> {
        let mut f = Form::new(body);
        let text = |f: &mut Form<'_>, field: &str, max: usize, old: &str| {
            if f.get(field).is_some() {
                f.required_text(field, max).unwrap_or_default()
            } else {
                old.to_owned()
            }
        };
        let name = text(&mut f, "name", Self::NAME_CHARS, &template.name);
        let subject = text(&mut f, "subject", Subject::MAX_CHARS, &template.subject);
        let description = text(
            &mut f,
            "description",
            Description::MAX_CHARS,
            &template.description,
        );
        let category = f.optional_choice("category").unwrap_or(template.category);
        let priority = f.optional_choice("priority").unwrap_or(template.priority);
        f.finish(|| TemplateDraft {
            name,
            category,
            priority,
            subject,
            description,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn unknown_variables_are_refused_on_body_and_known_ones_with_spaces_pass() {
        let ok = CannedFields::new_from_json(&json!({
            "shortcut": "hello", "title": "Hello", "body": "Hi {{ employee.name }} re {{ticket.number}}"
        }))
        .unwrap();
        assert_eq!(ok.shared, None);
        let e = CannedFields::new_from_json(&json!({
            "shortcut": "hello", "title": "Hello", "body": "Hi {{x}}"
        }))
        .unwrap_err();
        let crate::Error::Invalid(errors) = e else {
            panic!("{e:?}")
        };
        assert!(errors.get("body").unwrap()[0].contains("{{x}}"));
        assert!(errors.get("shortcut").is_none());
    }

    #[test]
    fn shortcuts_are_lowercase_letters_digits_dashes_and_underscores_up_to_32() {
        for good in ["a", "reset-pw_2", &"x".repeat(32)] {
            assert!(
                CannedFields::patch_from_json(&json!({ "shortcut": good })).is_ok(),
                "{good}"
            );
        }
        for bad in ["Reset", "a b", "é", "", &"x".repeat(33), "a/b"] {
            let e = CannedFields::patch_from_json(&json!({ "shortcut": bad })).unwrap_err();
            let crate::Error::Invalid(errors) = e else {
                panic!("{e:?}")
            };
            assert!(errors.get("shortcut").is_some(), "{bad}");
        }
    }

    #[test]
    fn render_fills_every_known_variable_and_leaves_unclosed_braces() {
        let v = RenderValues {
            employee_name: "Ada {{agent.name}}".into(),
            ticket_number: "TKT-000001".into(),
            agent_name: "Sam".into(),
        };
        // A value holding braces is not rendered again.
        assert_eq!(
            render(
                "{{employee.name}}/{{ agent.name }}/{{ticket.number}} {{",
                &v
            ),
            "Ada {{agent.name}}/Sam/TKT-000001 {{"
        );
    }
}
