//! Run with: `cargo run --release -p support-benches --bin uploadgen -- --port 8080 --token T --ticket 1 --server-pid PID`
//!
//! An upload load generator for the real `reference-server` binary: `--count` files of
//! `--size` bytes each (a PNG signature, then bytes that differ from file to file, so that
//! every upload is stored and none is deduplicated away), `--concurrency` at once, each
//! `POST /api/employee/portal/support/{ticket}/attachments` as `multipart/form-data` on a
//! connection of its own. `benches/upload.sh` starts the server and drives this.
//!
//! Reported on one `RESULT` line: the files and bytes sent, the wall time, the throughput
//! (MiB/s of file bytes answered 201), the slowest upload, failures (any answer but 201),
//! and with `--server-pid` the server's resident memory idle (`VmRSS` before any upload),
//! before the load (after one warm-up upload) and its peak during it (`VmHWM`), and the
//! peak's growth over each: how much memory 8 uploads at once add.

use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use http_body_util::Full;
use hyper::Request;
use support_benches::http::{KeepAlive, resolve};
use support_benches::process;

#[derive(Parser)]
struct Args {
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// A bearer token of the ticket's owner.
    #[arg(long)]
    token: String,
    /// The ticket the files go to.
    #[arg(long)]
    ticket: i64,
    /// Bytes per file.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    size: usize,
    /// Uploads in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Uploads in all.
    #[arg(long, default_value_t = 64)]
    count: usize,
    /// The server's process id, for its memory.
    #[arg(long)]
    server_pid: Option<u32>,
}

const BOUNDARY: &str = "uploadgen-boundary";

/// The multipart body of file number `n`.
fn body(n: usize, size: usize) -> Bytes {
    let mut out = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"file-{n}.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    let start = out.len();
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    let mut x = (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    while out.len() - start < size {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(start + size);
    out.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    Bytes::from(out)
}

async fn upload(
    addr: std::net::SocketAddr,
    host: &str,
    token: &str,
    ticket: i64,
    body: Bytes,
) -> Result<Duration, String> {
    let request = Request::post(format!("/api/employee/portal/support/{ticket}/attachments"))
        .header("host", host)
        .header("authorization", format!("Bearer {token}"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Full::new(body))
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut conn = KeepAlive::new(addr);
    let (status, answer) = conn
        .send(request, Duration::from_secs(120))
        .await
        .map_err(|e| e.to_string())?;
    if status.as_u16() != 201 {
        return Err(support_benches::http::describe(status, &answer));
    }
    Ok(started.elapsed())
}

fn mib_of(kb: Option<u64>) -> String {
    kb.map_or("n/a".to_owned(), |kb| format!("{:.1}", kb as f64 / 1024.0))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args = Args::parse();
    let addr = resolve(&args.host, args.port)?;
    // Prepared before the clock starts: the generator's own work is not the server's.
    let bodies: Vec<Bytes> = (0..=args.count).map(|n| body(n, args.size)).collect();
    let idle = process::rss(args.server_pid);
    upload(
        addr,
        &args.host,
        &args.token,
        args.ticket,
        bodies[args.count].clone(),
    )
    .await?;
    let before = process::rss(args.server_pid);
    let started = Instant::now();
    let mut failures = 0usize;
    let mut slowest = Duration::ZERO;
    let mut sent = 0usize;
    for batch in bodies[..args.count].chunks(args.concurrency) {
        let tasks: Vec<_> = batch
            .iter()
            .cloned()
            .map(|b| {
                let (host, token) = (args.host.clone(), args.token.clone());
                let ticket = args.ticket;
                tokio::spawn(async move { upload(addr, &host, &token, ticket, b).await })
            })
            .collect();
        for t in tasks {
            match t.await? {
                Ok(took) => {
                    sent += 1;
                    slowest = slowest.max(took);
                }
                Err(e) => {
                    failures += 1;
                    eprintln!("upload failed: {e}");
                }
            }
        }
    }
    let wall = started.elapsed();
    let peak = process::peak_rss(args.server_pid);
    let mib = (sent * args.size) as f64 / (1024.0 * 1024.0);
    let growth = |from: Option<u64>| match (from, peak) {
        (Some(b), Some(p)) => format!("{:.1}", p.saturating_sub(b) as f64 / 1024.0),
        _ => "n/a".to_owned(),
    };
    println!(
        "RESULT files={sent} size_mib={:.1} concurrency={} wall_s={:.2} throughput_mib_s={:.1} slowest_s={:.2} failures={failures} rss_idle_mib={} rss_before_mib={} peak_rss_mib={} growth_mib={} growth_from_idle_mib={}",
        args.size as f64 / (1024.0 * 1024.0),
        args.concurrency,
        wall.as_secs_f64(),
        mib / wall.as_secs_f64(),
        slowest.as_secs_f64(),
        mib_of(idle),
        mib_of(before),
        mib_of(peak),
        growth(before),
        growth(idle),
    );
    if failures > 0 {
        return Err(format!("{failures} uploads failed").into());
    }
    Ok(())
}
