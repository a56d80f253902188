//! Convergence: running Monte Carlo error of each arm's mean NPV and probability of loss,
//! tracked trial by trial in trial order (so the figures are the same on any thread count),
//! recorded at 1-2-5 checkpoints for the convergence chart, and used by `--precision` to
//! decide when enough trials have been run.
//!
//! `--precision X` stops once, for every arm, the 95 % interval of the mean NPV is narrower
//! than `X` times the mean's size on each side (relative) and the 95 % interval of P(loss)
//! is narrower than `X` on each side (absolute, in probability): `--precision 0.01` asks for
//! the mean NPV to within 1 % and P(loss) to within one percentage point.

use serde::{Deserialize, Serialize};

use crate::engine::Batch;

/// Fewest trials before `--precision` may stop: below this the normal approximation
/// behind the intervals is not trusted.
pub const MIN_TRIALS: u64 = 10_000;

/// Running moments of one arm's NPV (Welford's algorithm, updated in trial order) and its
/// count of losses.
#[derive(Debug, Clone, Copy, Default)]
struct Moments {
    npv: crate::stats::Moments,
    losses: u64,
}

impl Moments {
    fn push(&mut self, npv: f64) {
        self.npv.push(npv);
        self.losses += u64::from(npv < 0.0);
    }

    fn point(&self) -> ArmPoint {
        let crate::stats::Moments { n, mean, m2 } = self.npv;
        let se = if n > 1 {
            let n = n as f64;
            (m2 / (n - 1.0) / n).sqrt()
        } else {
            f64::NAN
        };
        let n = n as f64;
        let p = self.losses as f64 / n;
        let p_se = (p * (1.0 - p) / n).sqrt();
        ArmPoint {
            npv_mean: mean,
            npv_half_width: 1.96 * se,
            p_loss: p,
            p_loss_half_width: 1.96 * p_se,
        }
    }
}

/// One arm's running estimates at a checkpoint.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct ArmPoint {
    pub npv_mean: f64,
    /// Half-width of the 95 % interval of the mean NPV.
    pub npv_half_width: f64,
    pub p_loss: f64,
    pub p_loss_half_width: f64,
}

/// All arms' estimates after a number of trials.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Checkpoint {
    pub trials: u64,
    pub arms: Vec<ArmPoint>,
}

/// Follows the running estimates as batches arrive in trial order.
#[derive(Debug, Clone)]
pub struct Tracker {
    arms: Vec<Moments>,
    trials: u64,
    next_checkpoint: u64,
    pub trace: Vec<Checkpoint>,
}

impl Tracker {
    pub fn new(n_arms: usize) -> Tracker {
        Tracker {
            arms: vec![Moments::default(); n_arms],
            trials: 0,
            next_checkpoint: 100,
            trace: Vec::new(),
        }
    }

    pub fn push(&mut self, batch: &Batch) {
        let n_arms = self.arms.len();
        for trial in batch.outcomes.chunks(n_arms) {
            for (m, o) in self.arms.iter_mut().zip(trial) {
                m.push(o.npv);
            }
            self.trials += 1;
            if self.trials == self.next_checkpoint {
                self.record();
                self.next_checkpoint = next_125(self.next_checkpoint);
            }
        }
    }

    /// Feeds the NPVs of whole trials (all arms of a trial, in arm order, trial after trial),
    /// as a merge reads them back from shards.
    pub fn replay(&mut self, npv: impl Iterator<Item = f64>) {
        let n_arms = self.arms.len();
        let mut k = 0;
        for x in npv {
            self.arms[k].push(x);
            k += 1;
            if k == n_arms {
                k = 0;
                self.trials += 1;
                if self.trials == self.next_checkpoint {
                    self.record();
                    self.next_checkpoint = next_125(self.next_checkpoint);
                }
            }
        }
    }

    fn record(&mut self) {
        if self.trace.last().is_some_and(|c| c.trials == self.trials) {
            return;
        }
        self.trace.push(Checkpoint {
            trials: self.trials,
            arms: self.arms.iter().map(Moments::point).collect(),
        });
    }

    /// Records the final state (call once all batches are in).
    pub fn finish(mut self) -> Vec<Checkpoint> {
        if self.trials > 0 {
            self.record();
        }
        self.trace
    }

    pub fn trials(&self) -> u64 {
        self.trials
    }

    /// Whether every arm meets the `--precision` target.
    pub fn converged(&self, target: f64) -> bool {
        self.trials >= MIN_TRIALS
            && self.arms.iter().all(|m| {
                let p = m.point();
                p.npv_half_width <= target * p.npv_mean.abs() && p.p_loss_half_width <= target
            })
    }
}

/// The next number of the 1-2-5 series: 100, 200, 500, 1000, ...
fn next_125(x: u64) -> u64 {
    let mut scale = 1;
    while x / scale >= 10 {
        scale *= 10;
    }
    match x / scale {
        1 => 2 * scale,
        2 => 5 * scale,
        _ => 10 * scale,
    }
}

/// Trials to add in the next round of a `--precision` run: a quarter of what has been run
/// (at least [`MIN_TRIALS`]), never past `max`.
pub fn next_round(done: u64, max: u64) -> u64 {
    (done / 4).max(MIN_TRIALS).min(max.saturating_sub(done))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_follow_one_two_five() {
        let mut x = 100;
        let mut seen = vec![];
        for _ in 0..7 {
            seen.push(x);
            x = next_125(x);
        }
        assert_eq!(seen, [100, 200, 500, 1000, 2000, 5000, 10_000]);
    }

    #[test]
    fn welford_matches_two_pass() {
        let xs = [3.0, -1.0, 4.0, 1.0, -5.0, 9.0];
        let mut m = Moments::default();
        xs.iter().for_each(|&x| m.push(x));
        let mean = xs.iter().sum::<f64>() / 6.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 5.0;
        let p = m.point();
        assert!((p.npv_mean - mean).abs() < 1e-12);
        assert!((p.npv_half_width - 1.96 * (var / 6.0).sqrt()).abs() < 1e-12);
        assert!((p.p_loss - 2.0 / 6.0).abs() < 1e-15);
    }
}
