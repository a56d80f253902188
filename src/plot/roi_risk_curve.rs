//! The ROI risk (exceedance) curve: for every return x, the chance that the project
//! returns at least x, `P(roi >= x)`, one line per arm. The break-even line at ROI 0 marks
//! where each curve stands, and the chance of a negative return, `P(roi < 0)` (undiscounted),
//! is written beside it. The legend states each arm's chance of losing money, NPV < 0: the
//! figure the tables and the headline give. Both figures are the summary's.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::*;
use super::{Chart, DrawResult, RunData};

/// Points on each curve.
const STEPS: usize = 600;
/// Vertical room each break-even label needs, in pixels.
const LABEL_GAP: i32 = 34;

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> DrawResult<(), DB> {
    let rois: Vec<Vec<f64>> = data.arms.iter().map(|a| sorted(&a.roi)).collect();
    let title = Chart::RoiRiskCurve.heading(data);
    let area = frame(root, &title, &subtitle(data, None), &legend(data))?;
    let Some(x) = x_range(&rois) else {
        return no_data(
            &area,
            "No trial put money in, so there is no return to show.",
        );
    };
    let mut chart = plot_area(&area, x.clone(), -0.01..1.04, 130)?;
    let x_desc = format!(
        "Return on investment over {} months (net result / money put in)",
        data.summary.horizon_months
    );
    mesh(
        &mut chart,
        &x_desc,
        "Chance of at least this return",
        &|v| fmt_signed_pct(*v),
        &|v| fmt_pct(*v),
    )?;
    vline(&mut chart, 0.0, ZERO.stroke_width(2), Some((12, 8)))?;
    for (i, roi) in rois.iter().enumerate().filter(|(_, r)| !r.is_empty()) {
        let points = exceedance(roi, x.start, x.end, STEPS);
        chart.draw_series(LineSeries::new(points, arm_colour(i).stroke_width(4)))?;
    }
    break_even_labels(root, &chart, &rois, data)
}

fn legend(data: &RunData) -> Vec<LegendItem> {
    let mut items: Vec<LegendItem> = data
        .summary
        .arms
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let text = match (a.p_roi_negative, a.p_npv_negative) {
                (Some(_), Some(p)) => format!(
                    "{}: loses money (NPV < 0) in {} of futures",
                    a.label,
                    fmt_prob(p)
                ),
                _ => format!("{}: no money put in, so no return to show", a.label),
            };
            LegendItem::new(Swatch::Line(arm_colour(i)), text)
        })
        .collect();
    items.push(LegendItem::new(
        Swatch::Dashed(ZERO),
        "break-even (ROI 0 %)",
    ));
    items
}

/// Each arm's curve as the chart draws it, in the order of `data.arms`: `steps + 1` points
/// `(x, P(roi >= x))` on a regular grid over the chart's range of returns; none for an arm
/// whose trials put no money in. The Excel workbook draws its risk curve from these.
pub fn curves(data: &RunData, steps: usize) -> Vec<Vec<(f64, f64)>> {
    let rois: Vec<Vec<f64>> = data.arms.iter().map(|a| sorted(&a.roi)).collect();
    let Some(x) = x_range(&rois) else {
        return vec![Vec::new(); rois.len()];
    };
    rois.iter()
        .map(|r| match r.is_empty() {
            true => Vec::new(),
            false => exceedance(r, x.start, x.end, steps),
        })
        .collect()
}

/// The returns the chart spans: the central 99 % of every arm's, with break-even, padded.
fn x_range(rois: &[Vec<f64>]) -> Option<std::ops::Range<f64>> {
    let (lo, hi) = central_range(rois, 0.005, true)?;
    Some(padded(lo, hi, 0.04))
}

/// `(x, P(value >= x))` on a regular grid of `steps + 1` points over `lo..hi`, from sorted
/// values.
fn exceedance(sorted: &[f64], lo: f64, hi: f64, steps: usize) -> Vec<(f64, f64)> {
    let n = sorted.len() as f64;
    (0..=steps)
        .map(|k| {
            let x = lo + (hi - lo) * k as f64 / steps as f64;
            let below = sorted.partition_point(|v| *v < x) as f64;
            (x, (n - below) / n)
        })
        .collect()
}

/// A dot where each curve crosses break-even, labelled with that arm's chance of a
/// negative return as the summary states it; labels that would collide are pushed apart
/// vertically.
fn break_even_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Plot<'_, DB>,
    rois: &[Vec<f64>],
    data: &RunData,
) -> DrawResult<(), DB> {
    let mut marks: Vec<(usize, f64, (i32, i32))> = rois
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.is_empty())
        .map(|(i, r)| {
            let p_gain = (r.len() - r.partition_point(|v| *v < 0.0)) as f64 / r.len() as f64;
            let p_loss = data.summary.arms[i].p_roi_negative.unwrap_or(1.0 - p_gain);
            (i, p_loss, chart.backend_coord(&(0.0, p_gain)))
        })
        .collect();
    marks.sort_by_key(|m| m.2.1);
    let mut last_y = i32::MIN;
    for (i, p_loss, (px, py)) in marks {
        let colour = arm_colour(i);
        root.draw(&Circle::new((px, py), 9, colour.filled()))?;
        let colour = arm_ink(i);
        root.draw(&Circle::new((px, py), 9, WHITE.stroke_width(2)))?;
        let label_y = (py - 22).max(last_y + LABEL_GAP);
        last_y = label_y;
        let text = format!("ROI < 0 (undiscounted): {}", fmt_prob(p_loss));
        let style = coloured(bold(NOTE_SIZE), colour);
        // Right of the break-even line, unless that would run off the chart.
        let (w, _) = root.estimate_text_size(&text, &style)?;
        let fits_right = px + 18 + w as i32 + 12 <= root.dim_in_pixel().0 as i32;
        let (x, anchor) = if fits_right {
            (px + 18, HPos::Left)
        } else {
            (px - 18, HPos::Right)
        };
        root.draw(&Text::new(
            text,
            (x, label_y),
            style.pos(Pos::new(anchor, VPos::Center)),
        ))?;
    }
    Ok(())
}
