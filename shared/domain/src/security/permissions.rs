//! The permission table: for every action, the roles that may perform it and whether
//! performing it leaves an audit record. Deny by default: an action or role not listed
//! is refused. Documented in `docs/security.md`.

use super::{Action, Role};

/// Whether performing an action appends an audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audit {
    /// Nothing recorded: reads of lists, aggregates, catalogues and rules.
    No,
    /// A read of one customer's personal data (profile, 360 view, timeline…).
    Read,
    /// Any change.
    Write,
}

use Role::{
    Admin as AD, Auditor as A, CallCentre as C, CoreBanking as CB, Customer as CU, KycOfficer as K,
    Marketing as M, RelationshipManager as RM, RiskOfficer as R, Scheduler as S, Teller as T,
    Underwriter as U,
};

// People. The two service roles (core banking's feed, the scheduler) are in no list:
// a machine token may start its own job and nothing else, so a leaked one cannot read
// or change anyone's data.
const EVERY_STAFF_ROLE: &[Role] = &[T, C, RM, U, M, R, A, AD, K];
const EVERYONE: &[Role] = &[T, C, RM, U, M, R, A, AD, K, CU];

/// The table itself: action, the roles allowed, and what is audited.
pub const PERMISSIONS: &[(Action, &[Role], Audit)] = &[
    (Action::CustomerCreate, &[T, RM, AD], Audit::Write),
    // A page of customers is personal data too: recorded with its filter and count.
    (Action::CustomerList, EVERY_STAFF_ROLE, Audit::Read),
    (Action::CustomerSummary, &[RM, M, R, A, AD], Audit::No),
    (Action::CustomerRead, EVERYONE, Audit::Read),
    // Which members each role may set is `writes::CUSTOMER_WRITES`; underwriters and risk
    // officers update the bank's own figures (score, income, assets), KYC officers the
    // KYC status and identity documents.
    (
        Action::CustomerUpdate,
        &[T, C, RM, U, R, AD, K],
        Audit::Write,
    ),
    (Action::CustomerErase, &[AD], Audit::Write),
    (
        Action::CustomerView360,
        &[T, C, RM, U, R, A, AD],
        Audit::Read,
    ),
    (Action::AuditRead, &[A], Audit::Read),
    (Action::AuditVerify, &[A, AD], Audit::No),
    (Action::AuditSeal, &[AD, S], Audit::Write),
    (Action::InteractionCreate, &[T, C, RM, AD], Audit::Write),
    (
        Action::InteractionTimeline,
        &[T, C, RM, R, A, AD, CU],
        Audit::Read,
    ),
    (Action::InteractionRead, &[T, C, RM, R, A, AD], Audit::Read),
    (Action::InteractionConfidential, &[RM, A, AD], Audit::No),
    (Action::ComplaintList, &[C, RM, R, A, AD], Audit::Read),
    (Action::ComplaintRead, &[T, C, RM, R, A, AD], Audit::Read),
    (Action::ComplaintTransition, &[C, RM, R, AD], Audit::Write),
    (Action::ComplaintFigures, &[C, R, A, AD], Audit::No),
    (Action::SurveyCreate, &[T, C, RM, AD, CU], Audit::Write),
    (Action::SurveyRead, &[C, RM, M, R, A, AD], Audit::Read),
    (Action::SurveySummary, &[RM, M, R, A, AD], Audit::No),
    (
        Action::LoyaltyAccountRead,
        &[T, C, RM, M, A, AD, CU],
        Audit::Read,
    ),
    (Action::LoyaltyReconcile, &[R, A, AD], Audit::Read),
    (Action::LoyaltyEarn, &[T, C, RM, AD], Audit::Write),
    (Action::LoyaltyRedeem, &[T, C, RM, AD, CU], Audit::Write),
    (Action::LoyaltyAdjust, &[C, RM, AD], Audit::Write),
    (Action::LoyaltyEntryRead, &[T, C, RM, R, A, AD], Audit::Read),
    (Action::LoyaltyReverse, &[C, RM, R, AD], Audit::Write),
    (Action::LoyaltyRulesRead, EVERYONE, Audit::No),
    (Action::LoyaltyRulesWrite, &[M, AD], Audit::Write),
    (Action::LoyaltyExpiryRun, &[AD, S], Audit::Write),
    // Aggregates over every account, no customer's data: not audited.
    (Action::LoyaltyFigures, &[M, R, A, AD], Audit::No),
    (Action::LoanQuote, &[T, C, RM, U, AD, CU], Audit::No),
    (Action::LoanPolicyRead, EVERY_STAFF_ROLE, Audit::No),
    (Action::LoanPolicyWrite, &[R, AD], Audit::Write),
    (Action::LoanApply, &[T, C, RM, U, AD, CU], Audit::Write),
    (Action::LoanList, &[T, C, RM, U, R, A, AD], Audit::Read),
    (Action::LoanRead, &[T, C, RM, U, R, A, AD, CU], Audit::Read),
    (
        Action::LoanTransition,
        &[T, C, RM, U, R, AD, CU],
        Audit::Write,
    ),
    (Action::LoanDecide, &[U, R, AD], Audit::No),
    (Action::LoanReplay, &[U, R, A, AD], Audit::Read),
    (Action::LoanFigures, &[U, M, R, A, AD], Audit::No),
    (Action::OfferRead, &[T, C, RM, M, A, AD, CU], Audit::Read),
    (Action::OfferFeedback, &[T, C, RM, AD, CU], Audit::Write),
    (Action::CatalogueRead, EVERYONE, Audit::No),
    (Action::CatalogueWrite, &[M, AD], Audit::Write),
    (Action::OfferStats, &[RM, M, R, A, AD], Audit::No),
    // A batch touches many customers: one record with its counts, and one in the trail
    // of each customer it changed (`Ctx::record_customer_touched`).
    (Action::EngagementEventIngest, &[AD, CB], Audit::Write),
    (Action::EngagementRulesRead, &[RM, M, R, A, AD], Audit::No),
    (Action::EngagementRulesWrite, &[M, AD], Audit::Write),
    (Action::EngagementAlertList, &[RM, R, A, AD], Audit::Read),
    (Action::EngagementAlertRead, &[RM, R, A, AD], Audit::Read),
    (Action::EngagementAlertAct, &[RM, AD], Audit::Write),
    (Action::EngagementTaskCreate, &[T, C, RM, AD], Audit::Write),
    (Action::EngagementTaskList, &[RM, A, AD], Audit::Read),
    (Action::EngagementTaskRead, &[T, C, RM, A, AD], Audit::Read),
    (
        Action::EngagementTaskTransition,
        &[T, C, RM, AD],
        Audit::Write,
    ),
    (Action::EngagementTaskHandover, &[AD], Audit::Write),
    (Action::EngagementChurnRead, &[RM, R, A, AD], Audit::Read),
    (Action::EngagementChurnList, &[RM, R, A, AD], Audit::Read),
    (Action::EngagementChurnRun, &[AD, S], Audit::Write),
];

fn row(action: Action) -> Option<&'static (Action, &'static [Role], Audit)> {
    PERMISSIONS.iter().find(|(a, _, _)| *a == action)
}

/// The roles that may perform `action` (none when the table forgets it: deny by default).
pub fn roles_for(action: Action) -> &'static [Role] {
    row(action).map_or(&[], |(_, roles, _)| roles)
}

/// Whether any of `roles` may perform `action`.
pub fn allows(roles: &[Role], action: Action) -> bool {
    let allowed = roles_for(action);
    roles.iter().any(|r| allowed.contains(r))
}

impl Action {
    /// What performing this action leaves in the audit trail.
    pub fn audit(self) -> Audit {
        row(self).map_or(Audit::Write, |(_, _, audit)| *audit)
    }
}
