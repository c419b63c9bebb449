//! Users signed in by the host application: a JWT it signs for one of its users, verified here
//! and turned into an [`ExternalUser`] (who then is created or updated in the store).
//!
//! One key, one algorithm, decided by the flags and never by the token: `--jwt-secret` is
//! HS256; `--jwt-public-key FILE` is RS256 for an RSA key and ES256 for an EC P-256 key. A
//! token whose header names any other algorithm (`none`, or HS256 signed with the public
//! key's PEM as its secret) is refused before its signature is looked at.
//!
//! Claims: `sub` (the user's id in the host application, a string or an integer: `42` and
//! `"42"` are one user), `name`, `role` (`employee`, `support`, `admin`, `hr`), `email`
//! (optional), `exp` (required), `nbf` and `iat` (optional), `iss` and `aud` (required and
//! checked when `--jwt-issuer` / `--jwt-audience` are given). Clocks may differ by
//! [`LEEWAY_SECS`]; a token may live at most `--jwt-max-lifetime` (default 1 h) from its `iat`,
//! or from now when it has none: SSO tokens are meant to be made just before they are used.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use support_core::Role;
use support_core::account::{Email, ExternalUser, check_name};

/// How far the host application's clock may be from ours, in seconds.
pub(crate) const LEEWAY_SECS: u64 = 30;

/// The shortest HS256 secret accepted, in bytes: as long as the hash (RFC 7518, 3.2).
pub(crate) const MIN_SECRET_LEN: usize = 32;

/// The longest `sub` accepted, in characters.
pub(crate) const MAX_SUB_LEN: usize = 255;

/// The DER of the P-256 curve's name (OID 1.2.840.10045.3.1.7), as an EC public key's
/// algorithm parameters hold it.
const P256_OID: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];

/// The flags that configure JWT sign-in. Without `--jwt-secret` and `--jwt-public-key`, no
/// JWT proves anyone.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct JwtFlags {
    /// The secret the host application signs its JWTs with (HS256), at least 32 bytes.
    #[arg(
        long,
        env = "SUPPORT_JWT_SECRET",
        hide_env_values = true,
        conflicts_with = "jwt_public_key"
    )]
    pub(crate) jwt_secret: Option<String>,
    /// The PEM file of the public key the host application's JWTs are signed with: an RSA key
    /// (RS256) or an EC P-256 key (ES256).
    #[arg(long, env = "SUPPORT_JWT_PUBLIC_KEY", value_name = "FILE")]
    pub(crate) jwt_public_key: Option<PathBuf>,
    /// The `iss` every JWT must carry.
    #[arg(long, env = "SUPPORT_JWT_ISSUER")]
    pub(crate) jwt_issuer: Option<String>,
    /// The `aud` every JWT must carry (one of its audiences).
    #[arg(long, env = "SUPPORT_JWT_AUDIENCE")]
    pub(crate) jwt_audience: Option<String>,
    /// How long a JWT may live at most, from its `iat` (or from now, without one): seconds or
    /// a duration such as `5m`, `1h`.
    #[arg(
        long,
        env = "SUPPORT_JWT_MAX_LIFETIME",
        default_value = "1h",
        value_parser = crate::parse_duration
    )]
    pub(crate) jwt_max_lifetime: Duration,
}

/// Why a JWT proves nobody: the reason the log gives (the client is told only 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JwtRefusal {
    /// Not three base64url parts of JSON.
    Malformed,
    /// The header names another algorithm than the configured key's (`none` included).
    WrongAlgorithm,
    /// The signature does not verify with the configured key.
    BadSignature,
    /// `exp` has passed.
    Expired,
    /// `nbf` or `iat` is still to come.
    NotYetValid,
    /// `exp` is further than the maximum lifetime from `iat` (or now).
    TooLongLived,
    /// `iss` is not the configured issuer.
    WrongIssuer,
    /// `aud` does not name the configured audience.
    WrongAudience,
    /// `role` is none of the roles.
    UnknownRole,
    /// A claim that must be there is not.
    MissingClaim(&'static str),
    /// A claim that is there but not acceptable (a blank name, an invalid email, …).
    InvalidClaim(&'static str),
}

impl fmt::Display for JwtRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JwtRefusal::Malformed => f.write_str("malformed token"),
            JwtRefusal::WrongAlgorithm => f.write_str("wrong algorithm"),
            JwtRefusal::BadSignature => f.write_str("bad signature"),
            JwtRefusal::Expired => f.write_str("expired"),
            JwtRefusal::NotYetValid => f.write_str("not yet valid"),
            JwtRefusal::TooLongLived => f.write_str("lifetime over the maximum"),
            JwtRefusal::WrongIssuer => f.write_str("wrong issuer (iss)"),
            JwtRefusal::WrongAudience => f.write_str("wrong audience (aud)"),
            JwtRefusal::UnknownRole => f.write_str("unknown role"),
            JwtRefusal::MissingClaim(claim) => write!(f, "missing claim {claim}"),
            JwtRefusal::InvalidClaim(claim) => write!(f, "invalid claim {claim}"),
        }
    }
}

/// Whether a bearer token has a JWT's shape: three base64url parts (the last one may be
/// empty, as an unsigned token's is, so that it is refused as such).
pub(crate) fn is_jwt(token: &str) -> bool {
    let b64url = |part: &str| {
        part.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature), None) => {
            !header.is_empty()
                && !payload.is_empty()
                && b64url(header)
                && b64url(payload)
                && b64url(signature)
        }
        _ => false,
    }
}

/// Verifies the host application's JWTs: see the [module docs](self).
#[derive(Clone)]
pub(crate) struct JwtVerifier {
    key: DecodingKey,
    algorithm: Algorithm,
    validation: Validation,
    max_lifetime: Duration,
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("algorithm", &self.algorithm)
            .field("max_lifetime", &self.max_lifetime)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// The verifier the flags describe; `None` when they name no key; `Err` with the line to
    /// refuse to start with when the key is not usable (a short secret, a file that is not a
    /// public RSA or P-256 key).
    pub(crate) fn from_flags(flags: &JwtFlags) -> Result<Option<Self>, String> {
        let (key, algorithm) = match (&flags.jwt_secret, &flags.jwt_public_key) {
            (Some(_), Some(_)) => {
                return Err("give --jwt-secret or --jwt-public-key, not both".into());
            }
            (None, None) => {
                if flags.jwt_issuer.is_some() || flags.jwt_audience.is_some() {
                    return Err(
                        "--jwt-issuer and --jwt-audience need --jwt-secret or --jwt-public-key"
                            .into(),
                    );
                }
                return Ok(None);
            }
            (Some(secret), None) => {
                if secret.len() < MIN_SECRET_LEN {
                    return Err(format!(
                        "--jwt-secret (SUPPORT_JWT_SECRET) is {} bytes long: give at least \
                         {MIN_SECRET_LEN} random bytes",
                        secret.len()
                    ));
                }
                (
                    DecodingKey::from_secret(secret.as_bytes()),
                    Algorithm::HS256,
                )
            }
            (None, Some(path)) => {
                let pem = std::fs::read(path)
                    .map_err(|e| format!("--jwt-public-key {}: {e}", path.display()))?;
                public_key(&pem).map_err(|e| format!("--jwt-public-key {}: {e}", path.display()))?
            }
        };
        Ok(Some(Self::new(key, algorithm, flags)))
    }

    fn new(key: DecodingKey, algorithm: Algorithm, flags: &JwtFlags) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        let mut required = vec!["exp"];
        match &flags.jwt_issuer {
            Some(iss) => {
                validation.set_issuer(&[iss]);
                required.push("iss");
            }
            None => validation.iss = None,
        }
        match &flags.jwt_audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            // An `aud` the server was not told to expect is not checked.
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        JwtVerifier {
            key,
            algorithm,
            validation,
            max_lifetime: flags.jwt_max_lifetime,
        }
    }

    /// The algorithm every token must be signed with.
    pub(crate) fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The user the token describes, if it is signed with the configured key, in its time,
    /// and its claims are acceptable.
    pub(crate) fn verify(&self, token: &str) -> Result<ExternalUser, JwtRefusal> {
        if !is_jwt(token) {
            return Err(JwtRefusal::Malformed);
        }
        // The algorithm is the key's: whatever else the header says is refused here, `none`
        // and names jsonwebtoken does not know included.
        if header_algorithm(token)? != algorithm_name(self.algorithm) {
            return Err(JwtRefusal::WrongAlgorithm);
        }
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &self.key, &self.validation)
            .map_err(|e| refusal(e.kind()))?
            .claims;
        self.check_lifetime(&claims)?;
        external_user(&claims)
    }

    /// `exp` at most the maximum lifetime after `iat` (after now, without one); an `iat` in
    /// the future (beyond the leeway) is not yet valid.
    fn check_lifetime(&self, claims: &Map<String, Value>) -> Result<(), JwtRefusal> {
        let now = jsonwebtoken::get_current_timestamp();
        let exp = claims
            .get("exp")
            .and_then(Value::as_u64)
            .ok_or(JwtRefusal::InvalidClaim("exp"))?;
        let start = match claims.get("iat") {
            None | Some(Value::Null) => now,
            Some(iat) => {
                let iat = iat.as_u64().ok_or(JwtRefusal::InvalidClaim("iat"))?;
                if iat > now.saturating_add(LEEWAY_SECS) {
                    return Err(JwtRefusal::NotYetValid);
                }
                iat
            }
        };
        if exp.saturating_sub(start) > self.max_lifetime.as_secs() {
            return Err(JwtRefusal::TooLongLived);
        }
        Ok(())
    }
}

/// The key of a PEM public key file and the one algorithm it verifies.
fn public_key(pem: &[u8]) -> Result<(DecodingKey, Algorithm), String> {
    let parsed = pem::parse(pem).map_err(|e| format!("not a PEM file ({e})"))?;
    match parsed.tag() {
        "PUBLIC KEY" | "RSA PUBLIC KEY" => {}
        tag if tag.contains("PRIVATE") => {
            return Err(
                "this is a private key: give the public key (the host application keeps the \
                 private one)"
                    .into(),
            );
        }
        tag => return Err(format!("a PEM \"{tag}\", not a public key")),
    }
    if let Ok(key) = DecodingKey::from_rsa_pem(pem) {
        return Ok((key, Algorithm::RS256));
    }
    if let Ok(key) = DecodingKey::from_ec_pem(pem) {
        // ES256 is P-256 only; another curve would refuse every token.
        if !parsed
            .contents()
            .windows(P256_OID.len())
            .any(|w| w == P256_OID)
        {
            return Err("an EC key on another curve than P-256 (ES256 needs P-256)".into());
        }
        return Ok((key, Algorithm::ES256));
    }
    Err("neither an RSA nor an EC P-256 public key".into())
}

/// The `alg` of a token's header.
fn header_algorithm(token: &str) -> Result<String, JwtRefusal> {
    let header = token.split('.').next().unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| JwtRefusal::Malformed)?;
    let header: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| JwtRefusal::Malformed)?;
    match header.get("alg") {
        Some(Value::String(alg)) => Ok(alg.clone()),
        _ => Err(JwtRefusal::WrongAlgorithm),
    }
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::HS256 => "HS256",
        Algorithm::RS256 => "RS256",
        Algorithm::ES256 => "ES256",
        // Never configured: no key makes them.
        _ => "",
    }
}

/// What jsonwebtoken's refusal means here.
fn refusal(kind: &ErrorKind) -> JwtRefusal {
    match kind {
        ErrorKind::InvalidSignature => JwtRefusal::BadSignature,
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => JwtRefusal::WrongAlgorithm,
        ErrorKind::ExpiredSignature => JwtRefusal::Expired,
        ErrorKind::ImmatureSignature => JwtRefusal::NotYetValid,
        ErrorKind::InvalidIssuer => JwtRefusal::WrongIssuer,
        ErrorKind::InvalidAudience => JwtRefusal::WrongAudience,
        ErrorKind::MissingRequiredClaim(claim) => JwtRefusal::MissingClaim(match claim.as_str() {
            "exp" => "exp",
            "iss" => "iss",
            "aud" => "aud",
            _ => "(registered claim)",
        }),
        _ => JwtRefusal::Malformed,
    }
}

/// The user the verified claims describe.
fn external_user(claims: &Map<String, Value>) -> Result<ExternalUser, JwtRefusal> {
    let external_id = match claims.get("sub") {
        None | Some(Value::Null) => return Err(JwtRefusal::MissingClaim("sub")),
        Some(Value::String(sub)) => sub.clone(),
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => n.to_string(),
        Some(_) => return Err(JwtRefusal::InvalidClaim("sub")),
    };
    if external_id.trim().is_empty()
        || external_id.chars().count() > MAX_SUB_LEN
        || external_id.chars().any(char::is_control)
    {
        return Err(JwtRefusal::InvalidClaim("sub"));
    }
    let name = match claims.get("name") {
        None | Some(Value::Null) => return Err(JwtRefusal::MissingClaim("name")),
        Some(Value::String(name)) => {
            check_name(name).map_err(|_| JwtRefusal::InvalidClaim("name"))?
        }
        Some(_) => return Err(JwtRefusal::InvalidClaim("name")),
    };
    let role: Role = match claims.get("role") {
        None | Some(Value::Null) => return Err(JwtRefusal::MissingClaim("role")),
        Some(Value::String(role)) => role.parse().map_err(|_| JwtRefusal::UnknownRole)?,
        Some(_) => return Err(JwtRefusal::UnknownRole),
    };
    let email = match claims.get("email") {
        None | Some(Value::Null) => None,
        Some(Value::String(email)) => {
            Some(Email::parse(email).map_err(|_| JwtRefusal::InvalidClaim("email"))?)
        }
        Some(_) => return Err(JwtRefusal::InvalidClaim("email")),
    };
    Ok(ExternalUser {
        external_id,
        name,
        email,
        role,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;
    use test_prereqs::Prereq;

    use super::*;

    const SECRET: &str = "a-shared-secret-of-at-least-32-bytes!";

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn flags() -> JwtFlags {
        JwtFlags {
            jwt_secret: Some(SECRET.into()),
            jwt_public_key: None,
            jwt_issuer: None,
            jwt_audience: None,
            jwt_max_lifetime: Duration::from_secs(3600),
        }
    }

    fn verifier(flags: &JwtFlags) -> JwtVerifier {
        JwtVerifier::from_flags(flags).unwrap().unwrap()
    }

    fn claims() -> Value {
        json!({"sub": 42, "name": "Alice Host", "role": "employee", "email": "Alice@Host.example",
               "iat": now(), "exp": now() + 300})
    }

    fn hs256(claims: &Value) -> String {
        hs256_with(claims, SECRET.as_bytes())
    }

    fn hs256_with(claims: &Value, secret: &[u8]) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(secret),
        )
        .unwrap()
    }

    fn with(changes: Value) -> Value {
        let mut c = claims();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    }

    fn b64(json: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(json).unwrap())
    }

    #[test]
    fn an_hs256_token_is_the_user_it_describes() {
        let user = verifier(&flags()).verify(&hs256(&claims())).unwrap();
        assert_eq!(
            user,
            ExternalUser {
                external_id: "42".into(),
                name: "Alice Host".into(),
                email: Some(Email::parse("alice@host.example").unwrap()),
                role: Role::Employee,
            }
        );
        // A string `sub` is the same user; no email, no iat are fine; an `aud` nobody asked
        // to check is not checked.
        let same = verifier(&flags())
            .verify(&hs256(&with(
                json!({"sub": "42", "email": null, "iat": null, "aud": "anyone"}),
            )))
            .unwrap();
        assert_eq!((same.external_id.as_str(), same.email), ("42", None));
        for role in ["support", "admin", "hr"] {
            let user = verifier(&flags())
                .verify(&hs256(&with(json!({"role": role}))))
                .unwrap();
            assert_eq!(user.role.to_string(), role);
        }
    }

    #[test]
    fn each_refusal_names_its_reason() {
        let v = verifier(&flags());
        let refused = |token: String| v.verify(&token).unwrap_err();
        use JwtRefusal::*;
        assert_eq!(
            refused(hs256(&with(
                json!({"exp": now() - 120, "iat": now() - 400})
            ))),
            Expired
        );
        // Within the leeway an expired token still passes.
        assert!(v.verify(&hs256(&with(json!({"exp": now() - 10})))).is_ok());
        assert_eq!(
            refused(hs256(&with(json!({"nbf": now() + 600})))),
            NotYetValid
        );
        assert_eq!(
            refused(hs256(&with(
                json!({"iat": now() + 600, "exp": now() + 900})
            ))),
            NotYetValid
        );
        assert_eq!(
            refused(hs256_with(
                &claims(),
                b"another-secret-of-at-least-32-bytes!!"
            )),
            BadSignature
        );
        assert_eq!(
            refused(hs256(&with(json!({"exp": null})))),
            MissingClaim("exp")
        );
        assert_eq!(
            refused(hs256(&with(json!({"exp": "tomorrow"})))),
            MissingClaim("exp")
        );
        assert_eq!(
            refused(hs256(&with(json!({"iat": now(), "exp": now() + 7200})))),
            TooLongLived
        );
        assert_eq!(
            refused(hs256(&with(json!({"iat": null, "exp": now() + 7200})))),
            TooLongLived
        );
        assert_eq!(
            refused(hs256(&with(json!({"role": "superuser"})))),
            UnknownRole
        );
        assert_eq!(refused(hs256(&with(json!({"role": 1})))), UnknownRole);
        assert_eq!(
            refused(hs256(&with(json!({"role": null})))),
            MissingClaim("role")
        );
        assert_eq!(
            refused(hs256(&with(json!({"name": null})))),
            MissingClaim("name")
        );
        assert_eq!(
            refused(hs256(&with(json!({"name": "   "})))),
            InvalidClaim("name")
        );
        let long = "n".repeat(256);
        assert_eq!(
            refused(hs256(&with(json!({"name": long})))),
            InvalidClaim("name")
        );
        assert_eq!(
            refused(hs256(&with(json!({"email": "not-an-email"})))),
            InvalidClaim("email")
        );
        assert_eq!(
            refused(hs256(&with(json!({"sub": null})))),
            MissingClaim("sub")
        );
        assert_eq!(
            refused(hs256(&with(json!({"sub": " "})))),
            InvalidClaim("sub")
        );
        assert_eq!(
            refused(hs256(&with(json!({"sub": 4.2})))),
            InvalidClaim("sub")
        );
        let long = "s".repeat(256);
        assert_eq!(
            refused(hs256(&with(json!({"sub": long})))),
            InvalidClaim("sub")
        );
        let longest = "s".repeat(255);
        assert!(v.verify(&hs256(&with(json!({"sub": longest})))).is_ok());

        // Not a JWT at all, or not JSON inside.
        assert_eq!(refused("sup_not-a-jwt".into()), Malformed);
        assert_eq!(refused("a.b.c".into()), Malformed);
        // Signed, but its payload is not JSON.
        let message = format!("{}.bm90IGpzb24", b64(&json!({"alg": "HS256"})));
        let key = EncodingKey::from_secret(SECRET.as_bytes());
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::HS256);
        assert_eq!(
            refused(format!("{message}.{}", signature.unwrap())),
            Malformed
        );
    }

    #[test]
    fn only_the_keys_algorithm_is_accepted() {
        let v = verifier(&flags());
        // `alg: none`, unsigned.
        let none = format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT"})),
            b64(&claims())
        );
        assert!(is_jwt(&none));
        assert_eq!(v.verify(&none), Err(JwtRefusal::WrongAlgorithm));
        let none = format!("{}.{}.", b64(&json!({"alg": "None"})), b64(&claims()));
        assert_eq!(v.verify(&none), Err(JwtRefusal::WrongAlgorithm));
        // HS512 with the right secret: still not HS256.
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &claims(),
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        assert_eq!(v.verify(&hs512), Err(JwtRefusal::WrongAlgorithm));
        let no_alg = format!("{}.{}.c2ln", b64(&json!({"typ": "JWT"})), b64(&claims()));
        assert_eq!(v.verify(&no_alg), Err(JwtRefusal::WrongAlgorithm));
    }

    #[test]
    fn issuer_and_audience_are_checked_and_required_when_configured() {
        let v = verifier(&JwtFlags {
            jwt_issuer: Some("https://host.example".into()),
            jwt_audience: Some("support".into()),
            ..flags()
        });
        let ok = with(json!({"iss": "https://host.example", "aud": ["other", "support"]}));
        assert!(v.verify(&hs256(&ok)).is_ok());
        let refused = |changes: Value| {
            let mut c = ok.clone();
            for (k, val) in changes.as_object().unwrap() {
                if val.is_null() {
                    c.as_object_mut().unwrap().remove(k);
                } else {
                    c[k] = val.clone();
                }
            }
            v.verify(&hs256(&c)).unwrap_err()
        };
        assert_eq!(refused(json!({"aud": "other"})), JwtRefusal::WrongAudience);
        assert_eq!(
            refused(json!({"aud": null})),
            JwtRefusal::MissingClaim("aud")
        );
        assert_eq!(
            refused(json!({"iss": "https://evil.example"})),
            JwtRefusal::WrongIssuer
        );
        assert_eq!(
            refused(json!({"iss": null})),
            JwtRefusal::MissingClaim("iss")
        );
    }

    #[test]
    fn unusable_flags_refuse_to_start() {
        let short = JwtFlags {
            jwt_secret: Some("x".repeat(31)),
            ..flags()
        };
        let refused = JwtVerifier::from_flags(&short).unwrap_err();
        assert!(refused.contains("at least 32"), "{refused}");
        assert!(
            !refused.contains(&"x".repeat(31)),
            "the secret is not shown"
        );
        let nothing = JwtFlags {
            jwt_secret: None,
            ..flags()
        };
        assert!(JwtVerifier::from_flags(&nothing).unwrap().is_none());
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a key").unwrap();
        let with_key = |path: &Path| JwtFlags {
            jwt_secret: None,
            jwt_public_key: Some(path.to_owned()),
            ..flags()
        };
        assert!(JwtVerifier::from_flags(&with_key(&junk)).is_err());
        assert!(JwtVerifier::from_flags(&with_key(&dir.path().join("missing.pem"))).is_err());
    }

    #[test]
    fn tokens_are_recognized_by_shape() {
        assert!(is_jwt("eyJh.eyJz.c2ln"));
        assert!(!is_jwt("sup_0123456789abcdef"));
        assert!(!is_jwt("a.b"));
        assert!(!is_jwt("a.b.c.d"));
        assert!(!is_jwt(".b.c"));
        assert!(!is_jwt("a b.c.d"));
        assert!(!is_jwt("a+b.c.d"));
    }

    // Keys made and tokens signed by Python's `cryptography` and PyJWT: an implementation
    // that is not ours.

    /// The script beside the integration tests.
    fn pyjwt(args: &[&str]) -> String {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pyjwt_tool.py");
        let out = Command::new("python3")
            .arg(script)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pyjwt_tool.py {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    fn key_flags(path: &Path) -> JwtFlags {
        JwtFlags {
            jwt_secret: None,
            jwt_public_key: Some(path.to_owned()),
            jwt_audience: Some("support".into()),
            ..flags()
        }
    }

    #[test]
    #[cfg_attr(
        no_pyjwt,
        ignore = "needs python3 on PATH with PyJWT and cryptography installed"
    )]
    fn pyjwt_tokens_verify_with_rs256_es256_and_hs256() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().to_str().unwrap();
        pyjwt(&["keys", keys]);
        let mut c = claims();
        c["aud"] = json!("support");
        let c = c.to_string();
        for (name, alg) in [("rsa", Algorithm::RS256), ("ec", Algorithm::ES256)] {
            let v = verifier(&key_flags(&dir.path().join(format!("{name}.pub.pem"))));
            assert_eq!(v.algorithm(), alg);
            let private = dir.path().join(format!("{name}.pem"));
            let alg_name = algorithm_name(alg);
            let token = pyjwt(&["sign", alg_name, private.to_str().unwrap(), &c]);
            let user = v.verify(&token).unwrap();
            assert_eq!(
                (user.external_id.as_str(), user.role),
                ("42", Role::Employee)
            );

            // Signed by the other key: a bad signature, or the wrong algorithm.
            let other = if name == "rsa" { "rsa2" } else { "ec2" };
            let other = dir.path().join(format!("{other}.pem"));
            let forged = pyjwt(&["sign", alg_name, other.to_str().unwrap(), &c]);
            assert_eq!(v.verify(&forged), Err(JwtRefusal::BadSignature));

            // Algorithm confusion: HS256 with the public key's PEM as the HMAC secret.
            let pem = std::fs::read(dir.path().join(format!("{name}.pub.pem"))).unwrap();
            let confused = hs256_with(&serde_json::from_str(&c).unwrap(), &pem);
            assert_eq!(v.verify(&confused), Err(JwtRefusal::WrongAlgorithm));
            // And PyJWT's own unsigned token.
            let none = pyjwt(&["sign", "none", "-", &c]);
            assert_eq!(v.verify(&none), Err(JwtRefusal::WrongAlgorithm));
        }
        // A P-384 key, a private key: refused at start-up.
        let p384 = JwtVerifier::from_flags(&key_flags(&dir.path().join("ec384.pub.pem")));
        assert!(p384.unwrap_err().contains("P-256"));
        let private = JwtVerifier::from_flags(&key_flags(&dir.path().join("rsa.pem")));
        assert!(private.unwrap_err().contains("private key"));

        // PyJWT's HS256 with the shared secret.
        let secret = dir.path().join("secret");
        std::fs::write(&secret, SECRET).unwrap();
        let token = pyjwt(&[
            "sign",
            "HS256",
            secret.to_str().unwrap(),
            &claims().to_string(),
        ]);
        assert_eq!(
            verifier(&flags()).verify(&token).unwrap().name,
            "Alice Host"
        );
    }

    #[test]
    fn pyjwt_is_as_the_build_found_it() {
        Prereq::PyJwt.assert_still_as_built(cfg!(no_pyjwt), env!("TEST_PREREQS_STAMP"));
    }
}
