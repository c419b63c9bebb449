//! Browser sessions are kept on the server: signing out ends them there, so does an idle
//! timeout and "sign out everywhere"; every sign-in gets a new session id; over HTTPS the
//! cookie is `__Host-` and `Secure`; sessions survive a restart, and with PostgreSQL every
//! node sees the same sessions.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;

/// A browser's session as the server handed it out: the cookie (`name=value`), the
/// `Set-Cookie` line it came in, and the page's CSRF token.
#[derive(Debug, Clone)]
struct Browser {
    cookie: String,
    set_cookie: String,
    csrf: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// Signs in with `token` through the sign-in form, sending `held` (a cookie the browser had
/// before) if given, and reads the CSRF token from the user's home page.
async fn sign_in_holding(s: &Server, token: &str, held: Option<&str>) -> Browser {
    let mut request = client()
        .post(format!("{}/login", s.base))
        .form(&[("token", token)]);
    if let Some(cookie) = held {
        request = request.header("cookie", cookie);
    }
    let answer = request.send().await.unwrap();
    assert_eq!(answer.status(), 303);
    let set_cookie = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
    let home = answer.headers()["location"].to_str().unwrap().to_owned();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let page = client()
        .get(format!("{}{home}", s.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200, "the home page with the new cookie");
    let html = page.text().await.unwrap();
    let csrf = html
        .split(r#"<meta name="csrf-token" content=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's CSRF token")
        .to_owned();
    Browser {
        cookie,
        set_cookie,
        csrf,
    }
}

async fn sign_in(s: &Server, token: &str) -> Browser {
    sign_in_holding(s, token, None).await
}

/// Posts a quick chat as the browser would (cookie and CSRF token): the status.
async fn post_message(s: &Server, b: &Browser) -> u16 {
    client()
        .post(format!("{}/api/employee/portal/support/quick-chat", s.base))
        .header("cookie", &b.cookie)
        .header("x-csrf-token", &b.csrf)
        .json(&json!({"message": "Is anyone there?"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The status of the caller's own ticket list with the browser's cookie.
async fn list(s: &Server, b: &Browser) -> u16 {
    client()
        .get(format!("{}/api/employee/portal/support", s.base))
        .header("cookie", &b.cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Posts one of the sign-out forms (`/logout`, `/logout/everywhere`) with `csrf`: the answer.
async fn sign_out_form(s: &Server, path: &str, b: &Browser, csrf: &str) -> reqwest::Response {
    client()
        .post(format!("{}{path}", s.base))
        .header("cookie", &b.cookie)
        .form(&[("_token", csrf)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_on(dir.path(), 0);
    let alice = sign_in(&s, ALICE).await;
    assert_eq!(post_message(&s, &alice).await, 201);

    let out = sign_out_form(&s, "/logout", &alice, &alice.csrf).await;
    assert_eq!(out.status(), 303);
    assert_eq!(out.headers()["location"], "/login");
    let cleared = out.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    // The browser would have dropped the cookie; whoever copied it gets nothing from it.
    assert_eq!(post_message(&s, &alice).await, 401);
    assert_eq!(list(&s, &alice).await, 401);
    let page = client()
        .get(format!("{}/employee/portal/support", s.base))
        .header("cookie", &alice.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(
        page.headers()["location"],
        "/login?next=%2Femployee%2Fportal%2Fsupport",
        "signed out: sign in again, then back to the page"
    );
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_that_user_only() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_on(dir.path(), 0);
    let laptop = sign_in(&s, ALICE).await;
    let phone = sign_in(&s, ALICE).await;
    let bob = sign_in(&s, BOB).await;
    for b in [&laptop, &phone, &bob] {
        assert_eq!(post_message(&s, b).await, 201);
    }

    // Without the session's CSRF token, nothing happens (419, as Laravel answers).
    let forged = sign_out_form(&s, "/logout/everywhere", &laptop, "forged").await;
    assert_eq!(forged.status(), 419);
    assert_eq!(post_message(&s, &phone).await, 201);

    let out = sign_out_form(&s, "/logout/everywhere", &laptop, &laptop.csrf).await;
    assert_eq!(out.status(), 303);
    assert_eq!(out.headers()["location"], "/login");
    assert_eq!(post_message(&s, &laptop).await, 401);
    assert_eq!(post_message(&s, &phone).await, 401, "the other session too");
    assert_eq!(
        post_message(&s, &bob).await,
        201,
        "another user's session stays"
    );
    assert_eq!(list(&s, &bob).await, 200);
}

#[tokio::test]
async fn every_sign_in_gets_a_new_session_id_and_ends_the_one_held_before() {
    let dir = tempfile::tempdir().unwrap();
    let s = start_on(dir.path(), 0);
    let first = sign_in(&s, ALICE).await;
    let second = sign_in(&s, ALICE).await;
    assert_ne!(first.cookie, second.cookie);
    assert_ne!(first.csrf, second.csrf);

    // A browser that held a session cookie before signing in (one planted by someone else,
    // say) gets a new one, and the one it held is ended.
    let planted = sign_in(&s, BOB).await;
    let after = sign_in_holding(&s, ALICE, Some(&planted.cookie)).await;
    assert_ne!(after.cookie, planted.cookie);
    assert_eq!(list(&s, &planted).await, 401);
    assert_eq!(post_message(&s, &after).await, 201);
    assert_eq!(post_message(&s, &first).await, 201, "other sign-ins stay");
}

#[tokio::test]
async fn an_idle_session_ends_after_the_idle_timeout_and_use_keeps_it_alive() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let s = start_with_args(dir.path(), 0, &db, &["--session-idle-timeout", "4s"]);
    let alice = sign_in(&s, ALICE).await;

    // In use for longer than the idle timeout: still signed in.
    let busy = Instant::now();
    while busy.elapsed() < Duration::from_secs(6) {
        assert_eq!(list(&s, &alice).await, 200, "after {:?}", busy.elapsed());
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(post_message(&s, &alice).await, 201);

    // Left alone for longer than it: signed out, on the API and on the pages.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(list(&s, &alice).await, 401);
    assert_eq!(post_message(&s, &alice).await, 401);
}

#[tokio::test]
async fn over_https_the_cookie_is_secure_and_host_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let s = start_with_args(dir.path(), 0, &db, &["--secure-cookies"]);
    let alice = sign_in(&s, ALICE).await;
    let set = &alice.set_cookie;
    assert!(set.starts_with("__Host-support_session="), "{set}");
    let attributes: Vec<&str> = set.split(';').skip(1).map(str::trim).collect();
    for wanted in ["Secure", "Path=/", "HttpOnly", "SameSite=Lax"] {
        assert!(attributes.contains(&wanted), "{wanted} in {set}");
    }
    assert!(
        !attributes
            .iter()
            .any(|a| a.to_ascii_lowercase().starts_with("domain")),
        "no Domain: {set}"
    );
    // The prefixed cookie is the session: it works, and signing out clears it by that name.
    assert_eq!(post_message(&s, &alice).await, 201);
    let out = sign_out_form(&s, "/logout", &alice, &alice.csrf).await;
    let cleared = out.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cleared.starts_with("__Host-support_session=;") && cleared.contains("Secure"),
        "{cleared}"
    );
    assert_eq!(post_message(&s, &alice).await, 401);
}

/// The `Set-Cookie` a sign-in with Alice's token gets from 127.0.0.`last`, with `headers`.
async fn sign_in_cookie_from(s: &Server, last: u8, headers: &[(&str, &str)]) -> String {
    let client = reqwest::Client::builder()
        .local_address(std::net::IpAddr::V4(std::net::Ipv4Addr::new(
            127, 0, 0, last,
        )))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut request = client
        .post(format!("{}/login", s.base))
        .form(&[("token", ALICE)]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = request.send().await.unwrap();
    assert_eq!(answer.status(), 303);
    answer.headers()["set-cookie"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn behind_a_trusted_https_proxy_the_cookie_is_secure_and_no_one_else_can_ask_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("support.db").display());
    let s = start_with_args(dir.path(), 0, &db, &["--trusted-proxy", "127.0.0.1"]);
    let https = [("x-forwarded-proto", "https")];
    let via_proxy = sign_in_cookie_from(&s, 1, &https).await;
    assert!(
        via_proxy.starts_with("__Host-support_session=") && via_proxy.contains("; Secure"),
        "{via_proxy}"
    );
    // The proxy's plain-HTTP requests, and anyone else's claim of HTTPS, keep the plain cookie.
    for set in [
        sign_in_cookie_from(&s, 1, &[]).await,
        sign_in_cookie_from(&s, 2, &https).await,
    ] {
        assert!(
            set.starts_with("support_session=") && !set.contains("Secure"),
            "{set}"
        );
    }
}

#[tokio::test]
async fn sessions_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = start_on(dir.path(), 0);
    let alice = sign_in(&first, ALICE).await;
    assert_eq!(post_message(&first, &alice).await, 201);
    drop(first);

    let again = start_on(dir.path(), 0);
    assert_eq!(post_message(&again, &alice).await, 201);
    let out = sign_out_form(&again, "/logout", &alice, &alice.csrf).await;
    assert_eq!(out.status(), 303);
    drop(again);

    let third = start_on(dir.path(), 0);
    assert_eq!(
        list(&third, &alice).await,
        401,
        "signed out stays signed out"
    );
}

#[test]
fn postgres_probe_still_holds() {
    common::postgres_probe_still_holds();
}

#[tokio::test]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn with_postgres_every_node_sees_the_same_sessions() {
    let db = Database::create();
    let dir = tempfile::tempdir().unwrap();
    let a = start_with_db(dir.path(), 0, &db.url());
    let b = start_with_db(dir.path(), 0, &db.url());
    let alice = sign_in(&a, ALICE).await;
    assert_eq!(post_message(&b, &alice).await, 201);

    let out = sign_out_form(&b, "/logout", &alice, &alice.csrf).await;
    assert_eq!(out.status(), 303);
    assert_eq!(
        post_message(&a, &alice).await,
        401,
        "signed out on the other node"
    );
}
