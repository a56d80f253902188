//! The paired difference: in every simulated future (the same draws for both arms), the
//! NPV of the first arm minus that of the second. Bins right of zero, where the first arm
//! ends ahead, take its colour; bins left of zero the second's. The chance that the first
//! arm beats the second is the summary's `p_a_npv_greater`.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::*;
use super::{Chart, DrawResult, RunData};

const BINS: usize = 60;

/// `npv(a) - npv(b)` trial by trial.
pub(super) fn differences(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> DrawResult<(), DB> {
    let title = Chart::PairedDifference.heading(data);
    let (Some(a), Some(b)) = (data.arms.first(), data.arms.get(1)) else {
        let area = frame(root, &title, &subtitle(data, None), &[])?;
        return no_data(&area, "A paired comparison needs two arms.");
    };
    let diffs = sorted(&differences(&a.npv, &b.npv));
    let area = frame(
        root,
        &title,
        &subtitle(data, Some(&npv_note(data))),
        &legend(data, &diffs),
    )?;
    let Some((lo, hi)) = central_range(std::slice::from_ref(&diffs), 0.005, true) else {
        return no_data(&area, "No trials with finite NPVs to compare.");
    };
    let span = padded(lo, hi, 0.0);
    let edges = bin_edges(span.start, span.end, nice_step(span.end - span.start, BINS));
    let hist = shares(&diffs, &edges);
    let top = hist.iter().fold(0.0f64, |m, s| m.max(*s));
    let x = padded(edges[0], edges[edges.len() - 1], 0.01);
    let mut chart = plot_area(&area, x.clone(), 0.0..share_axis_max(top), 130)?;
    let x_desc = format!(
        "NPV of {} minus NPV of {} in the same future, {} (central 99 % shown)",
        a.name, b.name, data.summary.currency
    );
    mesh(
        &mut chart,
        &x_desc,
        "Share of futures",
        &|v| fmt_money(*v),
        &|v| fmt_pct(*v),
    )?;
    chart.draw_series(
        hist.iter()
            .enumerate()
            .filter(|(_, s)| **s > 0.0)
            .map(|(k, s)| {
                let colour = if edges[k] >= 0.0 {
                    arm_colour(0)
                } else {
                    arm_colour(1)
                };
                Rectangle::new(
                    [(edges[k], 0.0), (edges[k + 1], *s)],
                    colour.mix(0.75).filled(),
                )
            }),
    )?;
    vline(&mut chart, 0.0, ZERO.stroke_width(3), None)?;
    let mean = data.summary.pairs.first().and_then(|p| p.npv_diff.mean);
    if let Some(m) = mean.filter(|m| x.start < *m && *m < x.end) {
        vline(&mut chart, m, INK.stroke_width(4), Some((14, 9)))?;
    }
    Ok(())
}

fn legend(data: &RunData, diffs: &[f64]) -> Vec<LegendItem> {
    let (a, b) = super::paired_names(data);
    let pair = data.summary.pairs.first();
    let p_a = pair.and_then(|p| p.p_a_npv_greater);
    let n = diffs.len().max(1) as f64;
    let p_b = diffs.iter().filter(|d| **d < 0.0).count() as f64 / n;
    let prob = |p: Option<f64>| p.map_or_else(|| "-".into(), fmt_prob);
    let mut items = vec![
        LegendItem::new(
            Swatch::Fill(arm_colour(0).mix(0.75)),
            format!("{a} ends ahead in {} of futures", prob(p_a)),
        ),
        LegendItem::new(
            Swatch::Fill(arm_colour(1).mix(0.75)),
            format!("{b} ends ahead in {}", prob(Some(p_b))),
        ),
    ];
    if let Some(d) = pair.map(|p| &p.npv_diff) {
        let money = |x: Option<f64>| x.map_or_else(|| "-".into(), fmt_money);
        items.push(LegendItem::row_break());
        items.push(LegendItem::new(
            Swatch::Dashed(INK),
            format!(
                "mean difference {} (95 % interval {} to {})",
                money(d.mean),
                money(d.lo95),
                money(d.hi95)
            ),
        ));
    }
    items
}
