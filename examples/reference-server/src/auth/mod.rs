//! Who is calling, for the API, the channel auth endpoint and the pages alike:
//!
//! - [`identity`]: a bearer token or the session cookie, to an `Actor`;
//! - [`session`]: sessions kept in the store, their cookie and CSRF token;
//! - [`app_key`]: the key session cookies and CSRF tokens are signed with, the server's own;
//! - [`csrf`]: the guard that refuses a cookie-authenticated state change without the token;
//! - [`users`]: the users file and the demo users, imported into the store at start-up;
//! - [`password`]: argon2id hashes, made and checked off the async threads;
//! - [`jwt`]: the host application's JWTs, verified into the user they describe;
//! - [`throttle`]: failed sign-ins and wrong bearer tokens, counted and throttled;
//! - [`openapi`]: the session cookie and CSRF token in the API's OpenAPI document.

mod app_key;
mod csrf;
mod identity;
mod jwt;
mod openapi;
mod password;
mod session;
mod throttle;
mod users;

pub(crate) use app_key::{KeySource, session_key};
pub(crate) use csrf::{csrf_guard, page_expired};
pub(crate) use identity::Identity;
pub(crate) use jwt::{JwtFlags, JwtVerifier};
pub(crate) use openapi::describe_session;
pub(crate) use password::{Passwords, check as check_password};
pub(crate) use session::Sessions;
pub(crate) use throttle::{AuthLimits, SignInThrottle, TokenGuard, bearer_guard};
pub(crate) use users::{
    UserEntry, import as import_users_file, is_demo, load as load_users_file, new_api_token,
    seed_demo,
};
