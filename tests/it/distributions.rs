//! Each distribution family against its closed-form mean and quantiles.
//!
//! Tolerances: the sample mean must lie within 4 standard errors (true sd / sqrt(N)) of the
//! true mean; at each true quantile x_p, the share of draws <= x_p must lie within 4
//! binomial standard errors sqrt(p (1 - p) / N) of p. With a fixed seed these are exact
//! checks of the sampler, not flaky ones; 4 SE leaves room for honest noise only.

use alignsim::dist::Dist;
use alignsim::engine::rng;
use statrs::distribution::{Beta, ContinuousCDF, LogNormal, Normal, Triangular, Uniform};

const N: u64 = 200_000;

fn draws(d: &Dist, name: &str) -> Vec<f64> {
    let key = rng::key(11, name);
    (0..N).map(|i| d.sample(&mut rng::stream(key, i))).collect()
}

fn check_mean(xs: &[f64], mean: f64, sd: f64, what: &str) {
    let got = xs.iter().sum::<f64>() / xs.len() as f64;
    let se = sd / (xs.len() as f64).sqrt();
    assert!(
        (got - mean).abs() <= 4.0 * se,
        "{what}: mean {got} vs {mean} (4 SE = {})",
        4.0 * se
    );
}

fn check_quantiles(xs: &[f64], quantile: impl Fn(f64) -> f64, what: &str) {
    for p in [0.05, 0.1, 0.5, 0.9, 0.95] {
        let x = quantile(p);
        let share = xs.iter().filter(|&&v| v <= x).count() as f64 / xs.len() as f64;
        let se = (p * (1.0 - p) / xs.len() as f64).sqrt();
        assert!(
            (share - p).abs() <= 4.0 * se,
            "{what}: P(X <= q{p}) = {share}, want {p} +- {}",
            4.0 * se
        );
    }
}

#[test]
fn uniform() {
    let d = Dist::uniform(2.0, 5.0).unwrap();
    let xs = draws(&d, "u");
    check_mean(&xs, 3.5, 3.0 / 12f64.sqrt(), "uniform");
    let u = Uniform::new(2.0, 5.0).unwrap();
    check_quantiles(&xs, |p| u.inverse_cdf(p), "uniform");
}

#[test]
fn uniform_int() {
    let d = Dist::uniform_int(1.0, 3.0).unwrap();
    let xs = draws(&d, "ui");
    check_mean(&xs, 2.0, (2.0f64 / 3.0).sqrt(), "uniform_int");
    for v in [1.0, 2.0, 3.0] {
        let share = xs.iter().filter(|&&x| x == v).count() as f64 / N as f64;
        let se = (1.0 / 3.0 * 2.0 / 3.0 / N as f64).sqrt();
        assert!(
            (share - 1.0 / 3.0).abs() <= 4.0 * se,
            "P(X = {v}) = {share}"
        );
    }
}

#[test]
fn normal() {
    let d = Dist::normal(10.0, 2.0).unwrap();
    let xs = draws(&d, "n");
    check_mean(&xs, 10.0, 2.0, "normal");
    let n = Normal::new(10.0, 2.0).unwrap();
    check_quantiles(&xs, |p| n.inverse_cdf(p), "normal");
}

#[test]
fn lognormal_all_parametrisations() {
    let specs = [
        ("mu/sigma", Dist::lognormal(0.5, 0.4).unwrap()),
        ("median/p90", Dist::lognormal_median_p90(1.0, 3.0).unwrap()),
        (
            "p10/p90",
            Dist::lognormal_p10_p90(38_000.0, 54_000.0).unwrap(),
        ),
        ("mean/sd", Dist::lognormal_mean_sd(100.0, 30.0).unwrap()),
    ];
    for (what, d) in specs {
        let Dist::LogNormal { mu, sigma } = d else {
            panic!("{what}")
        };
        let xs = draws(&d, what);
        let mean = (mu + sigma * sigma / 2.0).exp();
        let sd = mean * ((sigma * sigma).exp() - 1.0).sqrt();
        check_mean(&xs, mean, sd, what);
        let ln = LogNormal::new(mu, sigma).unwrap();
        check_quantiles(&xs, |p| ln.inverse_cdf(p), what);
    }
    // The percentile parametrisations put their percentiles where asked.
    let d = Dist::lognormal_p10_p90(38_000.0, 54_000.0).unwrap();
    assert!((d.quantile(0.1) - 38_000.0).abs() < 1e-6 && (d.quantile(0.9) - 54_000.0).abs() < 1e-6);
    let d = Dist::lognormal_mean_sd(100.0, 30.0).unwrap();
    let Dist::LogNormal { mu, sigma } = d else {
        panic!()
    };
    let var = ((sigma * sigma).exp() - 1.0) * (2.0 * mu + sigma * sigma).exp();
    assert!((var.sqrt() - 30.0).abs() < 1e-9);
}

#[test]
fn triangular() {
    let d = Dist::triangular(30.0, 80.0, 200.0).unwrap();
    let xs = draws(&d, "t");
    let (a, c, b) = (30.0f64, 80.0f64, 200.0f64);
    let var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0;
    check_mean(&xs, (a + b + c) / 3.0, var.sqrt(), "triangular");
    let t = Triangular::new(a, b, c).unwrap();
    check_quantiles(&xs, |p| t.inverse_cdf(p), "triangular");
}

#[test]
fn pert() {
    let (min, mode, max) = (10_000.0, 16_000.0, 32_000.0);
    let d = Dist::pert(min, mode, max, 4.0).unwrap();
    let xs = draws(&d, "pert");
    let alpha = 1.0 + 4.0 * (mode - min) / (max - min);
    let beta = 1.0 + 4.0 * (max - mode) / (max - min);
    let mean = (min + 4.0 * mode + max) / 6.0;
    let var = alpha * beta / ((alpha + beta).powi(2) * (alpha + beta + 1.0)) * (max - min).powi(2);
    check_mean(&xs, mean, var.sqrt(), "pert");
    let b = Beta::new(alpha, beta).unwrap();
    check_quantiles(&xs, |p| min + (max - min) * b.inverse_cdf(p), "pert");
}

#[test]
fn beta_scaled() {
    let d = Dist::beta(2.0, 5.0, 1.0, 3.0).unwrap();
    let xs = draws(&d, "beta");
    let var = 2.0 * 5.0 / (49.0 * 8.0) * 4.0;
    check_mean(&xs, 1.0 + 2.0 * 2.0 / 7.0, f64::sqrt(var), "beta");
    let b = Beta::new(2.0, 5.0).unwrap();
    check_quantiles(&xs, |p| 1.0 + 2.0 * b.inverse_cdf(p), "beta");
}

#[test]
fn discrete_and_bernoulli() {
    let d = Dist::discrete(vec![0.0, 10.0, 20.0], Some(vec![1.0, 2.0, 1.0])).unwrap();
    let xs = draws(&d, "disc");
    check_mean(&xs, 10.0, 50f64.sqrt(), "discrete");
    let share10 = xs.iter().filter(|&&x| x == 10.0).count() as f64 / N as f64;
    assert!(
        (share10 - 0.5).abs() <= 4.0 * (0.25 / N as f64).sqrt(),
        "P(10) = {share10}"
    );
    let d = Dist::bernoulli(0.3).unwrap();
    let xs = draws(&d, "bern");
    check_mean(&xs, 0.3, 0.21f64.sqrt(), "bernoulli");
    assert!(xs.iter().all(|&x| x == 0.0 || x == 1.0));
}

/// Two-sample Kolmogorov-Smirnov statistic of two sorted samples.
fn ks(a: &[f64], b: &[f64]) -> f64 {
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            i += 1;
        } else {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

#[test]
fn samplers_agree_with_rand_distr_reference_samplers() {
    // KS critical value at the 0.1 % level for two samples of n: 1.949 * sqrt(2 / n).
    use rand::SeedableRng;
    use rand_distr::Distribution;
    let mut reference_rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
    let n = 100_000usize;
    let critical = 1.949 * (2.0 / n as f64).sqrt();
    let pert = rand_distr::Pert::new(10_000.0, 32_000.0)
        .with_mode(16_000.0)
        .unwrap();
    let tri = rand_distr::Triangular::new(30.0, 200.0, 80.0).unwrap();
    let logn = rand_distr::LogNormal::new(0.0, 0.8).unwrap();
    type Reference = Box<dyn Fn(&mut rand_xoshiro::Xoshiro256PlusPlus) -> f64>;
    let cases: [(&str, Dist, Reference); 3] = [
        (
            "pert",
            Dist::pert(10_000.0, 16_000.0, 32_000.0, 4.0).unwrap(),
            Box::new(move |r| pert.sample(r)),
        ),
        (
            "triangular",
            Dist::triangular(30.0, 80.0, 200.0).unwrap(),
            Box::new(move |r| tri.sample(r)),
        ),
        (
            "lognormal",
            Dist::lognormal(0.0, 0.8).unwrap(),
            Box::new(move |r| logn.sample(r)),
        ),
    ];
    for (what, ours, reference) in cases {
        let mut a: Vec<f64> = draws(&ours, what).into_iter().take(n).collect();
        let mut b: Vec<f64> = (0..n).map(|_| reference(&mut reference_rng)).collect();
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        let d = ks(&a, &b);
        assert!(d < critical, "{what}: KS distance {d} >= {critical}");
    }
}
