//! The key that signs browser sessions: the server's own, never derived from the Pusher
//! secret, so whoever holds the Pusher secret (a backend that triggers events) cannot mint a
//! session.
//!
//! Where it comes from, first match wins:
//!
//! 1. `SUPPORT_APP_KEY`: the key itself, for several nodes that must accept each other's
//!    cookies (give every node the same value);
//! 2. `--app-key-file FILE` (`SUPPORT_APP_KEY_FILE`): read, or generated there on first start;
//! 3. beside the SQLite database (`support.db` → `support.db.app-key`), generated on first
//!    start; with PostgreSQL, `support-app.key` in the working directory;
//! 4. `sqlite::memory:`: a fresh key per process (sessions end with it, as the data does).
//!
//! A generated file holds 32 random bytes in hex and is readable by its owner only. Deleting
//! it (or changing `SUPPORT_APP_KEY`) signs everybody out.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::users::random_token;

/// The shortest key accepted from the environment or a file, in bytes of text.
const MIN_LEN: usize = 32;

/// Where the session key came from, for the start-up line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeySource {
    /// `SUPPORT_APP_KEY`.
    Environment,
    /// A file, read or just generated.
    File { path: PathBuf, generated: bool },
    /// Made for this process only.
    Ephemeral,
}

/// The session key for a server on `database_url`, with `file` from `--app-key-file`.
pub(crate) fn session_key(
    database_url: &str,
    file: Option<&Path>,
) -> Result<(String, KeySource), String> {
    if let Some(key) = std::env::var("SUPPORT_APP_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty())
    {
        let key = key.trim().to_owned();
        check(&key, "SUPPORT_APP_KEY")?;
        return Ok((key, KeySource::Environment));
    }
    let path = match file {
        Some(path) => path.to_owned(),
        None => match default_file(database_url) {
            Some(path) => path,
            None => return Ok((random_token(32), KeySource::Ephemeral)),
        },
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let key = text.trim().to_owned();
            check(&key, &path.display().to_string())?;
            Ok((
                key,
                KeySource::File {
                    path,
                    generated: false,
                },
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random_token(32);
            write_new(&path, &key).map_err(|e| {
                format!("cannot create the session key file {}: {e}", path.display())
            })?;
            Ok((
                key,
                KeySource::File {
                    path,
                    generated: true,
                },
            ))
        }
        Err(e) => Err(format!(
            "cannot read the session key file {}: {e}",
            path.display()
        )),
    }
}

fn check(key: &str, from: &str) -> Result<(), String> {
    if key.len() < MIN_LEN {
        return Err(format!(
            "the session key in {from} is too short: give at least {MIN_LEN} characters \
             (for instance `openssl rand -hex 32`)"
        ));
    }
    Ok(())
}

/// The file beside a SQLite database, or in the working directory for PostgreSQL; `None` for
/// an in-memory database.
fn default_file(database_url: &str) -> Option<PathBuf> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        return Some(PathBuf::from("support-app.key"));
    }
    let rest = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || rest.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(format!("{path}.app-key")))
}

/// Writes a new file that only its owner can read; fails if it exists.
fn write_new(path: &Path, key: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(key.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_sits_beside_the_sqlite_database() {
        assert_eq!(
            default_file("sqlite://support.db"),
            Some(PathBuf::from("support.db.app-key"))
        );
        assert_eq!(
            default_file("sqlite:///var/lib/support/db.sqlite?mode=rwc"),
            Some(PathBuf::from("/var/lib/support/db.sqlite.app-key"))
        );
        assert_eq!(default_file("sqlite::memory:"), None);
        assert_eq!(
            default_file("postgres://db/support"),
            Some(PathBuf::from("support-app.key"))
        );
    }

    #[test]
    fn a_key_is_generated_once_and_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("k");
        let (first, source) = session_key("sqlite::memory:", Some(&file)).unwrap();
        assert!(matches!(
            source,
            KeySource::File {
                generated: true,
                ..
            }
        ));
        let (again, source) = session_key("sqlite::memory:", Some(&file)).unwrap();
        assert!(matches!(
            source,
            KeySource::File {
                generated: false,
                ..
            }
        ));
        assert_eq!(first, again);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&file, "short").unwrap();
        assert!(session_key("sqlite::memory:", Some(&file)).is_err());
    }
}
