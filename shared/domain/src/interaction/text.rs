//! Field checks shared by the interaction drafts: each pushes an [`Invalid`] naming its
//! field and returns what it could make of the value, so that one pass reports every
//! problem of a request at once.

use super::Invalid;

/// Longest agent or actor identifier.
pub const MAX_ACTOR: usize = 64;

/// The errors of one draft, collected in field order.
#[derive(Debug, Default)]
pub(crate) struct Errors(pub(crate) Vec<Invalid>);

impl Errors {
    pub(crate) fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(Invalid::new(field, message));
    }

    pub(crate) fn into_result<T>(
        self,
        value: impl FnOnce() -> Option<T>,
    ) -> Result<T, Vec<Invalid>> {
        if !self.0.is_empty() {
            return Err(self.0);
        }
        // Every `None` a builder can meet has pushed an error, so this is unreachable;
        // it still answers with an error rather than panicking.
        value().ok_or_else(|| vec![Invalid::new("body", "is invalid")])
    }
}

/// Whether `c` may appear in free text: line breaks and tabs in multi-line text only.
fn allowed_char(c: char, multiline: bool) -> bool {
    !c.is_control() || (multiline && matches!(c, '\n' | '\r' | '\t'))
}

/// Trims `value` and checks it is 1 to `max` characters without control characters.
pub(crate) fn check_text(
    errors: &mut Errors,
    field: &str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Option<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.add(field, "must not be blank");
        None
    } else if trimmed.chars().count() > max {
        errors.add(field, format!("must be at most {max} characters"));
        None
    } else if !trimmed.chars().all(|c| allowed_char(c, multiline)) {
        errors.add(field, "must not contain control characters");
        None
    } else {
        Some(trimmed.to_owned())
    }
}

/// A required text field.
pub(crate) fn required_text(
    errors: &mut Errors,
    field: &str,
    value: Option<String>,
    max: usize,
    multiline: bool,
) -> Option<String> {
    match value {
        None => {
            errors.add(field, "is required");
            None
        }
        Some(v) => check_text(errors, field, &v, max, multiline),
    }
}

/// An optional text field; blank counts as absent, so `""` does not store an empty note.
/// The outer `Option` is `None` when the value was refused.
pub(crate) fn optional_text(
    errors: &mut Errors,
    field: &str,
    value: Option<String>,
    max: usize,
    multiline: bool,
) -> Option<Option<String>> {
    match value {
        Some(v) if !v.trim().is_empty() => check_text(errors, field, &v, max, multiline).map(Some),
        _ => Some(None),
    }
}

/// Whether `id` is an acceptable agent or actor identifier: 1 to [`MAX_ACTOR`]
/// characters of `A-Z a-z 0-9 . _ - : @`, so it is safe in logs and never free text.
pub fn valid_actor(id: &str) -> bool {
    (1..=MAX_ACTOR).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-:@".contains(&b))
}

/// A required agent or actor identifier.
pub(crate) fn required_actor(
    errors: &mut Errors,
    field: &str,
    value: Option<String>,
) -> Option<String> {
    match value {
        None => {
            errors.add(field, "is required");
            None
        }
        Some(v) if valid_actor(&v) => Some(v),
        Some(_) => {
            errors.add(
                field,
                format!("must be 1 to {MAX_ACTOR} characters of A-Z a-z 0-9 . _ - : @"),
            );
            None
        }
    }
}

/// A closed-set value; `None` in the outer option when refused, in the inner when absent.
pub(crate) fn optional_enum<T>(
    errors: &mut Errors,
    field: &str,
    value: Option<String>,
    parse: fn(&str) -> Option<T>,
    expected: fn() -> String,
) -> Option<Option<T>> {
    match value {
        None => Some(None),
        Some(v) => match parse(&v) {
            Some(t) => Some(Some(t)),
            None => {
                errors.add(field, format!("must be one of {}", expected()));
                None
            }
        },
    }
}

/// A required closed-set value.
pub(crate) fn required_enum<T>(
    errors: &mut Errors,
    field: &str,
    value: Option<String>,
    parse: fn(&str) -> Option<T>,
    expected: fn() -> String,
) -> Option<T> {
    if value.is_none() {
        errors.add(field, format!("is required (one of {})", expected()));
        return None;
    }
    optional_enum(errors, field, value, parse, expected).flatten()
}

/// A prefixed id; `None` in the outer option when refused, in the inner when absent.
pub(crate) fn optional_id<T, E: std::fmt::Display>(
    errors: &mut Errors,
    field: &str,
    value: Option<String>,
    parse: fn(&str) -> Result<T, E>,
) -> Option<Option<T>> {
    match value {
        None => Some(None),
        Some(v) => match parse(&v) {
            Ok(id) => Some(Some(id)),
            Err(e) => {
                errors.add(field, e.to_string());
                None
            }
        },
    }
}

/// A required prefixed id.
pub(crate) fn required_id<T, E: std::fmt::Display>(
    errors: &mut Errors,
    field: &str,
    value: Option<String>,
    parse: fn(&str) -> Result<T, E>,
) -> Option<T> {
    if value.is_none() {
        errors.add(field, "is required");
        return None;
    }
    optional_id(errors, field, value, parse).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_its_length_counted_in_characters() {
        let mut e = Errors::default();
        assert_eq!(
            check_text(&mut e, "s", "  投诉  ", 2, false),
            Some("投诉".into())
        );
        assert_eq!(check_text(&mut e, "s", "投诉人", 2, false), None);
        assert_eq!(e.0.len(), 1);
        assert_eq!(e.0[0].message, "must be at most 2 characters");
    }

    #[test]
    fn line_breaks_are_allowed_only_in_multiline_text() {
        let mut e = Errors::default();
        assert!(check_text(&mut e, "notes", "a\nb\tc", 10, true).is_some());
        assert!(check_text(&mut e, "subject", "a\nb", 10, false).is_none());
        assert!(check_text(&mut e, "notes", "a\u{0}b", 10, true).is_none());
        assert_eq!(e.0.len(), 2);
    }

    #[test]
    fn blank_optional_text_counts_as_absent() {
        let mut e = Errors::default();
        assert_eq!(
            optional_text(&mut e, "notes", Some("  ".into()), 5, true),
            Some(None)
        );
        assert!(e.0.is_empty());
    }

    #[test]
    fn actors_are_short_identifiers_not_free_text() {
        for good in ["agent-007", "rm.li@branch:12", "A_1"] {
            assert!(valid_actor(good), "{good}");
        }
        for bad in ["", "has space", "名字", &"a".repeat(MAX_ACTOR + 1)] {
            assert!(!valid_actor(bad), "{bad}");
        }
    }
}
