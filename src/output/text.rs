//! What a run prints: a compact table per arm, one plain-language sentence per pair of
//! arms, and warnings about clamped draws. Also [`plain`], which every output applies to
//! text from a scenario file (titles, labels, the currency) before showing it.

use std::borrow::Cow;

use crate::dist::fmt_num;
use crate::stats::{ArmSummary, PairSummary, Summary};

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

fn ratio_pct(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{:.0} %", 100.0 * v))
}

fn months(x: Option<f64>) -> String {
    x.map_or_else(
        || "never".into(),
        |m| {
            if m.fract() == 0.0 {
                format!("{m:.0}")
            } else {
                format!("{m:.1}")
            }
        },
    )
}

/// The table printed after a run.
pub fn table(summary: &Summary) -> String {
    let header = [
        "arm",
        "NPV mean",
        "NPV P5",
        "NPV P50",
        "NPV P95",
        "ROI P50",
        "P(NPV<0)",
        "payback P50",
        "P(dropped)",
    ];
    let rows: Vec<[String; 9]> = summary
        .arms
        .iter()
        .map(|a| {
            [
                plain(&a.name).into_owned(),
                money(a.npv.mean),
                money(a.npv.p5),
                money(a.npv.p50),
                money(a.npv.p95),
                ratio_pct(a.roi.p50),
                pct(a.p_npv_negative),
                months(a.payback_median),
                pct(a.p_dropped),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = format!(
        "{}\n{} trials, {} months, seed {}, amounts in {} (NPV at {} a year)\n\n",
        plain(&summary.title),
        fmt_num(summary.trials as f64),
        summary.horizon_months,
        summary.seed,
        plain(&summary.currency),
        ratio_pct(Some(summary.discount_rate_annual)),
    );
    out.push_str(&line(header.iter().map(|s| s.to_string()).collect()));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r.to_vec()));
        out.push('\n');
    }
    out.push_str(&endings(summary));
    out
}

/// How each arm's projects end and what model v2 adds: the share dropped by each cause,
/// the discoveries, the preparation. Empty when no arm is ever dropped, discovers or
/// prepares.
pub fn endings(summary: &Summary) -> String {
    let lines: Vec<String> = summary.arms.iter().filter_map(ending).collect();
    if lines.is_empty() {
        return String::new();
    }
    let width = summary
        .arms
        .iter()
        .map(|a| plain(&a.name).chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::from("\nHow the projects end (means over all futures)\n");
    for (a, text) in summary.arms.iter().zip(summary.arms.iter().map(ending)) {
        if let Some(text) = text {
            out.push_str(&format!("  {:<width$}  {text}\n", plain(&a.name)));
        }
    }
    out
}

/// One arm's line of [`endings`], `None` when there is nothing to say.
fn ending(a: &ArmSummary) -> Option<String> {
    let mut parts = Vec::new();
    let by = &a.p_dropped_by;
    let causes = [
        (by.gate, "pilot gate"),
        (by.review, "review"),
        (by.hazard, "other reasons"),
    ];
    if a.p_dropped.is_some_and(|p| p > 0.0) {
        let each: Vec<String> = causes
            .iter()
            .filter(|(p, _)| p.is_some_and(|p| p > 0.0))
            .map(|(p, what)| format!("{what} {}", pct(*p)))
            .collect();
        parts.push(format!(
            "stopped in {} of futures ({})",
            pct(a.p_dropped),
            each.join(", ")
        ));
    } else {
        parts.push("never stopped".to_string());
    }
    if let Some(d) = a.discoveries_mean.filter(|d| *d > 0.0) {
        parts.push(format!(
            "finds {d:.1} new uses on average, worth {}",
            money(a.channels.discoveries)
        ));
    }
    if !a.prepare.is_empty() {
        parts.push(format!(
            "prepares {} first, for {}",
            a.prepare.join(", "),
            money(a.channels.preparation.map(|c| -c))
        ));
    }
    let quiet = a.p_dropped.is_none_or(|p| p == 0.0) && parts.len() == 1;
    (!quiet).then(|| parts.join("; "))
}

fn arm_phrase(name: &str) -> String {
    format!("the {} deployment", name.replace(['_', '-'], " "))
}

/// One sentence comparing two arms on the same simulated futures.
pub fn pair_sentence(pair: &PairSummary, a: &ArmSummary, b: &ArmSummary) -> String {
    let p = pair.p_a_npv_greater.unwrap_or(0.0);
    let (lead, other, p_lead) = if p >= 0.5 { (a, b, p) } else { (b, a, 1.0 - p) };
    format!(
        "In {} of simulated futures {} ends ahead of {}; it loses money in {} of them, {} in {}.",
        pct(Some(p_lead)),
        arm_phrase(&lead.name),
        arm_phrase(&other.name).replacen(" deployment", " one", 1),
        pct(lead.p_npv_negative),
        arm_phrase(&other.name).replacen(" deployment", " one", 1),
        pct(other.p_npv_negative),
    )
}

/// All pair sentences of a summary.
pub fn sentences(summary: &Summary) -> Vec<String> {
    summary
        .pairs
        .iter()
        .filter_map(|pair| {
            let a = summary.arms.iter().find(|x| x.name == pair.a)?;
            let b = summary.arms.iter().find(|x| x.name == pair.b)?;
            Some(pair_sentence(pair, a, b))
        })
        .collect()
}

/// Warnings for parameters whose draws were clamped to their domain more than 0.1 % of the time.
pub fn clamp_warnings(summary: &Summary) -> Vec<String> {
    let mut out = Vec::new();
    for arm in &summary.arms {
        for (path, &count) in &arm.clamped {
            let share = count as f64 / summary.trials.max(1) as f64;
            if share > 0.001 {
                out.push(format!(
                    "warning: arm {}: {:.2} % of the draws of {} fell outside its allowed range and were clamped to it; \
                     consider a distribution that stays inside it",
                    arm.name,
                    100.0 * share,
                    path
                ));
            }
        }
    }
    out
}

/// What a `--precision` run achieved, in one line.
pub fn precision_line(summary: &Summary) -> Option<String> {
    let p = summary.precision.as_ref()?;
    let n = fmt_num(summary.trials as f64);
    Some(if p.converged {
        format!(
            "Stopped after {n} trials: every arm's mean NPV is known to within {} % and its probability of loss to within {} percentage points (95 % intervals).",
            fmt_num(100.0 * p.target),
            fmt_num(100.0 * p.target)
        )
    } else {
        format!(
            "warning: reached --max-trials ({n} trials) before every arm's mean NPV was known to within {} % and its probability of loss to within {} points; the results carry more Monte Carlo error than asked for.",
            fmt_num(100.0 * p.target),
            fmt_num(100.0 * p.target)
        )
    })
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
