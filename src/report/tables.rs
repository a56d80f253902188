//! The results in numbers: one column per plan with the statistics of MODEL.md section 6
//! and the chance to meet each target, and one row per pair of plans compared on the same futures.

use std::fmt::Write as _;

use super::headline::label_of;
use super::markup::{chip, escape, plan_name};
use crate::output::text::{money, pct, pct_se};
use crate::plot::fmt_month;
use crate::scenario::Labels;
use crate::scenario::labels::capitalised;
use crate::stats::{ArmSummary, Interval, Summary, TargetResult};

type Cell = Box<dyn Fn(&ArmSummary) -> String>;

/// A ratio as a whole percentage, e.g. ROI 0.58 -> `58 %`.
fn ratio(x: Option<f64>) -> String {
    x.map_or_else(|| "-".into(), |v| format!("{:.0} %", 100.0 * v + 0.0))
}

/// The summary table's rows, top to bottom: a label (in the scenario's words `l`) and how
/// to fill a plan's cell.
fn rows(s: &Summary, l: &Labels) -> Vec<(String, Cell)> {
    let h = s.horizon_months;
    let mut rows = npv_rows();
    rows.extend(return_rows(h, l));
    rows.extend(course_rows(h, l));
    if let Some(k) = &s.kpi {
        rows.push((
            format!("{} at the end (average, {})", k.name, k.unit),
            Box::new(|a| {
                a.kpi_final_mean
                    .map_or_else(|| "-".into(), crate::plot::fmt_money)
            }),
        ));
    }
    rows.extend(target_rows(s));
    rows
}

/// One row per target: each plan's chance to meet it, with its standard error.
fn target_rows(s: &Summary) -> Vec<(String, Cell)> {
    let mut exprs: Vec<&str> = Vec::new();
    for t in &s.targets {
        if !exprs.contains(&t.expr.as_str()) {
            exprs.push(&t.expr);
        }
    }
    exprs
        .into_iter()
        .map(|expr| {
            let results: Vec<TargetResult> = s
                .targets
                .iter()
                .filter(|t| t.expr == expr)
                .cloned()
                .collect();
            let cell: Cell = Box::new(move |a| {
                results.iter().find(|t| t.arm == a.name).map_or_else(
                    || "-".into(),
                    |t| format!("{} \u{b1} {}", pct(t.p), pct_se(t.se)),
                )
            });
            (
                format!("Chance to meet the target {expr} (\u{b1} standard error)"),
                cell,
            )
        })
        .collect()
}

/// The NPV in today's money: average, middle, bad and good cases.
fn npv_rows() -> Vec<(String, Cell)> {
    vec![
        (
            "Average NPV, today's money (\u{b1} Monte Carlo error)".into(),
            Box::new(|a| {
                let err = a
                    .npv
                    .se
                    .map(|se| format!(" \u{b1} {}", money(Some(1.96 * se))));
                format!("{}{}", money(a.npv.mean), err.unwrap_or_default())
            }),
        ),
        (
            "NPV in the middle future (median)".into(),
            Box::new(|a| money(a.npv.p50)),
        ),
        (
            "NPV, bad case: 1 future in 20 is worse (VaR 5 %)".into(),
            Box::new(|a| money(a.npv_var5)),
        ),
        (
            "Average NPV of the worst 5 % of futures (CVaR 5 %)".into(),
            Box::new(|a| money(a.npv_cvar5)),
        ),
        (
            "NPV, good case: 1 future in 20 is better".into(),
            Box::new(|a| money(a.npv.p95)),
        ),
    ]
}

/// What goes in and comes out over `h` months, not discounted, and the chances of a loss.
fn return_rows(h: u32, l: &Labels) -> Vec<(String, Cell)> {
    vec![
        (
            format!("Net result over {h} months, not discounted (average)"),
            Box::new(|a| money(a.net.mean)),
        ),
        (
            format!(
                "Money put in: upfront and running costs, the cost of {} (average)",
                l.incidents
            ),
            Box::new(|a| money(a.investment_mean)),
        ),
        (
            "Return on investment in the middle future (median)".into(),
            Box::new(|a| ratio(a.roi.p50)),
        ),
        (
            "Return on investment, 1 in 10 low / 1 in 10 high".into(),
            Box::new(|a| format!("{} / {}", ratio(a.roi.p10), ratio(a.roi.p90))),
        ),
        (
            "Chance of losing money (NPV below zero)".into(),
            Box::new(|a| pct(a.p_npv_negative)),
        ),
        (
            "Chance of a negative return (ROI below zero, not discounted)".into(),
            Box::new(|a| pct(a.p_roi_negative)),
        ),
    ]
}

/// How the project runs its course over `h` months: payback, dropping, customers,
/// incidents and adoption.
fn course_rows(h: u32, l: &Labels) -> Vec<(String, Cell)> {
    vec![
        (
            "Half of futures paid back by month".into(),
            Box::new(move |a| {
                a.payback_median
                    .map_or_else(|| format!("not within {h}"), fmt_month)
            }),
        ),
        (
            format!("Chance of paying back within {h} months"),
            Box::new(|a| pct(a.p_payback)),
        ),
        (
            "Chance the project is dropped".into(),
            Box::new(|a| pct(a.p_dropped)),
        ),
        (
            format!("Share of the {} kept at the end (average)", l.customers),
            Box::new(|a| ratio(a.revenue_retained_mean)),
        ),
        (
            format!("{} over the horizon (average)", capitalised(&l.incidents)),
            Box::new(|a| {
                a.incidents_mean
                    .map_or_else(|| "-".into(), |v| format!("{v:.1}"))
            }),
        ),
        (
            "Adoption at the end (average share of the process)".into(),
            Box::new(|a| ratio(a.adoption_final_mean)),
        ),
    ]
}

/// What ROI is, and why it can fall below -100 %.
const ROI_NOTE: &str = "<p class=\"note\">Return on investment (ROI) is the net result over \
    the horizon, not discounted, divided by all the money spent: upfront, running and incident \
    costs. It can fall below -100 % when lost revenue and incidents cost more than the project \
    brings in, a loss on top of the money spent. Its sign can differ from the NPV's when gains come \
    late, so the chance of a negative ROI can differ from the chance of losing money \
    (NPV below zero).</p>\n";

pub fn section(data: &crate::plot::RunData) -> String {
    let s = &data.summary;
    let mut out = String::from("<section id=\"summary\">\n<h2>The results in numbers</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"note\">Amounts in {}. NPV counts money at {} a year; everything else is not discounted.</p>",
        escape(&s.currency),
        escape(&pct(Some(s.discount_rate_annual)))
    );
    out.push_str(ROI_NOTE);
    out.push_str("<table class=\"summary\">\n<thead><tr><th>Figure</th>");
    for (i, a) in s.arms.iter().enumerate() {
        let _ = write!(
            out,
            "<th class=\"arm\">{}{}</th>",
            chip(i),
            plan_name(&a.name, &a.label)
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (label, cell) in rows(s, &data.labels()) {
        let _ = write!(out, "<tr><td>{}</td>", escape(&label));
        for a in &s.arms {
            let _ = write!(out, "<td class=\"n\">{}</td>", escape(&cell(a)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out.push_str(&pairs(s));
    out.push_str("</section>\n");
    out
}

fn interval(i: &Interval, fmt: impl Fn(Option<f64>) -> String) -> String {
    format!("{} ({} to {})", fmt(i.mean), fmt(i.lo95), fmt(i.hi95))
}

fn pairs(s: &Summary) -> String {
    if s.pairs.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<h3>Plans compared on the same futures</h3>\n<table class=\"pairs\">\n<thead><tr><th>Comparison</th>\
         <th class=\"n\">Chance the first ends ahead</th><th class=\"n\">Mean NPV difference (95 % interval)</th>\
         <th class=\"n\">Mean ROI difference, points (95 % interval)</th></tr></thead>\n<tbody>\n",
    );
    let points =
        |x: Option<f64>| x.map_or_else(|| "-".into(), |v| format!("{:.1}", 100.0 * v + 0.0));
    for p in &s.pairs {
        let _ = writeln!(
            out,
            "<tr><td>{} versus {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(label_of(s, &p.a)),
            escape(label_of(s, &p.b)),
            escape(&pct(p.p_a_npv_greater)),
            escape(&interval(&p.npv_diff, money)),
            escape(&interval(&p.roi_diff, points)),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}
