//! The waterfall chart of `alignsim explain` (MODEL.md 8.4): the gap in mean NPV between
//! two arms, built up one player's share at a time (largest share first), each bar
//! floating from the running total to the running total plus the share, and the gap
//! itself, the sum of the shares, as the last bar from zero.

use std::path::Path;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::levers::player_words;
use super::style::*;
use super::tornado::{bar_plot, row_labels, to_png, to_svg, value_label};
use super::{About, DrawResult};
use crate::analysis::shapley::Attribution;

pub const FILE_STEM: &str = "waterfall";

/// Colours of a share that widens the gap, one that narrows it, and the gap itself.
const GAINS: RGBColor = ARM_COLOURS[2];
const LOSSES: RGBColor = ARM_COLOURS[1];
const TOTAL: RGBColor = ARM_COLOURS[0];

/// The heading: the arm worth more first.
pub fn heading(at: &Attribution) -> String {
    let (lead, other) = if at.gap >= 0.0 {
        (&at.a, &at.b)
    } else {
        (&at.b, &at.a)
    };
    format!("Why {lead} is worth more than {other}")
}

/// The players, largest share first, with their shares.
pub fn ordered(at: &Attribution) -> Vec<(&str, f64)> {
    let mut shares: Vec<(&str, f64)> = at
        .shares
        .iter()
        .map(|(p, s)| (p.as_str(), s.share))
        .collect();
    shares.sort_by(|x, y| y.1.abs().total_cmp(&x.1.abs()).then(x.0.cmp(y.0)));
    shares
}

/// Draws the waterfall chart.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    at: &Attribution,
    about: &About,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let legend = vec![
        LegendItem::new(
            Swatch::Fill(GAINS.mix(0.85)),
            format!("adds to {} minus {}", at.a, at.b),
        ),
        LegendItem::new(Swatch::Fill(LOSSES.mix(0.85)), "takes from it"),
        LegendItem::new(Swatch::Fill(TOTAL.mix(0.85)), "the gap: the sum"),
    ];
    let what = format!("mean NPV of {} minus {}, {}", at.a, at.b, about.currency);
    let area = frame(root, &heading(at), &about.subtitle(&what), &legend)?;
    let shares = ordered(at);
    let mut totals = vec![0.0];
    for (_, s) in &shares {
        totals.push(totals[totals.len() - 1] + s);
    }
    let (lo, hi) = bounds(totals.iter().copied().chain([at.gap])).unwrap_or((0.0, 1.0));
    let x = padded(lo, hi, 0.12);
    let rows = shares.len() + 1;
    let mut chart = bar_plot(&area, x.clone(), rows)?;
    let desc = format!("Mean NPV, {} minus {}, {}", at.a, at.b, about.currency);
    bar_mesh(&mut chart, &desc, &|v| fmt_money(*v))?;
    let gap = (x.end - x.start) * 0.008;
    for (row, (_, s)) in shares.iter().enumerate() {
        let y = (rows - 1 - row) as f64;
        let (from, to) = (totals[row], totals[row + 1]);
        let colour = if *s >= 0.0 { GAINS } else { LOSSES };
        step(&mut chart, (from, to), y, colour)?;
        let end = if *s >= 0.0 {
            from.max(to)
        } else {
            from.min(to)
        };
        value_label(&mut chart, end, y, &signed_money(*s), gap)?;
        let next = y - 1.0;
        chart.draw_series(std::iter::once(DashedPathElement::new(
            vec![(to, y - 0.32), (to, next + 0.32)],
            4,
            4,
            MUTED.stroke_width(1),
        )))?;
    }
    step(&mut chart, (0.0, at.gap), 0.0, TOTAL)?;
    value_label(&mut chart, at.gap, 0.0, &fmt_money(at.gap), gap)?;
    vline(&mut chart, 0.0, ZERO.stroke_width(2), None)?;
    let short = |p: &str| player_words(p).split(" (").next().unwrap_or(p).to_string();
    let names: Vec<String> = shares
        .iter()
        .map(|(p, _)| short(p))
        .chain(["the gap".to_string()])
        .collect();
    row_labels(root, &chart, &names)?;
    root.present()
}

/// A bar floating from one running total to the next.
fn step<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    (from, to): (f64, f64),
    y: f64,
    colour: RGBColor,
) -> DrawResult<(), DB> {
    if !drawable(from) || !drawable(to) {
        return Ok(());
    }
    let bar = Rectangle::new(
        [(from, y - 0.32), (to, y + 0.32)],
        colour.mix(0.85).filled(),
    );
    chart.draw_series(std::iter::once(bar))?;
    Ok(())
}

/// An amount with its sign, e.g. `+15,600`, `-2,100`.
fn signed_money(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", fmt_money(v))
    } else {
        fmt_money(v)
    }
}

/// The waterfall chart as SVG text.
pub fn svg(at: &Attribution, about: &About) -> Result<String> {
    to_svg(FILE_STEM, |root| draw(root, at, about))
}

/// The waterfall chart as a PNG file.
pub fn png(at: &Attribution, about: &About, path: &Path) -> Result<()> {
    to_png(path, |root| draw(root, at, about))
}
