//! Canned responses and ticket templates in the service: who may list, manage and render them
//! (the [`Policy`]), and a clashing shortcut as a field error.

use crate::actor::Actor;
use crate::canned::{
    self, CannedDraft, CannedFields, CannedResponse, RenderValues, TemplateDraft, TicketTemplate,
};
use crate::error::{Error, Result};
use crate::id::{CannedResponseId, TicketId, TicketTemplateId};
use crate::policy::Policy;
use crate::time;

use super::SupportService;

/// A store's `Conflict` on a canned response is its shortcut, taken in its scope.
fn taken(e: Error) -> Error {
    match e {
        Error::Conflict(_) => Error::invalid("shortcut", "The shortcut has already been taken."),
        other => other,
    }
}

impl SupportService {
    /// The canned responses `actor` may use: the shared ones and their own personal ones, in
    /// id order. Staff only.
    pub async fn canned_responses(&self, actor: &Actor) -> Result<Vec<CannedResponse>> {
        Policy::check_staff(actor)?;
        self.inner.store.canned_responses(actor.id).await
    }

    /// A canned response `actor` may see, else `NotFound` (another user's personal one too).
    async fn visible_canned(&self, actor: &Actor, id: CannedResponseId) -> Result<CannedResponse> {
        Policy::check_staff(actor)?;
        self.inner
            .store
            .canned_responses(actor.id)
            .await?
            .into_iter()
            .find(|r| r.id == id && Policy::can_see_canned(actor, r.shared, r.owner_id))
            .ok_or(Error::NotFound)
    }

    /// Creates a canned response owned by `actor`: a personal one (any staff member) or, with
    /// `shared`, one every staff member sees (admins only). A shortcut already taken in its
    /// scope is a validation error on `shortcut`.
    pub async fn create_canned_response(
        &self,
        actor: &Actor,
        fields: CannedFields,
    ) -> Result<CannedResponse> {
        let shared = fields.shared.unwrap_or(false);
        Policy::check_manage_canned(actor, shared)?;
        let draft = CannedDraft {
            shortcut: fields.shortcut.unwrap_or_default(),
            title: fields.title.unwrap_or_default(),
            body: fields.body.unwrap_or_default(),
            shared,
            owner_id: actor.id,
            at: time::now(),
        };
        self.inner
            .store
            .save_canned_response(None, &draft)
            .await
            .map_err(taken)?
            .ok_or_else(|| Error::backend("a new canned response was not stored"))
    }

    /// Changes the fields given of a canned response `actor` may see (else `NotFound`): their
    /// own personal one, or a shared one if they are an admin (else `Forbidden`, and making one
    /// shared is for admins too). A shared one made personal becomes the caller's.
    pub async fn update_canned_response(
        &self,
        actor: &Actor,
        id: CannedResponseId,
        fields: CannedFields,
    ) -> Result<CannedResponse> {
        let old = self.visible_canned(actor, id).await?;
        Policy::check_manage_canned(actor, old.shared)?;
        let shared = fields.shared.unwrap_or(old.shared);
        Policy::check_manage_canned(actor, shared)?;
        let draft = CannedDraft {
            shortcut: fields.shortcut.unwrap_or(old.shortcut),
            title: fields.title.unwrap_or(old.title),
            body: fields.body.unwrap_or(old.body),
            shared,
            owner_id: if old.shared && !shared {
                actor.id
            } else {
                old.owner_id
            },
            at: time::now(),
        };
        self.inner
            .store
            .save_canned_response(Some(id), &draft)
            .await
            .map_err(taken)?
            .ok_or(Error::NotFound)
    }

    /// Deletes a canned response `actor` may see (else `NotFound`) and manage (else
    /// `Forbidden`: a shared one is an admin's to delete).
    pub async fn delete_canned_response(&self, actor: &Actor, id: CannedResponseId) -> Result<()> {
        let old = self.visible_canned(actor, id).await?;
        Policy::check_manage_canned(actor, old.shared)?;
        if self.inner.store.delete_canned_response(id).await? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }

    /// The body of a canned response `actor` may see, filled in for a ticket they may see:
    /// `{{employee.name}}` is the ticket's employee (from the directory; empty if unknown
    /// there), `{{ticket.number}}` its number, `{{agent.name}}` the caller. Staff only.
    pub async fn render_canned_response(
        &self,
        actor: &Actor,
        ticket_id: TicketId,
        id: CannedResponseId,
    ) -> Result<String> {
        Policy::check_staff(actor)?;
        let ticket = self.visible_ticket(actor, ticket_id).await?;
        let response = self.visible_canned(actor, id).await?;
        let employee = self.inner.directory.actor(ticket.employee_id).await?;
        let values = RenderValues {
            employee_name: employee.map(|e| e.name).unwrap_or_default(),
            ticket_number: ticket.ticket_number.as_str().to_owned(),
            agent_name: actor.name.clone(),
        };
        Ok(canned::render(&response.body, &values))
    }

    /// Every ticket template, in id order: any signed-in user (the employee's create form
    /// starts from them).
    pub async fn ticket_templates(&self, _actor: &Actor) -> Result<Vec<TicketTemplate>> {
        self.inner.store.ticket_templates().await
    }

    /// Creates a ticket template from a JSON body ([`TemplateDraft::from_json`]). Admins only,
    /// checked before the body.
    pub async fn create_ticket_template(
        &self,
        actor: &Actor,
        body: &serde_json::Value,
    ) -> Result<TicketTemplate> {
        Policy::check_admin(actor)?;
        let draft = TemplateDraft::from_json(body)?;
        self.inner
            .store
            .save_ticket_template(None, &draft)
            .await?
            .ok_or_else(|| Error::backend("a new template was not stored"))
    }

    /// Changes a ticket template with the fields of a JSON body (absent ones stay; see
    /// [`TemplateDraft::patch_from_json`]). Admins only; an unknown id is `NotFound`.
    pub async fn update_ticket_template(
        &self,
        actor: &Actor,
        id: TicketTemplateId,
        body: &serde_json::Value,
    ) -> Result<TicketTemplate> {
        Policy::check_admin(actor)?;
        let old = self
            .inner
            .store
            .ticket_templates()
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(Error::NotFound)?;
        let draft = TemplateDraft::patch_from_json(&old, body)?;
        self.inner
            .store
            .save_ticket_template(Some(id), &draft)
            .await?
            .ok_or(Error::NotFound)
    }

    /// Deletes a ticket template. Admins only; an unknown id is `NotFound`.
    pub async fn delete_ticket_template(&self, actor: &Actor, id: TicketTemplateId) -> Result<()> {
        Policy::check_admin(actor)?;
        if self.inner.store.delete_ticket_template(id).await? {
            Ok(())
        } else {
            Err(Error::NotFound)
        }
    }
}
