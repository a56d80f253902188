//! The executive summary: the one page at the top of the report that a client reads when
//! they read nothing else, and the page a printed report opens with, alone. It states the
//! decision (`summary.json`'s `decision`), three figures per plan (mean NPV with its 95 %
//! interval, the chance of losing money, the chance of paying back within the horizon),
//! the ROI risk curve, what drives the result and what to do first.
//!
//! Nothing here is computed anew: every figure is a field of the run's [`Summary`] (tagged
//! with [`figure`] so that tests can tie it to `summary.json`), the drivers are the run's
//! tornado when it has a sensitivity analysis (else its alignment levers), and the first
//! step is the sentence of a `plan.json` in the run folder or the run's best lever.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;

use super::markup::{chip, escape, figure, inline_svg};
use crate::analysis::levers::Lever;
use crate::output::text::{money, pct};
use crate::plot::levers::player_words;
use crate::plot::{Chart, RunData, fmt_money};
use crate::sensitivity::Sensitivity;
use crate::sensitivity::tornado::signed;
use crate::stats::{ArmSummary, Choice, Interval, Summary, decision};

/// How many inputs or alignment scores "what drives the result" names per plan.
const DRIVERS: usize = 3;

/// How many plans (the best by mean NPV) "what drives the result" speaks of, so that the
/// summary keeps to one page.
const DRIVEN_PLANS: usize = 2;

/// The part of an `alignsim plan` result (`plan.json`) that the summary quotes: the
/// scenario and plan it searched and its sentence.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PlanAdvice {
    pub scenario: String,
    pub arm: String,
    pub sentence: String,
}

/// The section. `plan` is quoted as the first step when it searched one of the run's plans.
pub fn section(
    data: &RunData,
    svgs: &[(Chart, String)],
    sensitivity: Option<&Sensitivity>,
    plan: Option<&PlanAdvice>,
) -> String {
    let s = &data.summary;
    let mut out =
        String::from("<section id=\"executive-summary\" class=\"exec\">\n<h2>Summary</h2>\n");
    out.push_str(&verdict(s));
    out.push_str(&figures(s));
    out.push_str("<div class=\"exec-grid\">\n");
    out.push_str(&risk_curve(data, svgs));
    out.push_str("<div class=\"exec-text\">\n");
    out.push_str(&drivers(data, sensitivity));
    out.push_str(&first_step(data, plan));
    out.push_str("</div>\n</div>\n</section>\n");
    out
}

/// The choice in a few words, shown large: "Do not start", "Recommended: aligned", "Too
/// close to call".
fn choice_words(s: &Summary) -> String {
    match (s.decision.choice, &s.decision.arm) {
        (Choice::Arm, Some(arm)) => format!("Recommended: {arm}"),
        (Choice::Arm, None) => "Recommended".to_string(),
        (Choice::DoNothing, _) => "Do not start".to_string(),
        (Choice::TooClose, _) => "Too close to call".to_string(),
    }
}

/// The choice and the decision's sentence, without the words of the choice it opens with
/// ("Do not start: no plan is worth ..." reads "No plan is worth ..." under "Do not start").
fn verdict(s: &Summary) -> String {
    let class = match s.decision.choice {
        Choice::Arm => "go",
        Choice::DoNothing => "stop",
        Choice::TooClose => "close",
    };
    format!(
        "<div class=\"choice {class}\">\n<p class=\"choice-words\">{}</p>\n\
         <p class=\"choice-why\">{}</p>\n</div>\n",
        escape(&choice_words(s)),
        escape(&without_choice(&s.decision.sentence))
    )
}

/// `sentence` without its opening "Do not start: ", "Recommended: " or "Too close to
/// call: ", the rest starting with a capital.
fn without_choice(sentence: &str) -> String {
    let rest = ["Do not start: ", "Recommended: ", "Too close to call: "]
        .iter()
        .find_map(|p| sentence.strip_prefix(p));
    let Some(rest) = rest else {
        return sentence.to_string();
    };
    let mut chars = rest.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The three headline figures of every plan, ranked by mean NPV.
fn figures(s: &Summary) -> String {
    let mut out = format!(
        "<table class=\"exec-figures\">\n<thead><tr><th>Plan</th>\
         <th class=\"n\">Mean NPV, {} (95 % interval)</th>\
         <th class=\"n\">Chance of losing money</th>\
         <th class=\"n\">Chance of paying back in {} months</th></tr></thead>\n<tbody>\n",
        escape(&s.currency),
        s.horizon_months
    );
    for i in decision::ranking(&s.arms) {
        let a = &s.arms[i];
        let key = |field: &str| format!("arm.{}.{field}", a.name);
        let npv = Interval::of(a.npv.mean, a.npv.se);
        let _ = writeln!(
            out,
            "<tr><td>{}{}<span class=\"armlabel\">{}</span></td>\
             <td class=\"n\">{} ({} to {})</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            chip(i),
            escape(&a.name),
            escape(&a.label),
            figure(&key("npv.mean"), a.npv.mean, &money(a.npv.mean)),
            money(npv.lo95),
            money(npv.hi95),
            figure(
                &key("p_npv_negative"),
                a.p_npv_negative,
                &pct(a.p_npv_negative)
            ),
            figure(&key("p_payback"), a.p_payback, &pct(a.p_payback)),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// The ROI risk curve, as in the charts section; nothing when the run has no such chart.
fn risk_curve(data: &RunData, svgs: &[(Chart, String)]) -> String {
    let Some((chart, svg)) = svgs.iter().find(|(c, _)| *c == Chart::RoiRiskCurve) else {
        return String::new();
    };
    format!(
        "<figure class=\"chart exec-chart\">\n<div class=\"svg\">{}</div>\n\
         <figcaption>The chance of earning at least each return on investment; the dashed \
         line is break-even.</figcaption>\n</figure>\n",
        inline_svg(svg, &chart.heading(data))
    )
}

/// What drives the result: for the best [`DRIVEN_PLANS`] plans, the inputs that move
/// their NPV most (the tornado), or without a sensitivity analysis the alignment scores
/// worth most (the levers).
fn drivers(data: &RunData, sensitivity: Option<&Sensitivity>) -> String {
    let s = &data.summary;
    let lines: Vec<String> = match sensitivity {
        Some(analysis) => tornado_lines(s, analysis),
        None => lever_lines(s),
    };
    if lines.is_empty() {
        return String::new();
    }
    let note = match sensitivity {
        Some(_) => {
            "The inputs whose uncertainty moves the NPV most (rank correlation: + means \
             more of it is better)."
        }
        None => "The alignment scores worth most (what +0.1 of each adds to the mean NPV).",
    };
    let mut out = format!(
        "<h3>What drives the result</h3>\n<p class=\"note\">{}</p>\n<ul class=\"plain\">\n",
        escape(note)
    );
    for line in lines {
        let _ = writeln!(out, "<li>{line}</li>");
    }
    out.push_str("</ul>\n");
    out
}

/// A line per plan, in ranking order, naming its strongest tornado drivers.
fn tornado_lines(s: &Summary, analysis: &Sensitivity) -> Vec<String> {
    decision::ranking(&s.arms)
        .into_iter()
        .take(DRIVEN_PLANS)
        .filter_map(|i| {
            let arm = &s.arms[i];
            let t = analysis.tornado.iter().find(|t| t.arm == arm.name)?;
            let top: Vec<String> = t
                .drivers
                .iter()
                .filter_map(|d| d.rho_npv.map(|r| format!("{} ({})", d.name, signed(r))))
                .take(DRIVERS)
                .collect();
            (!top.is_empty()).then(|| arm_line(i, arm, &top))
        })
        .collect()
}

/// A line per plan, in ranking order, naming its best alignment levers.
fn lever_lines(s: &Summary) -> Vec<String> {
    let Some(levers) = &s.levers else {
        return Vec::new();
    };
    decision::ranking(&s.arms)
        .into_iter()
        .take(DRIVEN_PLANS)
        .filter_map(|i| {
            let arm = &s.arms[i];
            let top: Vec<String> = best_levers(levers.get(&arm.name)?)
                .into_iter()
                .take(DRIVERS)
                .map(|(dim, l)| format!("{} ({})", player_words(dim), signed_money(l.npv)))
                .collect();
            (!top.is_empty()).then(|| arm_line(i, arm, &top))
        })
        .collect()
}

/// An amount with its sign, e.g. `+4,300`, `-120`.
fn signed_money(x: f64) -> String {
    let sign = if x > 0.0 { "+" } else { "" };
    format!("{sign}{}", fmt_money(x))
}

/// "■ aligned: a, b, c", the plan's name escaped, the items as they are.
fn arm_line(i: usize, arm: &ArmSummary, items: &[String]) -> String {
    format!(
        "{}<strong>{}</strong>: {}",
        chip(i),
        escape(&arm.name),
        escape(&items.join(", "))
    )
}

/// A plan's levers with a finite value, the one worth most first (ties by name).
fn best_levers(levers: &BTreeMap<String, Lever>) -> Vec<(&str, &Lever)> {
    let mut best: Vec<(&str, &Lever)> = levers
        .iter()
        .filter(|(_, l)| l.npv.is_finite())
        .map(|(k, l)| (k.as_str(), l))
        .collect();
    best.sort_by(|a, b| b.1.npv.total_cmp(&a.1.npv).then(a.0.cmp(b.0)));
    best
}

/// What to do first: the plan search's sentence when `plan` searched one of the run's
/// plans, and the best lever of the plan the decision is about.
fn first_step(data: &RunData, plan: Option<&PlanAdvice>) -> String {
    let s = &data.summary;
    let plan = plan.filter(|p| p.scenario == s.scenario && s.arms.iter().any(|a| a.name == p.arm));
    let lever = focus(s).and_then(|arm| lever_advice(s, arm));
    if plan.is_none() && lever.is_none() {
        return String::new();
    }
    let mut out = String::from("<h3>What to do first</h3>\n");
    for text in plan.map(|p| p.sentence.clone()).into_iter().chain(lever) {
        let _ = writeln!(out, "<p class=\"first\">{}</p>", escape(&text));
    }
    out
}

/// The plan the advice is about: the recommended one, else the best by mean NPV.
fn focus(s: &Summary) -> Option<&ArmSummary> {
    let named = s
        .decision
        .arm
        .as_ref()
        .and_then(|n| s.arms.iter().find(|a| &a.name == n));
    named.or_else(|| decision::ranking(&s.arms).first().map(|&i| &s.arms[i]))
}

/// "Raise integration first: for the aligned plan, +0.1 of it is worth 6,936 USD in mean
/// NPV and 14.6 points less chance of losing money."
fn lever_advice(s: &Summary, arm: &ArmSummary) -> Option<String> {
    let levers = s.levers.as_ref()?.get(&arm.name)?;
    let (dim, l) = *best_levers(levers).first()?;
    let plan = format!("the {} plan", arm.name.replace('_', " "));
    if l.npv <= 0.0 {
        return Some(format!(
            "No alignment score is worth raising for {plan}: +0.1 of any adds nothing to its mean NPV."
        ));
    }
    let points = -100.0 * l.p_loss;
    let loss = if points.abs() < 0.05 || !points.is_finite() {
        String::new()
    } else {
        let (size, less) = (points.abs(), if points > 0.0 { "less" } else { "more" });
        format!(" and {size:.1} points {less} chance of losing money")
    };
    Some(format!(
        "Raise {} first: for {plan}, +0.1 of it is worth {} {} in mean NPV{loss}.",
        player_words(dim),
        fmt_money(l.npv),
        s.currency
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lever(npv: f64) -> Lever {
        Lever {
            npv,
            npv_se: 1.0,
            p_loss: 0.0,
            p_loss_se: 0.001,
        }
    }

    #[test]
    fn the_best_lever_comes_first_and_ties_go_by_name() {
        let levers: BTreeMap<String, Lever> = [
            ("culture", lever(10.0)),
            ("fit", lever(f64::NAN)),
            ("ethics", lever(10.0)),
            ("strategic", lever(20.0)),
        ]
        .into_iter()
        .map(|(k, l)| (k.to_string(), l))
        .collect();
        let order: Vec<&str> = best_levers(&levers).into_iter().map(|(k, _)| k).collect();
        assert_eq!(order, ["strategic", "culture", "ethics"]);
    }
}
