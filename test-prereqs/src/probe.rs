//! Looking for each prerequisite: quick, and never more than half a second of waiting.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// The PostgreSQL server the tests use unless `SUPPORT_TEST_PG_URL` names another: its
/// maintenance database, as user `postgres`.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// How long the PostgreSQL probe waits for a TCP connection.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// The URL of the PostgreSQL server's maintenance database the tests use:
/// `SUPPORT_TEST_PG_URL`, or [`DEFAULT_POSTGRES_URL`].
pub fn postgres_url() -> String {
    std::env::var("SUPPORT_TEST_PG_URL")
        .ok()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned())
}

/// Where the browser tests find Chromium: `CHROMIUM_PATH`, or `/usr/bin/chromium`.
pub fn chromium_path() -> PathBuf {
    std::env::var_os("CHROMIUM_PATH")
        .filter(|path| !path.is_empty())
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// The URL of `database` on the server of the PostgreSQL URL `url`, with the same user and
/// parameters.
pub fn postgres_url_with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    if query.is_empty() {
        format!("{server}/{database}")
    } else {
        format!("{server}/{database}?{query}")
    }
}

/// A TCP connection to the server `url` names opens.
pub(crate) fn postgres(url: &str) -> Result<String, String> {
    let (host, port) =
        postgres_host_port(url).ok_or_else(|| format!("cannot read a host in {url:?}"))?;
    let addrs = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}:{port}: {e}"))?;
    let mut last = format!("{host}:{port} resolves to no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(_) => return Ok(format!("{host}:{port}")),
            Err(e) => last = format!("nothing answers at {host}:{port} ({e})"),
        }
    }
    Err(last)
}

pub(crate) fn chromium(path: &Path) -> Result<String, String> {
    if path.is_file() {
        Ok(path.display().to_string())
    } else {
        Err(format!("no file at {}", path.display()))
    }
}

/// Where the OpenAPI test finds schemathesis's command line: `SCHEMATHESIS`, or `st`.
pub fn schemathesis_path() -> std::ffi::OsString {
    std::env::var_os("SCHEMATHESIS").unwrap_or_else(|| "st".into())
}

/// `$SCHEMATHESIS --version` runs.
pub(crate) fn schemathesis(program: &std::ffi::OsStr) -> Result<String, String> {
    version(program)
}

/// Where the metrics tests find promtool: `PROMTOOL`, or `promtool`.
pub fn promtool_path() -> std::ffi::OsString {
    std::env::var_os("PROMTOOL")
        .filter(|path| !path.is_empty())
        .unwrap_or_else(|| "promtool".into())
}

/// `$PROMTOOL --version` runs (promtool prints its version on stdout).
pub(crate) fn promtool(program: &std::ffi::OsStr) -> Result<String, String> {
    version(program).map(|v| v.lines().next().unwrap_or_default().to_owned())
}

/// `python3` imports `pysher`; found as its installed version.
pub(crate) fn pysher() -> Result<String, String> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import importlib.metadata, pysher; print('pysher', importlib.metadata.version('pysher'))",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("`python3` does not run ({e})"))?;
    if !output.status.success() {
        return Err(format!(
            "`python3 -c \"import pysher\"` failed ({})",
            output.status
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `python3` imports `jwt` (PyJWT) and `cryptography`; found as their installed versions.
pub(crate) fn pyjwt() -> Result<String, String> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import importlib.metadata as m, jwt, cryptography; \
             print('PyJWT', m.version('PyJWT'), 'cryptography', m.version('cryptography'))",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("`python3` does not run ({e})"))?;
    if !output.status.success() {
        return Err(format!(
            "`python3 -c \"import jwt, cryptography\"` failed ({})",
            output.status
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `python3` imports `moto.server` (moto with its server's dependencies); found as moto's
/// installed version.
pub(crate) fn moto() -> Result<String, String> {
    let output = Command::new("python3")
        .args([
            "-c",
            "import importlib.metadata as m, moto.server; print('moto', m.version('moto'))",
        ])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("`python3` does not run ({e})"))?;
    if !output.status.success() {
        return Err(format!(
            "`python3 -c \"import moto.server\"` failed ({})",
            output.status
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// `node --version` and `npm --version` run.
pub(crate) fn node() -> Result<String, String> {
    let node = version("node")?;
    let npm = version("npm")?;
    Ok(format!("node {node}, npm {npm}"))
}

fn version(program: impl AsRef<std::ffi::OsStr>) -> Result<String, String> {
    let program = program.as_ref();
    let output = Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "`{} --version` does not run ({e})",
                program.to_string_lossy()
            )
        })?;
    if !output.status.success() {
        return Err(format!(
            "`{} --version` failed ({})",
            program.to_string_lossy(),
            output.status
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The host and port of a `postgres://` or `postgresql://` URL: the first host if it lists
/// several, `localhost` if it names none, port 5432 unless it says otherwise; `None` if it is
/// not such a URL.
pub fn postgres_host_port(url: &str) -> Option<(String, u16)> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))?;
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let hosts = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let first = hosts.split(',').next().unwrap_or("");
    let (host, port) = if let Some(bracketed) = first.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match first.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (first, None),
        }
    };
    let port = match port {
        None | Some("") => 5432,
        Some(port) => port.parse().ok()?,
    };
    let host = if host.is_empty() { "localhost" } else { host };
    Some((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hp(url: &str) -> Option<(String, u16)> {
        postgres_host_port(url)
    }

    #[test]
    fn host_and_port_come_from_the_url() {
        assert_eq!(hp(DEFAULT_POSTGRES_URL), Some(("127.0.0.1".into(), 5432)));
        assert_eq!(
            hp("postgres://postgres@127.0.0.1:1/postgres"),
            Some(("127.0.0.1".into(), 1))
        );
        assert_eq!(
            hp("postgresql://u:p%40ss@db.internal/support?sslmode=disable"),
            Some(("db.internal".into(), 5432))
        );
        assert_eq!(hp("postgres://[::1]:6543/x"), Some(("::1".into(), 6543)));
        assert_eq!(hp("postgres://a:5433,b:5434/x"), Some(("a".into(), 5433)));
        assert_eq!(hp("postgres:///x"), Some(("localhost".into(), 5432)));
        assert_eq!(hp("postgres://h:notaport/x"), None);
        assert_eq!(hp("mysql://h/x"), None);
    }

    #[test]
    fn a_database_replaces_the_urls_own() {
        let with = postgres_url_with_database;
        assert_eq!(
            with(DEFAULT_POSTGRES_URL, "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with("postgres://u@h:1/postgres?sslmode=disable", "t2"),
            "postgres://u@h:1/t2?sslmode=disable"
        );
        assert_eq!(with("postgres://u@h", "t3"), "postgres://u@h/t3");
    }

    #[test]
    fn a_closed_port_is_missing_with_the_address_in_the_reason() {
        // Port 1 (tcpmux) is not listening on any machine these tests run on.
        let err = postgres("postgres://postgres@127.0.0.1:1/postgres").unwrap_err();
        assert!(err.contains("127.0.0.1:1"), "{err}");
    }

    #[test]
    fn a_listening_port_is_found() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
        assert_eq!(postgres(&url), Ok(format!("127.0.0.1:{port}")));
    }

    #[test]
    fn chromium_is_a_file_at_the_path() {
        assert!(chromium(Path::new("/nonexistent/chromium")).is_err());
        assert!(
            chromium(Path::new(env!("CARGO_MANIFEST_DIR"))).is_err(),
            "a directory"
        );
        assert!(chromium(&Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).is_ok());
    }
}
