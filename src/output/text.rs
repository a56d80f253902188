//! What a run prints: the decision, a compact table of the arms ranked by mean NPV, the
//! chance of meeting each target, one plain-language sentence per pair of arms, and
//! warnings about clamped draws. The formats of amounts and shares, and
//! [`plain`], which every output applies to text from a scenario file, live in
//! [`super::format`] and are re-exported here.

use crate::dist::fmt_num;
use crate::stats::decision::ranking;
use crate::stats::{ArmSummary, PairSummary, Summary};

pub(crate) use super::format::unsafe_char;
pub use super::format::{REPLACEMENT, money, pct, pct_se, plain, terminal};

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

/// What a run prints first: its title lines, the decision, then one row per arm ranked by
/// mean NPV (best first) with each arm's chance to beat doing nothing, then how the
/// projects end.
pub fn table(summary: &Summary) -> String {
    let header = [
        "rank",
        "arm",
        "NPV mean",
        "NPV P5",
        "NPV P50",
        "NPV P95",
        "ROI P50",
        "P(NPV>0)",
        "P(NPV<0)",
        "payback P50",
        "P(dropped)",
    ];
    let rows: Vec<Vec<String>> = ranking(&summary.arms)
        .into_iter()
        .enumerate()
        .map(|(rank, i)| row(rank + 1, &summary.arms[i]))
        .collect();
    let mut out = format!(
        "{}\n{} trials, {} months, seed {}, amounts in {} (NPV at {} a year)\n\n{}\n\n",
        plain(&summary.title),
        fmt_num(summary.trials as f64),
        summary.horizon_months,
        summary.seed,
        plain(&summary.currency),
        ratio_pct(Some(summary.discount_rate_annual)),
        plain(&summary.decision.sentence),
    );
    out.push_str(&aligned(
        header.iter().map(|s| s.to_string()).collect(),
        rows,
    ));
    out.push_str("P(NPV>0): the chance to beat doing nothing (an NPV of 0).\n");
    out.push_str(&targets(summary));
    out.push_str(&endings(summary));
    out
}

/// Per arm, the chance of meeting each target with its standard error, such as
/// `P(roi >= 0.5): 62 % ± 1 %`. Empty without targets.
pub fn targets(summary: &Summary) -> String {
    if summary.targets.is_empty() {
        return String::new();
    }
    let width = name_width(summary);
    let mut out = String::from("\nTargets (the chance to meet each, ± one standard error)\n");
    for a in &summary.arms {
        let each: Vec<String> = summary
            .targets
            .iter()
            .filter(|t| t.arm == a.name)
            .map(|t| format!("P({}): {} ± {}", t.expr, pct(t.p), pct_se(t.se)))
            .collect();
        out.push_str(&format!(
            "  {:<width$}  {}\n",
            plain(&a.name),
            each.join("   ")
        ));
    }
    out
}

/// One arm's row of [`table`], at `rank`.
fn row(rank: usize, a: &ArmSummary) -> Vec<String> {
    vec![
        rank.to_string(),
        plain(&a.name).into_owned(),
        money(a.npv.mean),
        money(a.npv.p5),
        money(a.npv.p50),
        money(a.npv.p95),
        ratio_pct(a.roi.p50),
        pct(a.p_npv_positive),
        pct(a.p_npv_negative),
        months(a.payback_median),
        pct(a.p_dropped),
    ]
}

/// `header` and `rows` as columns: the arm names (the second column) left-aligned, the
/// rest right-aligned, each line ending in a line break.
fn aligned(header: Vec<String>, rows: Vec<Vec<String>>) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let cells: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 1 {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect();
        format!("{}\n", cells.join("  "))
    };
    std::iter::once(&header)
        .chain(&rows)
        .map(|r| line(r))
        .collect()
}

/// How each arm's projects end and what model v2 adds: the share dropped by each cause,
/// the discoveries, the preparation. Empty when no arm is ever dropped, discovers or
/// prepares.
pub fn endings(summary: &Summary) -> String {
    let lines: Vec<(&ArmSummary, String)> = summary
        .arms
        .iter()
        .filter_map(|a| ending(a).map(|text| (a, text)))
        .collect();
    if lines.is_empty() {
        return String::new();
    }
    let width = name_width(summary);
    let mut out = String::from("\nHow the projects end (means over all futures)\n");
    for (a, text) in lines {
        out.push_str(&format!("  {:<width$}  {text}\n", plain(&a.name)));
    }
    out
}

/// The width of the longest arm name, as printed: the column the per-arm lines align to.
fn name_width(summary: &Summary) -> usize {
    summary
        .arms
        .iter()
        .map(|a| plain(&a.name).chars().count())
        .max()
        .unwrap_or(0)
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
