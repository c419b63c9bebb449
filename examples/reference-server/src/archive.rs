//! Archiving old closed tickets ([`support_core::archive`]): `--archive-after DAYS` runs it
//! inside the server at start and then daily; `reference-server maintenance archive
//! --closed-before DAYS` runs it once from the command line (see `cli.rs`).

use std::time::Duration;

use support_core::SupportService;

/// One day.
pub(crate) const DAY: Duration = Duration::from_secs(24 * 3600);

/// The longest a number of days may be: a hundred years.
const MAX_DAYS: u32 = 36_600;

/// The server's archiving flag.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ArchiveFlags {
    /// Archive closed tickets left alone for more than DAYS days: at start, then daily.
    /// Archived tickets leave the lists, the dashboard and default search, and stay readable
    /// by id (and with `archived=true`). Off unless given.
    #[arg(long, env = "SUPPORT_ARCHIVE_AFTER", value_name = "DAYS", value_parser = days)]
    pub(crate) archive_after: Option<u32>,
}

impl ArchiveFlags {
    /// Starts the daily run, if asked for.
    pub(crate) fn start(&self, service: &SupportService) {
        if let Some(days) = self.archive_after {
            service.spawn_archiving(older_than(days), DAY, "archive schedule");
        }
    }
}

/// `DAYS` as a duration.
pub(crate) fn older_than(days: u32) -> Duration {
    DAY * days
}

/// A whole number of days, 0 to [`MAX_DAYS`] (0: every closed ticket, however recent).
pub(crate) fn days(text: &str) -> Result<u32, String> {
    let n: u32 = text
        .trim()
        .parse()
        .map_err(|_| format!("give a whole number of days, not `{text}`"))?;
    if n > MAX_DAYS {
        return Err(format!("give at most {MAX_DAYS} days"));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_whole_and_bounded() {
        assert_eq!(days("30"), Ok(30));
        assert_eq!(days(" 0 "), Ok(0));
        for bad in ["-1", "1.5", "thirty", "", "36601"] {
            assert!(days(bad).is_err(), "{bad}");
        }
        assert_eq!(older_than(2), Duration::from_secs(172_800));
    }
}
