//! `closed_enum!`: a closed set of values with one snake_case spelling for JSON,
//! SQL and query strings, so a value cannot be spelled two ways.

/// Defines a closed enum with `as_str`, `parse`, `ALL` and serde as its snake_case names.
#[macro_export]
macro_rules! closed_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* #[doc = concat!("`", $text, "`")] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and storage spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses the wire spelling exactly.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The accepted spellings joined with `|`, for error messages.
            pub fn expected() -> String {
                [$($text),+].join("|")
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                $name::parse(&text).ok_or_else(|| {
                    ::serde::de::Error::custom(format_args!(
                        "unknown value `{text}`, expected one of {}",
                        $name::expected()
                    ))
                })
            }
        }
    };
}

#[cfg(test)]
mod properties {
    use crate::customer::{CustomerStatus, Segment, ValueTier};
    use crate::fuzz::text_near;
    use crate::interaction::{
        Channel, ComplaintCategory, ComplaintStatus, Direction, InteractionType, Sentiment,
        Severity,
    };
    use crate::loan::{ApplicationStatus, LoanProduct};
    use crate::loyalty::EntryKind;
    use crate::recommendation::{self, Category};
    use crate::security::Role;
    use proptest::prelude::*;

    /// Parses `text` as every `$ty`, checking that a value accepted is spelled exactly so.
    macro_rules! check {
        ($text:expr, $($ty:ty),+) => {
            $(
                if let Some(value) = <$ty>::parse($text) {
                    prop_assert_eq!(value.as_str(), $text);
                }
            )+
        };
    }

    /// Every spelling of every `$ty`.
    macro_rules! spellings {
        ($($ty:ty),+) => {
            vec![$(<$ty>::ALL.iter().map(|v| v.as_str().to_owned()).collect::<Vec<_>>()),+].concat()
        };
    }

    proptest! {
        #[test]
        fn no_string_panics_a_closed_enum_parser(
            text in text_near(proptest::sample::select(spellings!(
                CustomerStatus, Segment, ValueTier, Channel, ComplaintCategory, ComplaintStatus,
                Direction, InteractionType, Sentiment, Severity, ApplicationStatus, LoanProduct,
                EntryKind, Category, recommendation::Channel, Role
            ))),
        ) {
            check!(
                text.as_str(),
                CustomerStatus, Segment, ValueTier, Channel, ComplaintCategory, ComplaintStatus,
                Direction, InteractionType, Sentiment, Severity, ApplicationStatus, LoanProduct,
                EntryKind, Category, recommendation::Channel, Role
            );
        }
    }
}
