//! Field-level visibility of a customer representation: the one place a profile is
//! cut down to what the caller's roles may see (`crm_domain::security::customer_field`).

use crm_domain::customer::mask;
use crm_domain::security::{Role, Visibility, customer_field};
use serde_json::Value;

/// Contact and identity fields a list always masks, whatever the role may see of one
/// customer: a list is for finding a customer, not for reading them.
pub const CONTACT_FIELDS: &[&str] = &["nationalId", "phone", "email"];

/// What a list never shows, whatever the role may see of one customer: identity details
/// and the customer's finances. To read them, open the customer (an audited read of one).
pub const LIST_OMITTED: &[&str] = &[
    "dateOfBirth",
    "address",
    "monthlyIncome",
    "totalAssets",
    "creditScore",
    "holdings",
];

/// Cuts `value` (a customer object) down to what `roles` may see: fields no role lists
/// are removed, masked ones keep their last four characters. `list` also masks
/// [`CONTACT_FIELDS`] and leaves out [`LIST_OMITTED`].
pub fn customer_view(value: &mut Value, roles: &[Role], list: bool) {
    let Value::Object(map) = value else {
        return;
    };
    map.retain(|name, field| {
        if list && LIST_OMITTED.contains(&name.as_str()) {
            return false;
        }
        let mut visibility = customer_field(roles, name);
        if list && visibility == Visibility::Show && CONTACT_FIELDS.contains(&name.as_str()) {
            visibility = Visibility::Mask;
        }
        match (visibility, field) {
            (Visibility::Show, _) => true,
            (Visibility::Mask, Value::String(s)) => {
                *s = mask(s);
                true
            }
            (Visibility::Mask, Value::Null) => true,
            _ => false,
        }
    });
}
