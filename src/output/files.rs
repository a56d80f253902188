//! One writer per file format: JSON (serde), CSV and Parquet (Polars).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::*;
use serde::Serialize;

use crate::stats::{ArmSummary, Stats, Summary};

/// Provenance of a run: what was simulated, with what, and how long it took.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Manifest {
    pub alignsim_version: String,
    pub model_version: String,
    pub scenario_file: String,
    pub scenario_sha256: String,
    pub seed: u64,
    pub trials: u64,
    pub threads: usize,
    pub wall_time_s: f64,
    pub timestamp: String,
    pub command: Vec<String>,
}

impl Manifest {
    /// The provenance of a run that started at `started` and ends now.
    pub fn now(
        scenario_file: String,
        scenario_sha256: String,
        seed: u64,
        trials: u64,
        threads: usize,
        started: std::time::Instant,
    ) -> Manifest {
        Manifest {
            alignsim_version: env!("CARGO_PKG_VERSION").to_string(),
            model_version: crate::stats::MODEL_VERSION.to_string(),
            scenario_file,
            scenario_sha256,
            seed,
            trials,
            threads,
            wall_time_s: started.elapsed().as_secs_f64(),
            timestamp: rfc3339_now(),
            command: std::env::args().collect(),
        }
    }
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::new(file);
    serde_json::to_writer_pretty(&mut w, value)
        .with_context(|| format!("cannot write {}", path.display()))?;
    w.write_all(b"\n")?;
    w.flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A Parquet writer with alignsim's settings: LZ4 (raw) compression, which any current
/// Parquet reader (Polars, pyarrow, DuckDB, Spark) reads, at half zstd's cost to write.
pub fn parquet_writer(file: File) -> ParquetWriter<File> {
    ParquetWriter::new(file).with_compression(ParquetCompression::Lz4Raw)
}

pub fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    Context::with_context(parquet_writer(file).finish(df), || {
        format!("cannot write {}", path.display())
    })?;
    Ok(())
}

pub fn write_csv(path: &Path, df: &mut DataFrame) -> Result<()> {
    let file = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::new(file);
    Context::with_context(CsvWriter::new(&mut w).finish(df), || {
        format!("cannot write {}", path.display())
    })?;
    w.flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Rows read at a time when [`parquet_to_csv`] copies a file.
const CSV_SLICE: usize = 1 << 18;

/// Writes every row of the Parquet file `from` as CSV to `to`, as [`write_csv`] writes a
/// frame, reading a slice of rows at a time so that a file of any size is copied in
/// bounded memory.
///
/// # Errors
/// When `from` cannot be read or `to` cannot be written.
pub fn parquet_to_csv(from: &Path, to: &Path) -> Result<()> {
    let open = || File::open(from).with_context(|| format!("cannot open {}", from.display()));
    let read = || format!("cannot read {}", from.display());
    let rows = Context::with_context(ParquetReader::new(open()?).num_rows(), read)?;
    let file = File::create(to).with_context(|| format!("cannot create {}", to.display()))?;
    let mut w = BufWriter::new(file);
    let mut start = 0;
    loop {
        let slice = ParquetReader::new(open()?).with_slice(Some((start, CSV_SLICE)));
        let mut df = Context::with_context(slice.finish(), read)?;
        let mut csv = CsvWriter::new(&mut w).include_header(start == 0);
        Context::with_context(csv.finish(&mut df), || {
            format!("cannot write {}", to.display())
        })?;
        start += CSV_SLICE;
        if start >= rows {
            break;
        }
    }
    w.flush()
        .with_context(|| format!("cannot write {}", to.display()))
}

/// `summary.csv`: one flat row per arm, the same figures as summary.json.
pub fn write_summary_csv(path: &Path, summary: &Summary) -> Result<()> {
    let mut df = summary_frame(summary)?;
    write_csv(path, &mut df)
}

fn summary_frame(summary: &Summary) -> Result<DataFrame> {
    let arms = &summary.arms;
    let mut cols = vec![
        Column::new(
            "arm".into(),
            arms.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "label".into(),
            arms.iter().map(|a| a.label.clone()).collect::<Vec<_>>(),
        ),
    ];
    let mut num = |name: String, f: &dyn Fn(&ArmSummary) -> Option<f64>| {
        cols.push(Column::new(
            name.into(),
            arms.iter().map(f).collect::<Vec<_>>(),
        ));
    };
    for (metric, get) in [
        (
            "roi",
            (|a: &ArmSummary| &a.roi) as fn(&ArmSummary) -> &Stats,
        ),
        ("npv", |a| &a.npv),
        ("net", |a| &a.net),
    ] {
        for (stat, pick) in STAT_FIELDS {
            num(format!("{metric}_{stat}"), &|a| pick(get(a)));
        }
    }
    num("p_roi_negative".into(), &|a| a.p_roi_negative);
    num("p_npv_negative".into(), &|a| a.p_npv_negative);
    num("npv_var5".into(), &|a| a.npv_var5);
    num("npv_cvar5".into(), &|a| a.npv_cvar5);
    num("p_payback".into(), &|a| a.p_payback);
    num("payback_median".into(), &|a| a.payback_median);
    num("p_dropped".into(), &|a| a.p_dropped);
    num("p_dropped_gate".into(), &|a| a.p_dropped_by.gate);
    num("p_dropped_review".into(), &|a| a.p_dropped_by.review);
    num("p_dropped_hazard".into(), &|a| a.p_dropped_by.hazard);
    num("discoveries_mean".into(), &|a| a.discoveries_mean);
    num("revenue_retained_mean".into(), &|a| a.revenue_retained_mean);
    num("incidents_mean".into(), &|a| a.incidents_mean);
    num("adoption_final_mean".into(), &|a| a.adoption_final_mean);
    num("kpi_final_mean".into(), &|a| a.kpi_final_mean);
    num("investment_mean".into(), &|a| a.investment_mean);
    for (i, (name, _)) in arms
        .first()
        .map(|a| a.channels.entries())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        num(format!("channel_{name}"), &|a| a.channels.entries()[i].1);
    }
    num("roi_nan".into(), &|a| Some(a.roi_nan as f64));
    num("clamped_total".into(), &|a| {
        Some(a.clamped.values().sum::<u64>() as f64)
    });
    Ok(DataFrame::new(arms.len(), cols)?)
}

type StatPick = fn(&Stats) -> Option<f64>;
const STAT_FIELDS: [(&str, StatPick); 10] = [
    ("mean", |s| s.mean),
    ("sd", |s| s.sd),
    ("se", |s| s.se),
    ("p5", |s| s.p5),
    ("p10", |s| s.p10),
    ("p25", |s| s.p25),
    ("p50", |s| s.p50),
    ("p75", |s| s.p75),
    ("p90", |s| s.p90),
    ("p95", |s| s.p95),
];

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
