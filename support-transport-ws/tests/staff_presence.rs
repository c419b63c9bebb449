//! A ticket's staff presence, `presence-support.ticket.{id}.staff`, through the real
//! `SupportChat`: `/broadcasting/auth` signs staff in with `{name, role}` as their member
//! info and refuses employees (the ticket's own included) and tickets that do not exist; the
//! members are the staff with the ticket open, one per user however many tabs, and on a bus
//! every node's: joins and leaves once per user across tabs and nodes, a node that joins late
//! converges, and a node not heard from has its members removed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::{Value, json};
use std::sync::Arc;
use support_core::*;

use support_core::testing::bus::InProcessBus;
use support_transport_ws::testing::{Client, http, next_within};
use support_transport_ws::{AppConfig, Limits, SupportChat, WebhookConfig, identify_fn, signature};

const KEY: &str = "presence-key";
const SECRET: &str = "presence-secret";
const QUIET: Duration = Duration::from_millis(300);

fn cast() -> [Actor; 4] {
    [
        Actor::new(101, "Alice Employee", Role::Employee),
        Actor::new(201, "Sam Support", Role::Support),
        Actor::new(202, "Ada Admin", Role::Admin),
        Actor::new(203, "Hana HR", Role::Hr),
    ]
}

/// `x-user: {id}` names the caller.
fn user(headers: &HeaderMap) -> Option<Actor> {
    let id: i64 = headers.get("x-user")?.to_str().ok()?.parse().ok()?;
    cast().into_iter().find(|a| a.id == UserId(id))
}

/// A node on `bus` that announces Ada (202) joining `channel`, then says nothing more: kept
/// alive, it stands for a node that was killed after its member joined.
async fn ghost_with_ada(
    bus: &InProcessBus,
    channel: String,
) -> support_core::BusNode<<InProcessBus as support_core::Bus>::Listener> {
    let ghost = support_core::Bus::join(bus, Arc::new(MemoryBroadcaster::default()))
        .await
        .unwrap();
    let joined = PresenceNotice {
        node: "ghost".into(),
        change: PresenceChange::Joined {
            channel,
            member: PresenceEntry {
                user_id: "202".into(),
                user_info: json!({"name": "Ada Admin", "role": "admin"}),
            },
        },
    };
    ghost
        .publisher
        .publish(Dispatch::Presence(Arc::new(joined)))
        .await
        .unwrap();
    ghost
}

struct Chat {
    app: SupportChat,
    addr: SocketAddr,
    ticket: TicketId,
}

async fn start() -> Chat {
    node(None, Limits::default()).await
}

/// A node with a ticket of Alice's (each node has a store of its own here, so each opens the
/// same ticket 1), on `bus` if given.
async fn node(bus: Option<InProcessBus>, limits: Limits) -> Chat {
    let app = AppConfig {
        limits,
        ..AppConfig::new("presence-app", KEY, SECRET)
    };
    node_with(bus, app).await
}

async fn node_with(bus: Option<InProcessBus>, app: AppConfig) -> Chat {
    let builder = SupportChat::builder(app)
        .store(MemoryStore::new())
        .directory(StaticDirectory::new(cast()))
        .identify(identify_fn(|headers| {
            let caller = user(headers);
            Box::pin(async move { Ok(caller) })
        }));
    let builder = match bus {
        Some(bus) => builder.bus(bus),
        None => builder,
    };
    let app = builder.start().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let body =
        json!({"subject": "VPN", "description": "down", "category": "it", "priority": "high"});
    let (status, text) = http(
        addr,
        "POST",
        "/api/employee/portal/support",
        &[("x-user", "101"), ("content-type", "application/json")],
        body.to_string().as_bytes(),
    )
    .await;
    assert_eq!(status, 201, "{text}");
    let id = serde_json::from_str::<Value>(&text).unwrap()["data"]["id"]
        .as_i64()
        .unwrap();
    Chat {
        app,
        addr,
        ticket: TicketId(id),
    }
}

impl Chat {
    fn presence(&self) -> String {
        Channel::TicketStaff(self.ticket).to_string()
    }

    /// `POST /broadcasting/auth` as `who` for `channel`: the status and the JSON answer.
    async fn auth(&self, who: &str, channel: &str) -> (u16, Value) {
        let form =
            serde_urlencoded::to_string([("socket_id", "123.456"), ("channel_name", channel)])
                .unwrap();
        let (status, body) = http(
            self.addr,
            "POST",
            "/broadcasting/auth",
            &[
                ("x-user", who),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            form.as_bytes(),
        )
        .await;
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    }

    /// A new connection of user `who` joined to the ticket's staff presence; the
    /// `subscription_succeeded` data.
    async fn join(&self, who: &str) -> (Client, Value) {
        let mut c = Client::connect(self.addr, KEY).await;
        let ok = c.sign_in(&self.presence(), &[("x-user", who)]).await;
        let data = serde_json::from_str(ok["data"].as_str().unwrap()).unwrap();
        (c, data)
    }
}

async fn nothing_for(c: &mut Client) {
    let got = next_within(c.ws(), QUIET).await;
    assert!(got.is_none(), "expected nothing, got {got:?}");
}

#[tokio::test]
async fn staff_are_signed_in_with_their_name_and_role() {
    let chat = start().await;
    let channel = chat.presence();
    let (status, answer) = chat.auth("201", &channel).await;
    assert_eq!(status, 200, "{answer}");
    let channel_data = answer["channel_data"].as_str().expect("channel_data");
    assert_eq!(
        serde_json::from_str::<Value>(channel_data).unwrap(),
        json!({"user_id": "201", "user_info": {"name": "Sam Support", "role": "support"}})
    );
    assert!(
        signature::verify_channel_auth(
            KEY,
            SECRET,
            answer["auth"].as_str().unwrap(),
            "123.456",
            &channel,
            Some(channel_data),
        ),
        "signed over socket_id:channel:channel_data"
    );
    chat.app.shutdown().await;
}

#[tokio::test]
async fn employees_and_missing_tickets_are_refused() {
    let chat = start().await;
    let (status, answer) = chat.auth("101", &chat.presence()).await;
    assert_eq!(status, 403, "the ticket's own employee: {answer}");
    assert!(answer.get("auth").is_none(), "{answer}");
    let missing = Channel::TicketStaff(TicketId(chat.ticket.0 + 100)).to_string();
    let (status, _) = chat.auth("201", &missing).await;
    assert_eq!(status, 403, "a ticket that does not exist");
    for bad in [
        format!("presence-support.ticket.{}", chat.ticket),
        format!("presence-support.ticket.0{}.staff", chat.ticket),
        "presence-support.admin".to_owned(),
    ] {
        let (status, _) = chat.auth("201", &bad).await;
        assert_eq!(status, 403, "{bad}");
    }
    chat.app.shutdown().await;
}

#[tokio::test]
async fn members_are_the_staff_with_the_ticket_open_once_per_user() {
    let chat = start().await;
    let channel = chat.presence();
    let (mut sam, data) = chat.join("201").await;
    assert_eq!(data["presence"]["ids"], json!(["201"]));
    let (mut ada, data) = chat.join("202").await;
    assert_eq!(data["presence"]["count"], 2);
    assert_eq!(
        data["presence"]["hash"]["201"],
        json!({"name": "Sam Support", "role": "support"})
    );
    let added = sam.event("pusher_internal:member_added").await;
    assert_eq!(
        added,
        json!({"user_id": "202", "user_info": {"name": "Ada Admin", "role": "admin"}})
    );

    // Sam's second tab is not a new member.
    let (sam_tab, data) = chat.join("201").await;
    assert_eq!(data["presence"]["count"], 2);
    nothing_for(&mut ada).await;
    drop(sam_tab);
    nothing_for(&mut ada).await;
    drop(sam);
    let removed = ada.event("pusher_internal:member_removed").await;
    assert_eq!(removed, json!({"user_id": "201"}));
    assert_eq!(chat.app.hub().presence_users(&channel), ["202"]);
    chat.app.shutdown().await;
}

/// Limits for the cross-node cases: a heartbeat and an expiry short enough to wait for.
fn quick() -> Limits {
    Limits {
        presence_heartbeat: Duration::from_millis(200),
        presence_expiry: Duration::from_secs(1),
        ..Limits::default()
    }
}

/// `GET path` on Pusher's HTTP API of `chat`, signed as the server SDKs sign it.
async fn api_get(chat: &Chat, path: &str) -> Value {
    let mut params = std::collections::BTreeMap::new();
    params.insert("auth_key".to_owned(), KEY.to_owned());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    params.insert("auth_timestamp".to_owned(), now.as_secs().to_string());
    params.insert("auth_version".to_owned(), "1.0".to_owned());
    let signed = signature::sign(SECRET, &signature::api_string("GET", path, &params));
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let url = format!("{path}?{}&auth_signature={signed}", query.join("&"));
    let (status, body) = http(chat.addr, "GET", &url, &[], b"").await;
    assert_eq!(status, 200, "{url}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn ids(data: &Value) -> Vec<String> {
    let mut ids: Vec<String> = data["presence"]["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// Waits (at most `bound`) until `chat`'s hub lists exactly `want` as the channel's members.
async fn members_become(chat: &Chat, want: &[&str], bound: Duration) {
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        let now = chat.app.hub().presence_users(&chat.presence());
        if now == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "members {now:?}, not {want:?}, after {bound:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_bus_members_are_every_nodes_once_per_user_across_tabs_and_nodes() {
    let bus = InProcessBus::default();
    let a = node(Some(bus.clone()), Limits::default()).await;
    let b = node(Some(bus), Limits::default()).await;
    assert_ne!(a.app.hub().node_id(), b.app.hub().node_id());

    let (mut sam, data) = a.join("201").await;
    assert_eq!(ids(&data), ["201"]);
    members_become(&b, &["201"], Duration::from_secs(2)).await;
    let (mut ada, data) = b.join("202").await;
    assert_eq!(ids(&data), ["201", "202"], "B lists A's member too");
    assert_eq!(
        data["presence"]["hash"]["201"],
        json!({"name": "Sam Support", "role": "support"})
    );
    let added = sam.event("pusher_internal:member_added").await;
    assert_eq!(
        added,
        json!({"user_id": "202", "user_info": {"name": "Ada Admin", "role": "admin"}}),
        "A's subscriber hears of B's member"
    );
    members_become(&a, &["201", "202"], Duration::from_secs(2)).await;
    let info = a.app.hub().channel_info(&a.presence());
    assert_eq!((info.subscription_count, info.user_count), (1, 2));
    for node in [&a, &b] {
        let path = format!("/apps/presence-app/channels/{}/users", node.presence());
        let users = api_get(node, &path).await;
        assert_eq!(
            users,
            json!({"users": [{"id": "201"}, {"id": "202"}]}),
            "the HTTP API lists every node's members"
        );
    }

    // Ada opens the ticket on node A as well, Sam on node B: nobody is new.
    let (ada_on_a, data) = a.join("202").await;
    assert_eq!(ids(&data), ["201", "202"]);
    let (sam_on_b, _) = b.join("201").await;
    nothing_for(&mut sam).await;
    nothing_for(&mut ada).await;

    // Ada closes her tab on B: she is still on A.
    drop(ada);
    nothing_for(&mut sam).await;
    members_become(&b, &["201", "202"], Duration::from_secs(1)).await;
    // And on A: now she is gone, once.
    drop(ada_on_a);
    let removed = sam.event("pusher_internal:member_removed").await;
    assert_eq!(removed, json!({"user_id": "202"}));
    nothing_for(&mut sam).await;
    members_become(&b, &["201"], Duration::from_secs(2)).await;
    members_become(&a, &["201"], Duration::from_secs(2)).await;

    // Sam leaves A but is still on B; then B shuts down, and A forgets him at once (B's last
    // snapshot is empty), not after the expiry.
    drop(sam);
    members_become(&a, &["201"], Duration::from_millis(500)).await;
    let (mut ada, data) = a.join("202").await;
    assert_eq!(ids(&data), ["201", "202"]);
    b.app.shutdown().await;
    drop(sam_on_b);
    let removed = ada.event("pusher_internal:member_removed").await;
    assert_eq!(removed, json!({"user_id": "201"}));
    members_become(&a, &["202"], Duration::from_secs(1)).await;
    a.app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_joins_late_learns_the_members_from_the_next_snapshot() {
    let bus = InProcessBus::default();
    let a = node(Some(bus.clone()), quick()).await;
    let (_sam, _) = a.join("201").await;
    // B was not there when Sam joined: A's heartbeat tells it.
    let b = node(Some(bus), quick()).await;
    members_become(&b, &["201"], Duration::from_secs(2)).await;
    let (_ada, data) = b.join("202").await;
    assert_eq!(ids(&data), ["201", "202"]);
    a.app.shutdown().await;
    b.app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_members_of_a_node_not_heard_from_are_removed_after_the_expiry() {
    let bus = InProcessBus::default();
    let a = node(Some(bus.clone()), quick()).await;
    let (mut sam, _) = a.join("201").await;

    // A node that says one member joined, then is never heard from again (killed).
    let _ghost = ghost_with_ada(&bus, a.presence()).await;
    let added = sam.event("pusher_internal:member_added").await;
    assert_eq!(added["user_id"], "202");
    assert_eq!(a.app.hub().presence_users(&a.presence()), ["201", "202"]);

    let started = std::time::Instant::now();
    let removed = sam.event("pusher_internal:member_removed").await;
    assert_eq!(removed, json!({"user_id": "202"}));
    let waited = started.elapsed();
    assert!(
        waited <= Duration::from_millis(2500),
        "expiry 1 s plus the sweep, took {waited:?}"
    );
    assert_eq!(a.app.hub().presence_users(&a.presence()), ["201"]);
    nothing_for(&mut sam).await;
    a.app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_member_cap_counts_every_nodes_members() {
    let bus = InProcessBus::default();
    let capped = Limits {
        max_presence_members: 2,
        ..Limits::default()
    };
    let a = node(Some(bus.clone()), capped.clone()).await;
    let b = node(Some(bus), capped).await;
    let (_sam, _) = a.join("201").await;
    let (_ada, _) = b.join("202").await;
    members_become(&a, &["201", "202"], Duration::from_secs(2)).await;
    // A third user on A is one too many, though A has one member of its own.
    let mut hana = Client::connect(a.addr, KEY).await;
    let channel = a.presence();
    let form = serde_urlencoded::to_string([
        ("socket_id", hana.socket_id()),
        ("channel_name", channel.as_str()),
    ])
    .unwrap();
    let (status, body) = http(
        a.addr,
        "POST",
        "/broadcasting/auth",
        &[
            ("x-user", "203"),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    )
    .await;
    assert_eq!(status, 200, "channel auth allows Hana: {body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    support_transport_ws::testing::subscribe(
        hana.ws(),
        &channel,
        answer["auth"].as_str().unwrap(),
        answer["channel_data"].as_str(),
    )
    .await;
    let refused = hana.next().await;
    assert_eq!(refused["event"], "pusher:subscription_error", "{refused}");
    // Sam's second tab is no new user: it fits.
    let (_sam_tab, data) = a.join("201").await;
    assert_eq!(ids(&data), ["201", "202"]);
    a.app.shutdown().await;
    b.app.shutdown().await;
}

/// What a webhook endpoint shared by every node received: each event's name and user.
#[derive(Clone, Default)]
struct Hooks(Arc<std::sync::Mutex<Vec<(String, String)>>>);

impl Hooks {
    async fn serve(&self) -> String {
        let hooks = self.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |body: String| {
                let hooks = hooks.clone();
                async move {
                    let body: Value = serde_json::from_str(&body).unwrap();
                    for e in body["events"].as_array().unwrap() {
                        let name = e["name"].as_str().unwrap().to_owned();
                        let user = e["user_id"].as_str().unwrap_or_default().to_owned();
                        hooks.0.lock().unwrap().push((name, user));
                    }
                    "ok"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    }

    /// The member events so far, after a pause long enough for any batch to arrive.
    async fn members(&self) -> Vec<(String, String)> {
        tokio::time::sleep(Duration::from_millis(500)).await;
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(name, _)| name.starts_with("member_"))
            .cloned()
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_report_each_cluster_wide_change_once() {
    let hooks = Hooks::default();
    let url = hooks.serve().await;
    let app = || {
        let mut webhooks = WebhookConfig::new(url.clone());
        webhooks.batch_window = Duration::from_millis(50);
        AppConfig {
            limits: quick(),
            webhooks: Some(webhooks),
            ..AppConfig::new("presence-app", KEY, SECRET)
        }
    };
    let bus = InProcessBus::default();
    let a = node_with(Some(bus.clone()), app()).await;
    let b = node_with(Some(bus.clone()), app()).await;
    let event = |name: &str, user: &str| (name.to_owned(), user.to_owned());

    let (sam, _) = a.join("201").await;
    members_become(&b, &["201"], Duration::from_secs(2)).await;
    let (sam_on_b, _) = b.join("201").await;
    drop(sam);
    members_become(&a, &["201"], Duration::from_secs(2)).await;
    assert_eq!(hooks.members().await, [event("member_added", "201")]);
    drop(sam_on_b);
    members_become(&a, &[], Duration::from_secs(2)).await;
    assert_eq!(
        hooks.members().await,
        [event("member_added", "201"), event("member_removed", "201")]
    );

    // A node that is killed after its member joined: one of the others reports the leave.
    let ghost = ghost_with_ada(&bus, a.presence()).await;
    members_become(&a, &["202"], Duration::from_secs(2)).await;
    drop(ghost);
    members_become(&a, &[], Duration::from_secs(3)).await;
    members_become(&b, &[], Duration::from_secs(3)).await;
    let got = hooks.members().await;
    assert_eq!(
        got[2..],
        [event("member_removed", "202")],
        "the ghost's join was not this deployment's to report, its leave is reported once"
    );
    a.app.shutdown().await;
    b.app.shutdown().await;
}
