//! Steps 1 and 2 of MODEL.md section 3 for every live month of one arm at once: adoption
//! on the Bass curve and the month's incidents, `N_t = PoissonInverseCdf(U_inc(t), mu_t)`
//! with `mu_t = lambda_eff * A_t`.
//!
//! Neither depends on the rest of an arm's state, only on whether the project is still
//! live, so they are computed for all months from go-live to the horizon before the monthly
//! recursion, as if the project were never dropped. The months are then independent of one
//! another, and the loop over them is vectorised: each month's Poisson inversion is
//! [`poisson_terms`], the same sums as the exact inversion with neither a branch nor a
//! call, and the few months it leaves undecided are settled by [`poisson_inv`] afterwards.
//! The loop is compiled for the CPU's widest vectors at run time; every path does the same
//! IEEE operations in the same order, so the results are the same bits on any CPU.

#[cfg(target_arch = "x86_64")]
#[cfg(all(test, target_arch = "x86_64"))]
use super::avx512;
#[cfg(target_arch = "x86_64")]
use super::{Simd, simd};
use crate::special::{TERMS_MAX_MEAN, UNDECIDED, poisson_inv, poisson_terms};

/// What an arm's adoption curve and incident rate are made of.
#[derive(Debug, Clone, Copy)]
pub struct Curve {
    /// `Amax_eff`.
    pub ceiling: f64,
    /// `exp(-(p + q_eff))`: the Bass curve's `exp(-(p + q_eff) tau)` is its `tau`-th power.
    pub decay: f64,
    /// `q_eff / p`.
    pub imitation_ratio: f64,
    /// `lambda_eff`: expected incidents per month at full adoption.
    pub incident_rate: f64,
    /// Pilot months `P` and the pilot's scale `phi`.
    pub pilot: usize,
    pub pilot_scale: f64,
}

/// Months handled together by the vectorised loop; the months of an arm are padded to a
/// multiple of it.
const LANES: usize = 8;

/// One curve's months: what [`Fill::fill`] computes for one arm's curve and go-live.
pub struct Fill {
    /// `exp(-(p + q_eff) tau)` of month `t`.
    decay: Vec<f64>,
    /// `scale(tau)` of month `t`: the pilot's scale, then 1.
    pub scale: Vec<f64>,
    /// `U_inc(t)`, copied so that the padding months have a harmless value.
    u: Vec<f64>,
    /// `A_t` of each month the project is live, were it never dropped.
    pub adoption: Vec<f64>,
    /// `N_t`, likewise.
    pub incidents: Vec<u32>,
}

/// What a [`Fill`] depends on besides the trial's incident uniforms: the bits of the
/// curve and the go-live month. Arms of one trial with equal keys have equal fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    curve: [u64; 6],
    go_live: usize,
}

impl Key {
    /// Whether two keys are equal, field by field (no call to `memcmp`).
    #[inline(always)]
    fn same(&self, other: &Key) -> bool {
        self.go_live == other.go_live
            && self
                .curve
                .iter()
                .zip(&other.curve)
                .fold(true, |eq, (a, b)| eq & (a == b))
    }

    fn of(curve: &Curve, go_live: usize) -> Key {
        let c = curve;
        Key {
            curve: [
                c.ceiling.to_bits(),
                c.decay.to_bits(),
                c.imitation_ratio.to_bits(),
                c.incident_rate.to_bits(),
                c.pilot as u64,
                c.pilot_scale.to_bits(),
            ],
            go_live,
        }
    }
}

/// The fills of the distinct curves of one trial's arms: arms whose curve and go-live
/// are the same bits share one, computed once. Reused from trial to trial.
pub struct Fills {
    horizon: usize,
    /// The keys of the fills computed in the current trial, in the order of `fills`.
    keys: Vec<Key>,
    fills: Vec<Fill>,
}

impl Fills {
    /// Forgets the fills of the last trial: the next trial draws other incident uniforms.
    pub fn next_trial(&mut self) {
        self.keys.clear();
    }

    /// The fill of `curve` from `go_live` on with the trial's incident uniforms `u_inc`:
    /// the one an earlier arm of the trial computed for the same key, else a new one.
    pub fn get(&mut self, curve: &Curve, go_live: usize, u_inc: &[f64]) -> &Fill {
        let key = Key::of(curve, go_live);
        if let Some(i) = self.keys.iter().position(|k| k.same(&key)) {
            return &self.fills[i];
        }
        let i = self.keys.len();
        self.keys.push(key);
        if self.fills.len() == i {
            self.fills.push(Fill::new(self.horizon));
        }
        let fill = &mut self.fills[i];
        fill.fill(curve, go_live, u_inc);
        fill
    }
}

/// Room for the months of one trial's arms, reused from trial to trial: the fills of
/// their curves, and each arm's paths in turn.
pub struct Months {
    pub fills: Fills,
    /// Room for the recursion's adoption of each month (zero while not live).
    pub adoption_path: Vec<f64>,
    /// Room for the recursion's revenue base after each month.
    pub revenue_base_path: Vec<f64>,
    /// Room for the operating cash flow of each live month, which reviews look back on.
    pub op: Vec<f64>,
}

impl Months {
    /// Room for `horizon` months (index 0, month 0, is never live), and padding.
    pub fn new(horizon: usize) -> Months {
        Months {
            fills: Fills {
                horizon,
                keys: Vec::new(),
                fills: Vec::new(),
            },
            // Padded with zeros for whole vectors in `FixedSums::add`.
            adoption_path: vec![0.0; (horizon + 1).next_multiple_of(LANES)],
            revenue_base_path: vec![0.0; (horizon + 1).next_multiple_of(LANES)],
            op: vec![0.0; horizon + 1],
        }
    }
}

impl Fill {
    /// Room for `horizon` months (index 0, month 0, is never live), and padding.
    pub fn new(horizon: usize) -> Fill {
        let len = horizon + 1 + LANES;
        Fill {
            decay: vec![0.0; len],
            scale: vec![1.0; len],
            u: vec![0.5; len],
            adoption: vec![0.0; len],
            incidents: vec![0; len],
        }
    }

    /// Fills `adoption[t]` and `incidents[t]` for `t = go_live..=horizon`, with `u_inc[t]`
    /// the month's incident uniform: the numbers the month-by-month recursion of MODEL.md
    /// would compute, to the bit. Entries past the horizon are left meaningless.
    pub fn fill(&mut self, curve: &Curve, go_live: usize, u_inc: &[f64]) {
        let h = self.adoption.len() - 1 - LANES;
        if go_live > h {
            return;
        }
        // `exp(-(p + q) tau)` by repeated multiplication, as the recursion would.
        let mut e = 1.0f64;
        for d in &mut self.decay[go_live..=h] {
            e *= curve.decay;
            *d = e;
        }
        let full = go_live.saturating_add(curve.pilot).min(h + 1);
        self.scale[go_live..full].fill(curve.pilot_scale);
        self.scale[full..=h].fill(1.0);
        self.u[go_live..=h].copy_from_slice(&u_inc[go_live..=h]);
        #[cfg(target_arch = "x86_64")]
        match simd() {
            // SAFETY: `simd` picks a path only when the CPU has its instructions.
            Simd::Avx512 => return unsafe { self.fill_avx512(curve, go_live) },
            // SAFETY: as above, AVX2.
            Simd::Avx2 => return unsafe { self.fill_avx2(curve, go_live) },
            Simd::Baseline => {}
        }
        self.fill_live(curve, go_live);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq")]
    fn fill_avx512(&mut self, curve: &Curve, go_live: usize) {
        self.fill_live(curve, go_live);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn fill_avx2(&mut self, curve: &Curve, go_live: usize) {
        self.fill_live(curve, go_live);
    }

    /// [`Fill::fill`] after its inputs are in place, compiled into each vector path.
    #[inline(always)]
    fn fill_live(&mut self, curve: &Curve, go_live: usize) {
        let h = self.adoption.len() - 1 - LANES;
        if go_live > h {
            return;
        }
        let end = go_live + (h + 1 - go_live).div_ceil(LANES) * LANES;
        let range = go_live..end;
        let (e, scale, u) = (
            &self.decay[range.clone()],
            &self.scale[range.clone()],
            &self.u[range.clone()],
        );
        let (a, n) = (
            &mut self.adoption[range.clone()],
            &mut self.incidents[range],
        );
        // The terms needed to decide nearly every month: the answer stays below the count
        // of terms with probability above 99 % at the largest mean.
        let max_mean = curve.incident_rate * curve.ceiling;
        if max_mean <= 2.5 {
            months::<8>(curve, e, scale, u, a, n);
        } else if max_mean <= 5.0 {
            months::<12>(curve, e, scale, u, a, n);
        } else if max_mean <= 8.0 {
            months::<16>(curve, e, scale, u, a, n);
        } else if max_mean <= 14.0 {
            months::<24>(curve, e, scale, u, a, n);
        } else {
            months::<0>(curve, e, scale, u, a, n);
        }
        // The months the terms left undecided: the exact inversion.
        for t in go_live..=h {
            if self.incidents[t] == UNDECIDED {
                let mu = curve.incident_rate * self.adoption[t];
                self.incidents[t] = if mu > 0.0 {
                    poisson_inv(self.u[t], mu)
                } else {
                    0
                };
            }
        }
    }
}

/// One unit in the fixed-point sums of monthly means: 2^60.
pub const FIXED_ONE: f64 = 1_152_921_504_606_846_976.0;

/// A share in [0, 1] as a fixed-point integer (rounded half up). Sums of these are exact
/// and so do not depend on the order of addition: any split of the trials (threads,
/// batches, shards) gives the same monthly means to the last bit.
#[inline]
pub fn to_fixed(x: f64) -> i128 {
    i128::from((x * FIXED_ONE + 0.5) as i64)
}

/// Sums over a batch's trials of a monthly share in [0, 1] (adoption, revenue base), in
/// the fixed point of [`to_fixed`]: exact, so they do not depend on the order of addition.
/// Each value is split into its high and low 32 bits, summed apart in 64-bit integers (no
/// overflow below 2^31 trials per batch), so the sums vectorise; [`FixedSums::total`]
/// puts them back together.
pub struct FixedSums {
    lo: Vec<u64>,
    hi: Vec<i64>,
}

impl FixedSums {
    /// Sums of `len` values each, all zero, with room for the padding of a
    /// [`Months`] path.
    pub fn new(len: usize) -> FixedSums {
        let len = len.next_multiple_of(LANES);
        FixedSums {
            lo: vec![0; len],
            hi: vec![0; len],
        }
    }

    /// Adds `to_fixed(x[i])` to sum `i`, for each `i` (those past the sums are ignored).
    pub fn add(&mut self, x: &[f64]) {
        #[cfg(target_arch = "x86_64")]
        match simd() {
            // SAFETY: `simd` picks a path only when the CPU has its instructions.
            Simd::Avx512 => return unsafe { self.add_avx512(x) },
            // SAFETY: as above, AVX2.
            Simd::Avx2 => return unsafe { self.add_avx2(x) },
            Simd::Baseline => {}
        }
        self.add_any(x);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq")]
    fn add_avx512(&mut self, x: &[f64]) {
        self.add_any(x);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn add_avx2(&mut self, x: &[f64]) {
        self.add_any(x);
    }

    #[inline(always)]
    fn add_any(&mut self, x: &[f64]) {
        // Far beyond the fixed point of a share in [0, 1] (2^60), and exactly an i64.
        const LIMIT: f64 = 4_611_686_018_427_387_904.0; // 2^62
        for ((lo, hi), &x) in self.lo.iter_mut().zip(&mut self.hi).zip(x) {
            // `to_fixed`, whose `as i64` the compiler would not vectorise (it saturates).
            // `max` also turns NaN into the bound, as `as` turns it into 0: neither occurs
            // for a share.
            #[allow(clippy::manual_clamp)] // `clamp` keeps NaN
            let y = (x * FIXED_ONE + 0.5).max(-LIMIT).min(LIMIT);
            // SAFETY: y is finite and within the range of i64, as clamped just above.
            let v: i64 = unsafe { y.to_int_unchecked() };
            *lo += v as u64 & 0xffff_ffff;
            *hi += v >> 32;
        }
    }

    /// Sum `i`, as the `to_fixed` values summed in `i128`.
    pub fn total(&self, i: usize) -> i128 {
        (i128::from(self.hi[i]) << 32) + i128::from(self.lo[i])
    }

    /// Back to zero.
    pub fn clear(&mut self) {
        self.lo.fill(0);
        self.hi.fill(0);
    }
}

/// Adoption and incidents of months (as many as a multiple of [`LANES`]), the incidents decided by the
/// first `K` Poisson terms or left [`UNDECIDED`] (all of them when `K` is 0: means too
/// large for a few terms).
#[inline(always)]
fn months<const K: usize>(
    curve: &Curve,
    decay: &[f64],
    scale: &[f64],
    u: &[f64],
    adoption: &mut [f64],
    incidents: &mut [u32],
) {
    debug_assert!(K == 0 || curve.incident_rate * curve.ceiling <= TERMS_MAX_MEAN);
    let months = decay.iter().zip(scale).zip(u).zip(adoption).zip(incidents);
    for ((((&e, &scale), &u), a), n) in months {
        // Step 1: A_t = Amax_eff * F(tau) * scale(tau), multiplied left to right.
        *a = curve.ceiling * ((1.0 - e) / (1.0 + curve.imitation_ratio * e)) * scale;
        *n = if K == 0 {
            UNDECIDED
        } else {
            poisson_terms::<K>(u, curve.incident_rate * *a)
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// Steps 1 and 2 month by month, as MODEL.md writes them.
    fn by_month(curve: &Curve, go_live: usize, u_inc: &[f64]) -> (Vec<f64>, Vec<u32>) {
        let h = u_inc.len() - 1;
        let (mut a, mut n) = (vec![0.0; h + 1], vec![0; h + 1]);
        let mut e = 1.0f64;
        for t in go_live..=h {
            let tau = t + 1 - go_live;
            let scale = if tau <= curve.pilot {
                curve.pilot_scale
            } else {
                1.0
            };
            e *= curve.decay;
            a[t] = curve.ceiling * ((1.0 - e) / (1.0 + curve.imitation_ratio * e)) * scale;
            let mu = curve.incident_rate * a[t];
            n[t] = if mu > 0.0 {
                poisson_inv(u_inc[t], mu)
            } else {
                0
            };
        }
        (a, n)
    }

    #[test]
    fn every_vector_path_matches_the_month_by_month_recursion() {
        let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(5);
        let mut uniform = move || crate::dist::open01(rng.next_u64());
        let mut paths = 0;
        for case in 0..4_000 {
            let h = 1 + (uniform() * 60.0) as usize;
            let go_live = (uniform() * (h as f64 + 3.0)) as usize;
            let p = 0.01 + uniform() * 0.2;
            let q = uniform() * 0.6;
            // Incident rates across every choice of terms, including none and huge ones.
            let incident_rate = match case % 7 {
                0 => 0.0,
                1 => uniform() * 2.0,
                2 => uniform() * 5.0,
                3 => uniform() * 8.0,
                4 => uniform() * 14.0,
                5 => uniform() * 200.0,
                _ => uniform() * 40.0,
            };
            let curve = Curve {
                ceiling: 0.05 + 0.95 * uniform(),
                decay: (-(p + q)).exp(),
                imitation_ratio: q / p,
                incident_rate,
                pilot: (uniform() * 8.0) as usize,
                pilot_scale: 0.05 + 0.95 * uniform(),
            };
            let mut u_inc: Vec<f64> = (0..=h).map(|_| uniform()).collect();
            if case % 11 == 0 {
                u_inc[h] = 1.0 - f64::EPSILON / 2.0;
            }
            let (a, n) = by_month(&curve, go_live, &u_inc);
            let mut m = Fill::new(h);
            let check = |m: &Fill, how: &str| {
                for t in go_live..=h {
                    assert_eq!(
                        m.adoption[t].to_bits(),
                        a[t].to_bits(),
                        "{how} {case} t={t}"
                    );
                    assert_eq!(m.incidents[t], n[t], "{how} {case} t={t}");
                }
            };
            m.fill(&curve, go_live, &u_inc);
            check(&m, "dispatched");
            // Each path the CPU can run, whichever the dispatch picks.
            m.adoption.fill(f64::NAN);
            m.incidents.fill(7);
            m.fill_live(&curve, go_live);
            check(&m, "baseline");
            #[cfg(target_arch = "x86_64")]
            {
                if std::is_x86_feature_detected!("avx2") {
                    m.incidents.fill(7);
                    // SAFETY: the CPU has AVX2, checked just above.
                    unsafe { m.fill_avx2(&curve, go_live) };
                    check(&m, "avx2");
                    paths += 1;
                }
                if avx512() {
                    m.incidents.fill(7);
                    // SAFETY: the CPU has AVX-512F and DQ, checked just above.
                    unsafe { m.fill_avx512(&curve, go_live) };
                    check(&m, "avx512");
                    paths += 1;
                }
            }
        }
        eprintln!("vector paths checked: {paths}");
    }

    #[test]
    fn arms_share_a_fill_only_for_the_same_curve_and_trial() {
        let curve = |incident_rate: f64| Curve {
            ceiling: 0.8,
            decay: (-0.3f64).exp(),
            imitation_ratio: 4.0,
            incident_rate,
            pilot: 2,
            pilot_scale: 0.3,
        };
        let h = 24;
        let (a, b) = (curve(3.0), curve(6.0));
        let u: Vec<f64> = (0..=h)
            .map(|t| (t as f64 + 0.5) / (h as f64 + 1.0))
            .collect();
        let v: Vec<f64> = u.iter().map(|x| 1.0 - x).collect();
        let fresh = |c: &Curve, go_live: usize, u: &[f64]| {
            let mut f = Fill::new(h);
            f.fill(c, go_live, u);
            (
                f.adoption[go_live..=h].to_vec(),
                f.incidents[go_live..=h].to_vec(),
            )
        };
        let of = |f: &Fill, go_live: usize| {
            (
                f.adoption[go_live..=h].to_vec(),
                f.incidents[go_live..=h].to_vec(),
            )
        };
        let mut m = Months::new(h).fills;
        assert_eq!(of(m.get(&a, 3, &u), 3), fresh(&a, 3, &u));
        assert_eq!(of(m.get(&b, 3, &u), 3), fresh(&b, 3, &u));
        assert_eq!(of(m.get(&a, 5, &u), 5), fresh(&a, 5, &u));
        assert_eq!(of(m.get(&a, 3, &u), 3), fresh(&a, 3, &u));
        assert_eq!(m.keys.len(), 3);
        m.next_trial();
        assert_eq!(of(m.get(&a, 3, &v), 3), fresh(&a, 3, &v));
        assert_ne!(fresh(&a, 3, &v), fresh(&a, 3, &u));
    }

    #[test]
    fn fixed_sums_equal_sums_of_to_fixed() {
        let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(9);
        let len = 37;
        let mut sums = FixedSums::new(len);
        let mut baseline = FixedSums::new(len);
        let mut want = vec![0i128; len];
        let mut x = vec![0.0; len];
        for trial in 0..2048 {
            for (i, x) in x.iter_mut().enumerate() {
                *x = match (trial + i) % 5 {
                    0 => 1.0,
                    1 => 0.0,
                    2 => f64::MIN_POSITIVE,
                    _ => crate::dist::open01(rng.next_u64()),
                };
            }
            sums.add(&x);
            baseline.add_any(&x);
            for (w, &x) in want.iter_mut().zip(&x) {
                *w += to_fixed(x);
            }
        }
        for (i, w) in want.iter().enumerate() {
            assert_eq!(sums.total(i), *w, "{i}");
            assert_eq!(baseline.total(i), *w, "{i}");
        }
        sums.clear();
        assert_eq!(sums.total(3), 0);
    }
}
