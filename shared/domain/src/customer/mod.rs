//! The customer profile: the 360° view's core record, its validation and the values
//! derived from it (value tier, dormancy), and masking of private fields.

mod rules;
mod validate;

pub use rules::{
    DORMANCY_DAYS, PRIORITY_ASSETS_MINOR, PRIORITY_INCOME_MINOR, WEALTH_ASSETS_MINOR,
    duplicate_key, effective_status, mask, minimum_age, name_key, value_tier,
};
pub use validate::{Invalid, Mode};

use crate::closed_enum;
use crate::id::CustomerId;
use crate::money::Money;
use crate::time::{Date, Timestamp};
use serde::{Deserialize, Serialize};

closed_enum!(
    /// Where the customer's identity check stands.
    KycStatus { Pending = "pending", Verified = "verified", Rejected = "rejected", Expired = "expired" }
);
closed_enum!(
    /// The business segment serving the customer.
    Segment { Retail = "retail", MassAffluent = "mass_affluent", Private = "private", Sme = "sme" }
);
closed_enum!(
    /// Value tier, derived from assets and income (see [`value_tier`]).
    ValueTier { Standard = "standard", Priority = "priority", Wealth = "wealth" }
);
closed_enum!(
    /// How much investment risk the customer accepts (suitability).
    RiskTolerance {
        Conservative = "conservative",
        Moderate = "moderate",
        Balanced = "balanced",
        Growth = "growth",
        Aggressive = "aggressive",
    }
);
closed_enum!(
    /// Lifecycle status; `dormant` is derived from activity, `erased` only by DELETE.
    CustomerStatus { Active = "active", Dormant = "dormant", Closed = "closed", Erased = "erased" }
);
closed_enum!(
    /// Employment situation.
    EmploymentStatus {
        Employed = "employed",
        SelfEmployed = "self_employed",
        Unemployed = "unemployed",
        Retired = "retired",
        Student = "student",
    }
);
closed_enum!(
    /// The six tag families of the bank's tagging model.
    TagFamily {
        BasicAttributes = "basic_attributes",
        ActivityBehaviour = "activity_behaviour",
        CustomerValue = "customer_value",
        Industry = "industry",
        FinancialRisk = "financial_risk",
        Marketing = "marketing",
    }
);
closed_enum!(
    /// Where a consent decision was captured.
    ConsentSource {
        Branch = "branch",
        CallCentre = "call_centre",
        MobileApp = "mobile_app",
        InternetBanking = "internet_banking",
        RelationshipManager = "relationship_manager",
        Import = "import",
    }
);

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Address {
    /// Street and number.
    pub line1: String,
    /// Flat, floor, building.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// City.
    pub city: String,
    /// Province, state or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
}

/// A product the customer holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Holding {
    /// The product code (`SALARY_ACCOUNT`, `CARD_PLATINUM`).
    pub product_code: String,
    /// When the customer opened it.
    pub opened_at: Timestamp,
}

/// A tag in one of the six families.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tag {
    /// The family.
    pub family: TagFamily,
    /// The tag itself, `snake_case`.
    pub name: String,
}

/// A consent decision as a caller writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConsentChoice {
    /// Whether the customer agreed.
    pub granted: bool,
    /// Where it was captured.
    pub source: ConsentSource,
}

/// Marketing consent per channel, as a caller writes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MarketingChoices {
    /// E-mail marketing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<ConsentChoice>,
    /// SMS marketing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<ConsentChoice>,
    /// Push notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<ConsentChoice>,
    /// Phone calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<ConsentChoice>,
}

/// Consent as a caller writes it; absent means never asked (treated as not granted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConsentChoices {
    /// Marketing, per channel.
    #[serde(default)]
    pub marketing: MarketingChoices,
    /// Sharing data with partners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sharing: Option<ConsentChoice>,
}

/// A recorded consent decision: the choice plus when it last changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConsentRecord {
    /// Whether the customer agreed.
    pub granted: bool,
    /// Where it was captured.
    pub source: ConsentSource,
    /// When the decision last changed (set by the server).
    pub updated_at: Timestamp,
}

/// Recorded marketing consent per channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MarketingConsent {
    /// E-mail marketing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<ConsentRecord>,
    /// SMS marketing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<ConsentRecord>,
    /// Push notifications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<ConsentRecord>,
    /// Phone calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<ConsentRecord>,
}

/// Recorded consent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Consent {
    /// Marketing, per channel.
    #[serde(default)]
    pub marketing: MarketingConsent,
    /// Sharing data with partners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_sharing: Option<ConsentRecord>,
}

fn record(
    previous: Option<ConsentRecord>,
    choice: Option<ConsentChoice>,
    now: Timestamp,
) -> Option<ConsentRecord> {
    let choice = choice?;
    match previous {
        Some(p) if p.granted == choice.granted && p.source == choice.source => Some(p),
        _ => Some(ConsentRecord {
            granted: choice.granted,
            source: choice.source,
            updated_at: now,
        }),
    }
}

impl Consent {
    /// Records `choices`, keeping `updatedAt` of every decision that did not change.
    pub fn record(previous: &Consent, choices: &ConsentChoices, now: Timestamp) -> Consent {
        let (p, c) = (&previous.marketing, &choices.marketing);
        Consent {
            marketing: MarketingConsent {
                email: record(p.email, c.email, now),
                sms: record(p.sms, c.sms, now),
                push: record(p.push, c.push, now),
                phone: record(p.phone, c.phone, now),
            },
            data_sharing: record(previous.data_sharing, choices.data_sharing, now),
        }
    }

    /// The choices without their timestamps: what a caller may patch.
    pub fn choices(&self) -> ConsentChoices {
        let choice = |r: Option<ConsentRecord>| {
            r.map(|r| ConsentChoice {
                granted: r.granted,
                source: r.source,
            })
        };
        ConsentChoices {
            marketing: MarketingChoices {
                email: choice(self.marketing.email),
                sms: choice(self.marketing.sms),
                push: choice(self.marketing.push),
                phone: choice(self.marketing.phone),
            },
            data_sharing: choice(self.data_sharing),
        }
    }
}

/// The writable part of a profile: a create body, and the document a merge patch edits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CustomerDraft {
    /// Full legal name.
    pub full_name: String,
    /// Date of birth.
    pub date_of_birth: Date,
    /// National identity number, unique per issuing country.
    pub national_id: String,
    /// ISO 3166-1 alpha-2 code of the country that issued `national_id`.
    pub national_id_country: String,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Mobile phone, E.164 (`+8613800138000`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// KYC status; `pending` when absent.
    #[serde(default = "pending")]
    pub kyc_status: KycStatus,
    /// Business segment.
    pub segment: Segment,
    /// Investment risk tolerance.
    pub risk_tolerance: RiskTolerance,
    /// Monthly income (CNY).
    pub monthly_income: Money,
    /// Total assets held with the bank (CNY).
    pub total_assets: Money,
    /// Credit bureau score, 300–850.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_score: Option<i64>,
    /// Employment situation.
    pub employment_status: EmploymentStatus,
    /// Products held.
    #[serde(default)]
    pub holdings: Vec<Holding>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Consent choices.
    #[serde(default)]
    pub consent: ConsentChoices,
    /// The staff id of the owning relationship manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship_manager_id: Option<String>,
    /// `active` or `closed`; `active` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<CustomerStatus>,
}

fn pending() -> KycStatus {
    KycStatus::Pending
}

/// A stored customer profile (everything but the `etag`, which comes from `version`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Customer {
    /// The id.
    pub id: CustomerId,
    /// Full legal name.
    pub full_name: String,
    /// Date of birth.
    pub date_of_birth: Date,
    /// National identity number.
    pub national_id: String,
    /// Issuing country of `national_id`.
    pub national_id_country: String,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Phone, E.164.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// KYC status.
    pub kyc_status: KycStatus,
    /// Business segment.
    pub segment: Segment,
    /// Derived value tier.
    pub value_tier: ValueTier,
    /// Risk tolerance.
    pub risk_tolerance: RiskTolerance,
    /// Monthly income.
    pub monthly_income: Money,
    /// Total assets.
    pub total_assets: Money,
    /// Credit score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_score: Option<i64>,
    /// Employment situation.
    pub employment_status: EmploymentStatus,
    /// Products held.
    pub holdings: Vec<Holding>,
    /// Tags.
    pub tags: Vec<Tag>,
    /// Recorded consent.
    pub consent: Consent,
    /// Owning relationship manager.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relationship_manager_id: Option<String>,
    /// Stored status (`active` or `closed`); see [`effective_status`] for `dormant`.
    pub status: CustomerStatus,
    /// Customers with the same name, birth date and phone, flagged at creation for review.
    #[serde(default)]
    pub possible_duplicate_of: Vec<CustomerId>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Customer {
    /// A new customer from a validated draft.
    pub fn create(
        id: CustomerId,
        draft: CustomerDraft,
        duplicates: Vec<CustomerId>,
        now: Timestamp,
    ) -> Customer {
        let consent = Consent::record(&Consent::default(), &draft.consent, now);
        Customer {
            id,
            value_tier: value_tier(draft.total_assets, draft.monthly_income),
            full_name: draft.full_name,
            date_of_birth: draft.date_of_birth,
            national_id: draft.national_id,
            national_id_country: draft.national_id_country,
            email: draft.email,
            phone: draft.phone,
            address: draft.address,
            kyc_status: draft.kyc_status,
            segment: draft.segment,
            risk_tolerance: draft.risk_tolerance,
            monthly_income: draft.monthly_income,
            total_assets: draft.total_assets,
            credit_score: draft.credit_score,
            employment_status: draft.employment_status,
            holdings: draft.holdings,
            tags: draft.tags,
            consent,
            relationship_manager_id: draft.relationship_manager_id,
            status: draft.status.unwrap_or(CustomerStatus::Active),
            possible_duplicate_of: duplicates,
            created_at: now,
            updated_at: now,
        }
    }

    /// The writable view a merge patch is applied to.
    pub fn draft(&self) -> CustomerDraft {
        CustomerDraft {
            full_name: self.full_name.clone(),
            date_of_birth: self.date_of_birth,
            national_id: self.national_id.clone(),
            national_id_country: self.national_id_country.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            kyc_status: self.kyc_status,
            segment: self.segment,
            risk_tolerance: self.risk_tolerance,
            monthly_income: self.monthly_income,
            total_assets: self.total_assets,
            credit_score: self.credit_score,
            employment_status: self.employment_status,
            holdings: self.holdings.clone(),
            tags: self.tags.clone(),
            consent: self.consent.choices(),
            relationship_manager_id: self.relationship_manager_id.clone(),
            status: Some(self.status),
        }
    }

    /// This customer after a validated update, re-deriving what is derived.
    ///
    /// A verified customer whose national id (or its country) changes is no longer
    /// verified: KYC goes back to `pending` until compliance verifies the new document.
    pub fn updated(&self, draft: CustomerDraft, now: Timestamp) -> Customer {
        let mut draft = draft;
        if self.kyc_status == KycStatus::Verified && self.identity_document_changes(&draft) {
            draft.kyc_status = KycStatus::Pending;
        }
        let choices = draft.consent;
        let mut next = Customer::create(self.id, draft, self.possible_duplicate_of.clone(), now);
        next.consent = Consent::record(&self.consent, &choices, now);
        next.created_at = self.created_at;
        next
    }

    /// Whether `draft` names another identity document than this customer's.
    pub fn identity_document_changes(&self, draft: &CustomerDraft) -> bool {
        draft.national_id != self.national_id
            || draft.national_id_country != self.national_id_country
    }
}
