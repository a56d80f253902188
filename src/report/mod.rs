//! `report.html`: one self-contained page (inline SVG charts and CSS, no scripts, nothing
//! fetched from the network) that a consultant can email to a client. It is written by
//! `alignsim run` next to the charts, and `alignsim report RUN_DIR` renders charts and
//! page again from the run folder's files without simulating.
//!
//! The page is built from [`RunData`] and the run's [`Sensitivity`], both handed over as
//! values; only the rerender reads them back from the folder's files. Every piece of user
//! text (titles, labels, names, units) is HTML-escaped, and the markup is well-formed XML
//! as well as HTML.
//!
//! The page opens with a one-page executive summary ([`summary`]), which a printed copy
//! shows alone on page 1; `alignsim report RUN_DIR --pdf` prints the page to `report.pdf`
//! with a local headless Chromium ([`pdf`]).
//!
//! The folders of `alignsim explain` and `alignsim plan` get a page of their own in the
//! same style ([`pages`]).

mod assumptions;
mod discoveries;
mod endings;
pub mod explanation;
mod headline;
mod html;
mod levers;
pub mod markup;
mod method;
pub mod pages;
pub mod pdf;
mod preparation;
mod summary;
mod tables;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::output::Staging;
use crate::plot::{self, Formats, RunData};
use crate::sensitivity::{self, Sensitivity};

pub use assumptions::parameter_words;
pub use html::{analysis_page, render};
pub use markup::escape;
pub use summary::PlanAdvice;

/// File name of the report inside a run folder.
pub const REPORT_FILE: &str = "report.html";
/// Folder of the chart files inside a run folder.
pub const CHARTS_DIR: &str = "charts";

/// Writes `charts/` (as `formats` asks) and `report.html`, with the run's sensitivity
/// analysis if it has one, into a run folder that is still being staged, so nothing needs
/// to be moved into place here.
pub fn write_into(
    dir: &Path,
    data: &RunData,
    sensitivity: Option<&Sensitivity>,
    formats: Formats,
) -> Result<()> {
    let svgs = draw_main(dir, data, formats)?;
    finish_into(dir, data, &svgs, sensitivity, formats)
}

/// The first part of [`write_into`]: the charts that need no sensitivity analysis, drawn as
/// SVG for the report and written to `charts/` as `formats` asks. A run draws them while
/// its sensitivity analysis is computed.
pub fn draw_main(
    dir: &Path,
    data: &RunData,
    formats: Formats,
) -> Result<Vec<(plot::Chart, String)>> {
    let svgs = plot::render_all_svg(data)?;
    if formats.png || formats.svg {
        plot::write_charts(&dir.join(CHARTS_DIR), data, &svgs, formats)?;
        explanation::write_chart(&dir.join(CHARTS_DIR), data, formats)?;
    }
    Ok(svgs)
}

/// The rest of [`write_into`], once the run's sensitivity analysis is done: its charts,
/// and `report.html` with the charts `svgs` of [`draw_main`].
pub fn finish_into(
    dir: &Path,
    data: &RunData,
    svgs: &[(plot::Chart, String)],
    sensitivity: Option<&Sensitivity>,
    formats: Formats,
) -> Result<()> {
    if let Some(s) = sensitivity
        && (formats.png || formats.svg)
    {
        sensitivity::report::write_charts(s, &dir.join(CHARTS_DIR), formats)?;
    }
    let path = dir.join(REPORT_FILE);
    fs::write(&path, render(data, svgs, sensitivity, None)?)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Renders the charts and the report of an existing run folder again, from its files
/// (the folder's `sensitivity.json` and `explain.json` included, and a `plan.json` of one
/// of its plans, which the summary then quotes). New charts are drawn into a staging folder
/// that replaces `charts/` only once complete, and the report is written under a temporary
/// name and renamed, so a failure leaves the old files whole. With neither PNG nor SVG
/// asked for, the existing charts are left alone. `pair` (`--pair A,B`) names the arms
/// of the paired chart.
///
/// # Errors
/// A folder that is not a run folder, a `pair` that does not name two of its arms (exit
/// code 2), files that cannot be read or written.
pub fn rerender(
    run_dir: &Path,
    formats: Formats,
    pair: &Option<(String, String)>,
) -> Result<PathBuf> {
    if !run_dir.is_dir() {
        anyhow::bail!("{} is not a run folder", run_dir.display());
    }
    let mut data = RunData::load(run_dir)?;
    data.pair = crate::job::check_pair(pair, data.summary.arms.iter().map(|a| a.name.as_str()))?;
    let svgs = plot::render_all_svg(&data)?;
    let sensitivity = read_sensitivity(run_dir);
    if formats.png || formats.svg {
        let staging = Staging::new(&run_dir.join(CHARTS_DIR))?;
        plot::write_charts(staging.path(), &data, &svgs, formats)?;
        explanation::write_chart(staging.path(), &data, formats)?;
        if let Some(s) = &sensitivity {
            sensitivity::report::write_charts(s, staging.path(), formats)?;
        }
        staging.commit()?;
    }
    let plan = read_plan(run_dir);
    crate::output::replace_file(
        run_dir,
        REPORT_FILE,
        render(&data, &svgs, sensitivity.as_ref(), plan.as_ref())?.as_bytes(),
        "report",
    )
}

/// The sensitivity analysis a run folder holds, read from its `sensitivity.json`. A folder
/// without one (an older run) or with an unreadable one gives none: the rest of the report
/// still renders.
fn read_sensitivity(run_dir: &Path) -> Option<Sensitivity> {
    let text = fs::read_to_string(run_dir.join(sensitivity::JSON_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The plan search a run folder holds, read from its `plan.json`; none without one or with
/// an unreadable one (the summary then advises from the levers alone).
fn read_plan(run_dir: &Path) -> Option<PlanAdvice> {
    let text = fs::read_to_string(run_dir.join(crate::analysis::plan::FILE)).ok()?;
    serde_json::from_str(&text).ok()
}
