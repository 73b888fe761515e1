use super::*;

/// The permission table written out again, by hand, as the README documents it:
/// columns are teller, call_centre, relationship_manager, underwriter, marketing,
/// risk_officer, auditor, admin, customer, kyc_officer, core_banking, scheduler. A
/// change to the table must change this too.
const GRID: &str = "
customer.create          x . x . . . . x . . . .
customer.list            x x x x x x x x . x . .
customer.summary         . . x . x x x x . . . .
customer.read            x x x x x x x x x x . .
customer.update          x x x x . x . x . x . .
customer.erase           . . . . . . . x . . . .
customer.view360         x x x x . x x x . . . .
audit.read               . . . . . . x . . . . .
audit.verify             . . . . . . x x . . . .
audit.seal               . . . . . . . x . . . x
interaction.create       x x x . . . . x . . . .
interaction.timeline     x x x . . x x x x . . .
interaction.read         x x x . . x x x . . . .
interaction.confidential . . x . . . x x . . . .
complaint.list           . x x . . x x x . . . .
complaint.read           x x x . . x x x . . . .
complaint.transition     . x x . . x . x . . . .
complaint.figures        . x . . . x x x . . . .
survey.create            x x x . . . . x x . . .
survey.read              . x x . x x x x . . . .
survey.summary           . . x . x x x x . . . .
loyalty.account.read     x x x . x . x x x . . .
loyalty.reconcile        . . . . . x x x . . . .
loyalty.earn             x x x . . . . x . . . .
loyalty.redeem           x x x . . . . x x . . .
loyalty.adjust           . x x . . . . x . . . .
loyalty.entry.read       x x x . . x x x . . . .
loyalty.reverse          . x x . . x . x . . . .
loyalty.rules.read       x x x x x x x x x x . .
loyalty.rules.write      . . . . x . . x . . . .
loyalty.expiry.run       . . . . . . . x . . . x
loyalty.figures          . . . . x x x x . . . .
loan.quote               x x x x . . . x x . . .
loan.policy.read         x x x x x x x x . x . .
loan.policy.write        . . . . . x . x . . . .
loan.apply               x x x x . . . x x . . .
loan.list                x x x x . x x x . . . .
loan.read                x x x x . x x x x . . .
loan.transition          x x x x . x . x x . . .
loan.decide              . . . x . x . x . . . .
loan.replay              . . . x . x x x . . . .
loan.figures             . . . x x x x x . . . .
offer.read               x x x . x . x x x . . .
offer.feedback           x x x . . . . x x . . .
catalogue.read           x x x x x x x x x x . .
catalogue.write          . . . . x . . x . . . .
offer.stats              . . x . x x x x . . . .
engagement.event.ingest  . . . . . . . x . . x .
engagement.rules.read    . . x . x x x x . . . .
engagement.rules.write   . . . . x . . x . . . .
engagement.alert.list    . . x . . x x x . . . .
engagement.alert.read    . . x . . x x x . . . .
engagement.alert.act     . . x . . . . x . . . .
engagement.task.create   x x x . . . . x . . . .
engagement.task.list     . . x . . . x x . . . .
engagement.task.read     x x x . . . x x . . . .
engagement.task.transition x x x . . . . x . . . .
engagement.task.handover . . . . . . . x . . . .
engagement.churn.read    . . x . . x x x . . . .
engagement.churn.list    . . x . . x x x . . . .
engagement.churn.run     . . . . . . . x . . . x
";

const COLUMNS: [Role; 12] = [
    Role::Teller,
    Role::CallCentre,
    Role::RelationshipManager,
    Role::Underwriter,
    Role::Marketing,
    Role::RiskOfficer,
    Role::Auditor,
    Role::Admin,
    Role::Customer,
    Role::KycOfficer,
    Role::CoreBanking,
    Role::Scheduler,
];

#[test]
fn every_action_and_role_is_allowed_exactly_as_the_documented_grid_says() {
    let mut seen = Vec::new();
    for line in GRID.lines().filter(|l| !l.trim().is_empty()) {
        let mut cells = line.split_whitespace();
        let name = cells.next().unwrap_or_default();
        let action = Action::parse(name).unwrap_or_else(|| panic!("unknown action {name}"));
        let marks: Vec<&str> = cells.collect();
        assert_eq!(marks.len(), COLUMNS.len(), "{name}");
        for (role, mark) in COLUMNS.iter().zip(&marks) {
            assert_eq!(
                allows(&[*role], action),
                *mark == "x",
                "{name} for {role}: the grid says {mark}"
            );
        }
        seen.push(action);
    }
    for action in Action::ALL {
        assert!(seen.contains(action), "{action} is missing from the grid");
        assert_eq!(
            PERMISSIONS.iter().filter(|(a, _, _)| a == action).count(),
            1,
            "{action} must have exactly one row in the table"
        );
    }
}

#[test]
fn no_role_at_all_may_do_nothing() {
    for action in Action::ALL {
        assert!(!allows(&[], *action), "{action}");
    }
}

#[test]
fn several_roles_add_up_their_permissions() {
    assert!(!allows(&[Role::Marketing], Action::LoanDecide));
    assert!(allows(
        &[Role::Marketing, Role::Underwriter],
        Action::LoanDecide
    ));
}

#[test]
fn a_service_token_starts_its_own_jobs_and_reads_no_customer_field() {
    let jobs = |role: Role| -> Vec<Action> {
        Action::ALL
            .iter()
            .copied()
            .filter(|a| allows(&[role], *a))
            .collect()
    };
    assert_eq!(jobs(Role::CoreBanking), [Action::EngagementEventIngest]);
    assert_eq!(
        jobs(Role::Scheduler),
        [
            Action::AuditSeal,
            Action::LoyaltyExpiryRun,
            Action::EngagementChurnRun
        ]
    );
    // Only the record fields every role sees (id, status, dates…), and none of them
    // can read a customer to see those.
    for role in [Role::CoreBanking, Role::Scheduler] {
        for field in CUSTOMER_FIELDS {
            if customer_field(&[role], field) != Visibility::Omit {
                let everyone = Role::ALL
                    .iter()
                    .all(|r| customer_field(&[*r], field) != Visibility::Omit);
                assert!(everyone, "{role} sees {field}");
            }
        }
        assert!(!allows(&[role], Action::CustomerRead), "{role}");
    }
}

#[test]
fn auditors_read_everything_and_change_nothing() {
    for action in Action::ALL {
        let write = action.audit() == Audit::Write || *action == Action::LoanDecide;
        let reads_stored_data = !write && *action != Action::LoanQuote;
        assert_eq!(
            allows(&[Role::Auditor], *action),
            reads_stored_data,
            "{action}"
        );
    }
}

#[test]
fn every_write_is_audited() {
    for action in [
        Action::CustomerCreate,
        Action::CustomerUpdate,
        Action::CustomerErase,
        Action::InteractionCreate,
        Action::LoyaltyRedeem,
        Action::LoanApply,
        Action::LoanTransition,
        Action::CatalogueWrite,
    ] {
        assert_eq!(action.audit(), Audit::Write, "{action}");
    }
    for action in [
        Action::CustomerRead,
        Action::CustomerView360,
        Action::InteractionTimeline,
    ] {
        assert_eq!(action.audit(), Audit::Read, "{action}");
    }
}

#[test]
fn every_customer_field_is_decided_for_every_role_and_unknown_fields_are_omitted() {
    for role in Role::ALL {
        assert_eq!(customer_field(&[*role], "somethingNew"), Visibility::Omit);
        assert_eq!(customer_field(&[*role], "id"), Visibility::Show, "{role}");
    }
    assert_eq!(customer_field(&[], "id"), Visibility::Omit);
    assert_eq!(CUSTOMER_FIELDS.len(), 25);
}

#[test]
fn marketing_never_sees_the_national_id_or_exact_income() {
    for field in [
        "nationalId",
        "monthlyIncome",
        "totalAssets",
        "creditScore",
        "dateOfBirth",
        "address",
    ] {
        assert_eq!(
            customer_field(&[Role::Marketing], field),
            Visibility::Omit,
            "{field}"
        );
    }
    assert_eq!(
        customer_field(&[Role::Marketing], "email"),
        Visibility::Mask
    );
}

#[test]
fn tellers_see_contact_details_and_only_the_last_digits_of_the_national_id() {
    for field in ["fullName", "email", "phone", "address"] {
        assert_eq!(
            customer_field(&[Role::Teller], field),
            Visibility::Show,
            "{field}"
        );
    }
    assert_eq!(
        customer_field(&[Role::Teller], "nationalId"),
        Visibility::Mask
    );
    assert_eq!(
        customer_field(&[Role::Teller], "monthlyIncome"),
        Visibility::Omit
    );
}

#[test]
fn auditors_and_underwriters_see_every_field() {
    for field in CUSTOMER_FIELDS {
        for role in [Role::Auditor, Role::Underwriter, Role::Admin] {
            assert_eq!(customer_field(&[role], field), Visibility::Show, "{field}");
        }
    }
}

#[test]
fn the_most_open_of_several_roles_wins() {
    assert_eq!(
        customer_field(&[Role::Marketing, Role::Teller], "email"),
        Visibility::Show
    );
    assert_eq!(
        customer_field(&[Role::Marketing, Role::Teller], "nationalId"),
        Visibility::Mask
    );
}

#[test]
fn a_customer_sees_their_own_data_but_not_the_banks_assessments() {
    assert_eq!(
        customer_field(&[Role::Customer], "nationalId"),
        Visibility::Show
    );
    for field in ["creditScore", "tags", "possibleDuplicateOf"] {
        assert_eq!(
            customer_field(&[Role::Customer], field),
            Visibility::Omit,
            "{field}"
        );
    }
}
