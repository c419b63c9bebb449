//! Who is calling: the embedder's identity hook, shared by the JSON API and channel auth.

use std::sync::Arc;

use async_trait::async_trait;
use axum::http::HeaderMap;
use futures::future::BoxFuture;
use support_core::{Actor, Result};

/// Identifies the caller of an HTTP request from its headers (a bearer token, a session
/// cookie): the embedder's half of the JSON API ([`crate::api::router`]) and of channel
/// auth ([`crate::ServiceAuthorizer`]). [`SupportChat`](crate::SupportChat)'s builder takes
/// it once (`.identify(…)`) for both; wired by hand, both take the same `impl Identify`: hand
/// them clones of one `Arc` (which implements `Identify` too) or of a cheap value.
///
/// `Identify` answers "who is calling this request". It is not the
/// [`Directory`](support_core::Directory), which answers "who is user N" (name, role,
/// assignability) for any user, calling or not. Both usually read the same user table; an
/// identity that names a user the directory does not know still gets answered, but that user
/// cannot be assigned tickets and shows without a name on staff screens.
///
/// # Contract
///
/// - `Ok(Some(actor))`: the headers prove this user. The actor's role is what the policy
///   judges, so it must be the user's current role.
/// - `Ok(None)`: no credentials, or credentials that prove nobody. The API answers 401 and
///   channel auth refuses (401).
/// - `Err(Error::Unavailable(_))`: the identity backend (session store, user database) cannot
///   answer now. The API and channel auth answer 503, so clients retry rather than sign out.
///   Any other error is a 500 on the API (logged) and a refused join on channel auth.
/// - It is called once per API request and per channel join, before anything else: keep it
///   fast, and never fall back from a wrong credential to a weaker one.
///
/// Write it as a type:
///
/// ```
/// use async_trait::async_trait;
/// use axum::http::HeaderMap;
/// use support_core::{Actor, Role};
/// use support_transport_ws::Identify;
///
/// /// Everyone who says `x-user: 1` is Alice: replace with your session lookup.
/// struct Sessions;
///
/// #[async_trait]
/// impl Identify for Sessions {
///     async fn identify(&self, headers: &HeaderMap) -> support_core::Result<Option<Actor>> {
///         let alice = headers.get("x-user").is_some_and(|v| v == "1");
///         Ok(alice.then(|| Actor::new(1, "Alice", Role::Employee)))
///     }
/// }
/// ```
///
/// or as a closure, through [`identify_fn`]:
///
/// ```
/// use axum::http::HeaderMap;
/// use support_core::{Actor, Error, Role};
/// use support_transport_ws::{Identify, identify_fn};
///
/// let identify = identify_fn(|headers: &HeaderMap| {
///     Box::pin(async move {
///         match headers.get("authorization").and_then(|v| v.to_str().ok()) {
///             None => Ok(None),
///             Some("Bearer down") => Err(Error::Unavailable("sessions unreachable".into())),
///             Some(_) => Ok(Some(Actor::new(1, "Alice", Role::Employee))),
///         }
///     })
/// });
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// assert_eq!(identify.identify(&HeaderMap::new()).await.unwrap(), None);
/// # });
/// ```
#[async_trait]
pub trait Identify: Send + Sync + 'static {
    /// The actor the headers prove; `Ok(None)` when they prove nobody.
    async fn identify(&self, headers: &HeaderMap) -> Result<Option<Actor>>;
}

#[async_trait]
impl<T: Identify + ?Sized> Identify for Arc<T> {
    async fn identify(&self, headers: &HeaderMap) -> Result<Option<Actor>> {
        (**self).identify(headers).await
    }
}

/// An [`Identify`] made from a closure; see [`identify_fn`].
#[derive(Clone)]
pub struct IdentifyFn<F>(F);

impl<F> std::fmt::Debug for IdentifyFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentifyFn")
    }
}

/// Makes an [`Identify`] of a closure that takes the headers and returns a boxed future
/// (`Box::pin(async move { … })`), which may borrow the headers. Clone what the closure
/// captures into the future. (An adapter rather than an impl for every closure, because that
/// impl would overlap the one for `Arc<T>`.)
pub fn identify_fn<F>(f: F) -> IdentifyFn<F>
where
    F: for<'a> Fn(&'a HeaderMap) -> BoxFuture<'a, Result<Option<Actor>>> + Send + Sync + 'static,
{
    IdentifyFn(f)
}

#[async_trait]
impl<F> Identify for IdentifyFn<F>
where
    F: for<'a> Fn(&'a HeaderMap) -> BoxFuture<'a, Result<Option<Actor>>> + Send + Sync + 'static,
{
    async fn identify(&self, headers: &HeaderMap) -> Result<Option<Actor>> {
        (self.0)(headers).await
    }
}
