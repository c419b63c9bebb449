//! The staff routes (`/api/admin/support…`), behind one guard: the router runs the [`Staff`]
//! extractor before every route it holds, so an employee gets 403 before any handler runs,
//! including the handlers both sides share.

use axum::extract::State;
use axum::middleware::from_extractor_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use support_core::{Channel, TicketPatch};

use super::extract::{ApiQuery, JsonBody, Staff, TicketPath, WriteHeaders};
use super::query::{ListQuery, PageQuery};
use super::view::{self, UserView};
use super::{ApiError, ApiState, conversation};

/// The staff routes, relative to where [`super::router`] nests them, guarded by [`Staff`].
pub(crate) fn routes(state: ApiState) -> Router<ApiState> {
    Router::new()
        .route("/", get(list_tickets))
        .route("/dashboard", get(dashboard))
        .route("/stats", get(stats))
        .route("/users", get(users))
        .route(
            "/{ticket}",
            get(conversation::show_ticket).patch(update_ticket),
        )
        .route("/{ticket}/live-chat", get(live_chat))
        .route("/{ticket}/chat", post(conversation::chat))
        .route("/{ticket}/comment", post(conversation::comment))
        .route("/{ticket}/messages", get(conversation::messages))
        .route("/{ticket}/audit", get(audit))
        .route_layer(from_extractor_with_state::<Staff, ApiState>(state))
}

/// `GET /dashboard?cursor=&limit=`: open work, urgent first, with the badge counts.
async fn dashboard(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Response, ApiError> {
    let d = s.service.dashboard(&actor, &q.page()?).await?;
    Ok(Json(
        json!({ "data": d.tickets.data, "next_cursor": d.tickets.next_cursor, "stats": d.stats }),
    )
    .into_response())
}

/// `GET /stats`: the badge counts, exact now, as a bare object (no `data` envelope, as the
/// route has always answered).
async fn stats(State(s): State<ApiState>, Staff(actor): Staff) -> Result<Response, ApiError> {
    Ok(Json(s.service.stats(&actor).await?).into_response())
}

/// `GET /users`: every user of the directory, in id order, as `{id, full_name, role,
/// staff}`: the names staff screens show and the assignment menu.
async fn users(State(s): State<ApiState>, Staff(actor): Staff) -> Result<Response, ApiError> {
    let users = s.service.users(&actor).await?;
    Ok(view::ok(
        users.into_iter().map(UserView::from).collect::<Vec<_>>(),
    ))
}

/// `GET /?status=&priority=&category=&assigned_to=&q=&cursor=&limit=`: every ticket, filtered.
async fn list_tickets(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, ApiError> {
    let page = q.page()?;
    Ok(view::page(
        s.service.list_tickets(&actor, q.filter()?, &page).await?,
    ))
}

/// `GET /{ticket}/live-chat`: the ticket, its thread, the employee and the channel to join.
async fn live_chat(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    TicketPath(id): TicketPath,
) -> Result<Response, ApiError> {
    let ticket = s.service.show_ticket(&actor, id).await?;
    let employee = s
        .service
        .directory()
        .actor(ticket.ticket.employee_id)
        .await?;
    let mut data = view::ticket(ticket);
    data["employee"] = json!(employee.map(|e| json!({"id": e.id, "full_name": e.name})));
    data["channel"] = json!(Channel::Ticket(id).to_string());
    Ok(view::ok(data))
}

/// `PATCH /{ticket}` with any of `{status, priority, assigned_to}`. The write headers go to
/// the service as they are: what a repeated `Idempotency-Key` means is the service's to say.
async fn update_ticket(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    TicketPath(id): TicketPath,
    WriteHeaders(ctx): WriteHeaders,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let patch = TicketPatch::from_json(&body)?;
    Ok(view::ok(
        s.service.update_ticket(&actor, id, patch, &ctx).await?,
    ))
}

/// `GET /{ticket}/audit`: every recorded change, oldest first.
async fn audit(
    State(s): State<ApiState>,
    Staff(actor): Staff,
    TicketPath(id): TicketPath,
) -> Result<Response, ApiError> {
    Ok(view::ok(s.service.audit_trail(&actor, id).await?))
}
