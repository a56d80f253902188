//! Special functions the samplers need: the standard normal quantile (Wichura's AS241,
//! about 16 significant digits) and the Poisson inverse CDF of MODEL.md section 3.

// The AS241 coefficients are quoted with all the digits Wichura published.
#![allow(clippy::excessive_precision)]

/// Numerator and denominator coefficients of AS241 (PPND16), lowest degree first, verbatim
/// from Wichura (1988): more digits than an f64 holds, kept so they can be checked.
const A: [f64; 8] = [
    3.387_132_872_796_366_608,
    1.331_416_678_917_843_774_5e2,
    1.971_590_950_306_551_442_7e3,
    1.373_169_376_550_946_112_5e4,
    4.592_195_393_154_987_145_7e4,
    6.726_577_092_700_870_085_3e4,
    3.343_057_558_358_812_810_5e4,
    2.509_080_928_730_122_672_7e3,
];
const B: [f64; 8] = [
    1.0,
    4.231_333_070_160_091_125_2e1,
    6.871_870_074_920_579_083e2,
    5.394_196_021_424_751_107_7e3,
    2.121_379_430_158_659_586_7e4,
    3.930_789_580_009_271_061e4,
    2.872_908_573_572_194_267_4e4,
    5.226_495_278_852_854_561e3,
];
const C: [f64; 8] = [
    1.423_437_110_749_683_577_34,
    4.630_337_846_156_545_295_9,
    5.769_497_221_460_691_405_5,
    3.647_848_324_763_204_605_04,
    1.270_458_252_452_368_382_58,
    2.417_807_251_774_506_117_7e-1,
    2.272_384_498_926_918_458_33e-2,
    7.745_450_142_783_414_076_4e-4,
];
const D: [f64; 8] = [
    1.0,
    2.053_191_626_637_758_821_87,
    1.676_384_830_183_803_849_4,
    6.897_673_349_851_000_045_5e-1,
    1.481_039_764_274_800_745_9e-1,
    1.519_866_656_361_645_719_66e-2,
    5.475_938_084_995_344_946e-4,
    1.050_750_071_644_416_843_24e-9,
];
const E: [f64; 8] = [
    6.657_904_643_501_103_777_2,
    5.463_784_911_164_114_369_9,
    1.784_826_539_917_291_335_8,
    2.965_605_718_285_048_912_3e-1,
    2.653_218_952_657_612_309_3e-2,
    1.242_660_947_388_078_438_6e-3,
    2.711_555_568_743_487_578_15e-5,
    2.010_334_399_292_288_132_65e-7,
];
const F: [f64; 8] = [
    1.0,
    5.998_322_065_558_879_376_9e-1,
    1.369_298_809_227_358_053_1e-1,
    1.487_536_129_085_061_485_25e-2,
    7.868_691_311_456_132_591e-4,
    1.846_318_317_510_054_681_8e-5,
    1.421_511_758_316_445_888_7e-7,
    2.044_263_103_389_939_785_64e-15,
];

#[inline]
fn poly(c: &[f64; 8], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &k| acc * x + k)
}

/// The standard normal quantile: the z with `Phi(z) = p`, for `p` in (0, 1).
/// Returns minus or plus infinity at 0 and 1.
#[inline]
pub fn norm_inv(p: f64) -> f64 {
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    if tail <= 0.0 {
        return if q < 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    let r = (-tail.ln()).sqrt();
    let z = if r <= 5.0 {
        let r = r - 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        let r = r - 5.0;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 { -z } else { z }
}

/// `x.round()` (half away from zero, MODEL.md section 2) to the bit, sign of zero
/// included, inline: without SSE4.1 in the baseline target, `f64::round` is a call into a
/// software routine, and the engine rounds in every trial.
#[inline(always)]
pub fn round_half_away(x: f64) -> f64 {
    // From 2^52 on every f64 is a whole number (and NaN and the infinities stay as they are).
    if x.is_nan() || x.abs() >= 4_503_599_627_370_496.0 {
        return x;
    }
    let t = x as i64 as f64; // toward zero
    // The fraction x - t is exact: both have the same sign and t is x's integer part.
    let d = x - t;
    let r = if d >= 0.5 {
        t + 1.0
    } else if d <= -0.5 {
        t - 1.0
    } else {
        t
    };
    r.copysign(x)
}

/// Largest mean inverted exactly: a million incidents a month, far beyond any business.
/// Above it the sums below would take more than about 10,000 steps (and, past 2^53, could
/// no longer count in f64), so the Cornish-Fisher expansion is used instead.
pub const POISSON_EXACT_MAX: f64 = 1e6;

/// Largest count returned: the engine raises `1 - chi` to this power as an `i32`.
pub const POISSON_MAX_COUNT: u32 = i32::MAX as u32;

/// `1 / n` for `n < 64` (index 0 unused).
const RECIPROCALS: [f64; 64] = {
    let mut r = [0.0; 64];
    let mut n = 1;
    while n < 64 {
        r[n] = 1.0 / n as f64;
        n += 1;
    }
    r
};

/// `PoissonInverseCdf(u, mu)`: the smallest integer `n >= 0` with
/// `P(Poisson(mu) <= n) >= u` (MODEL.md section 3), as the sums of `poisson_inv_exact`
/// decide it. Small means (the engine's common case) first try [`poisson_terms`], the same
/// sums without a branch per term.
#[inline(always)]
pub fn poisson_inv(u: f64, mu: f64) -> u32 {
    if mu <= FAST_MAX_MEAN {
        let n = poisson_terms::<FAST_TERMS>(u, mu);
        if n != UNDECIDED {
            return n;
        }
    }
    poisson_inv_exact(u, mu)
}

/// Largest mean [`poisson_inv`] tries [`poisson_terms`] for: up to it, the answer is nearly
/// always below [`FAST_TERMS`] (at this mean, 19 draws in 20).
const FAST_MAX_MEAN: f64 = 4.0;

/// Terms of the Poisson sum that [`poisson_inv`] tries first.
const FAST_TERMS: usize = 8;

/// What [`poisson_terms`] returns when its terms do not decide the answer.
pub const UNDECIDED: u32 = u32::MAX;

/// Largest mean [`poisson_terms`] takes on.
pub const TERMS_MAX_MEAN: f64 = 40.0;

/// [`poisson_inv`]`(u, mu)` when the first `K` partial sums decide it, else [`UNDECIDED`]:
/// straight-line code, with neither a branch nor a call, that the compiler vectorises over
/// many `(u, mu)` at once (the engine's months).
///
/// It sums the same terms as the exact loop, all `K` of them whatever `u`, and counts the
/// partial sums below `u`. The sums start from `exp_neg`, within 5e-9 (`EXP_NEG_ERROR`) of
/// the libm `exp(-mu)` the exact loop starts from, so every partial sum is within about
/// that much of the exact loop's (both then round the same products and sums). When none
/// lies within 1e-7 (`MARGIN`, relative) of `u` and the count is below `K`, each comparison
/// with `u` comes out as in the exact loop, whose early stop cannot apply either (it needs
/// the remaining terms to be below `u`'s rounding, so two partial sums within a few hundred
/// ulps of `u`): the count is the exact loop's answer to the bit. Otherwise (a sum too
/// close to call, about once in ten million, or an answer of `K` or more) the caller asks
/// [`poisson_inv`].
#[inline(always)]
pub fn poisson_terms<const K: usize>(u: f64, mu: f64) -> u32 {
    let (lo, hi) = (u * (1.0 - MARGIN), u * (1.0 + MARGIN));
    let mut p = exp_neg(mu);
    let mut cdf = p;
    let mut steps = u32::from(cdf < u);
    let mut close = (cdf >= lo) & (cdf <= hi);
    for r in &RECIPROCALS[1..K] {
        p *= mu * r;
        cdf += p;
        steps += u32::from(cdf < u);
        close |= (cdf >= lo) & (cdf <= hi);
    }
    let decided = (mu > 0.0) & (mu <= TERMS_MAX_MEAN) & (u > 0.0) & (steps < K as u32) & !close;
    if decided { steps } else { UNDECIDED }
}

/// Relative distance from `u` within which a partial sum of [`poisson_terms`] is too close
/// to call: twenty times the error of [`exp_neg`].
const MARGIN: f64 = 20.0 * EXP_NEG_ERROR;

/// Bound on the relative error of [`exp_neg`] on `[0, TERMS_MAX_MEAN]`.
const EXP_NEG_ERROR: f64 = 5e-9;

/// `exp(-mu)` for `0 <= mu <= TERMS_MAX_MEAN`, within [`EXP_NEG_ERROR`] (relative), with
/// neither a branch nor a call: `2^-k exp(r)` with `k` the integer nearest `mu / ln 2`, so
/// that `|r| <= ln(2) / 2`, and `exp(r)` by its Taylor polynomial of degree 8 (truncation
/// below `0.35^9 / 9! < 2e-10`). Outside that range the result is meaningless.
#[inline(always)]
fn exp_neg(mu: f64) -> f64 {
    // Adding 1.5 * 2^52 rounds mu / ln 2 to an integer k held in the low bits.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let shifted = mu * std::f64::consts::LOG2_E + ROUND;
    let k = shifted - ROUND;
    let r = k * std::f64::consts::LN_2 - mu;
    let r2 = r * r;
    let r4 = r2 * r2;
    // Estrin's scheme: four independent pairs, then two levels.
    let c01 = 1.0 + r;
    let c23 = INV_FACT[2] + r * INV_FACT[3];
    let c45 = INV_FACT[4] + r * INV_FACT[5];
    let c67 = INV_FACT[6] + r * INV_FACT[7];
    let poly = (c01 + r2 * c23) + r4 * ((c45 + r2 * c67) + r4 * INV_FACT[8]);
    // 2^-k from its exponent bits (k < 2^11 sits in the low bits of `shifted`).
    let k_bits = shifted.to_bits() & 0x7ff;
    poly * f64::from_bits((1023u64.wrapping_sub(k_bits)) << 52)
}

/// `1 / n!` for `n <= 8`.
const INV_FACT: [f64; 9] = {
    let mut f = [1.0; 9];
    let mut n = 1;
    while n < 9 {
        f[n] = f[n - 1] / n as f64;
        n += 1;
    }
    f
};

/// [`poisson_inv`] by summing the probabilities upwards from zero, up to `mu = 600`. Above
/// that `exp(-mu)` would underflow, so the walk starts at the mode with the mode's
/// probability computed in log space and sums outward, which stays exact to rounding; it
/// takes at most about `9 sqrt(mu)` steps (900 at `mu = 10,000`). Above
/// [`POISSON_EXACT_MAX`] the quantile comes from the Cornish-Fisher expansion, within about
/// `1 / sqrt(mu)` < 0.001 of a count of the exact one, and counts are held at
/// [`POISSON_MAX_COUNT`]. A mean that is not a positive number (0, NaN) gives 0.
#[inline(always)]
fn poisson_inv_exact(u: f64, mu: f64) -> u32 {
    // The common case (a small positive mean) stays inline in the engine's monthly loop.
    if mu > 0.0 && mu <= 600.0 && u > 0.0 {
        let mut p = (-mu).exp();
        let mut cdf = p;
        let mut n = 0u32;
        while cdf < u {
            n += 1;
            // Multiplying by a tabulated 1/n keeps the division off the loop's critical path.
            p *= mu
                * RECIPROCALS
                    .get(n as usize)
                    .copied()
                    .unwrap_or(1.0 / f64::from(n));
            cdf += p;
            // Past the mode, a term below the cdf's rounding can no longer raise it: rounding
            // has left cdf a hair below a u this close to 1, and n is the answer.
            if p <= cdf * f64::EPSILON && f64::from(n) > mu {
                break;
            }
        }
        return n;
    }
    poisson_inv_other(u, mu)
}

/// [`poisson_inv`] outside the common case: no draw, or a large mean.
#[cold]
#[inline(never)]
fn poisson_inv_other(u: f64, mu: f64) -> u32 {
    if mu.is_nan() || mu <= 0.0 || u <= 0.0 {
        return 0;
    }
    if mu > POISSON_EXACT_MAX {
        return poisson_inv_cornish_fisher(u, mu);
    }
    poisson_inv_large(u, mu)
}

/// Large-mean branch of [`poisson_inv`]: the CDF at the mode by summing the probabilities
/// below it (they fall off geometrically, so the sum stops after a few hundred terms), then a
/// walk from the mode in the direction of `u`.
fn poisson_inv_large(u: f64, mu: f64) -> u32 {
    let mode = mu.floor();
    let log_pmf_mode = -mu + mode * mu.ln() - ln_factorial(mode);
    let pmf_mode = log_pmf_mode.exp();
    // CDF at the mode: sum pmf(mode), pmf(mode - 1), ... until the terms vanish.
    let mut cdf_mode = pmf_mode;
    let mut p = pmf_mode;
    let mut k = mode;
    while k > 0.0 {
        p *= k / mu;
        k -= 1.0;
        cdf_mode += p;
        if p < cdf_mode * 1e-17 {
            break;
        }
    }
    if u <= cdf_mode {
        // Walk down: the answer is the smallest n whose cdf still reaches u.
        let mut cdf = cdf_mode;
        let mut p = pmf_mode;
        let mut n = mode;
        while n > 0.0 {
            let below = cdf - p;
            if below < u {
                break;
            }
            cdf = below;
            p *= n / mu;
            n -= 1.0;
        }
        n as u32
    } else {
        let mut cdf = cdf_mode;
        let mut p = pmf_mode;
        let mut n = mode;
        let cap = mu + 40.0 * mu.sqrt() + 40.0;
        while cdf < u && n < cap {
            n += 1.0;
            p *= mu / n;
            cdf += p;
        }
        n as u32
    }
}

/// The Poisson quantile for a huge mean from the Cornish-Fisher expansion of the
/// standardised Poisson (skewness `1/sqrt(mu)`, excess kurtosis `1/mu`) with a continuity
/// correction; the terms left out are of order `mu^(-3/2)` in standard units.
fn poisson_inv_cornish_fisher(u: f64, mu: f64) -> u32 {
    let z = norm_inv(u.min(1.0));
    let (g1, g2) = (1.0 / mu.sqrt(), 1.0 / mu);
    let w = z + g1 * (z * z - 1.0) / 6.0 + g2 * (z * z * z - 3.0 * z) / 24.0
        - g1 * g1 * (2.0 * z * z * z - 5.0 * z) / 36.0;
    let n = (mu + mu.sqrt() * w - 0.5).ceil();
    if n.is_nan() || n >= f64::from(POISSON_MAX_COUNT) {
        POISSON_MAX_COUNT
    } else {
        n.max(0.0) as u32
    }
}

/// `ln(n!)` for a whole number `n >= 0`: Stirling's series, exact to rounding above 20,
/// and the plain product below.
fn ln_factorial(n: f64) -> f64 {
    if n < 20.0 {
        let mut acc = 1.0f64;
        let mut k = 2.0;
        while k <= n {
            acc *= k;
            k += 1.0;
        }
        return acc.ln();
    }
    let x = n + 1.0;
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    (x - 0.5) * x.ln() - x
        + 0.5 * (2.0 * std::f64::consts::PI).ln()
        + inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 / 1680.0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn normal_quantile_reference_values() {
        let cases = [
            (0.5, 0.0),
            (0.975, 1.959_963_984_540_054),
            (0.025, -1.959_963_984_540_054),
            (0.9, 1.281_551_565_544_600_4),
            (0.841_344_746_068_542_9, 1.0),
            (1e-10, -6.361_340_902_404_056),
        ];
        for (p, want) in cases {
            let got = norm_inv(p);
            assert!(
                (got - want).abs() <= 1e-13 * want.abs().max(1.0),
                "p={p}: {got} vs {want}"
            );
        }
        assert_eq!(norm_inv(0.0), f64::NEG_INFINITY);
        assert_eq!(norm_inv(1.0), f64::INFINITY);
    }

    #[test]
    fn poisson_inverse_matches_cumulative_sums() {
        // mu = 2: cdf(0) = 0.1353, cdf(1) = 0.4060, cdf(2) = 0.6767, cdf(3) = 0.8571
        assert_eq!(poisson_inv(0.1, 2.0), 0);
        assert_eq!(poisson_inv(0.2, 2.0), 1);
        assert_eq!(poisson_inv(0.5, 2.0), 2);
        assert_eq!(poisson_inv(0.8, 2.0), 3);
        assert_eq!(poisson_inv(0.5, 0.0), 0);
    }

    #[test]
    fn round_half_away_is_f64_round_to_the_bit() {
        use std::hint::black_box;
        let mut xs = vec![
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            -1.5,
            2.5,
            0.499_999_999_999_999_94,
            -0.499_999_999_999_999_94,
            4_503_599_627_370_495.5,
            -4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9e18,
            1e300,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for i in -4000..4000 {
            let x = f64::from(i) * 0.25;
            xs.extend([x, x.next_up(), x.next_down()]);
        }
        let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(3);
        for _ in 0..200_000 {
            let u = crate::dist::open01(rng.next_u64());
            xs.extend([(u - 0.5) * 100.0, f64::from_bits(rng.next_u64())]);
        }
        for x in xs.into_iter().filter(|x| !x.is_nan()) {
            let want = black_box(x).round();
            assert_eq!(round_half_away(x).to_bits(), want.to_bits(), "{x}");
        }
        assert!(round_half_away(f64::NAN).is_nan());
    }

    #[test]
    fn exp_neg_is_within_its_stated_error() {
        let mut worst = 0.0f64;
        let mut check = |mu: f64| {
            let rel = (exp_neg(mu) / (-mu).exp() - 1.0).abs();
            worst = worst.max(rel);
        };
        for i in 0..=1_000_000u32 {
            check(f64::from(i) * TERMS_MAX_MEAN / 1e6);
        }
        for mu in [f64::MIN_POSITIVE, 1e-300, 1e-12, TERMS_MAX_MEAN] {
            check(mu);
        }
        assert!(worst <= EXP_NEG_ERROR, "worst relative error {worst:e}");
    }

    /// `poisson_terms::<K>` against the exact loop: equal whenever it decides.
    fn check_terms<const K: usize>(max_mean: f64) {
        let mut decided = 0u64;
        let mut checked = 0u64;
        let mut check = |u: f64, mu: f64| {
            let n = poisson_terms::<K>(u, mu);
            if n != UNDECIDED {
                assert_eq!(n, poisson_inv_exact(u, mu), "K={K} mu={mu} u={u}");
                decided += 1;
            }
            checked += 1;
        };
        // Means on a grid, with u on a grid and right at, around and just outside the
        // margin of each exact partial sum.
        for i in 1..=1_000u32 {
            let mu = f64::from(i) * 1e-3 * max_mean;
            let (mut p, mut cdf) = ((-mu).exp(), (-mu).exp());
            for r in &RECIPROCALS[1..=K + 2] {
                let margin = [0.9, -0.9, 1.1, -1.1].map(|k| cdf * (1.0 + k * MARGIN));
                for v in around(cdf).into_iter().chain(margin) {
                    check(v.min(1.0 - f64::EPSILON / 2.0), mu);
                }
                p *= mu * r;
                cdf += p;
            }
            for j in 1..100 {
                check(f64::from(j) / 100.0, mu);
            }
            for u in [
                1e-300,
                f64::EPSILON,
                1.0 - f64::EPSILON / 2.0,
                1.0,
                1.5,
                0.0,
            ] {
                check(u, mu);
            }
        }
        // Random pairs: nearly all are decided while the answer is below K.
        let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(K as u64);
        let (mut below_k, mut decided_below_k) = (0u64, 0u64);
        for _ in 0..1_000_000 {
            let mu = crate::dist::open01(rng.next_u64()) * max_mean;
            let u = crate::dist::open01(rng.next_u64());
            let n = poisson_terms::<K>(u, mu);
            let exact = poisson_inv_exact(u, mu);
            if n != UNDECIDED {
                assert_eq!(n, exact, "K={K} mu={mu} u={u}");
            }
            if (exact as usize) < K {
                below_k += 1;
                decided_below_k += u64::from(n != UNDECIDED);
            }
        }
        assert!(
            below_k - decided_below_k <= 20,
            "{below_k} {decided_below_k}"
        );
        // Outside its range it never answers.
        for mu in [
            0.0,
            -1.0,
            f64::NAN,
            TERMS_MAX_MEAN.next_up(),
            1e6,
            f64::INFINITY,
        ] {
            assert_eq!(poisson_terms::<K>(0.5, mu), UNDECIDED, "{mu}");
        }
        assert!(decided > 0 && checked > 100_000);
    }

    #[test]
    fn poisson_terms_gives_the_exact_answer_or_none() {
        check_terms::<8>(4.0);
        check_terms::<16>(10.0);
        check_terms::<24>(16.0);
        check_terms::<48>(TERMS_MAX_MEAN);
    }

    /// Uniforms right at, one ulp either side of, and 5e-10 either side of a partial sum.
    fn around(cdf: f64) -> [f64; 5] {
        [
            cdf,
            cdf.next_up(),
            cdf.next_down(),
            cdf + 5e-10,
            cdf - 5e-10,
        ]
    }

    #[test]
    fn poisson_fast_path_gives_the_exact_answer() {
        // Every small mean on a grid, with u on a grid and u right at, just below and just
        // above each exact partial sum.
        let mut checked = 0u64;
        for i in 1..=4_000u32 {
            let mu = f64::from(i) * 1e-3 * FAST_MAX_MEAN / 4.0;
            let mut us: Vec<f64> = (1..200).map(|j| f64::from(j) / 200.0).collect();
            let (mut p, mut cdf) = ((-mu).exp(), (-mu).exp());
            for r in &RECIPROCALS[1..=12] {
                us.extend(around(cdf).map(|v| v.min(1.0 - f64::EPSILON / 2.0)));
                p *= mu * r;
                cdf += p;
            }
            us.extend([1e-300, f64::EPSILON, 1.0 - f64::EPSILON / 2.0, 1.0, 1.5]);
            for u in us {
                assert_eq!(
                    poisson_inv(u, mu),
                    poisson_inv_exact(u, mu),
                    "mu={mu} u={u}"
                );
                checked += 1;
            }
        }
        assert!(checked > 1_000_000);
        // Random means and uniforms, including means just past the fast path's range.
        let mut rng = rand_xoshiro::SplitMix64::seed_from_u64(11);
        for _ in 0..2_000_000 {
            let mu = crate::dist::open01(rng.next_u64()) * FAST_MAX_MEAN * 1.2;
            let u = crate::dist::open01(rng.next_u64());
            assert_eq!(
                poisson_inv(u, mu),
                poisson_inv_exact(u, mu),
                "mu={mu} u={u}"
            );
        }
        // The exact loop's early stop, which decides when the sums stall just below a u
        // this close to 1.
        for i in 1..=200_000u32 {
            let mu = f64::from(i) * 2.5e-6;
            for u in [1.0 - f64::EPSILON / 2.0, 1.0 - f64::EPSILON, 1.0] {
                assert_eq!(
                    poisson_inv(u, mu),
                    poisson_inv_exact(u, mu),
                    "mu={mu} u={u}"
                );
            }
        }
        for mu in [1e-300, 1e-20, 1e-9, f64::MIN_POSITIVE] {
            for u in [0.5, 1.0 - 1e-12, 1.0 - f64::EPSILON / 2.0] {
                assert_eq!(poisson_inv(u, mu), poisson_inv_exact(u, mu), "mu={mu}");
            }
        }
    }

    #[test]
    fn poisson_large_mean_is_continuous_with_small_branch() {
        // Both branches must agree where they meet.
        for &u in &[0.001, 0.1, 0.5, 0.9, 0.999] {
            let a = poisson_inv(u, 600.0);
            let b = poisson_inv_large(u, 600.0);
            assert_eq!(a, b, "u={u}");
        }
        let median = poisson_inv(0.5, 10_000.0);
        assert!((9_990..=10_010).contains(&median), "{median}");
    }

    /// The reference: the smallest n with `sum_{k<=n} exp(-mu + k ln mu - ln k!)` >= u,
    /// every term computed on its own in log space (no recurrence, no underflow issue:
    /// terms far below the mode are 0 and do not matter).
    fn reference_quantile(u: f64, mu: f64) -> u32 {
        let mut cdf = 0.0;
        let mut n = 0u32;
        loop {
            let k = f64::from(n);
            let ln_fact = statrs::function::gamma::ln_gamma(k + 1.0);
            cdf += (-mu + k * mu.ln() - ln_fact).exp();
            if cdf >= u {
                return n;
            }
            n += 1;
        }
    }

    #[test]
    fn poisson_inverse_is_exact_for_small_and_large_means() {
        let us = [
            1e-9, 0.001, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999, 0.999_999,
        ];
        for mu in [0.5, 50.0, 700.0, 5000.0, 10_000.0] {
            for &u in &us {
                assert_eq!(
                    poisson_inv(u, mu),
                    reference_quantile(u, mu),
                    "mu={mu} u={u}"
                );
            }
        }
    }

    #[test]
    fn poisson_inverse_is_exact_across_the_branches() {
        // Just below and above the switch to the mode walk, and near the exact maximum.
        for mu in [599.9, 600.1, 123_456.7] {
            for u in [0.02, 0.5, 0.98] {
                assert_eq!(
                    poisson_inv(u, mu),
                    reference_quantile(u, mu),
                    "mu={mu} u={u}"
                );
            }
        }
    }

    #[test]
    fn poisson_inverse_of_huge_means_is_close_and_bounded() {
        // Cornish-Fisher against the exact walk just above the switch: within one count.
        for u in [0.001, 0.2, 0.5, 0.8, 0.999] {
            let mu = POISSON_EXACT_MAX * 1.000_001;
            let approx = poisson_inv_cornish_fisher(u, mu);
            let exact = poisson_inv_large(u, mu);
            assert!(approx.abs_diff(exact) <= 1, "u={u}: {approx} vs {exact}");
        }
        assert_eq!(poisson_inv(0.5, 1e300), POISSON_MAX_COUNT);
        assert_eq!(poisson_inv(0.5, f64::INFINITY), POISSON_MAX_COUNT);
        assert_eq!(poisson_inv(0.5, f64::NAN), 0);
        let n = poisson_inv(0.5, 1e9);
        assert!(n.abs_diff(1_000_000_000) <= 1, "{n}");
        assert!(poisson_inv(0.999_999, 1e9) > poisson_inv(0.000_001, 1e9));
    }

    #[test]
    fn poisson_inverse_is_fast_for_ten_thousand_incidents() {
        // About 1,000 steps a call: 20,000 calls take milliseconds. The bound is 100 times that.
        let start = std::time::Instant::now();
        let mut total = 0u64;
        for i in 0..20_000u32 {
            let u = (f64::from(i) + 0.5) / 20_000.0;
            total += u64::from(poisson_inv(u, 10_000.0));
            total += u64::from(poisson_inv(u, 1e12));
        }
        assert!(start.elapsed().as_secs_f64() < 5.0, "{:?}", start.elapsed());
        assert!(total > 0);
    }

    #[test]
    fn ln_factorial_matches_product() {
        let exact: f64 = (1..=30).map(|k| (k as f64).ln()).sum();
        assert!((ln_factorial(30.0) - exact).abs() < 1e-10);
    }
}

/// The standard normal CDF `Phi(x)`.
#[inline]
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2)
}

#[cfg(test)]
mod cdf_tests {
    use super::*;

    #[test]
    fn cdf_inverts_the_quantile() {
        for p in [1e-9, 0.01, 0.3, 0.5, 0.77, 0.999] {
            assert!(
                (norm_cdf(norm_inv(p)) - p).abs() <= 1e-10 * p,
                "{p}: {}",
                norm_cdf(norm_inv(p))
            );
        }
    }
}
