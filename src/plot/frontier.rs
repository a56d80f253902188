//! The frontier chart of `alignsim plan` (MODEL.md 8.4): every preparation plan simulated
//! as a dot, its mean cost across, its mean NPV (left panel) or its chance of losing money
//! (right panel) up. The efficient plans (no other plan costs as little or less and does
//! better) are joined by a line; the best plan is highlighted and labelled with its
//! packages, the empty plan is labelled "no preparation", and a budget, when given, is a
//! dashed vertical line.

use std::path::Path;

use anyhow::Result;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::*;
use super::tornado::{to_png, to_svg};
use super::{About, DrawResult};
use crate::analysis::plan::{Plan, Search};

pub const FILE_STEM: &str = "frontier";

const DOTS: RGBColor = AXIS;
const LINE: RGBColor = ARM_COLOURS[0];
const BEST: RGBColor = ARM_COLOURS[1];

/// One panel: what it puts up the y axis, and which of two values is better.
struct Panel {
    desc: &'static str,
    value: fn(&Plan) -> f64,
    better: fn(f64, f64) -> bool,
    fmt: fn(&f64) -> String,
}

const NPV: Panel = Panel {
    desc: "Mean NPV",
    value: |p| p.npv_mean,
    better: |a, b| a > b,
    fmt: |v| fmt_money(*v),
};

const LOSS: Panel = Panel {
    desc: "Chance of losing money, P(NPV < 0)",
    value: |p| p.p_npv_negative,
    better: |a, b| a < b,
    fmt: |v| fmt_pct(*v),
};

/// The heading of the frontier chart.
pub fn heading(s: &Search) -> String {
    format!(
        "What each preparation plan costs and brings: the {} plan",
        s.arm.replace('_', " ")
    )
}

/// The efficient plans for `value`, cheapest first: no other plan costs as little or
/// less and has a better value.
fn efficient<'a>(plans: &'a [Plan], panel: &Panel) -> Vec<&'a Plan> {
    let v = panel.value;
    let mut out: Vec<&Plan> = plans
        .iter()
        .enumerate()
        .filter(|(i, p)| {
            !plans
                .iter()
                .enumerate()
                .any(|(j, q)| j != *i && q.cost_mean <= p.cost_mean && (panel.better)(v(q), v(p)))
        })
        .map(|(_, p)| p)
        .collect();
    out.sort_by(|a, b| a.cost_mean.total_cmp(&b.cost_mean));
    out
}

/// A plan's packages as its label.
fn label(p: &Plan) -> String {
    if p.packages.is_empty() {
        "no preparation".into()
    } else {
        p.packages.join(" + ")
    }
}

/// Draws the frontier chart.
pub fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &Search,
    about: &About,
) -> DrawResult<(), DB> {
    root.fill(&WHITE)?;
    let mut legend = vec![
        LegendItem::new(Swatch::Dot(DOTS), "a plan"),
        LegendItem::new(Swatch::Line(LINE), "efficient plans"),
        LegendItem::new(Swatch::Dot(BEST), format!("best: {}", label(&s.best))),
    ];
    if let Some(b) = s.budget {
        legend.push(LegendItem::new(
            Swatch::Dashed(INK),
            format!("budget {} {}", fmt_money(b), about.currency),
        ));
    }
    let what = format!("{} plans, amounts in {}", s.plans.len(), about.currency);
    let area = frame(root, &heading(s), &about.subtitle(&what), &legend)?;
    if s.plans.is_empty() {
        return no_data(&area, "No plan was simulated.");
    }
    let cells = area.split_evenly((1, 2));
    for (panel, cell) in [NPV, LOSS].iter().zip(&cells) {
        draw_panel(cell, s, panel, about.currency)?;
    }
    root.present()
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &Search,
    panel: &Panel,
    currency: &str,
) -> DrawResult<(), DB> {
    let v = panel.value;
    let costs = s
        .plans
        .iter()
        .map(|p| p.cost_mean)
        .chain(s.budget)
        .chain([0.0]);
    let (x0, x1) = bounds(costs).unwrap_or((0.0, 1.0));
    let (y0, y1) = bounds(s.plans.iter().map(v)).unwrap_or((0.0, 1.0));
    let mut chart = plot_area(area, padded(x0, x1, 0.08), padded(y0, y1, 0.12), 150)?;
    let x_desc = format!("Mean cost of the preparation, {currency}");
    mesh(
        &mut chart,
        &x_desc,
        panel.desc,
        &|x| fmt_money(*x),
        &panel.fmt,
    )?;
    let dots = s.plans.iter().map(|p| (p.cost_mean, v(p)));
    chart.draw_series(
        dots.filter(|(x, y)| drawable(*x) && drawable(*y))
            .map(|pt| Circle::new(pt, 6, DOTS.filled())),
    )?;
    let line: Vec<(f64, f64)> = efficient(&s.plans, panel)
        .iter()
        .map(|p| (p.cost_mean, v(p)))
        .filter(|(x, y)| drawable(*x) && drawable(*y))
        .collect();
    chart.draw_series(std::iter::once(PathElement::new(
        line,
        LINE.stroke_width(3),
    )))?;
    if let Some(b) = s.budget.filter(|b| drawable(*b)) {
        vline(&mut chart, b, INK.stroke_width(2), Some((12, 8)))?;
    }
    if let Some(none) = s.plans.iter().find(|p| p.packages.is_empty())
        && none != &s.best
    {
        mark(
            &mut chart,
            (none.cost_mean, v(none)),
            "no preparation",
            MUTED,
        )?;
    }
    mark(
        &mut chart,
        (s.best.cost_mean, v(&s.best)),
        &label(&s.best),
        BEST,
    )
}

/// A highlighted plan: a ringed dot and its label beside it.
fn mark<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    at: (f64, f64),
    text: &str,
    colour: RGBColor,
) -> DrawResult<(), DB> {
    if !drawable(at.0) || !drawable(at.1) {
        return Ok(());
    }
    let x = chart.x_range();
    let (hpos, dx) = if at.0 > (x.start + x.end) / 2.0 {
        (HPos::Right, -14)
    } else {
        (HPos::Left, 14)
    };
    let style = coloured(font(NOTE_SIZE), colour).pos(Pos::new(hpos, VPos::Bottom));
    chart.draw_series(std::iter::once(
        EmptyElement::at(at)
            + Circle::new((0, 0), 9, colour.filled())
            + Circle::new((0, 0), 14, colour.stroke_width(2))
            + Text::new(text.to_string(), (dx, -14), style),
    ))?;
    Ok(())
}

/// The frontier chart as SVG text.
pub fn svg(s: &Search, about: &About) -> Result<String> {
    to_svg(FILE_STEM, |root| draw(root, s, about))
}

/// The frontier chart as a PNG file.
pub fn png(s: &Search, about: &About, path: &Path) -> Result<()> {
    to_png(path, |root| draw(root, s, about))
}
