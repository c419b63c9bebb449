//! A TCP proxy in front of PostgreSQL that a test cuts and restores: the database made
//! unreachable for one server, not for the machine.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Forwards to PostgreSQL until cut; while cut, drops every connection and refuses new ones.
pub(crate) struct Proxy {
    pub(crate) port: u16,
    open: Arc<AtomicBool>,
    cut_tx: watch::Sender<u64>,
}

impl Proxy {
    pub(crate) async fn start(server: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let open = Arc::new(AtomicBool::new(true));
        let (cut_tx, cut_rx) = watch::channel(0u64);
        let accepting = open.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !accepting.load(Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let mut cut = cut_rx.clone();
                let server = server.clone();
                // Only cuts after this connection opened concern it.
                cut.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&server).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Proxy { port, open, cut_tx }
    }

    pub(crate) fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cut_tx.send_modify(|n| *n += 1);
    }

    pub(crate) fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}
