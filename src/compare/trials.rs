//! The per-trial results of two runs joined trial by trial, for the paired method: the
//! columns the compared figures read, from each run's `trials.parquet`, matched on trial
//! index and arm.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{DataFrame, DataType, ParquetReader, SerReader};

use super::figures::Row;

/// The columns read.
const COLUMNS: [&str; 8] = [
    "trial",
    "arm",
    "npv",
    "roi",
    "net",
    "investment",
    "payback_month",
    "dropped",
];

/// Each arm's rows by trial index.
type ByArm = BTreeMap<String, Vec<(u64, Row)>>;

/// The rows of `arms` in both files, paired on trial index: for each arm, the pairs in
/// trial order.
///
/// # Errors
/// A file that cannot be read or lacks a column, or trials that do not match one to one
/// (an arm's trial indexes differ between the files, or one repeats).
pub fn pair(a: &Path, b: &Path, arms: &[String]) -> Result<BTreeMap<String, Vec<(Row, Row)>>> {
    let (xa, xb) = (read(a)?, read(b)?);
    let mut out = BTreeMap::new();
    for arm in arms {
        let empty = Vec::new();
        let ra = xa.get(arm).unwrap_or(&empty);
        let rb = xb.get(arm).unwrap_or(&empty);
        let same = ra.len() == rb.len()
            && ra.iter().zip(rb).all(|(x, y)| x.0 == y.0)
            && ra.windows(2).all(|w| w[0].0 < w[1].0);
        if !same {
            anyhow::bail!(
                "the trials of arm {arm} in {} and {} do not match one to one",
                a.display(),
                b.display()
            );
        }
        let pairs = ra.iter().zip(rb).map(|(x, y)| (x.1, y.1)).collect();
        out.insert(arm.clone(), pairs);
    }
    Ok(out)
}

/// The rows of a `trials.parquet`, by arm, sorted by trial index.
fn read(path: &Path) -> Result<ByArm> {
    let cannot = || format!("cannot read {}", path.display());
    let file = File::open(path).with_context(cannot)?;
    let df = ParquetReader::new(file)
        .with_columns(Some(COLUMNS.iter().map(|c| c.to_string()).collect()))
        .finish()
        .with_context(cannot)?;
    let mut by_arm = rows(&df).with_context(cannot)?;
    for rows in by_arm.values_mut() {
        rows.sort_by_key(|r| r.0);
    }
    Ok(by_arm)
}

fn rows(df: &DataFrame) -> Result<ByArm> {
    let f = |name: &str| -> Result<Vec<Option<f64>>> {
        let c = df.column(name)?.cast(&DataType::Float64)?;
        Ok(c.f64()?.iter().collect())
    };
    let trial = df.column("trial")?.cast(&DataType::UInt64)?;
    let payback = df.column("payback_month")?.cast(&DataType::UInt32)?;
    let payback: Vec<Option<u32>> = payback.u32()?.iter().collect();
    let (npv, roi, net, investment) = (f("npv")?, f("roi")?, f("net")?, f("investment")?);
    let dropped: Vec<Option<bool>> = df.column("dropped")?.bool()?.iter().collect();
    let arm: Vec<Option<&str>> = df.column("arm")?.str()?.iter().collect();
    let mut out = ByArm::new();
    for (i, t) in trial.u64()?.iter().enumerate() {
        let (Some(t), Some(name)) = (t, arm[i]) else {
            anyhow::bail!("row {i} has no trial index or arm");
        };
        let row = Row {
            npv: npv[i].unwrap_or(f64::NAN),
            roi: roi[i].filter(|x| x.is_finite()),
            net: net[i].unwrap_or(f64::NAN),
            investment: investment[i].unwrap_or(f64::NAN),
            payback: payback[i],
            dropped: dropped[i].unwrap_or(false),
        };
        out.entry(name.to_string()).or_default().push((t, row));
    }
    Ok(out)
}
