//! The measured server's memory and CPU time from `/proc`, the machine's load, and this
//! process's file descriptor limit.

/// A `kB` field of `/proc/PID/status` (`VmRSS`, `VmHWM`…).
fn status_kb(pid: Option<u32>, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Resident memory of a process (`VmRSS`), in kB.
pub fn rss(pid: Option<u32>) -> Option<u64> {
    status_kb(pid, "VmRSS")
}

/// The most resident memory a process has had (`VmHWM`), in kB.
pub fn peak_rss(pid: Option<u32>) -> Option<u64> {
    status_kb(pid, "VmHWM")
}

/// User plus system CPU time of a process, in milliseconds (fields 14 and 15 of
/// `/proc/PID/stat`, in clock ticks of 10 ms: `CLK_TCK` is 100 on Linux).
pub fn cpu_ms(pid: Option<u32>) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", pid?)).ok()?;
    // The command name (field 2) may hold spaces; the fields after it are plain.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10)
}

/// The first three fields of `/proc/loadavg`: how busy the shared machine was.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "n/a".to_owned())
}

/// kB as `12.3 MB`, or `n/a`.
pub fn show_kb(kb: Option<u64>) -> String {
    kb.map_or("n/a".to_owned(), |kb| {
        format!("{:.1} MB", kb as f64 / 1024.0)
    })
}

/// Each connection is a file descriptor: raises the soft limit towards the hard one, and warns
/// (as `program`) when that is still below `needed`.
pub fn raise_fd_limit(program: &str, needed: usize) {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) if (limit as usize) < needed => eprintln!(
            "{program}: warning: {limit} file descriptors allowed, {needed} needed (raise `ulimit -n`)"
        ),
        Ok(_) => {}
        Err(e) => eprintln!("{program}: warning: could not raise the file descriptor limit: {e}"),
    }
}
