//! The JSON API router in process (`tower::ServiceExt::oneshot`, no socket): every route's
//! success status and shape, and every error status in Laravel's JSON shape.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::{Value, json};
use support_core::store::{
    Appended, Created, MessageDraft, MessageQuery, TicketChange, TicketDraft, TicketQuery,
    TicketUpdate,
};
use support_core::*;
use support_transport_ws::{AppConfig, Hub, Identify, ServiceAuthorizer, api};
use tower::ServiceExt;

const EMP: &str = "/api/employee/portal/support";
const ADM: &str = "/api/admin/support";

/// The bearer token is the user's first name; `down` is an identity backend that cannot
/// answer. Counts its calls.
#[derive(Default)]
struct Tokens {
    calls: AtomicUsize,
}

fn cast() -> [Actor; 5] {
    [
        Actor::new(101, "Alice Employee", Role::Employee),
        Actor::new(102, "Bob Employee", Role::Employee),
        Actor::new(201, "Sam Support", Role::Support),
        Actor::new(202, "Ada Admin", Role::Admin),
        Actor::new(203, "Hana HR", Role::Hr),
    ]
}

#[async_trait]
impl Identify for Tokens {
    async fn identify(&self, headers: &HeaderMap) -> Result<Option<Actor>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let Some(token) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return Ok(None);
        };
        if token == "down" {
            return Err(Error::Unavailable(
                "the session store is unreachable".into(),
            ));
        }
        Ok(cast()
            .into_iter()
            .find(|a| a.name.split(' ').next() == Some(token)))
    }
}

/// A [`MemoryStore`] that can be cut off: while `down`, every method is `Unavailable`.
#[derive(Default)]
struct Switch {
    store: MemoryStore,
    down: Arc<AtomicBool>,
}

impl Switch {
    fn check(&self) -> Result<()> {
        if self.down.load(Ordering::SeqCst) {
            Err(Error::Unavailable("the database is unreachable".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl SupportStore for Switch {
    async fn create_ticket(&self, d: &TicketDraft) -> Result<Created<(Ticket, Option<Message>)>> {
        self.check()?;
        self.store.create_ticket(d).await
    }
    async fn ticket(&self, id: TicketId) -> Result<Option<Ticket>> {
        self.check()?;
        self.store.ticket(id).await
    }
    async fn tickets(&self, q: &TicketQuery) -> Result<Vec<Ticket>> {
        self.check()?;
        self.store.tickets(q).await
    }
    async fn update_ticket(&self, id: TicketId, c: &TicketChange) -> Result<Option<TicketUpdate>> {
        self.check()?;
        self.store.update_ticket(id, c).await
    }
    async fn append_message(&self, d: &MessageDraft) -> Result<Created<Appended>> {
        self.check()?;
        self.store.append_message(d).await
    }
    async fn messages(&self, q: &MessageQuery) -> Result<Vec<Message>> {
        self.check()?;
        self.store.messages(q).await
    }
    async fn stats(&self) -> Result<Stats> {
        self.check()?;
        self.store.stats().await
    }
    async fn audit_trail(&self, id: TicketId) -> Result<Vec<AuditEntry>> {
        self.check()?;
        self.store.audit_trail(id).await
    }
    async fn record_audit(
        &self,
        r: &support_core::NewAuditRecord,
    ) -> Result<support_core::AuditRecord> {
        self.check()?;
        self.store.record_audit(r).await
    }
    async fn audit_log(
        &self,
        q: &support_core::AuditQuery,
    ) -> Result<Vec<support_core::AuditRecord>> {
        self.check()?;
        self.store.audit_log(q).await
    }
    async fn mark_read(&self, p: &ReadPosition) -> Result<Option<ReadAdvance>> {
        self.check()?;
        self.store.mark_read(p).await
    }
    async fn ticket_summaries(
        &self,
        t: &[TicketId],
        reader: UserId,
        internal: bool,
    ) -> Result<Vec<TicketSummary>> {
        self.check()?;
        self.store.ticket_summaries(t, reader, internal).await
    }
    async fn read_positions(&self, id: TicketId) -> Result<Vec<ReadPosition>> {
        self.check()?;
        self.store.read_positions(id).await
    }
    async fn react(
        &self,
        c: &support_core::reaction::ReactionChange,
    ) -> Result<Option<support_core::reaction::ReactionOutcome>> {
        self.check()?;
        self.store.react(c).await
    }
    async fn reactions(
        &self,
        t: TicketId,
        m: &[support_core::MessageId],
        viewer: UserId,
    ) -> Result<Vec<support_core::reaction::MessageReactions>> {
        self.check()?;
        self.store.reactions(t, m, viewer).await
    }

    async fn canned_responses(&self, viewer: UserId) -> Result<Vec<support_core::CannedResponse>> {
        self.check()?;
        self.store.canned_responses(viewer).await
    }
    async fn save_canned_response(
        &self,
        id: Option<support_core::CannedResponseId>,
        d: &support_core::canned::CannedDraft,
    ) -> Result<Option<support_core::CannedResponse>> {
        self.check()?;
        self.store.save_canned_response(id, d).await
    }
    async fn delete_canned_response(&self, id: support_core::CannedResponseId) -> Result<bool> {
        self.check()?;
        self.store.delete_canned_response(id).await
    }
    async fn ticket_templates(&self) -> Result<Vec<support_core::TicketTemplate>> {
        self.check()?;
        self.store.ticket_templates().await
    }
    async fn save_ticket_template(
        &self,
        id: Option<support_core::TicketTemplateId>,
        d: &support_core::canned::TemplateDraft,
    ) -> Result<Option<support_core::TicketTemplate>> {
        self.check()?;
        self.store.save_ticket_template(id, d).await
    }
    async fn delete_ticket_template(&self, id: support_core::TicketTemplateId) -> Result<bool> {
        self.check()?;
        self.store.delete_ticket_template(id).await
    }

    async fn create_upload(&self, d: &support_core::UploadDraft) -> Result<support_core::Upload> {
        self.check()?;
        self.store.create_upload(d).await
    }
    async fn upload(&self, id: support_core::AttachmentId) -> Result<Option<support_core::Upload>> {
        self.check()?;
        self.store.upload(id).await
    }
    async fn unattached_uploads(
        &self,
        before: support_core::Timestamp,
        limit: u32,
    ) -> Result<Vec<support_core::Upload>> {
        self.check()?;
        self.store.unattached_uploads(before, limit).await
    }
    async fn delete_upload(&self, id: support_core::AttachmentId) -> Result<bool> {
        self.check()?;
        self.store.delete_upload(id).await
    }
    async fn blob_in_use(&self, sha256: &str) -> Result<bool> {
        self.check()?;
        self.store.blob_in_use(sha256).await
    }
    // --- sla ---
    async fn mark_sla_breaches(&self, now: Timestamp, limit: u32) -> Result<Vec<SlaBreach>> {
        self.check()?;
        self.store.mark_sla_breaches(now, limit).await
    }
    async fn report_facts(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<support_core::report::ReportFacts>> {
        self.check()?;
        self.store.report_facts(from, to).await
    }
    // --- archive ---
    async fn archive_closed(
        &self,
        batch: &support_core::archive::ArchiveBatch,
    ) -> Result<Vec<support_core::TicketId>> {
        self.check()?;
        self.store.archive_closed(batch).await
    }
    // --- search ---
    async fn search(
        &self,
        q: &support_core::search::SearchQuery,
    ) -> Result<Vec<support_core::SearchHit>> {
        self.check()?;
        self.store.search(q).await
    }
    async fn ping(&self) -> Result<()> {
        self.check()?;
        self.store.ping().await
    }
}

/// The JSON API and the Pusher router (for `/broadcasting/auth`) on one service.
struct App {
    router: Router,
    store_down: Arc<AtomicBool>,
    identity: Arc<Tokens>,
}

/// An answer: status, headers, and the body as JSON (`Value::Null` when empty).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl App {
    fn new() -> Self {
        Self::with(|router| router)
    }

    /// The API as `wrap` mounts it.
    fn with(wrap: impl FnOnce(Router) -> Router) -> Self {
        let store = Switch::default();
        let store_down = store.down.clone();
        let hub = Hub::new(AppConfig::new("app", "key", "secret"));
        let service = SupportService::new(store, hub.clone(), StaticDirectory::new(cast()));
        let identity = Arc::new(Tokens::default());
        let authorizer = ServiceAuthorizer::new(service.clone(), identity.clone());
        let router = wrap(api::router(service, identity.clone()))
            .merge(support_transport_ws::router(hub, Arc::new(authorizer)));
        App {
            router,
            store_down,
            identity,
        }
    }

    async fn answer(&self, request: Request<Body>) -> Answer {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{status}: not JSON ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A request as `who` (a token), with a JSON body if given.
    async fn call(
        &self,
        method: &str,
        path: &str,
        who: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.raw(
            method,
            path,
            who,
            &[],
            body.map(|b| ("application/json", b.to_string().into_bytes())),
        )
        .await
    }

    /// `GET path` as `who`.
    async fn get(&self, path: &str, who: &str) -> Answer {
        self.call("GET", path, Some(who), None).await
    }

    /// `method path` as `who` with a JSON body.
    async fn send(&self, method: &str, path: &str, who: &str, body: Value) -> Answer {
        self.call(method, path, Some(who), Some(body)).await
    }

    /// A request with extra headers and a body of some content type (`""` for none).
    async fn raw(
        &self,
        method: &str,
        path: &str,
        who: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Answer {
        let mut request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(path);
        if let Some(token) = who {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let body = match body {
            None => Body::empty(),
            Some((content_type, bytes)) => {
                if !content_type.is_empty() {
                    request = request.header(header::CONTENT_TYPE, content_type);
                }
                Body::from(bytes)
            }
        };
        self.answer(request.body(body).unwrap()).await
    }

    /// Opens a ticket as `who`; its id.
    async fn ticket(&self, who: &str) -> i64 {
        let a = self
            .call(
                "POST",
                EMP,
                Some(who),
                Some(json!({"subject": "Login issue", "description": "Cannot log in", "category": "it", "priority": "high"})),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        a.body["data"]["id"].as_i64().unwrap()
    }
}

/// Laravel's error shape: `{"message": "…"}`, and for 422 `errors: {field: [messages]}`.
#[track_caller]
fn assert_error_shape(a: &Answer, what: &str) {
    assert!(
        a.headers
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v == "application/json"),
        "{what}: {} answered {:?}",
        a.status,
        a.headers.get(header::CONTENT_TYPE)
    );
    assert!(
        a.body["message"].is_string(),
        "{what}: no message: {}",
        a.body
    );
    if a.status == StatusCode::UNPROCESSABLE_ENTITY {
        let errors = a.body["errors"].as_object().expect("422 carries errors");
        assert!(!errors.is_empty(), "{what}: {}", a.body);
        assert!(errors.values().all(|v| v.is_array()), "{what}: {}", a.body);
    }
}

/// Every route once, with a body it accepts: (method, path, body).
fn routes(t: i64) -> Vec<(&'static str, String, Option<Value>)> {
    let chat = || Some(json!({"message": "hi"}));
    let comment = || Some(json!({"content": "hi"}));
    let ticket = json!({"subject": "s", "description": "d", "category": "it", "priority": "low"});
    let mut all = vec![
        ("GET", EMP.to_owned(), None),
        ("POST", EMP.to_owned(), Some(ticket)),
        ("POST", format!("{EMP}/quick-chat"), chat()),
        ("GET", format!("{EMP}/{t}"), None),
        ("POST", format!("{EMP}/{t}/comment"), comment()),
        ("POST", format!("{EMP}/{t}/chat"), chat()),
        ("GET", format!("{EMP}/{t}/messages?after=0"), None),
        (
            "POST",
            format!("{EMP}/{t}/read"),
            Some(json!({"message_id": 1})),
        ),
    ];
    all.extend(staff_routes(t));
    all
}

fn staff_routes(t: i64) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", format!("{ADM}/dashboard"), None),
        ("GET", ADM.to_owned(), None),
        ("GET", format!("{ADM}/stats"), None),
        ("GET", format!("{ADM}/users"), None),
        ("GET", format!("{ADM}/{t}"), None),
        (
            "PATCH",
            format!("{ADM}/{t}"),
            Some(json!({"status": "in_progress"})),
        ),
        ("GET", format!("{ADM}/{t}/live-chat"), None),
        (
            "POST",
            format!("{ADM}/{t}/chat"),
            Some(json!({"message": "hi"})),
        ),
        (
            "POST",
            format!("{ADM}/{t}/comment"),
            Some(json!({"content": "note", "is_internal": true})),
        ),
        ("GET", format!("{ADM}/{t}/messages"), None),
        ("GET", format!("{ADM}/{t}/audit"), None),
        (
            "POST",
            format!("{ADM}/{t}/read"),
            Some(json!({"message_id": 1})),
        ),
    ]
}

#[tokio::test]
async fn every_route_answers_its_success_status_and_shape() {
    let app = App::new();
    let t = app.ticket("Alice").await;

    let a = app.get(EMP, "Alice").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["data"][0]["id"], t);
    assert!(a.body.as_object().unwrap().contains_key("next_cursor"));

    let a = app
        .send(
            "POST",
            &format!("{EMP}/quick-chat"),
            "Alice",
            json!({"message": "Printer on fire"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["data"]["ticket"]["subject"], "Printer on fire");
    assert_eq!(a.body["data"]["message"]["content"], "Printer on fire");
    assert_eq!(
        a.body["data"]["message"]["author"]["full_name"],
        "Alice Employee"
    );

    for (path, field) in [("comment", "content"), ("chat", "message")] {
        let a = app
            .send(
                "POST",
                &format!("{EMP}/{t}/{path}"),
                "Alice",
                json!({ field: format!("by {path}") }),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{path}: {}", a.body);
        assert_eq!(a.body["data"]["content"], format!("by {path}"));
        assert_eq!(a.body["data"]["ticket_id"], t);
        assert_eq!(a.body["data"]["author"]["id"], 101);
    }
    let a = app
        .send(
            "POST",
            &format!("{ADM}/{t}/comment"),
            "Sam",
            json!({"content": "NOTE", "is_internal": true}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["data"]["is_internal"], true);
    let a = app
        .send(
            "POST",
            &format!("{ADM}/{t}/chat"),
            "Sam",
            json!({"message": "On it"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["data"]["author"]["full_name"], "Sam Support");

    // Each side reads the thread; the note only on the staff side.
    let a = app.get(&format!("{EMP}/{t}"), "Alice").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["data"]["ticket"]["id"], t);
    assert_eq!(a.body["data"]["messages"].as_array().unwrap().len(), 3);
    assert_eq!(a.body["data"]["has_older"], false);
    let a = app.get(&format!("{ADM}/{t}"), "Sam").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["data"]["messages"].as_array().unwrap().len(), 4);
    let a = app
        .get(&format!("{EMP}/{t}/messages?after=0"), "Alice")
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["data"].as_array().unwrap().len(), 3);
    assert!(!a.body.to_string().contains("NOTE"));
    let a = app.get(&format!("{ADM}/{t}/messages?limit=2"), "Sam").await;
    assert_eq!(a.status, StatusCode::OK);
    let contents: Vec<&Value> = a.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["content"])
        .collect();
    assert_eq!(contents, [&json!("NOTE"), &json!("On it")]);

    // Staff routes.
    let a = app.get(&format!("{ADM}/dashboard"), "Sam").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(a.body["stats"]["open"], 2);
    assert!(a.body.as_object().unwrap().contains_key("next_cursor"));
    let a = app.get(&format!("{ADM}?priority=high"), "Ada").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(a.body["data"][0]["id"], t);
    // An empty filter is no filter; so is an empty item of the status list.
    for query in [
        "status=&priority=&category=&assigned_to=&q=",
        "status=open,",
        "status=,open,,",
    ] {
        let a = app.get(&format!("{ADM}?{query}"), "Ada").await;
        assert_eq!(a.status, StatusCode::OK, "{query}: {}", a.body);
        assert_eq!(a.body["data"].as_array().unwrap().len(), 2, "{query}");
    }
    let a = app.get(&format!("{ADM}/stats"), "Hana").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, json!({"open": 2, "in_progress": 0, "urgent": 0}));

    let a = app.get(&format!("{ADM}/users"), "Sam").await;
    assert_eq!(a.status, StatusCode::OK);
    let users = a.body["data"].as_array().unwrap();
    let ids: Vec<i64> = users.iter().map(|u| u["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [101, 102, 201, 202, 203], "every user, in id order");
    assert_eq!(
        users[0],
        json!({"id": 101, "full_name": "Alice Employee", "role": "employee", "staff": false})
    );
    assert_eq!(users[2]["staff"], true);

    let a = app
        .send(
            "PATCH",
            &format!("{ADM}/{t}"),
            "Sam",
            json!({"status": "in_progress", "assigned_to": 201}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["data"]["status"], "in_progress");
    assert_eq!(a.body["data"]["assigned_to"], 201);
    // An empty PATCH body is `{}`: nothing changes.
    let a = app
        .raw(
            "PATCH",
            &format!("{ADM}/{t}"),
            Some("Sam"),
            &[],
            Some(("", Vec::new())),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["data"]["status"], "in_progress");

    let a = app.get(&format!("{ADM}/{t}/live-chat"), "Sam").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["data"]["ticket"]["id"], t);
    assert_eq!(
        a.body["data"]["employee"],
        json!({"id": 101, "full_name": "Alice Employee"})
    );
    assert_eq!(
        a.body["data"]["channel"],
        format!("private-support.ticket.{t}")
    );
    assert!(a.body["data"]["messages"].is_array());

    let a = app.get(&format!("{ADM}/{t}/audit"), "Sam").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body["data"].as_array().unwrap().len() >= 2, "{}", a.body);

    // Staff use the employee routes too, seeing every ticket.
    let a = app.get(&format!("{EMP}/{t}"), "Ada").await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn no_or_unknown_credentials_are_401_on_every_route() {
    let app = App::new();
    let t = app.ticket("Alice").await;
    for (method, path, body) in routes(t) {
        for who in [None, Some("Mallory")] {
            let a = app.call(method, &path, who, body.clone()).await;
            assert_eq!(
                a.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} as {who:?}"
            );
            assert_error_shape(&a, &path);
            assert_eq!(a.body["message"], "Unauthenticated.");
        }
    }
}

#[tokio::test]
async fn an_employee_gets_403_on_every_staff_route_before_anything_else() {
    let app = App::new();
    let t = app.ticket("Alice").await;
    for who in ["Alice", "Bob"] {
        for (method, path, body) in staff_routes(t) {
            let a = app.call(method, &path, Some(who), body).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{method} {path} as {who}");
            assert_error_shape(&a, &path);
        }
    }
    // Refused before the id, the query or the body are looked at.
    for (method, path) in [
        ("GET", format!("{ADM}/not-a-number")),
        ("GET", format!("{ADM}?status=nope&limit=x")),
        ("PATCH", format!("{ADM}/{t}")),
        ("POST", format!("{ADM}/{t}/chat")),
    ] {
        let a = app
            .raw(
                method,
                &path,
                Some("Alice"),
                &[("x-socket-id", "evil")],
                Some(("text/plain", b"{not json".to_vec())),
            )
            .await;
        assert_eq!(a.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_error_shape(&a, &path);
    }
    // Nothing was written through a staff route.
    let a = app
        .get(&format!("{EMP}/{t}/messages?after=0"), "Alice")
        .await;
    assert_eq!(a.body["data"], json!([]));
}

#[tokio::test]
async fn another_employees_ticket_and_an_id_that_is_not_one_are_404() {
    let app = App::new();
    let t = app.ticket("Alice").await;
    for (method, path, body) in [
        ("GET", format!("{EMP}/{t}"), None),
        (
            "POST",
            format!("{EMP}/{t}/comment"),
            Some(json!({"content": "x"})),
        ),
        (
            "POST",
            format!("{EMP}/{t}/chat"),
            Some(json!({"message": "x"})),
        ),
        ("GET", format!("{EMP}/{t}/messages"), None),
    ] {
        let a = app.call(method, &path, Some("Bob"), body).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_error_shape(&a, &path);
        assert_eq!(a.body["message"], "Not found.");
    }
    for id in [
        "not-a-number",
        "0",
        "-3",
        "1.5",
        "99999999999999999999",
        "9999",
    ] {
        let mut checks: Vec<(&str, String, &str)> = vec![
            ("GET", format!("{EMP}/{id}"), "Alice"),
            ("POST", format!("{EMP}/{id}/chat"), "Alice"),
            ("POST", format!("{EMP}/{id}/comment"), "Alice"),
            ("GET", format!("{EMP}/{id}/messages"), "Alice"),
        ];
        for (method, path, _) in staff_routes(0) {
            if path.contains("/0") {
                checks.push((method, path.replace("/0", &format!("/{id}")), "Sam"));
            }
        }
        for (method, path, who) in checks {
            let body = match method {
                "GET" => None,
                _ => Some(json!({"message": "x", "content": "x", "message_id": 1})),
            };
            let a = app.call(method, &path, Some(who), body).await;
            assert_eq!(
                a.status,
                StatusCode::NOT_FOUND,
                "{method} {path} as {who}: {}",
                a.body
            );
            assert_error_shape(&a, &path);
        }
    }
}

/// (method, path, caller, JSON body, headers, the fields a 422 must name).
type Invalid = (
    &'static str,
    String,
    &'static str,
    Option<Value>,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

#[tokio::test]
async fn invalid_input_is_422_naming_each_field() {
    let app = App::new();
    let t = app.ticket("Alice").await;
    let cases: Vec<Invalid> = vec![
        (
            "POST",
            EMP.into(),
            "Alice",
            Some(json!({})),
            &[],
            &["category", "description", "priority", "subject"],
        ),
        (
            "POST",
            EMP.into(),
            "Alice",
            Some(
                json!({"subject": "s", "description": "d", "category": "cars", "priority": "asap"}),
            ),
            &[],
            &["category", "priority"],
        ),
        (
            "POST",
            format!("{EMP}/quick-chat"),
            "Alice",
            Some(json!({"message": "  "})),
            &[],
            &["message"],
        ),
        (
            "POST",
            format!("{EMP}/{t}/chat"),
            "Alice",
            Some(json!({"message": "a".repeat(2001)})),
            &[],
            &["message"],
        ),
        (
            "POST",
            format!("{EMP}/{t}/chat"),
            "Alice",
            None,
            &[],
            &["message"],
        ),
        (
            "POST",
            format!("{EMP}/{t}/comment"),
            "Alice",
            Some(json!({"content": null, "attachments": "nope"})),
            &[],
            &["attachments", "content"],
        ),
        (
            "PATCH",
            format!("{ADM}/{t}"),
            "Sam",
            Some(json!({"status": "done", "assigned_to": "x"})),
            &[],
            &["assigned_to", "status"],
        ),
        (
            "PATCH",
            format!("{ADM}/{t}"),
            "Sam",
            Some(json!({"assigned_to": 101})),
            &[],
            &["assigned_to"],
        ),
        (
            "GET",
            format!("{EMP}/{t}/messages?after=abc"),
            "Alice",
            None,
            &[],
            &["after"],
        ),
        (
            "GET",
            format!("{EMP}/{t}/messages?before=x"),
            "Alice",
            None,
            &[],
            &["before"],
        ),
        (
            "GET",
            format!("{EMP}/{t}/messages?after=1&before=2"),
            "Alice",
            None,
            &[],
            &["before"],
        ),
        (
            "GET",
            format!("{EMP}/{t}/messages?limit=-1"),
            "Alice",
            None,
            &[],
            &["limit"],
        ),
        (
            "GET",
            format!("{EMP}?limit=many"),
            "Alice",
            None,
            &[],
            &["limit"],
        ),
        (
            "GET",
            format!("{ADM}/dashboard?limit=x"),
            "Sam",
            None,
            &[],
            &["limit"],
        ),
        (
            "GET",
            format!("{ADM}?status=open,nope&priority=x&category=y&assigned_to=z"),
            "Sam",
            None,
            &[],
            &["assigned_to", "category", "priority", "status"],
        ),
        (
            "GET",
            format!("{ADM}?q={}", "q".repeat(256)),
            "Sam",
            None,
            &[],
            &["q"],
        ),
        (
            "POST",
            format!("{EMP}/{t}/chat"),
            "Alice",
            Some(json!({"message": "x"})),
            &[("x-socket-id", "evil")],
            &["X-Socket-ID"],
        ),
        (
            "POST",
            format!("{EMP}/{t}/chat"),
            "Alice",
            Some(json!({"message": "x"})),
            &[("idempotency-key", "")],
            &["Idempotency-Key"],
        ),
        (
            "PATCH",
            format!("{ADM}/{t}"),
            "Sam",
            Some(json!({})),
            &[("x-socket-id", "1.2.3")],
            &["X-Socket-ID"],
        ),
    ];
    for (method, path, who, body, headers, fields) in cases {
        let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
        let a = app.raw(method, &path, Some(who), headers, body).await;
        let what = format!("{method} {path} {headers:?}");
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {}",
            a.body
        );
        assert_error_shape(&a, &what);
        let named: Vec<&String> = a.body["errors"].as_object().unwrap().keys().collect();
        assert_eq!(named, fields, "{what}: {}", a.body);
    }
}

#[tokio::test]
async fn bodies_are_json_or_400_413_415() {
    let app = App::new();
    let t = app.ticket("Alice").await;
    let chat = format!("{EMP}/{t}/chat");
    let cases: Vec<(&str, &str, Vec<u8>, StatusCode)> = vec![
        (
            "malformed JSON",
            "application/json",
            b"{\"message\": ".to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "invalid UTF-8",
            "application/json",
            vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'],
            StatusCode::BAD_REQUEST,
        ),
        (
            "only spaces",
            "application/json",
            b"   ".to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a JSON string",
            "application/json",
            b"\"hello\"".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "no content type",
            "",
            b"{\"message\":\"x\"}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "text/plain",
            "text/plain;charset=UTF-8",
            b"{\"message\":\"x\"}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "a form",
            "application/x-www-form-urlencoded",
            b"message=x".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "oversized",
            "application/json",
            vec![b' '; api::MAX_BODY_BYTES + 1],
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            "oversized, any type",
            "text/plain",
            vec![b'x'; 200_000],
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (what, content_type, body, want) in cases {
        let a = app
            .raw(
                "POST",
                &chat,
                Some("Alice"),
                &[],
                Some((content_type, body)),
            )
            .await;
        assert_eq!(a.status, want, "{what}: {}", a.body);
        assert_error_shape(&a, what);
    }
    // JSON with parameters, or a `+json` type, is JSON.
    for content_type in [
        "application/json; charset=utf-8",
        "application/merge-patch+json",
    ] {
        let a = app
            .raw(
                "POST",
                &chat,
                Some("Alice"),
                &[],
                Some((content_type, b"{\"message\":\"typed\"}".to_vec())),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{content_type}: {}", a.body);
    }
    // Just under the limit is read (and judged by its fields).
    let mut big = b"{\"message\":\"x\",\"pad\":\"".to_vec();
    big.resize(api::MAX_BODY_BYTES - 2, b'a');
    big.extend_from_slice(b"\"}");
    let a = app
        .raw(
            "POST",
            &chat,
            Some("Alice"),
            &[],
            Some(("application/json", big)),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
}

#[tokio::test]
async fn json_that_is_not_an_object_is_422_and_null_is_an_empty_body() {
    let app = App::new();
    let t = app.ticket("Alice").await;
    for (method, path, who) in [
        ("PATCH", format!("{ADM}/{t}"), "Sam"),
        ("POST", format!("{EMP}/{t}/chat"), "Alice"),
        ("POST", EMP.to_owned(), "Alice"),
    ] {
        for body in ["[null, null]", "\"hello\"", "1", "true"] {
            let a = app
                .raw(
                    method,
                    &path,
                    Some(who),
                    &[],
                    Some(("application/json", body.as_bytes().to_vec())),
                )
                .await;
            let what = format!("{method} {path} {body}");
            assert_eq!(
                a.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{what}: {}",
                a.body
            );
            assert_error_shape(&a, &what);
            assert_eq!(
                a.body["errors"],
                json!({"body": ["The request body must be a JSON object."]}),
                "{what}"
            );
        }
    }
    // `null` is an empty body, as a `null` field is an absent one: a PATCH that changes
    // nothing, a chat message whose text is missing.
    let null = || Some(("application/json", b"null".to_vec()));
    let a = app
        .raw("PATCH", &format!("{ADM}/{t}"), Some("Sam"), &[], null())
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["data"]["status"], "open");
    let a = app
        .raw(
            "POST",
            &format!("{EMP}/{t}/chat"),
            Some("Alice"),
            &[],
            null(),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(
        a.body["errors"]["message"][0],
        "The message field is required."
    );
}

#[tokio::test]
async fn a_malformed_query_string_and_a_wrong_method_answer_json() {
    let app = App::new();
    let t = app.ticket("Alice").await;
    for path in [
        format!("{EMP}?limit=1&limit=2"),
        format!("{ADM}/{t}/messages?after=1&after=2"),
    ] {
        let who = if path.starts_with(ADM) {
            "Sam"
        } else {
            "Alice"
        };
        let a = app.call("GET", &path, Some(who), None).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{path}: {}", a.body);
        assert_error_shape(&a, &path);
    }
    for (method, path, allow) in [
        ("DELETE", EMP.to_owned(), "GET,HEAD,POST"),
        ("PUT", format!("{ADM}/{t}"), "GET,HEAD,PATCH"),
        ("GET", format!("{EMP}/{t}/chat"), "POST"),
    ] {
        let a = app.call(method, &path, Some("Sam"), None).await;
        assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_error_shape(&a, &path);
        assert_eq!(
            a.headers.get(header::ALLOW).unwrap(),
            allow,
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn idempotency_keys_answer_retries_and_refuse_reuse_with_409() {
    let app = App::new();
    let t = app.ticket("Alice").await;
    let send = |text: &'static str, key: &'static str| {
        let path = format!("{EMP}/{t}/chat");
        let app = &app;
        async move {
            let body = json!({ "message": text }).to_string().into_bytes();
            app.raw(
                "POST",
                &path,
                Some("Alice"),
                &[("idempotency-key", key)],
                Some(("application/json", body)),
            )
            .await
        }
    };
    let first = send("once", "k-1").await;
    let again = send("once", "k-1").await;
    assert_eq!(
        (first.status, again.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_eq!(first.body, again.body, "the retry answers the first result");
    let reused = send("different", "k-1").await;
    assert_eq!(reused.status, StatusCode::CONFLICT, "{}", reused.body);
    assert_error_shape(&reused, "reused key");
    let a = app.get(&format!("{EMP}/{t}/messages"), "Alice").await;
    assert_eq!(a.body["data"].as_array().unwrap().len(), 1);

    // A keyed PATCH is accepted and reaches the service with its write headers.
    let patch = json!({"status": "resolved"}).to_string().into_bytes();
    let a = app
        .raw(
            "PATCH",
            &format!("{ADM}/{t}"),
            Some("Sam"),
            &[("idempotency-key", "p-1"), ("x-socket-id", "123.456")],
            Some(("application/json", patch)),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["data"]["status"], "resolved");
}

#[tokio::test]
async fn ticket_views_carry_the_activity_an_employee_reply_reopening_included() {
    let app = App::new();
    let t = app.ticket("Alice").await;
    let sam = app.get(&format!("{ADM}/users"), "Sam").await;
    let sam_id = sam.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["full_name"] == "Sam Support")
        .map(|u| u["id"].clone())
        .unwrap();
    let took = app
        .send(
            "PATCH",
            &format!("{ADM}/{t}"),
            "Sam",
            json!({"assigned_to": sam_id}),
        )
        .await;
    assert_eq!(took.status, StatusCode::OK, "{}", took.body);
    let done = app
        .send(
            "PATCH",
            &format!("{ADM}/{t}"),
            "Sam",
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let reply = app
        .send(
            "POST",
            &format!("{EMP}/{t}/chat"),
            "Alice",
            json!({"message": "still broken"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    let lines = |a: &Answer| {
        a.body["data"]["activity"]
            .as_array()
            .unwrap_or_else(|| panic!("no activity: {}", a.body))
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_owned(),
                    e["actor_name"].as_str().unwrap().to_owned(),
                    e["after"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let expected = vec![
        (
            "created".to_owned(),
            "Alice Employee".to_owned(),
            Value::Null,
        ),
        (
            "assigned_to".to_owned(),
            "Sam Support".to_owned(),
            sam_id.clone(),
        ),
        (
            "status".to_owned(),
            "Sam Support".to_owned(),
            json!("resolved"),
        ),
        (
            "status".to_owned(),
            "Alice Employee".to_owned(),
            json!("open"),
        ),
    ];
    let employee = app.get(&format!("{EMP}/{t}"), "Alice").await;
    assert_eq!(employee.body["data"]["ticket"]["status"], "open");
    assert_eq!(lines(&employee), expected, "the employee's view");
    let reopen = &employee.body["data"]["activity"][3];
    assert_eq!(reopen["before"], "resolved");
    assert!(reopen["at"].is_string() && reopen["id"].is_i64() && reopen["ticket_id"] == t);
    for path in [format!("{ADM}/{t}"), format!("{ADM}/{t}/live-chat")] {
        assert_eq!(lines(&app.get(&path, "Sam").await), expected, "{path}");
    }
}

#[tokio::test]
async fn a_patch_from_a_stale_version_is_409_with_the_ticket_now() {
    let app = App::new();
    let t = app.ticket("Alice").await;
    let etag = |a: &Answer| {
        a.headers
            .get("etag")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    for (path, who) in [
        (format!("{EMP}/{t}"), "Alice"),
        (format!("{ADM}/{t}"), "Sam"),
        (format!("{ADM}/{t}/live-chat"), "Sam"),
    ] {
        let shown = app.get(&path, who).await;
        assert_eq!(etag(&shown).as_deref(), Some("\"1\""), "{path}");
    }
    let patch = |body: Value, if_match: Option<&'static str>| {
        let app = &app;
        async move {
            let headers: Vec<(&str, &str)> =
                if_match.map(|v| ("if-match", v)).into_iter().collect();
            app.raw(
                "PATCH",
                &format!("{ADM}/{t}"),
                Some("Sam"),
                &headers,
                Some(("application/json", body.to_string().into_bytes())),
            )
            .await
        }
    };
    let took = patch(json!({"status": "in_progress"}), Some("\"1\"")).await;
    assert_eq!(took.status, StatusCode::OK, "{}", took.body);
    assert_eq!(took.body["data"]["version"], 2);
    assert_eq!(etag(&took).as_deref(), Some("\"2\""));

    for stale in [
        patch(json!({"status": "resolved"}), Some("\"1\"")).await,
        patch(json!({"status": "resolved"}), Some("W/\"1\"")).await,
        patch(json!({"status": "resolved", "version": 1}), None).await,
    ] {
        assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
        assert_eq!(
            stale.body["message"],
            "This ticket was changed by someone else."
        );
        assert_eq!(stale.body["data"], took.body["data"]);
        assert_eq!(etag(&stale).as_deref(), Some("\"2\""));
    }
    let now = app.get(&format!("{ADM}/{t}"), "Sam").await;
    assert_eq!(
        now.body["data"]["ticket"]["status"], "in_progress",
        "{}",
        now.body
    );

    for (body, header, field) in [
        (json!({"version": 0}), None, "version"),
        (json!({"version": "2"}), None, "version"),
        (json!({"version": 1.5}), None, "version"),
        (json!({}), Some("*"), "If-Match"),
        (json!({}), Some("\"two\""), "If-Match"),
        (json!({"version": 3}), Some("2"), "version"),
    ] {
        let a = patch(body.clone(), header).await;
        assert_eq!(
            a.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} {header:?}"
        );
        assert!(a.body["errors"][field].is_array(), "{}", a.body);
    }
    let applied = patch(json!({"status": "resolved", "version": 2}), Some("2")).await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
    assert_eq!(applied.body["data"]["version"], 3);
    let plain = patch(json!({"priority": "low"}), None).await;
    assert_eq!(
        plain.body["data"]["version"], 4,
        "without a version, as before"
    );
}

#[tokio::test]
async fn an_identity_backend_that_is_down_is_503_on_the_api_and_on_channel_auth() {
    let app = App::new();
    let t = app.ticket("Alice").await;
    for (method, path, body) in routes(t) {
        let a = app.call(method, &path, Some("down"), body).await;
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{method} {path}");
        assert_error_shape(&a, &path);
    }
    let auth = app
        .raw(
            "POST",
            "/broadcasting/auth",
            Some("down"),
            &[],
            Some((
                "application/x-www-form-urlencoded",
                format!("socket_id=1.2&channel_name=private-support.ticket.{t}").into_bytes(),
            )),
        )
        .await;
    assert_eq!(
        auth.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        auth.body
    );
    assert!(auth.body["message"].is_string());
    // Signed in, the same join is allowed; signed out, it is 401.
    for (who, want) in [
        (Some("Alice"), StatusCode::OK),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let a = app
            .raw(
                "POST",
                "/broadcasting/auth",
                who,
                &[],
                Some((
                    "application/x-www-form-urlencoded",
                    format!("socket_id=1.2&channel_name=private-support.ticket.{t}").into_bytes(),
                )),
            )
            .await;
        assert_eq!(a.status, want, "{who:?}: {}", a.body);
    }
}

#[tokio::test]
async fn a_store_that_is_down_is_503_on_every_route_that_reads_it() {
    let app = App::new();
    let t = app.ticket("Alice").await;
    app.store_down.store(true, Ordering::SeqCst);
    for (method, path, body) in routes(t) {
        let who = if path.starts_with(ADM) {
            "Sam"
        } else {
            "Alice"
        };
        let a = app.call(method, &path, Some(who), body).await;
        if path.ends_with("/users") {
            // The people list comes from the directory, not the store.
            assert_eq!(a.status, StatusCode::OK, "{path}");
            continue;
        }
        assert_eq!(
            a.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{method} {path}: {}",
            a.body
        );
        assert_error_shape(&a, &path);
        assert_eq!(a.body["message"], "The service is temporarily unavailable.");
    }
    // Channel auth of a ticket whose owner must be read from the store.
    let a = app
        .raw(
            "POST",
            "/broadcasting/auth",
            Some("Alice"),
            &[],
            Some((
                "application/x-www-form-urlencoded",
                b"socket_id=1.2&channel_name=private-support.ticket.777".to_vec(),
            )),
        )
        .await;
    assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.body);
    app.store_down.store(false, Ordering::SeqCst);
    let a = app.get(&format!("{EMP}/{t}"), "Alice").await;
    assert_eq!(a.status, StatusCode::OK, "back when the store is");
}

#[tokio::test]
async fn a_staff_request_identifies_the_caller_once() {
    let app = App::new();
    let t = app.ticket("Alice").await;
    for (method, path, body) in staff_routes(t) {
        let before = app.identity.calls.load(Ordering::SeqCst);
        let a = app.call(method, &path, Some("Sam"), body).await;
        assert!(a.status.is_success(), "{method} {path}: {}", a.body);
        assert_eq!(
            app.identity.calls.load(Ordering::SeqCst) - before,
            1,
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn nested_under_a_prefix_every_path_moves_under_it() {
    let app = App::with(|api| Router::new().nest("/support", api));
    let ticket = json!({"subject": "s", "description": "d", "category": "it", "priority": "low"});
    let a = app
        .send("POST", &format!("/support{EMP}"), "Alice", ticket)
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    let t = a.body["data"]["id"].as_i64().unwrap();
    // Message 1, on this ticket, for the read routes.
    let a = app
        .send(
            "POST",
            &format!("/support{EMP}/{t}/chat"),
            "Alice",
            json!({"message": "hi"}),
        )
        .await;
    assert_eq!(a.body["data"]["id"], 1, "{}", a.body);
    for (method, path, body) in routes(t) {
        let staff_route = path.starts_with(ADM);
        let path = format!("/support{path}");
        let a = app.call(method, &path, Some("Sam"), body.clone()).await;
        assert!(
            a.status.is_success(),
            "{method} {path}: {} {}",
            a.status,
            a.body
        );
        if staff_route {
            let a = app.call(method, &path, Some("Bob"), body).await;
            assert_eq!(a.status, StatusCode::FORBIDDEN, "{method} {path}");
        }
    }
    let a = app.get(&format!("/support{EMP}/nope"), "Alice").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_error_shape(&a, "nested 404");
    let a = app.get(EMP, "Alice").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "not at the root any more");
}

#[tokio::test]
async fn every_answer_of_the_api_and_of_channel_auth_is_no_store_and_nosniff() {
    let app = App::new();
    let t = app.ticket("Alice").await;
    let auth = |who: Option<&'static str>, channel: String| {
        let app = &app;
        async move {
            app.raw(
                "POST",
                "/broadcasting/auth",
                who,
                &[],
                Some((
                    "application/x-www-form-urlencoded",
                    format!("socket_id=1.2&channel_name={channel}").into_bytes(),
                )),
            )
            .await
        }
    };
    let answers = [
        (StatusCode::OK, app.get(EMP, "Alice").await),
        (
            StatusCode::UNAUTHORIZED,
            app.call("GET", EMP, None, None).await,
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            app.send("POST", EMP, "Alice", json!({})).await,
        ),
        (
            StatusCode::FORBIDDEN,
            app.get(&format!("{ADM}/{t}"), "Alice").await,
        ),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            app.call("DELETE", EMP, Some("Alice"), None).await,
        ),
        (
            StatusCode::OK,
            app.call("GET", "/api/openapi.json", None, None).await,
        ),
        (
            StatusCode::OK,
            auth(Some("Alice"), format!("private-support.ticket.{t}")).await,
        ),
        (
            StatusCode::UNAUTHORIZED,
            auth(None, format!("private-support.ticket.{t}")).await,
        ),
        (
            StatusCode::FORBIDDEN,
            auth(Some("Alice"), "private-support.admin".into()).await,
        ),
    ];
    for (status, a) in answers {
        assert_eq!(a.status, status, "{}", a.body);
        assert_eq!(
            a.headers
                .get(header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{status}: {:?}",
            a.headers
        );
        assert_eq!(
            a.headers
                .get(header::X_CONTENT_TYPE_OPTIONS)
                .and_then(|v| v.to_str().ok()),
            Some("nosniff"),
            "{status}: {:?}",
            a.headers
        );
    }
}
