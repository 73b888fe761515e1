//! Who is calling: bearer tokens checked against the keys in the component's Spin
//! variables, the caller's identity, and what of a customer record it may see.
//! Every rule lives in `crm_domain::security`; this module applies them at the edge.

pub mod jwt;
mod visibility;

pub use jwt::{Claims, Keys, Refused};
pub use visibility::{CONTACT_FIELDS, LIST_OMITTED, customer_view};

use crate::ApiError;
use crm_domain::security::{Action, Role, allows};
use crm_store::Variables;

/// Spin variable: the HS256 shared secret (required, secret, at least 32 bytes).
pub const VAR_HS256_SECRET: &str = "auth_jwt_hs256_secret";
/// Spin variable: an Ed25519 public key in PEM for EdDSA tokens (optional, may be empty).
pub const VAR_PUBLIC_KEY: &str = "auth_jwt_public_key";
/// Spin variable: the only `iss` accepted (required).
pub const VAR_ISSUER: &str = "auth_issuer";
/// Spin variable: the `aud` every token must name (required).
pub const VAR_AUDIENCE: &str = "auth_audience";

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Staff id, or the customer id when acting as `customer`.
    pub sub: String,
    /// Known roles, sorted.
    pub roles: Vec<Role>,
    /// The branch, when the token names one.
    pub branch: Option<String>,
}

impl Identity {
    /// Whether the permission table lets any of the caller's roles perform `action`.
    pub fn may(&self, action: Action) -> bool {
        allows(&self.roles, action)
    }

    /// A channel app acting for one customer: it reaches only that customer's data,
    /// whatever other roles the token also names.
    pub fn is_customer(&self) -> bool {
        self.roles.contains(&Role::Customer)
    }

    /// Whether this caller may see data of `customer_id` (staff: any; customer: own).
    /// A relationship manager's book is checked against the store, see [`Identity::book`].
    pub fn reaches(&self, customer_id: &str) -> bool {
        !self.is_customer() || self.sub == customer_id
    }

    /// The relationship manager whose book confines this caller: `Some(sub)` when every
    /// role the token names is `relationship_manager`. A caller who also holds a role
    /// that reaches every customer (a teller, say) is not confined: the most open wins,
    /// as for field visibility.
    pub fn book(&self) -> Option<&str> {
        (!self.roles.is_empty() && self.roles.iter().all(|r| *r == Role::RelationshipManager))
            .then_some(self.sub.as_str())
    }

    /// The roles as `a,b,c` for the audit trail.
    pub fn roles_text(&self) -> String {
        self.roles
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl From<Claims> for Identity {
    fn from(c: Claims) -> Self {
        Identity {
            sub: c.sub,
            roles: c.roles,
            branch: c.branch,
        }
    }
}

/// Reads the keys from the component's variables. An error is a deployment mistake
/// (logged, answered 500): authentication never silently turns itself off.
pub fn keys_from(variables: &dyn Variables) -> Result<Keys, String> {
    let required = |name: &str| match variables.get(name) {
        Some(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(format!("variable {name} is not set")),
    };
    let secret = required(VAR_HS256_SECRET)?;
    if secret.len() < jwt::MIN_SECRET_BYTES {
        return Err(format!(
            "variable {VAR_HS256_SECRET} must be at least {} bytes",
            jwt::MIN_SECRET_BYTES
        ));
    }
    let ed25519 = match variables.get(VAR_PUBLIC_KEY) {
        Some(pem) if !pem.trim().is_empty() => Some(
            jwt::ed25519_from_pem(&pem)
                .ok_or_else(|| format!("variable {VAR_PUBLIC_KEY} is not an Ed25519 PEM key"))?,
        ),
        _ => None,
    };
    Ok(Keys {
        hs256_secret: Some(secret.into_bytes()),
        ed25519,
        issuer: required(VAR_ISSUER)?,
        audience: required(VAR_AUDIENCE)?,
    })
}

/// The bearer token of `authorization`, if that is what it holds.
pub fn bearer(authorization: Option<&str>) -> Option<&str> {
    let value = authorization?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Authenticates a request's `authorization` header: the identity, or why not.
pub fn authenticate(
    authorization: Option<&str>,
    keys: &Keys,
    now_secs: i64,
) -> Result<Identity, Refused> {
    let token = bearer(authorization).ok_or(Refused::Malformed)?;
    jwt::verify(token, keys, now_secs).map(Identity::from)
}

/// `Err(403 outside_book)` when `identity` is confined to a relationship manager's book
/// ([`Identity::book`]) and `customer_id` is a customer of another book (or of none). A
/// customer that does not exist is left to the handler's 404.
pub fn check_book(
    identity: &Identity,
    db: &dyn crm_store::Database,
    customer_id: &str,
) -> Result<(), ApiError> {
    let Some(manager) = identity.book() else {
        return Ok(());
    };
    match crm_store::read::customers::relationship_manager_of(db, customer_id)? {
        None => Ok(()),
        Some(Some(assigned)) if assigned == manager => Ok(()),
        Some(_) => Err(ApiError::Forbidden {
            code: "outside_book",
            detail: "this customer is not in your book".into(),
        }),
    }
}

/// The 403 for a role that may not perform an action.
pub fn forbidden(detail: impl Into<String>) -> ApiError {
    ApiError::Forbidden {
        code: "forbidden",
        detail: detail.into(),
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::fuzz::{any_text, text_near};
    use crate::testing::{TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET};
    use proptest::prelude::*;

    const BEARER: &str =
        "[Bb]earer [A-Za-z0-9_-]{10,30}\\.[A-Za-z0-9_-]{10,30}\\.[A-Za-z0-9_-]{43}";

    fn keys() -> Keys {
        Keys {
            hs256_secret: Some(TEST_SECRET.as_bytes().to_vec()),
            ed25519: None,
            issuer: TEST_ISSUER.into(),
            audience: TEST_AUDIENCE.into(),
        }
    }

    proptest! {
        #[test]
        fn no_authorization_header_panics_authentication(
            value in prop_oneof![
                text_near(BEARER),
                // What `serve` can hand over: a header value that is visible ASCII.
                "[\\x20-\\x7e\\t]{0,120}",
                any_text(),
            ],
        ) {
            let _ = bearer(Some(&value));
            prop_assert!(authenticate(Some(&value), &keys(), 1_800_000_000).is_err());
        }
    }
}
