//! Scale-out of sweeps by point: `alignsim sweep --shard K/N` simulates a contiguous slice
//! of the grid's points and writes a sweep shard folder; `alignsim sweep-merge` checks that
//! N shard folders are the N parts of one sweep and writes the sweep folder a single sweep
//! of every point would have written. Draws are keyed by (seed, trial, parameter path), so
//! a point's figures are the same whichever machine simulates it, and each point's figures
//! travel in Parquet, which keeps every bit of every number: the merged `sweep.json`,
//! `sweep.csv` and `sweep.parquet` are byte-identical to the unsharded sweep's.
//!
//! A shard folder holds `sweep-shard.json` (the job: files and their SHA-256, what is
//! varied, trials, seed, grid size, shard, versions, and the sweep's description without
//! its points), `points.parquet` (the rows of `sweep.parquet` for its points),
//! `manifest.json` (the shard's own provenance), `scenario.toml` and, for a batch file,
//! `batch.toml`. `sweep-shard.json` is sealed like a run shard's record (see
//! [`crate::shard::Record`]): `sweep-merge` refuses a shard whose points are not those its
//! index gives it, or whose record or files changed after it was written.

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::cmd::folder;
use super::{Plan, Point, Sweep, breakeven, report};
use crate::cli::{ShardSpec, SweepMergeArgs};
use crate::dist::fmt_num;
use crate::error::UsageError;
use crate::output::sha256_hex;
use crate::output::{self, Manifest, Staging};
use crate::shard::{Record, Seal, check_files, check_record, read_checked, refuse, seal};

/// What a sweep shard folder says about itself (and what marks it as one).
pub const SHARD_FILE: &str = "sweep-shard.json";
const POINTS_FILE: &str = "points.parquet";

/// The job a sweep shard belongs to, and its part of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShardInfo {
    pub alignsim_version: String,
    pub model_version: String,
    /// The file `alignsim sweep` was given (a scenario or a batch file), as given.
    pub file: String,
    pub file_sha256: String,
    /// The base scenario (the same file as `file` unless that is a batch file).
    pub scenario_file: String,
    pub scenario_sha256: String,
    /// Whether `file` is a batch file (the shard then holds `batch.toml`).
    pub batch: bool,
    /// The `--vary` arguments (none for a batch file, which says what to vary itself).
    pub vary: Vec<String>,
    /// Trials per point.
    pub trials: u64,
    pub seed: u64,
    /// Points of the whole grid, over all shards.
    pub points_total: u64,
    pub shard: ShardSpec,
    /// The points of this shard: `[first_point, end_point)`.
    pub first_point: u64,
    pub end_point: u64,
    /// The unsharded sweep folder's name under `output/`.
    pub name: String,
    /// The sweep as `sweep.json` describes it, without points and findings.
    pub sweep: Sweep,
    /// SHA-256 of every file of the shard folder but this one and `manifest.json`, and of
    /// this record's content.
    #[serde(flatten)]
    pub seal: Seal,
}

impl Record for ShardInfo {
    const FILE: &'static str = SHARD_FILE;

    fn label(&self) -> String {
        format!("sweep shard {}/{}", self.shard.index, self.shard.count)
    }

    fn seal(&self) -> &Seal {
        &self.seal
    }

    fn seal_mut(&mut self) -> &mut Seal {
        &mut self.seal
    }
}

/// What `sweep --shard K/N` wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub shard: ShardSpec,
    pub points: Range<u64>,
    pub points_total: u64,
}

impl Written {
    /// The line printed after a shard.
    pub fn text(&self, out_dir: &Path) -> String {
        let n = |x: u64| fmt_num(x as f64);
        let all = match self.points_total {
            1 => "the only point".to_string(),
            t => format!("0 to {}", n(t - 1)),
        };
        let which = match self.points.end - self.points.start {
            0 => format!(
                "no point: there are more shards than the {} points",
                n(self.points_total)
            ),
            1 if self.points_total == 1 => all,
            1 => format!("point {} of {all}", n(self.points.start)),
            _ => format!(
                "points {} to {} of {all}",
                n(self.points.start),
                n(self.points.end - 1)
            ),
        };
        format!(
            "Sweep shard {}/{} ({which}) written to {}; combine the shards with `alignsim sweep-merge`.",
            self.shard.index,
            self.shard.count,
            out_dir.display()
        )
    }
}

/// Writes one sweep shard folder atomically: its files first, then `sweep-shard.json`,
/// sealed over them.
///
/// # Errors
/// I/O errors; nothing is left half-written.
pub fn write(
    out_dir: &Path,
    plan: &Plan,
    vary: &[String],
    spec: ShardSpec,
    points: Vec<Point>,
    manifest: &Manifest,
) -> Result<Written> {
    let points_total = plan.grid().len() as u64;
    let range = spec.range(points_total);
    let (file, file_bytes) = match &plan.batch {
        Some((path, bytes)) => (path.display().to_string(), bytes.as_slice()),
        None => (
            plan.base.path.display().to_string(),
            plan.base.bytes.as_slice(),
        ),
    };
    let mut sweep = super::describe(plan);
    let mut info = ShardInfo {
        alignsim_version: env!("CARGO_PKG_VERSION").to_string(),
        model_version: crate::stats::MODEL_VERSION.to_string(),
        file,
        file_sha256: sha256_hex(file_bytes),
        scenario_file: plan.base.path.display().to_string(),
        scenario_sha256: sha256_hex(&plan.base.bytes),
        batch: plan.batch.is_some(),
        vary: vary.to_vec(),
        trials: plan.trials,
        seed: plan.seed,
        points_total,
        shard: spec,
        first_point: range.start,
        end_point: range.end,
        name: plan.name.clone(),
        sweep: sweep.clone(),
        seal: Seal::default(),
    };
    sweep.points = points;
    let mut frame = report::frame(&sweep)?;
    let staging = Staging::new(out_dir)?;
    let dir = staging.path();
    output::write_parquet(&dir.join(POINTS_FILE), &mut frame)?;
    output::write_json(&dir.join("manifest.json"), manifest)?;
    copy_in(dir, "scenario.toml", &plan.base.bytes)?;
    if let Some((_, bytes)) = &plan.batch {
        copy_in(dir, "batch.toml", bytes)?;
    }
    seal(&mut info, dir)?;
    output::write_json(&dir.join(SHARD_FILE), &info)?;
    staging.commit()?;
    Ok(Written {
        shard: spec,
        points: range,
        points_total,
    })
}

fn copy_in(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

fn usage(message: String) -> anyhow::Error {
    anyhow::Error::new(UsageError(message))
}

/// Whether `dir` is a sweep shard folder.
pub fn is_shard(dir: &Path) -> bool {
    dir.join(SHARD_FILE).is_file()
}

fn read_info(dir: &Path) -> Result<ShardInfo> {
    let path = dir.join(SHARD_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(_) if dir.join("shard.json").is_file() => {
            return Err(usage(format!(
                "{} is a shard of a run, not of a sweep: combine run shards with `alignsim merge`",
                dir.display()
            )));
        }
        Err(e) => {
            return Err(usage(format!(
                "{} is not a sweep shard folder (cannot read {}: {e}); sweep shard folders are written by `alignsim sweep --shard K/N`",
                dir.display(),
                path.display()
            )));
        }
    };
    let info: ShardInfo = serde_json::from_str(&text)
        .map_err(|e| usage(format!("{} is damaged: {e}", path.display())))?;
    let grid: usize = info.sweep.axes.iter().map(|a| a.values.len()).product();
    if !(1..=2).contains(&info.sweep.axes.len()) || grid as u64 != info.points_total {
        let problem = format_args!(
            "{SHARD_FILE} claims {} points, which do not match the values it varies",
            info.points_total
        );
        return Err(refuse(dir, &info, problem));
    }
    let spec = info.shard;
    if spec.index == 0 || spec.index > spec.count {
        let problem = "its shard number K/N is not one of 1/N to N/N";
        return Err(refuse(dir, &info, problem));
    }
    let expected = spec.range(info.points_total);
    if info.first_point != expected.start || info.end_point != expected.end {
        let problem = format_args!(
            "claims points {}..{}, but shard {} of {} of {} points is {}..{}",
            info.first_point,
            info.end_point,
            spec.index,
            spec.count,
            info.points_total,
            expected.start,
            expected.end
        );
        return Err(refuse(dir, &info, problem));
    }
    check_record(dir, &info)?;
    Ok(info)
}

/// Where two shards' jobs differ, in words; empty when they are parts of one sweep.
fn differences(a: &ShardInfo, b: &ShardInfo) -> Vec<String> {
    let mut out = Vec::new();
    let mut differ = |what: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{what} ({x} and {y})"));
        }
    };
    // Files are compared by content: the same file may sit at another path on each machine.
    if a.file_sha256 != b.file_sha256 {
        differ(
            "the swept file",
            format!("{} sha256 {:.12}", a.file, a.file_sha256),
            format!("{} sha256 {:.12}", b.file, b.file_sha256),
        );
    }
    if a.scenario_sha256 != b.scenario_sha256 {
        differ(
            "the scenario",
            format!("{} sha256 {:.12}", a.scenario_file, a.scenario_sha256),
            format!("{} sha256 {:.12}", b.scenario_file, b.scenario_sha256),
        );
    }
    differ("--vary", format!("{:?}", a.vary), format!("{:?}", b.vary));
    differ("trials", a.trials.to_string(), b.trials.to_string());
    differ("seed", a.seed.to_string(), b.seed.to_string());
    differ(
        "points",
        a.points_total.to_string(),
        b.points_total.to_string(),
    );
    differ(
        "shard count",
        a.shard.count.to_string(),
        b.shard.count.to_string(),
    );
    differ(
        "model version",
        a.model_version.clone(),
        b.model_version.clone(),
    );
    if out.is_empty() && a.sweep != b.sweep {
        out.push("the sweep they describe (its values, arms or scenario settings)".into());
    }
    out
}

/// Checks that the shards are the N parts of one sweep and returns them in shard order.
fn check_set(mut shards: Vec<(PathBuf, ShardInfo)>) -> Result<Vec<(PathBuf, ShardInfo)>> {
    shards.sort_by_key(|(_, s)| s.shard.index);
    let (first_dir, first) = &shards[0];
    for (dir, s) in &shards[1..] {
        let differ = differences(first, s);
        if !differ.is_empty() {
            return Err(usage(format!(
                "{} and {} are not shards of the same sweep: they differ in {}",
                first_dir.display(),
                dir.display(),
                differ.join(", ")
            )));
        }
    }
    let indexes: Vec<u64> = shards.iter().map(|(_, s)| s.shard.index).collect();
    crate::shard::check_complete(&indexes, first.shard.count, "sweep")?;
    Ok(shards)
}

/// A shard's points, checked against the grid its job describes.
fn read_points(dir: &Path, info: &ShardInfo) -> Result<Vec<Point>> {
    let path = dir.join(POINTS_FILE);
    let file = File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let damaged = |e: &dyn std::fmt::Display| {
        refuse(dir, info, format_args!("{POINTS_FILE} is damaged: {e}"))
    };
    let df = ParquetReader::new(file).finish().map_err(|e| damaged(&e))?;
    let points = report::points_from_frame(&df, &info.sweep).map_err(|e| damaged(&e))?;
    let sweep = &info.sweep;
    let inner = sweep.axes.get(1).map_or(1, |a| a.values.len());
    let arms: Vec<&str> = sweep.arms.iter().map(|a| a.name.as_str()).collect();
    let expected = info.first_point as usize..info.end_point as usize;
    if points.len() != expected.len() {
        let problem = format_args!(
            "{POINTS_FILE} holds {} points, but points {}..{} are {}",
            points.len(),
            expected.start,
            expected.end,
            expected.len()
        );
        return Err(refuse(dir, info, problem));
    }
    for (p, k) in points.iter().zip(expected) {
        let values: Vec<f64> = match sweep.axes.as_slice() {
            [a] => vec![a.values[k]],
            [a, b] => vec![a.values[k / inner], b.values[k % inner]],
            _ => return Err(damaged(&"a sweep varies one or two paths")),
        };
        let names: Vec<&str> = p.arms.iter().map(|a| a.arm.as_str()).collect();
        if p.point != k || p.values != values || names != arms {
            return Err(damaged(&format_args!(
                "its rows do not match point {k} of the sweep"
            )));
        }
    }
    Ok(points)
}

/// `alignsim sweep-merge`: combines sweep shard folders into one sweep folder.
///
/// # Errors
/// Usage errors (exit code 2), before anything is written, when the folders are not the N
/// untouched shards of one sweep, naming the shard and the problem; I/O errors.
pub fn merge(args: &SweepMergeArgs) -> Result<(Sweep, PathBuf)> {
    let started = Instant::now();
    let shards = args
        .shards
        .iter()
        .map(|d| Ok((d.clone(), read_info(d)?)))
        .collect::<Result<Vec<_>>>()?;
    let shards = check_set(shards)?;
    let (first_dir, first) = &shards[0];
    let out_dir = args
        .output
        .out
        .clone()
        .unwrap_or_else(|| output::default_dir(&first.name));
    let inputs: Vec<&Path> = shards.iter().map(|(d, _)| d.as_path()).collect();
    output::preflight(&out_dir)?;
    output::refuse_overlap(&out_dir, &inputs)?;
    for (dir, info) in &shards {
        check_files(dir, info)?;
    }
    let scenario = read_checked(first_dir, first, "scenario.toml")?;
    let batch = if first.batch {
        Some(read_checked(first_dir, first, "batch.toml")?)
    } else {
        None
    };
    let mut sweep = first.sweep.clone();
    sweep.points = Vec::with_capacity(first.points_total as usize);
    for (dir, info) in &shards {
        sweep.points.extend(read_points(dir, info)?);
    }
    sweep.break_even = breakeven::findings(&sweep);
    let manifest = Manifest::now(
        first.scenario_file.clone(),
        first.scenario_sha256.clone(),
        first.seed,
        first.trials,
        rayon::current_num_threads(),
        started,
    );
    let files = folder::Files {
        scenario: &scenario,
        batch: batch.as_deref(),
    };
    let formats = args.output.charts.formats();
    folder::write(&out_dir, files, &sweep, &manifest, formats)?;
    Ok((sweep, out_dir))
}
