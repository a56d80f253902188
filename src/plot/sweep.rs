//! The charts of a what-if sweep. They read only a [`Sweep`], never the engine.
//!
//! One varied path: `p_loss` (the chance of losing money, P(NPV < 0), against the varied
//! value, one line per arm, with where each arm starts breaking even in half of the
//! futures) and `median_roi` (the median return with the band holding the middle 80 % of
//! futures, P10 to P90). Two varied paths: heatmaps, one panel per arm, of the chance of
//! breaking even, P(NPV > 0) (`heatmap_p_npv_positive`), and of the mean NPV
//! (`heatmap_npv_mean`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::style::*;
use super::{DrawResult, Formats, HEIGHT, WIDTH, ensure_fonts};
use crate::dist::fmt_num;
use crate::sweep::{AxisInfo, Sweep};

/// The colour of "loses money" on the heatmaps (vermillion) and of "makes money" (blue):
/// the arm palette's first two colours, distinguishable for colour-blind readers.
const LOSS: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const GAIN: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Height of the colour bar under a heatmap, in pixels.
const BAR_AREA: u32 = 120;

/// Every chart a sweep draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SweepChart {
    PLoss,
    MedianRoi,
    HeatmapPNpvPositive,
    HeatmapNpvMean,
}

impl SweepChart {
    /// The charts for a sweep of this many axes.
    pub fn for_axes(n: usize) -> &'static [SweepChart] {
        match n {
            1 => &[SweepChart::PLoss, SweepChart::MedianRoi],
            2 => &[SweepChart::HeatmapPNpvPositive, SweepChart::HeatmapNpvMean],
            _ => &[],
        }
    }

    pub fn file_stem(self) -> &'static str {
        match self {
            SweepChart::PLoss => "p_loss",
            SweepChart::MedianRoi => "median_roi",
            SweepChart::HeatmapPNpvPositive => "heatmap_p_npv_positive",
            SweepChart::HeatmapNpvMean => "heatmap_npv_mean",
        }
    }

    fn draw<DB: DrawingBackend>(
        self,
        root: &DrawingArea<DB, Shift>,
        s: &Sweep,
    ) -> DrawResult<(), DB> {
        root.fill(&WHITE)?;
        match self {
            SweepChart::PLoss => p_loss(root, s),
            SweepChart::MedianRoi => median_roi(root, s),
            SweepChart::HeatmapPNpvPositive => heatmap(root, s, Heat::PNpvPositive),
            SweepChart::HeatmapNpvMean => heatmap(root, s, Heat::NpvMean),
        }?;
        root.present()
    }
}

/// One chart of the sweep as SVG text (for the sweep's `report.html`).
///
/// # Errors
/// The chart cannot be drawn.
pub fn svg(chart: SweepChart, s: &Sweep) -> Result<String> {
    ensure_fonts()?;
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
        chart
            .draw(&root, s)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("cannot draw {}", chart.file_stem()))?;
    }
    Ok(text)
}

/// Writes every chart of the sweep into `dir` as `formats` asks; returns the paths.
pub fn write_charts(dir: &Path, s: &Sweep, formats: Formats) -> Result<Vec<PathBuf>> {
    ensure_fonts()?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    for chart in SweepChart::for_axes(s.axes.len()) {
        crate::interrupt::check()?;
        if formats.svg {
            let path = dir.join(format!("{}.svg", chart.file_stem()));
            {
                let root = SVGBackend::new(&path, (WIDTH, HEIGHT)).into_drawing_area();
                chart
                    .draw(&root, s)
                    .map_err(|e| anyhow!("{e}"))
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            written.push(path);
        }
        if formats.png {
            let path = dir.join(format!("{}.png", chart.file_stem()));
            {
                let root = BitMapBackend::new(&path, (WIDTH, HEIGHT)).into_drawing_area();
                chart
                    .draw(&root, s)
                    .map_err(|e| anyhow!("{e}"))
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            written.push(path);
        }
    }
    Ok(written)
}

/// The second line of every sweep chart.
fn sweep_subtitle(s: &Sweep) -> String {
    format!(
        "{}  \u{b7}  {} points, the same {} simulated futures at each, over {} months",
        s.title,
        s.points.len(),
        fmt_num(s.trials as f64),
        s.horizon_months
    )
}

/// `(value, figure)` of one arm along the first axis.
fn curve(
    s: &Sweep,
    arm: usize,
    get: impl Fn(&crate::sweep::ArmPoint) -> Option<f64>,
) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = s
        .points
        .iter()
        .filter_map(|p| Some((*p.values.first()?, get(p.arms.get(arm)?)?)))
        .filter(|(_, y)| drawable(*y))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts
}

fn x_range(axis: &AxisInfo) -> std::ops::Range<f64> {
    let lo = axis.values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = axis
        .values
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    padded(lo, hi, 0.03)
}

fn x_fmt(axis: &AxisInfo) -> impl Fn(&f64) -> String + '_ {
    move |v: &f64| {
        if axis.integer {
            fmt_num(v.round())
        } else {
            fmt_num((v * 1e6).round() / 1e6)
        }
    }
}

/// A dotted line at the scenario's own value, when it lies inside the range.
fn base_line<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    axis: &AxisInfo,
) -> DrawResult<bool, DB> {
    let r = chart.x_range();
    match axis.base {
        Some(b) if b >= r.start && b <= r.end => {
            vline(chart, b, MUTED.stroke_width(2), Some((4, 6)))?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

fn arm_legend(s: &Sweep, extra: Vec<LegendItem>) -> Vec<LegendItem> {
    let mut items: Vec<LegendItem> = s
        .arms
        .iter()
        .enumerate()
        .map(|(i, a)| LegendItem::new(Swatch::Line(arm_colour(i)), a.name.clone()))
        .collect();
    items.extend(extra);
    items
}

/// P(NPV < 0) against the varied value, per arm.
fn p_loss<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, s: &Sweep) -> DrawResult<(), DB> {
    let axis = &s.axes[0];
    let title = format!("Chance of losing money as {} changes", axis.full_label());
    let extra = vec![
        LegendItem::new(Swatch::Dashed(ZERO), "one future in two"),
        LegendItem::new(Swatch::Dot(INK), "breaks even in half of the futures"),
        LegendItem::new(Swatch::Dotted(MUTED), "the scenario's own value"),
    ];
    let area = frame(root, &title, &sweep_subtitle(s), &arm_legend(s, extra))?;
    let mut chart = plot_area(&area, x_range(axis), -0.01..1.04, 130)?;
    mesh(
        &mut chart,
        &axis_title(axis),
        "Chance of losing money, P(NPV < 0)",
        &x_fmt(axis),
        &|v| fmt_pct(*v),
    )?;
    hline(&mut chart, 0.5, ZERO.stroke_width(2), Some((12, 8)))?;
    base_line(&mut chart, axis)?;
    for i in 0..s.arms.len() {
        let pts = curve(s, i, |a| a.p_npv_negative);
        let c = arm_colour(i);
        chart.draw_series(LineSeries::new(pts.clone(), c.stroke_width(4)))?;
        chart.draw_series(pts.iter().map(|p| Circle::new(*p, 5, c.filled())))?;
    }
    for f in s.break_even.iter().filter(|f| f.given.is_none()) {
        let Some(x) = f.value else { continue };
        let i = s.arms.iter().position(|a| a.name == f.arm).unwrap_or(0);
        let (px, py) = chart.backend_coord(&(x, 0.5));
        root.draw(&Circle::new((px, py), 10, arm_colour(i).filled()))?;
        root.draw(&Circle::new((px, py), 10, WHITE.stroke_width(2)))?;
        let style =
            coloured(bold(NOTE_SIZE), arm_colour(i)).pos(Pos::new(HPos::Left, VPos::Bottom));
        let label = crate::sweep::report::fmt_value(x, axis);
        root.draw(&Text::new(label, (px + 12, py - 10), style))?;
    }
    Ok(())
}

/// Median ROI with the P10-P90 band, per arm.
fn median_roi<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, s: &Sweep) -> DrawResult<(), DB> {
    let axis = &s.axes[0];
    let title = format!("Return on investment as {} changes", axis.full_label());
    let extra = vec![
        LegendItem::new(
            Swatch::Fill(INK.mix(0.15)),
            "middle 80 % of futures (P10 to P90)",
        ),
        LegendItem::new(Swatch::Dashed(ZERO), "break-even (ROI 0 %)"),
        LegendItem::new(Swatch::Dotted(MUTED), "the scenario's own value"),
    ];
    let area = frame(root, &title, &sweep_subtitle(s), &arm_legend(s, extra))?;
    let bands: Vec<Vec<(f64, f64, f64)>> = (0..s.arms.len())
        .map(|i| {
            let lo = curve(s, i, |a| a.roi_p10);
            let hi = curve(s, i, |a| a.roi_p90);
            lo.iter().zip(&hi).map(|(l, h)| (l.0, l.1, h.1)).collect()
        })
        .collect();
    let (lo, hi) = bands
        .iter()
        .flatten()
        .fold((0.0f64, 0.0f64), |(a, b), p| (a.min(p.1), b.max(p.2)));
    let mut chart = plot_area(&area, x_range(axis), padded(lo, hi, 0.05), 130)?;
    mesh(
        &mut chart,
        &axis_title(axis),
        "Return on investment (net / money put in)",
        &x_fmt(axis),
        &|v| fmt_signed_pct(*v),
    )?;
    for (i, band) in bands.iter().enumerate() {
        let mut poly: Vec<(f64, f64)> = band.iter().map(|p| (p.0, p.2)).collect();
        poly.extend(band.iter().rev().map(|p| (p.0, p.1)));
        chart.draw_series(std::iter::once(Polygon::new(
            poly,
            arm_colour(i).mix(0.16).filled(),
        )))?;
    }
    hline(&mut chart, 0.0, ZERO.stroke_width(2), Some((12, 8)))?;
    base_line(&mut chart, axis)?;
    for i in 0..s.arms.len() {
        let pts = curve(s, i, |a| a.roi_p50);
        let c = arm_colour(i);
        chart.draw_series(LineSeries::new(pts.clone(), c.stroke_width(4)))?;
        chart.draw_series(pts.iter().map(|p| Circle::new(*p, 5, c.filled())))?;
    }
    Ok(())
}

/// An axis title: the label, capitalised, with its arm, e.g. `Strategic alignment of the
/// misaligned arm`.
fn axis_title(axis: &AxisInfo) -> String {
    let label = capitalise(&axis.label);
    match &axis.arm {
        Some(a) => format!("{label} of the {} arm", a.replace(['_', '-'], " ")),
        None => label,
    }
}

fn capitalise(s: &str) -> String {
    let s = s.trim_start_matches("the ");
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| {
        f.to_uppercase().collect::<String>() + c.as_str()
    })
}

/// What a heatmap shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Heat {
    PNpvPositive,
    NpvMean,
}

impl Heat {
    fn value(self, a: &crate::sweep::ArmPoint) -> Option<f64> {
        match self {
            Heat::PNpvPositive => a.p_npv_positive,
            Heat::NpvMean => a.npv_mean,
        }
    }

    /// The value at the colour scale's centre and its half-width.
    fn scale(self, s: &Sweep) -> (f64, f64) {
        match self {
            Heat::PNpvPositive => (0.5, 0.5),
            Heat::NpvMean => {
                let m = s
                    .points
                    .iter()
                    .flat_map(|p| p.arms.iter().filter_map(|a| self.value(a)))
                    .filter(|v| drawable(*v))
                    .fold(0.0f64, |m, v| m.max(v.abs()));
                (0.0, if m > 0.0 { m } else { 1.0 })
            }
        }
    }

    fn label(self, v: f64) -> String {
        match self {
            Heat::PNpvPositive => fmt_prob(v),
            Heat::NpvMean => compact_money(v),
        }
    }
}

/// The diverging colour of `v`: vermillion below the centre, white at it, blue above.
fn heat_colour(v: f64, (centre, half): (f64, f64)) -> RGBColor {
    let t = ((v - centre) / half).clamp(-1.0, 1.0);
    let (to, t) = if t < 0.0 { (LOSS, -t) } else { (GAIN, t) };
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    RGBColor(mix(255, to.0), mix(255, to.1), mix(255, to.2))
}

/// An amount in thousands or millions, e.g. `-32.3k`, `1.2M`.
fn compact_money(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// One panel per arm, the first axis across and the second up, and a colour bar below.
fn heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    s: &Sweep,
    heat: Heat,
) -> DrawResult<(), DB> {
    let title = match heat {
        Heat::PNpvPositive => {
            "Chance of breaking even, P(NPV > 0), across both changes".to_string()
        }
        Heat::NpvMean => format!("Mean net present value across both changes, {}", s.currency),
    };
    let area = frame(root, &title, &sweep_subtitle(s), &[])?;
    let (_, h) = area.dim_in_pixel();
    let (plot, bar) = area.split_vertically(h.saturating_sub(BAR_AREA));
    let n = s.arms.len().max(1);
    let (rows, cols) = if n <= 3 { (1, n) } else { (n.div_ceil(3), 3) };
    let scale = heat.scale(s);
    for (i, panel) in plot.split_evenly((rows, cols)).iter().enumerate().take(n) {
        heat_panel(panel, s, i, heat, scale)?;
    }
    colour_bar(&bar, heat, scale)
}

/// Pixel margins of a heatmap panel: left, right, top, bottom.
const PANEL_MARGIN: (i32, i32, i32, i32) = (150, 44, 56, 100);

fn heat_panel<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    s: &Sweep,
    arm: usize,
    heat: Heat,
    scale: (f64, f64),
) -> DrawResult<(), DB> {
    let (xa, ya) = (&s.axes[0], &s.axes[1]);
    let (w, h) = panel.dim_in_pixel();
    let (ml, mr, mt, mb) = PANEL_MARGIN;
    let (nx, ny) = (xa.values.len() as i32, ya.values.len() as i32);
    let cw = ((w as i32 - ml - mr) / nx.max(1)).max(1);
    let ch = ((h as i32 - mt - mb) / ny.max(1)).max(1);
    let name = s.arms.get(arm).map_or("", |a| a.name.as_str());
    panel.draw(&Text::new(
        name.to_string(),
        (ml, mt - 40),
        coloured(bold(LEGEND_SIZE), arm_colour(arm)),
    ))?;
    for i in 0..nx {
        for j in 0..ny {
            let value = s
                .points
                .get(s.index(i as usize, j as usize))
                .and_then(|p| heat.value(p.arms.get(arm)?));
            let (x0, y0) = (ml + i * cw, mt + (ny - 1 - j) * ch);
            let fill = value.map_or(GRID, |v| heat_colour(v, scale));
            panel.draw(&Rectangle::new(
                [(x0, y0), (x0 + cw, y0 + ch)],
                fill.filled(),
            ))?;
            panel.draw(&Rectangle::new(
                [(x0, y0), (x0 + cw, y0 + ch)],
                WHITE.stroke_width(1),
            ))?;
            if let Some(v) = value.filter(|_| cw >= 64 && ch >= 30) {
                let dark = ((v - scale.0) / scale.1).abs() > 0.6;
                let ink = if dark { WHITE } else { INK };
                let label = heat.label(v);
                let fit = f64::from(cw - 8) / (0.62 * label.chars().count() as f64);
                let size = NOTE_SIZE.min(f64::from(ch) * 0.6).min(fit);
                let style = coloured(font(size), ink).pos(Pos::new(HPos::Center, VPos::Center));
                panel.draw(&Text::new(label, (x0 + cw / 2, y0 + ch / 2), style))?;
            }
        }
    }
    heat_axes(panel, s, (cw, ch), (nx, ny))
}

/// Tick labels and axis names of a heatmap panel.
fn heat_axes<DB: DrawingBackend>(
    panel: &DrawingArea<DB, Shift>,
    s: &Sweep,
    (cw, ch): (i32, i32),
    (nx, ny): (i32, i32),
) -> DrawResult<(), DB> {
    let (xa, ya) = (&s.axes[0], &s.axes[1]);
    let (ml, _, mt, _) = PANEL_MARGIN;
    let every = |n: i32, cell: i32| ((70 + cell - 1) / cell.max(1)).max(1).min(n.max(1));
    let tick = muted(TICK_SIZE);
    let bottom = mt + ny * ch;
    for i in (0..nx).step_by(every(nx, cw) as usize) {
        let style = tick.clone().pos(Pos::new(HPos::Center, VPos::Top));
        panel.draw(&Text::new(
            x_fmt(xa)(&xa.values[i as usize]),
            (ml + i * cw + cw / 2, bottom + 8),
            style,
        ))?;
    }
    for j in (0..ny).step_by(every(ny, ch * 2) as usize) {
        let style = tick.clone().pos(Pos::new(HPos::Right, VPos::Center));
        panel.draw(&Text::new(
            x_fmt(ya)(&ya.values[j as usize]),
            (ml - 10, mt + (ny - 1 - j) * ch + ch / 2),
            style,
        ))?;
    }
    let desc = font(DESC_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
    panel.draw(&Text::new(
        axis_title(xa),
        (ml + nx * cw / 2, bottom + 44),
        desc,
    ))?;
    let vdesc = font(DESC_SIZE)
        .transform(FontTransform::Rotate270)
        .pos(Pos::new(HPos::Center, VPos::Top));
    panel.draw(&Text::new(
        axis_title(ya),
        (ml - 130, mt + ny * ch / 2),
        vdesc,
    ))?;
    Ok(())
}

/// A horizontal colour bar with its scale.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heat: Heat,
    (centre, half): (f64, f64),
) -> DrawResult<(), DB> {
    let (w, _) = area.dim_in_pixel();
    let (x0, x1, y0, y1) = (w as i32 / 4, 3 * w as i32 / 4, 30, 56);
    let steps = 120;
    for k in 0..steps {
        let t = -1.0 + 2.0 * (k as f64 + 0.5) / steps as f64;
        let xa = x0 + (x1 - x0) * k / steps;
        let xb = x0 + (x1 - x0) * (k + 1) / steps;
        area.draw(&Rectangle::new(
            [(xa, y0), (xb + 1, y1)],
            heat_colour(centre + t * half, (centre, half)).filled(),
        ))?;
    }
    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], AXIS.stroke_width(1)))?;
    let style = muted(TICK_SIZE).pos(Pos::new(HPos::Center, VPos::Top));
    for (k, t) in [-1.0, -0.5, 0.0, 0.5, 1.0].iter().enumerate() {
        let x = x0 + (x1 - x0) * k as i32 / 4;
        area.draw(&Text::new(
            heat.label(centre + t * half),
            (x, y1 + 8),
            style.clone(),
        ))?;
    }
    let (left, right) = match heat {
        Heat::PNpvPositive => ("loses money in most futures", "breaks even in most futures"),
        Heat::NpvMean => ("loses money on average", "makes money on average"),
    };
    let l = coloured(font(NOTE_SIZE), LOSS).pos(Pos::new(HPos::Right, VPos::Center));
    area.draw(&Text::new(left, (x0 - 16, (y0 + y1) / 2), l))?;
    let r = coloured(font(NOTE_SIZE), GAIN).pos(Pos::new(HPos::Left, VPos::Center));
    area.draw(&Text::new(right, (x1 + 16, (y0 + y1) / 2), r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diverging_scale_is_white_at_the_centre() {
        assert_eq!(heat_colour(0.5, (0.5, 0.5)), RGBColor(255, 255, 255));
        assert_eq!(heat_colour(0.0, (0.5, 0.5)), LOSS);
        assert_eq!(heat_colour(1.0, (0.5, 0.5)), GAIN);
        assert_eq!(compact_money(-32_340.0), "-32.3k");
    }
}
