//! `alignsim compare RUN_A RUN_B`: two run folders set side by side, so that a client can
//! see what changed between two versions of the numbers (or two clients). Per arm both
//! runs have, the headline figures of each, their difference (B minus A) and whether it is
//! beyond Monte Carlo noise ([`figures`]: paired trial by trial when both runs drew the same
//! trials, independent otherwise); and which inputs differ between the two scenario files
//! ([`inputs`]). The folder written, `output/compare-A-B/` by default, holds
//! `compare.json`, `report.html` ([`page`]) and `compare.xlsx` ([`xlsx`]), written
//! atomically.

mod figures;
mod folder;
mod inputs;
mod page;
mod trials;
mod xlsx;

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde::{Deserialize, Serialize};

pub use figures::{Figure, Kind, Verdict, Z};
pub use inputs::Difference;
pub use page::text;

use crate::cli::CompareArgs;
use crate::error::UsageError;
use crate::output::{self, Staging};
use folder::Run;

/// The file that holds a comparison (and marks its folder as alignsim's).
pub const JSON_FILE: &str = "compare.json";
/// The workbook of a comparison.
pub const XLSX_FILE: &str = "compare.xlsx";

/// What `compare.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compared {
    pub run_a: RunInfo,
    pub run_b: RunInfo,
    pub currency: String,
    /// `paired` or `independent`.
    pub method: Method,
    /// Why that method, in a sentence.
    pub method_reason: String,
    /// Every arm both runs have, in run A's order.
    pub arms: Vec<ArmComparison>,
    pub only_in_a: Vec<String>,
    pub only_in_b: Vec<String>,
    /// The scenario keys whose values differ.
    pub inputs: Vec<Difference>,
    /// The run settings that differ (seed, trials, sampling, quantiles, model version).
    pub settings: Vec<Difference>,
    /// What to keep in mind when reading the figures.
    pub notes: Vec<String>,
    pub sentence: String,
}

/// One of the two runs compared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    pub dir: String,
    pub scenario: String,
    pub title: String,
    pub trials: u64,
    pub seed: u64,
    pub sampling: String,
    pub horizon_months: u32,
    /// Whether the folder has its per-trial results (`trials.parquet`).
    pub per_trial: bool,
}

/// How the standard errors of the differences were computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Paired,
    Independent,
}

/// The figures of one arm in both runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmComparison {
    pub arm: String,
    pub label: String,
    pub figures: Vec<Figure>,
}

/// Runs `alignsim compare` and writes its folder.
///
/// # Errors
/// Bad input (exit code 2) for a folder that is not a run folder, runs in different
/// currencies, or an output folder that may not be replaced; files that cannot be written.
pub fn compare(args: &CompareArgs) -> Result<(Compared, PathBuf)> {
    let out_dir = args.out.clone().unwrap_or_else(|| default_dir(args));
    output::preflight(&out_dir)?;
    output::refuse_overlap(&out_dir, &[&args.run_a, &args.run_b])?;
    let (a, b) = (folder::read(&args.run_a)?, folder::read(&args.run_b)?);
    let done = compared(&a, &b)?;
    let staging = Staging::new(&out_dir)?;
    output::write_json(&staging.path().join(JSON_FILE), &done)?;
    page::write(staging.path(), &done)?;
    xlsx::write(&staging.path().join(XLSX_FILE), &done)?;
    staging.commit()?;
    Ok((done, out_dir))
}

/// `output/compare-A-B`, after the two folders' names.
fn default_dir(args: &CompareArgs) -> PathBuf {
    let name = |p: &Path| {
        p.file_name()
            .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned())
    };
    output::default_dir(&format!(
        "compare-{}-{}",
        name(&args.run_a),
        name(&args.run_b)
    ))
}

/// The comparison of runs `a` and `b`.
fn compared(a: &Run, b: &Run) -> Result<Compared> {
    let (sa, sb) = (&a.summary, &b.summary);
    if sa.currency != sb.currency {
        return Err(UsageError(format!(
            "{} is in {} and {} in {}: amounts in different currencies cannot be compared",
            a.dir.display(),
            sa.currency,
            b.dir.display(),
            sb.currency
        ))
        .into());
    }
    let names = |s: &crate::stats::Summary| -> Vec<String> {
        s.arms.iter().map(|x| x.name.clone()).collect()
    };
    let (na, nb) = (names(sa), names(sb));
    let common: Vec<String> = na.iter().filter(|n| nb.contains(n)).cloned().collect();
    let (method, method_reason, arms) = arm_figures(a, b, &common);
    let inputs = inputs::differences(
        (&shown(&a.dir, "scenario.toml"), &a.scenario_text),
        (&shown(&b.dir, "scenario.toml"), &b.scenario_text),
    )?;
    let mut done = Compared {
        run_a: info(a),
        run_b: info(b),
        currency: sa.currency.clone(),
        method,
        method_reason,
        arms,
        only_in_a: na.iter().filter(|n| !nb.contains(n)).cloned().collect(),
        only_in_b: nb.iter().filter(|n| !na.contains(n)).cloned().collect(),
        inputs,
        settings: settings(sa, sb),
        notes: notes(sa, sb),
        sentence: String::new(),
    };
    done.sentence = page::sentence(&done);
    Ok(done)
}

fn shown(dir: &Path, file: &str) -> String {
    dir.join(file).display().to_string()
}

/// The method, why, and every common arm's figures by it.
fn arm_figures(a: &Run, b: &Run, arms: &[String]) -> (Method, String, Vec<ArmComparison>) {
    let (sa, sb) = (&a.summary, &b.summary);
    let label = |arm: &str| {
        sb.arms
            .iter()
            .find(|x| x.name == arm)
            .map_or_else(String::new, |x| x.label.clone())
    };
    let paired = pairing(a, b)
        .and_then(|(ta, tb)| trials::pair(ta, tb, arms).map_err(|e| format!("independent: {e:#}")));
    let (method, reason) = match &paired {
        Ok(_) => (
            Method::Paired,
            format!(
                "paired trial by trial: both runs used seed {}, {} trials and {} sampling, so each trial of run A and the same trial of run B share their random draws",
                sa.seed,
                crate::dist::fmt_num(sa.trials as f64),
                sa.sampling.replace('_', " ")
            ),
        ),
        Err(why) => (Method::Independent, why.clone()),
    };
    let list = arms
        .iter()
        .map(|arm| ArmComparison {
            arm: arm.clone(),
            label: label(arm),
            figures: match &paired {
                Ok(pairs) => figures::paired(arm, sa, sb, &pairs[arm]),
                Err(_) => figures::independent(arm, sa, sb),
            },
        })
        .collect();
    (method, reason, list)
}

/// Both runs' `trials.parquet` when their trials can be paired, or why not.
fn pairing<'r>(a: &'r Run, b: &'r Run) -> Result<(&'r Path, &'r Path), String> {
    let (sa, sb) = (&a.summary, &b.summary);
    let differ = |what: &str, x: String, y: String| {
        Err(format!(
            "independent: the runs have different {what} ({x} and {y}), so their trials are not the same futures"
        ))
    };
    if sa.seed != sb.seed {
        return differ("seeds", sa.seed.to_string(), sb.seed.to_string());
    }
    if sa.trials != sb.trials {
        return differ("trial counts", sa.trials.to_string(), sb.trials.to_string());
    }
    if sa.sampling != sb.sampling {
        return differ("sampling", sa.sampling.clone(), sb.sampling.clone());
    }
    let missing = |r: &Run| {
        format!(
            "independent: {} has no trials.parquet (it was run with --no-trials), so the trials cannot be paired",
            r.dir.display()
        )
    };
    let ta = a.trials.as_deref().ok_or_else(|| missing(a))?;
    let tb = b.trials.as_deref().ok_or_else(|| missing(b))?;
    Ok((ta, tb))
}

fn info(r: &Run) -> RunInfo {
    let s = &r.summary;
    RunInfo {
        dir: r.dir.display().to_string(),
        scenario: s.scenario.clone(),
        title: s.title.clone(),
        trials: s.trials,
        seed: s.seed,
        sampling: s.sampling.clone(),
        horizon_months: s.horizon_months,
        per_trial: r.trials.is_some(),
    }
}

/// The run settings that differ between two summaries.
fn settings(a: &crate::stats::Summary, b: &crate::stats::Summary) -> Vec<Difference> {
    [
        ("seed", a.seed.to_string(), b.seed.to_string()),
        ("trials", a.trials.to_string(), b.trials.to_string()),
        ("sampling", a.sampling.clone(), b.sampling.clone()),
        (
            "quantiles",
            a.quantiles.method.clone(),
            b.quantiles.method.clone(),
        ),
        (
            "model_version",
            a.model_version.clone(),
            b.model_version.clone(),
        ),
    ]
    .into_iter()
    .filter(|(_, x, y)| x != y)
    .map(|(key, x, y)| Difference {
        key: key.into(),
        a: Some(x),
        b: Some(y),
    })
    .collect()
}

/// What to keep in mind when reading the figures of two summaries.
fn notes(a: &crate::stats::Summary, b: &crate::stats::Summary) -> Vec<String> {
    let mut out = Vec::new();
    if a.horizon_months != b.horizon_months {
        out.push(format!(
            "The horizons differ ({} and {} months): NPV, ROI and P(payback within horizon) are over a different horizon in each run.",
            a.horizon_months, b.horizon_months
        ));
    }
    if a.model_version != b.model_version {
        out.push(format!(
            "The runs were simulated by different versions of the model ({} and {}).",
            a.model_version, b.model_version
        ));
    }
    if [a, b].iter().any(|s| s.sampling == "latin_hypercube") {
        out.push("A Latin hypercube run's standard errors are those of plain Monte Carlo, which overstate its noise: a verdict of \"within noise\" is cautious there.".into());
    }
    out
}
