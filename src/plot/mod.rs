//! The charts of a run, drawn with plotters into PNG files, SVG files or SVG text for the
//! report. One file per chart; this module holds what they share, so that every chart
//! looks like the others: the palette and arm colours, the embedded font, the title block,
//! a legend drawn above the plot (never over the data), axis styling and number formats.
//!
//! Charts read only [`RunData`]; they never touch the engine.

mod cashflow_fan;
mod convergence;
pub mod data;
pub mod evpi;
pub mod frontier;
pub mod levers;
mod npv_distribution;
mod paired_difference;
mod payback_curve;
pub mod roi_risk_curve;
pub mod sobol;
mod style;
pub mod sweep;
pub mod tornado;
mod value_breakdown;
pub mod waterfall;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::register_font;

pub use cashflow_fan::outer_bands;
pub use data::{ArmTrials, MonthBand, RunData};
pub use style::{arm_colour_hex, fmt_money, fmt_month, fmt_pct};

/// Size of the PNG charts, in pixels: readable on a projector.
pub const WIDTH: u32 = 1600;
pub const HEIGHT: u32 = 1000;

/// The error plotters reports for a backend.
type DrawError<DB> = DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>;
type DrawResult<T, DB> = Result<T, DrawError<DB>>;

/// Every chart a run produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    RoiRiskCurve,
    NpvDistribution,
    CashflowFan,
    PaybackCurve,
    ValueBreakdown,
    PairedDifference,
    Convergence,
    Levers,
}

impl Chart {
    pub const ALL: [Chart; 8] = [
        Chart::RoiRiskCurve,
        Chart::NpvDistribution,
        Chart::CashflowFan,
        Chart::PaybackCurve,
        Chart::ValueBreakdown,
        Chart::PairedDifference,
        Chart::Convergence,
        Chart::Levers,
    ];

    /// File name without extension, e.g. `roi_risk_curve`.
    pub fn file_stem(self) -> &'static str {
        match self {
            Chart::RoiRiskCurve => "roi_risk_curve",
            Chart::NpvDistribution => "npv_distribution",
            Chart::CashflowFan => "cashflow_fan",
            Chart::PaybackCurve => "payback_curve",
            Chart::ValueBreakdown => "value_breakdown",
            Chart::PairedDifference => "paired_difference",
            Chart::Convergence => "convergence",
            Chart::Levers => "levers",
        }
    }

    /// The chart's heading, in plain words.
    pub fn heading(self, data: &RunData) -> String {
        match self {
            Chart::RoiRiskCurve => "Chance of earning at least a given return on investment".into(),
            Chart::NpvDistribution => "Net present value: the spread of possible outcomes".into(),
            Chart::CashflowFan => "Cumulative cash flow, month by month".into(),
            Chart::PaybackCurve => "Chance the project has paid for itself by each month".into(),
            Chart::ValueBreakdown => "Where the money comes from and where it goes".into(),
            Chart::PairedDifference => paired_heading(data),
            Chart::Convergence => "How the estimate settles as trials are added".into(),
            Chart::Levers => levers::HEADING.into(),
        }
    }

    /// Whether the run has what the chart needs (the paired difference needs two arms, the
    /// levers chart the run's levers).
    pub fn available(self, data: &RunData) -> bool {
        match self {
            Chart::PairedDifference => data.arms.len() >= 2,
            Chart::Convergence => data.convergence.len() >= 2 && !data.arms.is_empty(),
            Chart::Levers => !levers::by_arm(data).is_empty(),
            _ => !data.arms.is_empty(),
        }
    }

    fn draw<DB: DrawingBackend>(
        self,
        root: &DrawingArea<DB, Shift>,
        data: &RunData,
    ) -> DrawResult<(), DB> {
        root.fill(&WHITE)?;
        match self {
            Chart::RoiRiskCurve => roi_risk_curve::draw(root, data),
            Chart::NpvDistribution => npv_distribution::draw(root, data),
            Chart::CashflowFan => cashflow_fan::draw(root, data),
            Chart::PaybackCurve => payback_curve::draw(root, data),
            Chart::ValueBreakdown => value_breakdown::draw(root, data),
            Chart::PairedDifference => paired_difference::draw(root, data),
            Chart::Convergence => convergence::draw(root, data),
            Chart::Levers => levers::draw(root, data),
        }?;
        root.present()
    }
}

/// Whether `name` is a chart file alignsim writes into a `charts/` folder: a run's, a
/// sweep's, a sensitivity analysis's, an explanation's or a plan's chart, as `.png` or
/// `.svg`.
pub fn is_chart_file(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    let sweep = [1, 2]
        .into_iter()
        .flat_map(sweep::SweepChart::for_axes)
        .map(|c| c.file_stem());
    (ext == "png" || ext == "svg")
        && Chart::ALL
            .iter()
            .map(|c| c.file_stem())
            .chain(sweep)
            .chain([tornado::FILE_STEM, evpi::FILE_STEM, sobol::FILE_STEM])
            .chain([waterfall::FILE_STEM, frontier::FILE_STEM])
            .any(|s| s == stem)
}

/// The paired chart's heading: the arms each panel compares.
fn paired_heading(data: &RunData) -> String {
    let panels = paired_difference::panels(data);
    let name = |i: usize| data.summary.arms[i].name.clone();
    match panels[..] {
        [one] => format!(
            "Net present value, {} minus {}, future by future",
            name(one.a),
            one.other(data)
        ),
        [first, ..] => format!(
            "Net present value, {} minus {} and minus doing nothing, future by future",
            name(first.a),
            first.other(data)
        ),
        [] => "Net present value, one plan minus another, future by future".to_string(),
    }
}

/// What the second title line of an analysis chart (explain's waterfall, plan's frontier)
/// names: the scenario, the futures simulated and the currency.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    pub title: &'a str,
    pub currency: &'a str,
    pub trials: u64,
}

impl About<'_> {
    /// The second title line, ending with `what`.
    fn subtitle(&self, what: &str) -> String {
        format!(
            "{}  \u{b7}  {} simulated futures  \u{b7}  {what}",
            self.title,
            crate::dist::fmt_num(self.trials as f64)
        )
    }
}

/// Which chart files to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub png: bool,
    pub svg: bool,
}

/// Registers the DejaVu Sans font shipped inside the binary as plotters' `sans-serif`,
/// once, so that no system font library is needed.
fn ensure_fonts() -> Result<()> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        let normal = register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
        let bold = register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
        normal.is_ok() && bold.is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(anyhow!("the embedded DejaVu Sans font could not be loaded"))
    }
}

/// Renders a chart as SVG text.
pub fn render_svg(chart: Chart, data: &RunData) -> Result<String> {
    crate::interrupt::check()?;
    ensure_fonts()?;
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        chart
            .draw(&root, data)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("cannot draw the {} chart", chart.file_stem()))?;
    }
    Ok(buf)
}

/// Draws a chart into a PNG file of [`WIDTH`] x [`HEIGHT`] pixels.
pub fn write_png(chart: Chart, data: &RunData, path: &Path) -> Result<()> {
    crate::interrupt::check()?;
    ensure_fonts()?;
    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    chart
        .draw(&root, data)
        .map_err(|e| anyhow!("{e}"))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Renders every chart the run has data for, as SVG text.
pub fn render_all_svg(data: &RunData) -> Result<Vec<(Chart, String)>> {
    Chart::ALL
        .into_iter()
        .filter(|c| c.available(data))
        .map(|c| Ok((c, render_svg(c, data)?)))
        .collect()
}

/// Writes one analysis chart into `dir` (created if missing) as `formats` asks: `svg` as
/// `STEM.svg`, and a PNG drawn by `png` as `STEM.png`.
pub fn write_figure(
    dir: &Path,
    stem: &str,
    formats: Formats,
    svg: &str,
    png: &dyn Fn(&Path) -> Result<()>,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    if formats.svg {
        let path = dir.join(format!("{stem}.svg"));
        std::fs::write(&path, svg).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if formats.png {
        png(&dir.join(format!("{stem}.png")))?;
    }
    Ok(())
}

/// Writes the chart files into `dir` (created if missing): the given SVG texts as `.svg`
/// files and freshly drawn `.png` files, as `formats` asks. Returns the paths written.
pub fn write_charts(
    dir: &Path,
    data: &RunData,
    svgs: &[(Chart, String)],
    formats: Formats,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    for (chart, svg) in svgs {
        if formats.svg {
            let path = dir.join(format!("{}.svg", chart.file_stem()));
            std::fs::write(&path, svg)
                .with_context(|| format!("cannot write {}", path.display()))?;
            written.push(path);
        }
        if formats.png {
            let path = dir.join(format!("{}.png", chart.file_stem()));
            write_png(*chart, data, &path)?;
            written.push(path);
        }
    }
    Ok(written)
}
