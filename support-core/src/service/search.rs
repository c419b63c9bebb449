//! Search in the service: the staff search over everything, an employee's over their own
//! tickets, both paged with [`SearchCursor`]s.

use crate::actor::Actor;
use crate::error::Result;
use crate::policy::Policy;
use crate::search::{SearchCursor, SearchFilter, SearchHit, SearchQuery, SearchScope, SearchTerms};

use super::{Page, PageRequest, SupportService, page_limit};

impl SupportService {
    /// Search pages: 20 hits by default, at most 50.
    pub const SEARCH_PAGE: (u32, u32) = (20, 50);

    /// Every ticket and message that passes `filter`, internal notes included, best first.
    /// Staff only. An empty `q` (after trimming) or one over
    /// [`MAX_QUERY_CHARS`](crate::search::MAX_QUERY_CHARS) characters is a validation error on
    /// `q`; one with no word answers no hit. A filter that says nothing of archived tickets
    /// leaves them out ([`crate::archive`]).
    pub async fn search(
        &self,
        actor: &Actor,
        q: &str,
        filter: &SearchFilter,
        page: &PageRequest,
    ) -> Result<Page<SearchHit>> {
        Policy::check_staff(actor)?;
        self.search_in(SearchScope::Everything, q, filter, page)
            .await
    }

    /// The caller's own tickets and their public messages, never an internal note, best
    /// first, filtered as [`search`](Self::search) is: what the employee portal searches (for staff too, as for their own list).
    pub async fn search_mine(
        &self,
        actor: &Actor,
        q: &str,
        filter: &SearchFilter,
        page: &PageRequest,
    ) -> Result<Page<SearchHit>> {
        self.search_in(SearchScope::Employee(actor.id), q, filter, page)
            .await
    }

    async fn search_in(
        &self,
        scope: SearchScope,
        q: &str,
        filter: &SearchFilter,
        page: &PageRequest,
    ) -> Result<Page<SearchHit>> {
        let filter = filter
            .clone()
            .with_archived(Some(filter.archived.unwrap_or(false)));
        let terms = SearchTerms::parse(q)?;
        let limit = page_limit(page.limit, Self::SEARCH_PAGE)?;
        let offset = page
            .cursor
            .as_deref()
            .map(SearchCursor::decode)
            .transpose()?
            .unwrap_or_default()
            .0;
        if terms.is_empty() {
            return Ok(Page {
                data: Vec::new(),
                next_cursor: None,
            });
        }
        let mut data = self
            .inner
            .store
            .search(&SearchQuery {
                terms,
                scope,
                filter,
                offset,
                limit: limit + 1,
            })
            .await?;
        let next = offset + limit;
        let next_cursor = if data.len() > limit as usize {
            data.truncate(limit as usize);
            (next <= SearchCursor::MAX).then(|| SearchCursor(next).encode())
        } else {
            None
        };
        for hit in &data {
            self.inner
                .owners
                .remember(hit.ticket.id, hit.ticket.employee_id);
        }
        Ok(Page { data, next_cursor })
    }
}
