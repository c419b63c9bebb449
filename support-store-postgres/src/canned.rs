//! Canned responses and ticket templates: the `canned_responses` and `ticket_templates`
//! tables. Each write is one statement; a shortcut taken in its scope is
//! the unique index's violation, which `from_sqlx` makes a `Conflict`.

use sqlx::postgres::PgRow;
use support_core::canned::{CannedDraft, CannedResponse, TemplateDraft, TicketTemplate};
use support_core::{CannedResponseId, Choice, Result, TicketTemplateId, UserId};

use crate::error::from_sqlx;
use crate::row::{choice, get, timestamp};
use crate::store::PgStore;

const CANNED_COLUMNS: &str = "id, shortcut, title, body, shared, owner_id, created_at, updated_at";
const TEMPLATE_COLUMNS: &str = "id, name, category, priority, subject, description";

fn canned(row: &PgRow) -> Result<CannedResponse> {
    Ok(CannedResponse {
        id: CannedResponseId(get(row, "id")?),
        shortcut: get(row, "shortcut")?,
        title: get(row, "title")?,
        body: get(row, "body")?,
        shared: get(row, "shared")?,
        owner_id: UserId(get(row, "owner_id")?),
        created_at: timestamp(row, "created_at")?,
        updated_at: timestamp(row, "updated_at")?,
    })
}

fn template(row: &PgRow) -> Result<TicketTemplate> {
    Ok(TicketTemplate {
        id: TicketTemplateId(get(row, "id")?),
        name: get(row, "name")?,
        category: choice(row, "category")?,
        priority: choice(row, "priority")?,
        subject: get(row, "subject")?,
        description: get(row, "description")?,
    })
}

impl PgStore {
    pub(crate) async fn canned_for(&self, viewer: UserId) -> Result<Vec<CannedResponse>> {
        let found = sqlx::query(&format!(
            "SELECT {CANNED_COLUMNS} FROM canned_responses WHERE scope IN (0, $1) ORDER BY id"
        ))
        .bind(viewer.get())
        .fetch_all(self.pool())
        .await
        .map_err(from_sqlx)?;
        found.iter().map(canned).collect()
    }

    pub(crate) async fn save_canned(
        &self,
        id: Option<CannedResponseId>,
        d: &CannedDraft,
    ) -> Result<Option<CannedResponse>> {
        let query = match id {
            None => format!(
                "INSERT INTO canned_responses (shortcut, title, body, shared, owner_id, scope, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {CANNED_COLUMNS}"
            ),
            Some(_) => format!(
                "UPDATE canned_responses SET shortcut = $1, title = $2, body = $3, shared = $4, \
                 owner_id = $5, scope = $6, updated_at = $7 WHERE id = $8 RETURNING {CANNED_COLUMNS}"
            ),
        };
        let mut q = sqlx::query(&query)
            .bind(&d.shortcut)
            .bind(&d.title)
            .bind(&d.body)
            .bind(d.shared)
            .bind(d.owner_id.get())
            .bind(d.scope())
            .bind(d.at);
        if let Some(id) = id {
            q = q.bind(id.get());
        }
        let found = q.fetch_optional(self.pool()).await.map_err(from_sqlx)?;
        found.as_ref().map(canned).transpose()
    }

    pub(crate) async fn delete_canned(&self, id: CannedResponseId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM canned_responses WHERE id = $1")
            .bind(id.get())
            .execute(self.pool())
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn templates(&self) -> Result<Vec<TicketTemplate>> {
        let found = sqlx::query(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM ticket_templates ORDER BY id"
        ))
        .fetch_all(self.pool())
        .await
        .map_err(from_sqlx)?;
        found.iter().map(template).collect()
    }

    pub(crate) async fn save_template(
        &self,
        id: Option<TicketTemplateId>,
        d: &TemplateDraft,
    ) -> Result<Option<TicketTemplate>> {
        let query = match id {
            None => format!(
                "INSERT INTO ticket_templates (name, category, priority, subject, description) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING {TEMPLATE_COLUMNS}"
            ),
            Some(_) => format!(
                "UPDATE ticket_templates SET name = $1, category = $2, priority = $3, subject = $4, \
                 description = $5 WHERE id = $6 RETURNING {TEMPLATE_COLUMNS}"
            ),
        };
        let mut q = sqlx::query(&query)
            .bind(&d.name)
            .bind(d.category.as_str())
            .bind(d.priority.as_str())
            .bind(&d.subject)
            .bind(&d.description);
        if let Some(id) = id {
            q = q.bind(id.get());
        }
        let found = q.fetch_optional(self.pool()).await.map_err(from_sqlx)?;
        found.as_ref().map(template).transpose()
    }

    pub(crate) async fn delete_template(&self, id: TicketTemplateId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM ticket_templates WHERE id = $1")
            .bind(id.get())
            .execute(self.pool())
            .await
            .map_err(from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }
}
