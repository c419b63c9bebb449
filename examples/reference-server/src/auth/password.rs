//! Passwords: argon2id (the `argon2` crate's default, OWASP's parameters: 19 MiB, 2 passes,
//! 1 lane) stored as PHC strings.
//!
//! Hashing and verifying take tens of milliseconds of CPU each, so they run on tokio's
//! blocking threads, and at most [`MAX_AT_ONCE`] at a time: a flood of sign-ins waits its
//! turn (10 s at most, then 503) instead of starving the server. A sign-in for an unknown email (or an account without
//! a password) is verified against a dummy hash made at start, so it takes as long and gets
//! the same answer as a wrong password. Passwords are never logged.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, PasswordHash as Phc};
use support_core::account::PasswordHash;
use support_core::{Error, Result};
use tokio::sync::Semaphore;

/// Hashes computed at once, at most.
pub(crate) const MAX_AT_ONCE: usize = 2;

/// The shortest password accepted, in characters.
pub(crate) const MIN_LEN: usize = 12;

/// The longest password accepted, in bytes (argon2 takes any length; this bounds the work).
pub(crate) const MAX_BYTES: usize = 1024;

/// How long a hash waits for its turn at most; then the request is answered 503 rather than
/// held while a flood of sign-ins drains.
const QUEUE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Checks a new password's length: `Err` is a validation error on `password`, in Laravel's
/// words.
pub(crate) fn check(password: &str) -> Result<()> {
    if password.is_empty() {
        return Err(Error::invalid(
            "password",
            "The password field is required.",
        ));
    }
    if password.chars().count() < MIN_LEN {
        return Err(Error::invalid(
            "password",
            format!("The password field must be at least {MIN_LEN} characters."),
        ));
    }
    if password.len() > MAX_BYTES {
        return Err(Error::invalid(
            "password",
            format!("The password field must not be greater than {MAX_BYTES} characters."),
        ));
    }
    Ok(())
}

/// Checks that a stored or imported hash is an argon2 PHC string.
pub(crate) fn check_phc(phc: &str) -> std::result::Result<(), String> {
    let parsed = Phc::new(phc).map_err(|e| format!("password_hash is not a PHC string: {e}"))?;
    if !parsed.algorithm.as_str().starts_with("argon2") {
        return Err("password_hash must be an argon2 hash ($argon2id$…)".into());
    }
    Ok(())
}

/// The hasher: a bound on concurrent work and the dummy hash.
#[derive(Clone)]
pub(crate) struct Passwords {
    permits: Arc<Semaphore>,
    dummy: Arc<str>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").finish_non_exhaustive()
    }
}

fn hash_now(password: &[u8]) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password, &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Unavailable(format!("argon2: {e}")))
}

fn verify_now(password: &[u8], phc: &str) -> bool {
    Phc::new(phc).is_ok_and(|hash| Argon2::default().verify_password(password, &hash).is_ok())
}

impl Passwords {
    /// A hasher, with its dummy hash made now (of a random password nobody knows).
    pub(crate) async fn new() -> Result<Self> {
        let nobody = super::users::random_token(32);
        let dummy = tokio::task::spawn_blocking(move || hash_now(nobody.as_bytes()))
            .await
            .map_err(|e| Error::Unavailable(format!("argon2: {e}")))??;
        Ok(Passwords {
            permits: Arc::new(Semaphore::new(MAX_AT_ONCE)),
            dummy: dummy.into(),
        })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let _permit = tokio::time::timeout(QUEUE_TIMEOUT, self.permits.acquire())
            .await
            .map_err(|_| Error::Unavailable("the password hasher is busy".into()))?
            .map_err(|_| Error::Unavailable("the password hasher is closed".into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::Unavailable(format!("argon2: {e}")))
    }

    /// The hash of a new password, after [`check`]ing it.
    pub(crate) async fn hash(&self, password: &str) -> Result<PasswordHash> {
        check(password)?;
        let password = password.to_owned();
        let phc = self
            .blocking(move || hash_now(password.as_bytes()))
            .await??;
        Ok(PasswordHash::new(phc))
    }

    /// Whether `password` matches `hash`; with no hash (an unknown email, an account without
    /// a password) it is verified against the dummy hash, and the answer is false.
    pub(crate) async fn verify(&self, password: &str, hash: Option<&PasswordHash>) -> Result<bool> {
        // Longer than any accepted password: no match, but the same work.
        let fits = password.len() <= MAX_BYTES;
        let known = hash.is_some();
        let phc: Arc<str> = hash.map_or_else(|| self.dummy.clone(), |h| h.as_str().into());
        let password = if fits {
            password.to_owned()
        } else {
            String::new()
        };
        let matched = self
            .blocking(move || verify_now(password.as_bytes(), &phc))
            .await?;
        Ok(matched && known && fits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_verifies_against_its_argon2id_hash_only() {
        let passwords = Passwords::new().await.unwrap();
        let hash = passwords.hash("correct horse battery").await.unwrap();
        assert!(
            hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{:?}",
            hash.as_str()
        );
        assert!(check_phc(hash.as_str()).is_ok());
        assert!(
            passwords
                .verify("correct horse battery", Some(&hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("correct horse batterY", Some(&hash))
                .await
                .unwrap()
        );
        // No hash: the dummy is verified, and nobody matches it.
        assert!(
            !passwords
                .verify("correct horse battery", None)
                .await
                .unwrap()
        );
        // Two hashes of one password differ (their salts do).
        assert_ne!(passwords.hash("correct horse battery").await.unwrap(), hash);
    }

    #[test]
    fn lengths_are_checked_in_laravel_words() {
        let message = |p: &str| match check(p) {
            Err(Error::Invalid(errors)) => errors.get("password").unwrap()[0].clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(message(""), "The password field is required.");
        assert_eq!(
            message("elevenchars"),
            "The password field must be at least 12 characters."
        );
        assert_eq!(
            message(&"x".repeat(1025)),
            "The password field must not be greater than 1024 characters."
        );
        assert!(check("twelve chars").is_ok());
        assert!(check(&"x".repeat(1024)).is_ok());
        assert!(check_phc("plain text").is_err());
        assert!(check_phc("$2y$10$abcdefghijklmnopqrstuv").is_err());
    }
}
