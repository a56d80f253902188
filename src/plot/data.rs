//! What the charts and the report read: the summary, the per-trial figures each chart
//! needs and the monthly bands, taken either from memory right after a run or from a run
//! folder's files (`summary.json`, `trials.parquet` or else `trials.csv`, `monthly.parquet`,
//! `scenario.toml` and the logo it names, `manifest.json`). Polars stays in here; the charts see plain vectors.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{
    CsvReadOptions, DataFrame, DataType, Expr, IntoLazy, ParquetReader, SerReader,
    SortMultipleOptions, col, lit,
};

use crate::dist::Dist;
use crate::output::Manifest;
use crate::scenario::{self, Image, Labels, Scenario, Sym};
use crate::stats::Summary;

/// The per-trial figures of one arm, in trial order.
#[derive(Debug, Clone, Default)]
pub struct ArmTrials {
    pub name: String,
    /// NPV of every trial, indexed like every other arm's (same trials, same order).
    pub npv: Vec<f64>,
    /// ROI of the trials with a non-zero investment, in trial order.
    pub roi: Vec<f64>,
    /// First month the cumulative cash flow reached zero; `None` if never.
    pub payback: Vec<Option<u32>>,
    /// First live month `G` of every trial.
    pub go_live: Vec<u32>,
}

impl ArmTrials {
    /// The median first live month (lower median, a month that occurred).
    pub fn median_go_live(&self) -> Option<u32> {
        let mut g = self.go_live.clone();
        g.sort_unstable();
        g.get(g.len().saturating_sub(1) / 2).copied()
    }
}

/// Percentile bands of the cumulative cash flow in one month (MODEL.md section 6).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthBand {
    pub month: u32,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    pub adoption_mean: f64,
}

/// Everything a chart or the report may read about one run.
#[derive(Debug, Clone)]
pub struct RunData {
    pub summary: Summary,
    /// The scenario as simulated, when the run folder keeps a readable `scenario.toml`.
    pub scenario: Option<Scenario>,
    pub manifest: Option<Manifest>,
    /// Per-trial figures, in the order of `summary.arms`.
    pub arms: Vec<ArmTrials>,
    /// Monthly bands per arm, in the order of `summary.arms`, months ascending.
    pub monthly: Vec<Vec<MonthBand>>,
    /// Running estimates as trials were added (`convergence.json`); empty when unknown.
    pub convergence: Vec<crate::convergence::Checkpoint>,
    /// The two arms the paired chart compares (`--pair A,B`, names checked against the
    /// summary's arms); `None` for the best arm against the runner-up and doing nothing.
    pub pair: Option<(String, String)>,
    /// The explanation of the gap between two arms, when the run folder holds one
    /// (`explain.json`, see [`crate::analysis::explained`]).
    pub explanation: Option<crate::analysis::explained::Explained>,
}

impl RunData {
    /// Builds the chart data from a run still in memory.
    pub fn from_frames(
        summary: Summary,
        trials: &DataFrame,
        monthly: &DataFrame,
        scenario: Option<Scenario>,
        manifest: Option<Manifest>,
    ) -> Result<RunData> {
        let mut arms = Vec::with_capacity(summary.arms.len());
        let mut bands = Vec::with_capacity(summary.arms.len());
        for arm in &summary.arms {
            arms.push(arm_trials(trials, &arm.name)?);
            bands.push(arm_bands(monthly, &arm.name)?);
        }
        Ok(RunData {
            summary,
            scenario,
            manifest,
            arms,
            monthly: bands,
            convergence: Vec::new(),
            pair: None,
            explanation: None,
        })
    }

    /// Reads a run folder written by `alignsim run`.
    pub fn load(dir: &Path) -> Result<RunData> {
        let summary_path = dir.join("summary.json");
        let text = std::fs::read_to_string(&summary_path)
            .with_context(|| format!("cannot read {}", summary_path.display()))?;
        let summary: Summary = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a run summary", summary_path.display()))?;
        // A summary written before runs stated their decision gets it from its figures.
        let summary = if summary.decision.sentence.is_empty() {
            summary.decided()
        } else {
            summary
        };
        let trials_path = dir.join("trials.parquet");
        let csv_path = dir.join("trials.csv");
        if !trials_path.exists() && !csv_path.exists() {
            anyhow::bail!(
                "{} has no trials.parquet (it was written with --no-trials), so its charts cannot be redrawn; run the scenario again without --no-trials",
                dir.display()
            );
        }
        // A sketched run drew its charts from its first trials only (see crate::stream).
        let rows = (summary.quantiles.method == "sketch")
            .then(|| crate::stream::HEAD_TRIALS as usize * summary.arms.len());
        let trials = if trials_path.exists() {
            read_parquet(&trials_path, rows)?
        } else {
            read_csv(&csv_path, rows)?
        };
        let monthly = read_parquet(&dir.join("monthly.parquet"), None)?;
        let scenario = read_scenario(dir, &summary.scenario);
        let manifest = read_manifest(dir);
        let mut data = RunData::from_frames(summary, &trials, &monthly, scenario, manifest)?;
        data.convergence = std::fs::read_to_string(dir.join("convergence.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        data.explanation = crate::analysis::explained::Explained::read(dir, &data.summary.scenario);
        Ok(data)
    }

    /// The client's words for incidents, customers and channels: the scenario's, else the
    /// neutral defaults.
    pub fn labels(&self) -> std::borrow::Cow<'_, Labels> {
        match &self.scenario {
            Some(sc) => std::borrow::Cow::Borrowed(&sc.labels),
            None => std::borrow::Cow::Owned(Labels::default()),
        }
    }

    /// The arm's pilot length in months (0 for a big-bang roll-out); the mean, rounded,
    /// when the scenario draws it from a distribution; `None` without the scenario.
    pub fn pilot_months(&self, arm: usize) -> Option<u32> {
        let sc = self.scenario.as_ref()?;
        let name = &self.summary.arms.get(arm)?.name;
        let a = sc.arms.iter().find(|a| a.name == *name)?;
        let months = match a.param(Sym::PilotMonths) {
            Dist::Fixed(v) => *v,
            d => d.mean(),
        };
        (months.is_finite() && months >= 0.0).then(|| months.round() as u32)
    }
}

/// Reads a Parquet file, or only its first `rows` rows.
fn read_parquet(path: &Path, rows: Option<usize>) -> Result<DataFrame> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    ParquetReader::new(file)
        .with_slice(rows.map(|n| (0, n)))
        .finish()
        .with_context(|| format!("cannot read {}", path.display()))
}

/// Reads a `trials.csv` (`--trials-format csv`), or only its first `rows` rows; every
/// column's type is inferred from all the rows read.
fn read_csv(path: &Path, rows: Option<usize>) -> Result<DataFrame> {
    CsvReadOptions::default()
        .with_has_header(true)
        .with_n_rows(rows)
        .with_infer_schema_length(None)
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .and_then(|r| r.finish())
        .with_context(|| format!("cannot read {}", path.display()))
}

/// The scenario kept in the run folder, if it is there and still valid, with the folder's
/// copy of its logo.
fn read_scenario(dir: &Path, name: &str) -> Option<Scenario> {
    let path = dir.join("scenario.toml");
    let text = std::fs::read_to_string(&path).ok()?;
    let mut sc = scenario::parse(&path.display().to_string(), name, &text).ok()?;
    if let Some(logo) = &mut sc.byline.logo {
        logo.image = Image::in_run_folder(dir);
    }
    Some(sc)
}

fn read_manifest(dir: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).ok()?;
    serde_json::from_str(&text).ok()
}

/// The rows of one arm, sorted by trial.
fn arm_rows(df: &DataFrame, arm: &str, sort_by: &str, cols: &[&str]) -> Result<DataFrame> {
    let exprs: Vec<Expr> = cols.iter().map(|c| col(*c)).collect();
    df.clone()
        .lazy()
        .filter(col("arm").eq(lit(arm.to_string())))
        .sort([sort_by], SortMultipleOptions::default())
        .select(exprs)
        .collect()
        .with_context(|| format!("reading the rows of arm {arm}"))
}

fn f64s(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let c = df
        .column(name)
        .with_context(|| format!("no column {name}"))?
        .cast(&DataType::Float64)
        .with_context(|| format!("column {name} is not numeric"))?;
    Ok(c.f64()?.iter().collect())
}

fn arm_trials(trials: &DataFrame, arm: &str) -> Result<ArmTrials> {
    let cols = ["trial", "npv", "roi", "payback_month", "go_live_month"];
    let df = arm_rows(trials, arm, "trial", &cols)?;
    let month = |x: Option<f64>| x.filter(|m| *m >= 0.0).map(|m| m as u32);
    Ok(ArmTrials {
        name: arm.to_string(),
        npv: f64s(&df, "npv")?.into_iter().flatten().collect(),
        roi: f64s(&df, "roi")?
            .into_iter()
            .flatten()
            .filter(|r| r.is_finite())
            .collect(),
        payback: f64s(&df, "payback_month")?.into_iter().map(month).collect(),
        go_live: f64s(&df, "go_live_month")?
            .into_iter()
            .filter_map(month)
            .collect(),
    })
}

fn arm_bands(monthly: &DataFrame, arm: &str) -> Result<Vec<MonthBand>> {
    let cols = ["month", "p5", "p25", "p50", "p75", "p95", "adoption_mean"];
    let df = arm_rows(monthly, arm, "month", &cols)?;
    let get = |name: &str| -> Result<Vec<f64>> {
        Ok(f64s(&df, name)?
            .into_iter()
            .map(|x| x.unwrap_or(f64::NAN))
            .collect())
    };
    let (month, p5, p25, p50) = (get("month")?, get("p5")?, get("p25")?, get("p50")?);
    let (p75, p95, adoption) = (get("p75")?, get("p95")?, get("adoption_mean")?);
    Ok((0..month.len())
        .map(|i| MonthBand {
            month: month[i] as u32,
            p5: p5[i],
            p25: p25[i],
            p50: p50[i],
            p75: p75[i],
            p95: p95[i],
            adoption_mean: adoption[i],
        })
        .collect())
}
