//! Accounts in the database: the `users` CLI, sign-in by email and password (same answer for
//! a wrong password and an unknown email, throttled per account), API tokens as bearer tokens
//! until revoked, disabling a user, and the admins' users API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{ADA, ALICE, HANA, SAM, command, command_ok, start_with_args};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password";

fn db(dir: &std::path::Path) -> String {
    format!("sqlite://{}", dir.join("support.db").display())
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Posts the sign-in form from `from` (an `X-Forwarded-For`, for a server behind a trusted
/// proxy): the status, the `Set-Cookie` pair and the body.
async fn sign_in(
    base: &str,
    email: &str,
    password: &str,
    from: Option<&str>,
) -> (u16, Option<String>, String, Option<String>) {
    let mut req = no_redirects().post(format!("{base}/login")).form(&[
        ("email", email),
        ("password", password),
        ("next", ""),
    ]);
    if let Some(ip) = from {
        req = req.header("x-forwarded-for", ip);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let cookie = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, cookie, res.text().await.unwrap(), retry)
}

async fn with_cookie(base: &str, path: &str, cookie: &str) -> u16 {
    no_redirects()
        .get(format!("{base}{path}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn the_cli_manages_users_and_tokens_and_the_server_believes_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let add = |name: &str, email: &str, role: &str, stdin: &str| {
        let mut args = vec![
            "users", "add", "--name", name, "--email", email, "--role", role,
        ];
        if !stdin.is_empty() {
            args.push("--password-stdin");
        }
        command(&db, &args, stdin)
    };
    let first = add(
        "Olga Owner",
        "Olga@Example.com",
        "admin",
        &format!("{PASSWORD}\n"),
    );
    assert!(first.ok, "{}", first.stderr);
    let olga: i64 = first.stdout.trim().parse().unwrap();

    // Refusals: one line on stderr, a failing exit code.
    for (ran, says) in [
        (
            add("Other", "olga@example.com", "support", ""),
            "already been taken",
        ),
        (
            add("Other", "other@example.com", "boss", ""),
            "role is invalid",
        ),
        (add("Other", "not-an-email", "support", ""), "valid email"),
        (
            add("Other", "other@example.com", "support", "short\n"),
            "at least 12",
        ),
    ] {
        assert!(!ran.ok, "{}", ran.stdout);
        assert!(ran.stderr.contains(says), "{}", ran.stderr);
        assert_eq!(ran.stderr.trim().lines().count(), 1, "{}", ran.stderr);
    }
    let unknown = command(&db, &["users", "disable", "999"], "");
    assert!(
        !unknown.ok && unknown.stderr.contains("no user with id 999"),
        "{}",
        unknown.stderr
    );

    let kim: i64 = command_ok(
        &db,
        &[
            "users",
            "add",
            "--name",
            "Kim Clerk",
            "--email",
            "kim@example.com",
            "--role",
            "employee",
        ],
        "",
    )
    .parse()
    .unwrap();
    let list = command_ok(&db, &["users", "list"], "");
    assert!(
        list.contains("olga@example.com") && list.contains("Kim Clerk"),
        "{list}"
    );

    // A token, printed alone on stdout.
    let token = command_ok(
        &db,
        &[
            "users",
            "token",
            "create",
            &kim.to_string(),
            "--name",
            "script",
        ],
        "",
    );
    assert!(
        token.starts_with("sup_") && token.len() == 68 && !token.contains('\n'),
        "{token}"
    );
    let tokens = command_ok(&db, &["users", "token", "list", &kim.to_string()], "");
    assert!(
        tokens.contains("script") && !tokens.contains(&token),
        "{tokens}"
    );
    let token_id = tokens
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();

    let server = start_with_args(dir.path(), 0, &db, &[]);
    let mine = "/api/employee/portal/support";
    assert_eq!(server.call("GET", mine, Some(&token), None).await.0, 200);

    // The admin made by the CLI signs in on the web.
    let (status, cookie, _, _) = sign_in(&server.base, "OLGA@example.com", PASSWORD, None).await;
    assert_eq!(status, 303);
    let cookie = cookie.unwrap();
    assert_eq!(
        with_cookie(&server.base, "/admin/users", &cookie).await,
        200
    );
    assert_eq!(
        with_cookie(&server.base, "/api/admin/users", &cookie).await,
        200
    );

    // A new password from the CLI: the old one no longer works.
    command_ok(
        &db,
        &[
            "users",
            "set-password",
            &olga.to_string(),
            "--password-stdin",
        ],
        "another long password\n",
    );
    assert_eq!(
        sign_in(&server.base, "olga@example.com", PASSWORD, None)
            .await
            .0,
        422
    );
    assert_eq!(
        sign_in(
            &server.base,
            "olga@example.com",
            "another long password",
            None
        )
        .await
        .0,
        303
    );

    // Revoked from the CLI: the running server refuses the token at once.
    command_ok(&db, &["users", "token", "revoke", &token_id], "");
    assert_eq!(server.call("GET", mine, Some(&token), None).await.0, 401);
    let again = command(&db, &["users", "token", "revoke", &token_id], "");
    assert!(
        !again.ok && again.stderr.contains("no token"),
        "{}",
        again.stderr
    );

    // Disabled from the CLI: her session ends and she cannot sign in again; enabled, she can.
    command_ok(&db, &["users", "disable", &olga.to_string()], "");
    assert_eq!(
        with_cookie(&server.base, "/api/admin/users", &cookie).await,
        401
    );
    assert_eq!(
        sign_in(
            &server.base,
            "olga@example.com",
            "another long password",
            None
        )
        .await
        .0,
        422
    );
    command_ok(&db, &["users", "enable", &olga.to_string()], "");
    assert_eq!(
        sign_in(
            &server.base,
            "olga@example.com",
            "another long password",
            None
        )
        .await
        .0,
        303
    );
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    command_ok(
        &db,
        &[
            "users",
            "add",
            "--name",
            "Olga",
            "--email",
            "olga@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        PASSWORD,
    );
    let server = start_with_args(dir.path(), 0, &db, &["--no-rate-limits"]);
    let wrong = sign_in(&server.base, "olga@example.com", "not the password", None).await;
    let unknown = sign_in(&server.base, "nobody@example.com", "not the password", None).await;
    assert_eq!(wrong.0, 422);
    assert_eq!((wrong.0, &wrong.2), (unknown.0, &unknown.2));
    assert!(wrong.1.is_none() && unknown.1.is_none());
    assert!(
        wrong
            .2
            .contains("These credentials do not match our records."),
        "{}",
        wrong.2
    );
    // A user from the users file has no password: the same answer.
    let tokenless = sign_in(&server.base, "alice@example.com", "not the password", None).await;
    assert_eq!((tokenless.0, &tokenless.2), (wrong.0, &wrong.2));
}

#[tokio::test]
async fn failures_on_one_account_are_throttled_across_addresses() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    command_ok(
        &db,
        &[
            "users",
            "add",
            "--name",
            "Olga",
            "--email",
            "olga@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        PASSWORD,
    );
    let server = start_with_args(dir.path(), 0, &db, &["--trusted-proxy", "127.0.0.1"]);
    for i in 0..5 {
        let from = format!("203.0.113.{i}");
        let (status, ..) = sign_in(
            &server.base,
            "olga@example.com",
            "wrong password!",
            Some(&from),
        )
        .await;
        assert_eq!(status, 422);
    }
    // From a sixth address, with the right password: refused until the wait passes.
    let (status, cookie, _, retry) = sign_in(
        &server.base,
        "Olga@Example.com",
        PASSWORD,
        Some("203.0.113.99"),
    )
    .await;
    assert_eq!(status, 429);
    assert!(cookie.is_none());
    assert!(retry.unwrap().parse::<u64>().unwrap() >= 1);
    // Another account from that address is not throttled.
    let (status, ..) = sign_in(
        &server.base,
        "nobody@example.com",
        "x",
        Some("203.0.113.99"),
    )
    .await;
    assert_eq!(status, 422);
}

/// The code of the close frame the server sends next (other frames are skipped).
async fn close_code(ws: &mut support_transport_ws::testing::Ws) -> u16 {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let wait = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(frame) = ws.next().await {
            if let Ok(Message::Close(Some(close))) = frame {
                return u16::from(close.code);
            }
        }
        0
    });
    wait.await.expect("a close frame within 10 s")
}

/// Signs in Olga, an admin made with the CLI, on a server with the usual users: her cookie
/// and CSRF token.
async fn admin_session(server: &common::Server) -> (String, String) {
    let (status, cookie, ..) = sign_in(&server.base, "olga@example.com", PASSWORD, None).await;
    assert_eq!(status, 303);
    let cookie = cookie.unwrap();
    let page = no_redirects()
        .get(format!("{}/admin/users", server.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split(r#"name="csrf-token" content=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    (cookie, csrf)
}

#[tokio::test]
async fn the_admin_api_creates_changes_and_disables_users() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    let olga: i64 = command_ok(
        &db,
        &[
            "users",
            "add",
            "--name",
            "Olga",
            "--email",
            "olga@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        PASSWORD,
    )
    .parse()
    .unwrap();
    let server = start_with_args(dir.path(), 0, &db, &["--no-rate-limits"]);
    let users = "/api/admin/users";

    // Only admins.
    assert_eq!(server.call("GET", users, None, None).await.0, 401);
    for token in [ALICE, SAM, HANA] {
        assert_eq!(
            server.call("GET", users, Some(token), None).await.0,
            403,
            "{token}"
        );
        let body = json!({"name": "X", "email": "x@example.com", "role": "employee"});
        assert_eq!(
            server.call("POST", users, Some(token), Some(body)).await.0,
            403
        );
    }
    let (status, list) = server.call("GET", users, Some(ADA), None).await;
    assert_eq!(status, 200);
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["email"] == "olga@example.com")
    );

    // Validation, in Laravel's shape.
    let (status, v) = server
        .call(
            "POST",
            users,
            Some(ADA),
            Some(json!({"name": "", "email": "nope", "role": "boss", "password": "short"})),
        )
        .await;
    assert_eq!(status, 422, "{v}");
    for field in ["name", "email", "role", "password"] {
        assert!(v["errors"][field][0].is_string(), "{field}: {v}");
    }
    assert!(v["message"].is_string());
    let (status, v) = server
        .call(
            "POST",
            users,
            Some(ADA),
            Some(json!({"name": "Dup", "email": "OLGA@example.com", "role": "hr"})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(v["errors"]["email"][0], "The email has already been taken.");

    // Create, with a password: she signs in.
    let (status, v) = server
        .call("POST", users, Some(ADA), Some(json!({"name": "Nina New", "email": "nina@example.com", "role": "support", "password": PASSWORD})))
        .await;
    assert_eq!(status, 201, "{v}");
    let nina = v["data"]["id"].as_i64().unwrap();
    assert_eq!(v["data"]["disabled"], false);
    let (status, nina_cookie, ..) = sign_in(&server.base, "nina@example.com", PASSWORD, None).await;
    assert_eq!(status, 303);
    let nina_cookie = nina_cookie.unwrap();

    // A token for her, shown once; it works as a bearer token, and revoked it does not.
    let (status, t) = server
        .call(
            "POST",
            &format!("{users}/{nina}/tokens"),
            Some(ADA),
            Some(json!({"name": "laptop"})),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let token = t["token"].as_str().unwrap().to_owned();
    let token_id = t["data"]["id"].as_i64().unwrap();
    assert_eq!(
        server
            .call("GET", "/api/admin/support", Some(&token), None)
            .await
            .0,
        200
    );
    let (_, listed) = server
        .call("GET", &format!("{users}/{nina}/tokens"), Some(ADA), None)
        .await;
    assert_eq!(listed["data"][0]["name"], "laptop");
    assert!(!listed.to_string().contains(&token));
    assert_eq!(
        server
            .call(
                "DELETE",
                &format!("/api/admin/tokens/{token_id}"),
                Some(ADA),
                None
            )
            .await
            .0,
        204
    );
    assert_eq!(
        server
            .call("GET", "/api/admin/support", Some(&token), None)
            .await
            .0,
        401
    );
    assert_eq!(
        server
            .call(
                "DELETE",
                &format!("/api/admin/tokens/{token_id}"),
                Some(ADA),
                None
            )
            .await
            .0,
        404
    );

    // A second token, then disabled: her cookie and her token answer 401 at once.
    let (_, t) = server
        .call(
            "POST",
            &format!("{users}/{nina}/tokens"),
            Some(ADA),
            Some(json!({"name": "phone"})),
        )
        .await;
    let token = t["token"].as_str().unwrap().to_owned();
    let (status, v) = server
        .call(
            "PATCH",
            &format!("{users}/{nina}"),
            Some(ADA),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!((status, &v["data"]["disabled"]), (200, &json!(true)), "{v}");
    assert_eq!(
        with_cookie(&server.base, "/api/admin/support", &nina_cookie).await,
        401
    );
    assert_eq!(
        server
            .call("GET", "/api/admin/support", Some(&token), None)
            .await
            .0,
        401
    );
    assert_eq!(
        sign_in(&server.base, "nina@example.com", PASSWORD, None)
            .await
            .0,
        422
    );

    // Role and name changes; a new password set by an admin.
    let (status, v) = server
        .call(
            "PATCH",
            &format!("{users}/{nina}"),
            Some(ADA),
            Some(json!({"disabled": false, "role": "hr", "name": "Nina Renamed"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&v["data"]["role"], &v["data"]["name"]),
        (&json!("hr"), &json!("Nina Renamed"))
    );
    let (status, _) = server
        .call(
            "POST",
            &format!("{users}/{nina}/password"),
            Some(ADA),
            Some(json!({"password": "short"})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = server
        .call(
            "POST",
            &format!("{users}/{nina}/password"),
            Some(ADA),
            Some(json!({"password": "a brand new password"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        sign_in(
            &server.base,
            "nina@example.com",
            "a brand new password",
            None
        )
        .await
        .0,
        303
    );
    assert_eq!(
        server
            .call(
                "PATCH",
                &format!("{users}/99999"),
                Some(ADA),
                Some(json!({"name": "x"}))
            )
            .await
            .0,
        404
    );

    // An admin cannot disable themself or drop their own admin role; with a cookie, the
    // CSRF token is needed as for the chat's API.
    let (cookie, csrf) = admin_session(&server).await;
    let patch = |body: Value, csrf: Option<String>| {
        let mut req = no_redirects()
            .patch(format!("{}{users}/{olga}", server.base))
            .header("cookie", &cookie)
            .json(&body);
        if let Some(c) = csrf {
            req = req.header("x-csrf-token", c);
        }
        req.send()
    };
    let res = patch(json!({"disabled": true}), None).await.unwrap();
    assert_eq!(res.status(), 419);
    let res = patch(json!({"disabled": true}), Some(csrf.clone()))
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["errors"]["disabled"][0], "You cannot disable yourself.");
    let res = patch(json!({"role": "support"}), Some(csrf.clone()))
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let v: Value = res.json().await.unwrap();
    assert_eq!(
        v["errors"]["role"][0],
        "You cannot remove your own admin role."
    );
    let res = patch(json!({"name": "Olga Owner"}), Some(csrf))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
#[cfg_attr(
    no_postgres,
    ignore = "needs PostgreSQL at 127.0.0.1:5432 or SUPPORT_TEST_PG_URL"
)]
async fn on_postgres_the_cli_makes_an_admin_who_signs_in_and_disabling_ends_it() {
    common::postgres_probe_still_holds();
    let pg = common::Database::create();
    let url = pg.url();
    let dir = tempfile::tempdir().unwrap();
    let olga = command_ok(
        &url,
        &[
            "users",
            "add",
            "--name",
            "Olga",
            "--email",
            "olga@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        PASSWORD,
    );
    let token = command_ok(&url, &["users", "token", "create", &olga], "");
    let server = start_with_args(dir.path(), 0, &url, &["--no-rate-limits"]);
    let (status, cookie, ..) = sign_in(&server.base, "olga@example.com", PASSWORD, None).await;
    assert_eq!(status, 303);
    let cookie = cookie.unwrap();
    assert_eq!(
        with_cookie(&server.base, "/api/admin/users", &cookie).await,
        200
    );
    assert_eq!(
        server
            .call("GET", "/api/admin/users", Some(&token), None)
            .await
            .0,
        200
    );
    let wrong = sign_in(&server.base, "olga@example.com", "not the password", None).await;
    let unknown = sign_in(&server.base, "nobody@example.com", "not the password", None).await;
    assert_eq!((wrong.0, &wrong.2), (unknown.0, &unknown.2));

    // Disabled from the CLI: her websocket hears of it through the bus; cookie and token end.
    let addr = format!("127.0.0.1:{}", server.port).parse().unwrap();
    let mut socket = support_transport_ws::testing::Client::connect(addr, "support-key").await;
    let bearer = format!("Bearer {token}");
    socket
        .sign_in("private-support.admin", &[("authorization", &bearer)])
        .await;
    command_ok(&url, &["users", "disable", &olga], "");
    assert_eq!(close_code(socket.ws()).await, 4009);
    assert_eq!(
        with_cookie(&server.base, "/api/admin/users", &cookie).await,
        401
    );
    assert_eq!(
        server
            .call("GET", "/api/admin/users", Some(&token), None)
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn the_users_page_is_for_admins_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = db(dir.path());
    for (name, email, role) in [
        ("Olga", "olga@example.com", "admin"),
        ("Stan", "stan@example.com", "support"),
        ("Eve", "eve@example.com", "employee"),
    ] {
        command_ok(
            &db,
            &[
                "users",
                "add",
                "--name",
                name,
                "--email",
                email,
                "--role",
                role,
                "--password-stdin",
            ],
            PASSWORD,
        );
    }
    let server = start_with_args(dir.path(), 0, &db, &["--no-rate-limits"]);
    for (email, status) in [
        ("olga@example.com", 200),
        ("stan@example.com", 403),
        ("eve@example.com", 403),
    ] {
        let (_, cookie, ..) = sign_in(&server.base, email, PASSWORD, None).await;
        assert_eq!(
            with_cookie(&server.base, "/admin/users", &cookie.unwrap()).await,
            status,
            "{email}"
        );
    }
}
