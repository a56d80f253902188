//! The exact backend: an arm's [`Figures`] computed with Polars from every trial's value,
//! by group-by over the per-trial frame (one row per trial and arm), and the paired
//! differences by joining two arms on the trial number. Quantiles interpolate linearly
//! between order statistics (numpy's default).

use anyhow::Result;
use polars::prelude::*;

use super::summary::{ArmSummary, Channels, Figures, Interval, PairFigures, PairSummary, Stats};
use super::tally::Tally;
use super::{LEVELS, tally};
use crate::engine::{CHANNELS, Model};

fn f64col(name: &str) -> Expr {
    col(name).cast(DataType::Float64)
}

/// Mean, sd, se and quantiles of one column, aliased `{name}__{stat}`.
fn stats_exprs(name: &str) -> Vec<Expr> {
    let c = || f64col(name);
    let mut e = vec![
        c().mean().alias(format!("{name}__mean")),
        c().std(1).alias(format!("{name}__sd")),
        (c().std(1) / c().count().cast(DataType::Float64).sqrt()).alias(format!("{name}__se")),
    ];
    for (label, q) in LEVELS {
        e.push(
            c().quantile(lit(q), QuantileMethod::Linear)
                .alias(format!("{name}__{label}")),
        );
    }
    e
}

/// The expressions of every figure of an arm, over its rows of the per-trial frame.
fn arm_exprs() -> Vec<Expr> {
    let mut exprs = Vec::new();
    for name in ["roi", "npv", "net"] {
        exprs.extend(stats_exprs(name));
    }
    let npv = || col("npv");
    let var5 = || npv().quantile(lit(0.05), QuantileMethod::Linear);
    exprs.extend([
        npv().filter(npv().lt_eq(var5())).mean().alias("npv_cvar5"),
        col("revenue_retained")
            .mean()
            .alias("revenue_retained_mean"),
        f64col("incidents").mean().alias("incidents_mean"),
        col("adoption_final").mean().alias("adoption_final_mean"),
        col("kpi_final").mean().alias("kpi_final_mean"),
        col("investment").mean().alias("investment_mean"),
    ]);
    for name in CHANNELS {
        exprs.push(
            col(format!("channel_{name}"))
                .mean()
                .alias(format!("ch__{name}")),
        );
    }
    exprs
}

/// Every arm's figures from the per-trial frame, in the model's arm order; the KPI's
/// mean only when the scenario has a KPI.
///
/// # Errors
/// A frame without the per-trial columns.
pub fn arm_figures(model: &Model, has_kpi: bool, trials: &DataFrame) -> Result<Vec<Figures>> {
    let df = trials
        .clone()
        .lazy()
        .group_by_stable([col("arm")])
        .agg(arm_exprs())
        .collect()
        .context("computing arm statistics")?;
    (0..model.n_arms())
        .map(|i| {
            let g = |name: &str| -> Result<Option<f64>> {
                Ok(df.column(name)?.f64()?.get(i).filter(|x| x.is_finite()))
            };
            let stats = |name: &str| -> Result<Stats> {
                let q = |l: &str| g(&format!("{name}__{l}"));
                Ok(Stats {
                    mean: q("mean")?,
                    sd: q("sd")?,
                    se: q("se")?,
                    p5: q("p5")?,
                    p10: q("p10")?,
                    p25: q("p25")?,
                    p50: q("p50")?,
                    p75: q("p75")?,
                    p90: q("p90")?,
                    p95: q("p95")?,
                })
            };
            let c = |name: &str| g(&format!("ch__{name}"));
            Ok(Figures {
                roi: stats("roi")?,
                npv: stats("npv")?,
                net: stats("net")?,
                npv_cvar5: g("npv_cvar5")?,
                revenue_retained_mean: g("revenue_retained_mean")?,
                incidents_mean: g("incidents_mean")?,
                adoption_final_mean: g("adoption_final_mean")?,
                kpi_final_mean: if has_kpi { g("kpi_final_mean")? } else { None },
                investment_mean: g("investment_mean")?,
                channels: {
                    let mut means = [None; CHANNELS.len()];
                    for (m, name) in means.iter_mut().zip(CHANNELS) {
                        *m = c(name)?;
                    }
                    Channels::of(means)
                },
            })
        })
        .collect()
}

/// The mean paired differences of NPV and ROI of every pair of arms, in summary order.
///
/// # Errors
/// A frame without the per-trial columns.
pub fn pair_figures(model: &Model, trials: &DataFrame) -> Result<Vec<PairFigures>> {
    let side = |name: &str, suffix: &str| {
        trials
            .clone()
            .lazy()
            .filter(col("arm").eq(lit(name.to_string())))
            .select([
                col("trial"),
                col("npv").alias(format!("npv_{suffix}")),
                col("roi").alias(format!("roi_{suffix}")),
            ])
    };
    tally::pairs(model.n_arms())
        .map(|(a, b)| {
            let (a, b) = (&model.arms[a].name, &model.arms[b].name);
            let joined = side(a, "a").join(
                side(b, "b"),
                [col("trial")],
                [col("trial")],
                JoinArgs::new(JoinType::Inner),
            );
            let mut exprs = interval_exprs(|| col("npv_a") - col("npv_b"), "npv").to_vec();
            exprs.extend(interval_exprs(|| col("roi_a") - col("roi_b"), "roi"));
            let df = joined
                .select(exprs)
                .collect()
                .with_context(|| format!("comparing arms {a} and {b}"))?;
            let g = |name: &str| -> Result<Option<f64>> {
                Ok(df.column(name)?.f64()?.get(0).filter(|x| x.is_finite()))
            };
            let interval = |name: &str| -> Result<Interval> {
                Ok(Interval {
                    mean: g(&format!("{name}_mean"))?,
                    lo95: g(&format!("{name}_lo"))?,
                    hi95: g(&format!("{name}_hi"))?,
                })
            };
            Ok(PairFigures {
                npv_diff: interval("npv")?,
                roi_diff: interval("roi")?,
            })
        })
        .collect()
}

/// The mean of a paired difference `d` with its 95 % interval, aliased `{name}_mean`,
/// `{name}_lo` and `{name}_hi`.
fn interval_exprs(d: fn() -> Expr, name: &str) -> [Expr; 3] {
    let se = d().std(1) / d().count().cast(DataType::Float64).sqrt();
    [
        d().mean().alias(format!("{name}_mean")),
        (d().mean() - lit(1.96) * se.clone()).alias(format!("{name}_lo")),
        (d().mean() + lit(1.96) * se).alias(format!("{name}_hi")),
    ]
}

/// Every arm's summary from the per-trial frame and the counts `tally` of the same rows;
/// `clamped` counts clamped draws per arm and parameter.
///
/// # Errors
/// A frame without the per-trial columns.
pub fn arm_summaries(
    model: &Model,
    has_kpi: bool,
    tally: &Tally,
    clamped: &[u64],
    trials: &DataFrame,
) -> Result<Vec<ArmSummary>> {
    Ok(arm_figures(model, has_kpi, trials)?
        .into_iter()
        .enumerate()
        .map(|(i, f)| ArmSummary::new(model, i, &tally.arms[i], f, clamped))
        .collect())
}

/// Every pair's summary from the per-trial frame and the counts `tally` of the same rows.
///
/// # Errors
/// A frame without the per-trial columns.
pub fn pair_summaries(
    model: &Model,
    tally: &Tally,
    trials: &DataFrame,
) -> Result<Vec<PairSummary>> {
    Ok(pair_figures(model, trials)?
        .into_iter()
        .zip(tally::pairs(model.n_arms()))
        .enumerate()
        .map(|(pi, (f, ab))| PairSummary::new(model, ab, &tally.pairs[pi], f))
        .collect())
}
