//! Who may set each member of a customer profile, deny by default, beside the read
//! visibility of `fields.rs`. Having `customer.create` or `customer.update` lets a role
//! send the request; this table decides which members it may set or change in it.
//! Documented in `docs/security.md`.

use super::Role;

/// Whether a member is being set on a new customer or changed on an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writing {
    /// `POST /v1/customers`: the member is given a value other than its default.
    Create,
    /// `PATCH /v1/customers/{id}`: the member's value changes.
    Update,
}

use Role::{
    Admin as AD, CallCentre as C, KycOfficer as K, RelationshipManager as RM, RiskOfficer as R,
    Teller as T, Underwriter as U,
};

/// Who onboards customers (the `customer.create` roles).
const ONBOARDING: &[Role] = &[T, RM, AD];
/// Who keeps contact details, preferences and holdings up to date.
const FRONT_OFFICE: &[Role] = &[T, C, RM, AD];
/// KYC status and identity documents: compliance's job (and admin's, as break-glass).
const KYC: &[Role] = &[K, AD];
/// The bank's own figures: underwriting and risk (and admin).
const BANK_FIGURES: &[Role] = &[U, R, AD];
/// The relationship-manager assignment and closing a relationship: admin.
const ADMINISTRATION: &[Role] = &[AD];

/// Every writable member: who may set it on a new customer, who may change it later.
pub const CUSTOMER_WRITES: &[(&str, &[Role], &[Role])] = &[
    ("fullName", ONBOARDING, FRONT_OFFICE),
    ("dateOfBirth", ONBOARDING, FRONT_OFFICE),
    // Captured at onboarding, while KYC is pending; changed only by compliance, and a
    // change on a verified customer sends KYC back to pending.
    ("nationalId", ONBOARDING, KYC),
    ("nationalIdCountry", ONBOARDING, KYC),
    ("kycStatus", KYC, KYC),
    ("email", ONBOARDING, FRONT_OFFICE),
    ("phone", ONBOARDING, FRONT_OFFICE),
    ("address", ONBOARDING, FRONT_OFFICE),
    ("segment", ONBOARDING, FRONT_OFFICE),
    ("riskTolerance", ONBOARDING, FRONT_OFFICE),
    // What the customer declares at onboarding; afterwards the bank's assessment.
    ("monthlyIncome", &[T, RM, AD, U, R], BANK_FIGURES),
    ("totalAssets", &[T, RM, AD, U, R], BANK_FIGURES),
    ("creditScore", BANK_FIGURES, BANK_FIGURES),
    ("employmentStatus", ONBOARDING, FRONT_OFFICE),
    ("holdings", ONBOARDING, FRONT_OFFICE),
    ("tags", ONBOARDING, FRONT_OFFICE),
    ("consent", ONBOARDING, FRONT_OFFICE),
    ("relationshipManagerId", ADMINISTRATION, ADMINISTRATION),
    ("status", ADMINISTRATION, ADMINISTRATION),
];

/// Whether a caller with `roles` may set `field` when `writing` (any one role that may
/// is enough). A member the table does not name may not be written by anyone.
pub fn may_write_customer_field(roles: &[Role], field: &str, writing: Writing) -> bool {
    CUSTOMER_WRITES
        .iter()
        .find(|(name, _, _)| *name == field)
        .is_some_and(|(_, create, update)| {
            let allowed = match writing {
                Writing::Create => create,
                Writing::Update => update,
            };
            roles.iter().any(|r| allowed.contains(r))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::CUSTOMER_FIELDS;

    #[test]
    fn every_writable_member_is_a_member_of_the_representation_once() {
        for (field, _, _) in CUSTOMER_WRITES {
            assert!(CUSTOMER_FIELDS.contains(field), "{field}");
            assert_eq!(
                CUSTOMER_WRITES
                    .iter()
                    .filter(|(f, _, _)| f == field)
                    .count(),
                1,
                "{field}"
            );
        }
    }

    #[test]
    fn a_call_centre_agent_may_not_verify_kyc_or_raise_a_credit_score() {
        for field in ["kycStatus", "creditScore", "monthlyIncome", "nationalId"] {
            assert!(
                !may_write_customer_field(&[Role::CallCentre], field, Writing::Update),
                "{field}"
            );
        }
        assert!(may_write_customer_field(
            &[Role::CallCentre],
            "email",
            Writing::Update
        ));
    }

    #[test]
    fn kyc_and_identity_documents_are_compliance_work() {
        for field in ["kycStatus", "nationalId", "nationalIdCountry"] {
            assert!(may_write_customer_field(
                &[Role::KycOfficer],
                field,
                Writing::Update
            ));
            for role in [Role::Teller, Role::RelationshipManager, Role::Underwriter] {
                assert!(
                    !may_write_customer_field(&[role], field, Writing::Update),
                    "{role} {field}"
                );
            }
        }
        // Nobody but compliance verifies at onboarding either.
        assert!(!may_write_customer_field(
            &[Role::Teller],
            "kycStatus",
            Writing::Create
        ));
        assert!(!may_write_customer_field(
            &[Role::KycOfficer],
            "email",
            Writing::Update
        ));
    }

    #[test]
    fn the_banks_own_figures_are_underwritings_and_risks() {
        for field in ["creditScore", "monthlyIncome", "totalAssets"] {
            for role in [Role::Underwriter, Role::RiskOfficer] {
                assert!(
                    may_write_customer_field(&[role], field, Writing::Update),
                    "{role}"
                );
            }
            for role in [Role::Teller, Role::RelationshipManager, Role::KycOfficer] {
                assert!(
                    !may_write_customer_field(&[role], field, Writing::Update),
                    "{role}"
                );
            }
        }
        // Declared income and assets are captured at onboarding; a score never is.
        assert!(may_write_customer_field(
            &[Role::Teller],
            "monthlyIncome",
            Writing::Create
        ));
        assert!(!may_write_customer_field(
            &[Role::Teller],
            "creditScore",
            Writing::Create
        ));
    }

    #[test]
    fn assignment_and_closing_are_administration() {
        for field in ["relationshipManagerId", "status"] {
            assert!(may_write_customer_field(
                &[Role::Admin],
                field,
                Writing::Update
            ));
            assert!(!may_write_customer_field(
                &[Role::RelationshipManager],
                field,
                Writing::Update
            ));
            assert!(!may_write_customer_field(
                &[Role::Teller],
                field,
                Writing::Create
            ));
        }
    }

    #[test]
    fn a_member_outside_the_table_is_written_by_no_one() {
        assert!(!may_write_customer_field(
            &[Role::Admin],
            "valueTier",
            Writing::Update
        ));
        assert!(!may_write_customer_field(
            &[Role::Admin],
            "id",
            Writing::Create
        ));
    }
}
