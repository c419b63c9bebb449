//! Keep-alive HTTP/1.1 client connections, one request at a time each: the load generators
//! open as many as the rate they offer needs, so that the client is never what waits.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::StatusCode;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::BoxError;

/// The first IPv4 address of `host:port`.
pub fn resolve(host: &str, port: u16) -> Result<SocketAddr, BoxError> {
    (host, port)
        .to_socket_addrs()?
        .find(SocketAddr::is_ipv4)
        .ok_or_else(|| format!("{host} has no IPv4 address").into())
}

/// One keep-alive connection, reopened when the server closes it.
#[derive(Debug)]
pub struct KeepAlive {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl KeepAlive {
    /// A connection to `addr`, opened at the first request (or by [`KeepAlive::ready`]).
    pub fn new(addr: SocketAddr) -> Self {
        KeepAlive { addr, sender: None }
    }

    /// The connection, (re)opened if the server closed it, ready for a request.
    pub async fn ready(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, BoxError> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            let (sender, conn) =
                hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
            tokio::spawn(async move {
                // The connection ends when the sender is dropped or the server closes it.
                let _ = conn.await;
            });
            self.sender = Some(sender);
        }
        let sender = self.sender.as_mut().ok_or("no connection")?;
        sender.ready().await?;
        Ok(sender)
    }

    /// Sends a request and reads the whole answer; an error if the connection failed or no
    /// answer came within `timeout` (the connection is then dropped, and reopened next time).
    pub async fn send(
        &mut self,
        request: hyper::Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<(StatusCode, Bytes), BoxError> {
        let send = async {
            let sender = self.ready().await?;
            let response = sender.send_request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            Ok::<_, BoxError>((status, body))
        };
        match tokio::time::timeout(timeout, send).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(e)) => {
                self.sender = None;
                Err(e)
            }
            Err(_) => {
                self.sender = None;
                Err("request timed out".into())
            }
        }
    }
}

/// An answer's status and the start of its body, for error reports.
pub fn describe(status: StatusCode, body: &[u8]) -> String {
    format!(
        "HTTP {status}: {}",
        String::from_utf8_lossy(body)
            .chars()
            .take(200)
            .collect::<String>()
    )
}

/// Keep-alive connections shared by concurrent callers: each request takes an idle one (or
/// opens one) and gives it back afterwards, so there are as many as requests ever in flight.
#[derive(Debug)]
pub struct Pool {
    addr: SocketAddr,
    host: String,
    idle: std::sync::Mutex<Vec<KeepAlive>>,
}

impl Pool {
    /// A pool of connections to `host:port`.
    pub fn new(host: &str, port: u16) -> Result<Self, BoxError> {
        Ok(Pool {
            addr: resolve(host, port)?,
            host: format!("{host}:{port}"),
            idle: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// The `Host` header value of requests to this server.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Sends a request on an idle connection (see [`KeepAlive::send`]).
    pub async fn send(
        &self,
        request: hyper::Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<(StatusCode, Bytes), BoxError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let mut conn = idle.unwrap_or_else(|| KeepAlive::new(self.addr));
        let answer = conn.send(request, timeout).await;
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
        answer
    }

    /// Sends a JSON request with a bearer token and parses the JSON answer, which must have
    /// the status `expect`.
    pub async fn json(
        &self,
        method: hyper::Method,
        path: &str,
        token: &str,
        body: &serde_json::Value,
        expect: StatusCode,
    ) -> Result<serde_json::Value, BoxError> {
        let request = json_request(method, &self.host, path, token, None, body.to_string())?;
        let (status, answer) = self.send(request, Duration::from_secs(30)).await?;
        if status != expect {
            return Err(format!("{path}: {}", describe(status, &answer)).into());
        }
        Ok(serde_json::from_slice(&answer)?)
    }
}

/// A request with a JSON body, `Authorization: Bearer token`, and `X-Socket-ID` when given
/// (the sender's own socket, left out of the broadcast the request causes).
pub fn json_request(
    method: hyper::Method,
    host: &str,
    path: &str,
    token: &str,
    socket_id: Option<&str>,
    body: String,
) -> Result<hyper::Request<Full<Bytes>>, BoxError> {
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, host)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::ACCEPT, "application/json")
        .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(id) = socket_id {
        request = request.header("x-socket-id", id);
    }
    Ok(request.body(Full::new(Bytes::from(body)))?)
}
