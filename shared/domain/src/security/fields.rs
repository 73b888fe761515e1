//! Field-level visibility of a customer profile, deny by default: each role lists the
//! fields it may see in full or masked (`************1234`); every other field is
//! omitted from the answer. Names are the API's camelCase member names.

use super::Role;

/// How one field is shown to a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Visibility {
    /// Left out of the answer.
    Omit,
    /// Shown with all but the last four characters masked (texts only; others omitted).
    Mask,
    /// Shown as stored.
    Show,
}

/// Every member of the customer representation, so tests can prove each is decided.
pub const CUSTOMER_FIELDS: &[&str] = &[
    "id",
    "etag",
    "status",
    "fullName",
    "dateOfBirth",
    "nationalId",
    "nationalIdCountry",
    "email",
    "phone",
    "address",
    "kycStatus",
    "segment",
    "valueTier",
    "riskTolerance",
    "monthlyIncome",
    "totalAssets",
    "creditScore",
    "employmentStatus",
    "holdings",
    "tags",
    "consent",
    "relationshipManagerId",
    "possibleDuplicateOf",
    "createdAt",
    "updatedAt",
];

use Visibility::{Mask as M, Show as S};

/// What every role that may read a profile at all sees: identity of the record, its
/// state and classification, never a personal value.
const RECORD: &[(&str, Visibility)] = &[
    ("id", S),
    ("etag", S),
    ("status", S),
    ("segment", S),
    ("valueTier", S),
    ("kycStatus", S),
    ("createdAt", S),
    ("updatedAt", S),
];

/// Front-office staff (teller, call centre): contact details to serve the customer,
/// the national id masked to check the last digits, no income, assets or score.
const FRONT_OFFICE: &[(&str, Visibility)] = &[
    ("fullName", S),
    ("dateOfBirth", S),
    ("nationalId", M),
    ("nationalIdCountry", S),
    ("email", S),
    ("phone", S),
    ("address", S),
    ("riskTolerance", S),
    ("employmentStatus", S),
    ("holdings", S),
    ("consent", S),
    ("relationshipManagerId", S),
    ("possibleDuplicateOf", S),
];

/// Relationship managers and risk officers: everything, the national id masked.
const ADVISORY: &[(&str, Visibility)] = &[
    ("fullName", S),
    ("dateOfBirth", S),
    ("nationalId", M),
    ("nationalIdCountry", S),
    ("email", S),
    ("phone", S),
    ("address", S),
    ("riskTolerance", S),
    ("monthlyIncome", S),
    ("totalAssets", S),
    ("creditScore", S),
    ("employmentStatus", S),
    ("holdings", S),
    ("tags", S),
    ("consent", S),
    ("relationshipManagerId", S),
    ("possibleDuplicateOf", S),
];

/// KYC officers: identity and the documents behind it, unmasked, and how to reach the
/// customer; not the bank's figures or its marketing view.
const COMPLIANCE: &[(&str, Visibility)] = &[
    ("fullName", S),
    ("dateOfBirth", S),
    ("nationalId", S),
    ("nationalIdCountry", S),
    ("email", S),
    ("phone", S),
    ("address", S),
    ("relationshipManagerId", S),
    ("possibleDuplicateOf", S),
];

/// Marketing: segmentation and consent; contact details masked; never the national
/// id, birth date, address, income, assets or score.
const MARKETING: &[(&str, Visibility)] = &[
    ("fullName", S),
    ("email", M),
    ("phone", M),
    ("riskTolerance", S),
    ("employmentStatus", S),
    ("holdings", S),
    ("tags", S),
    ("consent", S),
];

/// Underwriters, auditors and admins: every field, nothing masked.
const EVERYTHING: &[(&str, Visibility)] = &[
    ("fullName", S),
    ("dateOfBirth", S),
    ("nationalId", S),
    ("nationalIdCountry", S),
    ("email", S),
    ("phone", S),
    ("address", S),
    ("riskTolerance", S),
    ("monthlyIncome", S),
    ("totalAssets", S),
    ("creditScore", S),
    ("employmentStatus", S),
    ("holdings", S),
    ("tags", S),
    ("consent", S),
    ("relationshipManagerId", S),
    ("possibleDuplicateOf", S),
];

/// The customer themself (through a channel app): their own data, but not the bank's
/// internal assessments (credit score, tags, duplicate flags).
const SELF: &[(&str, Visibility)] = &[
    ("fullName", S),
    ("dateOfBirth", S),
    ("nationalId", S),
    ("nationalIdCountry", S),
    ("email", S),
    ("phone", S),
    ("address", S),
    ("riskTolerance", S),
    ("monthlyIncome", S),
    ("totalAssets", S),
    ("employmentStatus", S),
    ("holdings", S),
    ("consent", S),
    ("relationshipManagerId", S),
];

fn allow_list(role: Role) -> &'static [(&'static str, Visibility)] {
    match role {
        Role::Teller | Role::CallCentre => FRONT_OFFICE,
        Role::RelationshipManager | Role::RiskOfficer => ADVISORY,
        Role::Marketing => MARKETING,
        Role::Underwriter | Role::Auditor | Role::Admin => EVERYTHING,
        Role::KycOfficer => COMPLIANCE,
        Role::Customer => SELF,
        // Machine tokens read no customer: they see nothing but the record fields.
        Role::CoreBanking | Role::Scheduler => &[],
    }
}

/// How `field` is shown to a caller with `roles`: the most open of their roles' lists,
/// [`Visibility::Omit`] when no list names it.
pub fn customer_field(roles: &[Role], field: &str) -> Visibility {
    roles
        .iter()
        .flat_map(|r| RECORD.iter().chain(allow_list(*r)))
        .filter(|(name, _)| *name == field)
        .map(|(_, v)| *v)
        .max()
        .unwrap_or(Visibility::Omit)
}
