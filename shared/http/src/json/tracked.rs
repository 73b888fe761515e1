//! Types a parsed JSON tree and, when a value does not fit, says where: `address.city`,
//! `events[3].amount`, or `.` for the body itself (the notation `serde_path_to_error`
//! used, which clients and tests already read).
//!
//! One concrete deserializer over `&Value` keeps the path in a shared stack, pushed on
//! the way into a member or an element and popped on the way out; after an error the
//! stack still holds the path of the value that failed. `serde_path_to_error` wrapped
//! every visitor of every body type to do the same, about 53 KB of each component
//! (issue 20). The error type is `serde_json::Error`, so messages read exactly as
//! serde_json's own (`invalid type: null, expected a string`).

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Error as _, Unexpected, Visitor};
use serde_json::{Error, Value};
use std::cell::RefCell;
use std::fmt::Write as _;

/// One step into the tree.
enum Step<'de> {
    Member(&'de str),
    Element(usize),
}

type Trail<'de> = RefCell<Vec<Step<'de>>>;

/// Deserializes `value` as `T`; on failure, the path of the value that did not fit
/// and serde_json's error for it.
pub(crate) fn deserialize<T: de::DeserializeOwned>(value: &Value) -> Result<T, (String, Error)> {
    let trail = RefCell::new(Vec::new());
    T::deserialize(Tracked {
        value,
        trail: &trail,
    })
    .map_err(|e| (render(&trail.borrow()), e))
}

fn render(steps: &[Step<'_>]) -> String {
    if steps.is_empty() {
        return ".".to_owned();
    }
    let mut path = String::new();
    for step in steps {
        match step {
            Step::Member(name) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(name);
            }
            Step::Element(index) => {
                let _ = write!(path, "[{index}]");
            }
        }
    }
    path
}

/// `value` at the place `trail` describes.
#[derive(Clone, Copy)]
struct Tracked<'de> {
    value: &'de Value,
    trail: &'de Trail<'de>,
}

impl<'de> Tracked<'de> {
    /// `seed` applied to `value`, one `step` further in.
    fn enter<T: DeserializeSeed<'de>>(
        &self,
        step: Step<'de>,
        value: &'de Value,
        seed: T,
    ) -> Result<T::Value, Error> {
        self.trail.borrow_mut().push(step);
        let out = seed.deserialize(Tracked {
            value,
            trail: self.trail,
        })?;
        // Left in place on error: the path is the answer's `field`.
        self.trail.borrow_mut().pop();
        Ok(out)
    }

    fn unexpected(&self) -> Unexpected<'de> {
        match self.value {
            Value::Null => Unexpected::Unit,
            Value::Bool(b) => Unexpected::Bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => Unexpected::Unsigned(u),
                (None, Some(i)) => Unexpected::Signed(i),
                _ => Unexpected::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => Unexpected::Str(s),
            Value::Array(_) => Unexpected::Seq,
            Value::Object(_) => Unexpected::Map,
        }
    }
}

impl<'de> de::Deserializer<'de> for Tracked<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (None, Some(i), _) => visitor.visit_i64(i),
                (None, None, Some(f)) => visitor.visit_f64(f),
                _ => Err(Error::custom("a number out of every range")),
            },
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => {
                let mut elements = Elements {
                    at: self,
                    items: items.iter(),
                    index: 0,
                };
                let out = visitor.visit_seq(&mut elements)?;
                match elements.items.len() {
                    0 => Ok(out),
                    _ => Err(Error::invalid_length(
                        items.len(),
                        &"fewer elements in array",
                    )),
                }
            }
            Value::Object(map) => {
                let mut members = Members {
                    at: self,
                    iter: map.iter(),
                    pending: None,
                };
                let out = visitor.visit_map(&mut members)?;
                match members.iter.len() {
                    0 => Ok(out),
                    _ => Err(Error::invalid_length(map.len(), &"fewer elements in map")),
                }
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::String(s) => visitor.visit_enum(BorrowedStrDeserializer::<Error>::new(s)),
            Value::Object(map) if map.len() == 1 => match map.iter().next() {
                Some((name, value)) => visitor.visit_enum(Variant {
                    at: self,
                    name,
                    value,
                }),
                None => Err(Error::invalid_type(self.unexpected(), &"an enum")),
            },
            _ => Err(Error::invalid_type(self.unexpected(), &"an enum")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct Elements<'de> {
    at: Tracked<'de>,
    items: std::slice::Iter<'de, Value>,
    index: usize,
}

impl<'de> de::SeqAccess<'de> for Elements<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(value) = self.items.next() else {
            return Ok(None);
        };
        let out = self.at.enter(Step::Element(self.index), value, seed)?;
        self.index += 1;
        Ok(Some(out))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

struct Members<'de> {
    at: Tracked<'de>,
    iter: serde_json::map::Iter<'de>,
    pending: Option<(&'de str, &'de Value)>,
}

impl<'de> de::MapAccess<'de> for Members<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((name, value)) = self.iter.next() else {
            return Ok(None);
        };
        self.pending = Some((name, value));
        seed.deserialize(BorrowedStrDeserializer::<Error>::new(name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (name, value) = self
            .pending
            .take()
            .ok_or_else(|| Error::custom("a value asked for before its key"))?;
        self.at.enter(Step::Member(name), value, seed)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// An enum written as `{"variant": value}`.
struct Variant<'de> {
    at: Tracked<'de>,
    name: &'de str,
    value: &'de Value,
}

impl<'de> de::EnumAccess<'de> for Variant<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), Error> {
        let variant = seed.deserialize(BorrowedStrDeserializer::<Error>::new(self.name))?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for Variant<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.value {
            Value::Null => Ok(()),
            _ => Err(Error::invalid_type(
                Tracked {
                    value: self.value,
                    trail: self.at.trail,
                }
                .unexpected(),
                &"unit variant",
            )),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        self.at.enter(Step::Member(self.name), self.value, seed)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.at
            .enter(Step::Member(self.name), self.value, VisitAny(visitor))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.at
            .enter(Step::Member(self.name), self.value, VisitAny(visitor))
    }
}

/// A visitor used as a seed: the value it is given is handed to `deserialize_any`.
struct VisitAny<V>(V);

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for VisitAny<V> {
    type Value = V::Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<V::Value, D::Error> {
        deserializer.deserialize_any(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    struct Order {
        items: Vec<Item>,
        channel: Channel,
        #[serde(default)]
        note: Option<String>,
        #[serde(default)]
        reward: Option<Reward>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Item {
        name: String,
        count: u8,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Channel {
        Branch,
        MobileApp,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Reward {
        Points(u32),
        Voucher { code: String },
    }

    fn fail(value: serde_json::Value) -> (String, String) {
        match deserialize::<Order>(&value) {
            Ok(order) => panic!("accepted {order:?}"),
            Err((path, e)) => (path, e.to_string()),
        }
    }

    #[test]
    fn a_fitting_tree_is_typed_with_enums_options_and_variants() {
        let order: Order = deserialize(&json!({
            "items": [{"name": "a", "count": 2}],
            "channel": "mobile_app",
            "note": null,
            "reward": {"voucher": {"code": "X1"}},
        }))
        .unwrap_or_else(|(p, e)| panic!("{p}: {e}"));
        assert_eq!(order.channel, Channel::MobileApp);
        assert_eq!(order.note, None);
        assert_eq!(order.reward, Some(Reward::Voucher { code: "X1".into() }));
        let points: Order =
            deserialize(&json!({"items": [], "channel": "branch", "reward": {"points": 5}}))
                .unwrap_or_else(|(p, e)| panic!("{p}: {e}"));
        assert_eq!(points.reward, Some(Reward::Points(5)));
    }

    #[test]
    fn the_path_names_the_element_and_member_that_did_not_fit() {
        let items = |second: serde_json::Value| json!({"items": [{"name": "a", "count": 1}, second], "channel": "branch"});
        assert_eq!(
            fail(items(json!({"name": "b", "count": 300}))),
            (
                "items[1].count".into(),
                "invalid value: integer `300`, expected u8".into()
            )
        );
        assert_eq!(
            fail(items(json!({"name": null, "count": 1}))),
            (
                "items[1].name".into(),
                "invalid type: null, expected a string".into()
            )
        );
        // A missing or unknown member is reported at the object that holds it.
        assert_eq!(
            fail(items(json!({"count": 1}))),
            ("items[1]".into(), "missing field `name`".into())
        );
        let (path, message) = fail(items(json!({"name": "b", "count": 1, "size": 2})));
        assert_eq!(path, "items[1]");
        assert!(message.starts_with("unknown field `size`"), "{message}");
        assert_eq!(fail(json!({"items": [], "channel": "fax"})).0, "channel");
        assert_eq!(
            fail(json!({"items": [], "channel": "branch", "reward": {"points": -1}})),
            (
                "reward.points".into(),
                "invalid value: integer `-1`, expected u32".into()
            )
        );
        assert_eq!(
            fail(json!({"items": [], "channel": "branch", "reward": {"voucher": {}}})).0,
            "reward.voucher"
        );
        assert_eq!(fail(json!("an order")).0, ".");
        assert_eq!(
            fail(json!({"items": 1.5, "channel": "branch"})),
            (
                "items".into(),
                "invalid type: floating point `1.5`, expected a sequence".into()
            )
        );
    }
}
