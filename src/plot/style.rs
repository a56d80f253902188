//! The look every chart shares: palette, type sizes, the title block, the legend band
//! above the plot, the axes, and number formats (currency with thousands separators,
//! percentages). Also the small numeric helpers the charts have in common.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{DrawResult, RunData};
use crate::dist::fmt_num;
use crate::output::text::plain;

/// Arm colours, in the order the scenario lists its arms: the Okabe-Ito palette, which
/// stays distinguishable for colour-blind readers and in grey-scale print.
pub const ARM_COLOURS: [RGBColor; 6] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
];
pub const INK: RGBColor = RGBColor(0x1F, 0x23, 0x28);
pub const MUTED: RGBColor = RGBColor(0x5A, 0x61, 0x6B);
pub const GRID: RGBColor = RGBColor(0xE4, 0xE7, 0xEB);
pub const GRID_FINE: RGBColor = RGBColor(0xF3, 0xF4, 0xF6);
pub const AXIS: RGBColor = RGBColor(0x9A, 0xA0, 0xA8);
pub const ZERO: RGBColor = RGBColor(0x3A, 0x3F, 0x45);

pub const FONT: &str = "sans-serif";
pub const TITLE_SIZE: f64 = 40.0;
pub const SUBTITLE_SIZE: f64 = 25.0;
pub const DESC_SIZE: f64 = 27.0;
pub const TICK_SIZE: f64 = 24.0;
pub const LEGEND_SIZE: f64 = 24.0;
pub const NOTE_SIZE: f64 = 23.0;

/// Left and right page margin of the title block and legend, in pixels.
const PAGE_MARGIN: i32 = 44;
const HEADER_HEIGHT: i32 = 122;
const LEGEND_ROW: i32 = 38;
const SWATCH_WIDTH: i32 = 46;

/// The colour of arm number `i` (cycling past the palette's end).
pub fn arm_colour(i: usize) -> RGBColor {
    ARM_COLOURS[i % ARM_COLOURS.len()]
}

/// A darker shade of arm `i`'s colour for text on white, readable at small sizes.
pub fn arm_ink(i: usize) -> RGBColor {
    let RGBColor(r, g, b) = arm_colour(i);
    let dark = |c: u8| (f64::from(c) * 0.72).round() as u8;
    RGBColor(dark(r), dark(g), dark(b))
}

/// The colour of arm number `i` as CSS hex, e.g. `#0072b2`.
pub fn arm_colour_hex(i: usize) -> String {
    let RGBColor(r, g, b) = arm_colour(i);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// A money amount with thousands separators; whole units unless the amount is small.
pub fn fmt_money(x: f64) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    if x.abs() >= 100.0 || x.fract() == 0.0 {
        return fmt_num(x.round() + 0.0);
    }
    fmt_num((x * 100.0).round() / 100.0 + 0.0)
}

/// A share as a percentage, whole when it is close to whole, e.g. `25 %`, `12.5 %`.
pub fn fmt_pct(p: f64) -> String {
    let v = 100.0 * p;
    if (v - v.round()).abs() < 0.05 {
        format!("{:.0} %", v.round() + 0.0)
    } else {
        format!("{v:.1} %")
    }
}

/// A month count: whole, or with one decimal when the median falls between months.
pub fn fmt_month(m: f64) -> String {
    if m.fract() == 0.0 {
        format!("{m:.0}")
    } else {
        format!("{m:.1}")
    }
}

/// A signed percentage for returns, e.g. `+50 %`, `-100 %`.
pub fn fmt_signed_pct(p: f64) -> String {
    let s = fmt_pct(p);
    if p > 0.0 { format!("+{s}") } else { s }
}

/// A probability as the CLI and the report write it: whole percent, `<1 %` and `>99 %` at
/// the extremes.
pub fn fmt_prob(p: f64) -> String {
    crate::output::text::pct(Some(p))
}

/// The same style in another colour.
pub fn coloured(style: TextStyle<'static>, colour: RGBColor) -> TextStyle<'static> {
    TextStyle {
        color: colour.to_backend_color(),
        ..style
    }
}

pub fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&INK)
}

pub fn bold(size: f64) -> TextStyle<'static> {
    FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Bold).color(&INK)
}

pub fn muted(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().color(&MUTED)
}

/// What a legend entry shows next to its text.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    Line(RGBColor),
    Dashed(RGBColor),
    Dotted(RGBColor),
    Fill(RGBAColor),
    Dot(RGBColor),
    /// Not drawn: the next entry starts a new legend row.
    RowBreak,
}

/// One legend entry.
#[derive(Debug, Clone)]
pub struct LegendItem {
    pub swatch: Swatch,
    pub text: String,
}

impl LegendItem {
    pub fn new(swatch: Swatch, text: impl Into<String>) -> Self {
        Self {
            swatch,
            text: text.into(),
        }
    }

    /// Starts a new legend row.
    pub fn row_break() -> Self {
        Self::new(Swatch::RowBreak, "")
    }
}

/// The second line of every chart title: the scenario and the size of the simulation.
pub fn subtitle(data: &RunData, extra: Option<&str>) -> String {
    let s = &data.summary;
    let mut out = format!(
        "{}  \u{b7}  {} simulated futures over {} months",
        s.title,
        fmt_num(s.trials as f64),
        s.horizon_months
    );
    if let Some(e) = extra {
        out.push_str("  \u{b7}  ");
        out.push_str(e);
    }
    out
}

/// The NPV note of the subtitle, e.g. `amounts in USD, discounted at 8 % a year`.
pub fn npv_note(data: &RunData) -> String {
    format!(
        "{} discounted at {} a year",
        data.summary.currency,
        fmt_pct(data.summary.discount_rate_annual)
    )
}

/// Draws the title block and the legend band, and returns the area left for the plot.
pub fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
    legend: &[LegendItem],
) -> DrawResult<DrawingArea<DB, Shift>, DB> {
    let (w, _) = root.dim_in_pixel();
    let max_w = w as i32 - 2 * PAGE_MARGIN;
    let (title, subtitle) = (plain(title), plain(subtitle));
    let title_style = fitted(root, &title, bold(TITLE_SIZE), TITLE_SIZE, max_w)?;
    root.draw(&Text::new(
        title.to_string(),
        (PAGE_MARGIN, 26),
        title_style,
    ))?;
    let sub_style = fitted(root, &subtitle, muted(SUBTITLE_SIZE), SUBTITLE_SIZE, max_w)?;
    root.draw(&Text::new(
        subtitle.to_string(),
        (PAGE_MARGIN, 80),
        sub_style,
    ))?;
    let legend_h = draw_legend(root, legend, HEADER_HEIGHT, max_w)?;
    let (_, rest) = root.split_vertically(HEADER_HEIGHT + legend_h + 12);
    Ok(rest)
}

/// A text style shrunk until `text` fits `max_w` pixels.
fn fitted<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    style: TextStyle<'static>,
    size: f64,
    max_w: i32,
) -> DrawResult<TextStyle<'static>, DB> {
    let (tw, _) = root.estimate_text_size(text, &style)?;
    if tw as i32 <= max_w || tw == 0 {
        return Ok(style);
    }
    let scaled = (size * f64::from(max_w) / f64::from(tw)).floor().max(10.0);
    Ok(TextStyle {
        font: style.font.resize(scaled),
        ..style
    })
}

/// Lays the legend out in rows from `top`, wrapping at the page width; returns its height.
fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
    top: i32,
    max_w: i32,
) -> DrawResult<i32, DB> {
    if items.is_empty() {
        return Ok(0);
    }
    let style = font(LEGEND_SIZE).pos(Pos::new(HPos::Left, VPos::Center));
    let (mut x, mut y) = (PAGE_MARGIN, top + LEGEND_ROW / 2);
    for item in items {
        if matches!(item.swatch, Swatch::RowBreak) {
            if x > PAGE_MARGIN {
                x = PAGE_MARGIN;
                y += LEGEND_ROW;
            }
            continue;
        }
        let text = plain(&item.text);
        let (tw, _) = root.estimate_text_size(&text, &style)?;
        let item_w = SWATCH_WIDTH + 10 + tw as i32 + 36;
        if x > PAGE_MARGIN && x + item_w - 36 > PAGE_MARGIN + max_w {
            x = PAGE_MARGIN;
            y += LEGEND_ROW;
        }
        draw_swatch(root, item.swatch, x, y)?;
        root.draw(&Text::new(
            text.into_owned(),
            (x + SWATCH_WIDTH + 10, y),
            style.clone(),
        ))?;
        x += item_w;
    }
    Ok(y + LEGEND_ROW / 2 - top)
}

fn draw_swatch<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    swatch: Swatch,
    x: i32,
    y: i32,
) -> DrawResult<(), DB> {
    let line = [(x, y), (x + SWATCH_WIDTH, y)];
    match swatch {
        Swatch::Line(c) => root.draw(&PathElement::new(line, c.stroke_width(4))),
        Swatch::Dashed(c) => root.draw(&DashedPathElement::new(line, 10, 6, c.stroke_width(3))),
        Swatch::Dotted(c) => root.draw(&DashedPathElement::new(line, 4, 5, c.stroke_width(3))),
        Swatch::Fill(c) => root.draw(&Rectangle::new(
            [(x, y - 11), (x + SWATCH_WIDTH, y + 11)],
            c.filled(),
        )),
        Swatch::Dot(c) => root.draw(&Circle::new((x + SWATCH_WIDTH / 2, y), 8, c.filled())),
        Swatch::RowBreak => Ok(()),
    }
}

/// The chart type of [`plot_area`].
pub type Plot<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A cartesian chart over `x` and `y` in the plot area, with room for the axis labels.
/// A range that is not finite, too wide to draw or empty is first made drawable by
/// [`axis`], so plotters never sees one.
pub fn plot_area<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: Range<f64>,
    y: Range<f64>,
    y_label_width: u32,
) -> DrawResult<Plot<'a, DB>, DB> {
    let (x, y) = (axis(x), axis(y));
    ChartBuilder::on(area)
        .margin_left(24)
        .margin_right(56)
        .margin_top(8)
        .margin_bottom(24)
        .x_label_area_size(84)
        .y_label_area_size(y_label_width)
        .build_cartesian_2d(x, y)
}

/// Axis labels, ticks and the grid, in the shared style; a narrow plot (a panel of a
/// chart of two) gets fewer x labels, so that amounts do not run into each other.
pub fn mesh<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    x_desc: &str,
    y_desc: &str,
    x_fmt: &dyn Fn(&f64) -> String,
    y_fmt: &dyn Fn(&f64) -> String,
) -> DrawResult<(), DB> {
    let (width, _) = chart.plotting_area().dim_in_pixel();
    chart
        .configure_mesh()
        .x_desc(plain(x_desc))
        .y_desc(plain(y_desc))
        .x_label_formatter(x_fmt)
        .y_label_formatter(y_fmt)
        .x_labels(if width < 900 { 5 } else { 9 })
        .y_labels(7)
        .max_light_lines(1)
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(GRID_FINE.stroke_width(1))
        .axis_style(AXIS.stroke_width(2))
        .label_style(muted(TICK_SIZE))
        .axis_desc_style(font(DESC_SIZE))
        .set_all_tick_mark_size(6)
        .draw()
}

/// The x axis, its grid and description; no y ticks (rows carry their own labels).
pub fn bar_mesh<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    x_desc: &str,
    x_fmt: &dyn Fn(&f64) -> String,
) -> DrawResult<(), DB> {
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc(plain(x_desc))
        .x_label_formatter(x_fmt)
        .x_labels(9)
        .max_light_lines(1)
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(GRID_FINE.stroke_width(1))
        .axis_style(AXIS.stroke_width(2))
        .label_style(muted(TICK_SIZE))
        .axis_desc_style(font(DESC_SIZE))
        .set_all_tick_mark_size(6)
        .draw()
}

/// A vertical line across the whole plot at `x`.
pub fn vline<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    x: f64,
    style: ShapeStyle,
    dash: Option<(u32, u32)>,
) -> DrawResult<(), DB> {
    let y = chart.y_range();
    let pts = vec![(x, y.start), (x, y.end)];
    match dash {
        Some((on, off)) => {
            chart.draw_series(std::iter::once(DashedPathElement::new(pts, on, off, style)))?
        }
        None => chart.draw_series(std::iter::once(PathElement::new(pts, style)))?,
    };
    Ok(())
}

/// A horizontal line across the whole plot at `y`.
pub fn hline<DB: DrawingBackend>(
    chart: &mut Plot<'_, DB>,
    y: f64,
    style: ShapeStyle,
    dash: Option<(u32, u32)>,
) -> DrawResult<(), DB> {
    let x = chart.x_range();
    let pts = vec![(x.start, y), (x.end, y)];
    match dash {
        Some((on, off)) => {
            chart.draw_series(std::iter::once(DashedPathElement::new(pts, on, off, style)))?
        }
        None => chart.draw_series(std::iter::once(PathElement::new(pts, style)))?,
    };
    Ok(())
}

/// A message in the middle of the plot area when there is nothing to draw.
pub fn no_data<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    message: &str,
) -> DrawResult<(), DB> {
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        message.to_string(),
        (w as i32 / 2, h as i32 / 2),
        muted(DESC_SIZE).pos(Pos::new(HPos::Center, VPos::Center)),
    ))
}

/// The `q` quantile of sorted values, interpolating linearly between order statistics.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * q.clamp(0.0, 1.0);
    let (lo, frac) = (h.floor() as usize, h - h.floor());
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + frac * (sorted[hi] - sorted[lo]))
}

/// Largest magnitude a chart draws. Beyond it the width of a range, its padding or a
/// pixel position would overflow; such values are left out of a chart like non-finite ones.
pub const LIMIT: f64 = 1e300;

/// Largest magnitude of an axis end: room for the padding around values up to [`LIMIT`].
const AXIS_LIMIT: f64 = 1e306;

/// Whether a chart can draw `v`: finite and within [`LIMIT`].
pub fn drawable(v: f64) -> bool {
    v.is_finite() && v.abs() <= LIMIT
}

/// The smallest and the largest drawable values, `None` when there is none.
pub fn bounds(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| drawable(*v))
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((v.min(lo), v.max(hi))),
        })
}

/// `r` as a range plotters can draw: both ends drawable and `start < end`. An empty or
/// reversed range is widened as [`padded`] does; a range with an end that is not drawable
/// keeps its other end (or becomes 0 to 1).
pub fn axis(r: Range<f64>) -> Range<f64> {
    let fits = |v: f64| v.is_finite() && v.abs() <= AXIS_LIMIT;
    if fits(r.start) && fits(r.end) && r.start < r.end && fits(r.end - r.start) {
        return r;
    }
    match (drawable(r.start), drawable(r.end)) {
        (true, true) => padded(r.start, r.end, 0.0),
        (true, false) => padded(r.start, r.start, 0.0),
        (false, true) => padded(r.end, r.end, 0.0),
        (false, false) => 0.0..1.0,
    }
}

/// Drawable values, sorted ascending.
pub fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| drawable(*x)).collect();
    v.sort_by(f64::total_cmp);
    v
}

/// The range from `lo` to `hi` widened by `pad` (at most 1) of its width on each side,
/// never empty, and drawable (ends beyond [`LIMIT`] are brought to it).
pub fn padded(lo: f64, hi: f64, pad: f64) -> Range<f64> {
    let clip = |v: f64| {
        if v.is_nan() {
            0.0
        } else {
            v.clamp(-LIMIT, LIMIT)
        }
    };
    let (lo, hi) = (clip(lo), clip(hi));
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    let w = hi - lo;
    if w <= f64::EPSILON * (lo.abs() + hi.abs()).max(1.0) {
        let d = (lo.abs() * 0.1).max(1.0);
        return (lo - d)..(hi + d);
    }
    (lo - pad * w)..(hi + pad * w)
}

/// The range over the central `1 - 2 * tail` of the pooled values, widened to hold 0.
pub fn central_range(samples: &[Vec<f64>], tail: f64, with_zero: bool) -> Option<(f64, f64)> {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in samples {
        if let (Some(a), Some(b)) = (quantile(s, tail), quantile(s, 1.0 - tail)) {
            lo = lo.min(a);
            hi = hi.max(b);
        }
    }
    if !lo.is_finite() || !hi.is_finite() {
        return None;
    }
    if with_zero {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    Some((lo, hi))
}

/// A "nice" bin width (1, 2 or 5 times a power of ten) giving close to `target` bins
/// over `span`.
pub fn nice_step(span: f64, target: usize) -> f64 {
    let raw = (span / target.max(1) as f64).max(f64::MIN_POSITIVE);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .min_by(|a, b| (a / raw).ln().abs().total_cmp(&(b / raw).ln().abs()))
        .unwrap_or(raw)
}

/// Bin edges of width `step` aligned on multiples of it (so 0 is always an edge),
/// covering `lo..hi`.
pub fn bin_edges(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step).floor() as i64;
    let last = ((hi / step).ceil() as i64).max(first + 1);
    (first..=last).map(|k| k as f64 * step).collect()
}

/// The share of `values` in each bin `[edges[i], edges[i+1])`; values outside are left out.
pub fn shares(values: &[f64], edges: &[f64]) -> Vec<f64> {
    let mut counts = vec![0usize; edges.len().saturating_sub(1)];
    let (lo, hi) = (edges[0], edges[edges.len() - 1]);
    let step = (hi - lo) / counts.len().max(1) as f64;
    for &v in values {
        if v >= lo && v < hi {
            let i = (((v - lo) / step) as usize).min(counts.len() - 1);
            counts[i] += 1;
        }
    }
    let n = values.len().max(1) as f64;
    counts.into_iter().map(|c| c as f64 / n).collect()
}

/// The y-axis description of share charts.
pub fn share_axis_max(max_share: f64) -> f64 {
    (max_share * 1.12).max(0.01)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_percent_formats() {
        assert_eq!(fmt_money(-20000.0), "-20,000");
        assert_eq!(fmt_money(1234567.4), "1,234,567");
        assert_eq!(fmt_money(0.5), "0.5");
        assert_eq!(fmt_money(-0.0), "0");
        assert_eq!(fmt_pct(0.25), "25 %");
        assert_eq!(fmt_pct(0.125), "12.5 %");
        assert_eq!(fmt_signed_pct(0.5), "+50 %");
        assert_eq!(fmt_signed_pct(-1.0), "-100 %");
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile(&v, 0.5), Some(2.5));
        assert_eq!(quantile(&v, 0.0), Some(1.0));
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn bins_are_aligned_on_zero() {
        let e = bin_edges(-2.5, 7.1, 1.0);
        assert!(e.contains(&0.0));
        assert_eq!(e.first(), Some(&-3.0));
        assert_eq!(e.last(), Some(&8.0));
        assert_eq!(nice_step(1000.0, 40), 20.0);
        assert_eq!(nice_step(130_000.0, 60), 2000.0);
        let s = shares(&[0.5, 1.5, 1.6, 9.0], &[0.0, 1.0, 2.0]);
        assert_eq!(s, vec![0.25, 0.5]);
    }

    #[test]
    fn degenerate_ranges_are_widened() {
        let r = padded(5.0, 5.0, 0.05);
        assert!(r.start < 5.0 && r.end > 5.0);
    }
}
