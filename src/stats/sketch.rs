//! A mergeable quantile sketch with a stated relative error: a histogram over log-linear
//! buckets cut straight from the bits of an `f64` (its exponent and the top `bits` bits of
//! its mantissa), in the manner of HDR histograms. Every value lands in a bucket
//! `[L, L (1 + 2^-bits))` of its magnitude, so reporting the bucket's midpoint is off by at
//! most a relative `2^-(bits+1)` of the value's magnitude.
//!
//! Counts only add, so a sketch does not depend on the order its values came in: the sketch
//! of two shards merged is the sketch of the whole run, bit for bit.

/// Exponents of an `f64` (the 11-bit biased exponent).
const EXPONENTS: usize = 2048;

/// Bucket counts of one sign and exponent (`2^bits` of them), allocated when first hit.
type Page = Option<Box<[u64]>>;

/// Histogram sketch of one stream of values.
#[derive(Debug, Clone)]
pub struct Sketch {
    bits: u32,
    /// Bucket counts, one page of `2^bits` counts per sign and exponent (index: the sign
    /// bit, then the 11 exponent bits), allocated when first hit.
    pages: Vec<Page>,
    zero: u64,
    n: u64,
    min: f64,
    max: f64,
}

/// One non-empty bucket, as stored in a shard: the signed key (see [`Sketch::entries`]) and
/// its count.
pub type Entry = (i64, u64);

impl Sketch {
    /// An empty sketch keeping `bits` mantissa bits (relative error `2^-(bits+1)`).
    pub fn new(bits: u32) -> Sketch {
        assert!((1..=20).contains(&bits), "sketch precision out of range");
        Sketch {
            bits,
            pages: vec![None; 2 * EXPONENTS],
            zero: 0,
            n: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Mantissa bits kept.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// The largest relative error of a reported quantile (see the module documentation).
    pub fn relative_error(&self) -> f64 {
        0.5f64.powi(self.bits as i32 + 1)
    }

    /// Number of values added (non-finite values are not counted).
    pub fn len(&self) -> u64 {
        self.n
    }

    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Adds one value; NaN and infinities are ignored.
    pub fn insert(&mut self, x: f64) {
        self.extend_strided(&[x], 0, 1);
    }

    /// The non-negative pages (by exponent) and the negative ones.
    fn sides(&self) -> (&[Page], &[Page]) {
        self.pages.split_at(EXPONENTS)
    }

    /// Adds the values `data[start]`, `data[start + stride]`, ... (a column of a row-major
    /// table); the same as inserting them one by one. Every branch in the loop goes the
    /// same way nearly every time (a column's values spread over a score of pages, so even
    /// "same page as the last value" would be a coin toss the CPU cannot predict).
    pub fn extend_strided(&mut self, data: &[f64], start: usize, stride: usize) {
        let Some(column) = data.get(start..) else {
            return;
        };
        let (bits, shift) = (self.bits, 52 - self.bits);
        let mask = (1usize << bits) - 1;
        let (mut min, mut max) = (self.min, self.max);
        let (mut n, mut zero) = (0u64, 0u64);
        for &x in column.iter().step_by(stride) {
            if !x.is_finite() {
                continue;
            }
            n += 1;
            // As `min.min(x)` and `max.max(x)` (a tie keeps the value held), without the
            // NaN handling that would chain each value's comparison to the previous one's.
            if x < min {
                min = x;
            }
            if x > max {
                max = x;
            }
            if x == 0.0 {
                zero += 1;
                continue;
            }
            // Sign, exponent and top mantissa bits: one key per bucket.
            let key = (x.to_bits() >> shift) as usize;
            let page = &mut self.pages[key >> bits];
            if page.is_none() {
                *page = Some(vec![0; mask + 1].into_boxed_slice());
            }
            if let Some(page) = page {
                page[key & mask] += 1;
            }
        }
        self.n += n;
        self.zero += zero;
        (self.min, self.max) = (min, max);
    }

    /// Adds another sketch of the same precision.
    pub fn merge(&mut self, other: &Sketch) {
        assert_eq!(
            self.bits, other.bits,
            "merging sketches of different precision"
        );
        for (page, o) in self.pages.iter_mut().zip(&other.pages) {
            if let Some(o) = o {
                let p = page.get_or_insert_with(|| vec![0; o.len()].into_boxed_slice());
                p.iter_mut().zip(o.iter()).for_each(|(a, b)| *a += b);
            }
        }
        self.zero += other.zero;
        self.n += other.n;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// The midpoint of the bucket of magnitudes with key `k` (exponent and mantissa bits).
    fn midpoint(&self, k: u64) -> f64 {
        let shift = 52 - self.bits;
        let lo = f64::from_bits(k << shift);
        let hi = f64::from_bits((k + 1) << shift);
        lo + (hi - lo) / 2.0
    }

    /// The non-empty buckets in ascending order of value: (representative value, count).
    /// Each representative is its bucket's midpoint, kept within the observed range.
    pub fn buckets(&self) -> Vec<(f64, u64)> {
        let mut out = Vec::new();
        let clamp = |x: f64| x.clamp(self.min, self.max);
        let (pos, neg) = self.sides();
        for (exp, page) in neg.iter().enumerate().rev() {
            if let Some(p) = page {
                for (sub, &c) in p.iter().enumerate().rev() {
                    if c > 0 {
                        let k = ((exp as u64) << self.bits) | sub as u64;
                        out.push((clamp(-self.midpoint(k)), c));
                    }
                }
            }
        }
        if self.zero > 0 {
            out.push((0.0, self.zero));
        }
        for (exp, page) in pos.iter().enumerate() {
            if let Some(p) = page {
                for (sub, &c) in p.iter().enumerate() {
                    if c > 0 {
                        let k = ((exp as u64) << self.bits) | sub as u64;
                        out.push((clamp(self.midpoint(k)), c));
                    }
                }
            }
        }
        out
    }

    /// Quantiles at `levels`, interpolated linearly between order statistics as Polars'
    /// `QuantileMethod::Linear` does on the exact values; `None` when the sketch is empty.
    pub fn quantiles(&self, levels: &[f64]) -> Vec<Option<f64>> {
        let buckets = self.buckets();
        levels
            .iter()
            .map(|&q| quantile_of(&buckets, self.n, q))
            .collect()
    }

    /// Mean of the `k` smallest values (the lower tail), from bucket representatives;
    /// `None` when `k` is zero or exceeds the count. When the tail's values share a sign,
    /// the result is within the sketch's relative error of the exact mean.
    pub fn lowest_mean(&self, k: u64) -> Option<f64> {
        if k == 0 || k > self.n {
            return None;
        }
        let (mut sum, mut left) = (0.0, k);
        for (v, c) in self.buckets() {
            let take = c.min(left);
            sum += v * take as f64;
            left -= take;
            if left == 0 {
                break;
            }
        }
        Some(sum / k as f64)
    }

    /// The non-empty buckets as signed keys: `0` for zero, `+(key + 1)` for positive and
    /// `-(key + 1)` for negative values, where `key` is the exponent and mantissa bits.
    pub fn entries(&self) -> Vec<Entry> {
        let mut out = Vec::new();
        if self.zero > 0 {
            out.push((0, self.zero));
        }
        let (pos, neg) = self.sides();
        for (sign, side) in [(1i64, pos), (-1, neg)] {
            for (exp, page) in side.iter().enumerate() {
                if let Some(p) = page {
                    for (sub, &c) in p.iter().enumerate() {
                        if c > 0 {
                            let k = ((exp as i64) << self.bits) | sub as i64;
                            out.push((sign * (k + 1), c));
                        }
                    }
                }
            }
        }
        out
    }

    /// The observed minimum and maximum (infinite when empty).
    pub fn bounds(&self) -> (f64, f64) {
        (self.min, self.max)
    }

    /// Rebuilds a sketch from [`Sketch::entries`] and [`Sketch::bounds`].
    ///
    /// # Errors
    /// A key that does not fit the precision (a damaged or foreign file).
    pub fn from_entries(
        bits: u32,
        entries: &[Entry],
        bounds: (f64, f64),
    ) -> Result<Sketch, String> {
        let mut s = Sketch::new(bits);
        let size = 1usize << bits;
        for &(key, count) in entries {
            if key == 0 {
                s.zero += count;
            } else {
                let k = (key.unsigned_abs() - 1) as usize;
                let (exp, sub) = (k >> bits, k & (size - 1));
                if exp >= EXPONENTS {
                    return Err(format!("sketch key {key} out of range"));
                }
                let page = if key > 0 { exp } else { EXPONENTS + exp };
                s.pages[page].get_or_insert_with(|| vec![0; size].into_boxed_slice())[sub] += count;
            }
            s.n += count;
        }
        (s.min, s.max) = bounds;
        Ok(s)
    }
}

/// The linear-interpolation quantile of `n` values given as ascending (value, count) runs.
pub fn quantile_of(buckets: &[(f64, u64)], n: u64, q: f64) -> Option<f64> {
    if n == 0 {
        return None;
    }
    let pos = q * (n - 1) as f64;
    let lo = pos.floor() as u64;
    let hi = pos.ceil() as u64;
    let (x_lo, x_hi) = (rank(buckets, lo), rank(buckets, hi));
    Some(x_lo + (pos - lo as f64) * (x_hi - x_lo))
}

/// The value of rank `r` (0-based) among ascending (value, count) runs.
fn rank(buckets: &[(f64, u64)], r: u64) -> f64 {
    let mut seen = 0;
    for &(v, c) in buckets {
        seen += c;
        if r < seen {
            return v;
        }
    }
    buckets.last().map_or(f64::NAN, |b| b.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(mut xs: Vec<f64>, q: f64) -> f64 {
        xs.sort_by(f64::total_cmp);
        let pos = q * (xs.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        xs[lo] + (pos - lo as f64) * (xs[hi] - xs[lo])
    }

    fn values() -> Vec<f64> {
        // A deterministic spread over both signs, zero and many magnitudes.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        (0..20_000)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let u = (x >> 11) as f64 / (1u64 << 53) as f64;
                if i % 997 == 0 {
                    0.0
                } else {
                    (u - 0.3) * 10f64.powi(i % 9 - 2)
                }
            })
            .collect()
    }

    #[test]
    fn quantiles_are_within_the_stated_relative_error() {
        let xs = values();
        for bits in [6, 10, 12] {
            let mut s = Sketch::new(bits);
            xs.iter().for_each(|&x| s.insert(x));
            let eps = s.relative_error();
            for q in [0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.999, 1.0] {
                let want = exact(xs.clone(), q);
                let got = s.quantiles(&[q])[0].unwrap();
                // Linear interpolation between two order statistics, each within eps of
                // its own magnitude.
                let pos = q * (xs.len() - 1) as f64;
                let mut sorted = xs.clone();
                sorted.sort_by(f64::total_cmp);
                let bound = eps
                    * sorted[pos.floor() as usize]
                        .abs()
                        .max(sorted[pos.ceil() as usize].abs());
                assert!(
                    (got - want).abs() <= bound * (1.0 + 1e-12),
                    "bits {bits} q {q}: {got} vs {want}, bound {bound}"
                );
            }
        }
    }

    #[test]
    fn tail_means_are_within_the_stated_relative_error() {
        let mut xs: Vec<f64> = values().into_iter().map(|x| x - 1e4).collect();
        let mut s = Sketch::new(12);
        xs.iter().for_each(|&x| s.insert(x));
        xs.sort_by(f64::total_cmp);
        for k in [1, 7, 1000, 5000] {
            let want = xs[..k].iter().sum::<f64>() / k as f64;
            let got = s.lowest_mean(k as u64).unwrap();
            assert!(
                (got - want).abs() <= s.relative_error() * want.abs(),
                "k {k}"
            );
        }
    }

    #[test]
    fn merging_equals_one_sketch_of_everything() {
        let xs = values();
        let mut whole = Sketch::new(10);
        xs.iter().for_each(|&x| whole.insert(x));
        let mut bulk = Sketch::new(10);
        let mut data = xs.clone();
        data.extend([f64::NAN, 0.0, -0.0]);
        // Every third value, three times over: the whole column in another order.
        for start in 0..3 {
            bulk.extend_strided(&data, start, 3);
        }
        bulk.extend_strided(&[1.5; 40], 0, 1);
        let mut one_by_one = whole.clone();
        one_by_one.insert(0.0);
        one_by_one.insert(-0.0);
        (0..40).for_each(|_| one_by_one.insert(1.5));
        assert_eq!(one_by_one.buckets(), bulk.buckets());
        assert_eq!(one_by_one.bounds(), bulk.bounds());
        assert_eq!(one_by_one.len(), bulk.len());
        let mut parts = Sketch::new(10);
        for chunk in xs.chunks(3_001).rev() {
            let mut p = Sketch::new(10);
            chunk.iter().for_each(|&x| p.insert(x));
            parts.merge(&p);
        }
        assert_eq!(whole.buckets(), parts.buckets());
        assert_eq!(whole.bounds(), parts.bounds());
        let back = Sketch::from_entries(10, &whole.entries(), whole.bounds()).unwrap();
        assert_eq!(back.buckets(), whole.buckets());
        assert_eq!(back.len(), whole.len());
    }

    #[test]
    fn extremes_and_empty() {
        let mut s = Sketch::new(12);
        assert_eq!(s.quantiles(&[0.5]), vec![None]);
        s.insert(f64::NAN);
        s.insert(7.25);
        assert_eq!(s.len(), 1);
        // One value: the midpoint is clamped to the observed range, so it is exact.
        assert_eq!(s.quantiles(&[0.0, 0.5, 1.0]), vec![Some(7.25); 3]);
        assert_eq!(s.lowest_mean(1), Some(7.25));
        assert_eq!(s.lowest_mean(2), None);
    }
}
