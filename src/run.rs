//! `alignsim run`: scenario -> engine -> aggregate -> run folder.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};

use crate::aggregate::{self, Precision, Summary};
use crate::cli::{ChartFormat, QuantilesArg, RunArgs, SamplingArg};
use crate::console;
use crate::convergence::{self, Tracker};
use crate::engine::{Model, Sampling};
use crate::output::{self, Manifest, Staging};
use crate::plot::RunData;
use crate::report;
use crate::scenario::{self, LoadError, Loaded};
use crate::shard;
use crate::stream::{self, Stream, TrialsOut};

/// A command-line combination the program cannot honour: bad input, exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// What a finished run hands back to the caller.
pub struct RunReport {
    /// The summary; `None` for a shard, which is summarised only when merged.
    pub summary: Option<Summary>,
    pub out_dir: PathBuf,
}

/// Loads a scenario, turning input problems into an error `main` maps to exit code 2.
pub fn load(path: &Path) -> Result<Loaded> {
    scenario::load(path).map_err(|e| match e {
        LoadError::Input(errors) => anyhow::Error::new(errors),
        LoadError::Io(e) => e,
    })
}

pub fn run(args: &RunArgs) -> Result<RunReport> {
    let started = Instant::now();
    let Loaded {
        mut scenario,
        bytes,
    } = load(&args.scenario)?;
    if let Some(n) = args.trials {
        scenario.trials = n;
    }
    if let Some(s) = args.seed {
        scenario.seed = s;
    }
    if args.sampling == SamplingArg::Lhs && args.precision.is_some() {
        anyhow::bail!(UsageError(
            "--sampling lhs cannot be combined with --precision: Latin hypercube strata are cut for a trial count fixed in advance".into()
        ));
    }
    if args.shard.is_some() && args.precision.is_some() {
        anyhow::bail!(UsageError(
            "--shard cannot be combined with --precision: every shard must run a slice of a trial count fixed in advance".into()
        ));
    }
    let (pool, threads) = console::worker_pool(args.threads)?;
    let mut model = Model::new(&scenario);
    if args.sampling == SamplingArg::Lhs {
        model.sampling = Sampling::LatinHypercube {
            trials: scenario.trials,
        };
    }
    let mut tracker = Tracker::new(model.n_arms());
    let phase = Phases::start();

    let budget = args.precision.map_or(scenario.trials, |_| args.max_trials);
    let sketch = match args.quantiles {
        QuantilesArg::Auto => stream::auto_sketch(budget),
        QuantilesArg::Exact => false,
        QuantilesArg::Sketch => true,
    };

    if let Some(spec) = args.shard {
        let out_dir = args.out.clone().unwrap_or_else(|| {
            output::default_dir(&format!(
                "{}-shard-{}-of-{}",
                scenario.name, spec.index, spec.count
            ))
        });
        output::refuse_overlap(&out_dir, &[&args.scenario])?;
        let staging = Staging::new(&out_dir)?;
        let mut sink = Sink::new(&model, &scenario, sketch, args.no_trials, &staging, true);
        let range = if sketch {
            spec.range_aligned(scenario.trials, stream::BLOCK)
        } else {
            spec.range(scenario.trials)
        };
        let progress = console::progress_bar(range.end - range.start, args.quiet, "simulating");
        pool.install(|| model.run_each(range.clone(), &|n| progress.inc(n), |b| sink.push(b)));
        progress.finish_and_clear();
        crate::interrupt::check()?;
        shard::write(staging, &scenario, &bytes, &model, spec, range, sink)?;
        return Ok(RunReport {
            summary: None,
            out_dir,
        });
    }

    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| output::default_dir(&scenario.name));
    output::refuse_overlap(&out_dir, &[&args.scenario])?;
    // A sketched run streams its rows into the staging folder while it simulates.
    let staging = Staging::new(&out_dir)?;
    let mut sink = Sink::new(&model, &scenario, sketch, args.no_trials, &staging, false);
    let progress = console::progress_bar(budget, args.quiet, "simulating");
    let mut done = 0;
    while done < budget {
        let add = match args.precision {
            None => budget,
            Some(_) => convergence::next_round(done, budget),
        };
        pool.install(|| {
            model.run_each(done..done + add, &|n| progress.inc(n), |b| {
                tracker.push(&b);
                sink.push(b);
            })
        });
        done += add;
        if args.precision.is_some_and(|x| tracker.converged(x)) {
            break;
        }
    }
    progress.finish_and_clear();
    // Stopped by Ctrl-C: aggregate nothing, commit nothing.
    crate::interrupt::check()?;
    phase.done("simulation");
    scenario.trials = done;
    let converged = args.precision.map(|x| tracker.converged(x));
    let trace = tracker.finish();

    // A sketched run's trials.parquet is finished by its writer thread while the
    // sensitivity analysis and the charts are computed.
    let (mut summary, frames, rows) = match sink {
        Sink::Exact(acc) => {
            let (summary, frames) = acc.finish(&scenario)?;
            (summary, frames, stream::Pending::none())
        }
        Sink::Stream(s) => s.finish_deferred(&scenario)?,
    };
    phase.done("aggregation");
    summary.precision = args.precision.map(|target| Precision {
        target,
        converged: converged == Some(true),
    });
    let manifest = Manifest::now(
        args.scenario.display().to_string(),
        sha256_hex(&bytes),
        scenario.seed,
        scenario.trials,
        threads,
        started,
    );
    let finished = Finished {
        scenario: &scenario,
        bytes: &bytes,
        model: &model,
        summary,
        frames,
        trace,
        manifest,
        write_trials: !args.no_trials && !sketch,
        rows,
    };
    let summary = write_run_folder(staging, finished, args.charts)?;
    Ok(RunReport {
        summary: Some(summary),
        out_dir,
    })
}

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
    fn new(
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

    fn push(&mut self, b: crate::engine::Batch) {
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
    /// Whether to write `frames.trials` as `trials.parquet` (not after `--no-trials`, nor
    /// when the rows were already streamed there).
    pub write_trials: bool,
    /// The streamed `trials.parquet`, if its writer may still be at work.
    pub rows: stream::Pending,
}

/// Completes a run folder in `staging` and puts it in place: summary, per-trial and monthly
/// results, convergence, sensitivity, manifest, charts and report.
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
        rows,
    } = f;
    let dir = staging.path();
    let phase = Phases::start();
    let written = (|| -> Result<()> {
        output::write_json(&dir.join("summary.json"), &summary)?;
        output::write_summary_csv(&dir.join("summary.csv"), &summary)?;
        if write_trials {
            output::write_parquet(&dir.join("trials.parquet"), &mut frames.trials)?;
            phase.done("trials.parquet");
        }
        output::write_parquet(&dir.join("monthly.parquet"), &mut frames.monthly)?;
        output::write_json(&dir.join("convergence.json"), &trace)?;
        output::write_json(&dir.join("manifest.json"), &manifest)?;
        // The sensitivity analysis and the charts that do not need it, side by side; then
        // the sensitivity charts and the report.
        let (sensitivity, drawn) = rayon::join(
            || -> Result<()> {
                let sensitivity = crate::sensitivity::of_run(scenario, model, &frames.trials)?;
                output::write_json(&dir.join(crate::sensitivity::JSON_FILE), &sensitivity)
            },
            || {
                draw_report(
                    dir, bytes, &summary, &frames, &trace, scenario, manifest, charts,
                )
            },
        );
        sensitivity?;
        let (data, svgs) = drawn?;
        report::finish_into(dir, &data, &svgs, charts.formats())?;
        phase.done("sensitivity, charts and report");
        Ok(())
    })();
    // The streamed trials.parquet is waited for even after a failure above, and its error
    // comes first: a full disk, say, shows there before it breaks a later file.
    rows.join()?;
    written?;
    phase.done("trials.parquet, last row groups");
    staging.commit()?;
    Ok(summary)
}

/// Keeps the scenario file in the run folder (so `alignsim report` can list the
/// assumptions later) and draws the charts that do not need the sensitivity analysis.
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
) -> Result<(RunData, Vec<(crate::plot::Chart, String)>)> {
    let path = dir.join("scenario.toml");
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    let mut data = RunData::from_frames(
        summary.clone(),
        &frames.trials,
        &frames.monthly,
        Some(scenario.clone()),
        Some(manifest),
    )?;
    data.convergence = trace.to_vec();
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

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}
