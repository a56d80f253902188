//! Keyed random streams (MODEL.md section 5). A draw depends only on the seed, the trial
//! number and the name of what is drawn, never on threads, batches, arm order or which
//! other parameters exist.
//!
//! The key of a name is computed once per run: `mix64(seed * GOLDEN ^ mix64(fnv1a(name)))`.
//! A trial's stream for that name is a SplitMix64 generator seeded with
//! `mix64(key ^ mix64(trial + GOLDEN))`: two multiply-xorshift rounds, cheaper than the
//! draw it feeds. SplitMix64 is portable and fixed by its definition.

use rand::SeedableRng;
use rand_xoshiro::SplitMix64;

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function (Stafford's mix 13).
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over the bytes of a name.
fn fnv1a(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// The key of one named stream under one seed.
pub fn key(seed: u64, name: &str) -> u64 {
    mix64(seed.wrapping_mul(GOLDEN) ^ mix64(fnv1a(name)))
}

/// The stream of `key` in trial `trial`.
#[inline]
pub fn stream(key: u64, trial: u64) -> SplitMix64 {
    SplitMix64::seed_from_u64(mix64(key ^ mix64(trial.wrapping_add(GOLDEN))))
}

/// `buf[t] = open01(x_t)` for `t = 1..`, with `x_t` the `t`-th output of
/// [`stream`]`(key, trial)`: the numbers drawn one by one from that stream, computed side by
/// side in the CPU's widest vectors (SplitMix64's `t`-th output is `mix64(s + t * GOLDEN)`
/// for a seed `s`).
pub fn fill_open01(buf: &mut [f64], key: u64, trial: u64) {
    let seed = mix64(key ^ mix64(trial.wrapping_add(GOLDEN)));
    #[cfg(target_arch = "x86_64")]
    match super::simd() {
        // SAFETY: `simd` picks a path only when the CPU has its instructions.
        super::Simd::Avx512 => return unsafe { fill_open01_avx512(buf, seed) },
        // SAFETY: as above, AVX2.
        super::Simd::Avx2 => return unsafe { fill_open01_avx2(buf, seed) },
        super::Simd::Baseline => {}
    }
    fill_open01_any(buf, seed);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
fn fill_open01_avx512(buf: &mut [f64], seed: u64) {
    fill_open01_any(buf, seed);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn fill_open01_avx2(buf: &mut [f64], seed: u64) {
    fill_open01_any(buf, seed);
}

#[inline(always)]
fn fill_open01_any(buf: &mut [f64], seed: u64) {
    // 2^52: an f64 with this exponent holds a 52-bit integer in its mantissa.
    const TWO52: f64 = 4_503_599_627_370_496.0;
    for (t, u) in buf.iter_mut().enumerate().skip(1) {
        let z = mix64(seed.wrapping_add((t as u64).wrapping_mul(GOLDEN)));
        // `(z >> 12) as f64`, exact for a 52-bit integer, written so that it vectorises.
        let m = f64::from_bits((z >> 12) | TWO52.to_bits()) - TWO52;
        *u = (m + 0.5) * (1.0 / TWO52);
    }
}

/// Names of the streams that are not parameters, shared by every arm of a trial.
pub const INCIDENT_STREAM: &str = "month.incidents";
pub const ABANDON_STREAM: &str = "month.abandon";
pub const GATE_STREAM: &str = "gate.z";
/// `U_rev(t)`, whose normal quantile is the review's `Z_rev(t)` (MODEL.md 8.1).
pub const REVIEW_STREAM: &str = "month.review";
/// `U_disc(t)` of the discoveries (MODEL.md 8.2).
pub const DISCOVERY_STREAM: &str = "month.discovery";

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_pinned() {
        // Value-stability: these numbers must never change, or old results stop reproducing.
        let k = key(7, "initiative.upfront_cost");
        let mut s = stream(k, 0);
        let first = s.next_u64();
        let mut again = stream(k, 0);
        assert_eq!(first, again.next_u64());
        assert_eq!(k, key(7, "initiative.upfront_cost"));
        assert_ne!(k, key(8, "initiative.upfront_cost"));
        assert_ne!(k, key(7, "initiative.monthly_cost"));
        assert_eq!(mix64(0), 0);
        assert_eq!(mix64(GOLDEN), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn filled_uniforms_are_the_streams_draws() {
        for (key, trial) in [
            (0, 0),
            (1, 2),
            (u64::MAX, u64::MAX),
            (key(7, "month.abandon"), 12345),
        ] {
            for len in [1, 2, 9, 37, 601] {
                let mut buf = vec![-1.0; len];
                fill_open01(&mut buf, key, trial);
                let mut s = stream(key, trial);
                assert_eq!(buf[0], -1.0);
                for u in &buf[1..] {
                    let want = crate::dist::open01(s.next_u64());
                    assert_eq!(u.to_bits(), want.to_bits(), "{key} {trial} {len}");
                }
                let mut any = vec![-1.0; len];
                fill_open01_any(&mut any, mix64(key ^ mix64(trial.wrapping_add(GOLDEN))));
                assert_eq!(any, buf);
            }
        }
    }
}

/// A keyed bijection of `0..n`: the position of `trial` in a random permutation of the
/// trials, computed for one trial at a time (a balanced Feistel network on the smallest
/// even number of bits that covers `n`, walking the cycle until the result is below `n`).
/// Latin hypercube sampling uses it to give each trial its own stratum without ever
/// holding the permutation.
pub fn permute(key: u64, trial: u64, n: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    let bits = (64 - (n - 1).leading_zeros()).max(2);
    let half = bits.div_ceil(2);
    let mask = (1u64 << half) - 1;
    let mut x = trial;
    loop {
        let (mut left, mut right) = (x >> half, x & mask);
        for round in 0..4u64 {
            let f = mix64(key ^ mix64(right ^ (round << 56))) & mask;
            (left, right) = (right, left ^ f);
        }
        x = (left << half) | right;
        if x < n {
            return x;
        }
    }
}

#[cfg(test)]
mod permute_tests {
    use super::*;

    #[test]
    fn permute_is_a_bijection() {
        for n in [1u64, 2, 3, 7, 100, 1000, 4097] {
            let mut seen = vec![false; n as usize];
            for t in 0..n {
                let p = permute(12345, t, n) as usize;
                assert!(!seen[p], "n={n}: {p} twice");
                seen[p] = true;
            }
        }
        assert_ne!(
            (0..100).map(|t| permute(1, t, 100)).collect::<Vec<_>>(),
            (0..100).collect::<Vec<_>>()
        );
    }
}
