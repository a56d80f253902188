//! Which folders are alignsim's own, and so may be replaced by a new run: a folder is
//! replaced only when it carries alignsim's mark (a `manifest.json`, or a shard's, an
//! analysis's or a comparison's own JSON file, written by alignsim: parsed, not just named) and
//! holds nothing alignsim does not write there. A `charts/` folder is replaced only inside
//! such a folder and only when it holds nothing but alignsim's chart files. An empty folder
//! holds nothing to lose and may be replaced too. Anything else is refused, naming the
//! foreign file, so that a folder of the user's is never deleted.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Every file alignsim writes at the top of one of its folders: a run (and a merge), a run
/// shard (exact or sketched), a sweep, a sweep shard, a sensitivity analysis, an
/// explanation, a plan search, a comparison. A run folder may hold `explain.json` too
/// (`run --explain`).
const OWN_FILES: &[&str] = &[
    // run
    "manifest.json",
    "summary.json",
    "summary.csv",
    "trials.parquet",
    "monthly.parquet",
    "convergence.json",
    "sensitivity.json",
    "scenario.toml",
    "report.html",
    "report.pdf",
    "report.xlsx",
    "trials.csv",
    "explain.json",
    // run shard
    "shard.json",
    "paths.parquet",
    "stream.json",
    "sketches.parquet",
    "blocks.parquet",
    "head.parquet",
    // sweep and sweep shard
    "sweep.json",
    "sweep.csv",
    "sweep.parquet",
    "batch.toml",
    "sweep-shard.json",
    "points.parquet",
    // sensitivity
    "tornado.csv",
    "evpi.csv",
    "sobol.csv",
    // explain (its explain.json is listed with the run's) and plan
    "plan.json",
    "plans.csv",
    // compare
    "compare.json",
    "compare.xlsx",
];

/// The folder of chart files inside an output folder.
const CHARTS: &str = "charts";

/// Files whose alignsim provenance keys mark their folder as alignsim's.
const VERSIONED_MARKS: &[&str] = &["manifest.json", "shard.json", "sweep-shard.json"];

/// Files that mark the folders without a manifest, with the keys each must have: a
/// sensitivity analysis, an explanation, a plan search, a comparison of two runs.
const KEYED_MARKS: &[(&str, &[&str])] = &[
    (
        "sensitivity.json",
        &["scenario", "tornado", "evpi", "sentences", "notes"],
    ),
    (
        "explain.json",
        &["scenario", "levers", "attribution", "sentence"],
    ),
    (
        "plan.json",
        &["scenario", "arm", "plans", "best", "sentence"],
    ),
    (
        "compare.json",
        &["run_a", "run_b", "method", "arms", "inputs"],
    ),
];

/// Why an existing folder may not be replaced.
pub enum Refusal {
    /// It carries no mark of alignsim.
    Unmarked,
    /// It holds an entry alignsim never writes there.
    Foreign(PathBuf),
}

/// `Ok(())` when the folder `target` (which exists) may be replaced by alignsim's output.
///
/// # Errors
/// When the folder cannot be read.
pub fn check(target: &Path) -> Result<Result<(), Refusal>> {
    if is_empty(target)? {
        return Ok(Ok(()));
    }
    let charts_of_ours =
        target.file_name().is_some_and(|n| n == CHARTS) && target.parent().is_some_and(is_marked);
    if charts_of_ours {
        return Ok(foreign_chart(target)?.map_or(Ok(()), |f| Err(Refusal::Foreign(f))));
    }
    if !is_marked(target) {
        return Ok(Err(Refusal::Unmarked));
    }
    Ok(foreign_entry(target)?.map_or(Ok(()), |f| Err(Refusal::Foreign(f))))
}

fn is_empty(dir: &Path) -> Result<bool> {
    let mut entries =
        fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    Ok(entries.next().is_none())
}

/// Whether `dir` holds one of alignsim's marks, written by alignsim.
fn is_marked(dir: &Path) -> bool {
    let json = |name: &str| -> Option<serde_json::Map<String, serde_json::Value>> {
        let path = dir.join(name);
        let meta = fs::symlink_metadata(&path).ok()?;
        // A mark is a small file; anything else is not alignsim's.
        if !meta.is_file() || meta.len() > 64 << 20 {
            return None;
        }
        match serde_json::from_slice(&fs::read(&path).ok()?).ok()? {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        }
    };
    let versioned = |map: &serde_json::Map<String, serde_json::Value>| {
        ["alignsim_version", "model_version"]
            .iter()
            .all(|k| map.get(*k).is_some_and(serde_json::Value::is_string))
    };
    VERSIONED_MARKS
        .iter()
        .any(|m| json(m).is_some_and(|map| versioned(&map)))
        || KEYED_MARKS.iter().any(|(file, keys)| {
            json(file).is_some_and(|map| keys.iter().all(|k| map.contains_key(*k)))
        })
}

/// The first entry of an output folder that alignsim does not write there.
fn foreign_entry(dir: &Path) -> Result<Option<PathBuf>> {
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let name = entry.file_name();
        let kind = entry
            .file_type()
            .with_context(|| format!("cannot read {}", entry.path().display()))?;
        let ours = match name.to_str() {
            Some(n) if is_staging_name(n) => true,
            Some(CHARTS) if kind.is_dir() => match foreign_chart(&entry.path())? {
                Some(f) => return Ok(Some(f)),
                None => true,
            },
            Some(n) => kind.is_file() && OWN_FILES.contains(&n),
            None => false,
        };
        if !ours {
            return Ok(Some(entry.path()));
        }
    }
    Ok(None)
}

/// The first entry of a `charts/` folder that is not one of alignsim's chart files.
fn foreign_chart(dir: &Path) -> Result<Option<PathBuf>> {
    for entry in fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot read {}", dir.display()))?;
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        let ours = entry
            .file_name()
            .to_str()
            .is_some_and(|n| is_file && crate::plot::is_chart_file(n));
        if !ours {
            return Ok(Some(entry.path()));
        }
    }
    Ok(None)
}

/// Whether `name` is one of alignsim's hidden working names beside a file or folder it
/// writes: `.NAME.partial-PID` (being written) or `.NAME.old-PID` (moved aside).
pub fn is_staging_name(name: &str) -> bool {
    staging_parts(name).is_some()
}

/// `(NAME, PID, is_backup)` of a hidden working name (see [`is_staging_name`]).
pub fn staging_parts(name: &str) -> Option<(&str, u32, bool)> {
    let rest = name.strip_prefix('.')?;
    for (marker, backup) in [(".partial-", false), (".old-", true)] {
        if let Some((base, pid)) = rest.rsplit_once(marker)
            && !base.is_empty()
            && let Ok(pid) = pid.parse::<u32>()
        {
            return Some((base, pid, backup));
        }
    }
    None
}
