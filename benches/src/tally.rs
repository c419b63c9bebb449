//! Counting what arrived: one bit per expected delivery, HDR histograms of latencies, and the
//! worst 100 ms windows of a run.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use hdrhistogram::Histogram;

/// A histogram of microseconds from 1 µs to 60 s at 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("constant histogram bounds are valid")
}

/// A fixed number of bits that many tasks set at once.
#[derive(Debug)]
pub struct Bitmap(Vec<AtomicU64>);

impl Bitmap {
    /// `bits` clear bits.
    pub fn new(bits: u64) -> Self {
        Bitmap((0..bits.div_ceil(64)).map(|_| AtomicU64::new(0)).collect())
    }

    /// Sets a bit; `true` if it was clear (`false` too for a bit past the end).
    pub fn set(&self, bit: u64) -> bool {
        let mask = 1u64 << (bit % 64);
        self.0
            .get((bit / 64) as usize)
            .is_some_and(|w| w.fetch_or(mask, Ordering::Relaxed) & mask == 0)
    }

    /// Whether a bit is set.
    pub fn get(&self, bit: u64) -> bool {
        self.0
            .get((bit / 64) as usize)
            .is_some_and(|w| w.load(Ordering::Relaxed) & (1 << (bit % 64)) != 0)
    }
}

/// Histograms that tasks record into by shard (`index % shards`), so that 2 cores rarely wait
/// on one another's lock; merged when the run is over.
#[derive(Debug)]
pub struct Sharded(Vec<Mutex<Histogram<u64>>>);

impl Sharded {
    /// `shards` empty histograms (at least one).
    pub fn new(shards: usize) -> Self {
        Sharded(
            (0..shards.max(1))
                .map(|_| Mutex::new(histogram()))
                .collect(),
        )
    }

    /// Records microseconds in the shard of `index`.
    pub fn record(&self, index: usize, us: u64) {
        if let Ok(mut h) = self.0[index % self.0.len()].lock() {
            h.saturating_record(us.max(1));
        }
    }

    /// All shards added up.
    pub fn merged(&self) -> Histogram<u64> {
        let mut all = histogram();
        for shard in &self.0 {
            if let Ok(h) = shard.lock() {
                // Same bounds everywhere: adding cannot fail.
                let _ = all.add(&*h);
            }
        }
        all
    }
}

/// Width of the windows of [`Windows`].
pub const WINDOW_US: u64 = 100_000;

/// The worst delivery latency and the worst HTTP answer time of the events sent in each 100 ms
/// window of a run: a stall that hits both is the server's or the machine's, not the
/// receivers'.
#[derive(Debug)]
pub struct Windows {
    /// When the run started, in the run's clock of microseconds.
    start_us: u64,
    delivery: Vec<AtomicU64>,
    answer: Vec<AtomicU64>,
}

impl Windows {
    /// Windows for `secs` seconds from `start_us`.
    pub fn new(start_us: u64, secs: f64) -> Self {
        let n = (secs.max(0.0) * 1e6 / WINDOW_US as f64).ceil() as usize;
        Windows {
            start_us,
            delivery: (0..n).map(|_| AtomicU64::new(0)).collect(),
            answer: (0..n).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn note(map: &[AtomicU64], start_us: u64, sent_us: u64, us: u64) {
        let window = usize::try_from(sent_us.saturating_sub(start_us) / WINDOW_US).ok();
        if let Some(w) = window.and_then(|w| map.get(w)) {
            w.fetch_max(us, Ordering::Relaxed);
        }
    }

    /// A delivery of an event sent at `sent_us` took `us`.
    pub fn delivery(&self, sent_us: u64, us: u64) {
        Self::note(&self.delivery, self.start_us, sent_us, us);
    }

    /// The HTTP answer to a request sent at `sent_us` took `us`.
    pub fn answer(&self, sent_us: u64, us: u64) {
        Self::note(&self.answer, self.start_us, sent_us, us);
    }

    /// The `n` windows with the worst delivery latency: (seconds into the run, worst
    /// delivery, worst HTTP answer), in microseconds.
    pub fn worst(&self, n: usize) -> Vec<(f64, u64, u64)> {
        let mut all: Vec<(f64, u64, u64)> = self
            .delivery
            .iter()
            .zip(&self.answer)
            .enumerate()
            .map(|(i, (d, a))| {
                let at = (i as u64 * WINDOW_US) as f64 / 1e6;
                (at, d.load(Ordering::Relaxed), a.load(Ordering::Relaxed))
            })
            .filter(|w| w.1 > 0)
            .collect();
        all.sort_by_key(|w| std::cmp::Reverse(w.1));
        all.truncate(n);
        all
    }

    /// [`Windows::worst`] as text: `12.3 s: 4.5 / 1.2 ms, …`.
    pub fn describe_worst(&self, n: usize) -> Option<String> {
        let worst = self.worst(n);
        (!worst.is_empty()).then(|| {
            worst
                .iter()
                .map(|(at, d, a)| {
                    format!(
                        "{at:.1} s: {:.1} / {:.1} ms",
                        *d as f64 / 1e3,
                        *a as f64 / 1e3
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
    }
}
