//! Query-string access with percent-decoding (`application/x-www-form-urlencoded` rules).

/// Decodes one query component: `+` is a space, `%XX` a byte; invalid UTF-8 is refused.
pub(crate) fn decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = raw.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Every `name=value` pair of `query`, decoded; undecodable pairs are `None` values.
pub(crate) fn pairs(query: &str) -> impl Iterator<Item = (Option<String>, Option<String>)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(name), decode(value))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_and_plus_are_decoded() {
        assert_eq!(decode("Li+Wei%20Zhang"), Some("Li Wei Zhang".into()));
        assert_eq!(decode("%E5%BC%A0"), Some("张".into()));
    }

    #[test]
    fn broken_escapes_are_refused() {
        assert_eq!(decode("%4"), None);
        assert_eq!(decode("%zz"), None);
        assert_eq!(decode("%FF"), None);
    }

    #[test]
    fn pairs_split_on_ampersand_and_equals() {
        let got: Vec<_> = pairs("a=1&&b=&c").collect();
        assert_eq!(
            got,
            vec![
                (Some("a".into()), Some("1".into())),
                (Some("b".into()), Some(String::new())),
                (Some("c".into()), Some(String::new())),
            ]
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::fuzz::{any_text, text_near};
    use proptest::prelude::*;

    const QUERY: &str = "([a-zA-Z]{1,6}=([a-zA-Z0-9+._-]|%[0-9A-Fa-f]{2}){0,12}&?){0,4}";

    fn percent_encoded(text: &str) -> String {
        text.bytes().map(|b| format!("%{b:02X}")).collect()
    }

    proptest! {
        #[test]
        fn no_string_panics_the_query_decoder(raw in text_near(QUERY)) {
            let _ = decode(&raw);
            for (name, value) in pairs(&raw) {
                let _ = (name, value);
            }
        }

        #[test]
        fn a_percent_encoded_string_decodes_to_itself(text in any_text()) {
            prop_assert_eq!(decode(&percent_encoded(&text)), Some(text));
        }

        #[test]
        fn a_percent_sign_before_a_multi_byte_character_is_refused(
            before in "[a-z]{0,3}",
            c in any::<char>().prop_filter("multi-byte", |c| c.len_utf8() > 1),
            after in "[0-9a-f]{0,2}",
        ) {
            prop_assert_eq!(decode(&format!("{before}%{c}{after}")), None);
            prop_assert_eq!(decode(&format!("{before}%0{c}{after}")), None);
        }
    }
}
