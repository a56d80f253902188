//! `report.xlsx`: a run's (or a sweep's) results as an Excel workbook, for readers who work
//! in spreadsheets. Every figure is a number with a number format (currency `#,##0`, shares
//! `0.0%`), never text; header rows are frozen; the charts are native Excel charts drawn
//! from the workbook's own cells. `alignsim run` and `merge` write it beside report.html,
//! `alignsim report RUN_DIR` writes it again, and every sweep folder gets one.
//!
//! The workbook is built from the same values as the report ([`RunData`], [`Sweep`]) and
//! nothing else: its document date and its zip entries' times are fixed, so the same
//! inputs give the same bytes.

mod assumptions;
mod book;
mod charts;
mod run;
mod sweep;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::plot::RunData;

pub use sweep::write as write_sweep;

/// File name of the workbook inside a run or sweep folder.
pub const XLSX_FILE: &str = "report.xlsx";

/// Writes `report.xlsx` of a run into `dir` (a folder still being staged).
///
/// # Errors
/// When the workbook cannot be assembled or written.
pub fn write_run(dir: &Path, data: &RunData) -> Result<()> {
    let path = dir.join(XLSX_FILE);
    let bytes = run_workbook(data, &path)?;
    fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Writes `report.xlsx` of an existing run folder again from its files, under a temporary
/// name renamed into place, so a failure leaves the old workbook whole.
///
/// # Errors
/// A folder that is not a run folder, files that cannot be read or written.
pub fn rerender(run_dir: &Path) -> Result<PathBuf> {
    let data = RunData::load(run_dir)?;
    let path = run_dir.join(XLSX_FILE);
    crate::output::replace_file(run_dir, XLSX_FILE, &run_workbook(&data, &path)?, "workbook")
}

/// Writes `report.xlsx` of an existing sweep folder `dir` again from its results, the same
/// way as [`rerender`].
///
/// # Errors
/// The workbook cannot be assembled or written.
pub fn rerender_sweep(dir: &Path, sweep: &crate::sweep::Sweep) -> Result<PathBuf> {
    let path = dir.join(XLSX_FILE);
    crate::output::replace_file(dir, XLSX_FILE, &sweep::workbook(sweep, &path)?, "workbook")
}

/// The run's workbook: Summary, Assumptions, Percentiles, Risk curve, Monthly bands and
/// Channels.
fn run_workbook(data: &RunData, path: &Path) -> Result<Vec<u8>> {
    let st = book::Styles::new();
    let mut wb = book::workbook()?;
    wb.push_worksheet(run::summary_sheet(data, &st)?);
    wb.push_worksheet(assumptions::sheet(data, &st)?);
    wb.push_worksheet(run::percentiles_sheet(&data.summary, &st)?);
    wb.push_worksheet(charts::risk_sheet(data, &st)?);
    wb.push_worksheet(charts::bands_sheet(data, &st)?);
    wb.push_worksheet(run::channels_sheet(data, &st)?);
    book::bytes(wb, path)
}
