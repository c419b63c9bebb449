//! The measured server's memory (and its parts) and CPU time from `/proc`, the kernel's TCP
//! memory, the machine's load, and this process's file descriptor limit.

/// A `kB` field of `/proc/PID/status` (`VmRSS`, `VmHWM`…).
fn status_kb(pid: Option<u32>, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    kb_field(&status, field)
}

/// The value of a `Name:   123 kB` line.
fn kb_field(text: &str, field: &str) -> Option<u64> {
    text.lines()
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

/// The parts of a process's resident memory (`RssAnon`: heap and stacks, `RssFile`: mapped
/// files such as the binary, `RssShmem`) and its thread count, from `/proc/PID/status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// `VmRSS`, kB.
    pub rss_kb: u64,
    /// `RssAnon`, kB.
    pub anon_kb: u64,
    /// `RssFile`, kB.
    pub file_kb: u64,
    /// `RssShmem`, kB.
    pub shmem_kb: u64,
    /// `Threads`.
    pub threads: u64,
}

/// [`Memory`] of a process, or `None` if it cannot be read.
pub fn memory(pid: Option<u32>) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let field = |name: &str| kb_field(&status, name);
    Some(Memory {
        rss_kb: field("VmRSS")?,
        anon_kb: field("RssAnon").unwrap_or(0),
        file_kb: field("RssFile").unwrap_or(0),
        shmem_kb: field("RssShmem").unwrap_or(0),
        threads: field("Threads").unwrap_or(0),
    })
}

/// Memory the kernel holds for all TCP sockets of the machine (socket buffers, not in any
/// process's RSS), in kB: the `mem` pages of the `TCP:` line of `/proc/net/sockstat`, at 4 kB a
/// page.
pub fn kernel_tcp_kb() -> Option<u64> {
    let sockstat = std::fs::read_to_string("/proc/net/sockstat").ok()?;
    let tcp = sockstat.lines().find_map(|l| l.strip_prefix("TCP:"))?;
    let mut words = tcp.split_whitespace();
    while let Some(w) = words.next() {
        if w == "mem" {
            return words.next()?.parse::<u64>().ok().map(|pages| pages * 4);
        }
    }
    None
}

/// The kernel's slab memory (`Slab` of `/proc/meminfo`, kB): where each socket's own structures
/// live (its `tcp_sock`, file, inode, epoll entry). Machine-wide, so other work moves it too.
pub fn kernel_slab_kb() -> Option<u64> {
    kb_field(&std::fs::read_to_string("/proc/meminfo").ok()?, "Slab")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_memory_adds_up_from_its_parts() {
        let m = memory(Some(std::process::id())).expect("/proc/self/status is readable");
        assert!(m.rss_kb > 0 && m.anon_kb > 0 && m.threads >= 1, "{m:?}");
        // VmRSS is the sum of the three parts (the kernel adds them up the same way).
        assert_eq!(m.rss_kb, m.anon_kb + m.file_kb + m.shmem_kb, "{m:?}");
        assert_eq!(rss(Some(std::process::id())).map(|kb| kb > 0), Some(true));
    }

    #[test]
    fn kernel_figures_are_read() {
        assert!(
            kernel_tcp_kb().is_some(),
            "the TCP line of /proc/net/sockstat"
        );
        assert!(
            kernel_slab_kb().is_some_and(|kb| kb > 0),
            "Slab of /proc/meminfo"
        );
    }
}
