//! The sweep folder's `report.html`, in the run report's page frame and style: the
//! break-even sentences, the sweep's charts as inline SVG (the chance of losing money and
//! the median return along one varied path, heatmaps over two), and a table of every point
//! with each arm's figures and the chance of each target. `alignsim sweep` and
//! `sweep-merge` write it; `alignsim report SWEEP_DIR` renders it (and the charts) again
//! from `sweep.json`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::report::{self as words, fmt_value};
use super::{ArmPoint, Sweep};
use crate::dist::fmt_num;
use crate::output::{Staging, text};
use crate::plot::sweep::{self as charts, SweepChart};
use crate::plot::{Formats, fmt_money};
use crate::report::markup::{chip, escape, inline_svg};
use crate::report::{CHARTS_DIR, REPORT_FILE, analysis_page};

/// The file a sweep folder is recognised by.
const SWEEP_FILE: &str = "sweep.json";

/// Whether `dir` is a sweep folder (it holds `sweep.json`).
pub fn is_sweep_folder(dir: &Path) -> bool {
    dir.join(SWEEP_FILE).is_file()
}

/// The whole page of a sweep.
///
/// # Errors
/// A chart cannot be drawn.
pub fn render(sweep: &Sweep) -> Result<String> {
    let mut body = findings(sweep);
    body.push_str(&charts_section(sweep)?);
    body.push_str(&table(sweep));
    let rate = crate::plot::fmt_pct(sweep.discount_rate_annual);
    let sub = format!(
        "{} points \u{b7} the same {} possible futures at each, seed {} \u{b7} amounts in {} (NPV at {rate} a year)",
        fmt_num(sweep.points.len() as f64),
        fmt_num(sweep.trials as f64),
        sweep.seed,
        sweep.currency
    );
    Ok(analysis_page(
        "What-if sweep: the same futures at every value",
        &sweep.title,
        &sub,
        &body,
    ))
}

/// The break-even sentences as a list.
fn findings(sweep: &Sweep) -> String {
    let what = sweep
        .axes
        .iter()
        .map(|a| a.full_label())
        .collect::<Vec<_>>()
        .join(" and ");
    let mut out = format!(
        "<section id=\"findings\">\n<h2>What changes with {}</h2>\n<ul class=\"plain\">\n",
        escape(&what)
    );
    for s in words::sentences(sweep) {
        let _ = writeln!(out, "<li>{}</li>", escape(&s));
    }
    out.push_str("</ul>\n</section>\n");
    out
}

/// How to read each sweep chart.
fn caption(chart: SweepChart) -> &'static str {
    match chart {
        SweepChart::PLoss => {
            "The chance of losing money, P(NPV < 0), at every value of the varied input, one \
             line per plan, each point simulated in the same futures. A dot marks where a plan \
             starts breaking even in half of the futures; the dotted line is the scenario's own value."
        }
        SweepChart::MedianRoi => {
            "The median return at every value of the varied input, with the band holding the \
             middle 80 % of futures (P10 to P90)."
        }
        SweepChart::HeatmapPNpvPositive => {
            "One panel per plan: the chance of breaking even, P(NPV > 0), at every pair of values."
        }
        SweepChart::HeatmapNpvMean => "One panel per plan: the mean NPV at every pair of values.",
    }
}

/// A short heading of each chart (the chart's label for screen readers).
fn heading(chart: SweepChart) -> &'static str {
    match chart {
        SweepChart::PLoss => "Chance of losing money at every value",
        SweepChart::MedianRoi => "Median return at every value",
        SweepChart::HeatmapPNpvPositive => "Chance of breaking even over the grid",
        SweepChart::HeatmapNpvMean => "Mean NPV over the grid",
    }
}

fn charts_section(sweep: &Sweep) -> Result<String> {
    let mut out = String::from("<section id=\"charts\">\n<h2>The charts</h2>\n");
    for chart in SweepChart::for_axes(sweep.axes.len()) {
        let svg = charts::svg(*chart, sweep)?;
        let _ = write!(
            out,
            "<figure id=\"chart-{stem}\" class=\"chart\">\n<div class=\"svg\">{svg}</div>\n\
             <figcaption>{cap}</figcaption>\n</figure>\n",
            stem = chart.file_stem(),
            svg = inline_svg(&svg, heading(*chart)),
            cap = escape(caption(*chart)),
        );
    }
    out.push_str("</section>\n");
    Ok(out)
}

/// The cells of one arm at one point: P(NPV > 0), P(NPV < 0), mean NPV with its 95 %
/// interval, median ROI, and the chance of each target with its 95 % interval.
fn arm_cells(a: &ArmPoint) -> String {
    let n = |x: String| format!("<td class=\"n\">{x}</td>");
    let mut out = n(text::pct(a.p_npv_positive));
    out.push_str(&n(text::pct(a.p_npv_negative)));
    let mean = match (a.npv_mean, a.npv_mean_se) {
        (Some(m), Some(se)) => format!("{} \u{b1} {}", fmt_money(m), fmt_money(1.96 * se)),
        (m, _) => text::money(m),
    };
    out.push_str(&n(mean));
    out.push_str(&n(a
        .roi_p50
        .map_or_else(|| "-".into(), |v| format!("{:.0} %", 100.0 * v))));
    for t in &a.targets {
        let se = t.se.map_or_else(String::new, |se| {
            format!(" \u{b1} {}", text::pct(Some(1.96 * se)))
        });
        out.push_str(&n(format!("{}{se}", text::pct(t.p))));
    }
    out
}

/// Every point as a row: the varied values, then each arm's figures.
fn table(sweep: &Sweep) -> String {
    let mut out = String::from("<section id=\"points\">\n<h2>Every point</h2>\n");
    if !sweep.targets.is_empty() {
        let list: Vec<String> = sweep.targets.iter().map(|t| format!("P({t})")).collect();
        let _ = writeln!(
            out,
            "<p class=\"note\">{}: the chance that a future meets each target, with its 95 % interval.</p>",
            escape(&list.join(", "))
        );
    }
    out.push_str("<table class=\"points\">\n<thead><tr>");
    for axis in &sweep.axes {
        let _ = write!(out, "<th class=\"n\">{}</th>", escape(&axis.full_label()));
    }
    let cur = escape(&sweep.currency);
    for (i, arm) in sweep.arms.iter().enumerate() {
        let _ = write!(
            out,
            "<th class=\"n\">{}{}: P(NPV &gt; 0)</th><th class=\"n\">P(NPV &lt; 0)</th>\
             <th class=\"n\">mean NPV ({cur})</th><th class=\"n\">ROI P50</th>",
            chip(i),
            escape(&arm.name)
        );
        for t in &sweep.targets {
            let _ = write!(out, "<th class=\"n\">P({})</th>", escape(t));
        }
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for p in &sweep.points {
        out.push_str("<tr>");
        for (axis, v) in sweep.axes.iter().zip(&p.values) {
            let _ = write!(out, "<td class=\"n\">{}</td>", escape(&fmt_value(*v, axis)));
        }
        for a in &p.arms {
            out.push_str(&arm_cells(a));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}

/// `alignsim report SWEEP_DIR`: the sweep's charts (as `formats` asks, replacing
/// `charts/` only once complete), `report.xlsx` and `report.html` rendered again from
/// `sweep.json`;
/// a failure leaves the old files whole.
///
/// # Errors
/// A `sweep.json` that cannot be read, files that cannot be written.
pub fn rerender(dir: &Path, formats: Formats) -> Result<PathBuf> {
    let path = dir.join(SWEEP_FILE);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let sweep: Sweep = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a sweep's results", path.display()))?;
    let page = render(&sweep)?;
    if formats.png || formats.svg {
        let staging = Staging::new(&dir.join(CHARTS_DIR))?;
        charts::write_charts(staging.path(), &sweep, formats)?;
        staging.commit()?;
    }
    crate::xlsx::rerender_sweep(dir, &sweep)?;
    crate::output::replace_file(dir, REPORT_FILE, page.as_bytes(), "report")
}
