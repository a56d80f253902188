//! Numbers written as people write them but TOML does not read: `25,000` (a thousands
//! separator), `0,45` (a decimal comma), `45%`, `$25000`, `25k`. The TOML parser only says
//! where it stopped; when it fails, the offending line is read again here to say what is
//! wrong and how to write it. Scenario files and batch files share this.

use std::ops::Range;

use crate::error::InputError;

/// The error for a TOML syntax error at byte `at` of `text`: what the slip on that line is
/// and how to write it, or `None` when the line holds none of the slips known here.
pub fn explain(text: &str, at: usize) -> Option<InputError> {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[start..end];
    let (key, token) = slips(line).next()?;
    let span = start + token.start..start + token.end;
    let written = &line[token];
    let path = match header(&text[..start]) {
        Some(h) => format!("{h}.{key}"),
        None => key.to_string(),
    };
    let message = advice(written)?;
    Some(InputError::new(
        span,
        path,
        format!("`{written}` is not a TOML number: {message}"),
    ))
}

/// Each value on `line` that looks like a number written with a slip: the key before its
/// `=` (the line's first key) and the value's byte range in the line.
fn slips(line: &str) -> impl Iterator<Item = (&str, Range<usize>)> {
    let code = line.split('#').next().unwrap_or("");
    let key = code.split('=').next().unwrap_or("").trim();
    let key = key.trim_start_matches([' ', '\x7b']);
    code.match_indices('=').filter_map(move |(i, _)| {
        let rest = &code[i + 1..];
        let lead = rest.len() - rest.trim_start().len();
        let from = i + 1 + lead;
        let len = token_len(&code[from..]);
        let token = &code[from..from + len];
        advice(token).map(|_| (key, from..from + len))
    })
}

/// The length of the number-like token at the start of `s`: a sign, a currency sign,
/// digits with `.`, `_` and commas followed by a digit, and a `%`, `k` or `m` suffix.
fn token_len(s: &str) -> usize {
    let b: Vec<char> = s.chars().collect();
    let mut n = 0;
    let mut bytes = 0;
    let take = |n: &mut usize, bytes: &mut usize| {
        *bytes += b[*n].len_utf8();
        *n += 1;
    };
    while n < b.len() && matches!(b[n], '+' | '-' | '$' | '€' | '£' | '¥') {
        take(&mut n, &mut bytes);
    }
    while n < b.len() {
        let c = b[n];
        let digit_next = b.get(n + 1).is_some_and(|d| d.is_ascii_digit());
        if c.is_ascii_digit() || c == '.' || c == '_' || (c == ',' && digit_next) {
            take(&mut n, &mut bytes);
        } else {
            break;
        }
    }
    if n < b.len() && matches!(b[n], '%' | 'k' | 'K' | 'm' | 'M') {
        let word_ends = b.get(n + 1).is_none_or(|c| !c.is_alphanumeric());
        if word_ends {
            take(&mut n, &mut bytes);
        }
    }
    bytes
}

/// What is wrong with `token` and how to write it, when it is a number with a slip.
fn advice(token: &str) -> Option<String> {
    let (sign, rest) = match token.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", token.strip_prefix('+').unwrap_or(token)),
    };
    let currency = rest.starts_with(['$', '€', '£', '¥']);
    let rest = rest.trim_start_matches(['$', '€', '£', '¥']);
    let (digits, suffix) = match rest.char_indices().last() {
        Some((i, c)) if "%kKmM".contains(c) => (&rest[..i], Some(c)),
        _ => (rest, None),
    };
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let (plain, comma) = read_commas(digits)?;
    if !currency && comma.is_none() && suffix.is_none() {
        return None;
    }
    let x: f64 = plain.parse().ok()?;
    let (value, what) = match suffix {
        Some('%') => (
            x / 100.0,
            "TOML has no percent sign, and shares are fractions",
        ),
        Some('k' | 'K') => (x * 1e3, "TOML numbers take no k (thousands) suffix"),
        Some(_) => (x * 1e6, "TOML numbers take no m (millions) suffix"),
        None if currency => (
            x,
            "TOML numbers take no currency sign (the currency is named once, in [scenario] currency)",
        ),
        None => (x, comma.unwrap_or_default()),
    };
    let what = match (comma, suffix.is_some() || currency) {
        (Some(c), true) => format!("{what}, and {}", c.replace("TOML numbers take ", "")),
        _ => what.to_string(),
    };
    Some(format!("{what}; write {}", written(sign, value)))
}

/// `digits` with its commas read: as thousands separators (`25,000`) or as a decimal
/// comma (`0,45`, `12,5`), and which (`None`: no comma).
fn read_commas(digits: &str) -> Option<(String, Option<&'static str>)> {
    if !digits.contains(',') {
        return Some((digits.replace('_', ""), None));
    }
    let groups: Vec<&str> = digits.split(',').collect();
    let (last, rest) = groups.split_last()?;
    let last_int = last.split('.').next().unwrap_or("");
    let thousands = !digits.starts_with("0,")
        && !digits.contains('_')
        && groups[0].len() <= 3
        && rest[1..].iter().all(|g| g.len() == 3)
        && last_int.len() == 3;
    if thousands {
        let plain = digits.replace(',', "");
        return Some((plain, Some("TOML numbers take no thousands separator")));
    }
    if groups.len() == 2 && !digits.contains('.') {
        let plain = digits.replace(',', ".").replace('_', "");
        return Some((
            plain,
            Some("TOML numbers take a decimal point, not a comma"),
        ));
    }
    None
}

/// How to write `value`: whole numbers also with `_` separators (`25000 or 25_000`).
fn written(sign: &str, value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        let n = format!("{}", value as i64);
        if n.len() <= 4 {
            return format!("{sign}{n}");
        }
        let grouped = crate::dist::fmt_num(value).replace(',', "_");
        format!("{sign}{n} or {sign}{grouped}")
    } else {
        format!("{sign}{value}")
    }
}

/// The table header in force at the end of `before` (`initiative`, `arms.aligned`).
fn header(before: &str) -> Option<String> {
    before.lines().rev().find_map(|l| {
        let l = l.trim();
        let inner = l.strip_prefix('[')?.split(']').next()?;
        Some(inner.trim_start_matches('[').trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(line: &str) -> String {
        explain(line, line.len() - 1).map_or(String::new(), |e| e.message)
    }

    #[test]
    fn slips_are_named_with_what_to_write() {
        assert!(said("upfront_cost = 25,000\n").contains("write 25000 or 25_000"));
        assert!(said("gross_margin = 45%\n").contains("write 0.45"));
        assert!(said("gross_margin = 0,45\n").contains("decimal point"));
        assert!(said("upfront_cost = $25000\n").contains("currency sign"));
        assert!(said("upfront_cost = 25k\n").contains("write 25000 or 25_000"));
        assert!(said("upfront_cost = $25,000\n").contains("no thousands separator"));
        assert_eq!(said("upfront_cost = 25000 x\n"), "");
        assert_eq!(said("name = \"a,b\"\n"), "");
    }

    #[test]
    fn the_path_names_the_table() {
        let text = "[initiative]\nupfront_cost = 25,000\n";
        let e = explain(text, text.len() - 2).unwrap();
        assert_eq!(e.path, "initiative.upfront_cost");
        assert_eq!(&text[e.span], "25,000");
    }
}
