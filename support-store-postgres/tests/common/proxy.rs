//! A TCP proxy in front of the real server, with a switch: the tests cut the database off
//! and bring it back without touching the machine's PostgreSQL.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// What the proxy does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Forwards both ways.
    Open,
    /// Closes every connection and closes new ones at once: a server that went away.
    Cut,
    /// Closes every connection, then accepts new ones but never answers: a server that
    /// accepts connections and then hangs, where only the client's own timeouts help.
    Hang,
    /// Keeps every connection open but stops forwarding, and answers nothing on new ones: a
    /// network that swallows packets. Connections stalled this way are closed when the switch
    /// moves again.
    Stall,
}

pub(crate) struct Proxy {
    port: u16,
    mode: watch::Sender<Mode>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on a free local port and forwards to `target`.
    pub(crate) async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (mode, watch) = watch::channel(Mode::Open);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, target, watch.clone()));
            }
        });
        Proxy { port, mode, task }
    }

    /// The local port to connect to.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        // Ends every forwarding task too.
        self.mode.send_replace(Mode::Cut);
    }
}

async fn serve(mut client: TcpStream, target: SocketAddr, mut mode: watch::Receiver<Mode>) {
    let now = *mode.borrow_and_update();
    match now {
        Mode::Cut => {}
        Mode::Hang | Mode::Stall => {
            // Hold the socket, silent, until the switch moves.
            let _ = mode.changed().await;
        }
        Mode::Open => {
            let Ok(mut server) = TcpStream::connect(target).await else {
                return;
            };
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => return,
                _ = mode.wait_for(|m| *m != Mode::Open) => {}
            }
            if *mode.borrow() == Mode::Stall {
                // Forwarding stopped; the sockets stay open until the switch moves again.
                let _ = mode.changed().await;
            }
            drop(server);
        }
    }
    // Dropping the sockets closes the connection for both ends.
}
