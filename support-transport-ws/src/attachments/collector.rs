//! The collector of uploads nobody attached.

use std::sync::Arc;
use std::time::Duration;

use support_core::{BlobStore, SupportService};

/// Runs [`SupportService::purge_unattached_uploads`] every `every` (the first run after one
/// period), removing at most `per_run` uploads each time, until the task is aborted. A failed
/// run is logged and retried at the next period.
pub fn spawn_upload_collector(
    service: SupportService,
    blobs: Arc<dyn BlobStore>,
    every: Duration,
    per_run: u32,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match service.purge_unattached_uploads(&*blobs, per_run).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "removed unattached uploads"),
                Err(e) => tracing::warn!(error = %e, "could not remove unattached uploads"),
            }
        }
    })
}
