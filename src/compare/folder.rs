//! One side of a comparison: a run folder read back (its `summary.json`, its copy of the
//! scenario file and, when it has one, its `trials.parquet`). Anything that is not a run
//! folder (a missing path, a file, a sweep, a shard, an analysis folder, a folder missing
//! one of a run's files) is refused here, with what it is or what it lacks.

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::error::UsageError;
use crate::stats::Summary;

/// The run's summary.
const SUMMARY: &str = "summary.json";
/// The copy of the scenario file a run keeps.
const SCENARIO: &str = "scenario.toml";
/// The per-trial results (absent after `--no-trials`).
const TRIALS: &str = "trials.parquet";

/// Folders of other commands, told apart by a file only they write, and what they are.
const OTHER_FOLDERS: &[(&str, &str)] = &[
    ("sweep.json", "a sweep folder"),
    ("sweep-shard.json", "a shard of a sweep"),
    (
        "shard.json",
        "a shard of a run (combine the shards with `alignsim merge` first)",
    ),
    (
        "stream.json",
        "a shard of a run (combine the shards with `alignsim merge` first)",
    ),
    ("explain.json", "the folder of `alignsim explain`"),
    ("plan.json", "the folder of `alignsim plan`"),
];

/// A run folder, read.
pub struct Run {
    pub dir: PathBuf,
    pub summary: Summary,
    /// The scenario file as the run read it.
    pub scenario_text: String,
    /// `trials.parquet`, when the run wrote one.
    pub trials: Option<PathBuf>,
}

/// Reads the run folder `dir`.
///
/// # Errors
/// Bad input (exit code 2) naming the folder: not there, not a folder, another command's
/// folder, or without `summary.json` or `scenario.toml`; a summary that cannot be read.
pub fn read(dir: &Path) -> Result<Run> {
    let shown = dir.display();
    if !dir.exists() {
        return Err(usage(format!(
            "{shown} does not exist: compare takes two run folders written by `alignsim run` (or `alignsim merge`)"
        )));
    }
    if !dir.is_dir() {
        return Err(usage(format!(
            "{shown} is a file: compare takes two run folders written by `alignsim run` (or `alignsim merge`)"
        )));
    }
    if let Some((_, what)) = OTHER_FOLDERS.iter().find(|(f, _)| dir.join(f).is_file()) {
        return Err(usage(format!(
            "{shown} is {what}: compare takes run folders, written by `alignsim run` (or `alignsim merge`); to compare points of a sweep, run each point's scenario"
        )));
    }
    let summary = read_summary(dir)?;
    let scenario_path = dir.join(SCENARIO);
    let scenario_text = std::fs::read_to_string(&scenario_path).map_err(|e| {
        usage(format!("{shown} is not a complete run folder: cannot read its {SCENARIO} ({e}), the copy of the scenario that the inputs are compared on"))
    })?;
    let trials = Some(dir.join(TRIALS)).filter(|p| p.is_file());
    Ok(Run {
        dir: dir.to_path_buf(),
        summary,
        scenario_text,
        trials,
    })
}

fn read_summary(dir: &Path) -> Result<Summary> {
    let path = dir.join(SUMMARY);
    let shown = dir.display();
    if !path.is_file() {
        let what = if dir.join("sensitivity.json").is_file() {
            " (it looks like the folder of `alignsim sensitivity`)"
        } else {
            ""
        };
        return Err(usage(format!(
            "{shown} is not a run folder: it has no {SUMMARY}{what}; compare takes two run folders written by `alignsim run` (or `alignsim merge`)"
        )));
    }
    let text = std::fs::read_to_string(&path)
        .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        usage(format!(
            "{} is not a run summary written by alignsim: {e}",
            path.display()
        ))
    })
}

fn usage(message: String) -> anyhow::Error {
    UsageError(message).into()
}
