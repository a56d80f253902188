//! The paired difference: in every simulated future (the same draws for every arm), the
//! NPV of one arm minus that of another. By default two panels: the best arm by mean NPV
//! minus the runner-up, and the best arm minus doing nothing (its own NPV against 0); with
//! `--pair A,B`, the one panel A minus B. Bins right of zero, where the first ends ahead,
//! take its colour; bins left of zero the second's (grey for doing nothing).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::*;
use super::{Chart, DrawResult, RunData};
use crate::stats::Interval;
use crate::stats::decision::{npv_difference, ranking};

const BINS: usize = 60;

/// One panel of the chart: arm `a` (an index into the summary's arms) minus arm `b`, or
/// minus doing nothing when `b` is `None`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Panel {
    pub a: usize,
    pub b: Option<usize>,
}

/// The panels the run's chart draws: the pair named with `--pair`, or the best arm against
/// the runner-up and against doing nothing; none with fewer than two arms.
pub(super) fn panels(data: &RunData) -> Vec<Panel> {
    let arms = &data.summary.arms;
    let index = |name: &str| arms.iter().position(|a| a.name == name);
    if let Some((a, b)) = &data.pair
        && let (Some(a), Some(b)) = (index(a), index(b))
    {
        return vec![Panel { a, b: Some(b) }];
    }
    match ranking(arms)[..] {
        [best, runner, ..] => vec![
            Panel {
                a: best,
                b: Some(runner),
            },
            Panel { a: best, b: None },
        ],
        _ => Vec::new(),
    }
}

impl Panel {
    /// The second arm's name, or "doing nothing".
    pub(super) fn other(&self, data: &RunData) -> String {
        self.b.map_or_else(
            || "doing nothing".to_string(),
            |b| data.summary.arms[b].name.clone(),
        )
    }

    /// The second arm's label, or "doing nothing", for the legend.
    fn other_label(&self, data: &RunData) -> String {
        self.b.map_or_else(
            || "doing nothing".to_string(),
            |b| data.summary.arms[b].label.clone(),
        )
    }

    /// `npv(a) - npv(b)` trial by trial (`npv(a)` against doing nothing), sorted.
    fn differences(&self, data: &RunData) -> Vec<f64> {
        let a = &data.arms[self.a].npv;
        match self.b {
            Some(b) => sorted(&differences(a, &data.arms[b].npv)),
            None => sorted(a),
        }
    }

    /// The mean difference with its 95 % interval, from the summary.
    fn mean(&self, data: &RunData) -> Option<Interval> {
        let s = &data.summary;
        let a = &s.arms[self.a];
        match self.b {
            Some(b) => npv_difference(&s.pairs, &a.name, &s.arms[b].name),
            None => Some(Interval::of(a.npv.mean, a.npv.se)),
        }
    }

    /// The chance that `a` ends strictly ahead: the summary's figure where it holds one
    /// for this order of the arms, else the share of the drawn differences above zero.
    fn p_ahead(&self, data: &RunData, diffs: &[f64]) -> Option<f64> {
        let s = &data.summary;
        let a = &s.arms[self.a].name;
        let stored = match self.b {
            Some(b) => s
                .pairs
                .iter()
                .find(|p| p.a == *a && p.b == s.arms[b].name)
                .and_then(|p| p.p_a_npv_greater),
            None => s.arms[self.a].p_npv_positive,
        };
        stored.or_else(|| share(diffs, |d| d > 0.0))
    }

    /// The colour of the bins where the second ends ahead.
    fn other_colour(&self) -> RGBColor {
        self.b.map_or(MUTED, arm_colour)
    }
}

/// `npv(a) - npv(b)` trial by trial.
pub(super) fn differences(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

/// The share of `diffs` for which `keep` holds; `None` without any.
fn share(diffs: &[f64], keep: impl Fn(f64) -> bool) -> Option<f64> {
    (!diffs.is_empty())
        .then(|| diffs.iter().filter(|d| keep(**d)).count() as f64 / diffs.len() as f64)
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> DrawResult<(), DB> {
    let title = Chart::PairedDifference.heading(data);
    let panels = panels(data);
    if panels.is_empty() {
        let area = frame(root, &title, &subtitle(data, None), &[])?;
        return no_data(&area, "A paired comparison needs two arms.");
    }
    let diffs: Vec<Vec<f64>> = panels.iter().map(|p| p.differences(data)).collect();
    let mut items = Vec::new();
    for (p, d) in panels.iter().zip(&diffs) {
        if !items.is_empty() {
            items.push(LegendItem::row_break());
        }
        items.extend(legend(data, p, d));
    }
    let area = frame(root, &title, &subtitle(data, Some(&npv_note(data))), &items)?;
    let cells = area.split_evenly((1, panels.len()));
    for ((p, d), cell) in panels.iter().zip(&diffs).zip(&cells) {
        draw_panel(cell, data, p, d)?;
    }
    Ok(())
}

/// One panel: the histogram of the differences, the zero line and the mean.
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    data: &RunData,
    panel: &Panel,
    diffs: &[f64],
) -> DrawResult<(), DB> {
    let Some((lo, hi)) = central_range(std::slice::from_ref(&diffs.to_vec()), 0.005, true) else {
        return no_data(area, "No trials with finite NPVs to compare.");
    };
    let span = padded(lo, hi, 0.0);
    let edges = bin_edges(span.start, span.end, nice_step(span.end - span.start, BINS));
    let hist = shares(diffs, &edges);
    let top = hist.iter().fold(0.0f64, |m, s| m.max(*s));
    let x = padded(edges[0], edges[edges.len() - 1], 0.01);
    let mut chart = plot_area(area, x.clone(), 0.0..share_axis_max(top), 130)?;
    let x_desc = format!(
        "{} minus {}, {} (central 99 %)",
        data.summary.arms[panel.a].name,
        panel.other(data),
        data.summary.currency
    );
    mesh(
        &mut chart,
        &x_desc,
        "Share of futures",
        &|v| fmt_money(*v),
        &|v| fmt_pct(*v),
    )?;
    let (ahead, behind) = (arm_colour(panel.a), panel.other_colour());
    chart.draw_series(
        hist.iter()
            .enumerate()
            .filter(|(_, s)| **s > 0.0)
            .map(|(k, s)| {
                let colour = if edges[k] >= 0.0 { ahead } else { behind };
                Rectangle::new(
                    [(edges[k], 0.0), (edges[k + 1], *s)],
                    colour.mix(0.75).filled(),
                )
            }),
    )?;
    vline(&mut chart, 0.0, ZERO.stroke_width(3), None)?;
    let mean = panel.mean(data).and_then(|m| m.mean);
    if let Some(m) = mean.filter(|m| x.start < *m && *m < x.end) {
        vline(&mut chart, m, INK.stroke_width(4), Some((14, 9)))?;
    }
    Ok(())
}

/// A panel's legend: how often each side ends ahead, and the mean difference.
fn legend(data: &RunData, panel: &Panel, diffs: &[f64]) -> Vec<LegendItem> {
    let a = &data.summary.arms[panel.a].label;
    let prob = |p: Option<f64>| p.map_or_else(|| "-".into(), fmt_prob);
    let behind = match panel.b {
        Some(_) => format!(
            "{} ends ahead in {}",
            panel.other_label(data),
            prob(share(diffs, |d| d < 0.0))
        ),
        None => format!(
            "{a} loses money in {}",
            prob(data.summary.arms[panel.a].p_npv_negative)
        ),
    };
    let ahead = match panel.b {
        Some(_) => format!(
            "{a} ends ahead in {} of futures",
            prob(panel.p_ahead(data, diffs))
        ),
        None => format!(
            "{a} beats doing nothing in {} of futures",
            prob(panel.p_ahead(data, diffs))
        ),
    };
    let mut items = vec![
        LegendItem::new(Swatch::Fill(arm_colour(panel.a).mix(0.75)), ahead),
        LegendItem::new(Swatch::Fill(panel.other_colour().mix(0.75)), behind),
    ];
    if let Some(d) = panel.mean(data) {
        let money = |x: Option<f64>| x.map_or_else(|| "-".into(), fmt_money);
        items.push(LegendItem::new(
            Swatch::Dashed(INK),
            format!(
                "mean {} (95 % interval {} to {})",
                money(d.mean),
                money(d.lo95),
                money(d.hi95)
            ),
        ));
    }
    items
}
