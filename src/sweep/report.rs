//! What a sweep writes and prints: `sweep.parquet` and `sweep.csv` (one row per point and
//! arm, with a pair of columns per target, [`target_columns`]), `sweep.json` (the same with
//! the break-even findings and their sentences), the compact table printed after a sweep,
//! and the plain-language break-even sentences.

use std::path::Path;

use anyhow::Result;
use polars::prelude::*;
use serde::Serialize;

use super::breakeven::{Direction, Finding};
use super::path::Target;
use super::{ArmInfo, AxisInfo, Point, Sweep};
use crate::dist::fmt_num;
use crate::output::{self, text};
use crate::scenario::{Section, WorkField};
use crate::stats::Quantiles;

/// The metric columns of `sweep.csv`, in order, with how to read each from a point.
type Column = (&'static str, fn(&super::ArmPoint) -> Option<f64>);
const COLUMNS: [Column; 16] = [
    ("p_npv_negative", |a| a.p_npv_negative),
    ("p_npv_positive", |a| a.p_npv_positive),
    ("p_roi_negative", |a| a.p_roi_negative),
    ("npv_mean", |a| a.npv_mean),
    ("npv_mean_se", |a| a.npv_mean_se),
    ("npv_p5", |a| a.npv_p5),
    ("npv_p50", |a| a.npv_p50),
    ("npv_p95", |a| a.npv_p95),
    ("roi_mean", |a| a.roi_mean),
    ("roi_p10", |a| a.roi_p10),
    ("roi_p50", |a| a.roi_p50),
    ("roi_p90", |a| a.roi_p90),
    ("p_payback", |a| a.p_payback),
    ("payback_median", |a| a.payback_median),
    ("p_dropped", |a| a.p_dropped),
    ("p_roi_positive", |a| a.p_roi_positive),
];

/// The two columns of one target in `sweep.csv`: its share of trials and the standard
/// error, named after the expression with the operator in words: `roi >= 0.5` gives
/// `p_roi_ge_0.5` and `p_roi_ge_0.5_se` (`gt`, `le`, `lt` for `>`, `<=`, `<`).
pub fn target_columns(expr: &str) -> (String, String) {
    let words: Vec<&str> = expr
        .split_whitespace()
        .map(|w| match w {
            ">=" => "ge",
            ">" => "gt",
            "<=" => "le",
            "<" => "lt",
            other => other,
        })
        .collect();
    let p = format!("p_{}", words.join("_"));
    let se = format!("{p}_se");
    (p, se)
}

/// The sweep as one frame: a row per point and arm, the varied values as columns named by
/// their paths, a pair of columns per target after the figures.
pub fn frame(sweep: &Sweep) -> Result<DataFrame> {
    let rows = sweep.points.len() * sweep.arms.len();
    let mut point = Vec::with_capacity(rows);
    let mut arm = Vec::with_capacity(rows);
    let mut values = vec![Vec::with_capacity(rows); sweep.axes.len()];
    let mut metrics = vec![Vec::with_capacity(rows); COLUMNS.len()];
    let mut shares = vec![Vec::with_capacity(rows); 2 * sweep.targets.len()];
    for p in &sweep.points {
        for a in &p.arms {
            point.push(p.point as u32);
            arm.push(a.arm.clone());
            for (col, v) in values.iter_mut().zip(&p.values) {
                col.push(*v);
            }
            for (col, (_, get)) in metrics.iter_mut().zip(&COLUMNS) {
                col.push(get(a));
            }
            for (ti, pair) in shares.chunks_mut(2).enumerate() {
                let t = a.targets.get(ti);
                pair[0].push(t.and_then(|t| t.p));
                pair[1].push(t.and_then(|t| t.se));
            }
        }
    }
    let mut cols = vec![polars::prelude::Column::new("point".into(), point)];
    for (axis, vals) in sweep.axes.iter().zip(values) {
        cols.push(polars::prelude::Column::new(
            axis.path.as_str().into(),
            vals,
        ));
    }
    cols.push(polars::prelude::Column::new("arm".into(), arm));
    for ((name, _), vals) in COLUMNS.iter().zip(metrics) {
        cols.push(polars::prelude::Column::new((*name).into(), vals));
    }
    let names = sweep.targets.iter().flat_map(|e| {
        let (p, se) = target_columns(e);
        [p, se]
    });
    for (name, vals) in names.zip(shares) {
        cols.push(polars::prelude::Column::new(name.into(), vals));
    }
    cols.push(polars::prelude::Column::new(
        "trials".into(),
        vec![sweep.trials; rows],
    ));
    Ok(DataFrame::new(rows, cols).context("building the sweep frame")?)
}

/// The points of a frame written by [`frame`] (a shard's `points.parquet`), read back
/// exactly: the inverse of [`frame`] for the axes and arms of `sweep`. Rows must be
/// grouped by point, arms in the sweep's order.
///
/// # Errors
/// A missing column, a column of another type, or a row with no point, arm or value.
pub fn points_from_frame(df: &DataFrame, sweep: &Sweep) -> Result<Vec<Point>> {
    let f64s = |name: &str| f64_column(df, name);
    let point: Vec<Option<u32>> = df
        .column("point")
        .context("no column point")?
        .u32()
        .context("column point does not hold point numbers")?
        .iter()
        .collect();
    let arm: Vec<Option<String>> = df
        .column("arm")
        .context("no column arm")?
        .str()
        .context("column arm does not hold names")?
        .iter()
        .map(|a| a.map(String::from))
        .collect();
    let axes = sweep
        .axes
        .iter()
        .map(|a| f64s(&a.path))
        .collect::<Result<Vec<_>>>()?;
    let metrics = COLUMNS
        .iter()
        .map(|(name, _)| Ok((*name, f64s(name)?)))
        .collect::<Result<std::collections::HashMap<_, _>>>()?;
    let m = |name: &str, row: usize| metrics[name][row];
    let shares = target_shares(df, sweep)?;
    let mut points: Vec<Point> = Vec::new();
    for row in 0..df.height() {
        let missing = |what: &str| anyhow::anyhow!("row {row} has no {what}");
        let k = point[row].ok_or_else(|| missing("point"))? as usize;
        let values = axes
            .iter()
            .map(|c| c[row].ok_or_else(|| missing("varied value")))
            .collect::<Result<Vec<f64>>>()?;
        let a = super::ArmPoint {
            arm: arm[row].clone().ok_or_else(|| missing("arm"))?,
            p_npv_negative: m("p_npv_negative", row),
            p_npv_positive: m("p_npv_positive", row),
            p_roi_negative: m("p_roi_negative", row),
            p_roi_positive: m("p_roi_positive", row),
            npv_mean: m("npv_mean", row),
            npv_mean_se: m("npv_mean_se", row),
            npv_p5: m("npv_p5", row),
            npv_p50: m("npv_p50", row),
            npv_p95: m("npv_p95", row),
            roi_mean: m("roi_mean", row),
            roi_p10: m("roi_p10", row),
            roi_p50: m("roi_p50", row),
            roi_p90: m("roi_p90", row),
            p_payback: m("p_payback", row),
            payback_median: m("payback_median", row),
            p_dropped: m("p_dropped", row),
            targets: shares_at(&shares, row),
        };
        match points.last_mut() {
            Some(p) if p.point == k && p.values == values => p.arms.push(a),
            _ => points.push(Point {
                point: k,
                values,
                arms: vec![a],
            }),
        }
    }
    Ok(points)
}

/// The column `name` of a frame, as numbers.
fn f64_column(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let col = df
        .column(name)
        .with_context(|| format!("no column {name}"))?;
    let col = col
        .f64()
        .with_context(|| format!("column {name} does not hold numbers"))?;
    Ok(col.iter().collect())
}

/// Each target of `sweep` with its two columns of a frame: share, standard error.
type Shares = Vec<(String, Vec<Option<f64>>, Vec<Option<f64>>)>;

fn target_shares(df: &DataFrame, sweep: &Sweep) -> Result<Shares> {
    sweep
        .targets
        .iter()
        .map(|e| {
            let (p, se) = target_columns(e);
            Ok((e.clone(), f64_column(df, &p)?, f64_column(df, &se)?))
        })
        .collect()
}

/// The targets of one row of a frame.
fn shares_at(shares: &Shares, row: usize) -> Vec<super::TargetShare> {
    shares
        .iter()
        .map(|(expr, p, se)| super::TargetShare {
            expr: expr.clone(),
            p: p[row],
            se: se[row],
        })
        .collect()
}

/// Writes `sweep.parquet`, `sweep.csv` and `sweep.json` into `dir`.
pub fn write_files(dir: &Path, sweep: &Sweep) -> Result<()> {
    let mut df = frame(sweep)?;
    output::write_parquet(&dir.join("sweep.parquet"), &mut df)?;
    output::write_csv(&dir.join("sweep.csv"), &mut df)?;
    output::write_json(&dir.join("sweep.json"), &SweepFile::of(sweep))
}

/// `sweep.json`: the [`Sweep`] field for field, each break-even finding with its sentence.
/// It reads back as a [`Sweep`] (the sentences are then ignored).
#[derive(Serialize)]
struct SweepFile<'a> {
    scenario: &'a str,
    title: &'a str,
    currency: &'a str,
    horizon_months: u32,
    discount_rate_annual: f64,
    trials: u64,
    seed: u64,
    model_version: &'a str,
    axes: &'a [AxisInfo],
    arms: &'a [ArmInfo],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    targets: &'a [String],
    points: &'a [Point],
    break_even: Vec<FindingFile<'a>>,
    quantiles: &'a Quantiles,
}

/// A break-even finding as `sweep.json` holds it: its data, then its sentence.
#[derive(Serialize)]
struct FindingFile<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    sentence: String,
}

impl<'a> SweepFile<'a> {
    fn of(sweep: &'a Sweep) -> SweepFile<'a> {
        // Destructured without `..`: a new field of `Sweep` must be placed here too.
        let Sweep {
            scenario,
            title,
            currency,
            horizon_months,
            discount_rate_annual,
            trials,
            seed,
            model_version,
            axes,
            arms,
            targets,
            points,
            break_even,
            quantiles,
        } = sweep;
        let break_even = break_even
            .iter()
            .map(|finding| FindingFile {
                finding,
                sentence: break_even_sentence(sweep, finding),
            })
            .collect();
        SweepFile {
            scenario,
            title,
            currency,
            horizon_months: *horizon_months,
            discount_rate_annual: *discount_rate_annual,
            trials: *trials,
            seed: *seed,
            model_version,
            axes,
            arms,
            targets,
            points,
            break_even,
            quantiles,
        }
    }
}

/// A path in plain words, e.g. `strategic alignment`, `the mode of upfront cost`, `the
/// cost of package data_cleanup`.
pub fn describe(target: &Target) -> String {
    let words = match target {
        Target::Scenario("horizon_months") => return "the horizon in months".into(),
        Target::Scenario(_) => return "the annual discount rate".into(),
        Target::Param { def, .. } => match (def.section, def.key) {
            (Section::Alignment, "fit") => "technology fit".to_string(),
            (Section::Alignment, "culture") => "cultural alignment".to_string(),
            (Section::Alignment, "ethics") => "ethical alignment".to_string(),
            (Section::Alignment, k) => format!("{k} alignment"),
            (Section::Effects, k) => format!("the {k} effect weight"),
            (Section::Kpi, k) => format!("the KPI {}", k.replace('_', " ")),
            (Section::Rollout, "pilot_months") => "the number of pilot months".to_string(),
            (Section::Initiative, "build_months") => "the number of build months".to_string(),
            (_, k) => k.replace('_', " "),
        },
        Target::Work { package, field, .. } => match field {
            WorkField::Gain => format!("the alignment gain of package {package}"),
            WorkField::Cost => format!("the cost of package {package}"),
            WorkField::Months => format!("the number of months of package {package}"),
        },
    };
    match target.dist_field() {
        Some(f) => format!("the {f} of {}", words.trim_start_matches("the ")),
        None => words,
    }
}

/// A value rounded to a precision that suits the axis' spacing, e.g. `0.62` on a grid
/// spaced 0.1 apart, `18,500` on one spaced 1,000 apart.
pub fn fmt_value(x: f64, axis: &AxisInfo) -> String {
    if axis.integer {
        return fmt_num(x.round());
    }
    let mut sorted = axis.values.clone();
    sorted.sort_by(f64::total_cmp);
    let step = sorted
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| *d > 0.0)
        .fold(f64::INFINITY, f64::min);
    let step = if step.is_finite() {
        step
    } else {
        x.abs().max(1.0)
    };
    let unit = 10f64.powf(step.log10().floor() - 1.0);
    let rounded = (x / unit).round() * unit;
    let decimals = (-unit.log10()).round().max(0.0) as usize;
    if decimals == 0 {
        fmt_num(rounded + 0.0)
    } else {
        format!("{:.*}", decimals.min(9), rounded + 0.0)
    }
}

/// "The misaligned arm breaks even in half of the futures once strategic alignment
/// reaches 0.62." or why it does not.
pub fn break_even_sentence(sweep: &Sweep, f: &Finding) -> String {
    let Some(axis) = sweep.axes.first() else {
        return String::new();
    };
    let what = axis_words(axis, &f.arm);
    let given = match (f.given, sweep.axes.get(1)) {
        (Some(g), Some(second)) => format!(
            " when {} is {}",
            axis_words(second, &f.arm),
            fmt_value(g, second)
        ),
        _ => String::new(),
    };
    let subject = format!("The {} arm", f.arm.replace(['_', '-'], " "));
    let pct = |p: Option<f64>| text::pct(p);
    match (f.value, f.direction) {
        (Some(x), Some(Direction::Rising)) => format!(
            "{subject} breaks even in half of the futures once {what} reaches {}{given}.",
            fmt_value(x, axis)
        ),
        (Some(x), Some(Direction::Falling)) => format!(
            "{subject} breaks even in half of the futures only while {what} stays below {}{given}.",
            fmt_value(x, axis)
        ),
        _ if f.p_min.is_some_and(|p| p >= super::breakeven::HALF) => format!(
            "{subject} breaks even in at least half of the futures across the whole range of {what}{given} (at least {}).",
            pct(f.p_min)
        ),
        _ => format!(
            "{subject} does not break even in half of the futures anywhere in the range of {what}{given} (at most {}).",
            pct(f.p_max)
        ),
    }
}

/// The axis' words as seen from `arm`: another arm's override is named with its arm.
fn axis_words(axis: &AxisInfo, arm: &str) -> String {
    match &axis.arm {
        Some(o) if o != arm => axis.full_label(),
        _ => axis.label.clone(),
    }
}

/// The table printed after a sweep: for one axis, a row per point with each arm's
/// P(NPV>0), mean NPV, median ROI and the chance of each target; for two axes, each arm's
/// P(NPV>0), and the chance of each target, as a matrix.
pub fn table(sweep: &Sweep) -> String {
    let mut out = format!(
        "{}\n{} points x {} trials, seed {}, amounts in {} (NPV at {} a year)\n\n",
        sweep.title,
        sweep.points.len(),
        fmt_num(sweep.trials as f64),
        sweep.seed,
        sweep.currency,
        crate::plot::fmt_pct(sweep.discount_rate_annual),
    );
    if sweep.axes.len() == 2 {
        let mut matrices: Vec<String> = (0..sweep.arms.len())
            .map(|ai| matrix(sweep, ai, "P(NPV>0)", &|a| a.p_npv_positive))
            .collect();
        for (ti, expr) in sweep.targets.iter().enumerate() {
            let what = format!("P({expr})");
            let get = |a: &super::ArmPoint| a.targets.get(ti).and_then(|t| t.p);
            matrices.extend((0..sweep.arms.len()).map(|ai| matrix(sweep, ai, &what, &get)));
        }
        out.push_str(&matrices.join("\n"));
    } else {
        out.push_str(&rows_table(sweep));
    }
    out
}

/// The last part of an axis' path, e.g. `strategic`.
fn short(a: &AxisInfo) -> String {
    a.path.rsplit('.').next().unwrap_or(&a.path).to_string()
}

fn rows_table(sweep: &Sweep) -> String {
    let mut header: Vec<String> = sweep.axes.iter().map(short).collect();
    for arm in &sweep.arms {
        header.push(format!("{} P(NPV>0)", arm.name));
        header.push("NPV mean".into());
        header.push("ROI P50".into());
        header.extend(sweep.targets.iter().map(|t| format!("P({t})")));
    }
    let rows: Vec<Vec<String>> = sweep
        .points
        .iter()
        .map(|p| {
            let mut r: Vec<String> = p.values.iter().map(|v| fmt_num(*v)).collect();
            for a in &p.arms {
                r.push(text::pct(a.p_npv_positive));
                r.push(text::money(a.npv_mean));
                r.push(
                    a.roi_p50
                        .map_or_else(|| "-".into(), |v| format!("{:.0} %", 100.0 * v)),
                );
                r.extend(a.targets.iter().map(|t| text::pct(t.p)));
            }
            r
        })
        .collect();
    align(&header, &rows)
}

/// One arm's figure `what` (read by `get`): the second axis down, the first across.
fn matrix(
    sweep: &Sweep,
    arm: usize,
    what: &str,
    get: &dyn Fn(&super::ArmPoint) -> Option<f64>,
) -> String {
    let (first, second) = (&sweep.axes[0], &sweep.axes[1]);
    let mut header = vec![format!("{} \\ {}", short(second), short(first))];
    header.extend(first.values.iter().map(|v| fmt_num(*v)));
    let rows: Vec<Vec<String>> = (0..second.values.len())
        .rev()
        .map(|j| {
            let mut r = vec![fmt_num(second.values[j])];
            r.extend(
                (0..first.values.len())
                    .map(|i| text::pct(get(&sweep.points[sweep.index(i, j)].arms[arm]))),
            );
            r
        })
        .collect();
    format!(
        "{}: {what}, {} across, {} down\n{}",
        sweep.arms[arm].name,
        first.path,
        second.path,
        align(&header, &rows)
    )
}

/// Columns right-aligned to their widest cell.
fn align(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect::<Vec<_>>()
            .join("  ")
    };
    let mut out = line(header);
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

/// The break-even lines to print: one per finding for one axis; for two axes, one per arm
/// giving the break-even value along the first axis at each value of the second.
pub fn sentences(sweep: &Sweep) -> Vec<String> {
    if sweep.axes.len() < 2 {
        let mut out: Vec<String> = sweep
            .break_even
            .iter()
            .map(|f| break_even_sentence(sweep, f))
            .collect();
        out.extend((0..sweep.arms.len()).filter_map(|ai| best_mean(sweep, ai)));
        return out;
    }
    sweep
        .arms
        .iter()
        .map(|arm| {
            let found: Vec<&Finding> = sweep
                .break_even
                .iter()
                .filter(|f| f.arm == arm.name)
                .collect();
            grid_sentence(sweep, &arm.name, &found)
        })
        .collect()
}

/// One arm's break-even over a two-dimensional grid, in one sentence.
fn grid_sentence(sweep: &Sweep, arm: &str, found: &[&Finding]) -> String {
    let (first, second) = (&sweep.axes[0], &sweep.axes[1]);
    let (x_words, g_words) = (axis_words(first, arm), axis_words(second, arm));
    let subject = format!("The {} arm", arm.replace(['_', '-'], " "));
    let at = |f: &Finding| fmt_value(f.given.unwrap_or(f64::NAN), second);
    let crossing = |dir: Direction| -> Vec<String> {
        found
            .iter()
            .filter(|f| f.direction == Some(dir))
            .enumerate()
            .map(|(k, f)| {
                let x = fmt_value(f.value.unwrap_or(f64::NAN), first);
                if k == 0 {
                    format!("{x} (at {g_words} {})", at(f))
                } else {
                    format!("{x} (at {})", at(f))
                }
            })
            .collect()
    };
    let flat = |everywhere: bool| -> Vec<String> {
        found
            .iter()
            .filter(|f| {
                f.direction.is_none()
                    && f.p_min.is_some_and(|p| p >= super::breakeven::HALF) == everywhere
            })
            .map(|f| at(f))
            .collect()
    };
    let rising = crossing(Direction::Rising);
    let falling = crossing(Direction::Falling);
    let (always, never) = (flat(true), flat(false));
    if rising.is_empty() && falling.is_empty() {
        return uncrossed_sentence(&subject, found, (&always, &never), (&x_words, &g_words));
    }
    let mut clauses = Vec::new();
    if !rising.is_empty() {
        clauses.push(format!("once {x_words} reaches {}", rising.join(" or ")));
    }
    if !falling.is_empty() {
        clauses.push(format!(
            "only while {x_words} stays below {}",
            falling.join(" or ")
        ));
    }
    let mut out = format!(
        "{subject} breaks even in half of the futures {}",
        clauses.join(", and ")
    );
    if !never.is_empty() {
        out.push_str(&format!(
            "; at {g_words} {} it does not within the range",
            never.join(", ")
        ));
    }
    if !always.is_empty() {
        out.push_str(&format!(
            "; at {g_words} {} it does across the whole range",
            always.join(", ")
        ));
    }
    out.push('.');
    out
}

/// One arm's break-even over a two-dimensional grid where it crosses one half nowhere:
/// `always` and `never` are the second axis' values at which it breaks even across the
/// whole first axis, and at none of it; the words name the first and second axes.
fn uncrossed_sentence(
    subject: &str,
    found: &[&Finding],
    (always, never): (&[String], &[String]),
    (x_words, g_words): (&str, &str),
) -> String {
    let pmin = found.iter().filter_map(|f| f.p_min).reduce(f64::min);
    let pmax = found.iter().filter_map(|f| f.p_max).reduce(f64::max);
    match (always.is_empty(), never.is_empty()) {
        (false, true) => format!(
            "{subject} breaks even in at least half of the futures everywhere on the grid (at least {}).",
            text::pct(pmin)
        ),
        (true, _) => format!(
            "{subject} does not break even in half of the futures anywhere on the grid (at most {}).",
            text::pct(pmax)
        ),
        (false, false) => format!(
            "{subject} breaks even in half of the futures across the whole range of {x_words} at {g_words} {}, and nowhere in it at {}.",
            always.join(", "),
            never.join(", ")
        ),
    }
}

/// Where along a one-axis sweep an arm's mean NPV is highest and lowest, when it changes.
fn best_mean(sweep: &Sweep, arm: usize) -> Option<String> {
    let axis = sweep.axes.first()?;
    let pts: Vec<(f64, f64)> = sweep
        .points
        .iter()
        .filter_map(|p| Some((*p.values.first()?, p.arms.get(arm)?.npv_mean?)))
        .collect();
    let hi = pts
        .iter()
        .copied()
        .reduce(|a, b| if b.1 > a.1 { b } else { a })?;
    let lo = pts
        .iter()
        .copied()
        .reduce(|a, b| if b.1 < a.1 { b } else { a })?;
    if hi.1 == lo.1 {
        return None;
    }
    let name = &sweep.arms[arm].name;
    let words = axis_words(axis, name);
    Some(format!(
        "The {} arm's mean NPV is highest, {} {}, at {words} {}, and lowest, {} {}, at {}.",
        name.replace(['_', '-'], " "),
        text::money(Some(hi.1)),
        sweep.currency,
        fmt_value(hi.0, axis),
        text::money(Some(lo.1)),
        sweep.currency,
        fmt_value(lo.0, axis),
    ))
}
