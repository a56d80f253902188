//! Standard errors of a Latin hypercube run from its slices. A single hypercube's trials
//! are not independent, so the Monte Carlo formula `sd / sqrt(n)` does not hold for its
//! mean; the engine's sliced hypercube ([`crate::engine::Sampling::LatinHypercube`]) makes
//! the trials of each slice a Latin hypercube of their own, and the spread of the slice
//! means estimates the standard error instead (MODEL.md 6.3a). Each arm and pair of arms
//! keeps, per slice, the [`Moments`] of the figures whose standard error a summary reports.

use super::Moments;

/// The figures of an arm kept per slice, in this order, then one indicator per target.
pub const ARM_FIGURES: [&str; 8] = [
    "npv",
    "roi",
    "net",
    "npv_negative",
    "roi_negative",
    "npv_positive",
    "paid_back",
    "dropped",
];
/// Figure indices of [`ARM_FIGURES`].
pub const NPV: usize = 0;
pub const ROI: usize = 1;
pub const NET: usize = 2;
pub const NPV_NEGATIVE: usize = 3;
pub const ROI_NEGATIVE: usize = 4;
pub const NPV_POSITIVE: usize = 5;
pub const PAID_BACK: usize = 6;
pub const DROPPED: usize = 7;

/// One trial of one arm as the slices keep it.
#[derive(Debug, Clone, Copy)]
pub struct SliceRow {
    pub npv: f64,
    /// NaN without an investment.
    pub roi: f64,
    pub net: f64,
    pub paid_back: bool,
    pub dropped: bool,
}

/// Adds one trial to the moments of its slice (`figures` holds [`ARM_FIGURES`] then one per
/// target, whose indicators are `met`).
pub fn push_arm(figures: &mut [Moments], row: SliceRow, met: impl Iterator<Item = bool>) {
    let flag = |b: bool| f64::from(u8::from(b));
    figures[NPV].push(row.npv);
    figures[NET].push(row.net);
    figures[NPV_NEGATIVE].push(flag(row.npv < 0.0));
    figures[NPV_POSITIVE].push(flag(row.npv > 0.0));
    figures[PAID_BACK].push(flag(row.paid_back));
    figures[DROPPED].push(flag(row.dropped));
    if row.roi.is_finite() {
        figures[ROI].push(row.roi);
        figures[ROI_NEGATIVE].push(flag(row.roi < 0.0));
    }
    for (m, hit) in figures[ARM_FIGURES.len()..].iter_mut().zip(met) {
        m.push(flag(hit));
    }
}

/// Adds the slices of other trials, slice by slice.
pub fn merge(into: &mut [Vec<Moments>], other: &[Vec<Moments>]) {
    for (a, b) in into.iter_mut().zip(other) {
        for (x, y) in a.iter_mut().zip(b) {
            x.merge(y);
        }
    }
}

/// The standard error of the mean of figure `f` from the spread of its slice means:
/// `sqrt(sum (m_s - m)^2 / (k (k - 1)))` over the `k` slices with a value, `m` their
/// average; `None` with fewer than two such slices.
pub fn se(slices: &[Vec<Moments>], f: usize) -> Option<f64> {
    let means: Vec<f64> = slices.iter().filter_map(|s| s[f].mean()).collect();
    let k = means.len() as f64;
    if means.len() < 2 {
        return None;
    }
    let m = means.iter().sum::<f64>() / k;
    let ss: f64 = means.iter().map(|x| (x - m).powi(2)).sum();
    Some((ss / (k * (k - 1.0))).sqrt()).filter(|s| s.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn se_is_the_spread_of_the_slice_means() {
        let slice = |xs: &[f64]| {
            let mut m = vec![Moments::default(); 1];
            xs.iter().for_each(|x| m[0].push(*x));
            m
        };
        let slices = vec![slice(&[1.0, 3.0]), slice(&[4.0]), slice(&[])];
        // Slice means 2 and 4: sd of the means sqrt(2), over sqrt(2) slices.
        assert!((se(&slices, 0).unwrap() - 1.0).abs() < 1e-12);
        assert_eq!(se(&slices[..1], 0), None);
    }
}
