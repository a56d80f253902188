//! The Sobol chart: for each uncertain input (largest total index first), per arm, the
//! share of the variance of NPV the input explains on its own (dark bar) and together
//! with its interactions (light bar), each with its 95 % bootstrap interval (whiskers).

use std::path::Path;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;
use super::style::*;
use super::tornado::{
    MAX_ROWS, arm_legend, bar_plot, row_labels, sub_band, subtitle, to_png, to_svg,
};
use crate::sensitivity::Sensitivity;
use crate::sensitivity::sobol::{ArmSobol, Estimate};

pub const FILE_STEM: &str = "sobol";

/// The heading of the Sobol chart.
pub fn heading() -> &'static str {
    "What spreads the NPV: share of its variance each input explains"
}

/// Draws the Sobol chart.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &Sensitivity,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let Some(sobol) = &s.sobol else {
        let area = frame(
            root,
            heading(),
            &subtitle(s, "no Sobol indices in this run"),
            &[],
        )?;
        no_data(
            &area,
            "Run alignsim sensitivity for variance-based indices.",
        )?;
        return root.present();
    };
    let what = format!(
        "Sobol indices from {} trials",
        crate::dist::fmt_num(sobol.trials as f64)
    );
    let mut legend = arm_legend(sobol.arms.iter().map(|a| a.arm.as_str()));
    legend.push(LegendItem::row_break());
    legend.push(LegendItem::new(
        Swatch::Fill(INK.mix(0.25)),
        "light: with interactions (total)",
    ));
    legend.push(LegendItem::new(
        Swatch::Fill(INK.mix(0.85)),
        "dark: on its own (first-order)",
    ));
    legend.push(LegendItem::new(Swatch::Line(INK), "95 % interval"));
    let area = frame(root, heading(), &subtitle(s, &what), &legend)?;
    let rows = rows(&sobol.arms);
    if rows.is_empty() {
        no_data(&area, "No input of this scenario is uncertain.")?;
        return root.present();
    }
    let top = rows
        .iter()
        .flat_map(|(_, e)| e.iter().flatten().flat_map(|(f, t)| [f.hi95, t.hi95]))
        .flatten()
        .fold(0.1f64, f64::max);
    let hi = ((top * 10.0).ceil() / 10.0).min(1.1);
    let names: Vec<String> = rows.iter().map(|(n, _)| n.clone()).collect();
    let mut chart = bar_plot(&area, 0.0..hi, names.len())?;
    bar_mesh(&mut chart, "Share of the variance of NPV", &|v| fmt_pct(*v))?;
    let n_arms = sobol.arms.len();
    for (row, (_, per_arm)) in rows.iter().enumerate() {
        for (a, e) in per_arm.iter().enumerate() {
            if let Some((first, total)) = e {
                let (y0, y1) = sub_band(row, names.len(), a, n_arms);
                bars(&mut chart, a, y0, y1, first, total)?;
            }
        }
    }
    row_labels(root, &chart, &names)?;
    root.present()
}

/// Light total bar, dark first-order bar inside it, and both intervals.
fn bars<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    arm: usize,
    y0: f64,
    y1: f64,
    first: &Estimate,
    total: &Estimate,
) -> DrawResult<(), DB> {
    let c = arm_colour(arm);
    let h = y1 - y0;
    let clip = |v: Option<f64>| v.unwrap_or(0.0).max(0.0);
    let t = Rectangle::new([(0.0, y0), (clip(total.value), y1)], c.mix(0.3).filled());
    let f = Rectangle::new(
        [(0.0, y0 + 0.2 * h), (clip(first.value), y1 - 0.2 * h)],
        c.mix(0.9).filled(),
    );
    chart.draw_series([t, f])?;
    whisker(chart, total, y0 + 0.85 * h, h * 0.1)?;
    whisker(chart, first, y0 + 0.5 * h, h * 0.1)
}

/// A horizontal interval line with end caps at height `y`.
fn whisker<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    e: &Estimate,
    y: f64,
    cap: f64,
) -> DrawResult<(), DB> {
    let (Some(lo), Some(hi)) = (e.lo95, e.hi95) else {
        return Ok(());
    };
    let (lo, hi) = (lo.max(0.0), hi.max(0.0));
    let style = INK.stroke_width(2);
    chart.draw_series([
        PathElement::new(vec![(lo, y), (hi, y)], style),
        PathElement::new(vec![(lo, y - cap), (lo, y + cap)], style),
        PathElement::new(vec![(hi, y - cap), (hi, y + cap)], style),
    ])?;
    Ok(())
}

type Pair = Option<(Estimate, Estimate)>;

/// The inputs to show, largest total index over the arms first, with each arm's
/// (first-order, total) estimates.
fn rows(arms: &[ArmSobol]) -> Vec<(String, Vec<Pair>)> {
    let mut paths: Vec<(&str, &str)> = Vec::new();
    for i in arms.iter().flat_map(|a| &a.inputs) {
        if !paths.iter().any(|(p, _)| *p == i.path) {
            paths.push((&i.path, &i.name));
        }
    }
    let mut rows: Vec<(String, Vec<Pair>)> = paths
        .iter()
        .map(|(p, n)| {
            let per_arm = arms
                .iter()
                .map(|a| {
                    a.inputs
                        .iter()
                        .find(|i| i.path == *p)
                        .map(|i| (i.first, i.total))
                })
                .collect();
            (n.to_string(), per_arm)
        })
        .collect();
    let size = |r: &[Pair]| {
        r.iter()
            .flatten()
            .fold(-1.0f64, |m, (_, t)| m.max(t.value.unwrap_or(-1.0)))
    };
    rows.sort_by(|a, b| size(&b.1).total_cmp(&size(&a.1)));
    rows.truncate(MAX_ROWS);
    rows
}

/// The Sobol chart as SVG text.
pub fn svg(s: &Sensitivity) -> Result<String> {
    to_svg(FILE_STEM, |root| draw(root, s))
}

/// The Sobol chart as a PNG file.
pub fn png(s: &Sensitivity, path: &Path) -> Result<()> {
    to_png(path, |root| draw(root, s))
}
