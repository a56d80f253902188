//! `alignsim run`: a resolved [`RunJob`] -> engine -> statistics -> run folder (or a
//! shard folder for `alignsim merge`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;

use crate::analysis::command::{self, Explained};
use crate::console;
use crate::convergence::{self, Tracker};
use crate::engine::Model;
use crate::job::{RunJob, Shard};
use crate::output::{Manifest, Staging, sha256_hex};
use crate::run_folder::{Finished, Phases, Sink, write_run_folder};
use crate::shard;
use crate::stats::{Precision, Summary};
use crate::stream;

/// What a finished run hands back to the caller.
pub struct RunReport {
    /// The summary; `None` for a shard, which is summarised only when merged.
    pub summary: Option<Summary>,
    pub out_dir: PathBuf,
}

/// Simulates a resolved job and writes its folder.
///
/// # Errors
/// An output folder that cannot be written, or Ctrl-C (nothing is committed then).
pub fn run(job: &RunJob) -> Result<RunReport> {
    let started = Instant::now();
    let model = job.model();
    let staging = Staging::new(&job.output.dir)?;
    let summary = match &job.shard {
        Some(s) => {
            run_shard(job, &model, staging, s)?;
            None
        }
        None => Some(run_whole(job, &model, staging, started)?),
    };
    Ok(RunReport {
        summary,
        out_dir: job.output.dir.clone(),
    })
}

/// Simulates one shard's trials into a shard folder.
fn run_shard(job: &RunJob, model: &Model, staging: Staging, s: &Shard) -> Result<()> {
    let sc = &job.scenario;
    let mut sink = Sink::new(model, sc, job.sim.sketch, !job.write_trials, &staging, true);
    let range = s.range.clone();
    let progress = console::progress_bar(range.end - range.start, job.output.quiet, "simulating");
    job.pool
        .install(|| model.run_each(range.clone(), &|n| progress.inc(n), |b| sink.push(b)));
    progress.finish_and_clear();
    crate::interrupt::check()?;
    shard::write(staging, job, model, s, sink)
}

/// Simulates the whole job (until its precision target when it has one) into a run folder.
fn run_whole(job: &RunJob, model: &Model, staging: Staging, started: Instant) -> Result<Summary> {
    let sc = &job.scenario;
    // A sketched run streams its rows into the staging folder while it simulates.
    let mut sink = Sink::new(
        model,
        sc,
        job.sim.sketch,
        !job.write_trials,
        &staging,
        false,
    );
    let mut tracker = Tracker::new(model.n_arms());
    let phase = Phases::start();
    let budget = job.sim.trials;
    let progress = console::progress_bar(budget, job.output.quiet, "simulating");
    let mut done = 0;
    while done < budget {
        let add = match job.precision {
            None => budget,
            Some(_) => convergence::next_round(done, budget),
        };
        job.pool.install(|| {
            model.run_each(done..done + add, &|n| progress.inc(n), |b| {
                tracker.push(&b);
                sink.push(b);
            })
        });
        done += add;
        if job.precision.is_some_and(|x| tracker.converged(x)) {
            break;
        }
    }
    progress.finish_and_clear();
    // Stopped by Ctrl-C: aggregate nothing, commit nothing.
    crate::interrupt::check()?;
    phase.done("simulation");
    let converged = job.precision.map(|x| tracker.converged(x));
    let trace = tracker.finish();

    // A sketched run's trials.parquet is finished by its writer thread while the
    // sensitivity analysis and the charts are computed.
    let (mut summary, frames, rows) = match sink {
        Sink::Exact(acc) => {
            let (summary, frames) = acc.finish(sc)?;
            (summary, frames, stream::Pending::none())
        }
        Sink::Stream(s) => s.finish_deferred(sc)?,
    };
    phase.done("aggregation");
    summary.precision = job.precision.map(|target| Precision {
        target,
        converged: converged == Some(true),
    });
    let explanation = analyses(job, model, &mut summary, done)?;
    phase.done("levers");
    let manifest = Manifest::now(
        job.path.display().to_string(),
        sha256_hex(&job.bytes),
        job.sim.seed,
        done,
        job.threads,
        started,
    );
    let finished = Finished {
        scenario: sc,
        bytes: &job.bytes,
        model,
        summary,
        frames,
        trace,
        manifest,
        write_trials: job.write_trials && !job.sim.sketch,
        trials_format: job.trials_format,
        rows,
        pair: job.pair.clone(),
        explanation,
    };
    write_run_folder(staging, finished, job.output.charts)
}

/// The analyses of the run's first trials: the levers, into `summary`, and, when the job
/// asks for one (`--explain`, `[report] explain = true`), the explanation of its gap.
fn analyses(
    job: &RunJob,
    model: &Model,
    summary: &mut Summary,
    done: u64,
) -> Result<Option<Explained>> {
    (summary.levers, summary.levers_trials) = job
        .pool
        .install(|| crate::analysis::levers::of_run(model, job.levers.min(done)))?;
    if !job.explain {
        return Ok(None);
    }
    let trials = command::DEFAULT_TRIALS.min(done);
    job.pool
        .install(|| command::of_run(&job.scenario, summary, job.pair.as_ref(), trials))
}
