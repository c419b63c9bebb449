//! Where uploads are kept and what may be uploaded: the `--attachments-url`,
//! `--max-upload-bytes` and `--allowed-types` flags, and the collector of uploads nobody
//! attached.

use std::sync::Arc;
use std::time::Duration;

use support_core::{MemoryBlobStore, SupportService};
use support_transport_ws::attachments::{Attachments, ObjectBlobStore, spawn_upload_collector};

/// The attachments' flags.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct AttachmentFlags {
    /// Where uploaded files are kept: `s3://bucket/prefix` (with the usual AWS_* variables:
    /// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL,
    /// AWS_ALLOW_HTTP) or a folder. Default: a folder beside the SQLite database
    /// (`support.db` → `support.db.attachments`), `support-attachments` with PostgreSQL.
    #[arg(long, env = "SUPPORT_ATTACHMENTS_URL")]
    pub(crate) attachments_url: Option<String>,
    /// The largest upload, in bytes.
    #[arg(long, env = "SUPPORT_MAX_UPLOAD_BYTES", default_value_t = Attachments::DEFAULT_MAX_BYTES)]
    pub(crate) max_upload_bytes: u64,
    /// The media types that may be uploaded, comma-separated, as decided from the bytes.
    /// Default: PNG, JPEG, GIF, WebP, PDF, plain text, office documents, zip.
    #[arg(long, env = "SUPPORT_ALLOWED_TYPES", value_delimiter = ',')]
    pub(crate) allowed_types: Vec<String>,
    /// How long an upload may wait for a message before it is removed (tests).
    #[arg(long, hide = true, default_value = "24h", value_parser = crate::parse_duration)]
    pub(crate) upload_ttl: Duration,
    /// How often unattached uploads are collected (tests).
    #[arg(long, hide = true, default_value = "1h", value_parser = crate::parse_duration)]
    pub(crate) upload_gc_interval: Duration,
}

/// The most uploads one collector run removes.
const PER_RUN: u32 = 1000;

impl AttachmentFlags {
    /// The uploads' storage and limits, for the database of `database_url`.
    pub(crate) fn attachments(&self, database_url: &str) -> Result<Attachments, String> {
        let attachments = match self.location(database_url) {
            Some(url) => Attachments::new(
                ObjectBlobStore::from_url(&url)
                    .map_err(|e| format!("--attachments-url {url}: {e}"))?,
            ),
            None => Attachments::new(MemoryBlobStore::new()),
        };
        let attachments = attachments.max_upload_bytes(self.max_upload_bytes);
        Ok(if self.allowed_types.is_empty() {
            attachments
        } else {
            attachments.allowed_types(self.allowed_types.iter().map(|t| t.trim().to_owned()))
        })
    }

    /// The URL or folder of the blob store; `None` for an in-memory SQLite database (kept in
    /// memory too).
    pub(crate) fn location(&self, database_url: &str) -> Option<String> {
        if let Some(url) = &self.attachments_url {
            return Some(url.clone());
        }
        if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
            return Some("support-attachments".to_owned());
        }
        let rest = database_url
            .strip_prefix("sqlite://")
            .or_else(|| database_url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" || rest.contains("mode=memory") {
            return None;
        }
        Some(format!("{path}.attachments"))
    }

    /// Sets the TTL and starts the collector.
    pub(crate) fn start(&self, service: &SupportService, attachments: &Attachments) {
        service.set_upload_ttl(self.upload_ttl);
        let blobs = Arc::clone(attachments.blobs());
        spawn_upload_collector(service.clone(), blobs, self.upload_gc_interval, PER_RUN);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        a: AttachmentFlags,
    }

    #[test]
    fn the_folder_sits_beside_the_sqlite_database() {
        let f = Flags::parse_from(["x"]).a;
        assert_eq!(
            f.location("sqlite://data/support.db").as_deref(),
            Some("data/support.db.attachments")
        );
        assert_eq!(f.location("sqlite::memory:"), None);
        assert_eq!(
            f.location("postgres://db/x").as_deref(),
            Some("support-attachments")
        );
        let s3 = Flags::parse_from(["x", "--attachments-url", "s3://b/p"]).a;
        assert_eq!(s3.location("sqlite://x.db").as_deref(), Some("s3://b/p"));
        assert_eq!(f.max_upload_bytes, 10 * 1024 * 1024);
    }
}
