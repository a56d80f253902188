//! The tornado chart: for each uncertain input (strongest first), one horizontal bar per
//! arm, the Spearman rank correlation of the input with the arm's NPV. Bars right of zero:
//! the higher the input, the better the NPV; left: the higher, the worse.
//!
//! Also home to what the three sensitivity charts share (tornado, Sobol, EVPI): rows of
//! named horizontal bars, their axis, labels and file rendering. They read only a
//! [`Sensitivity`], never the engine.

use std::ops::Range;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::*;
use super::{DrawResult, HEIGHT, WIDTH, ensure_fonts};
use crate::dist::fmt_num;
use crate::sensitivity::Sensitivity;
use crate::sensitivity::tornado::signed;

/// Most inputs a sensitivity chart shows.
pub const MAX_ROWS: usize = 12;
/// Room left of the plot for the input names, in pixels.
const NAME_WIDTH: u32 = 330;

pub const FILE_STEM: &str = "tornado";

/// The heading of the tornado chart.
pub fn heading() -> &'static str {
    "What moves the NPV: rank correlation of each uncertain input"
}

/// Draws the tornado chart.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &Sensitivity,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let sub = subtitle(s, "Spearman rank correlation with NPV, per plan");
    let area = frame(
        root,
        heading(),
        &sub,
        &arm_legend(s.tornado.iter().map(|t| t.arm.as_str())),
    )?;
    let rows = rows(s);
    if rows.is_empty() {
        no_data(&area, "No input of this scenario is uncertain.")?;
        return root.present();
    }
    let top = rows
        .iter()
        .flat_map(|(_, rhos)| rhos.iter().flatten())
        .fold(0.1f64, |m, r| m.max(r.abs()));
    let lim = ((top * 10.0).ceil() / 10.0 + 0.1).min(1.1);
    let names: Vec<String> = rows.iter().map(|(n, _)| n.clone()).collect();
    let mut chart = bar_plot(&area, -lim..lim, names.len())?;
    bar_mesh(&mut chart, "Rank correlation with NPV (-1 to +1)", &|v| {
        tick(*v)
    })?;
    let n_arms = s.tornado.len();
    for (row, (_, rhos)) in rows.iter().enumerate() {
        for (a, rho) in rhos.iter().enumerate() {
            let Some(r) = rho else { continue };
            let (y0, y1) = sub_band(row, names.len(), a, n_arms);
            let bar = Rectangle::new([(0.0, y0), (*r, y1)], arm_colour(a).mix(0.85).filled());
            chart.draw_series(std::iter::once(bar))?;
            value_label(&mut chart, *r, (y0 + y1) / 2.0, &signed(*r), lim * 0.02)?;
        }
    }
    vline(&mut chart, 0.0, ZERO.stroke_width(2), None)?;
    row_labels(root, &chart, &names)?;
    root.present()
}

/// A correlation tick: one decimal, signed, plain `0` at zero.
fn tick(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 {
        "0".into()
    } else {
        format!("{r:+.1}")
    }
}

/// The inputs to show, strongest (largest |rho| over the arms) first, with each arm's rho.
fn rows(s: &Sensitivity) -> Vec<(String, Vec<Option<f64>>)> {
    let mut paths: Vec<(&str, &str)> = Vec::new();
    for d in s.tornado.iter().flat_map(|t| &t.drivers) {
        if !paths.iter().any(|(p, _)| *p == d.path) {
            paths.push((&d.path, &d.name));
        }
    }
    let rho = |arm: usize, path: &str| {
        s.tornado[arm]
            .drivers
            .iter()
            .find(|d| d.path == path)
            .and_then(|d| d.rho_npv)
    };
    let mut rows: Vec<(String, Vec<Option<f64>>)> = paths
        .iter()
        .map(|(p, n)| {
            (
                n.to_string(),
                (0..s.tornado.len()).map(|a| rho(a, p)).collect(),
            )
        })
        .collect();
    let size = |r: &[Option<f64>]| r.iter().flatten().fold(-1.0f64, |m, x| m.max(x.abs()));
    rows.sort_by(|a, b| size(&b.1).total_cmp(&size(&a.1)));
    rows.truncate(MAX_ROWS);
    rows
}

/// The second title line of the sensitivity charts.
pub(super) fn subtitle(s: &Sensitivity, what: &str) -> String {
    format!(
        "{}  \u{b7}  {} simulated futures over {} months  \u{b7}  {what}",
        s.title,
        fmt_num(s.trials as f64),
        s.horizon_months
    )
}

/// One legend entry per arm, in its colour.
pub(super) fn arm_legend<'a>(arms: impl Iterator<Item = &'a str>) -> Vec<LegendItem> {
    arms.enumerate()
        .map(|(i, a)| LegendItem::new(Swatch::Fill(arm_colour(i).mix(0.85)), a.to_string()))
        .collect()
}

/// A plot of `rows` horizontal rows over `x`, the first row at the top.
pub(super) fn bar_plot<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: Range<f64>,
    rows: usize,
) -> DrawResult<Plot<'a, DB>, DB> {
    plot_area(area, x, -0.5..(rows as f64 - 0.5), NAME_WIDTH)
}

/// The y extent of arm `arm`'s bar in row `row` (row 0 at the top).
pub(super) fn sub_band(row: usize, rows: usize, arm: usize, arms: usize) -> (f64, f64) {
    let centre = (rows - 1 - row) as f64;
    let h = 0.8 / arms.max(1) as f64;
    let top = centre + 0.4 - arm as f64 * h;
    (top - h * 0.92, top)
}

/// The input names, right-aligned beside their rows.
pub(super) fn row_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Plot<'_, DB>,
    names: &[String],
) -> DrawResult<(), DB> {
    let x0 = chart.x_range().start;
    let style = font(TICK_SIZE).pos(Pos::new(HPos::Right, VPos::Center));
    for (row, name) in names.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(x0, (names.len() - 1 - row) as f64));
        root.draw(&Text::new(name.clone(), (px - 14, py), style.clone()))?;
    }
    Ok(())
}

/// A small value label just beyond the end of a bar.
pub(super) fn value_label<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    x: f64,
    y: f64,
    text: &str,
    gap: f64,
) -> DrawResult<(), DB> {
    let (hpos, at) = if x >= 0.0 {
        (HPos::Left, x + gap)
    } else {
        (HPos::Right, x - gap)
    };
    let style = muted(NOTE_SIZE).pos(Pos::new(hpos, VPos::Center));
    chart.draw_series(std::iter::once(Text::new(text.to_string(), (at, y), style)))?;
    Ok(())
}

/// Renders a sensitivity chart as SVG text.
pub(super) fn to_svg(
    what: &str,
    draw: impl for<'b> FnOnce(&DrawingArea<SVGBackend<'b>, Shift>) -> DrawResult<(), SVGBackend<'b>>,
) -> Result<String> {
    crate::interrupt::check()?;
    ensure_fonts()?;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("cannot draw the {what} chart"))?;
    }
    Ok(buf)
}

/// Draws a sensitivity chart into a PNG file.
pub(super) fn to_png(
    path: &Path,
    draw: impl for<'b> FnOnce(
        &DrawingArea<BitMapBackend<'b>, Shift>,
    ) -> DrawResult<(), BitMapBackend<'b>>,
) -> Result<()> {
    crate::interrupt::check()?;
    ensure_fonts()?;
    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    draw(&root)
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// The tornado chart as SVG text.
pub fn svg(s: &Sensitivity) -> Result<String> {
    to_svg(FILE_STEM, |root| draw(root, s))
}

/// The tornado chart as a PNG file.
pub fn png(s: &Sensitivity, path: &Path) -> Result<()> {
    to_png(path, |root| draw(root, s))
}
