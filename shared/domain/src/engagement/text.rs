//! Field checks shared by the engagement drafts: each records an [`Invalid`] naming its
//! field, so that one pass reports every problem of a request at once.

use crate::invalid::Invalid;
use crate::time::Timestamp;

/// Trims `value` and checks it is 1 to `max` characters without control characters
/// (line breaks allowed when `multiline`).
pub(crate) fn text(
    errors: &mut Vec<Invalid>,
    field: &str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Option<String> {
    let trimmed = value.trim();
    let allowed = |c: char| !c.is_control() || (multiline && matches!(c, '\n' | '\r' | '\t'));
    // The limit applies to the text as sent (as the contract's maxLength does), then it
    // is stored trimmed.
    if trimmed.is_empty() {
        errors.push(Invalid::new(field, "must not be blank"));
        None
    } else if value.chars().count() > max {
        errors.push(Invalid::new(
            field,
            format!("must be at most {max} characters"),
        ));
        None
    } else if !trimmed.chars().all(allowed) {
        errors.push(Invalid::new(field, "must not contain control characters"));
        None
    } else {
        Some(trimmed.to_owned())
    }
}

/// An optional text: `Some(None)` when absent or blank, `None` when refused.
pub(crate) fn optional_text(
    errors: &mut Vec<Invalid>,
    field: &str,
    value: Option<&str>,
    max: usize,
    multiline: bool,
) -> Option<Option<String>> {
    match value {
        Some(v) if !v.trim().is_empty() => text(errors, field, v, max, multiline).map(Some),
        _ => Some(None),
    }
}

/// An RFC 3339 instant.
pub(crate) fn instant(errors: &mut Vec<Invalid>, field: &str, value: &str) -> Option<Timestamp> {
    match Timestamp::parse(value) {
        Ok(t) => Some(t),
        Err(e) => {
            errors.push(Invalid::new(field, e.to_string()));
            None
        }
    }
}

/// Whether something still waiting (`open`) is past its `due` time at `now`.
pub fn is_overdue(waiting: bool, due: Timestamp, now: Timestamp) -> bool {
    waiting && now > due
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_bounded_as_sent_stored_trimmed_and_refuses_control_characters() {
        let mut errors = Vec::new();
        assert_eq!(
            text(&mut errors, "f", "  hi ", 5, false).as_deref(),
            Some("hi")
        );
        assert_eq!(text(&mut errors, "f", "hi    ", 5, false), None);
        assert_eq!(text(&mut errors, "f", "   ", 5, false), None);
        assert_eq!(text(&mut errors, "f", "toolong", 5, false), None);
        assert_eq!(text(&mut errors, "f", "a\nb", 5, false), None);
        assert_eq!(
            text(&mut errors, "f", "a\nb", 5, true).as_deref(),
            Some("a\nb")
        );
        assert_eq!(errors.len(), 4);
    }

    #[test]
    fn only_what_still_waits_past_its_due_time_is_overdue() {
        let due = Timestamp::from_unix_millis(1_000);
        assert!(is_overdue(true, due, Timestamp::from_unix_millis(1_001)));
        assert!(!is_overdue(true, due, Timestamp::from_unix_millis(1_000)));
        assert!(!is_overdue(false, due, Timestamp::from_unix_millis(9_000)));
    }
}
