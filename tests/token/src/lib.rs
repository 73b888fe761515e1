//! Development tokens for the CRM: the claims the components expect (`iss`, `aud`,
//! `sub`, `roles`, `exp`, `nbf`, optional `branch`), signed with HS256 under the shared
//! secret or with Ed25519 from a seed. An implementation of its own, separate from the
//! verifier in `crm-http`, so the end-to-end suite checks one against the other.
//!
//! Never use these defaults outside a developer's machine: they are public.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// The HS256 secret `scripts/run` and the end-to-end suite configure (development only).
pub const DEV_SECRET: &str = "dev-only-hs256-secret-do-not-deploy-0123456789";
/// The issuer `scripts/run` and the end-to-end suite configure.
pub const DEV_ISSUER: &str = "https://auth.dev.bank-crm.local";
/// The audience `scripts/run` and the end-to-end suite configure.
pub const DEV_AUDIENCE: &str = "bank-crm";
/// The development key of the audit trail's chain: public, never deploy it.
pub const DEV_AUDIT_KEY: &str = "dev-only-audit-hmac-key-do-not-deploy-0123456789";

/// The environment variables that carry the development configuration to Spin or crm-host.
pub fn dev_variables() -> Vec<(&'static str, &'static str)> {
    vec![
        ("SPIN_VARIABLE_AUTH_JWT_HS256_SECRET", DEV_SECRET),
        ("SPIN_VARIABLE_AUTH_ISSUER", DEV_ISSUER),
        ("SPIN_VARIABLE_AUTH_AUDIENCE", DEV_AUDIENCE),
        ("SPIN_VARIABLE_AUDIT_HMAC_KEY", DEV_AUDIT_KEY),
    ]
}

/// Unpadded base64url.
pub fn base64url(bytes: &[u8]) -> String {
    encode(
        bytes,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        false,
    )
}

/// Standard base64 with padding (PEM bodies).
pub fn base64(bytes: &[u8]) -> String {
    encode(
        bytes,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        true,
    )
}

fn encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Claims for `sub` with `roles`, valid from now for `ttl_secs`, for `issuer` and `audience`.
pub fn claims(sub: &str, roles: &[&str], issuer: &str, audience: &str, ttl_secs: i64) -> Value {
    let now = now();
    json!({"iss": issuer, "aud": audience, "sub": sub, "roles": roles,
           "iat": now, "nbf": now, "exp": now + ttl_secs})
}

/// Claims under the development issuer and audience, valid for an hour.
pub fn dev_claims(sub: &str, roles: &[&str]) -> Value {
    claims(sub, roles, DEV_ISSUER, DEV_AUDIENCE, 3600)
}

fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes())
    )
}

/// `header.claims` signed with HMAC-SHA256 under `secret`, whatever `alg` the header says.
pub fn sign_hs256(header: &Value, claims: &Value, secret: &[u8]) -> String {
    let input = signing_input(header, claims);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(input.as_bytes());
    format!("{input}.{}", base64url(&mac.finalize().into_bytes()))
}

/// An HS256 token with `claims` under `secret`.
pub fn hs256(claims: &Value, secret: &[u8]) -> String {
    sign_hs256(&json!({"alg": "HS256", "typ": "JWT"}), claims, secret)
}

/// A development token: HS256 under [`DEV_SECRET`] for `sub` with `roles`.
pub fn dev_token(sub: &str, roles: &[&str]) -> String {
    hs256(&dev_claims(sub, roles), DEV_SECRET.as_bytes())
}

/// An Ed25519 key pair from a 32-byte seed.
pub fn ed25519_keypair(seed: [u8; 32]) -> ed25519_compact::KeyPair {
    ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new(seed))
}

/// The public key as PEM (SubjectPublicKeyInfo, RFC 8410), as `auth_jwt_public_key` takes it.
pub fn ed25519_public_pem(keys: &ed25519_compact::KeyPair) -> String {
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend_from_slice(keys.pk.as_ref());
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        base64(&der)
    )
}

/// `header.claims` signed with Ed25519, whatever `alg` the header says.
pub fn sign_eddsa(header: &Value, claims: &Value, keys: &ed25519_compact::KeyPair) -> String {
    let input = signing_input(header, claims);
    let signature = keys.sk.sign(input.as_bytes(), None);
    format!("{input}.{}", base64url(signature.as_ref()))
}

/// An EdDSA token with `claims`.
pub fn eddsa(claims: &Value, keys: &ed25519_compact::KeyPair) -> String {
    sign_eddsa(&json!({"alg": "EdDSA", "typ": "JWT"}), claims, keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn an_hs256_token_has_three_parts_and_the_header_names_its_algorithm() {
        let token = dev_token("teller-1", &["teller"]);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], base64url(br#"{"alg":"HS256","typ":"JWT"}"#));
    }
}
