//! Strategies for the "no input panics" property tests: arbitrary text, and valid
//! text with one character replaced, inserted or removed, so that a parser's checks
//! are passed far enough to reach its slicing and indexing.

use proptest::prelude::*;
use proptest::sample::Index;

/// Any string: every Unicode scalar value, multi-byte characters included.
pub(crate) fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "\\PC*", "[\\x00-\\x7f]{0,40}"]
}

/// How one character of a valid text is disturbed.
#[derive(Debug, Clone)]
enum Edit {
    Replace(Index, char),
    Insert(Index, char),
    Remove(Index),
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    match edit {
        Edit::Replace(at, c) if !chars.is_empty() => {
            let i = at.index(chars.len());
            chars[i] = *c;
        }
        Edit::Insert(at, c) => {
            let i = at.index(chars.len() + 1);
            chars.insert(i, *c);
        }
        Edit::Remove(at) if !chars.is_empty() => {
            chars.remove(at.index(chars.len()));
        }
        _ => {}
    }
    chars.into_iter().collect()
}

/// A character that is often multi-byte: the edits that break byte-length checks.
fn edit_char() -> impl Strategy<Value = char> {
    prop_oneof![
        any::<char>(),
        Just('é'),
        Just('张'),
        Just('\u{1F600}'),
        Just('\u{0}'),
    ]
}

/// A text of `valid` with up to three characters replaced, inserted or removed.
pub(crate) fn near(valid: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    let edit = prop_oneof![
        (any::<Index>(), edit_char()).prop_map(|(at, c)| Edit::Replace(at, c)),
        (any::<Index>(), edit_char()).prop_map(|(at, c)| Edit::Insert(at, c)),
        any::<Index>().prop_map(Edit::Remove),
    ];
    (valid, proptest::collection::vec(edit, 1..=3))
        .prop_map(|(text, edits)| edits.iter().fold(text, |text, edit| apply(&text, edit)))
}

/// Any string, or a string near one of `valid`.
pub(crate) fn text_near(valid: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
    prop_oneof![any_text(), near(valid)]
}
