//! Count, mean and sum of squared deviations of a stream of values (Welford), mergeable
//! (Chan et al.): the sketched backend's means, standard deviations and standard errors.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    pub m2: f64,
}

impl Moments {
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Adds the moments of values that come after this one's.
    pub fn merge(&mut self, o: &Moments) {
        if o.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *o;
            return;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        let (na, nb, nf) = (self.n as f64, o.n as f64, n as f64);
        self.mean += d * (nb / nf);
        self.m2 += o.m2 + d * d * (na * nb / nf);
        self.n = n;
    }

    pub fn mean(&self) -> Option<f64> {
        (self.n > 0).then_some(self.mean)
    }

    /// Sample standard deviation (n - 1 in the denominator).
    pub fn sd(&self) -> Option<f64> {
        (self.n > 1).then(|| (self.m2.max(0.0) / (self.n - 1) as f64).sqrt())
    }

    /// Standard error of the mean.
    pub fn se(&self) -> Option<f64> {
        self.sd().map(|sd| sd / (self.n as f64).sqrt())
    }
}
