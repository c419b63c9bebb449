//! [`SupportChat`]: the one entry point that wires a service to the websocket hub its
//! clients are connected to, alone or on a bus between nodes.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use futures::future::BoxFuture;
use support_core::{
    Broadcaster, Bus, BusListener, BusNode, Directory, Fanout, Result, SupportService, SupportStore,
};

use crate::authorize::ServiceAuthorizer;
use crate::config::AppConfig;
use crate::hub::Hub;
use crate::identify::Identify;

/// How long [`SupportChat::shutdown`] waits for the websocket clients' close frames to go out.
const CLOSE_BOUND: Duration = Duration::from_secs(2);

/// Support chat, wired: a [`SupportService`] that publishes to the websocket clients, and one
/// [`Router`] with every way a client reaches it, all on one [`Hub`].
///
/// Build it with [`SupportChat::builder`]: give it the store, the directory of your users and
/// your [`Identify`] hook, and on several nodes the [`Bus`] between them. It creates the hub
/// itself, so the service cannot be given a broadcaster that the websocket clients never
/// hear:
///
/// - alone, the service publishes into the hub;
/// - on a bus ([`SupportChatBuilder::bus`]), the service publishes through the bus, and the
///   bus's listener feeds the hub what any node publishes (this one's included); the hub
///   publishes its presence changes through the bus as well ([`Hub::join_cluster`]), so
///   presence channels have the members of every node.
///
/// [`router`](SupportChat::router) mounts the JSON API ([`crate::api::router`], under
/// `/api`), the websocket `/app/{key}`, `POST /broadcasting/auth` (through
/// [`ServiceAuthorizer`], with the same `Identify`) and Pusher's signed HTTP API `/apps/…`
/// ([`crate::router`]), all throttled at the app's
/// [`rate_limits`](crate::AppConfig::rate_limits): merge it into your app, and serve it with
/// [`serve`](crate::serve()) (or `axum::serve`, which bounds no wait). Per-address limits need
/// the client's address, which `serve` gives each request as `ConnectInfo<SocketAddr>` (or put
/// a [`ClientAddr`](crate::ClientAddr) in each request's extensions).
/// [`shutdown_when`](SupportChat::shutdown_when) goes to the graceful shutdown of either.
///
/// ```no_run
/// use support_core::{Actor, MemoryStore, Role, StaticDirectory};
/// use support_transport_ws::{AppConfig, SupportChat, identify_fn, serve, shutdown_signal};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let alice = Actor::new(1, "Alice", Role::Employee);
/// let chat = SupportChat::builder(AppConfig::new("app-id", "app-key", "app-secret"))
///     .store(MemoryStore::new())
///     .directory(StaticDirectory::new([alice.clone()]))
///     // Everyone is Alice: replace with your session lookup.
///     .identify(identify_fn(move |_headers| {
///         let alice = alice.clone();
///         Box::pin(async move { Ok(Some(alice)) })
///     }))
///     .start()
///     .await?;
///
/// let app = axum::Router::new().merge(chat.router()); // and your app's routes
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// serve(listener, app) // every wait bounded, connections capped (`HttpLimits`)
///     .with_graceful_shutdown(chat.shutdown_when(shutdown_signal())) // SIGTERM or Ctrl-C
///     .await?;
/// # Ok(()) }
/// ```
///
/// The README's "Embed it" runs the same with a websocket client that receives an event.
///
/// Cloning shares it. The pieces it is made of stay public for wiring of your own
/// ([`Hub`], [`crate::router`], [`crate::api::router`], [`ServiceAuthorizer`], a bus's
/// broadcaster and listener); wired by hand, the service must publish into the hub, or
/// through a bus whose listener feeds the hub, or no event reaches a websocket client.
#[derive(Clone)]
pub struct SupportChat {
    service: SupportService,
    hub: Hub,
    router: Router,
    /// The bus listener, until [`SupportChat::shutdown`] stops it.
    listener: Arc<Mutex<Option<Box<dyn StopListener>>>>,
}

impl std::fmt::Debug for SupportChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupportChat")
            .field("app", self.hub.app())
            .finish_non_exhaustive()
    }
}

impl SupportChat {
    /// Starts building support chat for the Pusher app `app` (its credentials and limits).
    pub fn builder(app: AppConfig) -> SupportChatBuilder {
        SupportChatBuilder {
            app,
            store: Missing,
            directory: Missing,
            identify: Missing,
            bus: None,
            document: None,
            attachments: None,
        }
    }

    /// The service, for calls of your own (it publishes as the routes' calls do).
    ///
    /// When you revoke a user's access (an admin disabled them), end their sessions and
    /// tokens in your identity, then call
    /// [`service().disconnect_user(id)`](SupportService::disconnect_user): their websocket
    /// connections close with 4009 on every node (through the bus, if there is one). It ends
    /// no session and no token: unless your [`Identify`] refuses the user from then on, the
    /// client reconnects and signs in to its channels again.
    pub fn service(&self) -> &SupportService {
        &self.service
    }

    /// The hub the websocket clients of this node are connected to.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// Every route: the JSON API, the websocket, channel auth and the Pusher HTTP API, each
    /// on the paths their own routers document. Merge it into your app, or nest it under a
    /// prefix (the websocket URL and `authEndpoint` of your clients then carry the prefix).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// Shuts down: every websocket client is sent close code 4200 (which makes it reconnect
    /// at once, to this server after a restart or to another node), then this returns once
    /// they are closed (at most about two seconds) and the bus listener, if any, has
    /// stopped. Requests in flight are the server's to finish. Calling it again does nothing
    /// more.
    pub async fn shutdown(&self) {
        self.hub.shutdown();
        let deadline = tokio::time::Instant::now() + CLOSE_BOUND;
        while self.hub.connection_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let listener = self
            .listener
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(listener) = listener {
            listener.stop_boxed().await;
        }
    }

    /// Waits for `signal`, then [`shutdown`](SupportChat::shutdown)s: the future to give
    /// [`Serve::with_graceful_shutdown`](crate::Serve::with_graceful_shutdown) (or axum's),
    /// typically with [`shutdown_signal`](crate::shutdown_signal).
    pub fn shutdown_when(
        &self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let chat = self.clone();
        async move {
            signal.await;
            tracing::info!("shutting down: closing websockets with 4200, finishing requests");
            chat.shutdown().await;
        }
    }
}

/// A part of a [`SupportChatBuilder`] not given yet. [`SupportChatBuilder::start`] exists
/// once the store, the directory and the identity hook are all given.
#[derive(Debug, Clone, Copy)]
pub struct Missing;

/// Builds a [`SupportChat`]; from [`SupportChat::builder`].
///
/// The store, the directory and the identity hook are required, each given once; `start`
/// is there once all three are. The bus is optional. Forgetting a part does not compile:
///
/// ```compile_fail
/// use support_core::{MemoryStore, StaticDirectory};
/// use support_transport_ws::{AppConfig, SupportChat};
///
/// # async fn run() {
/// let chat = SupportChat::builder(AppConfig::new("app-id", "app-key", "app-secret"))
///     .store(MemoryStore::new())
///     .directory(StaticDirectory::default())
///     .start() // no `.identify(…)`: no `start` either
///     .await;
/// # }
/// ```
pub struct SupportChatBuilder<S = Missing, D = Missing, I = Missing> {
    app: AppConfig,
    store: S,
    directory: D,
    identify: I,
    bus: Option<Box<dyn JoinBus>>,
    document: Option<EditDocument>,
    attachments: Option<crate::attachments::Attachments>,
}

/// An edit of the served OpenAPI document (see [`SupportChatBuilder::document`]).
type EditDocument = Box<dyn FnOnce(&mut utoipa::openapi::OpenApi) + Send>;

impl<S, D, I> std::fmt::Debug for SupportChatBuilder<S, D, I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupportChatBuilder")
            .field("app", &self.app)
            .field("bus", &self.bus.is_some())
            .field("document", &self.document.is_some())
            .finish_non_exhaustive()
    }
}

impl<D, I> SupportChatBuilder<Missing, D, I> {
    /// Where tickets and messages are stored (`support_store_sqlite::SqliteStore`,
    /// `support_store_postgres::PgStore`, your own).
    pub fn store(
        self,
        store: impl SupportStore,
    ) -> SupportChatBuilder<Arc<dyn SupportStore>, D, I> {
        SupportChatBuilder {
            app: self.app,
            store: Arc::new(store),
            directory: self.directory,
            identify: self.identify,
            bus: self.bus,
            document: self.document,
            attachments: self.attachments,
        }
    }
}

impl<S, I> SupportChatBuilder<S, Missing, I> {
    /// Who your users are, by id: names, roles, who can be assigned tickets.
    pub fn directory(
        self,
        directory: impl Directory,
    ) -> SupportChatBuilder<S, Arc<dyn Directory>, I> {
        SupportChatBuilder {
            app: self.app,
            store: self.store,
            directory: Arc::new(directory),
            identify: self.identify,
            bus: self.bus,
            document: self.document,
            attachments: self.attachments,
        }
    }
}

impl<S, D> SupportChatBuilder<S, D, Missing> {
    /// Who is calling a request: one hook for the JSON API and channel auth alike.
    pub fn identify(self, identify: impl Identify) -> SupportChatBuilder<S, D, Arc<dyn Identify>> {
        SupportChatBuilder {
            app: self.app,
            store: self.store,
            directory: self.directory,
            identify: Arc::new(identify),
            bus: self.bus,
            document: self.document,
            attachments: self.attachments,
        }
    }
}

impl<S, D, I> SupportChatBuilder<S, D, I> {
    /// Runs this node on `bus` (such as `support_store_postgres::PgBus`), with the other
    /// nodes on it: the service publishes through the bus, and [`start`] joins it with this
    /// node's hub, so the websocket clients of every node get every event. Without a bus the
    /// service publishes into the hub, for one process. A second call replaces the first.
    ///
    /// [`start`]: SupportChatBuilder::start
    pub fn bus(mut self, bus: impl Bus) -> Self {
        self.bus = Some(Box::new(bus));
        self
    }

    /// Serves attachments (uploads and downloads) from `attachments`' blob store, with its
    /// size limit and allowed types. Without it the attachment routes answer 404. A second
    /// call replaces the first.
    pub fn attachments(mut self, attachments: crate::attachments::Attachments) -> Self {
        self.attachments = Some(attachments);
        self
    }

    /// Edits the OpenAPI document the JSON API serves at `/api/openapi.json` before it is
    /// served, for what your app adds around the router (a sign-in scheme of its own, a
    /// server prefix): see [`crate::api::router_with_document`]. A second call replaces the
    /// first.
    pub fn document(
        mut self,
        edit: impl FnOnce(&mut utoipa::openapi::OpenApi) + Send + 'static,
    ) -> Self {
        self.document = Some(Box::new(edit));
        self
    }
}

impl SupportChatBuilder<Arc<dyn SupportStore>, Arc<dyn Directory>, Arc<dyn Identify>> {
    /// Creates the hub, joins the bus if there is one, and wires the service and the router
    /// to the hub. Fails only if the bus cannot be joined (typically
    /// [`Error::Unavailable`](support_core::Error::Unavailable): its database is unreachable).
    pub async fn start(self) -> Result<SupportChat> {
        let limits = self.app.rate_limits.clone();
        let hub = Hub::new(self.app);
        let (broadcaster, listener): (Arc<dyn Broadcaster>, _) = match self.bus {
            None => (Arc::new(hub.clone()), None),
            Some(bus) => {
                let fanout: Arc<dyn Fanout> = Arc::new(hub.clone());
                let node = bus.join_boxed(fanout).await?;
                // Presence goes through the bus too, so that members are every node's.
                hub.join_cluster(node.publisher.clone());
                (node.publisher, Some(node.listener))
            }
        };
        // Every store measured alike: latency and errors by operation (the metrics module).
        let store: Arc<dyn SupportStore> = Arc::new(crate::metrics::MeteredStore::new(self.store));
        let service = SupportService::from_parts(store, broadcaster, self.directory);
        let authorizer = ServiceAuthorizer::new(service.clone(), self.identify.clone())
            .with_rate(limits.channel_auth, limits.max_keys);
        let edit = self.document.unwrap_or_else(|| Box::new(|_| {}));
        let router = crate::api::router_with_attachments(
            service.clone(),
            self.identify,
            &limits,
            self.attachments,
            edit,
        )
        .merge(crate::router(hub.clone(), Arc::new(authorizer)));
        Ok(SupportChat {
            service,
            hub,
            router,
            listener: Arc::new(Mutex::new(listener)),
        })
    }
}

/// A [`Bus`] behind a box: the builder holds any bus.
trait JoinBus: Send + Sync {
    fn join_boxed(
        self: Box<Self>,
        fanout: Arc<dyn Fanout>,
    ) -> BoxFuture<'static, Result<BusNode<Box<dyn StopListener>>>>;
}

impl<B: Bus> JoinBus for B {
    fn join_boxed(
        self: Box<Self>,
        fanout: Arc<dyn Fanout>,
    ) -> BoxFuture<'static, Result<BusNode<Box<dyn StopListener>>>> {
        Box::pin(async move {
            let node = self.join(fanout).await?;
            Ok(BusNode {
                publisher: node.publisher,
                listener: Box::new(node.listener) as Box<dyn StopListener>,
            })
        })
    }
}

/// A [`BusListener`] behind a box.
trait StopListener: Send + Sync {
    fn stop_boxed(self: Box<Self>) -> BoxFuture<'static, ()>;
}

impl<L: BusListener> StopListener for L {
    fn stop_boxed(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin((*self).stop())
    }
}
