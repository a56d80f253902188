//! Where the money comes from and where it goes: the mean contribution of each channel of
//! MODEL.md section 3 (uplift, customers lost, labour saving, KPI value, running cost,
//! incident cost, upfront and scale-up payments, and in model v2 discoveries and
//! preparation) to the net result, as grouped horizontal
//! bars per arm, with the mean net result they add up to in the bottom row. Every amount
//! is undiscounted, and the chart says so; the legend gives each arm's mean NPV beside
//! its net, so the slide shows why the two differ.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::*;
use super::{Chart, DrawResult, RunData};

/// Share of a category's height its bars fill.
const GROUP: f64 = 0.78;

/// One row of the chart: its label and the value of each arm.
struct Row {
    label: String,
    values: Vec<f64>,
}

fn rows(data: &RunData) -> Vec<Row> {
    let arms = &data.summary.arms;
    let kpi = data.summary.kpi.as_ref().map(|k| k.name.as_str());
    let labels = data.labels();
    let Some(first) = arms.first() else {
        return Vec::new();
    };
    let mut out: Vec<Row> = first
        .channels
        .entries()
        .iter()
        .enumerate()
        .map(|(c, (name, _))| Row {
            label: labels.channel(name, kpi),
            values: arms
                .iter()
                .map(|a| a.channels.entries()[c].1.unwrap_or(0.0))
                .collect(),
        })
        .filter(|r| r.values.iter().any(|v| v.abs() > 1e-9))
        .collect();
    out.push(Row {
        label: "Net result (undiscounted)".into(),
        values: arms.iter().map(|a| a.net.mean.unwrap_or(0.0)).collect(),
    });
    out
}

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> DrawResult<(), DB> {
    let title = Chart::ValueBreakdown.heading(data);
    let what = format!(
        "mean over all futures, undiscounted, over {} months",
        data.summary.horizon_months
    );
    let sub = subtitle(data, Some(what.as_str()));
    let area = frame(root, &title, &sub, &legend(data))?;
    let rows = rows(data);
    let (lo, hi) = rows
        .iter()
        .flat_map(|r| r.values.iter())
        .filter(|v| drawable(**v))
        .fold((0.0f64, 0.0f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
    let pad = 0.2 * (hi - lo).max(1.0);
    let x = (lo - if lo < 0.0 { pad } else { 0.0 })..(hi + if hi > 0.0 { pad } else { 0.0 });
    let n = rows.len() as f64;
    let rows = shorten_labels(root, rows)?;
    let label_width = label_width(root, &rows)?;
    let mut chart = plot_area(&area, x, -0.5..n - 0.5, label_width)?;
    let x_desc = format!(
        "Mean contribution to the net result over {} months, {}, undiscounted",
        data.summary.horizon_months, data.summary.currency
    );
    bar_mesh(&mut chart, &x_desc, &|v| fmt_money(*v))?;
    hline(&mut chart, 0.5, AXIS.stroke_width(2), Some((8, 6)))?;
    vline(&mut chart, 0.0, ZERO.stroke_width(2), None)?;
    for (k, row) in rows.iter().enumerate() {
        let centre = n - 1.0 - k as f64;
        draw_row(root, &mut chart, row, centre, k + 1 == rows.len())?;
    }
    Ok(())
}

/// Widest row label, in pixels.
const MAX_LABEL: u32 = 560;

/// Labels too wide for [`MAX_LABEL`] end in an ellipsis.
fn shorten_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rows: Vec<Row>,
) -> DrawResult<Vec<Row>, DB> {
    let style = bold(DESC_SIZE);
    let mut out = Vec::with_capacity(rows.len());
    for mut row in rows {
        let mut chars: Vec<char> = row.label.chars().collect();
        let mut cut = false;
        while chars.len() > 4 && root.estimate_text_size(&row.label, &style)?.0 > MAX_LABEL {
            chars.pop();
            cut = true;
            row.label = format!("{}\u{2026}", chars.iter().collect::<String>().trim_end());
        }
        if cut {
            row.label = row.label.replace(" \u{2026}", "\u{2026}");
        }
        out.push(row);
    }
    Ok(out)
}

/// Room for the row labels left of the plot.
fn label_width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    rows: &[Row],
) -> DrawResult<u32, DB> {
    let style = bold(DESC_SIZE);
    let mut widest = 0;
    for row in rows {
        widest = widest.max(root.estimate_text_size(&row.label, &style)?.0);
    }
    Ok(widest.clamp(160, MAX_LABEL) + 40)
}

/// The bars of one row, their values, and the row's label left of the axis.
fn draw_row<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &mut Plot<'_, DB>,
    row: &Row,
    centre: f64,
    is_total: bool,
) -> DrawResult<(), DB> {
    let h = GROUP / row.values.len().max(1) as f64;
    for (i, v) in row.values.iter().enumerate() {
        if !drawable(*v) {
            continue;
        }
        let top = centre + GROUP / 2.0 - i as f64 * h;
        let (y0, y1) = (top - h * 0.92, top);
        let c = arm_colour(i);
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, y0), (*v, y1)],
            c.filled(),
        )))?;
        let (px, py) = chart.backend_coord(&(*v, (y0 + y1) / 2.0));
        let (dx, anchor) = if *v >= 0.0 {
            (10, HPos::Left)
        } else {
            (-10, HPos::Right)
        };
        let style = if is_total {
            bold(NOTE_SIZE)
        } else {
            font(NOTE_SIZE)
        };
        root.draw(&Text::new(
            fmt_money(*v),
            (px + dx, py),
            coloured(style, arm_ink(i)).pos(Pos::new(anchor, VPos::Center)),
        ))?;
    }
    let x0 = chart.x_range().start;
    let (px, py) = chart.backend_coord(&(x0, centre));
    let style = if is_total {
        bold(DESC_SIZE)
    } else {
        font(DESC_SIZE)
    };
    root.draw(&Text::new(
        row.label.clone(),
        (px - 16, py),
        style.pos(Pos::new(HPos::Right, VPos::Center)),
    ))
}

fn legend(data: &RunData) -> Vec<LegendItem> {
    data.summary
        .arms
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let money = |x: Option<f64>| x.map_or_else(|| "-".into(), fmt_money);
            let text = format!(
                "{}: net {} undiscounted; mean NPV {} discounted",
                a.label,
                money(a.net.mean),
                money(a.npv.mean)
            );
            LegendItem::new(Swatch::Fill(arm_colour(i).mix(1.0)), text)
        })
        .collect()
}
