//! The convergence chart: each arm's running mean NPV after 100, 200, 500, 1,000, ...
//! trials, inside its 95 % interval. A band that has narrowed to a thin line says more
//! trials would not change the answer; a band still wide says the figures carry Monte
//! Carlo error worth reducing (`--trials` or `--precision`).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::*;
use super::{Chart, DrawResult, RunData};

pub(super) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &RunData,
) -> DrawResult<(), DB> {
    let title = Chart::Convergence.heading(data);
    let area = frame(root, &title, &subtitle(data, None), &legend(data))?;
    let trace = &data.convergence;
    let x = |trials: u64| (trials as f64).log10();
    let (x0, x1) = (
        x(trace[0].trials),
        x(trace[trace.len() - 1].trials).max(x(trace[0].trials) + 1.0),
    );
    let points: Vec<Vec<(f64, f64, f64)>> = (0..data.summary.arms.len())
        .map(|i| arm_points(data, i))
        .collect();
    let Some((lo, hi)) = bounds(points.iter().flatten().flat_map(|p| [p.1 - p.2, p.1 + p.2]))
    else {
        return no_data(&area, "No finite estimates to show.");
    };
    let pad = 0.05 * (hi - lo).max(1.0);
    let mut chart = plot_area(&area, x0..x1, (lo - pad)..(hi + pad), 150)?;
    mesh(
        &mut chart,
        "Trials simulated (log scale)",
        &format!("Mean net present value ({})", data.summary.currency),
        &|v| round_trials_label(*v),
        &|v| fmt_money(*v),
    )?;
    for (i, points) in points.iter().enumerate() {
        let upper = points.iter().map(|p| (p.0, p.1 + p.2));
        let lower = points.iter().rev().map(|p| (p.0, p.1 - p.2));
        let outline: Vec<(f64, f64)> = upper.chain(lower).collect();
        chart.draw_series(std::iter::once(Polygon::new(
            outline,
            arm_colour(i).mix(0.2).filled(),
        )))?;
        chart.draw_series(LineSeries::new(
            points.iter().map(|p| (p.0, p.1)),
            arm_colour(i).stroke_width(4),
        ))?;
    }
    Ok(())
}

/// Arm `i`'s checkpoints as (log10 trials, mean, half-width), those a chart can draw.
fn arm_points(data: &RunData, i: usize) -> Vec<(f64, f64, f64)> {
    data.convergence
        .iter()
        .filter_map(|c| {
            c.arms
                .get(i)
                .map(|a| ((c.trials as f64).log10(), a.npv_mean, a.npv_half_width))
        })
        .filter(|p| [p.1, p.2, p.1 - p.2, p.1 + p.2].into_iter().all(drawable))
        .collect()
}

fn legend(data: &RunData) -> Vec<LegendItem> {
    let last = data.convergence.last();
    let mut items: Vec<LegendItem> = data
        .summary
        .arms
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let hw = last
                .and_then(|c| c.arms.get(i))
                .map_or_else(|| "-".into(), |p| fmt_money(p.npv_half_width));
            LegendItem::new(
                Swatch::Line(arm_colour(i)),
                format!(
                    "{}: mean NPV, known to within {hw} {}",
                    a.label, data.summary.currency
                ),
            )
        })
        .collect();
    items.push(LegendItem::new(
        Swatch::Fill(MUTED.mix(0.2)),
        "95 % interval of the mean",
    ));
    items
}

/// The label of a log-scale tick: the trial count when it is 1, 2 or 5 times a power of
/// ten, else nothing (a tick at 3,162 trials says nothing to a reader).
fn round_trials_label(log10: f64) -> String {
    let value = 10f64.powf(log10);
    let scale = 10f64.powf(log10.floor());
    let mantissa = value / scale;
    if [1.0, 2.0, 5.0, 10.0]
        .iter()
        .any(|m| (mantissa - m).abs() < 0.01 * m)
    {
        crate::dist::fmt_num(value.round())
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_round_counts_are_labelled() {
        assert_eq!(round_trials_label(2.0), "100");
        assert_eq!(round_trials_label(5f64.log10() + 3.0), "5,000");
        assert_eq!(round_trials_label(3.5), "");
    }
}
