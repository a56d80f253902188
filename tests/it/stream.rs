//! The streamed (sketch) aggregation of big runs: the same figures as the exact path,
//! within the error bound it states, independent of threads and of shards.

use super::{alignsim, bakery_path as bakery};
use alignsim::aggregate;
use alignsim::engine::{Batch, Model};
use alignsim::stats::{Stats, Summary};
use alignsim::stream::{Stream, TrialsOut};

const TRIALS: u64 = 30_000;

fn streamed(model: &Model, sc: &alignsim::scenario::Scenario, batches: &[Batch]) -> Summary {
    let mut s = Stream::new(model, sc.kpi.is_some(), TrialsOut::Skip, false);
    for b in batches {
        s.push(b.clone());
    }
    s.finish(sc).unwrap().0
}

/// The two order statistics a linear-interpolation quantile lies between.
fn brackets(mut xs: Vec<f64>, q: f64) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    let pos = q * (xs.len() - 1) as f64;
    (xs[pos.floor() as usize], xs[pos.ceil() as usize])
}

/// Checks every percentile of `got` against `want` with the sketch's bound: within
/// `eps` times the larger magnitude of the two order statistics it interpolates.
fn check_stats(what: &str, got: &Stats, want: &Stats, values: &[f64], eps: f64) {
    let close = |a: Option<f64>, b: Option<f64>, name: &str| {
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1.0),
            "{what}.{name}: {a} vs {b}"
        );
    };
    close(got.mean, want.mean, "mean");
    close(got.sd, want.sd, "sd");
    close(got.se, want.se, "se");
    let pairs = [
        (got.p5, want.p5, 0.05),
        (got.p10, want.p10, 0.10),
        (got.p25, want.p25, 0.25),
        (got.p50, want.p50, 0.50),
        (got.p75, want.p75, 0.75),
        (got.p90, want.p90, 0.90),
        (got.p95, want.p95, 0.95),
    ];
    for (g, w, q) in pairs {
        let (lo, hi) = brackets(values.to_vec(), q);
        let bound = eps * lo.abs().max(hi.abs());
        let (g, w) = (g.unwrap(), w.unwrap());
        assert!(
            (g - w).abs() <= bound * (1.0 + 1e-9),
            "{what} p{}: sketch {g} vs exact {w}, bound {bound}",
            q * 100.0
        );
    }
}

#[test]
fn sketched_summary_matches_the_exact_one_within_its_stated_bound() {
    let sc = super::scenario(&super::bakery_text());
    let (model, batches) = super::simulate(&sc, TRIALS);
    let (exact, frames) = aggregate::aggregate(&sc, &model, &batches).unwrap();
    let sketch = streamed(&model, &sc, &batches);
    assert_eq!(exact.quantiles.method, "exact");
    assert_eq!(sketch.quantiles.method, "sketch");
    let eps = sketch.quantiles.relative_error.unwrap();
    assert_eq!(eps, 2f64.powi(-13));
    let n_arms = model.n_arms();
    for (ai, (g, w)) in sketch.arms.iter().zip(&exact.arms).enumerate() {
        let column = |f: fn(&alignsim::engine::trial::Outcome) -> f64| -> Vec<f64> {
            batches
                .iter()
                .flat_map(|b| b.outcomes_of(ai))
                .map(f)
                .filter(|x| x.is_finite())
                .collect()
        };
        let npv = column(|o| o.npv);
        check_stats("npv", &g.npv, &w.npv, &npv, eps);
        check_stats("roi", &g.roi, &w.roi, &column(|o| o.roi), eps);
        check_stats("net", &g.net, &w.net, &column(|o| o.net), eps);
        // Counts are exact.
        assert_eq!(g.p_roi_negative, w.p_roi_negative);
        assert_eq!(g.p_npv_negative, w.p_npv_negative);
        assert_eq!(g.p_payback, w.p_payback);
        assert_eq!(g.p_dropped, w.p_dropped);
        assert_eq!(g.payback_median, w.payback_median);
        assert_eq!(g.roi_nan, w.roi_nan);
        assert_eq!(g.clamped, w.clamped);
        // CVaR: the mean of the smallest values, each within eps of its own magnitude.
        let (gc, wc) = (g.npv_cvar5.unwrap(), w.npv_cvar5.unwrap());
        assert!((gc - wc).abs() <= eps * wc.abs(), "cvar {gc} vs {wc}");
        for ((name, a), (_, b)) in g.channels.entries().into_iter().zip(w.channels.entries()) {
            let (a, b) = (a.unwrap(), b.unwrap());
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "channel {name}");
        }
    }
    for (g, w) in sketch.pairs.iter().zip(&exact.pairs) {
        assert_eq!(g.p_a_npv_greater, w.p_a_npv_greater);
        let (a, b) = (g.npv_diff.mean.unwrap(), w.npv_diff.mean.unwrap());
        assert!((a - b).abs() <= 1e-9 * b.abs());
        let (a, b) = (g.roi_diff.hi95.unwrap(), w.roi_diff.hi95.unwrap());
        assert!((a - b).abs() <= 1e-9 * b.abs());
    }
    // Monthly bands: within the monthly bound of the exact order statistics.
    let eps_m = sketch.quantiles.monthly_relative_error.unwrap();
    let mut s = Stream::new(&model, false, TrialsOut::Skip, false);
    batches.iter().for_each(|b| s.push(b.clone()));
    let (_, sketch_frames) = s.finish(&sc).unwrap();
    let h1 = model.horizon + 1;
    for band in ["p5", "p25", "p50", "p75", "p95"] {
        let q: f64 = band[1..].parse::<f64>().unwrap() / 100.0;
        let got = sketch_frames.monthly.column(band).unwrap().f64().unwrap();
        let want = frames.monthly.column(band).unwrap().f64().unwrap();
        for ai in 0..n_arms {
            for t in 0..h1 {
                let path: Vec<f64> = batches
                    .iter()
                    .flat_map(|b| b.cum_cf(ai, t).iter().copied())
                    .collect();
                let (lo, hi) = brackets(path, q);
                let i = ai * h1 + t;
                let (g, w) = (got.get(i).unwrap(), want.get(i).unwrap());
                let bound = eps_m * lo.abs().max(hi.abs());
                assert!(
                    (g - w).abs() <= bound * (1.0 + 1e-9),
                    "arm {ai} month {t} {band}: {g} vs {w}"
                );
            }
        }
    }
    // The monthly means come from the same fixed-point sums.
    assert_eq!(
        sketch_frames.monthly.column("adoption_mean").unwrap(),
        frames.monthly.column("adoption_mean").unwrap()
    );
}

#[test]
fn sketched_summary_does_not_depend_on_threads() {
    let sc = super::scenario(&super::bakery_text());
    let model = Model::new(&sc);
    let (one, two) = super::on_one_and_two_threads(&model, 20_000);
    let a = serde_json::to_string(&streamed(&model, &sc, &one)).unwrap();
    let b = serde_json::to_string(&streamed(&model, &sc, &two)).unwrap();
    assert_eq!(a, b);
}

#[test]
fn auto_switches_to_sketches_above_the_exact_limit() {
    assert!(!alignsim::stats::auto_sketch(alignsim::stats::EXACT_LIMIT));
    assert!(alignsim::stats::auto_sketch(
        alignsim::stats::EXACT_LIMIT + 1
    ));
}

/// More than two blocks of trials, not a multiple of a block.
const SHARDED: &str = "40003";

#[test]
fn sketched_shards_merge_to_the_single_run() {
    let tmp = super::shard::merges_equal_the_single_run(SHARDED, &["--quantiles", "sketch"]);
    let text = std::fs::read(tmp.path().join("whole/summary.json")).unwrap();
    let summary: Summary = serde_json::from_slice(&text).unwrap();
    assert_eq!(summary.quantiles.method, "sketch");
    // Exact and sketched shards of one job do not mix.
    let exact = tmp.path().join("exact");
    super::assert_success(&alignsim(
        &[
            "run", "--trials", SHARDED, "--shard", "2/3", "--quiet", "--out",
        ],
        &[&exact, &bakery()],
    ));
    let out_dir = tmp.path().join("mixed");
    let s1 = tmp.path().join("s3-1");
    let s3 = tmp.path().join("s3-3");
    let out = alignsim(&["merge", "--out"], &[&out_dir, &s1, &exact, &s3]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not shards of the same job"));
    assert!(!out_dir.exists());
}

#[test]
fn no_trials_skips_the_streamed_file_but_not_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for (dir, extra) in [(&a, None), (&b, Some("--no-trials"))] {
        let mut args = vec![
            "run",
            "--trials",
            "20000",
            "--quantiles",
            "sketch",
            "--quiet",
            "--charts",
            "none",
        ];
        args.extend(extra);
        args.push("--out");
        super::assert_success(&alignsim(&args, &[dir, &bakery()]));
    }
    assert!(a.join("trials.parquet").exists());
    assert!(!b.join("trials.parquet").exists());
    assert_eq!(
        std::fs::read(a.join("summary.json")).unwrap(),
        std::fs::read(b.join("summary.json")).unwrap()
    );
}
