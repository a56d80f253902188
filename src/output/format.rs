//! The formats every output shares: amounts, shares, and [`plain`], which every output
//! applies to text from a scenario file (titles, labels, the currency) before showing it.
//! They sit below the statistics, whose decision sentence uses them, and below the
//! terminal table and the report, so that neither imports the other for them.

use std::borrow::Cow;

use crate::dist::fmt_num;

/// What stands in for a character that must not reach an output.
pub const REPLACEMENT: char = '\u{FFFD}';

/// `s` with every control character (C0, DEL, C1: NUL, escape, newline...) and every
/// bidirectional formatting character (U+202A to U+202E, U+2066 to U+2069, the marks
/// U+200E, U+200F, U+061C) and line or paragraph separator replaced by U+FFFD, so that text
/// from a scenario cannot move the terminal's cursor, recolour it, reorder a line as it is
/// displayed, or break an HTML, SVG or CSV file.
pub fn plain(s: &str) -> Cow<'_, str> {
    if s.chars().any(unsafe_char) {
        Cow::Owned(
            s.chars()
                .map(|c| if unsafe_char(c) { REPLACEMENT } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// Multi-line text for the terminal: [`plain`], but line breaks and tabs kept.
pub fn terminal(s: &str) -> Cow<'_, str> {
    let bad = |c: char| c != '\n' && c != '\t' && unsafe_char(c);
    if s.chars().any(bad) {
        Cow::Owned(
            s.chars()
                .map(|c| if bad(c) { REPLACEMENT } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(s)
    }
}

pub(crate) fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// A money amount rounded to whole units with thousands separators.
pub fn money(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_string(), |v| fmt_num(v.round() + 0.0))
}

/// A probability as a whole percentage, e.g. `93 %`; `<1 %` and `>99 %` at the extremes.
pub fn pct(p: Option<f64>) -> String {
    match p {
        None => "-".into(),
        Some(p) if p > 0.0 && p < 0.005 => "<1 %".into(),
        Some(p) if p < 1.0 && p > 0.995 => ">99 %".into(),
        Some(p) => format!("{:.0} %", 100.0 * p),
    }
}

/// A standard error in percentage points: whole points from 1 up, tenths below.
pub fn pct_se(se: Option<f64>) -> String {
    match se {
        None => "-".into(),
        Some(s) if s < 0.01 => format!("{:.1} %", 100.0 * s),
        Some(s) => format!("{:.0} %", 100.0 * s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_replaced() {
        assert_eq!(plain("Bakery \u{e4}rio"), "Bakery \u{e4}rio");
        assert!(matches!(plain("ok"), Cow::Borrowed(_)));
        assert_eq!(
            plain("a\0b\u{1b}[31mc\u{202e}d\u{2066}e\u{85}f\u{7f}"),
            "a\u{fffd}b\u{fffd}[31mc\u{fffd}d\u{fffd}e\u{fffd}f\u{fffd}"
        );
    }
}
