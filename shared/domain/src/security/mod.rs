//! Who may do what: the roles a token can carry, every action an endpoint performs,
//! the one permission table (action × role), and which customer fields each role may
//! see. Plain data and rules, decided here once; `crm-http` enforces them at the edge.

mod fields;
mod permissions;
mod writes;

pub use fields::{CUSTOMER_FIELDS, Visibility, customer_field};
pub use permissions::{Audit, PERMISSIONS, allows, roles_for};
pub use writes::{CUSTOMER_WRITES, Writing, may_write_customer_field};

use crate::closed_enum;

closed_enum!(
    /// A role a caller's token carries (`roles` claim). Unknown names in a token are ignored.
    Role {
        Teller = "teller",
        CallCentre = "call_centre",
        RelationshipManager = "relationship_manager",
        Underwriter = "underwriter",
        Marketing = "marketing",
        RiskOfficer = "risk_officer",
        Auditor = "auditor",
        Admin = "admin",
        /// Compliance: verifies customers (KYC status) and their identity documents.
        KycOfficer = "kyc_officer",
        /// A channel app acting for the logged-in customer: only that customer's data.
        Customer = "customer",
        /// Core banking's feed: sends account events, reads nothing.
        CoreBanking = "core_banking",
        /// A scheduler's service token: starts the runs (churn, points expiry, audit
        /// seals), reads nothing.
        Scheduler = "scheduler",
    }
);

closed_enum!(
    /// Everything an endpoint does, plus a few rights checked inside a handler
    /// (`interaction.confidential`, `loan.decide`). Each route declares one.
    Action {
        CustomerCreate = "customer.create",
        CustomerList = "customer.list",
        CustomerSummary = "customer.summary",
        CustomerRead = "customer.read",
        CustomerUpdate = "customer.update",
        CustomerErase = "customer.erase",
        CustomerView360 = "customer.view360",
        AuditRead = "audit.read",
        AuditVerify = "audit.verify",
        /// Sealing not-yet-chained audit records into the keyed chain (a scheduler's job).
        AuditSeal = "audit.seal",
        InteractionCreate = "interaction.create",
        InteractionTimeline = "interaction.timeline",
        InteractionRead = "interaction.read",
        /// The right to see confidential interactions at all (timeline, read, 360 view).
        InteractionConfidential = "interaction.confidential",
        ComplaintList = "complaint.list",
        ComplaintRead = "complaint.read",
        ComplaintTransition = "complaint.transition",
        /// Complaint figures: cases by category, SLA, time to resolve, repeats.
        ComplaintFigures = "complaint.figures",
        SurveyCreate = "survey.create",
        SurveyRead = "survey.read",
        SurveySummary = "survey.summary",
        LoyaltyAccountRead = "loyalty.account.read",
        LoyaltyReconcile = "loyalty.reconcile",
        LoyaltyEarn = "loyalty.earn",
        LoyaltyRedeem = "loyalty.redeem",
        LoyaltyAdjust = "loyalty.adjust",
        LoyaltyEntryRead = "loyalty.entry.read",
        LoyaltyReverse = "loyalty.reverse",
        LoyaltyRulesRead = "loyalty.rules.read",
        LoyaltyRulesWrite = "loyalty.rules.write",
        LoyaltyExpiryRun = "loyalty.expiry.run",
        /// The programme's figures: liability, monthly flows, redemption rate, tiers.
        LoyaltyFigures = "loyalty.figures",
        LoanQuote = "loan.quote",
        LoanPolicyRead = "loan.policy.read",
        LoanPolicyWrite = "loan.policy.write",
        LoanApply = "loan.apply",
        LoanList = "loan.list",
        LoanRead = "loan.read",
        LoanTransition = "loan.transition",
        /// The right to move an application to `approved` or `declined`.
        LoanDecide = "loan.decide",
        LoanReplay = "loan.replay",
        /// Credit figures: applications, decisions, conversion, four-eyes turnaround.
        LoanFigures = "loan.figures",
        OfferRead = "offer.read",
        OfferFeedback = "offer.feedback",
        CatalogueRead = "catalogue.read",
        CatalogueWrite = "catalogue.write",
        OfferStats = "offer.stats",
        /// Account events from core banking (a service token with the admin role).
        EngagementEventIngest = "engagement.event.ingest",
        EngagementRulesRead = "engagement.rules.read",
        EngagementRulesWrite = "engagement.rules.write",
        EngagementAlertList = "engagement.alert.list",
        EngagementAlertRead = "engagement.alert.read",
        /// Acknowledge, dismiss or convert an alert into a task.
        EngagementAlertAct = "engagement.alert.act",
        EngagementTaskCreate = "engagement.task.create",
        EngagementTaskList = "engagement.task.list",
        EngagementTaskRead = "engagement.task.read",
        EngagementTaskTransition = "engagement.task.transition",
        /// Move a departing relationship manager's open tasks and customers to another.
        EngagementTaskHandover = "engagement.task.handover",
        /// One customer's churn score, explained.
        EngagementChurnRead = "engagement.churn.read",
        /// A book's at-risk list, from the latest run's scores.
        EngagementChurnList = "engagement.churn.list",
        /// A churn run: scores customers and creates retention tasks (a scheduler's job).
        EngagementChurnRun = "engagement.churn.run",
    }
);

#[cfg(test)]
mod tests;
