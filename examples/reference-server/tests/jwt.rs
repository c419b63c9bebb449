//! Sign-in by the host application's JWTs, against the real binary: tokens signed by PyJWT
//! (keys made by Python's `cryptography`), an implementation that is not the server's, as
//! bearer tokens on the API and channel auth, through `/sso` and the widget's
//! `/sso/session`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{SAM, Server, start_with_args};
use serde_json::{Value, json};
use test_prereqs::Prereq;

const SECRET: &str = "the-host-apps-shared-secret-0123456789";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// `tests/pyjwt_tool.py` with these arguments: what it prints.
fn pyjwt(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pyjwt_tool.py");
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pyjwt_tool.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A token PyJWT signs with `alg` and the key (or secret) in the file `key`.
fn sign(alg: &str, key: &Path, claims: &Value) -> String {
    pyjwt(&["sign", alg, key.to_str().unwrap(), &claims.to_string()])
}

fn claims(sub: Value, name: &str, role: &str) -> Value {
    json!({"sub": sub, "name": name, "role": role, "iat": now(), "exp": now() + 300})
}

struct Host {
    dir: tempfile::TempDir,
}

impl Host {
    /// A tempdir holding the shared secret and fresh RSA and EC keys.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secret"), SECRET).unwrap();
        pyjwt(&["keys", dir.path().to_str().unwrap()]);
        Host { dir }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    fn hs256(&self, claims: &Value) -> String {
        sign("HS256", &self.path("secret"), claims)
    }

    /// A server on a SQLite file beside the keys, with `extra` flags.
    fn server(&self, name: &str, extra: &[&str]) -> Server {
        let dir = self.path(name);
        std::fs::create_dir_all(&dir).unwrap();
        let db = format!("sqlite://{}", dir.join("support.db").display());
        start_with_args(&dir, 0, &db, extra)
    }

    fn hs256_server(&self, extra: &[&str]) -> Server {
        let mut args = vec!["--jwt-secret", SECRET];
        args.extend_from_slice(extra);
        self.server("hs256", &args)
    }
}

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[tokio::test]
#[cfg_attr(
    no_pyjwt,
    ignore = "needs python3 on PATH with PyJWT and cryptography installed"
)]
async fn an_hs256_jwt_as_bearer_creates_the_user_whom_staff_then_see() {
    let host = Host::new();
    let s = host.hs256_server(&[]);
    let jo = host.hs256(&claims(json!(42), "Jo Host", "employee"));
    let ticket = s.ticket(&jo, "Printer on fire").await;

    // The same user by a string `sub`, renamed by the host app: one user, the new name.
    let renamed = host.hs256(&claims(json!("42"), "Jo Renamed", "employee"));
    let (status, mine) = s
        .call("GET", "/api/employee/portal/support", Some(&renamed), None)
        .await;
    assert_eq!(status, 200, "{mine}");
    assert!(mine.to_string().contains("Printer on fire"), "{mine}");

    let (status, users) = s
        .call("GET", "/api/admin/support/users", Some(SAM), None)
        .await;
    assert_eq!(status, 200, "{users}");
    let names = users.to_string();
    assert!(names.contains("Jo Renamed"), "{names}");
    assert!(!names.contains("Jo Host"), "{names}");
    let (status, seen) = s
        .call(
            "GET",
            &format!("/api/admin/support/{ticket}"),
            Some(SAM),
            None,
        )
        .await;
    assert_eq!(status, 200, "{seen}");

    // The role is the token's: an employee's JWT may not use the staff routes.
    let (status, _) = s
        .call("GET", "/api/admin/support/users", Some(&renamed), None)
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
#[cfg_attr(
    no_pyjwt,
    ignore = "needs python3 on PATH with PyJWT and cryptography installed"
)]
async fn rs256_and_es256_verify_with_the_public_key_and_confusion_is_refused() {
    let host = Host::new();
    for (key, alg) in [("rsa", "RS256"), ("ec", "ES256")] {
        let public = host.path(&format!("{key}.pub.pem"));
        let s = host.server(
            key,
            &[
                "--jwt-public-key",
                public.to_str().unwrap(),
                "--no-rate-limits",
            ],
        );
        let private = host.path(&format!("{key}.pem"));
        let token = sign(alg, &private, &claims(json!("u-7"), "Kim Key", "employee"));
        let (status, body) = s
            .call("GET", "/api/employee/portal/support", Some(&token), None)
            .await;
        assert_eq!(status, 200, "{alg}: {body}");

        // HS256 with the public key's PEM as the HMAC secret: refused for its algorithm.
        // (PyJWT will not make it: it refuses a PEM key as an HMAC secret.)
        let confused = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims(json!("u-7"), "Kim Key", "admin"),
            &jsonwebtoken::EncodingKey::from_secret(&std::fs::read(&public).unwrap()),
        )
        .unwrap();
        let (status, _) = s
            .call("GET", "/api/employee/portal/support", Some(&confused), None)
            .await;
        assert_eq!(status, 401, "{alg}");
        assert!(
            !s.log_lines("JWT refused: wrong algorithm").is_empty(),
            "{}",
            s.log_text()
        );
        // Another key of the same kind: a bad signature.
        let other = host.path(&format!("{key}2.pem"));
        let forged = sign(alg, &other, &claims(json!("u-7"), "Kim Key", "admin"));
        let (status, _) = s
            .call("GET", "/api/employee/portal/support", Some(&forged), None)
            .await;
        assert_eq!(status, 401, "{alg}");
        assert!(!s.log_lines("JWT refused: bad signature").is_empty());
    }
}

#[tokio::test]
#[cfg_attr(
    no_pyjwt,
    ignore = "needs python3 on PATH with PyJWT and cryptography installed"
)]
async fn refused_jwts_answer_401_and_the_log_names_the_reason_without_the_token() {
    let host = Host::new();
    let s = host.hs256_server(&["--jwt-audience", "helpdesk", "--no-rate-limits"]);
    let mut good = claims(json!(7), "Lee Host", "employee");
    good["aud"] = json!("helpdesk");
    let token = host.hs256(&good);
    let (status, body) = s
        .call("GET", "/api/employee/portal/support", Some(&token), None)
        .await;
    assert_eq!(status, 200, "{body}");

    let with = |changes: Value| {
        let mut c = good.clone();
        for (k, v) in changes.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let other_secret = host.path("other-secret");
    std::fs::write(&other_secret, "another-secret-that-is-long-enough!!").unwrap();
    let cases = [
        (
            host.hs256(&with(json!({"exp": now() - 300, "iat": now() - 600}))),
            "JWT refused: expired",
        ),
        (
            sign("HS256", &other_secret, &good),
            "JWT refused: bad signature",
        ),
        (
            pyjwt(&["sign", "none", "-", &good.to_string()]),
            "JWT refused: wrong algorithm",
        ),
        (
            host.hs256(&with(json!({"aud": "another-app"}))),
            "JWT refused: wrong audience",
        ),
        (
            host.hs256(&with(json!({"role": "root"}))),
            "JWT refused: unknown role",
        ),
        (
            host.hs256(&with(json!({"exp": now() + 86_400}))),
            "JWT refused: lifetime over the maximum",
        ),
    ];
    for (token, reason) in cases {
        let (status, body) = s
            .call("GET", "/api/employee/portal/support", Some(&token), None)
            .await;
        assert_eq!(status, 401, "{reason}: {body}");
        assert_eq!(body["message"], "Unauthenticated.", "{reason}");
        let lines = s.log_lines(reason);
        assert!(!lines.is_empty(), "{reason}: {}", s.log_text());
        // The refusal is told on the channel auth endpoint too.
        let res = s
            .http
            .post(format!("{}/broadcasting/auth", s.base))
            .bearer_auth(&token)
            .form(&[
                ("socket_id", "1234.5678"),
                ("channel_name", "private-support.admin"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 401, "{reason}");
    }
    let log = s.log_text();
    assert!(!log.contains(&token), "a token in the log");
    assert!(!log.contains(SECRET), "the secret in the log");

    // Without a key, a JWT proves nobody.
    let plain = host.server("plain", &[]);
    let (status, _) = plain
        .call("GET", "/api/employee/portal/support", Some(&token), None)
        .await;
    assert_eq!(status, 401);
    assert!(!plain.log_lines("no --jwt-secret").is_empty());
}

#[tokio::test]
#[cfg_attr(
    no_pyjwt,
    ignore = "needs python3 on PATH with PyJWT and cryptography installed"
)]
async fn failed_jwts_count_against_the_failed_token_throttle() {
    let host = Host::new();
    let s = host.hs256_server(&["--failed-tokens-per-minute", "2"]);
    let expired = host.hs256(&json!({"sub": 1, "name": "X", "role": "employee",
        "iat": now() - 600, "exp": now() - 300}));
    for _ in 0..2 {
        let (status, _) = s
            .call("GET", "/api/employee/portal/support", Some(&expired), None)
            .await;
        assert_eq!(status, 401);
    }
    let fresh = host.hs256(&claims(json!(1), "X", "employee"));
    let (status, body) = s
        .call("GET", "/api/employee/portal/support", Some(&fresh), None)
        .await;
    assert_eq!(status, 429, "{body}");
}

#[tokio::test]
#[cfg_attr(
    no_pyjwt,
    ignore = "needs python3 on PATH with PyJWT and cryptography installed"
)]
async fn sso_starts_a_browser_session_and_redirects_to_same_origin_paths_only() {
    let host = Host::new();
    let s = host.hs256_server(&["--no-rate-limits"]);
    let http = no_redirects();
    let token = host.hs256(&claims(json!("emp-1"), "Pat Host", "employee"));
    let res = http
        .get(format!("{}/sso", s.base))
        .query(&[
            ("token", token.as_str()),
            ("next", "/employee/portal/support/create"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let h = res.headers();
    assert_eq!(h["location"], "/employee/portal/support/create");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    let cookie = h["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("support_session="), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();

    // The cookie is a session: the API answers as Pat, the page renders.
    let res = http
        .get(format!("{}/api/employee/portal/support", s.base))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let res = http
        .get(format!("{}/employee/portal/support", s.base))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.text().await.unwrap().contains("Pat Host"));

    // Another site, or no next: home. The browser's old session ends.
    for next in ["//evil.example", "https://evil.example/", "/\\evil.example"] {
        let res = http
            .get(format!("{}/sso", s.base))
            .query(&[("token", token.as_str()), ("next", next)])
            .header("cookie", &pair)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303, "{next}");
        assert_eq!(
            res.headers()["location"],
            "/employee/portal/support",
            "{next}"
        );
    }
    let res = http
        .get(format!("{}/api/employee/portal/support", s.base))
        .header("cookie", &pair)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status().as_u16(),
        401,
        "the session held before /sso ended"
    );

    // A staff member goes to the dashboard.
    let staff = host.hs256(&claims(json!("sup-1"), "Sue Staff", "support"));
    let res = http
        .get(format!("{}/sso", s.base))
        .query(&[("token", staff.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/admin/support/dashboard");

    // A refused link: 401, a page that says so, no cookie, the reason only in the log.
    let expired = host.hs256(
        &json!({"sub": "emp-1", "name": "Pat Host", "role": "employee",
        "iat": now() - 600, "exp": now() - 300}),
    );
    for bad in [expired.as_str(), "not-a-token", ""] {
        let res = http
            .get(format!("{}/sso", s.base))
            .query(&[("token", bad), ("next", "/employee/portal/support")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 401, "{bad}");
        assert!(res.headers().get("set-cookie").is_none());
        assert_eq!(res.headers()["referrer-policy"], "no-referrer");
        let page = res.text().await.unwrap();
        assert!(page.contains("invalid or has expired"), "{page}");
        assert!(!page.contains("expired signature") && !page.contains("JWT refused"));
    }
    assert!(
        !s.log_lines("SSO sign-in refused: JWT refused: expired")
            .is_empty()
    );
}

#[tokio::test]
#[cfg_attr(
    no_pyjwt,
    ignore = "needs python3 on PATH with PyJWT and cryptography installed"
)]
async fn the_widgets_session_token_is_a_bearer_for_the_api_and_channel_auth_until_idle() {
    let host = Host::new();
    let s = host.hs256_server(&["--no-rate-limits", "--session-idle-timeout", "3s"]);
    let jwt = host.hs256(&claims(json!(9001), "Wil Widget", "employee"));
    let (status, body) = s
        .call("POST", "/sso/session", None, Some(json!({"token": jwt})))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["user"]["name"], "Wil Widget");
    assert_eq!(body["user"]["role"], "employee");
    assert!(body["user"]["id"].as_i64().is_some(), "{body}");
    assert!(
        body["expires_at"].as_str().unwrap().ends_with('Z'),
        "{body}"
    );
    let session = body["token"].as_str().unwrap().to_owned();
    assert!(session.starts_with("sess_"), "{session}");

    // A bearer: no cookie, no CSRF token.
    let ticket = s.ticket(&session, "From the widget").await;
    let res = s
        .http
        .post(format!("{}/broadcasting/auth", s.base))
        .bearer_auth(&session)
        .form(&[
            ("socket_id", "1234.5678"),
            ("channel_name", &format!("private-support.ticket.{ticket}")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let auth: Value = res.json().await.unwrap();
    assert!(auth["auth"].as_str().unwrap().starts_with("support-key:"));
    // Not the staff channel.
    let res = s
        .http
        .post(format!("{}/broadcasting/auth", s.base))
        .bearer_auth(&session)
        .form(&[
            ("socket_id", "1234.5678"),
            ("channel_name", "private-support.admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);

    // Bad input.
    let (status, body) = s
        .call(
            "POST",
            "/sso/session",
            None,
            Some(json!({"token": "x.y.z"})),
        )
        .await;
    assert_eq!(
        (status, body),
        (401, json!({"message": "Unauthenticated."}))
    );
    let (status, body) = s.call("POST", "/sso/session", None, Some(json!({}))).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"]["token"][0], "The token field is required.");
    let (status, _) = s
        .call(
            "GET",
            "/api/employee/portal/support",
            Some("sess_guessed"),
            None,
        )
        .await;
    assert_eq!(status, 401);

    // Unused past the idle timeout, the session ends.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (status, _) = s
        .call("GET", "/api/employee/portal/support", Some(&session), None)
        .await;
    assert_eq!(status, 401);
}

#[tokio::test]
#[cfg_attr(
    no_pyjwt,
    ignore = "needs python3 on PATH with PyJWT and cryptography installed"
)]
async fn a_disabled_users_jwt_and_widget_session_prove_nobody() {
    let host = Host::new();
    let s = host.hs256_server(&["--no-rate-limits"]);
    let jwt = host.hs256(&claims(json!("gone-1"), "Dee Parted", "employee"));
    let (status, body) = s
        .call("POST", "/sso/session", None, Some(json!({"token": jwt})))
        .await;
    assert_eq!(status, 201, "{body}");
    let session = body["token"].as_str().unwrap().to_owned();
    let id = body["user"]["id"].as_i64().unwrap();
    let (status, _) = s
        .call("GET", "/api/employee/portal/support", Some(&session), None)
        .await;
    assert_eq!(status, 200);

    // An admin disables them.
    let (status, body) = s
        .call(
            "PATCH",
            &format!("/api/admin/users/{id}"),
            Some(common::ADA),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for token in [&session, &jwt] {
        let (status, _) = s
            .call("GET", "/api/employee/portal/support", Some(token), None)
            .await;
        assert_eq!(status, 401);
    }
    assert!(!s.log_lines("JWT refused: the user is disabled").is_empty());
    let (status, _) = s
        .call("POST", "/sso/session", None, Some(json!({"token": jwt})))
        .await;
    assert_eq!(status, 401);
    let res = no_redirects()
        .get(format!("{}/sso", s.base))
        .query(&[("token", jwt.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    // A JWT never enables a user again.
    let (_, users) = s
        .call("GET", "/api/admin/users", Some(common::ADA), None)
        .await;
    let dee = users["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["name"] == "Dee Parted")
        .cloned();
    assert_eq!(
        dee.map(|u| u["disabled"].clone()),
        Some(json!(true)),
        "{users}"
    );
}

#[tokio::test]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn on_postgres_a_jwt_bearer_and_a_widget_session_work_alike() {
    let db = common::Database::create();
    let dir = tempfile::tempdir().unwrap();
    let s = start_with_args(dir.path(), 0, &db.url(), &["--jwt-secret", SECRET]);
    // Signed by the server's own library this time (the test needs no Python).
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims(json!("pg-1"), "Pia Postgres", "employee"),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    s.ticket(&jwt, "Stored in PostgreSQL").await;
    let (status, body) = s
        .call("POST", "/sso/session", None, Some(json!({"token": jwt})))
        .await;
    assert_eq!(status, 201, "{body}");
    let session = body["token"].as_str().unwrap();
    let (status, mine) = s
        .call("GET", "/api/employee/portal/support", Some(session), None)
        .await;
    assert_eq!(status, 200);
    assert!(mine.to_string().contains("Stored in PostgreSQL"), "{mine}");
}

#[test]
fn pyjwt_is_as_the_build_found_it() {
    Prereq::PyJwt.assert_still_as_built(cfg!(no_pyjwt), env!("TEST_PREREQS_STAMP"));
}

#[test]
fn postgres_is_as_the_build_found_it() {
    common::postgres_probe_still_holds();
}
