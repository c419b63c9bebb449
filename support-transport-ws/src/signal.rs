//! [`shutdown_signal`]: when a server should stop.

/// Resolves when the process is asked to stop: SIGTERM (what `docker stop`, systemd and
/// Kubernetes send) or Ctrl-C (SIGINT). Give it to
/// [`SupportChat::shutdown_when`](crate::SupportChat::shutdown_when). If a signal handler cannot be installed, that
/// signal is not waited for (and is logged); the other still is.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
