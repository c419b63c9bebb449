//! Coalescing many small requests into few statements, only when it pays.
//!
//! A request runs straight away, on the caller's task, while fewer than `lanes` requests of its
//! kind are running. Beyond that it is queued, and the lanes (background tasks) each take
//! everything queued at once and run it as one batch. So under light load nothing waits for a
//! batch, and under heavy load the database sees one statement (and one commit) per batch
//! instead of one per request.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Mutex, mpsc};

/// The most requests in one batch. A batch never waits to fill up: it takes what is queued.
pub(crate) const MAX_BATCH: usize = 64;

/// The queue of one kind of request and the lanes that run it.
pub(crate) struct Lanes<J> {
    queue: mpsc::Sender<J>,
    running: Arc<AtomicUsize>,
    limit: usize,
}

impl<J> std::fmt::Debug for Lanes<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lanes")
            .field("running", &self.running.load(Ordering::Relaxed))
            .field("limit", &self.limit)
            .finish()
    }
}

impl<J> Clone for Lanes<J> {
    fn clone(&self) -> Self {
        Lanes {
            queue: self.queue.clone(),
            running: self.running.clone(),
            limit: self.limit,
        }
    }
}

/// A request counted as running until dropped.
pub(crate) struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl<J: Send + 'static> Lanes<J> {
    /// Starts `lanes` tasks on the current runtime, each running batches with `run`. They end
    /// when the last handle is dropped.
    pub(crate) fn spawn<F, Fut>(lanes: usize, run: F) -> Self
    where
        F: Fn(Vec<J>) -> Fut + Clone + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let limit = lanes.max(1);
        let (queue, rx) = mpsc::channel(4 * MAX_BATCH);
        let rx = Arc::new(Mutex::new(rx));
        let running = Arc::new(AtomicUsize::new(0));
        for _ in 0..limit {
            let (rx, running, run) = (rx.clone(), running.clone(), run.clone());
            tokio::spawn(async move {
                let mut batch = Vec::with_capacity(MAX_BATCH);
                loop {
                    // Only one lane waits on the queue at a time, and it takes all there is.
                    let taken = rx.lock().await.recv_many(&mut batch, MAX_BATCH).await;
                    if taken == 0 {
                        return;
                    }
                    running.fetch_add(1, Ordering::AcqRel);
                    let _running = Running(running.clone());
                    run(std::mem::take(&mut batch)).await;
                }
            });
        }
        Lanes {
            queue,
            running,
            limit,
        }
    }

    /// Permission to run one request directly, while fewer than `lanes` are running.
    pub(crate) fn direct(&self) -> Option<Running> {
        if self.running.fetch_add(1, Ordering::AcqRel) < self.limit {
            Some(Running(self.running.clone()))
        } else {
            self.running.fetch_sub(1, Ordering::AcqRel);
            None
        }
    }

    /// Queues a request for the next batch; `false` if the lanes have stopped.
    pub(crate) async fn queue(&self, job: J) -> bool {
        self.queue.send(job).await.is_ok()
    }
}
