//! Password hashes: argon2id PHC strings, as the users file may bring them.

use argon2::PasswordHash as Phc;

/// Checks that a stored or imported hash is an argon2 PHC string.
pub(crate) fn check_phc(phc: &str) -> std::result::Result<(), String> {
    let parsed = Phc::new(phc).map_err(|e| format!("password_hash is not a PHC string: {e}"))?;
    if !parsed.algorithm.as_str().starts_with("argon2") {
        return Err("password_hash must be an argon2 hash ($argon2id$…)".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_argon2_phc_strings_are_hashes() {
        assert!(check_phc("plain text").is_err());
        assert!(check_phc("$2y$10$abcdefghijklmnopqrstuv").is_err());
    }
}
