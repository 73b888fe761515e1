//! Every route of every service declares who may call it; the audit endpoints route
//! as intended; roles see their own cut of a profile through the real handlers.

use crm_domain::security::{Action, Role, roles_for};
use crm_http::testing::{TestService, json};
use crm_http::{Access, Service, Subject};
use serde_json::json;

const SERVICES: [&Service; 5] = [
    &customer_profile::SERVICE,
    &interactions::SERVICE,
    &loyalty::SERVICE,
    &loan_preapproval::SERVICE,
    &recommendations::SERVICE,
];

/// Actions a customer token may perform that touch no one customer's data.
const CUSTOMER_WITHOUT_SUBJECT: [Action; 2] = [Action::CatalogueRead, Action::LoyaltyRulesRead];

#[test]
fn every_route_declares_an_action_and_only_health_is_anonymous() {
    for service in SERVICES {
        for route in service.routes {
            match route.access {
                Access::Undeclared => {
                    panic!("{} {} declares no action", route.method, route.pattern)
                }
                Access::Anonymous => assert!(
                    route.pattern.ends_with("/health"),
                    "{} is anonymous",
                    route.pattern
                ),
                Access::Action(action) => {
                    if roles_for(action).contains(&Role::Customer)
                        && !CUSTOMER_WITHOUT_SUBJECT.contains(&action)
                    {
                        assert_ne!(
                            route.subject,
                            Subject::None,
                            "{} is open to customers but says nothing of whose data it is",
                            route.pattern
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn audit_verify_is_not_mistaken_for_a_customer_called_audit() {
    let app = TestService::new(&customer_profile::SERVICE, "sec-routing");
    let auditor = app.as_user("aud-1", &["auditor"]);
    let r = auditor.get("/v1/customers/audit/verify");
    assert_eq!(r.status(), 200, "{}", json(&r));
    assert_eq!(json(&r)["ok"], true);
    // An admin may verify but not read a customer's trail.
    assert_eq!(app.get("/v1/customers/audit/verify").status(), 200);
    assert_eq!(
        app.get("/v1/customers/cus_01KAT0000000000000000000AB/audit")
            .status(),
        403
    );
}

#[test]
fn a_customer_record_is_cut_per_role_in_reads_and_lists() {
    let app = TestService::new(&customer_profile::SERVICE, "sec-fields");
    let created = app.post_json(
        "/v1/customers",
        &json!({
            "fullName": "Sun Yu", "dateOfBirth": "1980-02-03", "nationalId": "110101198002030055",
            "nationalIdCountry": "CN", "email": "sun@example.com", "segment": "retail",
            "riskTolerance": "balanced", "monthlyIncome": {"amount": 1_000_000, "currency": "CNY"},
            "totalAssets": {"amount": 1_000_000, "currency": "CNY"}, "creditScore": 700,
            "employmentStatus": "employed"
        }),
        &[("idempotency-key", "k1")],
    );
    assert_eq!(created.status(), 201, "{}", json(&created));
    let id = json(&created)["id"].as_str().expect("id").to_owned();
    let marketing = json(
        &app.as_user("m", &["marketing"])
            .get(&format!("/v1/customers/{id}")),
    );
    assert!(marketing.get("nationalId").is_none(), "{marketing}");
    assert!(marketing.get("monthlyIncome").is_none(), "{marketing}");
    let teller = json(
        &app.as_user("t", &["teller"])
            .get(&format!("/v1/customers/{id}")),
    );
    assert_eq!(teller["nationalId"], "**************0055");
    assert_eq!(teller["email"], "sun@example.com");
    assert!(teller.get("creditScore").is_none(), "{teller}");
    let listed = json(&app.as_user("t", &["teller"]).get("/v1/customers"));
    assert_eq!(listed["items"][0]["email"], "***********.com");
    let me = app.as_user(&id, &["customer"]);
    assert_eq!(me.get(&format!("/v1/customers/{id}")).status(), 200);
    assert_eq!(me.get("/v1/customers").status(), 403);
}
