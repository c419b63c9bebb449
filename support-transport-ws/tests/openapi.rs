//! The OpenAPI document the JSON API serves at `/api/openapi.json`: valid JSON, OpenAPI 3.1,
//! every route the router mounts and nothing else, and each operation's parameters, body and
//! answers as the handlers give them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Method, Request, StatusCode, header};
use serde_json::Value;
use support_core::*;
use support_transport_ws::{AppConfig, Hub, api, identify_fn};
use tower::ServiceExt;
use utoipa::openapi::ServerBuilder;

/// Every route the JSON API mounts, as the document writes its path. A route added to the
/// router must be added here, and then fails the test until the document describes it.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/openapi.json"),
    ("GET", "/api/employee/portal/support"),
    ("POST", "/api/employee/portal/support"),
    ("POST", "/api/employee/portal/support/quick-chat"),
    ("GET", "/api/employee/portal/support/{ticket}"),
    ("POST", "/api/employee/portal/support/{ticket}/comment"),
    ("POST", "/api/employee/portal/support/{ticket}/chat"),
    ("GET", "/api/employee/portal/support/{ticket}/messages"),
    ("POST", "/api/employee/portal/support/{ticket}/read"),
    ("GET", "/api/employee/portal/support/{ticket}/transcript"),
    ("POST", "/api/employee/portal/support/{ticket}/attachments"),
    (
        "GET",
        "/api/employee/portal/support/{ticket}/attachments/{attachment}",
    ),
    ("GET", "/api/admin/support"),
    ("GET", "/api/admin/support/dashboard"),
    ("GET", "/api/admin/support/stats"),
    ("GET", "/api/admin/support/users"),
    ("GET", "/api/admin/support/reports"),
    ("GET", "/api/admin/support/{ticket}"),
    ("PATCH", "/api/admin/support/{ticket}"),
    ("GET", "/api/admin/support/{ticket}/live-chat"),
    ("POST", "/api/admin/support/{ticket}/chat"),
    ("POST", "/api/admin/support/{ticket}/comment"),
    ("GET", "/api/admin/support/{ticket}/messages"),
    ("GET", "/api/admin/support/{ticket}/audit"),
    ("GET", "/api/admin/support/{ticket}/history"),
    ("GET", "/api/admin/support/audit"),
    ("POST", "/api/admin/support/{ticket}/read"),
    ("GET", "/api/admin/support/{ticket}/transcript"),
    (
        "POST",
        "/api/employee/portal/support/{ticket}/messages/{message}/reactions",
    ),
    (
        "DELETE",
        "/api/employee/portal/support/{ticket}/messages/{message}/reactions/{emoji}",
    ),
    (
        "POST",
        "/api/admin/support/{ticket}/messages/{message}/reactions",
    ),
    (
        "DELETE",
        "/api/admin/support/{ticket}/messages/{message}/reactions/{emoji}",
    ),
    ("GET", "/api/employee/portal/support/templates"),
    ("GET", "/api/employee/portal/support/search"),
    ("GET", "/api/admin/support/search"),
    ("GET", "/api/admin/support/canned-responses"),
    ("POST", "/api/admin/support/canned-responses"),
    ("PATCH", "/api/admin/support/canned-responses/{id}"),
    ("DELETE", "/api/admin/support/canned-responses/{id}"),
    (
        "POST",
        "/api/admin/support/{ticket}/canned-responses/{id}/render",
    ),
    ("GET", "/api/admin/support/templates"),
    ("POST", "/api/admin/support/templates"),
    ("PATCH", "/api/admin/support/templates/{id}"),
    ("DELETE", "/api/admin/support/templates/{id}"),
    ("POST", "/api/admin/support/{ticket}/attachments"),
];

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn service() -> SupportService {
    let hub = Hub::new(AppConfig::new("app", "key", "secret"));
    SupportService::new(MemoryStore::new(), hub, StaticDirectory::default())
}

fn nobody() -> impl support_transport_ws::Identify {
    identify_fn(|_| Box::pin(async { Ok(None) }))
}

async fn send(app: &Router, method: &str, path: &str) -> axum::response::Response {
    let request = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).unwrap())
        .uri(path)
        .body(Body::empty())
        .unwrap();
    app.clone().oneshot(request).await.unwrap()
}

/// `GET /api/openapi.json`, signed out: 200 and JSON.
async fn document(app: &Router) -> Value {
    let response = send(app, "GET", "/api/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK, "served without sign-in");
    assert_eq!(
        response.headers().get(header::CONTENT_TYPE).unwrap(),
        "application/json"
    );
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    serde_json::from_slice(&bytes).expect("the document is JSON")
}

/// Every operation: (method, path) → operation.
fn operations(doc: &Value) -> BTreeMap<(String, String), &Value> {
    let mut all = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(op) = item.get(*method) {
                all.insert((method.to_uppercase(), path.clone()), op);
            }
        }
    }
    all
}

/// Follows a local `$ref` (`#/components/…`).
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(pointer) => {
            let target = doc
                .pointer(pointer.strip_prefix('#').expect("a local $ref"))
                .unwrap_or_else(|| panic!("{pointer} does not resolve"));
            resolve(doc, target)
        }
        None => value,
    }
}

/// Every `$ref` anywhere in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r);
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_openapi_3_1_json_served_without_sign_in() {
    let doc = document(&api::router(service(), nobody())).await;
    let version = doc["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "{version}");
    assert!(doc["info"]["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(doc["security"][0]["bearer"], serde_json::json!([]));
    assert!(
        doc["components"]["schemas"][api::ERROR_BODY_SCHEMA].is_object(),
        "ERROR_BODY_SCHEMA names a schema of the document"
    );
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 50, "the document refers to its components");
    for r in all {
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{r} is not local"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
    // The document's own route needs no sign-in: its security is the empty requirement.
    assert_eq!(
        doc["paths"]["/api/openapi.json"]["get"]["security"],
        serde_json::json!([{}])
    );
}

#[tokio::test]
async fn every_route_the_router_mounts_is_documented_and_nothing_else() {
    let app = api::router(service(), nobody());
    let doc = document(&app).await;
    let documented: BTreeSet<(String, String)> = operations(&doc).into_keys().collect();
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(
        documented.difference(&expected).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "documented but not in ROUTES"
    );
    assert_eq!(
        expected.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "in ROUTES but not documented"
    );
    // The router mounts exactly these methods on each path: a method the document does not
    // know is 405, and `Allow` lists the documented ones (and HEAD beside GET).
    let mut by_path: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (method, path) in ROUTES {
        by_path.entry(path).or_default().insert(method);
    }
    for (path, methods) in by_path {
        let concrete = path.replace("{ticket}", "1").replace("{id}", "1");
        let response = send(&app, "TRACE", &concrete).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
        let allow: BTreeSet<&str> = response
            .headers()
            .get(header::ALLOW)
            .unwrap()
            .to_str()
            .unwrap()
            .split(',')
            .map(str::trim)
            .filter(|m| *m != "HEAD")
            .collect();
        assert_eq!(
            allow, methods,
            "{path}: mounted {allow:?}, documented {methods:?}"
        );
    }
}

#[tokio::test]
async fn every_operation_documents_its_parameters_and_errors_in_laravels_shape() {
    let doc = document(&api::router(service(), nobody())).await;
    let mut ids = BTreeSet::new();
    for ((method, path), op) in operations(&doc) {
        let what = format!("{method} {path}");
        assert!(
            ids.insert(op["operationId"].as_str().unwrap().to_owned()),
            "{what}: operationId is unique"
        );
        assert!(op["summary"].is_string(), "{what}: a summary");
        let responses = op["responses"].as_object().unwrap();
        let status = |s: &str| responses.contains_key(s);
        if path == "/api/openapi.json" {
            continue;
        }
        let success = responses
            .keys()
            .filter(|s| s.starts_with('2'))
            .collect::<Vec<_>>();
        assert_eq!(success.len(), 1, "{what}: one success status");
        let answer = &responses[success[0].as_str()];
        if success[0] == "204" {
            // A read mark answers nothing.
            assert!(answer["content"].is_null(), "{what}: 204 has no body");
        } else if path.ends_with("/attachments/{attachment}") {
            // A download answers the file's own bytes.
            let bytes = &answer["content"]["*/*"]["schema"];
            assert!(bytes.is_object(), "{what}: a binary success body");
        } else {
            let body = resolve(&doc, &answer["content"]["application/json"]["schema"]);
            assert!(body.is_object(), "{what}: a JSON success body");
        }
        for s in ["401", "503"] {
            assert!(status(s), "{what}: {s}");
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let param = |name: &str, place: &str| {
            params
                .iter()
                .find(|p| p["name"] == name && p["in"] == place)
                .cloned()
        };
        if path.contains("{ticket}") {
            let ticket = param("ticket", "path").unwrap_or_else(|| panic!("{what}: ticket"));
            assert_eq!(ticket["schema"]["type"], "integer", "{what}");
            assert!(status("404"), "{what}: 404");
        }
        if path.starts_with("/api/admin/") {
            assert!(status("403"), "{what}: staff only");
        }
        // Canned responses and templates broadcast nothing and are not replayed by key: they
        // take neither header.
        let library = path.contains("/canned-responses") || path.contains("/templates");
        // An upload is a multipart body, not JSON, and takes no key: a retry is another upload
        // on no message, which the collector removes if no message names it.
        let upload = method == "POST" && path.ends_with("/attachments");
        if upload {
            assert!(
                op["requestBody"]["content"]["multipart/form-data"].is_object(),
                "{what}"
            );
            for s in ["400", "413", "415", "422"] {
                assert!(status(s), "{what}: {s}");
            }
        } else if method != "GET" {
            for h in ["Idempotency-Key", "X-Socket-ID"] {
                assert_eq!(param(h, "header").is_some(), !library, "{what}: {h}");
            }
        }
        // A DELETE names what it removes in its path and sends no body.
        if method != "GET" && method != "DELETE" && !upload {
            assert!(
                op["requestBody"]["content"]["application/json"].is_object(),
                "{what}"
            );
            for s in ["400", "413", "415", "422"] {
                assert!(status(s), "{what}: {s}");
            }
        }
        // A read mark and a reaction create nothing a retry could duplicate: a position only
        // moves forward, and a user's emoji is on a message once. Safe to repeat without a key.
        // Canned responses and templates take no key (a repeated canned response is refused by
        // its shortcut; a repeated template is a second one).
        let keyless = path.ends_with("/read") || path.ends_with("/reactions") || library || upload;
        if method == "POST" && !keyless {
            assert!(status("409"), "{what}: a create with a reused key");
        }
        // Every error is Laravel's shape: `message`, and for 422 `errors`.
        for (code, answer) in responses
            .iter()
            .filter(|(s, _)| s.starts_with('4') || s.starts_with('5'))
        {
            let answer = resolve(&doc, answer);
            assert!(answer["description"].is_string(), "{what} {code}");
            let schema = resolve(&doc, &answer["content"]["application/json"]["schema"]);
            let required: Vec<&str> = schema["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert!(required.contains(&"message"), "{what} {code}: {schema}");
            if code == "422" {
                assert!(required.contains(&"errors"), "{what} {code}");
                let errors = &schema["properties"]["errors"];
                assert_eq!(errors["type"], "object", "{what}");
                assert_eq!(errors["additionalProperties"]["type"], "array", "{what}");
            }
            if code == "403" {
                assert!(required.contains(&"reason"), "{what} {code}");
            }
        }
    }
    assert_eq!(ids.len(), ROUTES.len());
}

/// The names of a string enumeration, as the document lists them.
fn names(doc: &Value, schema: &str) -> Vec<String> {
    doc["components"]["schemas"][schema]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("{schema} is an enumeration"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn wire<T: Choice>() -> Vec<String> {
    T::ALL.iter().map(|v| v.as_str().to_owned()).collect()
}

#[tokio::test]
async fn bodies_carry_the_fields_their_validators_read() {
    let doc = document(&api::router(service(), nobody())).await;
    assert_eq!(names(&doc, "Category"), wire::<Category>());
    assert_eq!(names(&doc, "Priority"), wire::<Priority>());
    assert_eq!(names(&doc, "Status"), wire::<Status>());
    assert_eq!(names(&doc, "Role"), wire::<Role>());

    let body = |method: &str, path: &str| {
        let op = &doc["paths"][path][method];
        resolve(
            &doc,
            &op["requestBody"]["content"]["application/json"]["schema"],
        )
        .clone()
    };
    let ticket = body("post", "/api/employee/portal/support");
    assert_eq!(
        ticket["required"],
        serde_json::json!(["subject", "description", "category", "priority"])
    );
    assert_eq!(
        ticket["properties"]["subject"]["maxLength"],
        Subject::MAX_CHARS
    );
    assert_eq!(
        ticket["properties"]["description"]["maxLength"],
        Description::MAX_CHARS
    );
    assert_eq!(
        ticket["properties"]["category"]["$ref"],
        "#/components/schemas/Category"
    );
    let chat = body("post", "/api/employee/portal/support/{ticket}/chat");
    assert_eq!(
        chat["properties"]["message"]["maxLength"],
        MessageBody::MAX_CHARS
    );
    assert_eq!(
        chat["properties"]["attachments"]["maxItems"],
        NewMessage::MAX_ATTACHMENTS
    );
    let comment = body("post", "/api/admin/support/{ticket}/comment");
    assert_eq!(comment["required"], serde_json::json!(["content"]));
    let patch = body("patch", "/api/admin/support/{ticket}");
    let fields: BTreeSet<&String> = patch["oneOf"][1]["$ref"]
        .as_str()
        .map(|r| {
            doc.pointer(r.strip_prefix('#').unwrap()).unwrap()["properties"]
                .as_object()
                .unwrap()
                .keys()
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        fields.into_iter().cloned().collect::<Vec<_>>(),
        ["assigned_to", "priority", "status", "version"]
    );
    // Pages and lists carry their cursor; the dashboard its stats.
    let ok = |path: &str| {
        let op = &doc["paths"][path]["get"];
        resolve(
            &doc,
            &op["responses"]["200"]["content"]["application/json"]["schema"],
        )
        .clone()
    };
    for path in ["/api/employee/portal/support", "/api/admin/support"] {
        assert_eq!(
            ok(path)["required"],
            serde_json::json!(["data", "next_cursor"]),
            "{path}"
        );
    }
    let dashboard = ok("/api/admin/support/dashboard");
    assert_eq!(
        dashboard["required"],
        serde_json::json!(["data", "next_cursor", "stats"])
    );
    assert_eq!(
        ok("/api/admin/support/{ticket}/audit")["required"],
        serde_json::json!(["data"])
    );
    let stats = ok("/api/admin/support/stats");
    assert_eq!(
        stats["required"],
        serde_json::json!(["open", "in_progress", "urgent"])
    );
    // The list's filters.
    let list = &doc["paths"]["/api/admin/support"]["get"]["parameters"];
    let filters: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        filters,
        [
            "status",
            "priority",
            "category",
            "assigned_to",
            "q",
            "archived",
            "cursor",
            "limit"
        ]
    );
}

#[tokio::test]
async fn each_create_links_to_what_can_be_done_with_its_ticket() {
    let doc = document(&api::router(service(), nobody())).await;
    let links = &doc["paths"]["/api/employee/portal/support"]["post"]["responses"]["201"]["links"];
    let show = &links["employee_show_ticket"];
    assert_eq!(show["operationId"], "employee_show_ticket");
    assert_eq!(show["parameters"]["ticket"], "$response.body#/data/id");
    let links = &doc["paths"]["/api/employee/portal/support/quick-chat"]["post"]["responses"]["201"]
        ["links"];
    assert_eq!(
        links["staff_update_ticket"]["parameters"]["ticket"],
        "$response.body#/data/ticket/id"
    );
    let on_one_ticket = ROUTES
        .iter()
        .filter(|(_, p)| p.contains("{ticket}"))
        .count();
    assert_eq!(links.as_object().unwrap().len(), on_one_ticket);
}

#[tokio::test]
async fn an_embedder_can_edit_the_document_it_serves() {
    let api = api::router_with_document(service(), nobody(), |document| {
        document.servers = Some(vec![ServerBuilder::new().url("/support").build()]);
    });
    let app = Router::new().nest("/support", api);
    let response = send(&app, "GET", "/support/api/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(doc["servers"][0]["url"], "/support");
    assert!(doc["paths"]["/api/employee/portal/support"].is_object());
}
