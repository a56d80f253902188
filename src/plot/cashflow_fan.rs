//! The cash-flow fan: cumulative (undiscounted) cash flow month by month, per arm a median
//! line inside two bands (the middle 50 % and the middle 90 % of futures), the zero line,
//! and when the project goes live and when a pilot meets its go/no-go gate.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::*;
use super::{Chart, DrawResult, MonthBand, RunData};

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> DrawResult<(), DB> {
    let marks = milestones(data);
    let title = Chart::CashflowFan.heading(data);
    let sub = subtitle(
        data,
        Some(&format!("{} not discounted", data.summary.currency)),
    );
    let area = frame(root, &title, &sub, &legend(data, &marks))?;
    let (lo, hi) = data
        .monthly
        .iter()
        .flatten()
        .map(|b| {
            if outer_bands(data) {
                (b.p5, b.p95)
            } else {
                (b.p25, b.p75)
            }
        })
        .filter(|(lo, hi)| drawable(*lo) && drawable(*hi))
        .fold((0.0f64, 0.0f64), |(lo, hi), b| (lo.min(b.0), hi.max(b.1)));
    let horizon = f64::from(data.summary.horizon_months);
    let y = padded(lo, hi, 0.05);
    let mut chart = plot_area(&area, 0.0..horizon, y, 150)?;
    let y_desc = format!("Cumulative cash flow, {}", data.summary.currency);
    mesh(
        &mut chart,
        "Months since the decision to invest",
        &y_desc,
        &|v| format!("{v:.0}"),
        &|v| fmt_money(*v),
    )?;
    for (i, bands) in data.monthly.iter().enumerate() {
        let c = arm_colour(i);
        if outer_bands(data) {
            band(&mut chart, bands, |b| (b.p5, b.p95), c.mix(0.13))?;
        }
        band(&mut chart, bands, |b| (b.p25, b.p75), c.mix(0.26))?;
    }
    hline(&mut chart, 0.0, ZERO.stroke_width(2), None)?;
    milestone_lines(&mut chart, &marks, horizon)?;
    for (i, bands) in data.monthly.iter().enumerate() {
        let line = bands
            .iter()
            .map(|b| (f64::from(b.month), b.p50))
            .filter(|p| drawable(p.1));
        chart.draw_series(LineSeries::new(line, arm_colour(i).stroke_width(5)))?;
    }
    Ok(())
}

/// Whether the P5-P95 bands are drawn: with more than two arms they would bury each
/// other, so only the middle 50 % is shown.
pub fn outer_bands(data: &RunData) -> bool {
    data.monthly.len() <= 2
}

/// Dashed go-live and dotted gate lines; lines that fall on the same month are set a
/// little apart so that none hides another.
fn milestone_lines<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    marks: &[Milestones],
    horizon: f64,
) -> DrawResult<(), DB> {
    let mut taken: Vec<u32> = Vec::new();
    let mut nudge = |month: u32| {
        let k = taken.iter().filter(|m| **m == month).count();
        taken.push(month);
        f64::from(month) + 0.14 * k as f64
    };
    for (i, m) in marks.iter().enumerate() {
        let c = arm_colour(i);
        if let Some(g) = m.go_live.filter(|g| f64::from(*g) <= horizon) {
            vline(chart, nudge(g), c.stroke_width(3), Some((14, 9)))?;
        }
        if let Some(t) = m.gate.filter(|t| f64::from(*t) <= horizon) {
            vline(chart, nudge(t), c.stroke_width(3), Some((4, 6)))?;
        }
    }
    Ok(())
}

/// When an arm goes live (median over trials) and when its pilot gate falls.
#[derive(Debug, Clone, Copy, Default)]
struct Milestones {
    go_live: Option<u32>,
    /// The month at whose end the go/no-go decision is taken: `G + P - 1`.
    gate: Option<u32>,
}

fn milestones(data: &RunData) -> Vec<Milestones> {
    data.arms
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let go_live = a.median_go_live();
            let gate = match (go_live, data.pilot_months(i)) {
                (Some(g), Some(p)) if p > 0 => Some(g.saturating_add(p - 1)),
                _ => None,
            };
            Milestones { go_live, gate }
        })
        .collect()
}

/// A filled band between two percentiles.
fn band<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    bands: &[MonthBand],
    pick: impl Fn(&MonthBand) -> (f64, f64),
    fill: RGBAColor,
) -> DrawResult<(), DB> {
    let upper = bands.iter().map(|b| (f64::from(b.month), pick(b).1));
    let lower = bands.iter().rev().map(|b| (f64::from(b.month), pick(b).0));
    let outline: Vec<(f64, f64)> = upper.chain(lower).filter(|p| drawable(p.1)).collect();
    chart.draw_series(std::iter::once(Polygon::new(outline, fill.filled())))?;
    Ok(())
}

fn legend(data: &RunData, marks: &[Milestones]) -> Vec<LegendItem> {
    let mut items = Vec::new();
    let horizon = data.summary.horizon_months;
    for (i, a) in data.summary.arms.iter().enumerate() {
        if i > 0 {
            items.push(LegendItem::row_break());
        }
        let c = arm_colour(i);
        items.push(LegendItem::new(
            Swatch::Line(c),
            format!("{}: median", a.label),
        ));
        items.push(LegendItem::new(Swatch::Fill(c.mix(0.4)), "middle 50 %"));
        if outer_bands(data) {
            items.push(LegendItem::new(Swatch::Fill(c.mix(0.16)), "middle 90 %"));
        }
        let m = marks.get(i).copied().unwrap_or_default();
        match m.go_live {
            Some(g) if g <= horizon => items.push(LegendItem::new(
                Swatch::Dashed(c),
                format!("go-live month {g}"),
            )),
            _ => items.push(LegendItem::new(
                Swatch::Dashed(c),
                "goes live after the horizon (median)",
            )),
        }
        if let Some(t) = m.gate.filter(|t| *t <= horizon) {
            items.push(LegendItem::new(
                Swatch::Dotted(c),
                format!("pilot go/no-go end of month {t}"),
            ));
        }
    }
    items
}
