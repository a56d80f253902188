//! Scale-out by shards: `alignsim run --shard K/N` simulates a contiguous slice of the
//! trials and writes a shard folder; `alignsim merge` combines all N shards into the run
//! folder a single run of every trial would have written. Draws are keyed by trial, sums of
//! monthly means are exact (fixed point), and the per-trial rows are concatenated in trial
//! order before the same aggregation runs, so `summary.json` is byte-identical to the
//! unsharded run's.
//!
//! A shard set must prove it is the whole, untouched job before anything is merged: each
//! shard's trials are exactly those its index, count and the total imply (so the shards
//! tile the job without gap or overlap), every data file holds the rows those trials make,
//! and every file and the record's own content match the SHA-256 recorded when the shard
//! was written (see [`Record`], shared with the sweep shards of [`crate::sweep::shard`]).

use std::collections::BTreeMap;
use std::fmt::Display;
use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use polars::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::aggregate::{Accumulator, Frames};
use crate::cli::{MergeArgs, ShardSpec};
use crate::convergence::Tracker;
use crate::engine::{Model, Sampling};
use crate::error::UsageError;
use crate::job::{RunJob, Shard, Sim};
use crate::output::{self, Manifest, Staging, sha256_hex};
use crate::run_folder::{Finished, Sink, write_run_folder};
use crate::scenario::Scenario;
use crate::stats::sketched::BLOCK;
use crate::stats::{MODEL_VERSION, Summary, Target};
use crate::stream::{self, HEAD_TRIALS, Stream, TrialsOut};

const SHARD_FILE: &str = "shard.json";
const SCENARIO_FILE: &str = "scenario.toml";
const TRIALS_FILE: &str = "trials.parquet";
const PATHS_FILE: &str = "paths.parquet";
const HEAD_FILE: &str = "head.parquet";
const BLOCK_FILE: &str = "blocks.parquet";
/// Files of a shard folder that are provenance, not results, and so are not sealed (a
/// sweep shard's `manifest.json` holds timings).
const UNSEALED: &[&str] = &["manifest.json"];

/// A shard's record file (`shard.json`, `sweep-shard.json`): what the shard says about
/// itself, sealed when the shard is written with the SHA-256 of every other file of its
/// folder but [`UNSEALED`] ones (`files`) and of its own content (`record_sha256`, over the
/// canonical JSON of the record without that field: compact, keys in a fixed order).
pub(crate) trait Record: Serialize {
    /// The record file's name.
    const FILE: &'static str;
    /// How messages name the shard, such as `shard 2/3`.
    fn label(&self) -> String;
    fn seal(&self) -> &Seal;
    fn seal_mut(&mut self) -> &mut Seal;
}

/// The seal of a shard record, flattened into it (its fields stand beside the record's
/// own in the JSON file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Seal {
    /// SHA-256 of every sealed file of the folder, by name.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// SHA-256 of the record's content, see [`content_sha256`].
    #[serde(default)]
    pub record_sha256: String,
}

/// Seals `record` once every other file of its shard folder `dir` is written.
pub(crate) fn seal<R: Record>(record: &mut R, dir: &Path) -> Result<()> {
    record.seal_mut().files = seal_files::<R>(dir)?;
    record.seal_mut().record_sha256 = content_sha256(record)?;
    Ok(())
}

/// SHA-256 of `record`'s canonical JSON without its `record_sha256` field.
pub(crate) fn content_sha256<R: Record>(record: &R) -> Result<String> {
    let mut value = serde_json::to_value(record).context("cannot serialise a shard record")?;
    if let Some(fields) = value.as_object_mut() {
        fields.remove("record_sha256");
    }
    Ok(sha256_hex(value.to_string().as_bytes()))
}

/// SHA-256 of every file of the shard folder `dir` a record of kind `R` seals, by name.
pub(crate) fn seal_files<R: Record>(dir: &Path) -> Result<BTreeMap<String, String>> {
    sealed_names::<R>(dir)?
        .into_iter()
        .map(|name| {
            let sha256 = file_sha256(&dir.join(&name))?;
            Ok((name, sha256))
        })
        .collect()
}

/// The names in `dir` but the record file and [`UNSEALED`] ones, sorted.
fn sealed_names<R: Record>(dir: &Path) -> Result<Vec<String>> {
    let cannot = || format!("cannot read {}", dir.display());
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(cannot)? {
        let name = entry.with_context(cannot)?.file_name();
        let name = name.to_string_lossy();
        if name != R::FILE && !UNSEALED.contains(&name.as_ref()) {
            names.push(name.into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// SHA-256 of the file at `path`, read in chunks (data files may be large).
fn file_sha256(path: &Path) -> Result<String> {
    let cannot = || format!("cannot read {}", path.display());
    let mut file = File::open(path).with_context(cannot)?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e).with_context(cannot),
        }
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// A usage error about the shard `record` of the folder `dir`: `shard 2/3 (dir): problem`.
pub(crate) fn refuse<R: Record>(dir: &Path, record: &R, problem: impl Display) -> anyhow::Error {
    anyhow::Error::new(UsageError(format!(
        "{} ({}): {problem}",
        record.label(),
        dir.display()
    )))
}

fn changed<R: Record>(dir: &Path, record: &R, name: &str) -> anyhow::Error {
    refuse(
        dir,
        record,
        format_args!(
            "{name} was changed after the shard was written (it does not match the file recorded in {})",
            R::FILE
        ),
    )
}

/// Checks that `record`, read from the folder `dir`, is as it was when the shard was written.
pub(crate) fn check_record<R: Record>(dir: &Path, record: &R) -> Result<()> {
    if content_sha256(record)? != record.seal().record_sha256 {
        return Err(refuse(
            dir,
            record,
            format_args!(
                "{} was changed after the shard was written (or was written by an alignsim that did not seal it: write the shard again)",
                R::FILE
            ),
        ));
    }
    Ok(())
}

/// Checks that every file of the shard folder `dir` is as it was when the shard was
/// written: none added, removed or changed since `record` sealed them.
pub(crate) fn check_files<R: Record>(dir: &Path, record: &R) -> Result<()> {
    let names = sealed_names::<R>(dir)?;
    if let Some(name) = names.iter().find(|n| !record.seal().files.contains_key(*n)) {
        let problem = format_args!("it holds {name}, which the shard did not write");
        return Err(refuse(dir, record, problem));
    }
    for (name, sha256) in &record.seal().files {
        if !names.contains(name) {
            let problem = format_args!("{name} is missing");
            return Err(refuse(dir, record, problem));
        }
        if file_sha256(&dir.join(name))? != *sha256 {
            return Err(changed(dir, record, name));
        }
    }
    Ok(())
}

/// The file `name` of the shard folder `dir`, checked against the SHA-256 `record` holds
/// for it as it is read, so that what was checked is what is used.
pub(crate) fn read_checked<R: Record>(dir: &Path, record: &R, name: &str) -> Result<Vec<u8>> {
    let path = dir.join(name);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    if record.seal().files.get(name) != Some(&sha256_hex(&bytes)) {
        return Err(changed(dir, record, name));
    }
    Ok(bytes)
}

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
    /// The job's targets, normalised: the scenario's and the run's `--target`s, which the
    /// merge counts without being told them again. Absent without targets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// SHA-256 of every other file of the shard folder and of this record's content.
    #[serde(flatten)]
    pub seal: Seal,
}

impl Record for ShardInfo {
    const FILE: &'static str = SHARD_FILE;

    fn label(&self) -> String {
        format!("shard {}/{}", self.shard.index, self.shard.count)
    }

    fn seal(&self) -> &Seal {
        &self.seal
    }

    fn seal_mut(&mut self) -> &mut Seal {
        &mut self.seal
    }
}

impl ShardInfo {
    fn sketched(&self) -> bool {
        self.quantiles == "sketch"
    }

    /// The trials the shard says it holds.
    fn trials(&self) -> Range<u64> {
        self.first_trial..self.end_trial
    }

    /// The trials its index, count and the total give it: cut at blocks for a sketched
    /// shard, as [`RunJob::resolve`] cuts them.
    fn expected_trials(&self) -> Range<u64> {
        if self.sketched() {
            self.shard.range_aligned(self.trials_total, BLOCK)
        } else {
            self.shard.range(self.trials_total)
        }
    }

    /// The targets the shards' job counted; `dir` is the shard's folder.
    fn targets(&self, dir: &Path) -> Result<Vec<Target>> {
        self.targets
            .iter()
            .map(|e| Target::parse(e))
            .collect::<Result<_, _>>()
            .map_err(|e| {
                refuse(
                    dir,
                    self,
                    format!("a target it records cannot be read: {e}"),
                )
            })
    }

    /// The simulation the shards' job ran.
    fn sim(&self) -> Sim {
        Sim {
            trials: self.trials_total,
            seed: self.seed,
            sampling: if self.sampling == "latin_hypercube" {
                Sampling::LatinHypercube {
                    trials: self.trials_total,
                }
            } else {
                Sampling::MonteCarlo
            },
            sketch: self.sketched(),
        }
    }
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

/// Completes one shard folder of `job` in `staging` and puts it in place: the data files
/// first, then `shard.json`, sealed over them.
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
    let scenario_path = dir.join(SCENARIO_FILE);
    std::fs::write(&scenario_path, &job.bytes)
        .with_context(|| format!("cannot write {}", scenario_path.display()))?;
    match body {
        Sink::Exact(mut acc) => {
            let mut paths = acc.take_paths()?;
            let mut trials = acc.trials_frame()?;
            output::write_parquet(&dir.join(TRIALS_FILE), &mut trials)?;
            output::write_parquet(&dir.join(PATHS_FILE), &mut paths)?;
        }
        Sink::Stream(s) => s.save(&dir)?,
    }
    let mut info = ShardInfo {
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
        targets: model.targets.iter().map(|t| t.expr.clone()).collect(),
        seal: Seal::default(),
    };
    seal(&mut info, &dir)?;
    output::write_json(&dir.join(SHARD_FILE), &info)?;
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
    serde_json::from_str(&text)
        .map_err(|e| anyhow::Error::new(UsageError(format!("{} is damaged: {e}", path.display()))))
}

/// Reads the record of the shard folder `dir` and checks it: its trials are those its
/// index, count and the total give it, and it is unchanged (see [`check_record`]).
fn read_shard(dir: &Path) -> Result<(PathBuf, ShardInfo)> {
    let info = read_info(dir)?;
    let spec = info.shard;
    if spec.index == 0 || spec.index > spec.count {
        let problem = "its shard number K/N is not one of 1/N to N/N";
        return Err(refuse(dir, &info, problem));
    }
    let (got, expected) = (info.trials(), info.expected_trials());
    if got != expected {
        let problem = format_args!(
            "claims trials {}..{}, but shard {} of {} of {} trials is {}..{}",
            got.start,
            got.end,
            spec.index,
            spec.count,
            info.trials_total,
            expected.start,
            expected.end
        );
        return Err(refuse(dir, &info, problem));
    }
    check_record(dir, &info)?;
    Ok((dir.to_path_buf(), info))
}

/// Checks that every data file of the shard in `dir` holds the rows its trials make with
/// `n_arms` arms: a row per trial and arm, per block of [`BLOCK`] trials for the blocks'
/// moments, per trial and arm among the run's first [`HEAD_TRIALS`] for the head.
fn check_rows(dir: &Path, info: &ShardInfo, n_arms: u64) -> Result<()> {
    let t = info.trials();
    let per_trial = (t.end - t.start) * n_arms;
    let rows = format!("trials {}..{} of {n_arms} arms make", t.start, t.end);
    let mut expected = Vec::new();
    if info.sketched() {
        let blocks = if t.is_empty() {
            0
        } else {
            (t.end - 1) / BLOCK - t.start / BLOCK + 1
        };
        let head = t.end.min(HEAD_TRIALS).saturating_sub(t.start) * n_arms;
        let first = format!("{rows}, among the run's first {HEAD_TRIALS} trials,");
        let of_blocks = format!("trials {}..{} in blocks of {BLOCK} make", t.start, t.end);
        expected.push((HEAD_FILE, head, first));
        expected.push((BLOCK_FILE, blocks, of_blocks));
        if info.seal.files.contains_key(TRIALS_FILE) {
            expected.push((TRIALS_FILE, per_trial, rows));
        }
    } else {
        expected.push((TRIALS_FILE, per_trial, rows.clone()));
        expected.push((PATHS_FILE, per_trial, rows));
    }
    for (name, want, why) in expected {
        if !info.seal.files.contains_key(name) {
            return Err(refuse(dir, info, format_args!("{name} is missing")));
        }
        let got = num_rows(&dir.join(name))?;
        if got != want {
            let problem = format_args!("{name} holds {got} rows, but {why} {want}");
            return Err(refuse(dir, info, problem));
        }
    }
    Ok(())
}

fn num_rows(path: &Path) -> Result<u64> {
    let cannot_read = || format!("cannot read {}", path.display());
    let file = File::open(path).with_context(cannot_read)?;
    let rows = Context::with_context(ParquetReader::new(file).num_rows(), cannot_read)?;
    Ok(rows as u64)
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
            && s.targets == first.targets
            && s.model_version == first.model_version;
        if !same {
            return Err(usage(format!(
                "{} and {} are not shards of the same job (scenario file, seed, trials, shard count, sampling, quantiles and targets must all match)",
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

/// The scenario the shards ran, from the first shard's checked `scenario.toml`: the
/// scenario, its bytes and the label messages and the manifest give it.
fn load_scenario(dir: &Path, info: &ShardInfo) -> Result<(Scenario, Vec<u8>, String)> {
    let bytes = read_checked(dir, info, SCENARIO_FILE)?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let label = dir.join(SCENARIO_FILE).display().to_string();
    let scenario =
        crate::scenario::parse(&label, &info.scenario_name, &text).map_err(anyhow::Error::new)?;
    Ok((scenario, bytes, label))
}

/// Merges sketched shards: their streamed states, and their `trials.parquet` into
/// `staging` when every shard kept one.
fn merge_sketched(
    shards: &[(PathBuf, ShardInfo)],
    model: &Model,
    scenario: &Scenario,
    staging: &Staging,
    tracker: &mut Tracker,
) -> Result<(Summary, Frames)> {
    let mut s = Stream::new(model, scenario.kpi.is_some(), TrialsOut::Skip, false);
    for (dir, info) in shards {
        let (adoption, revenue) = totals(dir, info)?;
        let n = info.end_trial - info.first_trial;
        s.absorb(dir, (&adoption, &revenue, &info.clamped, n))
            .with_context(|| format!("cannot merge {}", dir.display()))?;
    }
    // The per-trial file and the convergence trace need every shard's rows.
    if shards
        .iter()
        .all(|(_, i)| i.seal.files.contains_key(TRIALS_FILE))
    {
        let dirs: Vec<&Path> = shards.iter().map(|(d, _)| d.as_path()).collect();
        concat_trials(&dirs, &stream::trials_path(staging.path()), tracker)?;
    }
    s.finish(scenario)
}

/// Merges exact shards: their per-trial rows and monthly paths, in trial order.
fn merge_exact(
    shards: &[(PathBuf, ShardInfo)],
    model: &Model,
    scenario: &Scenario,
    tracker: &mut Tracker,
) -> Result<(Summary, Frames)> {
    let mut acc = Accumulator::new(model, scenario.kpi.is_some());
    for (dir, info) in shards {
        let trials = read_parquet(&dir.join(TRIALS_FILE))?;
        let paths = read_parquet(&dir.join(PATHS_FILE))?;
        let (adoption, revenue) = totals(dir, info)?;
        let n = info.end_trial - info.first_trial;
        tracker.replay(trials.column("npv")?.f64()?.into_no_null_iter());
        acc.absorb(&trials, &paths, (&adoption, &revenue, &info.clamped, n))
            .with_context(|| format!("cannot merge {}", dir.display()))?;
    }
    acc.finish(scenario)
}

/// `alignsim merge`: combines shard folders into one run folder.
///
/// # Errors
/// Usage errors (exit code 2), before anything is written, when the folders are not the
/// N untouched shards of one job; I/O errors.
pub fn merge(args: &MergeArgs) -> Result<(Summary, PathBuf)> {
    let started = Instant::now();
    let shards = args
        .shards
        .iter()
        .map(|d| read_shard(d))
        .collect::<Result<Vec<_>>>()?;
    let shards = check_set(shards)?;
    let (first_dir, first) = &shards[0];
    let (scenario, bytes, label) = load_scenario(first_dir, first)?;
    let pair = crate::job::check_pair(
        &args.pair.pair,
        scenario.arms.iter().map(|a| a.name.as_str()),
    )?;
    let sim = first.sim();
    let mut model = sim.model(&scenario);
    model.targets = first.targets(first_dir)?;
    let out = args
        .output
        .out
        .clone()
        .unwrap_or_else(|| output::default_dir(&scenario.name));
    let inputs: Vec<&Path> = shards.iter().map(|(d, _)| d.as_path()).collect();
    output::preflight(&out)?;
    output::refuse_overlap(&out, &inputs)?;
    for (dir, info) in &shards {
        check_files(dir, info)?;
        check_rows(dir, info, model.n_arms() as u64)?;
    }
    let staging = Staging::new(&out)?;
    let mut tracker = Tracker::new(model.n_arms());
    let (mut summary, frames) = if sim.sketch {
        merge_sketched(&shards, &model, &scenario, &staging, &mut tracker)?
    } else {
        merge_exact(&shards, &model, &scenario, &mut tracker)?
    };
    (summary.levers, summary.levers_trials) =
        crate::analysis::levers::of_run(&model, args.levers.min(sim.trials))?;
    let explanation = if args.explain || (scenario.explain && !args.no_explain) {
        let trials = crate::analysis::command::DEFAULT_TRIALS.min(sim.trials);
        crate::analysis::command::of_run(&scenario, &summary, pair.as_ref(), trials)?
    } else {
        None
    };
    let manifest = Manifest::now(
        label,
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
        trace: tracker.finish(),
        manifest,
        write_trials: !sim.sketch,
        trials_format: args.trials.format(),
        rows: crate::stream::Pending::none(),
        pair,
        explanation,
    };
    let summary = write_run_folder(staging, finished, args.output.charts)?;
    Ok((summary, out))
}
