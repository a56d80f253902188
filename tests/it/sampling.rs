//! Correlated inputs (Gaussian copula) and Latin hypercube sampling.

use alignsim::aggregate;
use alignsim::engine::{Model, Sampling};

use super::{bakery_text, scenario};

fn column(
    sc: &alignsim::scenario::Scenario,
    model: &Model,
    trials: u64,
    path: &str,
    arm: usize,
) -> Vec<f64> {
    let batches = model.run(0..trials, &|_| {});
    let df = aggregate::trials_frame(model, &batches, sc.kpi.is_some()).unwrap();
    let all: Vec<f64> = df
        .column(path)
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect();
    all.into_iter().skip(arm).step_by(model.n_arms()).collect()
}

fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    for (rank, &i) in idx.iter().enumerate() {
        r[i] = rank as f64;
    }
    r
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = a.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

const CORRELATED: &str = r#"
[[correlation]]
between = ["initiative.upfront_cost", "initiative.cost_overrun"]
rho = 0.6

[[correlation]]
params = ["business.monthly_revenue", "business.process_cost", "initiative.incident_rate"]
matrix = [[1, 0.4, -0.3], [0.4, 1, 0], [-0.3, 0, 1]]
"#;

#[test]
fn rank_correlations_are_achieved_and_marginals_kept() {
    let n = 20_000u64;
    let plain = scenario(&bakery_text());
    let corr = scenario(&format!("{}{CORRELATED}", bakery_text()));
    let (mp, mc) = (Model::new(&plain), Model::new(&corr));
    let get = |sc, m, p| column(sc, m, n, p, 0);
    // Tolerance: 4 standard errors of Spearman's rho, (1 - rho^2) / sqrt(n - 3) bounds it.
    for (a, b, rho) in [
        ("initiative.upfront_cost", "initiative.cost_overrun", 0.6),
        ("business.monthly_revenue", "business.process_cost", 0.4),
        ("business.monthly_revenue", "initiative.incident_rate", -0.3),
        ("business.process_cost", "initiative.incident_rate", 0.0),
    ] {
        let got = spearman(&get(&corr, &mc, a), &get(&corr, &mc, b));
        let tol = 4.0 * (1.0 - rho * rho) / ((n - 3) as f64).sqrt();
        assert!(
            (got - rho).abs() < tol,
            "{a} ~ {b}: {got} vs {rho} +- {tol}"
        );
        let base = spearman(&get(&plain, &mp, a), &get(&plain, &mp, b));
        assert!(
            base.abs() < 4.0 / ((n - 3) as f64).sqrt(),
            "uncorrelated {a} ~ {b}: {base}"
        );
    }
    // Marginals: the correlated draws are the same distribution (two-sample KS at 0.1 %).
    for path in [
        "initiative.upfront_cost",
        "initiative.cost_overrun",
        "business.monthly_revenue",
    ] {
        let mut a = get(&plain, &mp, path);
        let mut b = get(&corr, &mc, path);
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        let d = a
            .iter()
            .map(|x| {
                let fa = a.partition_point(|v| v <= x) as f64 / a.len() as f64;
                let fb = b.partition_point(|v| v <= x) as f64 / b.len() as f64;
                (fa - fb).abs()
            })
            .fold(0.0, f64::max);
        assert!(d < 1.949 * (2.0 / n as f64).sqrt(), "{path}: KS {d}");
    }
    // An uncorrelated parameter keeps exactly the same draws.
    assert_eq!(
        get(&plain, &mp, "initiative.adoption_q"),
        get(&corr, &mc, "initiative.adoption_q")
    );
}

#[test]
fn correlated_runs_are_thread_invariant() {
    let sc = scenario(&format!("{}{CORRELATED}", bakery_text()));
    let model = Model::new(&sc);
    let (a, b) = super::on_one_and_two_threads(&model, 5000);
    let (sa, _) = aggregate::aggregate(&sc, &model, &a).unwrap();
    let (sb, _) = aggregate::aggregate(&sc, &model, &b).unwrap();
    assert_eq!(
        serde_json::to_string(&sa).unwrap(),
        serde_json::to_string(&sb).unwrap()
    );
}

#[test]
fn contradictory_correlations_are_an_input_error() {
    let text = format!(
        "{}{}",
        bakery_text(),
        r#"
[[correlation]]
params = ["initiative.upfront_cost", "initiative.cost_overrun", "initiative.monthly_cost"]
matrix = [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]
"#
    );
    let err = alignsim::scenario::parse("c.toml", "c", &text).unwrap_err();
    assert!(
        err.errors[0].message.contains("not positive definite"),
        "{}",
        err
    );
    let fixed = bakery_text()
        + "\n[[correlation]]\nbetween = [\"initiative.adoption_p\", \"initiative.upfront_cost\"]\nrho = 0.5\n";
    let err = alignsim::scenario::parse("c.toml", "c", &fixed).unwrap_err();
    assert!(
        err.errors[0].message.contains("fixed number in every arm"),
        "{}",
        err
    );
}

#[test]
fn latin_hypercube_stratifies_every_input() {
    let sc = scenario(&bakery_text());
    let mut model = Model::new(&sc);
    let n = 1000u64;
    model.sampling = Sampling::LatinHypercube { trials: n };
    let mut per_input = vec![Vec::new(); model.inputs.len()];
    let mut u = vec![0.0; model.inputs.len()];
    for t in 0..n {
        model.input_uniforms(t, &mut u);
        for (k, &x) in u.iter().enumerate() {
            per_input[k].push((x * n as f64).floor() as u64);
        }
    }
    for strata in &mut per_input {
        strata.sort_unstable();
        assert_eq!(
            *strata,
            (0..n).collect::<Vec<_>>(),
            "each stratum used exactly once"
        );
    }
}

#[test]
fn latin_hypercube_lowers_the_standard_error_of_mean_npv() {
    // 24 independent replications (seeds) of 2,000 trials each way: the spread of the
    // replication means estimates each method's standard error of the mean.
    let text = bakery_text();
    let spread = |lhs: bool| -> f64 {
        let means: Vec<f64> = (0..24u64)
            .map(|seed| {
                let sc = scenario(&text.replace("seed = 7", &format!("seed = {}", 1000 + seed)));
                let mut model = Model::new(&sc);
                if lhs {
                    model.sampling = Sampling::LatinHypercube { trials: 2000 };
                }
                let batches = model.run(0..2000, &|_| {});
                let npv: Vec<f64> = batches
                    .iter()
                    .flat_map(|b| b.outcomes.iter().step_by(2).map(|o| o.npv))
                    .collect();
                npv.iter().sum::<f64>() / npv.len() as f64
            })
            .collect();
        let m = means.iter().sum::<f64>() / means.len() as f64;
        (means.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (means.len() - 1) as f64).sqrt()
    };
    let (mc, lhs) = (spread(false), spread(true));
    // With 24 replications an F-test at the 1 % level needs a variance ratio above 2.7.
    assert!(
        mc * mc > 2.7 * lhs * lhs,
        "standard error of mean npv: MC {mc}, LHS {lhs}"
    );
}

/// The summary of `trials` trials of the bakery with seed `seed`, by Latin hypercube or not.
fn bakery_summary(seed: u64, trials: u64, lhs: bool) -> alignsim::stats::Summary {
    let sc = scenario(&bakery_text().replace("seed = 7", &format!("seed = {seed}")));
    let mut model = Model::new(&sc);
    if lhs {
        model.sampling = Sampling::LatinHypercube { trials };
    }
    let mut acc = aggregate::Accumulator::new(&model, sc.kpi.is_some());
    for b in model.run(0..trials, &|_| {}) {
        acc.push(&b);
    }
    acc.finish(&sc).unwrap().0
}

#[test]
fn latin_hypercube_standard_error_matches_the_spread_of_its_means() {
    // 16 seeds of 2,000 trials: the spread of the mean NPVs is the standard error that
    // each run's slices estimate. With 16 seeds that spread is itself known to about
    // +-18 % (one standard error), so the slices' average estimate must lie within
    // a factor 0.6 .. 1.6 of it: below would understate the noise, above would waste it.
    let runs: Vec<_> = (0..16u64)
        .map(|s| bakery_summary(2000 + s, 2000, true))
        .collect();
    let means: Vec<f64> = runs.iter().map(|r| r.arms[0].npv.mean.unwrap()).collect();
    let m = means.iter().sum::<f64>() / means.len() as f64;
    let spread = (means.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 15.0).sqrt();
    let reported = runs.iter().map(|r| r.arms[0].npv.se.unwrap()).sum::<f64>() / 16.0;
    let ratio = reported / spread;
    assert!(
        (0.6..1.6).contains(&ratio),
        "sliced se {reported} against the spread of the means {spread}"
    );
    // On this smooth case the honest se is well below the plain Monte Carlo formula.
    let plain = runs
        .iter()
        .map(|r| r.arms[0].npv.sd.unwrap() / 2000f64.sqrt())
        .sum::<f64>()
        / 16.0;
    assert!(reported < 0.8 * plain, "sliced {reported}, plain {plain}");
    let method = runs[0].standard_errors.as_ref().unwrap();
    assert_eq!((method.method.as_str(), method.slices), ("sliced_lhs", 20));
    assert!(bakery_summary(2000, 2000, false).standard_errors.is_none());
}

#[test]
fn latin_hypercube_slices_are_hypercubes_of_their_own() {
    // 1,003 trials in 20 slices: slices 0..3 hold 51 trials, the others 50; every slice
    // takes each coarse stratum (20 fine strata wide) once.
    let sc = scenario(&bakery_text());
    let mut model = Model::new(&sc);
    let n = 1003u64;
    model.sampling = Sampling::LatinHypercube { trials: n };
    assert_eq!(model.sampling.slices(), 20);
    let mut u = vec![0.0; model.inputs.len()];
    let mut coarse = vec![vec![Vec::new(); 20]; model.inputs.len()];
    for t in 0..n {
        model.input_uniforms(t, &mut u);
        for (k, &x) in u.iter().enumerate() {
            coarse[k][(t % 20) as usize].push((x * n as f64).floor() as u64 / 20);
        }
    }
    for slices in &mut coarse {
        for (s, c) in slices.iter_mut().enumerate() {
            c.sort_unstable();
            let len = if s < 3 { 51 } else { 50 };
            assert_eq!(*c, (0..len).collect::<Vec<_>>(), "slice {s}");
        }
    }
}
