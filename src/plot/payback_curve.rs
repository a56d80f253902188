//! The payback curve: per arm, the chance that the cumulative cash flow has reached zero
//! by month t, that is the share of trials whose `payback_month <= t`. Where a curve
//! crosses the 50 % line is the median payback month; where it ends, the share that pays
//! back within the horizon.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::*;
use super::{Chart, DrawResult, RunData};

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> DrawResult<(), DB> {
    let title = Chart::PaybackCurve.heading(data);
    let area = frame(root, &title, &subtitle(data, None), &legend(data))?;
    let horizon = data.summary.horizon_months;
    let mut chart = plot_area(&area, 0.0..f64::from(horizon), -0.01..1.04, 130)?;
    mesh(
        &mut chart,
        "Months since the decision to invest",
        "Chance of having paid for itself",
        &|v| format!("{v:.0}"),
        &|v| fmt_pct(*v),
    )?;
    hline(&mut chart, 0.5, MUTED.stroke_width(2), Some((12, 8)))?;
    for (i, arm) in data.arms.iter().enumerate() {
        let curve = paid_back_by(&arm.payback, horizon);
        chart.draw_series(LineSeries::new(
            steps(&curve),
            arm_colour(i).stroke_width(5),
        ))?;
    }
    for (i, a) in data.summary.arms.iter().enumerate() {
        if let Some(m) = a.payback_median {
            let c = arm_colour(i);
            chart.draw_series([
                Circle::new((m, 0.5), 10, c.filled()),
                Circle::new((m, 0.5), 10, WHITE.stroke_width(2)),
            ])?;
        }
    }
    Ok(())
}

/// `P(payback_month <= t)` for `t = 0..=horizon`.
pub(super) fn paid_back_by(payback: &[Option<u32>], horizon: u32) -> Vec<f64> {
    let mut counts = vec![0usize; horizon as usize + 1];
    for m in payback.iter().flatten() {
        if let Some(c) = counts.get_mut(*m as usize) {
            *c += 1;
        }
    }
    let n = payback.len().max(1) as f64;
    let mut total = 0;
    counts
        .into_iter()
        .map(|c| {
            total += c;
            total as f64 / n
        })
        .collect()
}

/// A staircase through `(t, p[t])`: the chance only changes at whole months.
fn steps(p: &[f64]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(2 * p.len());
    for (t, v) in p.iter().enumerate() {
        if t > 0 {
            out.push((t as f64, p[t - 1]));
        }
        out.push((t as f64, *v));
    }
    out
}

fn legend(data: &RunData) -> Vec<LegendItem> {
    let horizon = data.summary.horizon_months;
    let mut items: Vec<LegendItem> = data
        .summary
        .arms
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let median = match a.payback_median {
                Some(m) => format!("half paid back by month {}", fmt_month(m)),
                None => format!("most never pay back within {horizon} months"),
            };
            let never = a
                .p_payback
                .map_or_else(|| "-".into(), |p| fmt_prob(1.0 - p));
            LegendItem::new(
                Swatch::Line(arm_colour(i)),
                format!("{}: {median}; {never} never do", a.label),
            )
        })
        .collect();
    items.push(LegendItem::new(Swatch::Dashed(MUTED), "half of futures"));
    items.push(LegendItem::new(Swatch::Dot(MUTED), "median payback month"));
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payback_shares_accumulate() {
        let p = [Some(1), None, Some(3), Some(1)];
        assert_eq!(paid_back_by(&p, 3), vec![0.0, 0.5, 0.5, 0.75]);
    }
}
