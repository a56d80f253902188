//! Preparation (MODEL.md section 8.3): the scenario's catalogue of work packages that raise
//! an alignment score before the build starts, which plans do each, and per plan what its
//! preparation costs on average and which scores it raises. Shown only when the scenario
//! has a catalogue.

use std::fmt::Write as _;

use super::assumptions::reader_name;
use super::endings::scenario_arm;
use super::markup::{and_list, chip, escape};
use crate::dist::Dist;
use crate::output::text::money;
use crate::plot::RunData;
use crate::scenario::{Arm, Scenario, WorkField};
use crate::stats::ArmSummary;

/// The section, or nothing when the scenario lists no work packages (without a scenario:
/// when no plan prepares).
pub fn section(data: &RunData) -> String {
    let s = &data.summary;
    let shown = match &data.scenario {
        Some(sc) => !sc.work.is_empty(),
        None => s.arms.iter().any(|a| !a.prepare.is_empty()),
    };
    if !shown {
        return String::new();
    }
    let mut out = String::from(
        "<section id=\"preparation\">\n<h2>Preparation</h2>\n<p>Alignment can be bought before \
         the start: each work package raises one alignment score by its gain (a score \
         stays at most 1). A plan pays for its packages at the start; they run side by side, \
         and the build begins once the longest is done. Every package is drawn once per future \
         and is the same in every plan that does it.</p>\n",
    );
    if let Some(sc) = &data.scenario {
        out.push_str(&catalogue(sc));
    }
    out.push_str("<ul class=\"plain\">\n");
    for a in &s.arms {
        let _ = writeln!(out, "<li>{}</li>", arm_line(data, a));
    }
    out.push_str("</ul>\n</section>\n");
    out
}

/// The catalogue as a table: what each package is, the score it raises, its gain, cost
/// and months as the scenario gives them, and the plans that do it.
fn catalogue(sc: &Scenario) -> String {
    let mut out = format!(
        "<table class=\"work\">\n<thead><tr><th>Work package</th><th>Raises</th><th>Gain</th>\
         <th>Cost ({}, paid at the start)</th><th>Months</th><th>Done by</th></tr></thead>\n<tbody>\n",
        escape(&sc.currency)
    );
    for (w, work) in sc.work.iter().enumerate() {
        let done_by: Vec<String> = sc
            .arms
            .iter()
            .enumerate()
            .filter(|(_, arm)| arm.prepare.contains(&w))
            .map(|(i, arm)| format!("{}{}", chip(i), escape(&arm.label)))
            .collect();
        let done_by = if done_by.is_empty() {
            "no plan".to_string()
        } else {
            done_by.join(", ")
        };
        let _ = writeln!(
            out,
            "<tr><td>{}<span class=\"path\">{}</span></td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{done_by}</td></tr>",
            escape(&work.label),
            escape(&work.name),
            escape(reader_name(work.dimension)),
            escape(&work.value(WorkField::Gain).to_string()),
            escape(&work.value(WorkField::Cost).to_string()),
            escape(&work.value(WorkField::Months).to_string()),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// One plan's sentence: the packages it does, their average cost, the scores they raise and
/// how long the build waits for them.
fn arm_line(data: &RunData, a: &ArmSummary) -> String {
    let name = format!("<strong>{}</strong>", escape(&a.label));
    if a.prepare.is_empty() {
        return format!("{name} does no preparation.");
    }
    let cost = money(a.channels.preparation.map(|c| -c));
    let mut line = format!(
        "{name} prepares {}, for {} {} on average",
        escape(&and_list(&a.prepare)),
        escape(&cost),
        escape(&data.summary.currency)
    );
    if let (Some(sc), Some(arm)) = (&data.scenario, scenario_arm(data, a)) {
        line.push_str(&raises(sc, arm));
        if let Some(wait) = wait_months(sc, arm).filter(|m| *m > 0.0) {
            let unit = if wait == 1.0 { "month" } else { "months" };
            let _ = write!(line, ", and its build starts {wait} {unit} later");
        }
    }
    line.push('.');
    line
}

/// "; this raises <em>score</em> and <em>score</em>": the scores of the plan's packages,
/// each once, in catalogue order.
fn raises(sc: &Scenario, arm: &Arm) -> String {
    let mut dims = Vec::new();
    for &w in &arm.prepare {
        let dim = sc.work[w].dimension;
        if !dims.contains(&dim) {
            dims.push(dim);
        }
    }
    let words: Vec<String> = dims
        .iter()
        .map(|d| format!("<em>{}</em>", escape(reader_name(*d))))
        .collect();
    format!("; this raises {}", and_list(&words))
}

/// How many months the build waits for the plan's packages, when every one of them takes
/// a fixed number of months.
fn wait_months(sc: &Scenario, arm: &Arm) -> Option<f64> {
    arm.prepare
        .iter()
        .map(|&w| match sc.work[w].value(WorkField::Months) {
            Dist::Fixed(m) => Some(*m),
            _ => None,
        })
        .try_fold(0.0f64, |acc, m| m.map(|m| acc.max(m)))
}
