//! Scale-out by shards: `alignsim run --shard K/N` simulates a contiguous slice of the
//! trials and writes a shard folder; `alignsim merge` combines all N shards into the run
//! folder a single run of every trial would have written. Draws are keyed by trial, sums of
//! monthly means are exact (fixed point), and the per-trial rows are concatenated in trial
//! order before the same aggregation runs, so `summary.json` is byte-identical to the
//! unsharded run's.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::aggregate::Accumulator;
use crate::cli::{MergeArgs, ShardSpec};
use crate::convergence::Tracker;
use crate::engine::{Model, Sampling};
use crate::error::UsageError;
use crate::job::{RunJob, Shard, Sim};
use crate::output::{self, Manifest, Staging, sha256_hex};
use crate::run_folder::{Finished, Sink, write_run_folder};
use crate::stats::{MODEL_VERSION, Summary};
use crate::stream::{self, Stream, TrialsOut};

const SHARD_FILE: &str = "shard.json";

/// What a shard folder says about itself.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShardInfo {
    pub alignsim_version: String,
    pub model_version: String,
    pub scenario_name: String,
    pub scenario_sha256: String,
    pub seed: u64,
    /// Trials of the whole job, over all shards.
    pub trials_total: u64,
    pub shard: ShardSpec,
    pub first_trial: u64,
    pub end_trial: u64,
    /// `monte_carlo` or `latin_hypercube`.
    pub sampling: String,
    /// Fixed-point monthly sums, as decimal strings (they exceed JSON's safe integers).
    pub adoption_sum: Vec<String>,
    pub revenue_base_sum: Vec<String>,
    pub clamped: Vec<u64>,
    /// `exact` (the shard keeps every trial's paths) or `sketch` (it keeps the streamed
    /// reduction's state, see [`crate::stream::state`]).
    #[serde(default = "exact")]
    pub quantiles: String,
}

fn exact() -> String {
    "exact".into()
}

fn sampling_name(s: Sampling) -> &'static str {
    match s {
        Sampling::MonteCarlo => "monte_carlo",
        Sampling::LatinHypercube { .. } => "latin_hypercube",
    }
}

/// Completes one shard folder of `job` in `staging` and puts it in place.
pub fn write(
    staging: Staging,
    job: &RunJob,
    model: &Model,
    shard: &Shard,
    body: Sink,
) -> Result<()> {
    let dir = staging.path().to_path_buf();
    let ((adoption, revenue, clamped), quantiles) = match &body {
        Sink::Exact(acc) => {
            let (a, r, c, _) = acc.totals();
            ((a, r, c), "exact")
        }
        Sink::Stream(s) => (s.totals(), "sketch"),
    };
    let info = ShardInfo {
        alignsim_version: env!("CARGO_PKG_VERSION").to_string(),
        model_version: MODEL_VERSION.to_string(),
        scenario_name: job.scenario.name.clone(),
        scenario_sha256: sha256_hex(&job.bytes),
        seed: model.seed,
        trials_total: job.sim.trials,
        shard: shard.spec,
        first_trial: shard.range.start,
        end_trial: shard.range.end,
        sampling: sampling_name(model.sampling).to_string(),
        adoption_sum: adoption.iter().map(i128::to_string).collect(),
        revenue_base_sum: revenue.iter().map(i128::to_string).collect(),
        clamped,
        quantiles: quantiles.into(),
    };
    output::write_json(&dir.join(SHARD_FILE), &info)?;
    let scenario_path = dir.join("scenario.toml");
    std::fs::write(&scenario_path, &job.bytes)
        .with_context(|| format!("cannot write {}", scenario_path.display()))?;
    match body {
        Sink::Exact(mut acc) => {
            let mut paths = acc.take_paths()?;
            let mut trials = acc.trials_frame()?;
            output::write_parquet(&dir.join("trials.parquet"), &mut trials)?;
            output::write_parquet(&dir.join("paths.parquet"), &mut paths)?;
        }
        Sink::Stream(s) => s.save(&dir)?,
    }
    staging.commit()
}

fn read_info(dir: &Path) -> Result<ShardInfo> {
    let path = dir.join(SHARD_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        anyhow::Error::new(UsageError(format!(
            "{} is not a shard folder (cannot read {}: {e}); shard folders are written by `alignsim run --shard K/N`",
            dir.display(),
            path.display()
        )))
    })?;
    serde_json::from_str(&text).with_context(|| format!("{} is damaged", path.display()))
}

fn read_parquet(path: &Path) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let df = ParquetReader::new(file).finish();
    Context::with_context(df, || format!("cannot read {}", path.display()))
}

/// A shard's fixed-point monthly sums, parsed from its `shard.json`.
fn totals(dir: &Path, info: &ShardInfo) -> Result<(Vec<i128>, Vec<i128>)> {
    let parse = |v: &[String]| -> Result<Vec<i128>> {
        v.iter()
            .map(|x| {
                x.parse::<i128>()
                    .with_context(|| format!("{} is damaged", dir.display()))
            })
            .collect()
    };
    Ok((parse(&info.adoption_sum)?, parse(&info.revenue_base_sum)?))
}

/// Copies the shards' `trials.parquet`, in order, into one file a row group at a time,
/// feeding the NPVs to the convergence tracker: memory stays that of one row group.
fn concat_trials(dirs: &[&Path], out: &Path, tracker: &mut Tracker) -> Result<()> {
    let mut writer = None;
    for dir in dirs {
        let path = dir.join("trials.parquet");
        let cannot_read = || format!("cannot read {}", path.display());
        let open = || File::open(&path).with_context(cannot_read);
        let rows = Context::with_context(ParquetReader::new(open()?).num_rows(), cannot_read)?;
        // Row groups of the shard; an empty first shard still gives the file its schema.
        let starts: Vec<usize> = if rows > 0 || writer.is_some() {
            (0..rows).step_by(stream::ROW_GROUP).collect()
        } else {
            vec![0]
        };
        for offset in starts {
            let len = stream::ROW_GROUP.min(rows - offset);
            let slice = ParquetReader::new(open()?).with_slice(Some((offset, len)));
            let df = Context::with_context(slice.finish(), cannot_read)?;
            tracker.replay(df.column("npv")?.f64()?.into_no_null_iter());
            stream::Writer::send(&mut writer, out, df)?;
        }
    }
    match writer {
        Some(w) => w.join(),
        None => Ok(()),
    }
}

/// Checks that the shards are the N parts of one job and returns them in shard order.
fn check_set(mut shards: Vec<(PathBuf, ShardInfo)>) -> Result<Vec<(PathBuf, ShardInfo)>> {
    let usage = |m: String| anyhow::Error::new(UsageError(m));
    shards.sort_by_key(|(_, s)| s.shard.index);
    let (first_dir, first) = shards[0].clone();
    for (dir, s) in &shards[1..] {
        let same = s.scenario_sha256 == first.scenario_sha256
            && s.seed == first.seed
            && s.trials_total == first.trials_total
            && s.shard.count == first.shard.count
            && s.sampling == first.sampling
            && s.quantiles == first.quantiles
            && s.model_version == first.model_version;
        if !same {
            return Err(usage(format!(
                "{} and {} are not shards of the same job (scenario file, seed, trials, shard count, sampling and quantiles must all match)",
                first_dir.display(),
                dir.display()
            )));
        }
    }
    let indexes: Vec<u64> = shards.iter().map(|(_, s)| s.shard.index).collect();
    check_complete(&indexes, first.shard.count, "job")?;
    Ok(shards)
}

/// Checks that the sorted shard `indexes` are exactly 1 to `n`; otherwise a usage error
/// naming the shards missing and those given twice, of the whole `what` (job, sweep).
pub fn check_complete(indexes: &[u64], n: u64, what: &str) -> Result<()> {
    if indexes.iter().copied().eq(1..=n) {
        return Ok(());
    }
    let missing: Vec<String> = (1..=n)
        .filter(|k| !indexes.contains(k))
        .map(|k| format!("{k}/{n}"))
        .collect();
    let mut twice: Vec<String> = indexes
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| format!("{}/{n}", w[0]))
        .collect();
    twice.dedup();
    let list = |v: Vec<String>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    Err(anyhow::Error::new(UsageError(format!(
        "the shards do not make up the whole {what}: missing {}; given twice {}",
        list(missing),
        list(twice)
    ))))
}

/// The file `name` of a shard folder `dir`, checked against the SHA-256 its record file
/// (`shard.json`, `sweep-shard.json`) holds for it.
pub(crate) fn read_checked(dir: &Path, name: &str, sha256: &str, record: &str) -> Result<Vec<u8>> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    if sha256_hex(&bytes) != sha256 {
        bail!(
            "{} does not match the file recorded in {}",
            path.display(),
            dir.join(record).display()
        );
    }
    Ok(bytes)
}

/// `alignsim merge`: combines shard folders into one run folder.
pub fn merge(args: &MergeArgs) -> Result<(Summary, PathBuf)> {
    let started = Instant::now();
    let shards = args
        .shards
        .iter()
        .map(|d| Ok((d.clone(), read_info(d)?)))
        .collect::<Result<Vec<_>>>()?;
    let shards = check_set(shards)?;
    let (first_dir, first) = &shards[0];
    let bytes = read_checked(
        first_dir,
        "scenario.toml",
        &first.scenario_sha256,
        SHARD_FILE,
    )?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let label = first_dir.join("scenario.toml").display().to_string();
    let scenario =
        crate::scenario::parse(&label, &first.scenario_name, &text).map_err(anyhow::Error::new)?;
    let sim = Sim {
        trials: first.trials_total,
        seed: first.seed,
        sampling: if first.sampling == "latin_hypercube" {
            Sampling::LatinHypercube {
                trials: first.trials_total,
            }
        } else {
            Sampling::MonteCarlo
        },
        sketch: first.quantiles == "sketch",
    };
    let model = sim.model(&scenario);
    let out = args
        .output
        .out
        .clone()
        .unwrap_or_else(|| output::default_dir(&scenario.name));
    let inputs: Vec<&Path> = shards.iter().map(|(d, _)| d.as_path()).collect();
    output::preflight(&out)?;
    output::refuse_overlap(&out, &inputs)?;
    let staging = Staging::new(&out)?;
    let mut tracker = Tracker::new(model.n_arms());
    let (summary, frames, write_trials) = if sim.sketch {
        let mut s = Stream::new(&model, scenario.kpi.is_some(), TrialsOut::Skip, false);
        for (dir, info) in &shards {
            let (adoption, revenue) = totals(dir, info)?;
            let n = info.end_trial - info.first_trial;
            s.absorb(dir, (&adoption, &revenue, &info.clamped, n))
                .with_context(|| format!("cannot merge {}", dir.display()))?;
        }
        // The per-trial file and the convergence trace need every shard's rows.
        if shards
            .iter()
            .all(|(d, _)| d.join("trials.parquet").exists())
        {
            let dirs: Vec<&Path> = shards.iter().map(|(d, _)| d.as_path()).collect();
            concat_trials(&dirs, &stream::trials_path(staging.path()), &mut tracker)?;
        }
        let (summary, frames) = s.finish(&scenario)?;
        (summary, frames, false)
    } else {
        let mut acc = Accumulator::new(&model, scenario.kpi.is_some());
        for (dir, info) in &shards {
            let trials = read_parquet(&dir.join("trials.parquet"))?;
            let paths = read_parquet(&dir.join("paths.parquet"))?;
            let (adoption, revenue) = totals(dir, info)?;
            let n = info.end_trial - info.first_trial;
            tracker.replay(trials.column("npv")?.f64()?.into_no_null_iter());
            acc.absorb(&trials, &paths, (&adoption, &revenue, &info.clamped, n))
                .with_context(|| format!("cannot merge {}", dir.display()))?;
        }
        let (summary, frames) = acc.finish(&scenario)?;
        (summary, frames, true)
    };
    let trace = tracker.finish();
    let manifest = Manifest::now(
        label.clone(),
        first.scenario_sha256.clone(),
        sim.seed,
        sim.trials,
        rayon::current_num_threads(),
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
        write_trials,
        rows: crate::stream::Pending::none(),
    };
    let summary = write_run_folder(staging, finished, args.output.charts)?;
    Ok((summary, out))
}
