//! The EVPI chart: for each uncertain input (largest first), how much it would be worth to
//! know its value before choosing a plan (or none), in the currency. The dashed line is
//! the noise floor: the same estimate for an input that cannot matter; bars that do not
//! reach it are indistinguishable from zero.

use std::path::Path;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;
use super::style::*;
use super::tornado::{MAX_ROWS, bar_plot, row_labels, subtitle, to_png, to_svg, value_label};
use crate::sensitivity::Sensitivity;

pub const FILE_STEM: &str = "evpi";

/// The heading of the EVPI chart.
pub fn heading() -> &'static str {
    "What it is worth to know each input before deciding"
}

/// Draws the EVPI chart.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &Sensitivity,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let e = &s.evpi;
    let decision = if e.decision == "none" {
        "deciding now: do nothing".to_string()
    } else {
        format!("deciding now: {}", e.decision)
    };
    let what = format!(
        "expected value of perfect information, {}, {decision}",
        s.currency
    );
    let legend = vec![
        LegendItem::new(
            Swatch::Fill(arm_colour(2).mix(0.85)),
            "worth of knowing this input first",
        ),
        LegendItem::new(
            Swatch::Dashed(INK),
            format!("noise floor {}", fmt_money(e.noise_floor)),
        ),
        LegendItem::row_break(),
        LegendItem::new(
            Swatch::Fill(RGBAColor(0, 0, 0, 0.0)),
            format!(
                "knowing everything, luck included: {} {}",
                fmt_money(e.overall),
                s.currency
            ),
        ),
    ];
    let area = frame(root, heading(), &subtitle(s, &what), &legend)?;
    let rows: Vec<_> = e.inputs.iter().take(MAX_ROWS).collect();
    if rows.is_empty() {
        no_data(&area, "No input of this scenario is uncertain.")?;
        return root.present();
    }
    let top = rows
        .iter()
        .map(|i| i.evpi)
        .chain([e.noise_floor])
        .filter(|v| drawable(*v))
        .fold(0.0, f64::max);
    let hi = if top > 0.0 { top * 1.18 } else { 1.0 };
    let names: Vec<String> = rows.iter().map(|i| i.name.clone()).collect();
    let mut chart = bar_plot(&area, 0.0..hi, names.len())?;
    let desc = format!("Expected value of perfect information, {}", s.currency);
    bar_mesh(&mut chart, &desc, &|v| fmt_money(*v))?;
    for (row, i) in rows.iter().enumerate() {
        if !drawable(i.evpi) {
            continue;
        }
        let y = (names.len() - 1 - row) as f64;
        let bar = Rectangle::new(
            [(0.0, y - 0.32), (i.evpi, y + 0.32)],
            arm_colour(2).mix(0.85).filled(),
        );
        chart.draw_series(std::iter::once(bar))?;
        value_label(&mut chart, i.evpi, y, &fmt_money(i.evpi), hi * 0.01)?;
    }
    if e.noise_floor > 0.0 && drawable(e.noise_floor) {
        vline(
            &mut chart,
            e.noise_floor,
            INK.stroke_width(3),
            Some((12, 8)),
        )?;
    }
    row_labels(root, &chart, &names)?;
    root.present()
}

/// The EVPI chart as SVG text.
pub fn svg(s: &Sensitivity) -> Result<String> {
    to_svg(FILE_STEM, |root| draw(root, s))
}

/// The EVPI chart as a PNG file.
pub fn png(s: &Sensitivity, path: &Path) -> Result<()> {
    to_png(path, |root| draw(root, s))
}
