//! How the numbers were made: the Monte Carlo method in a few sentences, the Monte Carlo
//! error of the headline figures, clamped draws, and where the run came from (trials,
//! seed, model version, scenario file and its checksum).

use std::fmt::Write as _;

use super::markup::{escape, human_time};
use crate::dist::fmt_num;
use crate::output::text::{money, pct};
use crate::plot::RunData;
use crate::stats::Summary;

pub fn section(data: &RunData) -> String {
    let s = &data.summary;
    let mut out = String::from("<section id=\"method\">\n<h2>How the numbers were made</h2>\n");
    let labels = data.labels();
    let _ = writeln!(
        out,
        "<p>The simulation played out {} possible futures of the business, month by month over {} \
         months. In each future the uncertain inputs are drawn from the distributions above, and \
         every plan is run against the <em>same</em> draws (common random numbers): the same \
         {}, the same {}, the same luck. Differences between plans therefore come \
         from the plans, not from chance. Each plan's cash flow is counted against not doing the \
         project at all. The random draws are keyed by the seed, so the same scenario and seed \
         give exactly the same figures on any computer.</p>",
        fmt_num(s.trials as f64),
        s.horizon_months,
        escape(&labels.customers),
        escape(&labels.incidents)
    );
    out.push_str(
        "<p>Percentiles interpolate linearly between simulated values. The 5 % value at risk is \
         the NPV that only one future in twenty falls below; the CVaR is the average of those \
         worst futures. With a finite number of futures every figure carries a small Monte Carlo \
         error; the margins below are 95 % intervals (1.96 standard errors).</p>\n",
    );
    if let (Some(e), Some(m)) = (
        s.quantiles.relative_error,
        s.quantiles.monthly_relative_error,
    ) {
        let _ = writeln!(
            out,
            "<p>This run summarised its futures as they were simulated instead of keeping every one in \
             memory, so its percentiles, VaR, \
             CVaR and monthly bands come from fine histograms (sketches) rather than from every \
             value: each is within {} of the exact figure (relative to its size; {} for the \
             monthly bands). Means, standard errors and probabilities are exact. The charts of \
             individual futures (NPV and ROI distributions, paired difference, payback) and the \
             sensitivity measures use the first {} futures.</p>",
            pct_precise(e),
            pct_precise(m),
            fmt_num(crate::stream::HEAD_TRIALS.min(s.trials) as f64)
        );
    }
    out.push_str(&errors_table(s));
    out.push_str(&clamp_notes(s));
    out.push_str(&provenance(data));
    out.push_str("</section>\n");
    out
}

fn margin(se: Option<f64>, fmt: impl Fn(Option<f64>) -> String) -> String {
    se.map_or_else(
        || "-".into(),
        |se| format!("\u{b1} {}", fmt(Some(1.96 * se))),
    )
}

fn errors_table(s: &Summary) -> String {
    let mut out = String::from(
        "<table class=\"errors\">\n<thead><tr><th>Plan</th><th class=\"n\">Average NPV</th>\
         <th class=\"n\">Chance of losing money</th><th class=\"n\">Chance of paying back</th>\
         <th class=\"n\">Chance of being dropped</th></tr></thead>\n<tbody>\n",
    );
    let prob =
        |p: Option<f64>| p.map_or_else(|| "-".into(), |p| format!("{:.1} points", 100.0 * p));
    for a in &s.arms {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{} {}</td><td class=\"n\">{} {}</td>\
             <td class=\"n\">{} {}</td><td class=\"n\">{} {}</td></tr>",
            escape(&a.label),
            money(a.npv.mean),
            escape(&margin(a.npv.se, money)),
            escape(&pct(a.p_npv_negative)),
            margin(a.p_npv_negative_se, prob),
            escape(&pct(a.p_payback)),
            margin(a.p_payback_se, prob),
            escape(&pct(a.p_dropped)),
            margin(a.p_dropped_se, prob),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// Parameters whose draws had to be clamped into their allowed range, if any.
fn clamp_notes(s: &Summary) -> String {
    let notes = crate::output::text::clamp_warnings(s);
    if notes.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<div class=\"warn\"><p>Some draws fell outside a parameter's allowed range and were moved to its edge:</p><ul>\n",
    );
    for n in notes {
        let _ = writeln!(
            out,
            "<li>{}</li>",
            escape(n.trim_start_matches("warning: "))
        );
    }
    out.push_str("</ul></div>\n");
    out
}

/// A small share as a percentage with three decimals, e.g. 0.012 %.
fn pct_precise(x: f64) -> String {
    format!("{:.3} %", x * 100.0)
}

fn provenance(data: &RunData) -> String {
    let s = &data.summary;
    let mut facts: Vec<(&str, String)> = vec![
        ("Scenario", format!("{} ({})", s.title, s.scenario)),
        ("Simulated futures (trials)", fmt_num(s.trials as f64)),
        ("Random seed", s.seed.to_string()),
        ("Horizon", format!("{} months", s.horizon_months)),
        (
            "Discount rate",
            format!("{} a year", pct(Some(s.discount_rate_annual))),
        ),
        (
            "Model version",
            format!("alignsim model v{}", s.model_version),
        ),
    ];
    if let Some(m) = &data.manifest {
        facts.push(("alignsim version", m.alignsim_version.clone()));
        facts.push(("Scenario file", m.scenario_file.clone()));
        facts.push(("Scenario file SHA-256", m.scenario_sha256.clone()));
        facts.push(("Simulated at", human_time(&m.timestamp)));
        facts.push(("Command", m.command.join(" ")));
    }
    let mut out = String::from("<h3>Where these figures come from</h3>\n<dl class=\"facts\">\n");
    for (k, v) in facts {
        let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(&v));
    }
    out.push_str("</dl>\n<p class=\"note\">To reproduce: run the same scenario file with the same seed and number of trials. \
                  <code>alignsim report</code> redraws this page from the run folder without simulating again.</p>\n");
    out
}
