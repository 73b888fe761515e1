//! JSON Web Token verification (RFC 7519, 7515) for the two algorithms we accept:
//! HS256 with the shared secret and EdDSA (Ed25519) with the configured public key.
//! The key decides the algorithm, never the token: an HS256 token is checked only
//! against the secret, an EdDSA token only against the public key, and anything else
//! (`none`, `RS256`, `ES256`, a header with `crit`) is refused, so neither `alg: none`
//! nor algorithm confusion can pass.

use crm_domain::security::Role;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Longest token accepted, in bytes; a larger one is refused before any decoding.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: i64 = 60;
/// Shortest HS256 secret accepted (RFC 7518 §3.2: at least the hash size).
pub const MIN_SECRET_BYTES: usize = 32;
/// Longest `sub` accepted.
pub const MAX_SUB_CHARS: usize = 128;

/// What verifies a token, from the component's variables.
#[derive(Clone)]
pub struct Keys {
    /// The HS256 shared secret.
    pub hs256_secret: Option<Vec<u8>>,
    /// The Ed25519 public key.
    pub ed25519: Option<ed25519_compact::PublicKey>,
    /// The only `iss` accepted.
    pub issuer: String,
    /// The `aud` a token must name.
    pub audience: String,
}

/// The claims a verified token gives us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// Staff id, or the customer id for role `customer`.
    pub sub: String,
    /// The known roles it carries (unknown names dropped).
    pub roles: Vec<Role>,
    /// The branch, when the token names one.
    pub branch: Option<String>,
}

/// Why a token was refused: logged, never answered (the caller sees `invalid_token`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not three base64url parts of JSON, or too large.
    Malformed,
    /// An algorithm we do not accept, or one whose key is not configured.
    Algorithm,
    /// The signature does not verify.
    Signature,
    /// `exp` is missing or past (beyond the leeway).
    Expired,
    /// `nbf` is in the future (beyond the leeway).
    NotYetValid,
    /// `iss` is not ours.
    Issuer,
    /// `aud` does not name us.
    Audience,
    /// `sub` missing, empty or too long.
    Subject,
    /// No role we know.
    Roles,
    /// `customer` together with a staff role: a token acts for a customer or for staff,
    /// never both (it would pass staff permissions with a customer's scope, or the reverse).
    MixedPrincipal,
}

impl Refused {
    /// A short name for the log line.
    pub fn as_str(self) -> &'static str {
        match self {
            Refused::Malformed => "malformed",
            Refused::Algorithm => "algorithm",
            Refused::Signature => "signature",
            Refused::Expired => "expired",
            Refused::NotYetValid => "not_yet_valid",
            Refused::Issuer => "issuer",
            Refused::Audience => "audience",
            Refused::Subject => "subject",
            Refused::Roles => "roles",
            Refused::MixedPrincipal => "mixed_principal",
        }
    }
}

/// Decodes unpadded base64url (RFC 4648 §5), as JWS uses.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    decode_base64(text.as_bytes(), |c| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    })
}

/// Decodes standard base64 with optional padding (PEM bodies).
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let unpadded = text.trim_end_matches('=');
    if text.len() - unpadded.len() > 2 {
        return None;
    }
    decode_base64(unpadded.as_bytes(), |c| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    })
}

/// Canonical decoding only: the bits left over after the last byte must be zero, so one
/// byte string has one text (a token cannot be re-spelled with the same signature).
fn decode_base64(input: &[u8], value: impl Fn(u8) -> Option<u8>) -> Option<Vec<u8>> {
    if input.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in input {
        acc = (acc << 6) | u32::from(value(c)?);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (acc == 0).then_some(out)
}

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the 32 key bytes follow.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Parses an Ed25519 public key in PEM (`-----BEGIN PUBLIC KEY-----`), tolerating
/// literal `\n` escapes (a key pasted into one environment variable line).
pub fn ed25519_from_pem(pem: &str) -> Option<ed25519_compact::PublicKey> {
    let body: String = pem
        .replace("\\n", "\n")
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.chars().filter(|c| !c.is_whitespace()))
        .collect();
    let der = base64_decode(&body)?;
    let key = der.strip_prefix(&ED25519_SPKI_PREFIX[..])?;
    ed25519_compact::PublicKey::from_slice(key).ok()
}

/// Verifies `token` with `keys` at `now` (Unix seconds) and returns its claims.
pub fn verify(token: &str, keys: &Keys, now: i64) -> Result<Claims, Refused> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refused::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Refused::Malformed);
    };
    let header_json = json_part(header)?;
    let signature = base64url_decode(signature).ok_or(Refused::Malformed)?;
    let signed = &token[..header.len() + 1 + payload.len()];
    if header_json.get("crit").is_some() {
        return Err(Refused::Algorithm);
    }
    match header_json.get("alg").and_then(Value::as_str) {
        Some("HS256") => {
            let secret = keys.hs256_secret.as_deref().ok_or(Refused::Algorithm)?;
            let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| Refused::Algorithm)?;
            mac.update(signed.as_bytes());
            // `verify_slice` compares in constant time.
            mac.verify_slice(&signature)
                .map_err(|_| Refused::Signature)?;
        }
        Some("EdDSA") => {
            let key = keys.ed25519.as_ref().ok_or(Refused::Algorithm)?;
            let signature = ed25519_compact::Signature::from_slice(&signature)
                .map_err(|_| Refused::Signature)?;
            key.verify(signed.as_bytes(), &signature)
                .map_err(|_| Refused::Signature)?;
        }
        _ => return Err(Refused::Algorithm),
    }
    // Only a signed payload is parsed beyond its header.
    let claims = json_part(payload)?;
    check_claims(&claims, keys, now)
}

fn json_part(part: &str) -> Result<Value, Refused> {
    let bytes = base64url_decode(part).ok_or(Refused::Malformed)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => Err(Refused::Malformed),
    }
}

fn numeric_date(claims: &Value, name: &str) -> Result<Option<i64>, Refused> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|f| f.is_finite())
            .map(|f| Some(f as i64))
            .ok_or(Refused::Malformed),
    }
}

fn check_claims(claims: &Value, keys: &Keys, now: i64) -> Result<Claims, Refused> {
    match numeric_date(claims, "exp")? {
        Some(exp) if now <= exp.saturating_add(LEEWAY_SECS) => {}
        _ => return Err(Refused::Expired),
    }
    if let Some(nbf) = numeric_date(claims, "nbf")?
        && now < nbf.saturating_sub(LEEWAY_SECS)
    {
        return Err(Refused::NotYetValid);
    }
    if claims.get("iss").and_then(Value::as_str) != Some(keys.issuer.as_str()) {
        return Err(Refused::Issuer);
    }
    let audience_ok = match claims.get("aud") {
        Some(Value::String(a)) => *a == keys.audience,
        Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(&keys.audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(Refused::Audience);
    }
    let sub = match claims.get("sub").and_then(Value::as_str) {
        Some(s)
            if !s.trim().is_empty()
                && s.chars().count() <= MAX_SUB_CHARS
                && !s.chars().any(char::is_control) =>
        {
            s.to_owned()
        }
        _ => return Err(Refused::Subject),
    };
    let mut roles: Vec<Role> = match claims.get("roles") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .filter_map(Role::parse)
            .collect(),
        _ => Vec::new(),
    };
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        return Err(Refused::Roles);
    }
    let sub = if roles.contains(&Role::Customer) {
        if roles.len() > 1 {
            return Err(Refused::MixedPrincipal);
        }
        // A customer principal's subject is its customer id, in canonical form, so that
        // comparing it with the ids of requests (also canonical) is exact.
        match crm_domain::id::canonical(&sub) {
            Some(id) if id.starts_with("cus_") => id,
            _ => return Err(Refused::Subject),
        }
    } else {
        sub
    };
    let branch = claims
        .get("branch")
        .and_then(Value::as_str)
        .filter(|b| !b.is_empty() && b.chars().count() <= MAX_SUB_CHARS)
        .map(str::to_owned);
    Ok(Claims { sub, roles, branch })
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::fuzz::{any_bytes, any_text, near, text_near};
    use crate::testing::{TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, base64url, sign_hs256};
    use proptest::prelude::*;
    use serde_json::{Map, json};

    const NOW: i64 = 1_800_000_000;
    const PEM: &str = concat!(
        "-----BEGIN PUBLIC KEY-----(\\\\n|\n)",
        "[A-Za-z0-9+/]{40,60}={0,2}\n-----END PUBLIC KEY-----",
    );
    const TOKEN: &str = "[A-Za-z0-9_-]{0,30}\\.[A-Za-z0-9_-]{0,30}\\.[A-Za-z0-9_-]{0,43}";

    fn keys() -> Keys {
        let seed = ed25519_compact::Seed::new([7; 32]);
        Keys {
            hs256_secret: Some(TEST_SECRET.as_bytes().to_vec()),
            ed25519: Some(ed25519_compact::KeyPair::from_seed(seed).pk),
            issuer: TEST_ISSUER.into(),
            audience: TEST_AUDIENCE.into(),
        }
    }

    /// Any JSON value, a few levels deep, with strings that are often multi-byte.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any_text().prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(any_text(), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Claims near valid ones: each member present with a plausible value, any value, or absent.
    fn claims() -> impl Strategy<Value = Value> {
        let member = |plausible: Value| {
            prop_oneof![
                3 => Just(Some(plausible)),
                2 => json_value().prop_map(Some),
                1 => Just(None),
            ]
        };
        (
            member(json!(TEST_ISSUER)),
            member(json!(TEST_AUDIENCE)),
            member(json!("teller-1")),
            member(json!(["teller", "admin"])),
            member(json!(NOW + 300)),
            member(json!(NOW - 10)),
            member(json!("bj-01")),
        )
            .prop_map(|(iss, aud, sub, roles, exp, nbf, branch)| {
                let mut map = Map::new();
                for (name, value) in [
                    ("iss", iss),
                    ("aud", aud),
                    ("sub", sub),
                    ("roles", roles),
                    ("exp", exp),
                    ("nbf", nbf),
                    ("branch", branch),
                ] {
                    if let Some(value) = value {
                        map.insert(name.into(), value);
                    }
                }
                Value::Object(map)
            })
    }

    fn valid_token() -> impl Strategy<Value = String> {
        claims().prop_map(|c| {
            sign_hs256(
                &json!({"alg": "HS256", "typ": "JWT"}),
                &c,
                TEST_SECRET.as_bytes(),
            )
        })
    }

    #[test]
    fn a_re_spelled_base64_text_is_refused() {
        // "QQ" is 0x41 with zero bits left over; "QR" is the same byte with a 1 left over.
        assert_eq!(base64url_decode("QQ"), Some(vec![0x41]));
        assert_eq!(base64url_decode("QR"), None);
        assert_eq!(base64_decode("QQ=="), Some(vec![0x41]));
        assert_eq!(base64_decode("QQ==="), None);
    }

    proptest! {
        #[test]
        fn no_string_panics_the_base64_decoders(text in text_near("[A-Za-z0-9_+/-]{0,40}={0,2}")) {
            let _ = base64url_decode(&text);
            let _ = base64_decode(&text);
        }

        #[test]
        fn base64url_decodes_what_was_encoded(bytes in any_bytes()) {
            prop_assert_eq!(base64url_decode(&base64url(&bytes)), Some(bytes));
        }

        #[test]
        fn each_byte_string_has_one_base64url_text(text in "[A-Za-z0-9_-]{0,40}") {
            if let Some(bytes) = base64url_decode(&text) {
                prop_assert_eq!(base64url(&bytes), text);
            }
        }

        #[test]
        fn no_text_panics_the_pem_key_parser(
            pem in text_near(PEM),
        ) {
            let _ = ed25519_from_pem(&pem);
        }

        #[test]
        fn no_string_panics_the_token_verifier(
            token in prop_oneof![any_text(), near(valid_token()), TOKEN],
        ) {
            let _ = verify(&token, &keys(), NOW);
        }

        #[test]
        fn no_signed_header_or_claims_panic_the_token_verifier(
            header in prop_oneof![Just(json!({"alg": "HS256"})), json_value()],
            claims in prop_oneof![claims(), json_value()],
            now in prop_oneof![Just(NOW), any::<i64>()],
        ) {
            let token = sign_hs256(&header, &claims, TEST_SECRET.as_bytes());
            let _ = verify(&token, &keys(), now);
            let eddsa = format!(
                "{}.{}.{}",
                base64url(json!({"alg": "EdDSA"}).to_string().as_bytes()),
                base64url(claims.to_string().as_bytes()),
                base64url(&[0; 64]),
            );
            let _ = verify(&eddsa, &keys(), now);
        }
    }
}
