//! Security end to end, through the host and the real components: who may call what,
//! what each role sees, a customer token confined to its own customer, an endpoint
//! that forgets its permission refused, and an audit trail that is complete and verifies.

use crm_e2e::{TestApp, TestResponse, repo_root};
use serde_json::{Value, json};

const ROLES: [&str; 12] = [
    "teller",
    "call_centre",
    "relationship_manager",
    "underwriter",
    "marketing",
    "risk_officer",
    "auditor",
    "admin",
    "customer",
    "kyc_officer",
    "core_banking",
    "scheduler",
];

fn cny(amount: i64) -> Value {
    json!({"amount": amount, "currency": "CNY"})
}

fn new_customer(app: &TestApp, n: usize) -> String {
    let r = app.post_json(
        "/v1/customers",
        &json!({
            "fullName": format!("Zhao Min {n:03}"),
            "dateOfBirth": "1985-06-01",
            "nationalId": format!("3101011985060{n:05}"),
            "nationalIdCountry": "CN",
            "email": format!("zhao{n}@example.com"),
            "phone": format!("+86138001380{n:02}"),
            "segment": "retail",
            "riskTolerance": "balanced",
            "kycStatus": "verified",
            "monthlyIncome": cny(3_000_000),
            "totalAssets": cny(10_000_000),
            "employmentStatus": "employed",
            // In the book of the relationship manager the matrix calls as (`{role}-1`).
            "relationshipManagerId": "relationship_manager-1"
        }),
        &[("idempotency-key", &format!("sec-customer-{n}"))],
    );
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().expect("id").to_owned()
}

fn contact(customer: &str, confidential: bool, subject: &str) -> Value {
    json!({
        "customerId": customer,
        "channel": "branch",
        "direction": "inbound",
        "type": "service_request",
        "subject": subject,
        "notes": "seen at the counter",
        "agentId": "agent-1",
        "occurredAt": "2026-11-20T10:00:00Z",
        "confidential": confidential,
    })
}

/// One call per endpoint family, with what the permission table says about it
/// (the grid in `shared/domain/src/security/tests.rs`, columns in [`ROLES`] order).
/// Writes use bodies that fail validation, or ids that name nothing, so an allowed
/// call changes nothing and a refused one is a 403 before any validation.
fn calls(c: &str) -> Vec<(&'static str, String, Option<Value>, &'static str)> {
    let body = |v: Value| Some(v);
    vec![
        (
            "POST",
            "/v1/customers".into(),
            body(json!({})),
            "x . x . . . . x . . . .",
        ),
        (
            "GET",
            "/v1/customers".into(),
            None,
            "x x x x x x x x . x . .",
        ),
        (
            "GET",
            "/v1/customers/segments/summary".into(),
            None,
            ". . x . x x x x . . . .",
        ),
        (
            "GET",
            format!("/v1/customers/{c}"),
            None,
            "x x x x x x x x x x . .",
        ),
        (
            "PATCH",
            format!("/v1/customers/{c}"),
            body(json!({"valueTier": "wealth"})),
            "x x x x . x . x . x . .",
        ),
        (
            "DELETE",
            "/v1/customers/cus_00000000000000000000000000".into(),
            None,
            ". . . . . . . x . . . .",
        ),
        (
            "GET",
            format!("/v1/customers/{c}/360"),
            None,
            "x x x x . x x x . . . .",
        ),
        (
            "GET",
            format!("/v1/customers/{c}/audit"),
            None,
            ". . . . . . x . . . . .",
        ),
        (
            "GET",
            "/v1/customers/audit/verify".into(),
            None,
            ". . . . . . x x . . . .",
        ),
        (
            "POST",
            "/v1/interactions".into(),
            body(json!({"customerId": c})),
            "x x x . . . . x . . . .",
        ),
        (
            "GET",
            format!("/v1/interactions?customerId={c}"),
            None,
            "x x x . . x x x x . . .",
        ),
        (
            "GET",
            "/v1/interactions/complaints".into(),
            None,
            ". x x . . x x x . . . .",
        ),
        (
            "GET",
            "/v1/interactions/surveys/summary".into(),
            None,
            ". . x . x x x x . . . .",
        ),
        (
            "POST",
            "/v1/interactions/surveys".into(),
            body(json!({"customerId": c})),
            "x x x . . . . x x . . .",
        ),
        (
            "GET",
            format!("/v1/loyalty/accounts/{c}"),
            None,
            "x x x . x . x x x . . .",
        ),
        (
            "GET",
            format!("/v1/loyalty/accounts/{c}/reconciliation"),
            None,
            ". . . . . x x x . . . .",
        ),
        (
            "POST",
            format!("/v1/loyalty/accounts/{c}/earn"),
            body(json!({})),
            "x x x . . . . x . . . .",
        ),
        (
            "POST",
            format!("/v1/loyalty/accounts/{c}/redeem"),
            body(json!({})),
            "x x x . . . . x x . . .",
        ),
        (
            "GET",
            "/v1/loyalty/rules".into(),
            None,
            "x x x x x x x x x x . .",
        ),
        (
            "PUT",
            "/v1/loyalty/rules".into(),
            body(json!({})),
            ". . . . x . . x . . . .",
        ),
        (
            "POST",
            "/v1/loans/quote".into(),
            body(json!({"customerId": c})),
            "x x x x . . . x x . . .",
        ),
        (
            "GET",
            "/v1/loans/policy".into(),
            None,
            "x x x x x x x x . x . .",
        ),
        (
            "PUT",
            "/v1/loans/policy".into(),
            body(json!({})),
            ". . . . . x . x . . . .",
        ),
        (
            "POST",
            "/v1/loans/applications".into(),
            body(json!({"customerId": c})),
            "x x x x . . . x x . . .",
        ),
        (
            "GET",
            "/v1/loans/applications".into(),
            None,
            "x x x x . x x x . . . .",
        ),
        (
            "GET",
            "/v1/recommendations/products".into(),
            None,
            "x x x x x x x x x x . .",
        ),
        (
            "PUT",
            "/v1/recommendations/products/NOPE".into(),
            body(json!({})),
            ". . . . x . . x . . . .",
        ),
        (
            "GET",
            "/v1/recommendations/stats".into(),
            None,
            ". . x . x x x x . . . .",
        ),
        (
            "GET",
            format!("/v1/recommendations/{c}"),
            None,
            "x x x . x . x x x . . .",
        ),
        (
            "POST",
            format!("/v1/recommendations/{c}/feedback"),
            body(json!({})),
            "x x x . . . . x x . . .",
        ),
        // The jobs the two service roles exist for: bodies missing `asOf` or `events`.
        (
            "POST",
            "/v1/engagement/events".into(),
            body(json!({})),
            ". . . . . . . x . . x .",
        ),
        (
            "POST",
            "/v1/engagement/churn/runs".into(),
            body(json!({})),
            ". . . . . . . x . . . x",
        ),
        (
            "POST",
            "/v1/customers/audit/seals".into(),
            None,
            ". . . . . . . x . . . x",
        ),
        (
            "GET",
            "/v1/interactions/complaints/figures".into(),
            None,
            ". x . . . x x x . . . .",
        ),
        (
            "GET",
            "/v1/loans/figures".into(),
            None,
            ". . . x x x x x . . . .",
        ),
        (
            "GET",
            "/v1/loyalty/figures".into(),
            None,
            ". . . . x x x x . . . .",
        ),
        (
            "POST",
            "/v1/loyalty/expiry-runs".into(),
            body(json!({})),
            ". . . . . . . x . . . x",
        ),
        (
            "GET",
            format!("/v1/engagement/churn/{c}"),
            None,
            ". . x . . x x x . . . .",
        ),
        (
            "GET",
            "/v1/engagement/tasks".into(),
            None,
            ". . x . . . x x . . . .",
        ),
    ]
}

#[test]
fn every_role_is_allowed_and_refused_exactly_what_the_permission_table_says_on_every_service() {
    let app = TestApp::spawn();
    let c = new_customer(&app, 1);
    let mut wrong = Vec::new();
    for (method, path, body, grid) in calls(&c) {
        let marks: Vec<&str> = grid.split_whitespace().collect();
        for (role, mark) in ROLES.iter().zip(marks) {
            // A customer token acts for customer `c`, so its own resources are in reach.
            let sub = if *role == "customer" {
                c.clone()
            } else {
                format!("{role}-1")
            };
            let caller = app.as_user(&sub, &[role]);
            let r = match &body {
                Some(b) => caller.json(method, &path, b, &[("idempotency-key", "matrix")]),
                None => caller.request(method, &path, None, &[]),
            };
            let refused = r.status == 403;
            if refused != (mark == ".") || r.status == 401 || r.status >= 500 {
                wrong.push(format!(
                    "{role} {method} {path}: {} (grid says {mark}) {}",
                    r.status,
                    r.text()
                ));
            } else if refused {
                r.assert_problem(403, "forbidden");
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_token_or_a_bad_one_is_401_invalid_token_with_a_bearer_challenge_and_health_stays_open() {
    let app = TestApp::spawn();
    for service in [
        "customers",
        "interactions",
        "loyalty",
        "loans",
        "recommendations",
    ] {
        let health = app.anonymous().get(&format!("/v1/{service}/health"));
        assert_eq!(health.status, 200, "{service}: {}", health.text());
    }
    let secret = crm_token::DEV_SECRET.as_bytes();
    let now = crm_token::now();
    let base = crm_token::dev_claims("teller-1", &["teller"]);
    let with = |k: &str, v: Value| {
        let mut claims = base.clone();
        claims[k] = v;
        claims
    };
    let none_alg = format!(
        "{}.{}.",
        crm_token::base64url(br#"{"alg":"none","typ":"JWT"}"#),
        crm_token::base64url(base.to_string().as_bytes())
    );
    let bad: Vec<(&str, Option<String>)> = vec![
        ("no header", None),
        (
            "not bearer",
            Some(format!("Basic {}", crm_token::base64("a:b".as_bytes()))),
        ),
        ("garbage", Some("Bearer not.a.token".into())),
        (
            "expired",
            Some(format!(
                "Bearer {}",
                crm_token::hs256(&with("exp", json!(now - 120)), secret)
            )),
        ),
        (
            "not yet valid",
            Some(format!(
                "Bearer {}",
                crm_token::hs256(&with("nbf", json!(now + 600)), secret)
            )),
        ),
        (
            "wrong issuer",
            Some(format!(
                "Bearer {}",
                crm_token::hs256(&with("iss", json!("https://evil")), secret)
            )),
        ),
        (
            "wrong audience",
            Some(format!(
                "Bearer {}",
                crm_token::hs256(&with("aud", json!("other")), secret)
            )),
        ),
        (
            "wrong secret",
            Some(format!(
                "Bearer {}",
                crm_token::hs256(&base, b"another-secret-of-at-least-32-bytes!!")
            )),
        ),
        ("alg none", Some(format!("Bearer {none_alg}"))),
        (
            "no roles",
            Some(format!(
                "Bearer {}",
                crm_token::hs256(&with("roles", json!([])), secret)
            )),
        ),
        (
            "unknown roles only",
            Some(format!(
                "Bearer {}",
                crm_token::hs256(&with("roles", json!(["root"])), secret)
            )),
        ),
    ];
    let c = new_customer(&app, 1);
    for (case, authorization) in bad {
        for path in [
            format!("/v1/customers/{c}"),
            format!("/v1/interactions?customerId={c}"),
            format!("/v1/loyalty/accounts/{c}"),
            "/v1/loans/policy".to_owned(),
            "/v1/recommendations/products".to_owned(),
        ] {
            let r = app.request_as(authorization.as_deref(), "GET", &path, None, &[]);
            let body = r.assert_problem(401, "invalid_token");
            assert_eq!(r.header("www-authenticate"), Some("Bearer"), "{case}");
            let detail = body["detail"].as_str().unwrap_or_default();
            for leak in ["expired", "issuer", "audience", "signature", "nbf"] {
                assert!(!detail.contains(leak), "{case}: {detail}");
            }
        }
    }
    // The logs say why, for operators, but never carry the token itself.
    let logs = app.component_stdout("customer-profile");
    assert!(logs.contains("invalid_token: expired"), "{logs}");
    assert!(!logs.contains("eyJ"), "a token reached the logs");
}

#[test]
fn an_eddsa_token_passes_when_a_public_key_is_configured_and_algorithm_confusion_does_not() {
    let keys = crm_token::ed25519_keypair([7; 32]);
    let pem = crm_token::ed25519_public_pem(&keys);
    let app = TestApp::spawn_with(&[("SPIN_VARIABLE_AUTH_JWT_PUBLIC_KEY", &pem)]);
    let claims = crm_token::dev_claims("rm-1", &["relationship_manager"]);
    let ok = app
        .with_token(&crm_token::eddsa(&claims, &keys))
        .get("/v1/loyalty/rules");
    assert_eq!(ok.status, 200, "{}", ok.text());
    // HS256 "signed" with the public key text as the secret: the classic confusion.
    let confused = crm_token::hs256(&claims, pem.as_bytes());
    app.with_token(&confused)
        .get("/v1/loyalty/rules")
        .assert_problem(401, "invalid_token");
    // An ES256 header over an Ed25519 signature is not an algorithm we take.
    let es = crm_token::sign_eddsa(&json!({"alg": "ES256"}), &claims, &keys);
    app.with_token(&es)
        .get("/v1/loyalty/rules")
        .assert_problem(401, "invalid_token");
    // Another key pair's signature does not verify.
    let other = crm_token::eddsa(&claims, &crm_token::ed25519_keypair([8; 32]));
    app.with_token(&other)
        .get("/v1/loyalty/rules")
        .assert_problem(401, "invalid_token");
}

#[test]
fn a_customer_token_reaches_its_own_customer_and_never_another() {
    let app = TestApp::spawn();
    let mine = new_customer(&app, 1);
    let other = new_customer(&app, 2);
    let lpa = |c: &str, key: &str| {
        let r = app.post_json(
            "/v1/loans/applications",
            &json!({"customerId": c, "product": "personal", "amount": cny(5_000_000),
                    "termMonths": 24, "purpose": "car", "monthlyIncome": cny(3_000_000),
                    "monthlyDebtPayments": cny(0), "creditScore": 720,
                    "employmentStatus": "employed", "employmentMonths": 48}),
            &[("idempotency-key", key)],
        );
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["id"].as_str().expect("id").to_owned()
    };
    let my_loan = lpa(&mine, "l1");
    let other_loan = lpa(&other, "l2");
    let me = app.as_user(&mine, &["customer"]);
    for path in [
        format!("/v1/customers/{mine}"),
        format!("/v1/interactions?customerId={mine}"),
        format!("/v1/loyalty/accounts/{mine}"),
        format!("/v1/recommendations/{mine}"),
        format!("/v1/loans/applications/{my_loan}"),
    ] {
        let r = me.get(&path);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
    }
    for path in [
        format!("/v1/customers/{other}"),
        format!("/v1/interactions?customerId={other}"),
        format!("/v1/loyalty/accounts/{other}"),
        format!("/v1/loyalty/accounts/{other}/ledger"),
        format!("/v1/recommendations/{other}"),
        format!("/v1/loans/applications/{other_loan}"),
    ] {
        me.get(&path).assert_problem(403, "forbidden");
    }
    me.post_json(
        "/v1/loans/applications",
        &json!({"customerId": other}),
        &[("idempotency-key", "x")],
    )
    .assert_problem(403, "forbidden");
    me.post_json(
        &format!("/v1/loans/applications/{other_loan}/transitions"),
        &json!({"to": "withdrawn"}),
        &[("if-match", "\"1\"")],
    )
    .assert_problem(403, "forbidden");
    // The customer's own view leaves out the bank's internal assessments.
    let own = me.get(&format!("/v1/customers/{mine}")).json();
    assert!(own.get("nationalId").is_some(), "{own}");
    assert!(
        own.get("creditScore").is_none() && own.get("tags").is_none(),
        "{own}"
    );
}

#[test]
fn each_role_sees_only_its_fields_and_confidential_contacts_only_with_the_right() {
    let app = TestApp::spawn();
    let c = new_customer(&app, 1);
    for (key, confidential, subject) in [
        ("i1", false, "Card PIN reset"),
        ("i2", true, "Fraud suspicion"),
    ] {
        let r = app.post_json(
            "/v1/interactions",
            &contact(&c, confidential, subject),
            &[("idempotency-key", key)],
        );
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let profile = |role: &str| {
        app.as_user(&format!("{role}-1"), &[role])
            .get(&format!("/v1/customers/{c}"))
            .json()
    };
    let marketing = profile("marketing");
    for hidden in [
        "nationalId",
        "monthlyIncome",
        "totalAssets",
        "creditScore",
        "dateOfBirth",
    ] {
        assert!(
            marketing.get(hidden).is_none(),
            "marketing sees {hidden}: {marketing}"
        );
    }
    assert!(
        marketing["email"]
            .as_str()
            .is_some_and(|e| e.starts_with("****")),
        "{marketing}"
    );
    let teller = profile("teller");
    assert!(
        teller["nationalId"]
            .as_str()
            .is_some_and(|n| n.starts_with("****") && n.ends_with("0001")),
        "{teller}"
    );
    assert!(
        teller["email"].as_str().is_some_and(|e| e.contains('@')),
        "{teller}"
    );
    assert!(teller.get("monthlyIncome").is_none(), "{teller}");
    let auditor = profile("auditor");
    assert_eq!(auditor["nationalId"], "310101198506000001");
    assert!(auditor.get("monthlyIncome").is_some());

    let subjects = |role: &str| -> (Vec<String>, Vec<String>) {
        let caller = app.as_user(&format!("{role}-1"), &[role]);
        let timeline = caller
            .get(&format!("/v1/interactions?customerId={c}"))
            .json();
        let view = caller.get(&format!("/v1/customers/{c}/360")).json();
        let pick = |items: &Value| {
            items.as_array().map_or_else(Vec::new, |a| {
                a.iter().map(|i| i["confidential"].to_string()).collect()
            })
        };
        (
            pick(&timeline["items"]),
            pick(&view["interactions"]["recent"]),
        )
    };
    assert_eq!(
        subjects("teller"),
        (vec!["false".to_owned()], vec!["false".to_owned()])
    );
    let (timeline, recent) = subjects("relationship_manager");
    assert_eq!((timeline.len(), recent.len()), (2, 2));
}

#[test]
fn an_endpoint_without_a_declared_permission_is_refused_to_everyone() {
    let manifest = repo_root().join("tests/fixtures/guarded/spin.toml");
    let app = TestApp::spawn_manifest(&manifest, &[]);
    assert_eq!(app.anonymous().get("/guarded/health").status, 200);
    let declared = app.get("/guarded/declared");
    assert_eq!(declared.status, 200, "{}", declared.text());
    assert_eq!(declared.json()["actor"], "dev-admin");
    app.get("/guarded/undeclared")
        .assert_problem(403, "permission_not_declared");
    for role in ROLES {
        // A customer token names a customer id; staff tokens name anyone.
        let sub = if role == "customer" {
            "cus_01KAT0000000000000000000AB"
        } else {
            "someone"
        };
        app.as_user(sub, &[role])
            .get("/guarded/undeclared")
            .assert_problem(403, "permission_not_declared");
    }
    app.anonymous()
        .get("/guarded/undeclared")
        .assert_problem(401, "invalid_token");
}

#[test]
fn the_host_refuses_to_start_without_the_required_auth_variables() {
    let err = TestApp::try_spawn_bare(&[])
        .err()
        .expect("the host must not start");
    for name in [
        "auth_jwt_hs256_secret",
        "auth_issuer",
        "auth_audience",
        "audit_hmac_key",
    ] {
        assert!(err.contains(name), "{err}");
    }
}

#[test]
fn oversized_headers_are_refused_with_431_before_anything_else() {
    let app = TestApp::spawn();
    let big = "x".repeat(7 * 1024);
    let r: TestResponse = app.request(
        "GET",
        "/v1/loyalty/rules",
        None,
        &[("x-a", &big), ("x-b", &big), ("x-c", &big)],
    );
    r.assert_problem(431, "headers_too_large");
}

#[test]
fn log_lines_carry_the_actor_and_request_id_and_never_personal_values_or_secrets() {
    let app = TestApp::spawn();
    let c = new_customer(&app, 1);
    let r = app.as_user("teller-9", &["teller"]).request(
        "GET",
        &format!("/v1/customers/{c}"),
        None,
        &[("x-request-id", "req-sec-1")],
    );
    assert_eq!(r.status, 200);
    let logs = app.component_stdout("customer-profile");
    let line = logs
        .lines()
        .find(|l| l.contains("req-sec-1"))
        .unwrap_or_else(|| panic!("no log line for the request: {logs}"));
    let parsed: Value = serde_json::from_str(line).expect("JSON log line");
    assert_eq!(parsed["actor"], "teller-9");
    for secret in [
        crm_token::DEV_SECRET,
        "Zhao Min",
        "310101198506000001",
        "zhao1@example.com",
        "Bearer",
    ] {
        assert!(!logs.contains(secret), "{secret} in the logs");
    }
}

/// SQL is only ever sent with bound parameters: a `format!` whose text is SQL may
/// splice in constant fragments (ALL_CAPS constants, or the allow-listed builders below
/// that join constant clauses), never a value.
#[test]
fn no_shipped_code_builds_sql_text_from_values() {
    const KEYWORDS: [&str; 6] = [
        "SELECT ", "INSERT ", "UPDATE ", "DELETE ", " WHERE ", "PRAGMA ",
    ];
    // (file, placeholder, why it is safe)
    const ALLOWED: [(&str, &str, &str); 3] = [
        (
            "components/customer-profile/src/search.rs",
            "{activity}",
            "a constant SQL expression",
        ),
        (
            "components/customer-profile/src/search.rs",
            "{}",
            "constant clauses joined with AND; values are bound",
        ),
        (
            "components/customer-profile/src/repo.rs",
            "{}",
            "LAST_ACTIVITY_SQL, a constant expression",
        ),
    ];
    let migrations = (
        "shared/store/src/migrations.rs",
        "{header}",
        "PRAGMA takes no parameters; the header is our own integer (count and fingerprint)",
    );
    let mut offences = Vec::new();
    let mut files = Vec::new();
    for top in ["components", "shared"] {
        collect_rs(&repo_root().join(top), &mut files);
    }
    for file in files {
        let rel = file
            .strip_prefix(repo_root())
            .unwrap_or(&file)
            .to_string_lossy()
            .replace('\\', "/");
        if rel.contains("/tests/") || rel.ends_with("/tests.rs") || rel.contains("testing.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        // Code after `#[cfg(test)]` is test code, not shipped.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        let mut rest = text;
        while let Some(at) = rest.find("format!(") {
            let call = &rest[at..];
            let end = matching_paren(call).unwrap_or(call.len());
            let body = &call[..end];
            rest = &call[end.min(call.len())..];
            let upper = body.to_ascii_uppercase();
            if !KEYWORDS.iter().any(|k| upper.contains(k)) {
                continue;
            }
            for placeholder in placeholders(body) {
                let name = placeholder.trim_matches(|c| c == '{' || c == '}');
                let name = name.split(':').next().unwrap_or_default();
                let constant = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit());
                let allowed = ALLOWED
                    .iter()
                    .chain([&migrations])
                    .any(|(f, p, _)| *f == rel && *p == placeholder);
                if !constant && !allowed {
                    offences.push(format!(
                        "{rel}: {placeholder} in {}",
                        body.lines().next().unwrap_or_default()
                    ));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "SQL built from values:\n{}",
        offences.join("\n")
    );
}

fn collect_rs(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("target") {
                collect_rs(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn matching_paren(call: &str) -> Option<usize> {
    let mut depth = 0;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in call.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// The `{…}` placeholders of the string literals in a `format!` call (`{{` escapes skipped).
fn placeholders(call: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_string = false;
    let chars: Vec<char> = call.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '"' && (i == 0 || chars[i - 1] != '\\') {
            in_string = !in_string;
        } else if in_string && c == '{' {
            if chars.get(i + 1) == Some(&'{') {
                i += 2;
                continue;
            }
            let end = chars[i..].iter().position(|&c| c == '}').map(|p| i + p);
            if let Some(end) = end {
                out.push(chars[i..=end].iter().collect());
                i = end;
            }
        }
        i += 1;
    }
    out
}

#[test]
fn the_sql_grep_catches_a_value_spliced_into_sql() {
    let bad = r#"format!("SELECT * FROM customers WHERE id = '{id}'")"#;
    assert_eq!(placeholders(bad), ["{id}"]);
    let fine = r#"format!("SELECT {COLUMNS} FROM t WHERE id = ?")"#;
    assert_eq!(placeholders(fine), ["{COLUMNS}"]);
    assert_eq!(placeholders(r#"format!("{{literal}} {x:02}")"#), ["{x:02}"]);
}
