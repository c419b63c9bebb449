//! Who is acting: users, their roles, and the directory through which the embedder says who a
//! user is.

use std::collections::HashMap;
use std::net::IpAddr;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::id::UserId;
use crate::ticket::{Choice, choice};

choice!(
    /// A user's role. Everyone may open tickets; support, admin and hr are staff.
    Role("role") {
        /// Opens tickets and chats about their own.
        Employee = "employee",
        /// Support staff.
        Support = "support",
        /// Administrators (staff).
        Admin = "admin",
        /// Human resources (staff).
        Hr = "hr",
    }
);

impl Role {
    /// Support, admin and hr: the roles that see every ticket and manage them.
    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Employee)
    }
}

/// A user acting on the system, as the embedder's directory describes them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// The user's id.
    pub id: UserId,
    /// The name shown beside their messages (`sender_name`, `author.full_name`).
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// Where the request came from (the client's address), when the transport knows it: the
    /// audit trail records it with what they do. A directory answers `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<IpAddr>,
}

impl Actor {
    /// Builds an actor.
    pub fn new(id: impl Into<UserId>, name: impl Into<String>, role: Role) -> Self {
        Actor {
            id: id.into(),
            name: name.into(),
            role,
            origin: None,
        }
    }

    /// The same actor, acting from `origin` (what the transport does with a request's client
    /// address).
    #[must_use]
    pub fn from_origin(mut self, origin: Option<IpAddr>) -> Self {
        self.origin = origin;
        self
    }

    /// True for support, admin and hr.
    pub fn is_staff(&self) -> bool {
        self.role.is_staff()
    }
}

/// Tells the service who a user is. The embedder implements it over its own user table.
///
/// `Directory` answers "who is user N" (name, role, whether they may be assigned), for any
/// user, whether or not they are calling. It is not how a request proves who is calling: that
/// is the transport's identity hook (`support_transport_ws::Identify`), which turns a
/// request's headers into the calling [`Actor`]. An embedder usually implements both over the
/// same user table; the service only ever asks the directory.
///
/// # Contract
///
/// - `actor(id)` returns the user's current name and role, or `Ok(None)` if there is no such
///   user. The service asks it when a ticket is assigned (the assignee must exist and be staff).
/// - `users()` returns every user `actor` would find, in any order (the service sorts by id).
///   Staff screens use it to name each ticket's employee and assignee and to fill the
///   assignment menu. It is a required method on purpose: a default that answered an empty
///   list would compile and leave every name blank and the assignment menu empty, with
///   nothing logged.
/// - Both are called on request paths: keep them fast (a cache or an indexed lookup).
/// - Errors are reported to the caller as they are; use [`crate::Error::Unavailable`] for a
///   directory that is temporarily unreachable.
///
/// ```
/// use async_trait::async_trait;
/// use support_core::{Actor, Directory, Role, UserId};
///
/// struct OneUser;
///
/// fn sam() -> Actor {
///     Actor::new(1, "Sam Support", Role::Support)
/// }
///
/// #[async_trait]
/// impl Directory for OneUser {
///     async fn actor(&self, id: UserId) -> support_core::Result<Option<Actor>> {
///         Ok((id == UserId(1)).then(sam))
///     }
///
///     async fn users(&self) -> support_core::Result<Vec<Actor>> {
///         Ok(vec![sam()])
///     }
/// }
/// ```
#[async_trait]
pub trait Directory: Send + Sync + 'static {
    /// The user with this id, if there is one.
    async fn actor(&self, id: UserId) -> Result<Option<Actor>>;

    /// Every user, in any order.
    async fn users(&self) -> Result<Vec<Actor>>;
}

/// A fixed set of users held in memory: for tests, demos and small deployments.
#[derive(Debug, Clone, Default)]
pub struct StaticDirectory {
    users: HashMap<UserId, Actor>,
}

impl StaticDirectory {
    /// A directory of exactly these users.
    pub fn new(users: impl IntoIterator<Item = Actor>) -> Self {
        StaticDirectory {
            users: users.into_iter().map(|a| (a.id, a)).collect(),
        }
    }

    /// Looks a user up without awaiting.
    pub fn get(&self, id: UserId) -> Option<&Actor> {
        self.users.get(&id)
    }
}

#[async_trait]
impl Directory for StaticDirectory {
    async fn actor(&self, id: UserId) -> Result<Option<Actor>> {
        Ok(self.users.get(&id).cloned())
    }

    async fn users(&self) -> Result<Vec<Actor>> {
        Ok(self.users.values().cloned().collect())
    }
}
