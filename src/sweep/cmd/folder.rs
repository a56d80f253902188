//! The sweep folder writer, shared by `alignsim sweep` and `alignsim sweep-merge` (which
//! writes the folder a single sweep of every point would have written): the data files,
//! the workbook, the manifest, copies of the scenario and batch file, the charts and `report.html`, put
//! in place atomically through [`Staging`].

use std::path::Path;

use anyhow::{Context, Result};

use crate::output::{Manifest, Staging};
use crate::plot::{self, Formats};
use crate::sweep::{Sweep, page, report};

/// The files a sweep folder keeps a copy of: the base scenario and the batch file.
#[derive(Debug, Clone, Copy)]
pub struct Files<'a> {
    pub scenario: &'a [u8],
    pub batch: Option<&'a [u8]>,
}

/// Writes the sweep folder: data files, `report.xlsx`, manifest, the scenario (and batch
/// file) it came from, the charts and the report.
pub fn write(
    out_dir: &Path,
    files: Files<'_>,
    sweep: &Sweep,
    manifest: &Manifest,
    formats: Formats,
) -> Result<()> {
    let staging = Staging::new(out_dir)?;
    let dir = staging.path();
    report::write_files(dir, sweep)?;
    crate::xlsx::write_sweep(dir, sweep)?;
    crate::output::write_json(&dir.join("manifest.json"), manifest)?;
    let scenario = dir.join("scenario.toml");
    std::fs::write(&scenario, files.scenario)
        .with_context(|| format!("cannot write {}", scenario.display()))?;
    if let Some(bytes) = files.batch {
        let batch = dir.join("batch.toml");
        std::fs::write(&batch, bytes)
            .with_context(|| format!("cannot write {}", batch.display()))?;
    }
    if formats.png || formats.svg {
        plot::sweep::write_charts(&dir.join("charts"), sweep, formats)?;
    }
    let report_path = dir.join(crate::report::REPORT_FILE);
    std::fs::write(&report_path, page::render(sweep)?)
        .with_context(|| format!("cannot write {}", report_path.display()))?;
    staging.commit()
}
