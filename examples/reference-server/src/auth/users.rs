//! Who may use the server: a users file, or demo users with fresh tokens.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use support_core::{Actor, Role, StaticDirectory, UserId};

/// One `[[user]]` of the users file.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct UserEntry {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) role: String,
    pub(crate) token: String,
}

#[derive(Debug, Deserialize)]
struct UsersFile {
    #[serde(default)]
    user: Vec<UserEntry>,
}

/// The users, and their tokens stored as SHA-256 digests: a lookup by digest reveals nothing
/// about a token through timing, unlike comparing tokens themselves.
#[derive(Debug, Clone)]
pub(crate) struct Users {
    by_token: HashMap<[u8; 32], Actor>,
    directory: StaticDirectory,
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Users {
    /// Reads and checks a users file.
    pub(crate) fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let file: UsersFile =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::from_entries(file.user)
    }

    pub(crate) fn from_entries(entries: Vec<UserEntry>) -> Result<Self, String> {
        if entries.is_empty() {
            return Err("the users file defines no [[user]]".into());
        }
        let mut by_token = HashMap::new();
        let mut actors = Vec::new();
        let mut ids = std::collections::HashSet::new();
        for u in entries {
            let role: Role = u.role.parse().map_err(|_| {
                format!(
                    "user {}: unknown role {:?} (employee, support, admin, hr)",
                    u.id, u.role
                )
            })?;
            if u.token.len() < 16 {
                return Err(format!(
                    "user {}: tokens must be at least 16 characters",
                    u.id
                ));
            }
            if !ids.insert(u.id) {
                return Err(format!("user id {} appears twice", u.id));
            }
            let actor = Actor::new(UserId(u.id), u.name, role);
            if by_token.insert(digest(&u.token), actor.clone()).is_some() {
                return Err(format!("user {}: token shared with another user", u.id));
            }
            actors.push(actor);
        }
        Ok(Users {
            by_token,
            directory: StaticDirectory::new(actors),
        })
    }

    /// Demo users, each with a new random token.
    pub(crate) fn demo() -> (Self, Vec<UserEntry>) {
        let token = || random_token(24);
        let entries: Vec<UserEntry> = [
            (101, "Alice Employee", "employee"),
            (102, "Bob Employee", "employee"),
            (201, "Sam Support", "support"),
            (202, "Ada Admin", "admin"),
            (203, "Hana HR", "hr"),
        ]
        .into_iter()
        .map(|(id, name, role)| UserEntry {
            id,
            name: name.into(),
            role: role.into(),
            token: token(),
        })
        .collect();
        let users = Self::from_entries(entries.clone())
            .unwrap_or_else(|e| unreachable!("demo users are valid: {e}"));
        (users, entries)
    }

    pub(crate) fn by_token(&self, token: &str) -> Option<Actor> {
        self.by_token.get(&digest(token)).cloned()
    }

    /// The user with this id, if any.
    pub(crate) fn by_id(&self, id: UserId) -> Option<Actor> {
        self.directory.get(id).cloned()
    }

    /// The users as the service's directory: it names them and lists them for staff screens
    /// (`GET /api/admin/support/users`).
    pub(crate) fn directory(&self) -> StaticDirectory {
        self.directory.clone()
    }
}

/// `bytes` bytes from the operating system's CSPRNG, hex-encoded: demo tokens and session
/// nonces must not be predictable.
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS generator failing means the machine cannot run anything securely.
    getrandom::fill(&mut buf).expect("the operating system's random generator works");
    hex::encode(buf)
}
