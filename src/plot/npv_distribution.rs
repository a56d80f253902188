//! The distribution of NPV per arm: overlaid, semi-transparent histograms (share of
//! futures per bin) with each arm's mean (solid line) and 5 % value at risk (dashed line:
//! the NPV that only one future in twenty falls below).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::*;
use super::{Chart, DrawResult, RunData};

/// Bins the central range is cut into, roughly.
const BINS: usize = 60;

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> DrawResult<(), DB> {
    let npvs: Vec<Vec<f64>> = data.arms.iter().map(|a| sorted(&a.npv)).collect();
    let title = Chart::NpvDistribution.heading(data);
    let area = frame(root, &title, &subtitle(data, None), &legend(data))?;
    let Some((lo, hi)) = central_range(&npvs, 0.005, false) else {
        return no_data(&area, "No trials with a finite NPV to show.");
    };
    let span = padded(lo, hi, 0.0);
    let edges = bin_edges(span.start, span.end, nice_step(span.end - span.start, BINS));
    let hist: Vec<Vec<f64>> = npvs.iter().map(|v| shares(v, &edges)).collect();
    let top = hist.iter().flatten().fold(0.0f64, |m, s| m.max(*s));
    let x = padded(edges[0], edges[edges.len() - 1], 0.01);
    let mut chart = plot_area(&area, x.clone(), 0.0..share_axis_max(top), 130)?;
    let x_desc = format!(
        "Net present value, {} in today's money (central 99 % of futures shown)",
        data.summary.currency
    );
    mesh(
        &mut chart,
        &x_desc,
        "Share of futures",
        &|v| fmt_money(*v),
        &|v| fmt_pct(*v),
    )?;
    if x.start < 0.0 && x.end > 0.0 {
        vline(&mut chart, 0.0, ZERO.stroke_width(2), None)?;
    }
    for (i, h) in hist.iter().enumerate() {
        bars(&mut chart, &edges, h, arm_colour(i))?;
    }
    for (i, a) in data.summary.arms.iter().enumerate() {
        let c = arm_colour(i);
        let inside = |v: &f64| x.start < *v && *v < x.end;
        if let Some(m) = a.npv.mean.filter(inside) {
            vline(&mut chart, m, c.stroke_width(4), None)?;
        }
        if let Some(v) = a.npv_var5.filter(inside) {
            vline(&mut chart, v, c.stroke_width(4), Some((14, 9)))?;
        }
    }
    Ok(())
}

/// One translucent histogram with a crisp outline.
fn bars<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    edges: &[f64],
    shares: &[f64],
    colour: RGBColor,
) -> DrawResult<(), DB> {
    chart.draw_series(
        shares
            .iter()
            .enumerate()
            .filter(|(_, s)| **s > 0.0)
            .map(|(k, s)| {
                Rectangle::new(
                    [(edges[k], 0.0), (edges[k + 1], *s)],
                    colour.mix(0.28).filled(),
                )
            }),
    )?;
    let mut outline = vec![(edges[0], 0.0)];
    for (k, s) in shares.iter().enumerate() {
        outline.push((edges[k], *s));
        outline.push((edges[k + 1], *s));
    }
    outline.push((edges[edges.len() - 1], 0.0));
    chart.draw_series(std::iter::once(PathElement::new(
        outline,
        colour.stroke_width(2),
    )))?;
    Ok(())
}

fn legend(data: &RunData) -> Vec<LegendItem> {
    let mut items = Vec::new();
    for (i, a) in data.summary.arms.iter().enumerate() {
        if i > 0 {
            items.push(LegendItem::row_break());
        }
        let c = arm_colour(i);
        let money = |x: Option<f64>| x.map_or_else(|| "-".into(), fmt_money);
        items.push(LegendItem::new(Swatch::Fill(c.mix(0.45)), a.label.clone()));
        items.push(LegendItem::new(
            Swatch::Line(c),
            format!("mean {}", money(a.npv.mean)),
        ));
        items.push(LegendItem::new(
            Swatch::Dashed(c),
            format!("1-in-20 bad case (VaR 5 %) {}", money(a.npv_var5)),
        ));
    }
    items
}
