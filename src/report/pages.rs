//! The `report.html` pages of the analysis folders (MODEL.md 8.4): `alignsim explain`'s
//! (its sentence, the waterfall of the gap, the shares with their intervals and the
//! levers) and `alignsim plan`'s (its sentence, the frontier of the plans and the best
//! ten). Both use the run report's page frame and style sheet; the charts come in as SVG
//! text.

use std::fmt::Write as _;

use super::explanation::shares_table;
use super::html::analysis_page;
use super::levers;
use super::markup::{chart_figure, escape};
use crate::analysis::levers::Levers;
use crate::analysis::plan::{Plan, Search};
use crate::analysis::shapley::Attribution;
use crate::output::text::pct;
use crate::plot::levers::all;
use crate::plot::{About, fmt_money, frontier, waterfall};

/// Plans the plan page lists, best mean NPV first.
const TOP_PLANS: usize = 10;

/// The page of an explanation: `sentence`, the waterfall chart `svg`, the shares and the
/// levers.
pub fn explain_page(
    about: &About,
    sentence: &str,
    at: &Attribution,
    lever_set: &Levers,
    svg: &str,
) -> String {
    let heading = waterfall::heading(at);
    let mut body = format!(
        "<section id=\"explain\">\n<h2>{}</h2>\n<p class=\"verdict\">{}</p>\n",
        escape(&heading),
        escape(sentence)
    );
    body.push_str(&chart_figure(
        waterfall::FILE_STEM,
        svg,
        &heading,
        "Each bar is one difference between the two plans and what it adds to the gap in \
         mean NPV (or takes from it), its Shapley share over every order in which the \
         differences could be made, simulated in the same futures. The shares add up to the \
         gap, the last bar.",
    ));
    body.push_str(&shares_table(at, about.currency));
    body.push_str("</section>\n");
    let arms = all(lever_set);
    if !arms.is_empty() {
        let _ = write!(
            body,
            "<section id=\"levers\">\n<h2>{}</h2>\n{}{}</section>\n",
            escape(crate::plot::levers::HEADING),
            levers::sentences(&arms, about.currency),
            levers::table(&arms, about.currency)
        );
    }
    analysis_page(
        "Why one plan is worth more than another",
        about.title,
        &sub(about),
        &body,
    )
}

/// The page of a plan search: `sentence`, the frontier chart `svg` and the best plans.
pub fn plan_page(about: &About, sentence: &str, s: &Search, svg: &str) -> String {
    let heading = frontier::heading(s);
    let mut body = format!(
        "<section id=\"plan\">\n<h2>{}</h2>\n<p class=\"verdict\">{}</p>\n",
        escape(&heading),
        escape(sentence)
    );
    if !s.exhaustive {
        body.push_str(
            "<p class=\"note\">More packages than can be searched exhaustively: searched \
             greedily, adding one package at a time.</p>\n",
        );
    }
    body.push_str(&chart_figure(
        frontier::FILE_STEM,
        svg,
        &heading,
        "Every dot is a preparation plan, simulated in the same futures: its mean cost \
         across, its mean NPV (left) or its chance of losing money (right) up. The line joins \
         the plans no other plan beats for the same cost or less; the highlighted dot is the \
         best plan for the objective, within the budget when one is given (dashed).",
    ));
    body.push_str(&plans_table(s, about.currency));
    body.push_str("</section>\n");
    analysis_page(
        "Which preparation to do first",
        about.title,
        &sub(about),
        &body,
    )
}

fn sub(about: &About) -> String {
    format!(
        "{} possible futures \u{b7} amounts in {}",
        crate::dist::fmt_num(about.trials as f64),
        about.currency
    )
}

/// The best plans by mean NPV.
fn plans_table(s: &Search, currency: &str) -> String {
    let mut plans: Vec<&Plan> = s.plans.iter().collect();
    plans.sort_by(|a, b| b.npv_mean.total_cmp(&a.npv_mean));
    let cur = escape(currency);
    let mut out = format!(
        "<table class=\"plans\">\n<thead><tr><th>Packages</th><th class=\"n\">mean cost ({cur})</th>\
         <th class=\"n\">mean NPV ({cur})</th><th class=\"n\">\u{b1} 95 %</th>\
         <th class=\"n\">P(NPV &lt; 0)</th><th class=\"n\">CVaR 5 % ({cur})</th></tr></thead>\n<tbody>\n"
    );
    for p in plans.iter().take(TOP_PLANS) {
        let name = if p.packages.is_empty() {
            "no preparation".to_string()
        } else {
            p.packages.join(", ")
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&name),
            fmt_money(p.cost_mean),
            fmt_money(p.npv_mean),
            fmt_money(1.96 * p.npv_se),
            pct(Some(p.p_npv_negative)),
            fmt_money(p.npv_cvar5)
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}
