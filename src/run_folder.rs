//! The run folder writer: where a simulation's batches go (exact rows or the streamed
//! reduction), and how a finished simulation (a run, or merged shards) becomes a complete
//! run folder: summary, per-trial and monthly results, convergence, sensitivity, manifest,
//! charts, report and workbook (with the scenario file and its logo), written into a staging folder and put in place whole.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::aggregate;
use crate::cli::{ChartFormat, TrialsFormat};
use crate::engine::Model;
use crate::output::{self, Manifest, Staging};
use crate::plot::RunData;
use crate::report;
use crate::scenario;
use crate::stats::Summary;
use crate::stream::{self, Stream, TrialsOut};

/// The per-trial results in a run folder, as Parquet and as CSV.
const TRIALS_PARQUET: &str = "trials.parquet";
const TRIALS_CSV: &str = "trials.csv";

/// Where a run's (or a shard's) batches go: the exact Polars accumulator or the streaming
/// reduction.
pub enum Sink<'m> {
    /// Every trial's rows and monthly paths.
    Exact(Box<aggregate::Accumulator<'m>>),
    /// The streamed reduction, its rows streamed to `trials.parquet` in `staging`.
    Stream(Box<Stream<'m>>),
}

impl<'m> Sink<'m> {
    /// The sink of a run: streamed when `sketch` (writing rows unless `no_trials`, keeping
    /// every block's moments for a shard when `keep_blocks`), exact otherwise.
    pub fn new(
        model: &'m Model,
        scenario: &scenario::Scenario,
        sketch: bool,
        no_trials: bool,
        staging: &Staging,
        keep_blocks: bool,
    ) -> Sink<'m> {
        let has_kpi = scenario.kpi.is_some();
        if !sketch {
            return Sink::Exact(Box::new(aggregate::Accumulator::new(model, has_kpi)));
        }
        let trials = if no_trials {
            TrialsOut::Skip
        } else {
            TrialsOut::File(stream::trials_path(staging.path()))
        };
        Sink::Stream(Box::new(Stream::new(model, has_kpi, trials, keep_blocks)))
    }

    pub fn push(&mut self, b: crate::engine::Batch) {
        match self {
            Sink::Exact(acc) => acc.push(&b),
            Sink::Stream(s) => s.push(b),
        }
    }
}

/// Everything a finished simulation (a run, or merged shards) writes into a run folder.
pub struct Finished<'a> {
    pub scenario: &'a scenario::Scenario,
    pub bytes: &'a [u8],
    pub model: &'a Model,
    pub summary: Summary,
    pub frames: aggregate::Frames,
    pub trace: Vec<crate::convergence::Checkpoint>,
    pub manifest: Manifest,
    /// Whether to write `frames.trials` as the per-trial file (not after `--no-trials`,
    /// nor when the rows were already streamed to `trials.parquet`).
    pub write_trials: bool,
    /// `--trials-format`: `trials.parquet`, `trials.csv` or both (a streamed
    /// `trials.parquet` is copied to `trials.csv`, and removed when only CSV is asked for).
    pub trials_format: TrialsFormat,
    /// The streamed `trials.parquet`, if its writer may still be at work.
    pub rows: stream::Pending,
    /// `--pair`: the arms the paired chart compares, already checked.
    pub pair: Option<(String, String)>,
    /// The explanation of the gap between two arms (`run --explain`), written as
    /// `explain.json` and shown in the report.
    pub explanation: Option<crate::analysis::explained::Explained>,
}

/// Completes a run folder in `staging` and puts it in place: summary, per-trial and monthly
/// results, convergence, sensitivity, manifest, charts, report and workbook.
pub fn write_run_folder(staging: Staging, f: Finished, charts: ChartFormat) -> Result<Summary> {
    let Finished {
        scenario,
        bytes,
        model,
        summary,
        mut frames,
        trace,
        manifest,
        write_trials,
        trials_format,
        rows,
        pair,
        explanation,
    } = f;
    let dir = staging.path();
    let phase = Phases::start();
    let written = (|| -> Result<()> {
        output::write_json(&dir.join("summary.json"), &summary)?;
        output::write_summary_csv(&dir.join("summary.csv"), &summary)?;
        if write_trials {
            if trials_format.parquet() {
                output::write_parquet(&dir.join(TRIALS_PARQUET), &mut frames.trials)?;
            }
            if trials_format.csv() {
                output::write_csv(&dir.join(TRIALS_CSV), &mut frames.trials)?;
            }
            phase.done("per-trial results");
        }
        output::write_parquet(&dir.join("monthly.parquet"), &mut frames.monthly)?;
        output::write_json(&dir.join("convergence.json"), &trace)?;
        output::write_json(&dir.join("manifest.json"), &manifest)?;
        if let Some(e) = &explanation {
            output::write_json(&dir.join(crate::analysis::explained::FILE), e)?;
        }
        // The sensitivity analysis and the charts that do not need it, side by side; then
        // the sensitivity charts and the report.
        let (sensitivity, drawn) = rayon::join(
            || -> Result<crate::sensitivity::Sensitivity> {
                let sensitivity = crate::sensitivity::of_run(scenario, model, &frames.trials)?;
                output::write_json(&dir.join(crate::sensitivity::JSON_FILE), &sensitivity)?;
                Ok(sensitivity)
            },
            || {
                draw_report(
                    dir,
                    bytes,
                    &summary,
                    &frames,
                    &trace,
                    scenario,
                    manifest,
                    charts,
                    (pair, explanation),
                )
            },
        );
        let sensitivity = sensitivity?;
        let (data, svgs) = drawn?;
        report::finish_into(dir, &data, &svgs, Some(&sensitivity), charts.formats())?;
        crate::xlsx::write_run(dir, &data)?;
        phase.done("sensitivity, charts, report and workbook");
        Ok(())
    })();
    // The streamed trials.parquet is waited for even after a failure above, and its error
    // comes first: a full disk, say, shows there before it breaks a later file.
    rows.join()?;
    written?;
    phase.done("trials.parquet, last row groups");
    if !write_trials {
        streamed_as(dir, trials_format)?;
    }
    staging.commit()?;
    Ok(summary)
}

/// `trials.parquet` of a streamed run (or a merge of streamed shards), if it has one, in
/// the format asked for: copied to `trials.csv` a slice at a time, and removed when only
/// CSV is wanted.
fn streamed_as(dir: &Path, format: TrialsFormat) -> Result<()> {
    let parquet = dir.join(TRIALS_PARQUET);
    if !parquet.exists() {
        return Ok(());
    }
    if format.csv() {
        output::parquet_to_csv(&parquet, &dir.join(TRIALS_CSV))?;
    }
    if !format.parquet() {
        std::fs::remove_file(&parquet)
            .with_context(|| format!("cannot remove {}", parquet.display()))?;
    }
    Ok(())
}

/// Keeps the scenario file and its logo in the run folder (so `alignsim report` can list
/// the assumptions and show the logo later) and draws the charts that do not need the
/// sensitivity analysis, the paired chart of the arms `pair` when given, and the
/// explanation's waterfall when there is one.
#[allow(clippy::too_many_arguments)]
fn draw_report(
    dir: &Path,
    bytes: &[u8],
    summary: &Summary,
    frames: &aggregate::Frames,
    trace: &[crate::convergence::Checkpoint],
    scenario: &scenario::Scenario,
    manifest: Manifest,
    charts: ChartFormat,
    (pair, explanation): (
        Option<(String, String)>,
        Option<crate::analysis::explained::Explained>,
    ),
) -> Result<(RunData, Vec<(crate::plot::Chart, String)>)> {
    let path = dir.join("scenario.toml");
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    if let Some(image) = scenario.byline.logo.as_ref().and_then(|l| l.image.as_ref()) {
        let path = dir.join(image.file_name());
        std::fs::write(&path, &image.bytes)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let mut data = RunData::from_frames(
        summary.clone(),
        &frames.trials,
        &frames.monthly,
        Some(scenario.clone()),
        Some(manifest),
    )?;
    data.convergence = trace.to_vec();
    data.pair = pair;
    data.explanation = explanation;
    let svgs = report::draw_main(dir, &data, charts.formats())?;
    Ok((data, svgs))
}

/// Wall time of each phase of a run, printed to stderr when `ALIGNSIM_TIMINGS` is set.
pub struct Phases {
    since: std::cell::Cell<Instant>,
    on: bool,
}

impl Phases {
    pub fn start() -> Phases {
        Phases {
            since: std::cell::Cell::new(Instant::now()),
            on: std::env::var_os("ALIGNSIM_TIMINGS").is_some(),
        }
    }

    pub fn done(&self, what: &str) {
        if self.on {
            eprintln!("{what}: {:.3} s", self.since.get().elapsed().as_secs_f64());
        }
        self.since.set(Instant::now());
    }
}
