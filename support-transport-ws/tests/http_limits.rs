//! [`serve`] against clients that misbehave, on real sockets: headers that stall or drip
//! (slowloris), bodies that stall or drip, idle keep-alive connections (HTTP/1.1 and HTTP/2),
//! the total and the per-address connection caps. And what must keep working: requests,
//! websockets (longer than every timeout), the peer's address for handlers, graceful shutdown.
//!
//! Timeouts are one second here so the tests run fast; each assertion allows [`SLACK`] more.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::future::IntoFuture;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::ConnectInfo;
use axum::http::Request;
use axum::routing::{get, post};
use common::{APP_ID, AllowAll, KEY, SECRET};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::json;
use support_transport_ws::testing::{self, next};
use support_transport_ws::{AppConfig, HttpLimits, Hub, router, serve};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::time::timeout;

/// What a close may take beyond its timeout.
const SLACK: Duration = Duration::from_secs(2);
/// The timeouts in these tests.
const SHORT: Duration = Duration::from_secs(1);
/// A timeout that a test does not reach.
const LONG: Duration = Duration::from_secs(60);
/// How long a `GET /slow` takes: longer than [`SHORT`].
const SLOW: Duration = Duration::from_millis(1500);

/// Every timeout [`SHORT`], no per-address cap: each test changes what it is not testing.
fn short() -> HttpLimits {
    HttpLimits {
        header_timeout: SHORT,
        body_timeout: SHORT,
        idle_timeout: SHORT,
        max_connections: 10_000,
        max_connections_per_address: None,
    }
}

/// A server on a free port: a few plain routes and the Pusher router on one hub.
struct Served {
    addr: SocketAddr,
    hub: Hub,
    stop: Option<oneshot::Sender<()>>,
    done: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn start(limits: HttpLimits) -> Served {
    let hub = Hub::new(AppConfig::new(APP_ID, KEY, SECRET));
    let app = Router::new()
        .route("/hello", get(|| async { "hello" }))
        .route(
            "/echo",
            post(|body: Bytes| async move { body.len().to_string() }),
        )
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(SLOW).await;
                "done"
            }),
        )
        .merge(router(hub.clone(), Arc::new(AllowAll)));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let closing = hub.clone();
    let done = tokio::spawn(
        serve(listener, app)
            .limits(limits)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
                closing.shutdown();
            })
            .into_future(),
    );
    Served {
        addr,
        hub,
        stop: Some(stop),
        done,
    }
}

/// A TCP connection to `addr` from `ip` (every 127.x.y.z address is this machine's).
async fn connect_from(ip: Ipv4Addr, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind((ip, 0).into()).unwrap();
    socket.connect(addr).await.unwrap()
}

async fn connect(addr: SocketAddr) -> TcpStream {
    connect_from(Ipv4Addr::LOCALHOST, addr).await
}

/// Waits for the server to end the connection (end of stream or reset), discarding what it
/// sends; returns the time since `since`. Panics if it is still open `limit` after `since`.
async fn closed(
    stream: &mut (impl AsyncRead + Unpin),
    since: Instant,
    limit: Duration,
) -> Duration {
    let mut buf = [0u8; 1024];
    let until_closed = async {
        while let Ok(n) = stream.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    let left = limit.saturating_sub(since.elapsed());
    timeout(left, until_closed)
        .await
        .unwrap_or_else(|_| panic!("still open {limit:?} later"));
    since.elapsed()
}

/// Reads one response (its body by `Content-Length`): the status and the body.
async fn response(stream: &mut (impl AsyncRead + Unpin)) -> (u16, String) {
    rest_of_response(stream, Vec::new()).await
}

/// [`response`], of which `data` has been read already.
async fn rest_of_response(
    stream: &mut (impl AsyncRead + Unpin),
    mut data: Vec<u8>,
) -> (u16, String) {
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).into_owned();
            let status = head.split(' ').nth(1).unwrap().parse().unwrap();
            let length = head
                .lines()
                .find_map(|l| {
                    let l = l.to_ascii_lowercase();
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            let body = end + 4;
            if data.len() >= body + length {
                return (
                    status,
                    String::from_utf8_lossy(&data[body..body + length]).into_owned(),
                );
            }
        }
        let n = timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("a response within 5 s")
            .expect("the response is read");
        assert!(
            n > 0,
            "closed before a whole response: {:?}",
            String::from_utf8_lossy(&data)
        );
        data.extend_from_slice(&buf[..n]);
    }
}

/// `GET path` on a keep-alive connection, and its response.
async fn get_on(stream: &mut TcpStream, path: &str) -> (u16, String) {
    let request = format!("GET {path} HTTP/1.1\r\nhost: test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    response(stream).await
}

/// Whether the server refuses this connection: a request on it gets no answer, and the
/// connection ends at once (within [`SLACK`]). If it is answered, the whole answer is read.
async fn refused(stream: &mut TcpStream) -> bool {
    let _ = stream
        .write_all(b"GET /hello HTTP/1.1\r\nhost: test\r\n\r\n")
        .await;
    let mut first = [0u8; 1];
    match timeout(SLACK, stream.read(&mut first)).await {
        Ok(Ok(0) | Err(_)) => true,
        Ok(Ok(_)) => {
            assert_eq!(rest_of_response(stream, first.to_vec()).await.0, 200);
            false
        }
        Err(_) => panic!("neither answered nor closed within {SLACK:?}"),
    }
}

/// A connection from `ip` that the server serves, once it has noticed that another one closed
/// (within [`SLACK`]).
async fn served_soon(ip: Ipv4Addr, addr: SocketAddr) -> TcpStream {
    let deadline = Instant::now() + SLACK;
    loop {
        let mut stream = connect_from(ip, addr).await;
        if !refused(&mut stream).await {
            return stream;
        }
        assert!(Instant::now() < deadline, "still refused {SLACK:?} later");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Publishes `chat.message` on `channel` through the signed HTTP API.
async fn publish(s: &Served, channel: &str) {
    let server = common::Server {
        addr: s.addr,
        hub: s.hub.clone(),
    };
    let body = json!({"name": "chat.message", "channel": channel, "data": "{}"}).to_string();
    let (status, _) = common::api(&server, "POST", "/apps/test-app/events", &[], &body).await;
    assert_eq!(status, 200);
}

/// A websocket subscribed to `channel`.
async fn subscribed(s: &Served, channel: &str) -> testing::Ws {
    let (mut ws, socket) = testing::connect(s.addr, KEY).await;
    common::subscribe(&mut ws, &socket, channel).await;
    assert_eq!(
        next(&mut ws).await["event"],
        "pusher_internal:subscription_succeeded"
    );
    ws
}

#[tokio::test]
async fn headers_that_stall_or_drip_are_closed_within_the_header_timeout() {
    let s = start(HttpLimits {
        idle_timeout: LONG,
        ..short()
    })
    .await;
    let within = SHORT + SLACK;
    let stalls = |sent: &'static [u8]| async move {
        let mut stream = connect(s.addr).await;
        stream.write_all(sent).await.unwrap();
        let took = closed(&mut stream, Instant::now(), within).await;
        assert!(
            took >= SHORT * 9 / 10,
            "{sent:?}: closed after only {took:?}"
        );
    };
    let dripping = async {
        let (mut read, mut write) = connect(s.addr).await.into_split();
        write
            .write_all(b"GET /hello HTTP/1.1\r\nhost: test\r\nx-slow: ")
            .await
            .unwrap();
        let since = Instant::now();
        // One byte every 200 ms: the head is never complete.
        let drip = tokio::spawn(async move {
            while write.write_all(b"a").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        closed(&mut read, since, within).await;
        drip.abort();
    };
    let after_a_request = async {
        let mut stream = connect(s.addr).await;
        assert_eq!(get_on(&mut stream, "/hello").await.0, 200);
        stream
            .write_all(b"GET /hello HTTP/1.1\r\nhost: te")
            .await
            .unwrap();
        closed(&mut stream, Instant::now(), within).await;
    };
    tokio::join!(
        // Nothing at all.
        stalls(b""),
        // A header line begun and never ended.
        stalls(b"GET /hello HTTP/1.1\r\nhost: test\r\nx-slow: a"),
        // The HTTP/2 preface begun.
        stalls(b"PRI * HTTP/2.0\r\n"),
        dripping,
        // The second request of a keep-alive connection.
        after_a_request,
    );
}

#[tokio::test]
async fn bodies_that_stall_or_drip_are_answered_408_and_closed() {
    let s = start(HttpLimits {
        header_timeout: LONG,
        idle_timeout: LONG,
        ..short()
    })
    .await;
    let within = SHORT + SLACK;
    let head = b"POST /echo HTTP/1.1\r\nhost: test\r\ncontent-length: 100\r\n\r\n";

    // Half the body, then nothing.
    let stalled = async {
        let mut stream = connect(s.addr).await;
        stream.write_all(head).await.unwrap();
        stream.write_all(&[b'x'; 50]).await.unwrap();
        let since = Instant::now();
        let (status, body) = response(&mut stream).await;
        assert_eq!(status, 408, "{body}");
        assert!(
            since.elapsed() <= within,
            "answered after {:?}",
            since.elapsed()
        );
        let message: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(message["message"].is_string(), "{body}");
        closed(&mut stream, since, within).await;
    };
    // A byte every 200 ms: each arrives well within the timeout, the whole body does not.
    let dripping = async {
        let (mut read, mut write) = connect(s.addr).await.into_split();
        write.write_all(head).await.unwrap();
        let since = Instant::now();
        let drip = tokio::spawn(async move {
            for _ in 0..100 {
                if write.write_all(b"x").await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        let (status, _) = response(&mut read).await;
        assert_eq!(status, 408);
        assert!(
            since.elapsed() <= within,
            "answered after {:?}",
            since.elapsed()
        );
        drip.abort();
    };
    // A body that arrives in time is read.
    let in_time = async {
        let mut stream = connect(s.addr).await;
        stream.write_all(head).await.unwrap();
        tokio::time::sleep(SHORT / 2).await;
        stream.write_all(&[b'x'; 100]).await.unwrap();
        assert_eq!(response(&mut stream).await, (200, "100".to_owned()));
    };
    tokio::join!(stalled, dripping, in_time);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_and_a_long_request_is_not() {
    let s = start(HttpLimits {
        header_timeout: LONG,
        ..short()
    })
    .await;
    let mut idle = connect(s.addr).await;
    assert_eq!(get_on(&mut idle, "/hello").await, (200, "hello".to_owned()));
    let took = closed(&mut idle, Instant::now(), SHORT + SLACK).await;
    assert!(took >= SHORT * 9 / 10, "closed after only {took:?}");

    // A request in flight for longer than the idle timeout is answered.
    let mut busy = connect(s.addr).await;
    assert_eq!(get_on(&mut busy, "/slow").await, (200, "done".to_owned()));
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed() {
    let s = start(HttpLimits {
        header_timeout: LONG,
        ..short()
    })
    .await;
    let stream = TcpStream::connect(s.addr).await.unwrap();
    let (mut send, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    let connection = tokio::spawn(connection);
    let request = Request::get(format!("http://{}/hello", s.addr))
        .body(String::new())
        .unwrap();
    let answer = send.send_request(request).await.unwrap();
    assert_eq!(answer.status(), 200);
    let since = Instant::now();
    timeout(SHORT + SLACK, connection)
        .await
        .expect("the server ends an idle HTTP/2 connection")
        .unwrap()
        .unwrap();
    assert!(since.elapsed() >= SHORT * 9 / 10);
}

#[tokio::test]
async fn beyond_max_connections_new_ones_are_refused_until_one_closes() {
    let s = start(HttpLimits {
        max_connections: 3,
        header_timeout: LONG,
        idle_timeout: LONG,
        ..short()
    })
    .await;
    let local = Ipv4Addr::LOCALHOST;
    // A websocket holds its slot for as long as it is open.
    let (websocket, _) = testing::connect(s.addr, KEY).await;
    let mut b = connect(s.addr).await;
    assert_eq!(get_on(&mut b, "/hello").await.0, 200);
    let mut c = connect(s.addr).await;
    assert_eq!(get_on(&mut c, "/hello").await.0, 200);

    let started = Instant::now();
    assert!(
        refused(&mut connect(s.addr).await).await,
        "a fourth connection"
    );
    assert!(started.elapsed() < SLACK, "refused at once");

    drop(b);
    let mut d = served_soon(local, s.addr).await;
    assert!(
        refused(&mut connect(s.addr).await).await,
        "full again: the websocket still counts"
    );
    drop(websocket);
    let _e = served_soon(local, s.addr).await;
    assert_eq!(
        get_on(&mut c, "/hello").await.0,
        200,
        "the others still work"
    );
    assert_eq!(get_on(&mut d, "/hello").await.0, 200);
}

#[tokio::test]
async fn connections_from_one_address_are_capped_and_from_others_not() {
    let s = start(HttpLimits {
        max_connections_per_address: Some(2),
        header_timeout: LONG,
        idle_timeout: LONG,
        ..short()
    })
    .await;
    let (one, two) = (Ipv4Addr::new(127, 0, 0, 1), Ipv4Addr::new(127, 0, 0, 2));
    let mut a = connect_from(one, s.addr).await;
    assert_eq!(get_on(&mut a, "/hello").await.0, 200);
    let mut b = connect_from(one, s.addr).await;
    assert_eq!(get_on(&mut b, "/hello").await.0, 200);
    assert!(
        refused(&mut connect_from(one, s.addr).await).await,
        "a third from 127.0.0.1"
    );
    let mut other = connect_from(two, s.addr).await;
    assert_eq!(
        get_on(&mut other, "/hello").await.0,
        200,
        "another address has slots of its own"
    );
    drop(a);
    let _c = served_soon(one, s.addr).await;

    // No per-address cap: as many as the total cap allows.
    let s = start(HttpLimits {
        header_timeout: LONG,
        idle_timeout: LONG,
        ..short()
    })
    .await;
    let mut open = Vec::new();
    for _ in 0..20 {
        let mut stream = connect_from(one, s.addr).await;
        assert_eq!(get_on(&mut stream, "/hello").await.0, 200);
        open.push(stream);
    }
}

#[tokio::test]
async fn requests_websockets_and_the_peer_address_work() {
    let s = start(HttpLimits::default()).await;
    let mut stream = connect(s.addr).await;
    let me = stream.local_addr().unwrap().to_string();
    assert_eq!(
        get_on(&mut stream, "/hello").await,
        (200, "hello".to_owned())
    );
    assert_eq!(get_on(&mut stream, "/peer").await, (200, me));
    let mut ws = subscribed(&s, "private-t").await;
    publish(&s, "private-t").await;
    assert_eq!(next(&mut ws).await["event"], "chat.message");
}

#[tokio::test]
async fn a_websocket_outlives_the_header_body_and_idle_timeouts() {
    let s = start(short()).await;
    let mut ws = subscribed(&s, "private-t").await;
    tokio::time::sleep(SHORT * 3 + SHORT / 2).await;
    publish(&s, "private-t").await;
    assert_eq!(next(&mut ws).await["event"], "chat.message");
}

#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_flight_and_closes_websockets_with_4200() {
    let mut s = start(HttpLimits::default()).await;
    let mut ws = subscribed(&s, "private-t").await;
    let mut stream = connect(s.addr).await;
    stream
        .write_all(b"GET /slow HTTP/1.1\r\nhost: test\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(SLOW / 5).await; // in flight
    s.stop.take().unwrap().send(()).unwrap();
    assert_eq!(next(&mut ws).await["close"], 4200);
    assert_eq!(response(&mut stream).await, (200, "done".to_owned()));
    timeout(Duration::from_secs(5), &mut s.done)
        .await
        .expect("serve returns once its connections are done")
        .unwrap()
        .unwrap();
    assert!(
        TcpStream::connect(s.addr).await.is_err(),
        "no longer listening"
    );
}
