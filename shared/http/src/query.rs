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
