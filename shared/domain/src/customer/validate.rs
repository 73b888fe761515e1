//! Validation and normalisation of a [`CustomerDraft`]: every rule reports its field,
//! and all failures are returned together so a form can show them at once.

use super::{Customer, CustomerDraft, CustomerStatus, minimum_age};
use crate::money::{Currency, Money};
use crate::time::{Date, Timestamp};
use std::collections::HashSet;

pub use crate::invalid::Invalid;

/// Whether the draft creates a customer or updates one (which may lock fields).
#[derive(Debug, Clone, Copy)]
pub enum Mode<'a> {
    /// `POST /v1/customers`.
    Create,
    /// `PATCH /v1/customers/{id}` of this stored customer.
    Update(&'a Customer),
}

const MAX_NAME: usize = 200;
const MAX_ADDRESS_PART: usize = 100;
const MAX_HOLDINGS: usize = 100;
const MAX_TAGS: usize = 50;
const MAX_AGE: i32 = 130;
/// A trillion yuan: anything above is a typo, not a customer.
const MAX_MONEY_MINOR: i64 = 100_000_000_000_000;
/// Clock skew tolerated for caller-supplied past timestamps.
const SKEW_MILLIS: i64 = 5 * 60 * 1000;

struct Errors(Vec<Invalid>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(Invalid {
            field: field.into(),
            message: message.into(),
        });
    }
}

fn is_country(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

fn text(errors: &mut Errors, field: &str, value: &str, max: usize) -> String {
    let trimmed = value.trim().to_owned();
    if trimmed.is_empty() {
        errors.add(field, "must not be blank");
    } else if trimmed.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
    } else if trimmed.chars().any(char::is_control) {
        errors.add(field, "must not contain control characters");
    }
    trimmed
}

/// E-mail syntax a bank can deliver to: `local@domain.tld`, no quoting or IP literals.
pub(crate) fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = email.len() <= 254
        && labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// E.164: `+`, a non-zero country code digit, 8 to 15 digits in all.
pub(crate) fn valid_phone(phone: &str) -> bool {
    let Some(digits) = phone.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

fn money(errors: &mut Errors, field: &str, value: Money) {
    if value.currency != Currency::Cny {
        errors.add(
            format!("{field}.currency"),
            "must be CNY, the currency profiles are booked in",
        );
    }
    if !(0..=MAX_MONEY_MINOR).contains(&value.minor_units) {
        errors.add(
            format!("{field}.amount"),
            format!("must be between 0 and {MAX_MONEY_MINOR}"),
        );
    }
}

fn code(value: &str, max: usize, allowed: impl Fn(u8) -> bool) -> bool {
    (1..=max).contains(&value.len()) && value.bytes().all(allowed)
}

impl CustomerDraft {
    /// Normalises (trims, upper-cases codes, lower-cases e-mail domains) and validates:
    /// every rule below runs, so the answer names every bad member at once.
    pub fn validate(
        mut self,
        mode: Mode<'_>,
        today: Date,
        now: Timestamp,
    ) -> Result<CustomerDraft, Vec<Invalid>> {
        let mut e = Errors(Vec::new());
        self.identity(&mut e);
        self.date_of_birth_rule(&mut e, mode, today);
        self.contact_details(&mut e);
        self.address_rule(&mut e);
        self.figures(&mut e);
        self.holdings_rule(&mut e, now);
        self.tags_rule(&mut e);
        self.manager_rule(&mut e);
        self.status_rule(&mut e, mode);
        if e.0.is_empty() { Ok(self) } else { Err(e.0) }
    }

    /// A name, and a national id of a known country: letters and digits, spaces and
    /// hyphens ignored.
    fn identity(&mut self, e: &mut Errors) {
        self.full_name = text(e, "fullName", &self.full_name, MAX_NAME);
        self.national_id_country = self.national_id_country.trim().to_ascii_uppercase();
        if !is_country(&self.national_id_country) {
            e.add(
                "nationalIdCountry",
                "must be an ISO 3166-1 alpha-2 country code",
            );
        }
        self.national_id = self
            .national_id
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect::<String>()
            .to_ascii_uppercase();
        if !code(&self.national_id, 32, |b| b.is_ascii_alphanumeric()) || self.national_id.len() < 4
        {
            e.add(
                "nationalId",
                "must be 4 to 32 letters or digits (spaces and hyphens are ignored)",
            );
        }
    }

    /// Not in the future, not over [`MAX_AGE`], and old enough for the segment when it is
    /// set or changed (a customer who was onboarded young keeps their segment).
    fn date_of_birth_rule(&mut self, e: &mut Errors, mode: Mode<'_>, today: Date) {
        let dob_changed = match mode {
            Mode::Create => true,
            Mode::Update(previous) => previous.date_of_birth != self.date_of_birth,
        };
        if self.date_of_birth > today {
            e.add("dateOfBirth", "must not be in the future");
        } else if self.date_of_birth.years_until(today) > MAX_AGE {
            e.add("dateOfBirth", format!("gives an age over {MAX_AGE}"));
        } else if dob_changed && self.date_of_birth.years_until(today) < minimum_age(self.segment) {
            e.add(
                "dateOfBirth",
                format!(
                    "the {} segment requires an age of at least {}",
                    self.segment,
                    minimum_age(self.segment)
                ),
            );
        }
    }

    /// An e-mail address (its domain lower-cased) and an E.164 phone number.
    fn contact_details(&mut self, e: &mut Errors) {
        if let Some(email) = self.email.take() {
            let email = email.trim().to_owned();
            match email.rsplit_once('@') {
                Some((local, domain)) if valid_email(&email) => {
                    self.email = Some(format!("{local}@{}", domain.to_ascii_lowercase()));
                }
                _ => {
                    e.add(
                        "email",
                        "must be an e-mail address such as name@example.com",
                    );
                    self.email = Some(email);
                }
            }
        }
        if let Some(phone) = &self.phone
            && !valid_phone(phone)
        {
            e.add("phone", "must be E.164, such as +8613800138000");
        }
    }

    /// Address lines of bounded text, a postal code of letters, digits, spaces and
    /// hyphens, and a known country.
    fn address_rule(&mut self, e: &mut Errors) {
        let Some(address) = &mut self.address else {
            return;
        };
        address.line1 = text(e, "address.line1", &address.line1, MAX_ADDRESS_PART);
        address.city = text(e, "address.city", &address.city, MAX_ADDRESS_PART);
        if let Some(line2) = &address.line2 {
            address.line2 = Some(text(e, "address.line2", line2, MAX_ADDRESS_PART));
        }
        if let Some(region) = &address.region {
            address.region = Some(text(e, "address.region", region, MAX_ADDRESS_PART));
        }
        if let Some(postal) = &address.postal_code {
            let postal = postal.trim().to_ascii_uppercase();
            if !code(&postal, 20, |b| {
                b.is_ascii_alphanumeric() || b == b' ' || b == b'-'
            }) {
                e.add(
                    "address.postalCode",
                    "must be 1 to 20 letters, digits, spaces or hyphens",
                );
            }
            address.postal_code = Some(postal);
        }
        address.country = address.country.trim().to_ascii_uppercase();
        if !is_country(&address.country) {
            e.add(
                "address.country",
                "must be an ISO 3166-1 alpha-2 country code",
            );
        }
    }

    /// Income and assets within the money bounds, a credit score from 300 to 850.
    fn figures(&self, e: &mut Errors) {
        money(e, "monthlyIncome", self.monthly_income);
        money(e, "totalAssets", self.total_assets);
        if let Some(score) = self.credit_score
            && !(300..=850).contains(&score)
        {
            e.add("creditScore", "must be between 300 and 850");
        }
    }

    /// At most [`MAX_HOLDINGS`] products, each code once, none opened in the future.
    fn holdings_rule(&mut self, e: &mut Errors, now: Timestamp) {
        if self.holdings.len() > MAX_HOLDINGS {
            e.add(
                "holdings",
                format!("must have at most {MAX_HOLDINGS} products"),
            );
        }
        let mut products = HashSet::new();
        for (i, holding) in self.holdings.iter_mut().enumerate() {
            holding.product_code = holding.product_code.trim().to_ascii_uppercase();
            if !code(&holding.product_code, 32, |b| {
                b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'
            }) || holding.product_code.len() < 2
            {
                e.add(
                    format!("holdings[{i}].productCode"),
                    "must be 2 to 32 of A-Z, 0-9 and _",
                );
            } else if !products.insert(holding.product_code.clone()) {
                e.add(format!("holdings[{i}].productCode"), "is listed twice");
            }
            if holding.opened_at > now.plus_millis(SKEW_MILLIS) {
                e.add(
                    format!("holdings[{i}].openedAt"),
                    "must not be in the future",
                );
            }
        }
    }

    /// At most [`MAX_TAGS`] tags, each of lower-case code characters and once per family.
    fn tags_rule(&mut self, e: &mut Errors) {
        if self.tags.len() > MAX_TAGS {
            e.add("tags", format!("must have at most {MAX_TAGS} tags"));
        }
        let mut tags = HashSet::new();
        for (i, tag) in self.tags.iter_mut().enumerate() {
            tag.name = tag.name.trim().to_owned();
            if !code(&tag.name, 50, |b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
            }) {
                e.add(
                    format!("tags[{i}].name"),
                    "must be 1 to 50 of a-z, 0-9, _ and -",
                );
            } else if !tags.insert((tag.family, tag.name.clone())) {
                e.add(format!("tags[{i}]"), "is listed twice");
            }
        }
    }

    /// A relationship manager's staff id, when one is named.
    fn manager_rule(&self, e: &mut Errors) {
        if let Some(rm) = &self.relationship_manager_id
            && !code(rm, 64, |b| {
                b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
            })
        {
            e.add(
                "relationshipManagerId",
                "must be 1 to 64 of A-Z, a-z, 0-9, _ and -",
            );
        }
    }

    /// A new customer is active; an update may close one, never make it dormant (that
    /// is derived from activity) nor erase it (that is DELETE).
    fn status_rule(&self, e: &mut Errors, mode: Mode<'_>) {
        match (mode, self.status) {
            (_, None | Some(CustomerStatus::Active)) => {}
            (Mode::Create, Some(_)) => e.add("status", "a new customer is always active"),
            (Mode::Update(_), Some(CustomerStatus::Closed)) => {}
            (Mode::Update(_), Some(CustomerStatus::Dormant)) => e.add(
                "status",
                "dormant is derived from activity and cannot be set",
            ),
            (Mode::Update(_), Some(_)) => e.add("status", "use DELETE to erase a customer"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::KycStatus;
    use crate::customer::{ConsentChoices, EmploymentStatus, RiskTolerance, Segment};
    use crate::id::{CustomerId, Ulid};

    fn today() -> Date {
        Date::parse("2026-11-23").expect("valid")
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-23T08:00:00Z").expect("valid")
    }

    fn draft() -> CustomerDraft {
        CustomerDraft {
            full_name: " Li Wei ".into(),
            date_of_birth: Date::parse("1990-03-07").expect("valid"),
            national_id: "1101 0119-9003071234".into(),
            national_id_country: "cn".into(),
            email: Some("Li.Wei@Example.COM".into()),
            phone: Some("+8613800138000".into()),
            address: None,
            kyc_status: KycStatus::Pending,
            segment: Segment::Retail,
            risk_tolerance: RiskTolerance::Balanced,
            monthly_income: Money::new(2_000_000, Currency::Cny),
            total_assets: Money::new(10_000_000, Currency::Cny),
            credit_score: Some(720),
            employment_status: EmploymentStatus::Employed,
            holdings: vec![],
            tags: vec![],
            consent: ConsentChoices::default(),
            relationship_manager_id: None,
            status: None,
        }
    }

    fn fields(result: Result<CustomerDraft, Vec<Invalid>>) -> Vec<String> {
        result
            .expect_err("invalid")
            .into_iter()
            .map(|i| i.field)
            .collect()
    }

    #[test]
    fn a_valid_draft_is_normalised() {
        let valid = draft()
            .validate(Mode::Create, today(), now())
            .expect("valid");
        assert_eq!(valid.full_name, "Li Wei");
        assert_eq!(valid.national_id, "110101199003071234");
        assert_eq!(valid.national_id_country, "CN");
        assert_eq!(valid.email.as_deref(), Some("Li.Wei@example.com"));
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let mut d = draft();
        d.full_name = "  ".into();
        d.email = Some("not-an-email".into());
        d.phone = Some("13800138000".into());
        d.credit_score = Some(299);
        d.national_id_country = "CHN".into();
        let got = fields(d.validate(Mode::Create, today(), now()));
        assert_eq!(
            got,
            vec![
                "fullName",
                "nationalIdCountry",
                "email",
                "phone",
                "creditScore"
            ]
        );
    }

    #[test]
    fn e_mail_addresses_are_checked_for_deliverable_syntax() {
        for ok in [
            "a@b.cn",
            "li.wei+crm@mail.example.com",
            "x_y@sub-domain.example.org",
        ] {
            assert!(valid_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a@",
            "@b.cn",
            "a@b",
            "a..b@c.cn",
            ".a@b.cn",
            "a@-b.cn",
            "a@b.c1",
            "a b@c.cn",
            "a@b..cn",
        ] {
            assert!(!valid_email(bad), "{bad}");
        }
    }

    #[test]
    fn phones_must_be_e164() {
        assert!(valid_phone("+8613800138000"));
        assert!(valid_phone("+12025550123"));
        for bad in [
            "8613800138000",
            "+0613800138000",
            "+86 138",
            "+1234567",
            "+1234567890123456",
        ] {
            assert!(!valid_phone(bad), "{bad}");
        }
    }

    #[test]
    fn retail_accepts_sixteen_year_olds_and_other_segments_require_eighteen() {
        let mut d = draft();
        d.date_of_birth = Date::parse("2010-11-23").expect("valid");
        assert!(
            d.clone().validate(Mode::Create, today(), now()).is_ok(),
            "16 today in retail"
        );
        d.date_of_birth = Date::parse("2010-11-24").expect("valid");
        assert_eq!(
            fields(d.clone().validate(Mode::Create, today(), now())),
            vec!["dateOfBirth"]
        );
        d.segment = Segment::MassAffluent;
        d.date_of_birth = Date::parse("2008-11-24").expect("valid");
        assert_eq!(
            fields(d.clone().validate(Mode::Create, today(), now())),
            vec!["dateOfBirth"]
        );
        d.date_of_birth = Date::parse("2008-11-23").expect("valid");
        assert!(d.validate(Mode::Create, today(), now()).is_ok(), "18 today");
    }

    #[test]
    fn a_birth_date_in_the_future_or_over_130_years_ago_is_rejected() {
        let mut d = draft();
        d.date_of_birth = Date::parse("2026-11-24").expect("valid");
        assert_eq!(
            fields(d.clone().validate(Mode::Create, today(), now())),
            vec!["dateOfBirth"]
        );
        d.date_of_birth = Date::parse("1895-01-01").expect("valid");
        assert_eq!(
            fields(d.validate(Mode::Create, today(), now())),
            vec!["dateOfBirth"]
        );
    }

    #[test]
    fn profile_money_must_be_non_negative_cny() {
        let mut d = draft();
        d.monthly_income = Money::new(-1, Currency::Cny);
        d.total_assets = Money::new(1, Currency::Usd);
        assert_eq!(
            fields(d.validate(Mode::Create, today(), now())),
            vec!["monthlyIncome.amount", "totalAssets.currency"]
        );
    }

    #[test]
    fn duplicate_tags_and_products_and_bad_codes_are_rejected() {
        use crate::customer::{Holding, Tag, TagFamily};
        let mut d = draft();
        let opened = now();
        d.holdings = vec![
            Holding {
                product_code: "card_gold".into(),
                opened_at: opened,
            },
            Holding {
                product_code: "CARD_GOLD".into(),
                opened_at: opened,
            },
            Holding {
                product_code: "X".into(),
                opened_at: now().plus_millis(3_600_000),
            },
        ];
        d.tags = vec![
            Tag {
                family: TagFamily::Marketing,
                name: "likes_travel".into(),
            },
            Tag {
                family: TagFamily::Marketing,
                name: "likes_travel".into(),
            },
            Tag {
                family: TagFamily::Industry,
                name: "Bad Name".into(),
            },
        ];
        let got = fields(d.validate(Mode::Create, today(), now()));
        assert_eq!(
            got,
            vec![
                "holdings[1].productCode",
                "holdings[2].productCode",
                "holdings[2].openedAt",
                "tags[1]",
                "tags[2].name"
            ]
        );
    }

    #[test]
    fn status_rules_differ_between_create_and_update() {
        let mut d = draft();
        d.status = Some(CustomerStatus::Closed);
        assert_eq!(
            fields(d.clone().validate(Mode::Create, today(), now())),
            vec!["status"]
        );
        let stored = Customer::create(
            CustomerId::new(Ulid::from_parts(1, 1)),
            draft(),
            vec![],
            now(),
        );
        assert!(
            d.clone()
                .validate(Mode::Update(&stored), today(), now())
                .is_ok()
        );
        d.status = Some(CustomerStatus::Dormant);
        assert_eq!(
            fields(d.clone().validate(Mode::Update(&stored), today(), now())),
            vec!["status"]
        );
        d.status = Some(CustomerStatus::Erased);
        assert_eq!(
            fields(d.validate(Mode::Update(&stored), today(), now())),
            vec!["status"]
        );
    }

    #[test]
    fn a_new_national_id_sends_a_verified_customer_back_to_pending_kyc() {
        let mut verified = draft();
        verified.kyc_status = KycStatus::Verified;
        let verified = verified
            .validate(Mode::Create, today(), now())
            .expect("valid");
        let stored = Customer::create(
            CustomerId::new(Ulid::from_parts(1, 1)),
            verified.clone(),
            vec![],
            now(),
        );
        let mut change = verified.clone();
        change.national_id = "99999999".into();
        let change = change
            .validate(Mode::Update(&stored), today(), now())
            .expect("valid");
        // Even though the merged draft still says verified: the new document is not.
        assert_eq!(change.kyc_status, KycStatus::Verified);
        assert_eq!(stored.updated(change, now()).kyc_status, KycStatus::Pending);
        let mut country = verified.clone();
        country.national_id_country = "HK".into();
        assert_eq!(
            stored.updated(country, now()).kyc_status,
            KycStatus::Pending
        );
        // Anything else keeps the verification.
        let mut email = verified;
        email.email = Some("new@example.com".into());
        assert_eq!(stored.updated(email, now()).kyc_status, KycStatus::Verified);
    }

    #[test]
    fn consent_timestamps_change_only_with_the_decision() {
        use crate::customer::{Consent, ConsentChoice, ConsentSource};
        let mut d = draft();
        d.consent.marketing.sms = Some(ConsentChoice {
            granted: true,
            source: ConsentSource::Branch,
        });
        let created = Customer::create(
            CustomerId::new(Ulid::from_parts(1, 1)),
            d.clone(),
            vec![],
            now(),
        );
        let later = now().plus_millis(60_000);
        d.consent.marketing.email = Some(ConsentChoice {
            granted: false,
            source: ConsentSource::MobileApp,
        });
        let updated = created.updated(d, later);
        let sms = updated.consent.marketing.sms.expect("sms kept");
        let email = updated.consent.marketing.email.expect("email recorded");
        assert_eq!(sms.updated_at, now(), "unchanged decision keeps its time");
        assert_eq!(email.updated_at, later);
        assert_eq!(
            Consent::record(
                &updated.consent,
                &updated.consent.choices(),
                later.plus_millis(1)
            ),
            updated.consent
        );
        assert_eq!(updated.created_at, created.created_at);
    }

    mod properties {
        use super::*;
        use crate::customer::{Address, Holding, Tag, TagFamily, mask, name_key};
        use crate::fuzz::{any_text, text_near};
        use proptest::prelude::*;

        fn texts() -> impl Strategy<Value = Vec<String>> {
            proptest::collection::vec(any_text(), 0..4)
        }

        proptest! {
            #[test]
            fn no_text_panics_the_customer_validator(
                names in (
                    any_text(),
                    text_near("[0-9]{4}[ -]?[0-9]{4,14}[0-9X]"),
                    text_near("[A-Za-z]{2}"),
                ),
                email in proptest::option::of(text_near("[a-z.]{1,8}@[a-z]{1,8}\\.[a-z]{2,4}")),
                phone in proptest::option::of(text_near("\\+[1-9][0-9]{7,14}")),
                address in proptest::option::of(
                    (any_text(), any_text(), texts(), text_near("[A-Za-z]{2}")),
                ),
                codes in (texts(), texts(), proptest::option::of(any_text())),
                year in 1..=9999i32,
                amounts in (any::<i64>(), any::<i64>(), any::<Option<i64>>()),
                verified in any::<bool>(),
            ) {
                let (full_name, national_id, national_id_country) = names;
                let (product_codes, tag_names, relationship_manager_id) = codes;
                let mut d = draft();
                d.full_name = full_name;
                d.national_id = national_id;
                d.national_id_country = national_id_country;
                d.email = email;
                d.phone = phone;
                d.address = address.map(|(line1, city, mut rest, country)| Address {
                    line1,
                    line2: rest.pop(),
                    city,
                    region: rest.pop(),
                    postal_code: rest.pop(),
                    country,
                });
                d.holdings = product_codes
                    .into_iter()
                    .map(|product_code| Holding { product_code, opened_at: now() })
                    .collect();
                d.tags = tag_names
                    .into_iter()
                    .map(|name| Tag { family: TagFamily::ALL[0], name })
                    .collect();
                d.relationship_manager_id = relationship_manager_id;
                d.date_of_birth = Date::from_ymd(year, 1, 1).expect("a valid date");
                d.monthly_income = Money::new(amounts.0, Currency::Cny);
                d.total_assets = Money::new(amounts.1, Currency::Usd);
                d.credit_score = amounts.2;
                let _ = mask(&d.national_id);
                let _ = name_key(&d.full_name);
                let mut stored_draft = draft();
                if verified {
                    stored_draft.kyc_status = KycStatus::Verified;
                }
                let stored = Customer::create(
                    CustomerId::new(Ulid::from_parts(1, 1)),
                    stored_draft,
                    vec![],
                    now(),
                );
                let _ = d.clone().validate(Mode::Update(&stored), today(), now());
                if let Ok(valid) = d.validate(Mode::Create, today(), now()) {
                    let _ = stored.updated(valid, now());
                }
            }

            #[test]
            fn no_string_panics_the_email_and_phone_checks(
                email in text_near("[a-z.]{1,8}@[a-z-]{1,8}\\.[a-z]{2,4}"),
                phone in text_near("\\+[1-9][0-9]{7,14}"),
            ) {
                let _ = valid_email(&email);
                let _ = valid_phone(&phone);
            }
        }
    }
}
