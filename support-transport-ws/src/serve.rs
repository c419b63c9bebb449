//! [`serve`]: an HTTP server for a [`Router`] in which every wait is bounded, for servers
//! that face a network. `axum::serve` reads headers, bodies and idle keep-alive connections
//! for as long as a client likes and takes every connection it is offered; this serves the
//! same router (HTTP/1.1 with websocket upgrades, and HTTP/2), with the [`HttpLimits`]:
//!
//! - **header timeout**: a request's head must be complete within it. On HTTP/1.1 this is
//!   hyper's `header_read_timeout`, which runs from the moment the connection waits for a
//!   request, the first or the next on a keep-alive connection, so a head that stalls or
//!   drips (slowloris) is closed. A connection that has not sent its first request within it
//!   (nothing at all, or half an HTTP/2 preface) is closed too.
//! - **body timeout**: a request's body must have arrived within it of its head, however it
//!   trickles in (tower-http's `TimeoutBody` restarts its clock on every chunk, so a byte a
//!   second would hold a request forever). A body that misses it is answered 408 and the
//!   connection closed; bodies are read only by the handlers that read them, so websocket
//!   upgrades and long responses are not concerned.
//! - **idle timeout**: a connection with no request in flight is closed after it (HTTP/2
//!   gets a GOAWAY). A request counts as in flight until its response has been sent, so a
//!   long request or a streamed answer is never idle. On HTTP/1.1 the header timeout, which
//!   also runs while a keep-alive connection waits, ends it first when shorter.
//! - **connection caps**: at most `max_connections` open at once, and at most
//!   `max_connections_per_address` from one address. Beyond either a new connection is
//!   closed as soon as it is accepted, never queued. A websocket holds its slot until it
//!   closes.
//!
//! Handlers get the client's address as `axum::extract::ConnectInfo<SocketAddr>`, as with
//! `into_make_service_with_connect_info::<SocketAddr>()`. Graceful shutdown works as axum's:
//! once the signal resolves no connection is accepted, requests in flight finish, idle
//! connections close, and the future returns when all are done.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, Version, header};
use axum::response::IntoResponse;
use futures::future::BoxFuture;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::throttle::ClientAddr;

/// The bounds [`serve`] holds every connection to. The defaults suit people on browsers and
/// the websocket load of one node; each is configurable.
///
/// `max_connections` counts every TCP connection, websockets included, so keep it above the
/// hub's [`Limits::max_connections`](crate::Limits::max_connections) (websockets only,
/// 100,000 by default): the default, 110,000, leaves a full hub 10,000 connections for
/// everything else. Keep it below the process's file limit (`ulimit -n`) too, or accepting
/// fails before the cap can refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpLimits {
    /// How long a request's head may take to arrive, from when the connection waits for it
    /// (after connecting, or after the previous response). Default 30 s.
    pub header_timeout: Duration,
    /// How long a request's body may take to arrive, from its head; a late one is answered
    /// 408 and the connection closed. Default 30 s (the JSON API's largest body is 64 KB).
    pub body_timeout: Duration,
    /// How long a connection with no request in flight stays open. Default 30 s.
    pub idle_timeout: Duration,
    /// Open connections at most; beyond, new ones are closed at once. Default 110,000.
    pub max_connections: usize,
    /// Open connections from one address at most (IPv6 addresses count by their /64
    /// network); `None` for no such cap. Default 1,000. Behind a reverse proxy every
    /// connection comes from the proxy's address: turn this off there and cap clients at
    /// the proxy.
    pub max_connections_per_address: Option<usize>,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(30),
            max_connections: 110_000,
            max_connections_per_address: Some(1_000),
        }
    }
}

/// Serves `app` on `listener` with [`HttpLimits::default`]; change them with
/// [`limits`](Serve::limits), add a shutdown signal with
/// [`with_graceful_shutdown`](Serve::with_graceful_shutdown), and await it. It returns only
/// after a graceful shutdown (errors accepting a connection are logged, and it goes on).
///
/// ```
/// use std::future::IntoFuture;
/// use std::time::Duration;
/// use axum::Router;
/// use axum::routing::get;
/// use support_transport_ws::{HttpLimits, serve, testing};
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let app = Router::new().route("/hello", get(|| async { "hello" })); // and chat.router()
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let addr = listener.local_addr()?;
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let server = tokio::spawn(
///     serve(listener, app)
///         .limits(HttpLimits { idle_timeout: Duration::from_secs(10), ..HttpLimits::default() })
///         // With SupportChat: `.with_graceful_shutdown(chat.shutdown_when(shutdown_signal()))`.
///         .with_graceful_shutdown(async { stopped.await.unwrap_or(()) })
///         .into_future(),
/// );
///
/// assert_eq!(testing::http(addr, "GET", "/hello", &[], b"").await, (200, "hello".into()));
/// stop.send(()).unwrap();
/// server.await.unwrap()?;
/// # Ok::<(), std::io::Error>(()) }).unwrap();
/// ```
pub fn serve(listener: TcpListener, app: Router) -> Serve {
    Serve {
        listener,
        app,
        limits: HttpLimits::default(),
        signal: None,
    }
}

/// A server to await; from [`serve`].
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve {
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    signal: Option<BoxFuture<'static, ()>>,
}

impl fmt::Debug for Serve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Serve {
    /// Serves with these limits instead of the defaults.
    pub fn limits(mut self, limits: HttpLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Shuts down gracefully once `signal` resolves: no new connection is accepted, requests
    /// in flight finish, and the server's future returns once every connection has closed.
    pub fn with_graceful_shutdown(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Self {
        self.signal = Some(Box::pin(signal));
        self
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }
}

impl IntoFuture for Serve {
    type Output = io::Result<()>;
    type IntoFuture = BoxFuture<'static, io::Result<()>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// The timeouts each connection applies.
#[derive(Debug, Clone, Copy)]
struct Timeouts {
    /// Before the first request: the header timeout (or the idle one, if shorter).
    first: Duration,
    idle: Duration,
    body: Duration,
}

impl Serve {
    async fn run(self) -> io::Result<()> {
        let Serve {
            listener,
            app,
            limits,
            signal,
        } = self;
        let mut signal = signal.unwrap_or_else(|| Box::pin(std::future::pending()));
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        let builder = Arc::new(builder);
        let timeouts = Timeouts {
            first: limits.header_timeout.min(limits.idle_timeout),
            idle: limits.idle_timeout,
            body: limits.body_timeout,
        };
        let mut gate = Gate::new(limits.max_connections, limits.max_connections_per_address);
        let stop = CancellationToken::new();
        let connections = TaskTracker::new();
        loop {
            let (stream, peer) = tokio::select! {
                () = &mut signal => break,
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        accept_failed(e).await;
                        continue;
                    }
                },
            };
            // Refused: the stream is dropped, which closes it.
            let Some(admission) = gate.admit(peer.ip()) else {
                continue;
            };
            let io = TokioIo::new(Admitted {
                stream,
                _admission: admission,
            });
            connections.spawn(connection(
                builder.clone(),
                io,
                peer,
                app.clone(),
                timeouts,
                stop.clone(),
            ));
        }
        drop(listener);
        tracing::debug!(
            connections = connections.len(),
            "not accepting any more connections; finishing the open ones"
        );
        stop.cancel();
        connections.close();
        connections.wait().await;
        Ok(())
    }
}

/// After a failed `accept`: the client's failures are skipped; anything else (such as the
/// file limit) is logged, and accepting pauses for a second rather than spinning.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset, Interrupted};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset | Interrupted
    ) {
        return;
    }
    tracing::error!(error = %e, "cannot accept a connection; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Serves one connection until it ends: closes it gracefully once it has been idle too long
/// or the server shuts down.
async fn connection(
    builder: Arc<Builder<TokioExecutor>>,
    io: TokioIo<Admitted>,
    peer: SocketAddr,
    app: Router,
    timeouts: Timeouts,
    stop: CancellationToken,
) {
    let (in_flight, mut activity) = watch::channel(0usize);
    let in_flight = Arc::new(in_flight);
    let service = hyper::service::service_fn(move |request| {
        answer(&app, request, peer, timeouts.body, &in_flight)
    });
    let mut conn = pin!(builder.serve_connection_with_upgrades(io, service));
    let mut idle = pin!(idle(&mut activity, timeouts.first, timeouts.idle));
    let mut closing = false;
    loop {
        tokio::select! {
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(%peer, error = %e, "connection ended");
                }
                return;
            }
            () = stop.cancelled(), if !closing => {
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
            () = &mut idle, if !closing => {
                tracing::debug!(%peer, "closing an idle connection");
                closing = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Resolves once no request has been in flight for `first` (before the first request) or
/// `then` (after it). `activity` holds the number of requests in flight; every change to it
/// restarts the clock.
async fn idle(activity: &mut watch::Receiver<usize>, first: Duration, then: Duration) {
    let mut wait = first;
    loop {
        if activity.wait_for(|&n| n == 0).await.is_err() {
            // The connection is gone: nothing to close.
            return std::future::pending().await;
        }
        match tokio::time::timeout(wait, activity.changed()).await {
            Err(_elapsed) => return,
            Ok(Ok(())) => wait = then,
            Ok(Err(_gone)) => return std::future::pending().await,
        }
    }
}

/// One request: the peer's address for the handlers, the body's deadline, the request in
/// flight until its response has been sent.
fn answer(
    app: &Router,
    request: Request<Incoming>,
    peer: SocketAddr,
    body_timeout: Duration,
    in_flight: &Arc<watch::Sender<usize>>,
) -> impl Future<Output = Result<Response<Tracked>, Infallible>> + use<> {
    let guard = InFlight::begin(in_flight);
    let version = request.version();
    let late = Arc::new(AtomicBool::new(false));
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(ConnectInfo(peer));
    let body = Deadline {
        body,
        at: Instant::now() + body_timeout,
        sleep: None,
        late: late.clone(),
    };
    let call = app.clone().oneshot(Request::from_parts(parts, body));
    async move {
        let response = match call.await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let response = if late.load(Ordering::Relaxed) {
            body_too_late(version)
        } else {
            response
        };
        Ok(response.map(|body| Tracked {
            body,
            _in_flight: guard,
        }))
    }
}

/// The answer to a request whose body missed its deadline, whatever its handler made of the
/// failed read: 408, and on HTTP/1 the connection closes (the rest of the body is unread).
fn body_too_late(version: Version) -> axum::response::Response {
    let message = serde_json::json!({"message": "The request body did not arrive in time."});
    let mut response = (StatusCode::REQUEST_TIMEOUT, axum::Json(message)).into_response();
    if version < Version::HTTP_2 {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A request in flight on a connection, until dropped.
struct InFlight(Arc<watch::Sender<usize>>);

impl InFlight {
    fn begin(in_flight: &Arc<watch::Sender<usize>>) -> Self {
        in_flight.send_modify(|n| *n += 1);
        InFlight(in_flight.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

/// A response body that keeps its request in flight until it has been sent (or dropped).
struct Tracked {
    body: axum::body::Body,
    _in_flight: InFlight,
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A request body that fails once its deadline has passed, and says so in `late`.
struct Deadline {
    body: Incoming,
    at: Instant,
    /// Made on the first read that has to wait.
    sleep: Option<Pin<Box<Sleep>>>,
    late: Arc<AtomicBool>,
}

/// The error a handler reads from a body that missed its deadline.
#[derive(Debug)]
struct BodyTimeout;

impl fmt::Display for BodyTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request body did not arrive within the body timeout")
    }
}

impl std::error::Error for BodyTimeout {}

impl Body for Deadline {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        let at = this.at;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.late.store(true, Ordering::Relaxed);
                Poll::Ready(Some(Err(Box::new(BodyTimeout))))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Who may connect: the total cap and the per-address one.
struct Gate {
    total: Arc<Semaphore>,
    max: usize,
    per_address: Option<(usize, OpenPerAddress)>,
    /// When the total cap was last reported, so that a flood is logged once a minute.
    warned: Option<Instant>,
}

/// How many connections are open from each address that has any.
type OpenPerAddress = Arc<Mutex<HashMap<IpAddr, usize>>>;

/// A connection's places under the caps, given back when it closes.
struct Admission {
    _total: OwnedSemaphorePermit,
    _address: Option<AddressSlot>,
}

/// One place under the per-address cap.
struct AddressSlot {
    address: IpAddr,
    counts: OpenPerAddress,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = counts.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

impl Gate {
    fn new(max: usize, per_address: Option<usize>) -> Self {
        Gate {
            total: Arc::new(Semaphore::new(max.min(Semaphore::MAX_PERMITS))),
            max,
            per_address: per_address.map(|cap| (cap, Arc::default())),
            warned: None,
        }
    }

    /// A place for a connection from `peer`, or `None` when a cap is reached.
    fn admit(&mut self, peer: IpAddr) -> Option<Admission> {
        let Ok(total) = self.total.clone().try_acquire_owned() else {
            crate::metrics::connection_refused("max_connections");
            if self
                .warned
                .is_none_or(|at| at.elapsed() >= Duration::from_secs(60))
            {
                self.warned = Some(Instant::now());
                tracing::warn!(
                    max_connections = self.max,
                    "the connection cap is reached: new connections are refused until some close"
                );
            }
            return None;
        };
        let address = match &self.per_address {
            None => None,
            Some((cap, counts)) => {
                let address = ClientAddr::limit_key(peer);
                let mut open = counts.lock().unwrap_or_else(PoisonError::into_inner);
                let n = open.entry(address).or_insert(0);
                if *n >= *cap {
                    crate::metrics::connection_refused("per_address");
                    tracing::debug!(%address, cap, "refusing a connection over the per-address cap");
                    return None;
                }
                *n += 1;
                Some(AddressSlot {
                    address,
                    counts: counts.clone(),
                })
            }
        };
        Some(Admission {
            _total: total,
            _address: address,
        })
    }
}

/// An accepted connection with its places under the caps: they stay taken for as long as
/// the connection is open, after an upgrade to a websocket too.
struct Admitted {
    stream: TcpStream,
    _admission: Admission,
}

impl AsyncRead for Admitted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Admitted {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
