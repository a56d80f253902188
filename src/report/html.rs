//! The page assembler: the page skeleton, its style sheet and the chart figures, with every
//! section rendered in its place. Markup is kept well-formed XML (every element closed,
//! every attribute quoted, only XML's own entities) so that it can be checked with an XML
//! parser.

use std::fmt::Write as _;

use anyhow::Result;

use super::markup::{data_uri, escape, human_time, inline_svg};
use super::summary::{self, PlanAdvice};
use super::{
    assumptions, discoveries, endings, explanation, headline, levers, method, preparation, tables,
};
use crate::plot::{Chart, RunData};
use crate::sensitivity::{self, Sensitivity};

/// The whole page: the executive summary first (quoting `plan`, a plan search of one of
/// the run's plans, when there is one); the explanation and the levers sections, when the
/// run has them, before the charts, and the sensitivity section, when there is an
/// analysis, after them.
pub fn render(
    data: &RunData,
    svgs: &[(Chart, String)],
    sensitivity: Option<&Sensitivity>,
    plan: Option<&PlanAdvice>,
) -> Result<String> {
    let s = &data.summary;
    let mut page = String::with_capacity(64 * 1024 + svgs.iter().map(|c| c.1.len()).sum::<usize>());
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    let _ = writeln!(page, "<title>{}: alignsim report</title>", escape(&s.title));
    let _ = writeln!(page, "<style>{}</style>\n</head>\n<body>\n<main>", CSS);
    page.push_str(&header(data));
    page.push_str(&summary::section(data, svgs, sensitivity, plan));
    page.push_str(&headline::section(data));
    page.push_str(&tables::section(data));
    page.push_str(&endings::section(data));
    page.push_str(&discoveries::section(data));
    page.push_str(&preparation::section(data));
    page.push_str(&explanation::section(data)?);
    page.push_str(&levers::section(data, svgs));
    page.push_str(&charts(data, svgs));
    if let Some(analysis) = sensitivity {
        page.push_str(&sensitivity::report::section(analysis)?);
    }
    page.push_str(&assumptions::alignment_section(data));
    page.push_str(&assumptions::section(data));
    page.push_str(&method::section(data));
    page.push_str(
        "<footer>Made with alignsim, a Monte Carlo simulator of AI-automation projects. ",
    );
    page.push_str("Every figure is a model result under the assumptions listed above, not a forecast.</footer>\n");
    page.push_str("</main>\n</body>\n</html>\n");
    Ok(page)
}

/// A page of an analysis folder (`explain`, `plan`) in the run report's style: `body`
/// under a header of a kicker, a title and a line about the figures.
pub fn analysis_page(kicker: &str, title: &str, sub: &str, body: &str) -> String {
    let mut page = String::with_capacity(body.len() + 8 * 1024);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
    let _ = writeln!(page, "<title>{}: alignsim</title>", escape(title));
    let _ = writeln!(page, "<style>{}</style>\n</head>\n<body>\n<main>", CSS);
    let _ = write!(
        page,
        "<header>\n<p class=\"kicker\">{}</p>\n<h1>{}</h1>\n<p class=\"sub\">{}</p>\n</header>\n",
        escape(kicker),
        escape(title),
        escape(sub)
    );
    page.push_str(body);
    page.push_str(
        "<footer>Made with alignsim, a Monte Carlo simulator of AI-automation projects. ",
    );
    page.push_str("Every figure is a model result under the scenario's assumptions, not a forecast.</footer>\n");
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

fn header(data: &RunData) -> String {
    let s = &data.summary;
    let when = data
        .manifest
        .as_ref()
        .map(|m| format!(" \u{b7} simulated {}", escape(&human_time(&m.timestamp))))
        .unwrap_or_default();
    format!(
        "<header>\n{}<p class=\"kicker\">Return on an AI-automation project: aligned versus misaligned</p>\n\
         <h1>{}</h1>\n{}<p class=\"sub\">{} possible futures over {} months \u{b7} amounts in {}{}</p>\n</header>\n",
        logo(data),
        escape(&s.title),
        byline(data),
        crate::dist::fmt_num(s.trials as f64),
        s.horizon_months,
        escape(&s.currency),
        when
    )
}

/// The scenario's logo, embedded, when it has one.
fn logo(data: &RunData) -> String {
    let image = data
        .scenario
        .as_ref()
        .and_then(|sc| sc.byline.logo.as_ref())
        .and_then(|l| l.image.as_ref());
    image.map_or_else(String::new, |image| {
        format!(
            "<img class=\"logo\" alt=\"logo\" style=\"float:right;max-height:64px;max-width:240px\" src=\"{}\"/>\n",
            data_uri(image)
        )
    })
}

/// "Prepared for CLIENT by AUTHOR", as far as `[report]` names them.
fn byline(data: &RunData) -> String {
    let Some(b) = data.scenario.as_ref().map(|sc| &sc.byline) else {
        return String::new();
    };
    let text = match (&b.client, &b.author) {
        (Some(c), Some(a)) => format!("Prepared for {c} by {a}"),
        (Some(c), None) => format!("Prepared for {c}"),
        (None, Some(a)) => format!("Prepared by {a}"),
        (None, None) => return String::new(),
    };
    format!("<p class=\"byline\">{}</p>\n", escape(&text))
}

/// How to read each chart, in one or two sentences.
fn caption(chart: Chart) -> &'static str {
    match chart {
        Chart::RoiRiskCurve => {
            "For every return on the horizontal axis, each line gives the chance of doing at \
             least that well. Return on investment (ROI) is the net result over the horizon, \
             undiscounted, divided by all the money spent (upfront, running and incident \
             costs). It falls below -100 % when lost revenue and incidents cost more than the \
             project brings in: a loss on top of the money spent. Where a line meets the dashed \
             break-even line is the chance of getting the money back; the label by the dot is \
             the chance of a negative ROI, the table's figure. The legend gives the chance of \
             losing money (NPV below zero, in today's money), the figure of the headline and the \
             tables; the two differ when gains come late. Further right and higher is better."
        }
        Chart::NpvDistribution => {
            "How the net present value (every payment in and out, in today's money) spreads \
             over the simulated futures. The solid line is the average; the dashed line is a bad \
             case that only one future in twenty falls below."
        }
        Chart::CashflowFan => {
            "The cash position month by month. The line is the middle future; the darker band \
             holds half of all futures, the lighter band (drawn for up to two plans) nine in ten. \
             Below zero, the project has \
             cost more than it has brought in so far. Dashed: go-live; dotted: the pilot's \
             go/no-go decision."
        }
        Chart::PaybackCurve => {
            "The chance that the project has earned back everything paid for it, by each month. \
             Where a line crosses 50 % is the median payback month; where it ends is the share \
             of futures that pay back within the horizon."
        }
        Chart::ValueBreakdown => {
            "The average gain or cost from each source over the horizon, undiscounted. The \
             bars of each plan add up to its net result in the bottom row, the table's \
             undiscounted net result. The mean NPV in the legend is lower when most gains come \
             late: it counts later money at the scenario's discount rate."
        }
        Chart::Convergence => {
            "The average net present value of each plan as the simulation added futures, \
             with the range it is known to (95 %). A band that has shrunk to a thin line means \
             more futures would not change the figures."
        }
        Chart::Levers => levers::CAPTION,
        Chart::PairedDifference => {
            "Every plan is simulated in the same futures: same business, same luck. Each bar \
             counts how often the first plan ends ahead (right of zero) or behind (left) the second, \
             and by how much. Unless the run names a pair, the left panel sets the best plan \
             against the next best, the right one against doing nothing (its own NPV against 0)."
        }
    }
}

/// The charts section: every chart but the levers chart, which has a section of its own.
fn charts(data: &RunData, svgs: &[(Chart, String)]) -> String {
    let mut out = String::from("<section id=\"charts\">\n<h2>The charts</h2>\n");
    for (chart, svg) in svgs.iter().filter(|(c, _)| *c != Chart::Levers) {
        let _ = write!(
            out,
            "<figure id=\"chart-{stem}\" class=\"chart\">\n<div class=\"svg\">{svg}</div>\n\
             <figcaption>{cap}</figcaption>\n</figure>\n",
            stem = chart.file_stem(),
            svg = inline_svg(svg, &chart.heading(data)),
            cap = caption(*chart),
        );
    }
    out.push_str("</section>\n");
    out
}

const CSS: &str = r#"
:root { --ink: #1f2328; --muted: #5a616b; --rule: #dfe3e8; --soft: #f5f7f9; --accent: #0072b2; }
* { box-sizing: border-box; }
html { font-size: 16px; }
body { margin: 0; background: #eef1f4; color: var(--ink);
  font-family: "DejaVu Sans", "Segoe UI", "Helvetica Neue", Arial, sans-serif; line-height: 1.5; }
main { max-width: 1180px; margin: 0 auto; background: #fff; padding: 40px 56px 32px; }
header { border-bottom: 3px solid var(--ink); padding-bottom: 14px; margin-bottom: 26px; }
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: .78rem; color: var(--muted); margin: 0; }
h1 { font-size: 2.1rem; line-height: 1.2; margin: 6px 0 6px; }
h2 { font-size: 1.45rem; margin: 38px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.1rem; margin: 24px 0 8px; }
.sub { color: var(--muted); margin: 0; }
p { margin: 8px 0 12px; max-width: 72em; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 16px; margin: 14px 0; }
.card { border: 1px solid var(--rule); border-left: 6px solid var(--arm, var(--accent)); border-radius: 6px; padding: 14px 18px; background: #fff; }
.card h3 { margin: 0 0 2px; font-size: 1.05rem; }
.card .label { color: var(--muted); font-size: .9rem; margin: 0 0 10px; }
.stats { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }
.stat .big { display: block; font-size: 1.55rem; font-weight: 700; line-height: 1.2; }
.stat .what { display: block; font-size: .8rem; color: var(--muted); line-height: 1.3; }
.verdict { background: var(--soft); border-radius: 6px; padding: 14px 18px; font-size: 1.12rem; margin: 16px 0; }
.verdict .fig { font-weight: 700; }
ul.plain { padding-left: 1.2em; }
ul.plain li { margin: 6px 0; }
table { border-collapse: collapse; width: 100%; margin: 10px 0 18px; font-size: .92rem; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--rule); vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); font-size: .85rem; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.summary th:first-child { width: 44%; }
th.arm { text-align: right; }
.armlabel { display: block; font-weight: 400; color: var(--muted); font-size: .8rem; line-height: 1.3; }
table.params { table-layout: fixed; }
table.params th:first-child { width: 40%; }
table.params th:nth-child(2) { width: 12%; }
table.alignment th:first-child { width: 27%; }
td.score { white-space: nowrap; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: var(--soft); }
td.same { color: var(--muted); }
.path { display: block; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .75rem; color: var(--muted); }
.chip { display: inline-block; width: .8em; height: .8em; border-radius: 2px; margin-right: .4em; vertical-align: baseline; }
figure.chart { margin: 22px 0 30px; border: 1px solid var(--rule); border-radius: 6px; padding: 10px 12px 12px; break-inside: avoid; page-break-inside: avoid; }
figure.chart .svg svg { display: block; width: 100%; height: auto; }
figcaption { font-size: .92rem; color: var(--ink); margin-top: 6px; }
.meter { display: inline-block; width: 90px; height: 9px; background: var(--rule); border-radius: 5px; margin-right: 8px; vertical-align: middle; overflow: hidden; }
.meter span { display: block; height: 100%; background: var(--arm, var(--accent)); }
.note { color: var(--muted); font-size: .88rem; }
.warn { background: #fff4e5; border-left: 4px solid #e69f00; padding: 8px 12px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; font-size: .92rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.exec .choice { border-radius: 6px; padding: 12px 18px; margin: 10px 0 14px; background: var(--soft); border-left: 8px solid var(--muted); }
.exec .choice.go { border-left-color: #009e73; }
.exec .choice.stop { border-left-color: #d55e00; }
.exec .choice.close { border-left-color: #e69f00; }
.exec .choice-words { font-size: 1.7rem; font-weight: 700; line-height: 1.2; margin: 0 0 4px; }
.exec .choice-why { margin: 0; }
table.exec-figures th:first-child { width: 30%; }
table.exec-figures th.n { white-space: normal; }
.exec-grid { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 8px 24px; align-items: start; margin-top: 14px; }
.exec-grid figure.exec-chart { margin: 0; }
.exec-grid h3 { margin-top: 4px; }
.exec p.first { font-weight: 600; }
footer { margin-top: 40px; padding-top: 12px; border-top: 1px solid var(--rule); color: var(--muted); font-size: .82rem; }
@page { margin: 11mm 12mm 12mm; }
@media print {
  html { font-size: 10.5pt; }
  body { background: #fff; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  main { padding: 0; max-width: none; }
  header { margin-bottom: 14px; }
  h2 { margin-top: 22px; break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  #executive-summary { break-after: page; page-break-after: always; }
  #executive-summary h2 { margin-top: 0; }
  figure, table, .card, .cards, .verdict, .choice, dl.facts, tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  th.n, td.n { white-space: normal; }
  table.exec-figures td.n { white-space: nowrap; }
  figure.chart .svg svg { max-height: 125mm; }
  .exec-grid figure.exec-chart { padding: 6px 8px; }
  h1 { font-size: 1.7rem; }
  .exec h3 { margin: 8px 0 4px; }
  .exec ul.plain li { margin: 3px 0; }
  .exec .choice { padding: 8px 14px; margin: 6px 0 10px; }
  .exec .choice-words { font-size: 1.45rem; }
  .exec table { margin: 6px 0 10px; }
  nav, button, .screen-only { display: none !important; }
  a { color: inherit; text-decoration: none; }
}
@media (max-width: 720px) { main { padding: 20px; } .stats { grid-template-columns: 1fr; } .exec-grid { grid-template-columns: 1fr; } }
"#;
