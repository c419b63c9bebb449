//! Canned responses and ticket templates for [`MemoryStore`], in the same mutex as the rest.

use std::collections::BTreeMap;

use super::MemoryStore;
use crate::canned::{CannedDraft, CannedResponse, TemplateDraft, TicketTemplate};
use crate::error::{Error, Result};
use crate::id::{CannedResponseId, TicketTemplateId, UserId};

/// The canned responses and templates of a [`MemoryStore`].
#[derive(Debug, Default)]
pub(super) struct Library {
    canned: BTreeMap<CannedResponseId, CannedResponse>,
    templates: BTreeMap<TicketTemplateId, TicketTemplate>,
    next_canned: i64,
    next_template: i64,
}

fn scope(r: &CannedResponse) -> i64 {
    if r.shared { 0 } else { r.owner_id.get() }
}

impl MemoryStore {
    pub(super) fn canned_for(&self, viewer: UserId) -> Vec<CannedResponse> {
        let s = self.lock();
        s.library
            .canned
            .values()
            .filter(|r| r.shared || r.owner_id == viewer)
            .cloned()
            .collect()
    }

    pub(super) fn save_canned(
        &self,
        id: Option<CannedResponseId>,
        d: &CannedDraft,
    ) -> Result<Option<CannedResponse>> {
        let mut s = self.lock();
        let lib = &mut s.library;
        let created_at = match id {
            None => d.at,
            Some(id) => match lib.canned.get(&id) {
                None => return Ok(None),
                Some(old) => old.created_at,
            },
        };
        let clash = lib
            .canned
            .values()
            .any(|r| Some(r.id) != id && scope(r) == d.scope() && r.shortcut == d.shortcut);
        if clash {
            return Err(Error::Conflict(format!(
                "the shortcut {:?} is taken",
                d.shortcut
            )));
        }
        let id = id.unwrap_or_else(|| {
            lib.next_canned += 1;
            CannedResponseId(lib.next_canned)
        });
        let stored = d.stored(id, created_at);
        lib.canned.insert(id, stored.clone());
        Ok(Some(stored))
    }

    pub(super) fn delete_canned(&self, id: CannedResponseId) -> bool {
        self.lock().library.canned.remove(&id).is_some()
    }

    pub(super) fn templates(&self) -> Vec<TicketTemplate> {
        self.lock().library.templates.values().cloned().collect()
    }

    pub(super) fn save_template(
        &self,
        id: Option<TicketTemplateId>,
        d: &TemplateDraft,
    ) -> Option<TicketTemplate> {
        let mut s = self.lock();
        let lib = &mut s.library;
        let id = match id {
            Some(id) if !lib.templates.contains_key(&id) => return None,
            Some(id) => id,
            None => {
                lib.next_template += 1;
                TicketTemplateId(lib.next_template)
            }
        };
        let stored = d.stored(id);
        lib.templates.insert(id, stored.clone());
        Some(stored)
    }

    pub(super) fn delete_template(&self, id: TicketTemplateId) -> bool {
        self.lock().library.templates.remove(&id).is_some()
    }
}
