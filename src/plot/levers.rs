//! The levers chart of a run (MODEL.md 8.4): for each alignment dimension, one horizontal
//! bar per arm, the mean NPV gained by +0.1 of that score, with whiskers of ±1.96
//! standard errors. The dimension worth most comes first.
//!
//! Also the owner of the players' words (the six dimensions, the system itself, the
//! roll-out and the preparation), which the levers and waterfall charts, the sentences of
//! `explain` and the report sections all use.

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::*;
use super::tornado::{bar_plot, row_labels, sub_band, value_label};
use super::{DrawResult, RunData};
use crate::analysis::levers::{Lever, Levers, key};
use crate::scenario::ALIGNMENT;

/// The chart's heading.
pub const HEADING: &str = "Where alignment pays first";

/// A player of the gap attribution, or an alignment dimension, in a reader's words.
pub fn player_words(player: &str) -> &'static str {
    match player {
        "strategic" => "strategic alignment",
        "fit" => "technology fit",
        "culture" => "culture",
        "measurement" => "measurement",
        "integration" => "integration",
        "ethics" => "ethics",
        "initiative" => "the system itself (its costs and promises)",
        "rollout" => "the roll-out (pilot, gate and reviews)",
        _ => "the preparation",
    }
}

/// One arm's levers: its index among the arms (its colour), its name and its levers by
/// alignment key.
pub type ArmLevers<'a> = (usize, &'a str, &'a BTreeMap<String, Lever>);

/// The run's levers in the order of its arms. Empty when the run computed none.
pub fn by_arm(data: &RunData) -> Vec<ArmLevers<'_>> {
    let Some(levers) = &data.summary.levers else {
        return Vec::new();
    };
    data.summary
        .arms
        .iter()
        .enumerate()
        .filter_map(|(i, a)| levers.get(&a.name).map(|l| (i, a.name.as_str(), l)))
        .collect()
}

/// Every arm's levers, in map order, as [`ArmLevers`].
pub fn all(levers: &Levers) -> Vec<ArmLevers<'_>> {
    levers
        .iter()
        .enumerate()
        .map(|(i, (name, l))| (i, name.as_str(), l))
        .collect()
}

/// The alignment keys, the one worth most to any arm first.
pub fn dimensions(arms: &[ArmLevers]) -> Vec<&'static str> {
    let best = |k: &str| {
        arms.iter()
            .filter_map(|(_, _, d)| d.get(k))
            .map(|l| l.npv)
            .filter(|v| drawable(*v))
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let mut keys: Vec<&'static str> = ALIGNMENT.iter().map(|s| key(*s)).collect();
    keys.sort_by(|a, b| best(b).total_cmp(&best(a)));
    keys
}

/// Draws the levers chart.
pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> DrawResult<(), DB> {
    let arms = by_arm(data);
    let legend: Vec<LegendItem> = arms
        .iter()
        .map(|(i, _, _)| {
            let label = data.summary.arms[*i].label.as_str();
            LegendItem::new(Swatch::Fill(arm_colour(*i).mix(0.85)), label)
        })
        .chain([LegendItem::new(
            Swatch::Line(INK),
            "95 % interval of the estimate",
        )])
        .collect();
    let on = match data.summary.levers_trials {
        Some(n) if n < data.summary.trials => {
            format!(" on the first {} futures", crate::dist::fmt_num(n as f64))
        }
        _ => String::new(),
    };
    let what = format!(
        "mean NPV gained by +0.1 of each alignment score{on}, {}",
        npv_note(data)
    );
    let area = frame(root, HEADING, &subtitle(data, Some(&what)), &legend)?;
    if arms.is_empty() {
        return no_data(&area, "The run computed no levers.");
    }
    let dims = dimensions(&arms);
    let ends = arms.iter().flat_map(|(_, _, l)| l.values()).flat_map(|l| {
        let w = 1.96 * l.npv_se.max(0.0);
        [l.npv - w, l.npv + w, l.npv]
    });
    let (lo, hi) = bounds(ends.chain([0.0])).unwrap_or((0.0, 1.0));
    let x = padded(lo, hi, 0.12);
    let mut chart = bar_plot(&area, x.clone(), dims.len())?;
    let desc = format!(
        "Mean NPV gained by +0.1 of the score, {}",
        data.summary.currency
    );
    bar_mesh(&mut chart, &desc, &|v| fmt_money(*v))?;
    for (row, dim) in dims.iter().enumerate() {
        for (slot, (i, _, l)) in arms.iter().enumerate() {
            let Some(lever) = l.get(*dim) else { continue };
            let band = sub_band(row, dims.len(), slot, arms.len());
            bar(&mut chart, lever, band, arm_colour(*i), x.end - x.start)?;
        }
    }
    vline(&mut chart, 0.0, ZERO.stroke_width(2), None)?;
    let names: Vec<String> = dims.iter().map(|d| player_words(d).to_string()).collect();
    row_labels(root, &chart, &names)?;
    root.present()
}

/// One arm's bar in a row: the mean, its whisker and its label.
fn bar<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    l: &Lever,
    (y0, y1): (f64, f64),
    colour: RGBColor,
    span: f64,
) -> DrawResult<(), DB> {
    if !drawable(l.npv) {
        return Ok(());
    }
    let y = (y0 + y1) / 2.0;
    let rect = Rectangle::new([(0.0, y0), (l.npv, y1)], colour.mix(0.85).filled());
    chart.draw_series(std::iter::once(rect))?;
    let w = 1.96 * l.npv_se;
    let mut label_at = l.npv;
    if drawable(w) && w > 0.0 {
        let cap = (y1 - y0) * 0.3;
        let (a, b) = (l.npv - w, l.npv + w);
        let style = INK.stroke_width(2);
        chart.draw_series([
            PathElement::new(vec![(a, y), (b, y)], style),
            PathElement::new(vec![(a, y - cap), (a, y + cap)], style),
            PathElement::new(vec![(b, y - cap), (b, y + cap)], style),
        ])?;
        label_at = if l.npv >= 0.0 { b } else { a };
    }
    let label_x = if l.npv >= 0.0 {
        label_at.max(0.0)
    } else {
        label_at.min(0.0)
    };
    let text = fmt_money(l.npv);
    value_label(chart, label_x, y, &text, span * 0.008)?;
    Ok(())
}
