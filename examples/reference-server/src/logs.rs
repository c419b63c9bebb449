//! `--log-format`: the log as text for people, or one JSON object per line for log shippers.

use tracing_subscriber::EnvFilter;

/// How the log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line, on stderr: `timestamp`, `level`, `target`, `fields` (the
    /// event's structured fields, its message among them) and `span`s.
    Json,
}

/// Installs the process's subscriber: the level from `RUST_LOG` (default `info`), text on
/// stdout for the server (`stderr` for commands, whose stdout is their answer), JSON always
/// on stderr, so that stdout keeps the start-up banner and stderr is only JSON.
pub(crate) fn init(format: LogFormat, stderr: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    match format {
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(false)
            .with_writer(std::io::stderr)
            .init(),
        LogFormat::Text if stderr => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
    }
}
