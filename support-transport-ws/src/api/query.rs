//! The query strings of the list and page routes. Every field arrives as text and is checked
//! here, so that a bad value is a 422 that names the field (Laravel's validation answer).

use serde::Deserialize;
use support_core::store::{MessagePosition, TicketFilter};
use support_core::{
    Category, Error, FieldErrors, MessageId, PageRequest, Priority, Result, Status, UserId,
    validate,
};
use utoipa::openapi::schema::{KnownFormat, Object, Schema, SchemaFormat, Type};
use utoipa::openapi::{ArrayBuilder, OneOfBuilder, Ref, RefOr};
use utoipa::{IntoParams, ToSchema};

/// `?cursor=&limit=`: a page of tickets.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// The `next_cursor` of the previous page; absent for the first page.
    cursor: Option<String>,
    /// Page size: 25 if absent, at most 100 (larger values are read as 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<String>,
}

impl PageQuery {
    pub(crate) fn page(&self) -> Result<PageRequest> {
        page(self.cursor.as_deref(), self.limit.as_deref())
    }
}

fn page(cursor: Option<&str>, limit: Option<&str>) -> Result<PageRequest> {
    Ok(PageRequest {
        cursor: cursor.map(str::to_owned),
        limit: parse_limit(limit)?,
    })
}

fn parse_limit(raw: Option<&str>) -> Result<Option<u32>> {
    raw.map(|l| {
        l.trim()
            .parse::<u32>()
            .map_err(|_| Error::invalid("limit", "The limit field must be an integer."))
    })
    .transpose()
}

/// `?archived=&cursor=&limit=`: a page of the caller's own tickets, live or archived.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct OwnListQuery {
    /// `true`: the archived tickets only (closed ones archived after a while); absent or
    /// `false`: the others.
    #[param(value_type = Option<bool>)]
    archived: Option<String>,
    /// The `next_cursor` of the previous page; absent for the first page.
    cursor: Option<String>,
    /// Page size: 25 if absent, at most 100 (larger values are read as 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<String>,
}

impl OwnListQuery {
    pub(crate) fn page(&self) -> Result<PageRequest> {
        page(self.cursor.as_deref(), self.limit.as_deref())
    }

    pub(crate) fn archived(&self) -> Result<bool> {
        archived(self.archived.as_deref())
    }
}

/// `archived`: a boolean as Laravel's `boolean` rule reads one (`true`, `false`, `1`, `0`);
/// absent or empty: `false`.
pub(crate) fn archived(raw: Option<&str>) -> Result<bool> {
    match raw.map(str::trim) {
        None | Some("" | "false" | "0") => Ok(false),
        Some("true" | "1") => Ok(true),
        Some(_) => Err(Error::invalid(
            "archived",
            "The archived field must be true or false.",
        )),
    }
}

/// `?after=&before=&limit=`: a page of a ticket's messages.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct MessagesQuery {
    /// The messages after this message id, oldest first: how a client that reconnects
    /// catches up. Not with `before`.
    #[param(value_type = Option<i64>)]
    after: Option<String>,
    /// The messages before this message id (paging back), oldest first. Not with `after`.
    #[param(value_type = Option<i64>)]
    before: Option<String>,
    /// How many: 50 if absent, at most 200 (larger values are read as 200). Without `after`
    /// or `before`, the latest ones.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<String>,
}

impl MessagesQuery {
    /// Where the page starts: after a message, before one, or the latest.
    pub(crate) fn position(&self) -> Result<MessagePosition> {
        let id = |field: &str, raw: &str| {
            raw.trim().parse::<i64>().map(MessageId).map_err(|_| {
                Error::invalid(field, format!("The {field} field must be an integer."))
            })
        };
        match (&self.after, &self.before) {
            (Some(_), Some(_)) => Err(Error::invalid("before", "Give after or before, not both.")),
            (Some(a), None) => Ok(MessagePosition::After(id("after", a)?)),
            (None, Some(b)) => Ok(MessagePosition::Before(id("before", b)?)),
            (None, None) => Ok(MessagePosition::Latest),
        }
    }

    /// How many messages at most.
    pub(crate) fn limit(&self) -> Result<Option<u32>> {
        parse_limit(self.limit.as_deref())
    }
}

/// The staff ticket list: filters `status` (comma-separated, empty items skipped),
/// `priority`, `category`, `assigned_to` (an id, or `none`), `q` (text), `archived`, and
/// paging `cursor`, `limit`. An empty filter is no filter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    #[param(schema_with = status_filter, style = Form, explode = false)]
    status: Option<String>,
    #[param(schema_with = priority_filter)]
    priority: Option<String>,
    #[param(schema_with = category_filter)]
    category: Option<String>,
    #[param(schema_with = assigned_to_filter)]
    assigned_to: Option<String>,
    /// Text in the subject or description (at most 255 characters).
    #[param(max_length = 255)]
    q: Option<String>,
    /// `true`: archived tickets only (closed ones archived after a while); absent or `false`:
    /// the others.
    #[param(value_type = Option<bool>)]
    archived: Option<String>,
    /// The `next_cursor` of the previous page; absent for the first page.
    cursor: Option<String>,
    /// Page size: 25 if absent, at most 100 (larger values are read as 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<String>,
}

/// `status`: a list; empty items are skipped, so an empty list (`status=`) is no filter.
fn status_filter() -> RefOr<Schema> {
    ArrayBuilder::new()
        .description(Some(
            "Any of these statuses, comma-separated (`open,in_progress`); empty: any.",
        ))
        .items(
            OneOfBuilder::new()
                .item(Ref::from_schema_name(Status::name()))
                .item(empty()),
        )
        .into()
}

/// `priority`: one, or empty for any.
fn priority_filter() -> RefOr<Schema> {
    choice_or_empty::<Priority>("This priority; empty: any.")
}

/// `category`: one, or empty for any.
fn category_filter() -> RefOr<Schema> {
    choice_or_empty::<Category>("This category; empty: any.")
}

/// One of `T`'s values, or the empty string (no filter, as Laravel reads an empty field).
fn choice_or_empty<T: ToSchema>(description: &str) -> RefOr<Schema> {
    OneOfBuilder::new()
        .description(Some(description))
        .item(Ref::from_schema_name(T::name()))
        .item(empty())
        .into()
}

/// The empty string.
fn empty() -> Object {
    Object::builder()
        .schema_type(Type::String)
        .enum_values(Some([""]))
        .build()
}

/// `assigned_to`: an id, or a word for "nobody".
fn assigned_to_filter() -> RefOr<Schema> {
    OneOfBuilder::new()
        .description(Some(
            "Assigned to this user id, or unassigned (`none`; also `null`, `unassigned`); \
             empty: anyone or nobody.",
        ))
        .item(
            Object::builder()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
        )
        .item(
            Object::builder()
                .schema_type(Type::String)
                .enum_values(Some(["none", "null", "unassigned"])),
        )
        .item(empty())
        .into()
}

impl ListQuery {
    pub(crate) fn page(&self) -> Result<PageRequest> {
        page(self.cursor.as_deref(), self.limit.as_deref())
    }

    pub(crate) fn filter(&self) -> Result<TicketFilter> {
        let mut errors = FieldErrors::default();
        let given = |raw: &Option<String>| {
            raw.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let (status, priority, category) = (
            given(&self.status),
            given(&self.priority),
            given(&self.category),
        );
        let mut filter = TicketFilter::default();
        if let Some(s) = status {
            for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match validate::parse_choice::<Status>("status", part) {
                    Ok(v) => filter.statuses.push(v),
                    Err(_) => errors.add("status", "The selected status is invalid."),
                }
            }
        }
        if let Some(p) = priority {
            match validate::parse_choice::<Priority>("priority", &p) {
                Ok(v) => filter.priority = Some(v),
                Err(_) => errors.add("priority", "The selected priority is invalid."),
            }
        }
        if let Some(c) = category {
            match validate::parse_choice::<Category>("category", &c) {
                Ok(v) => filter.category = Some(v),
                Err(_) => errors.add("category", "The selected category is invalid."),
            }
        }
        match self.assigned_to.as_deref().map(str::trim) {
            None | Some("") => {}
            Some("none" | "null" | "unassigned") => filter.assigned_to = Some(None),
            Some(id) => match id.parse::<i64>() {
                Ok(id) => filter.assigned_to = Some(Some(UserId(id))),
                Err(_) => errors.add(
                    "assigned_to",
                    "The assigned to field must be an integer or none.",
                ),
            },
        }
        filter.text = self
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned);
        if filter
            .text
            .as_ref()
            .is_some_and(|q| q.chars().count() > 255)
        {
            errors.add("q", "The q field must not be greater than 255 characters.");
        }
        match archived(self.archived.as_deref()) {
            Ok(a) => filter.archived = Some(a),
            Err(_) => errors.add("archived", "The archived field must be true or false."),
        }
        errors.finish(|| filter)
    }
}
