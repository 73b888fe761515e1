//! Token validation, the one authorisation check in `serve`, fail-closed routes and
//! field visibility, natively.

use crm_domain::security::{Action, Role};
use crm_http::auth::{Keys, Refused, customer_view, jwt};
use crm_http::testing::{
    TEST_AUDIENCE, TEST_ISSUER, TEST_SECRET, TestService, base64url, claims, json, sign_hs256,
    token,
};
use crm_http::{ApiResult, Ctx, Route, Service, json_response};
use http::StatusCode;
use serde_json::{Value, json};

const NOW: i64 = 1_800_000_000;

fn keys() -> Keys {
    Keys {
        hs256_secret: Some(TEST_SECRET.as_bytes().to_vec()),
        ed25519: None,
        issuer: TEST_ISSUER.into(),
        audience: TEST_AUDIENCE.into(),
    }
}

fn valid_claims() -> Value {
    json!({"iss": TEST_ISSUER, "aud": TEST_AUDIENCE, "sub": "teller-1",
           "roles": ["teller"], "exp": NOW + 300, "nbf": NOW - 10})
}

fn hs(claims: &Value) -> String {
    sign_hs256(
        &json!({"alg": "HS256", "typ": "JWT"}),
        claims,
        TEST_SECRET.as_bytes(),
    )
}

fn with(key: &str, value: Value) -> Value {
    let mut c = valid_claims();
    c[key] = value;
    c
}

fn without(key: &str) -> Value {
    let mut c = valid_claims();
    if let Some(map) = c.as_object_mut() {
        map.remove(key);
    }
    c
}

fn ed_keys() -> ed25519_compact::KeyPair {
    ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([3; 32]))
}

fn pem(pk: &ed25519_compact::PublicKey) -> String {
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend_from_slice(pk.as_ref());
    // Standard base64 from base64url: the alphabet differs only in two symbols.
    let body = base64url(&der).replace('-', "+").replace('_', "/");
    format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n")
}

fn eddsa(header: &Value, claims: &Value, kp: &ed25519_compact::KeyPair) -> String {
    let input = format!(
        "{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes())
    );
    let sig = kp.sk.sign(input.as_bytes(), None);
    format!("{input}.{}", base64url(sig.as_ref()))
}

#[test]
fn a_valid_hs256_token_gives_the_subject_roles_and_branch() {
    let mut c = valid_claims();
    c["roles"] = json!(["teller", "teller", "no_such_role", "auditor"]);
    c["branch"] = json!("sh-01");
    let claims = jwt::verify(&hs(&c), &keys(), NOW).expect("valid");
    assert_eq!(claims.sub, "teller-1");
    assert_eq!(claims.roles, vec![Role::Teller, Role::Auditor]);
    assert_eq!(claims.branch.as_deref(), Some("sh-01"));
}

#[test]
fn expiry_and_not_before_allow_sixty_seconds_of_clock_skew_and_no_more() {
    let k = keys();
    assert!(jwt::verify(&hs(&with("exp", json!(NOW - 60))), &k, NOW).is_ok());
    assert_eq!(
        jwt::verify(&hs(&with("exp", json!(NOW - 61))), &k, NOW),
        Err(Refused::Expired)
    );
    assert_eq!(
        jwt::verify(&hs(&without("exp")), &k, NOW),
        Err(Refused::Expired)
    );
    assert!(jwt::verify(&hs(&with("nbf", json!(NOW + 60))), &k, NOW).is_ok());
    assert_eq!(
        jwt::verify(&hs(&with("nbf", json!(NOW + 61))), &k, NOW),
        Err(Refused::NotYetValid)
    );
}

#[test]
fn issuer_and_audience_must_be_ours() {
    let k = keys();
    assert_eq!(
        jwt::verify(&hs(&with("iss", json!("https://evil"))), &k, NOW),
        Err(Refused::Issuer)
    );
    assert_eq!(
        jwt::verify(&hs(&without("iss")), &k, NOW),
        Err(Refused::Issuer)
    );
    assert_eq!(
        jwt::verify(&hs(&with("aud", json!("other"))), &k, NOW),
        Err(Refused::Audience)
    );
    assert!(jwt::verify(&hs(&with("aud", json!(["other", TEST_AUDIENCE]))), &k, NOW).is_ok());
}

#[test]
fn a_bad_signature_or_a_tampered_payload_is_refused() {
    let k = keys();
    let other = sign_hs256(
        &json!({"alg": "HS256"}),
        &valid_claims(),
        b"another-secret-another-secret-123",
    );
    assert_eq!(jwt::verify(&other, &k, NOW), Err(Refused::Signature));
    let good = hs(&valid_claims());
    let parts: Vec<&str> = good.split('.').collect();
    let forged_payload = base64url(with("roles", json!(["admin"])).to_string().as_bytes());
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert_eq!(jwt::verify(&forged, &k, NOW), Err(Refused::Signature));
}

#[test]
fn alg_none_and_unknown_algorithms_are_refused() {
    let k = keys();
    let payload = base64url(valid_claims().to_string().as_bytes());
    for alg in ["none", "None", "RS256", "ES256", "HS512"] {
        let header = base64url(json!({"alg": alg}).to_string().as_bytes());
        assert_eq!(
            jwt::verify(&format!("{header}.{payload}."), &k, NOW),
            Err(Refused::Algorithm),
            "{alg}"
        );
    }
    let crit = sign_hs256(
        &json!({"alg": "HS256", "crit": ["exp"]}),
        &valid_claims(),
        TEST_SECRET.as_bytes(),
    );
    assert_eq!(jwt::verify(&crit, &k, NOW), Err(Refused::Algorithm));
}

#[test]
fn eddsa_verifies_with_the_public_key_and_algorithm_confusion_fails() {
    let kp = ed_keys();
    let pem = pem(&kp.pk);
    let mut k = keys();
    k.ed25519 = jwt::ed25519_from_pem(&pem);
    assert!(k.ed25519.is_some(), "the PEM parses");
    assert_eq!(
        jwt::ed25519_from_pem(&pem.replace('\n', "\\n")),
        k.ed25519,
        "a one-line PEM with literal \\n parses too"
    );
    let good = eddsa(&json!({"alg": "EdDSA"}), &valid_claims(), &kp);
    assert!(jwt::verify(&good, &k, NOW).is_ok());
    // The public key used as an HMAC secret (HS/ES confusion).
    let confused = sign_hs256(&json!({"alg": "HS256"}), &valid_claims(), pem.as_bytes());
    assert_eq!(jwt::verify(&confused, &k, NOW), Err(Refused::Signature));
    let confused_raw = sign_hs256(&json!({"alg": "HS256"}), &valid_claims(), kp.pk.as_ref());
    assert_eq!(jwt::verify(&confused_raw, &k, NOW), Err(Refused::Signature));
    // An Ed25519 signature under another header algorithm.
    let es = eddsa(&json!({"alg": "ES256"}), &valid_claims(), &kp);
    assert_eq!(jwt::verify(&es, &k, NOW), Err(Refused::Algorithm));
    // EdDSA without a configured key.
    assert_eq!(jwt::verify(&good, &keys(), NOW), Err(Refused::Algorithm));
    // Another key pair.
    let other = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([4; 32]));
    let forged = eddsa(&json!({"alg": "EdDSA"}), &valid_claims(), &other);
    assert_eq!(jwt::verify(&forged, &k, NOW), Err(Refused::Signature));
}

#[test]
fn a_token_without_known_roles_or_a_subject_is_refused() {
    let k = keys();
    for roles in [json!([]), json!(["root"]), json!("teller"), Value::Null] {
        assert_eq!(
            jwt::verify(&hs(&with("roles", roles.clone())), &k, NOW),
            Err(Refused::Roles),
            "{roles}"
        );
    }
    assert_eq!(
        jwt::verify(&hs(&without("roles")), &k, NOW),
        Err(Refused::Roles)
    );
    for sub in [json!(""), json!("  "), json!(7), json!("x".repeat(129))] {
        assert_eq!(
            jwt::verify(&hs(&with("sub", sub)), &k, NOW),
            Err(Refused::Subject)
        );
    }
}

/// A customer id in canonical form, and the same id in lower case.
fn customer(n: u128) -> (String, String) {
    let id = crm_domain::id::CustomerId::new(crm_domain::id::Ulid::from_parts(1, n)).to_string();
    let lower = id.to_lowercase();
    (id, lower)
}

#[test]
fn a_token_for_a_customer_and_staff_at_once_is_refused() {
    let k = keys();
    let (id, _) = customer(1);
    for roles in [json!(["customer", "teller"]), json!(["admin", "customer"])] {
        let claims = with("roles", roles.clone());
        let claims = claims
            .as_object()
            .map(|c| {
                let mut c = c.clone();
                c.insert("sub".into(), json!(id));
                Value::Object(c)
            })
            .expect("claims");
        assert_eq!(
            jwt::verify(&hs(&claims), &k, NOW),
            Err(Refused::MixedPrincipal),
            "{roles}"
        );
    }
}

#[test]
fn a_customer_token_names_a_customer_id_and_it_is_made_canonical() {
    let k = keys();
    let (id, lower) = customer(2);
    let as_customer = |sub: &str| {
        let mut c = valid_claims();
        c["roles"] = json!(["customer"]);
        c["sub"] = json!(sub);
        jwt::verify(&hs(&c), &k, NOW)
    };
    assert_eq!(as_customer(&lower).map(|c| c.sub), Ok(id.clone()));
    assert_eq!(as_customer("someone"), Err(Refused::Subject));
    let loan = crm_domain::id::LoanApplicationId::new(crm_domain::id::Ulid::from_parts(1, 2));
    assert_eq!(as_customer(&loan.to_string()), Err(Refused::Subject));
}

#[test]
fn malformed_tokens_are_refused_without_panicking() {
    let k = keys();
    for t in [
        "",
        "a",
        "a.b",
        "a.b.c.d",
        "!!!.###.$$$",
        "e30.e30.",
        "W10.e30.AA",
    ] {
        assert!(jwt::verify(t, &k, NOW).is_err(), "{t}");
    }
    let huge = format!("{}.{}.x", "a".repeat(9000), "b");
    assert_eq!(jwt::verify(&huge, &k, NOW), Err(Refused::Malformed));
}

// ---- serve: one check before the handler ----------------------------------------

fn echo(ctx: &Ctx<'_>) -> ApiResult {
    json_response(StatusCode::OK, &json!({"actor": ctx.actor()}))
}

fn forgetful(_: &Ctx<'_>) -> ApiResult {
    // Serves "someone's" data without calling ctx.reach.
    json_response(StatusCode::OK, &json!({"secret": true}))
}

fn with_after_commit(ctx: &Ctx<'_>) -> ApiResult {
    // Committed with the request; then a broken statement and a working one, after it.
    ctx.db()?
        .execute("INSERT INTO written (what) VALUES ('the write')", &[])?;
    ctx.after_commit("THIS IS NOT SQL");
    ctx.after_commit("INSERT INTO written (what) VALUES ('after the commit')");
    json_response(StatusCode::OK, &json!({}))
}

const SERVICE: Service = Service {
    name: "test",
    version: "0",
    routes: &[
        Route::get("/open", echo).anonymous(),
        Route::get("/declared", echo).requires(Action::CatalogueRead),
        Route::get("/undeclared", echo),
        Route::get("/customers/:id", echo)
            .requires(Action::CustomerRead)
            .customer_in_path("id"),
        Route::get("/things/:id", forgetful)
            .requires(Action::LoanRead)
            .customer_of_resource(),
        Route::post("/written", with_after_commit).requires(Action::CatalogueWrite),
    ],
};

#[test]
fn statements_asked_for_after_the_commit_run_after_it_and_cannot_spoil_the_answer() {
    let app = TestService::new(&SERVICE, "serve-after-commit");
    app.sql_column("CREATE TABLE written (what TEXT NOT NULL)");
    let r = app.request("POST", "/written", Some("{}"), &[]);
    assert_eq!(r.status(), 200, "{}", json(&r));
    assert_eq!(
        app.sql_column("SELECT what FROM written ORDER BY rowid"),
        ["the write", "after the commit"]
    );
}

#[test]
fn the_check_happens_before_the_handler_and_an_undeclared_route_is_refused_to_everyone() {
    let app = TestService::new(&SERVICE, "auth-serve");
    assert_eq!(app.with_authorization(None).get("/open").status(), 200);
    let r = app.with_authorization(None).get("/declared");
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_eq!(json(&r)["code"], "invalid_token");
    assert_eq!(json(&app.get("/declared"))["actor"], "dev-admin");
    let (me, _) = customer(3);
    for role in Role::ALL {
        let sub = if *role == Role::Customer {
            me.as_str()
        } else {
            "x"
        };
        let r = app.as_user(sub, &[role.as_str()]).get("/undeclared");
        assert_eq!(r.status(), 403, "{role}");
        assert_eq!(json(&r)["code"], "permission_not_declared");
    }
    let r = app.as_user("m-1", &["marketing"]).get("/customers/cus_1");
    assert_eq!(r.status(), 200);
    let r = app.as_user("u-1", &["underwriter"]).get("/declared");
    assert_eq!(r.status(), 200);
}

#[test]
fn a_customer_token_reaches_only_its_own_id_and_a_handler_that_forgets_to_check_fails_closed() {
    let app = TestService::new(&SERVICE, "auth-customer");
    let ((id, lower), (other, _)) = (customer(4), customer(5));
    let me = app.as_user(&id, &["customer"]);
    assert_eq!(me.get(&format!("/customers/{id}")).status(), 200);
    // The same id in another letter case is the same customer.
    assert_eq!(me.get(&format!("/customers/{lower}")).status(), 200);
    let r = me.get(&format!("/customers/{other}"));
    assert_eq!(r.status(), 403);
    assert_eq!(json(&r)["code"], "forbidden");
    // Staff are not confined; the customer is, even where the handler forgot.
    assert_eq!(app.get("/things/1").status(), 200);
    assert_eq!(me.get("/things/1").status(), 403);
}

#[test]
fn keys_missing_from_the_configuration_fail_closed_with_500() {
    // A service whose stores have no variables at all.
    let request = http::Request::builder()
        .uri("/declared")
        .header(
            "authorization",
            format!("Bearer {}", token("a", &["admin"])),
        )
        .body(Vec::new())
        .expect("request");
    let dir = crm_store::native::fresh_state_dir("auth-unconfigured");
    let r = crm_http::serve(&SERVICE, request, &crm_store::native::stores_in(&dir));
    assert_eq!(r.status(), 500);
}

#[test]
fn too_many_or_too_large_headers_are_431() {
    let app = TestService::new(&SERVICE, "auth-headers");
    let names: Vec<String> = (0..=crm_http::MAX_HEADERS)
        .map(|i| format!("x-h{i}"))
        .collect();
    let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let r = app.request("GET", "/open", None, &many);
    assert_eq!(r.status(), 431);
    assert_eq!(json(&r)["code"], "headers_too_large");
    let big = "x".repeat(crm_http::MAX_HEADER_BYTES);
    assert_eq!(
        app.request("GET", "/open", None, &[("x-big", &big)])
            .status(),
        431
    );
}

// ---- field visibility --------------------------------------------------------------

fn profile() -> Value {
    json!({"id": "cus_1", "etag": "\"1\"", "status": "active", "fullName": "Li Wei",
           "dateOfBirth": "1990-01-01", "nationalId": "110101199001011234",
           "nationalIdCountry": "CN", "email": "li@example.com", "phone": "+8613800138000",
           "address": {"line1": "1 Road", "city": "Shanghai", "country": "CN"},
           "kycStatus": "verified", "segment": "retail", "valueTier": "standard",
           "riskTolerance": "balanced", "monthlyIncome": {"amount": 1, "currency": "CNY"},
           "totalAssets": {"amount": 1, "currency": "CNY"}, "creditScore": 700,
           "employmentStatus": "employed", "holdings": [], "tags": [], "consent": {},
           "relationshipManagerId": "rm-1", "possibleDuplicateOf": [],
           "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z",
           "internalNote": "never listed anywhere"})
}

fn seen_by(role: Role, list: bool) -> Value {
    let mut v = profile();
    customer_view(&mut v, &[role], list);
    v
}

#[test]
fn each_role_sees_its_allow_list_masked_where_it_says_and_nothing_else() {
    for role in Role::ALL {
        let v = seen_by(*role, false);
        assert!(
            v.get("internalNote").is_none(),
            "{role}: unknown fields are omitted"
        );
        assert_eq!(v["id"], "cus_1", "{role}");
    }
    let marketing = seen_by(Role::Marketing, false);
    for f in [
        "nationalId",
        "monthlyIncome",
        "totalAssets",
        "creditScore",
        "dateOfBirth",
        "address",
    ] {
        assert!(marketing.get(f).is_none(), "marketing sees {f}");
    }
    assert_eq!(marketing["email"], "**********.com");
    let teller = seen_by(Role::Teller, false);
    assert_eq!(teller["nationalId"], "**************1234");
    assert_eq!(teller["email"], "li@example.com");
    assert!(teller.get("monthlyIncome").is_none());
    let auditor = seen_by(Role::Auditor, false);
    assert_eq!(auditor, {
        let mut all = profile();
        if let Some(m) = all.as_object_mut() {
            m.remove("internalNote");
        }
        all
    });
    let customer = seen_by(Role::Customer, false);
    assert_eq!(customer["nationalId"], "110101199001011234");
    assert!(customer.get("creditScore").is_none());
}

#[test]
fn lists_mask_contact_and_identity_fields_even_for_roles_that_see_them_in_full() {
    let admin = seen_by(Role::Admin, true);
    assert_eq!(admin["nationalId"], "**************1234");
    assert_eq!(admin["phone"], "**********8000");
    assert_eq!(admin["fullName"], "Li Wei");
}

#[test]
fn the_test_helpers_mint_tokens_the_edge_accepts() {
    let t = token("someone", &["teller"]);
    let c =
        jwt::verify(&t, &keys(), claims("x", &[])["iat"].as_i64().unwrap_or(NOW)).expect("valid");
    assert_eq!(c.sub, "someone");
}
