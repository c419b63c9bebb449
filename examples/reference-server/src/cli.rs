//! `reference-server users …`: accounts in the database, from the command line; and
//! `reference-server maintenance …`: the database's upkeep (archiving old closed tickets).
//!
//! Every command opens the database of `--database-url` (`DATABASE_URL`), does one thing and
//! exits: 0 when done, 1 with one line on stderr otherwise (unknown id, duplicate email, bad
//! role, short password). What a command prints goes to stdout; `users token create` prints
//! the token alone, once, so that `TOKEN=$(reference-server users token create 1)` works.
//!
//! `users disable` also ends the user's sessions in the store, so their cookies and tokens
//! prove nobody from the next request on. Their open websockets close when a server hears of
//! it: on PostgreSQL the command publishes the disconnect notice on the bus (`PgBroadcaster`),
//! and every node closes them with 4009; on SQLite this process cannot reach a running
//! server's sockets, so they stay open until they reconnect, when channel auth refuses them
//! (the admins' users page closes them at once).

use std::io::Read;

use clap::Subcommand;
use support_core::account::StoredUser;
use support_core::{ApiTokenId, Error, UserId};

use crate::accounts::{AccountChange, Accounts, NewAccount};
use crate::audit::By;

/// A subcommand; without one the server runs.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Users and their API tokens.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// The database's upkeep.
    Maintenance {
        #[command(subcommand)]
        command: MaintenanceCommand,
    },
}

/// `reference-server maintenance …`.
#[derive(Debug, Subcommand)]
pub(crate) enum MaintenanceCommand {
    /// Archives the closed tickets left alone for more than DAYS days: they leave the lists,
    /// the dashboard and default search, and stay readable by id. Prints how many. Safe to
    /// run again, and to interrupt: each batch commits on its own.
    Archive {
        /// Closed tickets whose latest activity is more than this many days old (0: all).
        #[arg(long, value_name = "DAYS", value_parser = crate::archive::days)]
        closed_before: u32,
    },
}

/// Runs a `maintenance` command.
pub(crate) async fn maintain(
    service: &support_core::SupportService,
    command: MaintenanceCommand,
) -> Result<(), String> {
    match command {
        MaintenanceCommand::Archive { closed_before } => {
            let older_than = crate::archive::older_than(closed_before);
            let done = service
                .archive_closed(None, crate::audit::COMMAND_LINE, older_than)
                .await
                .map_err(|e| format!("archiving: {e}"))?;
            println!(
                "archived {} closed ticket{} last active before {}",
                done.archived,
                if done.archived == 1 { "" } else { "s" },
                done.closed_before
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            Ok(())
        }
    }
}

/// `reference-server users …`.
#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Creates a user and prints their id.
    Add {
        /// The name shown beside their messages.
        #[arg(long)]
        name: String,
        /// Their sign-in address.
        #[arg(long)]
        email: String,
        /// employee, support, admin or hr.
        #[arg(long)]
        role: String,
        /// Read their password from standard input (one line; at least 12 characters).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Lists the users.
    List,
    /// Disables a user: they sign in by no means, their tokens and sessions prove nobody.
    Disable {
        /// The user's id.
        id: i64,
    },
    /// Enables a disabled user again.
    Enable {
        /// The user's id.
        id: i64,
    },
    /// Sets a user's password, read from standard input.
    SetPassword {
        /// The user's id.
        id: i64,
        /// Read the password from standard input (one line; at least 12 characters).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

/// `reference-server users token …`.
#[derive(Debug, Subcommand)]
pub(crate) enum TokenCommand {
    /// Makes an API token for a user and prints it, once.
    Create {
        /// The user's id.
        id: i64,
        /// What it is for.
        #[arg(long, default_value = "cli")]
        name: String,
    },
    /// Lists a user's API tokens (never the tokens themselves).
    List {
        /// The user's id.
        id: i64,
    },
    /// Revokes an API token.
    Revoke {
        /// The token's id, as `users token list` shows it.
        token_id: i64,
    },
}

/// The password on standard input: its first line, without the line break.
fn password_from_stdin() -> Result<String, String> {
    let mut text = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

/// An error as one line: a validation error's messages, or what the store said.
fn one_line(e: Error, not_found: &str) -> String {
    match e {
        Error::Invalid(fields) => fields
            .fields()
            .values()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        Error::NotFound => not_found.to_owned(),
        e => format!("the database: {e}"),
    }
}

fn status(user: &StoredUser) -> &'static str {
    if user.disabled { "disabled" } else { "active" }
}

/// Runs a `users` command.
pub(crate) async fn run(accounts: &Accounts, command: UsersCommand) -> Result<(), String> {
    let no_user = |id: i64| format!("no user with id {id}");
    match command {
        UsersCommand::Add {
            name,
            email,
            role,
            password_stdin,
        } => {
            let password = password_stdin.then(password_from_stdin).transpose()?;
            let new = NewAccount {
                name,
                email,
                role,
                password,
            };
            let user = accounts
                .create(By::CommandLine, &new)
                .await
                .map_err(|e| one_line(e, "not found"))?;
            println!("{}", user.id);
        }
        UsersCommand::List => {
            let users = accounts
                .users
                .users()
                .await
                .map_err(|e| one_line(e, "not found"))?;
            println!(
                "{:>6}  {:<24} {:<32} {:<9} {:<8} last seen",
                "id", "name", "email", "role", "status"
            );
            for u in users {
                println!(
                    "{:>6}  {:<24} {:<32} {:<9} {:<8} {}",
                    u.id,
                    u.name,
                    u.email.as_ref().map_or("-", |e| e.as_str()),
                    u.role,
                    status(&u),
                    u.last_seen_at
                        .map_or_else(|| "never".to_owned(), |t| t.to_rfc3339()),
                );
            }
        }
        UsersCommand::Disable { id } | UsersCommand::Enable { id } => {
            let disabled = matches!(command, UsersCommand::Disable { .. });
            let change = AccountChange {
                disabled: Some(disabled),
                ..AccountChange::default()
            };
            let user = accounts
                .change(By::CommandLine, UserId(id), &change)
                .await
                .map_err(|e| one_line(e, &no_user(id)))?;
            println!("user {} is {}", user.id, status(&user));
        }
        UsersCommand::SetPassword { id, .. } => {
            let password = password_from_stdin()?;
            accounts
                .set_password(By::CommandLine, UserId(id), &password)
                .await
                .map_err(|e| one_line(e, &no_user(id)))?;
            println!("password of user {id} set");
        }
        UsersCommand::Token {
            command: TokenCommand::Create { id, name },
        } => {
            let (token, _) = accounts
                .create_token(By::CommandLine, UserId(id), &name)
                .await
                .map_err(|e| one_line(e, &no_user(id)))?;
            println!("{token}");
        }
        UsersCommand::Token {
            command: TokenCommand::List { id },
        } => {
            let tokens = accounts
                .tokens(UserId(id))
                .await
                .map_err(|e| one_line(e, &no_user(id)))?;
            println!("{:>6}  {:<24} {:<26} last used", "id", "name", "created");
            for t in tokens {
                println!(
                    "{:>6}  {:<24} {:<26} {}",
                    t.id,
                    t.name,
                    t.created_at.to_rfc3339(),
                    t.last_used_at
                        .map_or_else(|| "never".to_owned(), |t| t.to_rfc3339()),
                );
            }
        }
        UsersCommand::Token {
            command: TokenCommand::Revoke { token_id },
        } => {
            accounts
                .revoke_token(By::CommandLine, ApiTokenId(token_id))
                .await
                .map_err(|e| one_line(e, &format!("no token with id {token_id}")))?;
            println!("token {token_id} revoked");
        }
    }
    Ok(())
}
