//! PDF lexical details: names (with `#xx` escapes), filter lists, hex data, end-of-line rules.

pub fn trim_eol(data: &[u8]) -> &[u8] {
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    data.strip_suffix(b"\r").unwrap_or(data)
}

/// The names in a dictionary's `/Filter` entry: one name or an array of them.
pub fn filters(dict: &[u8]) -> Vec<String> {
    let tokens = names(dict);
    let Some(index) = tokens.iter().position(|(name, _)| name == "Filter") else { return Vec::new() };
    let after = tokens[index].1;
    let rest = &dict[after..];
    let first = rest.iter().position(|b| !b.is_ascii_whitespace()).map(|i| rest[i]);
    if first == Some(b'[') {
        let close = rest.iter().position(|&b| b == b']').map_or(dict.len(), |i| after + i);
        tokens[index + 1..].iter().take_while(|(_, end)| *end <= close).map(|(name, _)| name.clone()).collect()
    } else {
        tokens.get(index + 1).map(|(name, _)| vec![name.clone()]).unwrap_or_default()
    }
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || b == 0 || b"()<>[]{}/%".contains(&b)
}

/// Every `/Name` in `bytes`, `#xx` escapes decoded, with the offset where it ends.
pub fn names(bytes: &[u8]) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(slash) = memchr::memchr(b'/', &bytes[at..]) {
        let mut i = at + slash + 1;
        let mut name = Vec::new();
        while let Some(&b) = bytes.get(i) {
            if is_delimiter(b) {
                break;
            }
            match (b, bytes.get(i + 1..i + 3).and_then(hex_byte)) {
                (b'#', Some(decoded)) => {
                    name.push(decoded);
                    i += 3;
                }
                _ => {
                    name.push(b);
                    i += 1;
                }
            }
        }
        found.push((String::from_utf8_lossy(&name).into_owned(), i));
        at = i;
    }
    found
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    std::str::from_utf8(pair).ok().and_then(|s| u8::from_str_radix(s, 16).ok())
}

/// ASCIIHexDecode: hex digits, whitespace ignored, `>` ends, an odd last digit is padded with 0.
pub fn hex_decode(data: &[u8]) -> Option<Vec<u8>> {
    let mut digits: Vec<u8> = Vec::with_capacity(data.len());
    for &b in data {
        match b {
            b'>' => break,
            b if b.is_ascii_whitespace() => {}
            b if b.is_ascii_hexdigit() => digits.push(b),
            _ => return None,
        }
    }
    if digits.len() % 2 == 1 {
        digits.push(b'0');
    }
    digits.chunks(2).map(hex_byte).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_decode_escapes_and_stop_at_delimiters() {
        let found: Vec<String> =
            names(b"<</J#61vaScript/JS(x)/Filter[/AHx /Fl]>>").into_iter().map(|(n, _)| n).collect();
        assert_eq!(found, ["JavaScript", "JS", "Filter", "AHx", "Fl"]);
        assert_eq!(filters(b"<< /Length 3 /Filter [/AHx /Fl] >>"), ["AHx", "Fl"]);
        assert_eq!(filters(b"<< /Filter /FlateDecode /Length 3 >>"), ["FlateDecode"]);
        assert_eq!(hex_decode(b"41 42 4>"), Some(b"AB@".to_vec()));
        assert_eq!(trim_eol(b"data\r\n"), b"data");
    }
}
