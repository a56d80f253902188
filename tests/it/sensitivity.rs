//! Sensitivity and value of information: Spearman against a hand-computed example, Sobol
//! estimators on functions whose indices are known in closed form, the Saltelli matrices
//! end to end on a scenario whose npv is linear in two inputs, EVPI in cases with a known
//! value, keyed reproducibility, and the `alignsim sensitivity` command.

use alignsim::aggregate;
use alignsim::engine::Model;
use alignsim::sensitivity::rank::{ranks, spearman};
use alignsim::sensitivity::sobol::{self, ArmSobol};
use alignsim::sensitivity::{Samples, Sensitivity, evpi};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{bakery_text, scenario, simulate};

#[test]
fn spearman_matches_a_hand_computed_example_with_ties() {
    // x ranks [1, 2.5, 2.5, 4, 5]; y ranks [1, 4, 2.5, 2.5, 5]; both have mean 3.
    // Deviations dx = [-2, -.5, -.5, 1, 2], dy = [-2, 1, -.5, -.5, 2]:
    // sum dx dy = 4 - .5 + .25 - .5 + 4 = 7.25, sum dx^2 = sum dy^2 = 9.5.
    let x = [1.0, 2.0, 2.0, 3.0, 4.0];
    let y = [10.0, 30.0, 20.0, 20.0, 50.0];
    assert_eq!(ranks(&x), vec![1.0, 2.5, 2.5, 4.0, 5.0]);
    assert_eq!(ranks(&y), vec![1.0, 4.0, 2.5, 2.5, 5.0]);
    let rho = spearman(&x, &y).unwrap();
    assert!((rho - 7.25 / 9.5).abs() < 1e-12, "rho = {rho}");
    // Pairs with a non-finite side are left out (an undefined roi).
    let y_nan = [10.0, 30.0, 20.0, 20.0, 50.0, f64::NAN];
    let x_more = [1.0, 2.0, 2.0, 3.0, 4.0, 0.0];
    assert_eq!(spearman(&x_more, &y_nan), Some(rho));
    assert_eq!(spearman(&x, &[1.0; 5]), None);
}

/// `n` rows of `k` independent uniforms on `lo..hi`, from a seeded portable generator.
fn uniforms(seed: u64, n: usize, k: usize, lo: f64, hi: f64) -> Vec<Vec<f64>> {
    let mut g = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            (0..k)
                .map(|_| lo + (hi - lo) * ((g.next_u64() >> 11) as f64 / (1u64 << 53) as f64))
                .collect()
        })
        .collect()
}

/// The Saltelli evaluations of `f` on fresh matrices A and B of `k` inputs.
fn saltelli(f: &dyn Fn(&[f64]) -> f64, n: usize, k: usize, lo: f64, hi: f64) -> ArmSobol {
    let a = uniforms(1, n, k, lo, hi);
    let b = uniforms(2, n, k, lo, hi);
    let fa: Vec<f64> = a.iter().map(|x| f(x)).collect();
    let fb: Vec<f64> = b.iter().map(|x| f(x)).collect();
    let fab: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..n)
                .map(|t| {
                    let mut x = a[t].clone();
                    x[i] = b[t][i];
                    f(&x)
                })
                .collect()
        })
        .collect();
    let refs: Vec<&[f64]> = fab.iter().map(Vec::as_slice).collect();
    let paths: Vec<String> = (0..k).map(|i| format!("x.x{}", i + 1)).collect();
    sobol::arm_sobol("f", &paths, &fa, &fb, &refs, 200, 99)
}

/// Checks one input's indices: within `tol` of the truth, and the truth inside the 95 %
/// bootstrap interval widened by `tol / 2` (the interval is itself a noisy estimate).
fn check(s: &ArmSobol, path: &str, first: f64, total: f64, tol: f64) {
    let i = s.inputs.iter().find(|i| i.path == path).unwrap();
    for (what, e, truth) in [("first", i.first, first), ("total", i.total, total)] {
        let v = e.value.unwrap();
        let (lo, hi) = (e.lo95.unwrap(), e.hi95.unwrap());
        assert!((v - truth).abs() < tol, "{path} {what}: {v} vs {truth}");
        assert!(
            lo - tol / 2.0 <= truth && truth <= hi + tol / 2.0,
            "{path} {what}: [{lo}, {hi}] misses {truth}"
        );
        assert!(
            lo <= v && v <= hi,
            "{path} {what}: {v} outside [{lo}, {hi}]"
        );
    }
}

#[test]
fn sobol_of_a_linear_model_is_the_share_of_squared_weights() {
    // Y = x1 + 2 x2 + 3 x3, x uniform: S_i = S_Ti = a_i^2 / sum a_j^2 = 1/14, 4/14, 9/14.
    // With N = 20,000 the Jansen estimators' Monte Carlo error is about 0.01 here (the
    // bootstrap half-widths); the tolerance is 0.03.
    let s = saltelli(&|x| x[0] + 2.0 * x[1] + 3.0 * x[2], 20_000, 3, 0.0, 1.0);
    for (i, a2) in [1.0, 4.0, 9.0].iter().enumerate() {
        check(&s, &format!("x.x{}", i + 1), a2 / 14.0, a2 / 14.0, 0.03);
    }
    // No noise beyond the inputs: the luck share is zero up to the same error.
    assert!(s.luck.value.unwrap().abs() < 0.03);
    assert_eq!(s.inputs[0].path, "x.x3", "largest total index first");
}

#[test]
fn sobol_of_the_ishigami_function_matches_its_closed_form() {
    // Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: S = (0.3139, 0.4424, 0),
    // S_T = (0.5576, 0.4424, 0.2437). x3 acts only through its interaction with x1.
    // Tolerance 0.04 at N = 20,000 (bootstrap half-widths about 0.015 to 0.03).
    let pi = std::f64::consts::PI;
    let f = |x: &[f64]| x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin();
    let s = saltelli(&f, 20_000, 3, -pi, pi);
    check(&s, "x.x1", 0.3139, 0.5576, 0.04);
    check(&s, "x.x2", 0.4424, 0.4424, 0.04);
    check(&s, "x.x3", 0.0, 0.2437, 0.04);
}

#[test]
fn bootstrap_resamples_are_keyed() {
    assert_eq!(sobol::resample(5, 3, 1000), sobol::resample(5, 3, 1000));
    assert_ne!(sobol::resample(5, 3, 1000), sobol::resample(5, 4, 1000));
    assert!(sobol::resample(5, 3, 7).iter().all(|&i| i < 7));
}

/// npv = -C0 - 12 Cm (no discounting, no benefit, no randomness besides the inputs), with
/// C0 ~ U(0, 12000) and Cm ~ U(0, 1000): the two terms have the same variance, so each
/// explains half of it, with no interaction. `incident_cost` is random but cannot matter
/// (no incidents happen).
const LINEAR: &str = r#"
[scenario]
horizon_months = 12
[business]
monthly_revenue = 10000
revenue_growth = 0
gross_margin = 0.5
process_cost = 2000
[initiative]
upfront_cost = { dist = "uniform", min = 0, max = 12000 }
cost_overrun = 0
build_months = 0
monthly_cost = { dist = "uniform", min = 0, max = 1000 }
labour_saving = 0
revenue_uplift = 0
adoption_ceiling = 1
adoption_p = 0.5
adoption_q = 0.3
incident_rate = 0
incident_cost = { dist = "uniform", min = 10, max = 100 }
incident_churn = 0
erosion = 0
abandon_hazard = 0
[arms.only]
alignment = { strategic = 1, fit = 1, culture = 1, measurement = 1, integration = 1, ethics = 1 }
"#;

#[test]
fn saltelli_matrices_recover_the_indices_of_a_linear_scenario() {
    let model = Model::new(&scenario(LINEAR));
    let s = sobol::run(&model, 8192, 200, &|_| {});
    assert_eq!(s.trials, 8192 * 5);
    let arm = &s.arms[0];
    // Tolerance 0.04 at N = 8,192 (bootstrap half-widths about 0.02).
    check(arm, "initiative.upfront_cost", 0.5, 0.5, 0.04);
    check(arm, "initiative.monthly_cost", 0.5, 0.5, 0.04);
    let idle = arm
        .inputs
        .iter()
        .find(|i| i.path == "initiative.incident_cost")
        .unwrap();
    // A and AB_i rows are identical when input i cannot matter: exactly zero.
    assert_eq!(idle.total.value, Some(0.0));
    assert!(idle.first.value.unwrap().abs() < 0.04);
}

#[test]
fn the_b_matrix_is_independent_and_ab_rows_change_one_input() {
    let model = Model::new(&scenario(LINEAR));
    let m = sobol::matrices(&model);
    assert_eq!(m.len(), model.inputs.len() + 2);
    let (a, b) = (m[0].run_batch(0..4), m[1].run_batch(0..4));
    let ab0 = m[2].run_batch(0..4);
    let k = model.varying.len();
    let col = |batch: &alignsim::engine::Batch, i: usize| -> Vec<f64> {
        (0..4).map(|t| batch.inputs[t * k + i]).collect()
    };
    let i0 = model
        .varying
        .iter()
        .position(|v| v.path == model.inputs[0].path)
        .unwrap();
    for i in 0..k {
        assert_ne!(col(&a, i), col(&b, i));
        let expect = if i == i0 { col(&b, i) } else { col(&a, i) };
        assert_eq!(col(&ab0, i), expect);
    }
}

/// One arm worth 1200 - C0 with C0 ~ U(0, 3000): full adoption from month 1 (p = 1000), a
/// labour saving of 0.5 x 200 a month for 12 months, nothing else. Deciding now, doing
/// nothing is best (mean npv -300); knowing C0 first is worth
/// E[max(0, 1200 - C0)] = 1200^2 / (2 x 3000) = 240.
const EVPI_CASE: &str = r#"
[scenario]
horizon_months = 12
[business]
monthly_revenue = 10000
revenue_growth = 0
gross_margin = 0.5
process_cost = 200
[initiative]
upfront_cost = { dist = "uniform", min = 0, max = 3000 }
cost_overrun = 0
build_months = 0
monthly_cost = 0
labour_saving = 0.5
revenue_uplift = 0
adoption_ceiling = 1
adoption_p = 1000
adoption_q = 0
incident_rate = 0
incident_cost = { dist = "uniform", min = 10, max = 100 }
incident_churn = 0
erosion = 0
abandon_hazard = 0
[arms.only]
alignment = { strategic = 1, fit = 1, culture = 1, measurement = 1, integration = 1, ethics = 1 }
"#;

fn sensitivity_of(text: &str, trials: u64) -> Sensitivity {
    let sc = scenario(text);
    let (model, batches) = simulate(&sc, trials);
    Sensitivity::of_samples(&sc, model.seed, &Samples::from_batches(&model, &batches))
}

fn evpi_of<'a>(s: &'a Sensitivity, path: &str) -> &'a evpi::InputEvpi {
    s.evpi.inputs.iter().find(|i| i.path == path).unwrap()
}

#[test]
fn evpi_of_a_cost_that_decides_has_its_closed_form_value() {
    let s = sensitivity_of(EVPI_CASE, 20_000);
    assert_eq!(s.evpi.decision, "none");
    assert_eq!(s.evpi.value_now, 0.0);
    // The estimate is the sample mean of max(0, 1200 - C0) (its standard error at
    // 20,000 trials is about 2.6) up to the one bin that straddles C0 = 1200; tolerance
    // 12 (under 5 %).
    let c0 = evpi_of(&s, "initiative.upfront_cost");
    assert!(
        (c0.evpi - 240.0).abs() < 12.0,
        "EVPI of upfront cost {}",
        c0.evpi
    );
    assert_eq!(c0.bins, evpi::BINS);
    assert!(
        (s.evpi.overall - 240.0).abs() < 12.0,
        "overall {}",
        s.evpi.overall
    );
    // An input that cannot matter is worth nothing: in every bin doing nothing stays best.
    assert_eq!(evpi_of(&s, "initiative.incident_cost").evpi, 0.0);
    assert_eq!(s.evpi.noise_floor, 0.0);
    assert_eq!(s.evpi.inputs[0].path, "initiative.upfront_cost");
}

#[test]
fn evpi_carries_an_interval_and_a_chance_floor_that_shrinks() {
    let small = sensitivity_of(EVPI_CASE, 2_000);
    let large = sensitivity_of(EVPI_CASE, 20_000);
    for s in [&small, &large] {
        for i in &s.evpi.inputs {
            assert!(i.lo95 <= i.evpi && i.evpi <= i.hi95 && i.se >= 0.0, "{i:?}");
        }
        let c0 = evpi_of(s, "initiative.upfront_cost");
        assert!(c0.se > 0.0 && !c0.below_noise, "{c0:?}");
        assert!(evpi_of(s, "initiative.incident_cost").below_noise);
        assert!(s.evpi.chance_floor > 0.0 && s.evpi.overall_se > 0.0);
    }
    // Groups ten times larger: the chance floor, a best of noisy means, falls by about
    // sqrt(10); and so does the standard error of a real EVPI.
    let (f2k, f20k) = (small.evpi.chance_floor, large.evpi.chance_floor);
    assert!(
        f20k < 0.6 * f2k,
        "chance floor {f2k} at 2,000 trials, {f20k} at 20,000"
    );
    let se = |s: &Sensitivity| evpi_of(s, "initiative.upfront_cost").se;
    assert!(se(&large) < 0.6 * se(&small));
}

#[test]
fn evpi_is_zero_when_one_arm_is_best_in_every_trial() {
    // Two arms, the same futures; "worse" pays 10 a month more, and "good" earns
    // 1200 - C0 > 0 with C0 below 1000: the same choice whatever anyone could learn.
    let text = EVPI_CASE
        .replace("max = 3000", "max = 1000")
        .replace("[arms.only]", "[arms.good]")
        + "[arms.worse]\n\
           alignment = { strategic = 1, fit = 1, culture = 1, measurement = 1, integration = 1, \
           ethics = 1 }\n\
           initiative = { monthly_cost = 10 }\n";
    let s = sensitivity_of(&text, 5000);
    assert_eq!(s.evpi.decision, "good");
    assert!(
        s.evpi.inputs.iter().all(|i| i.evpi == 0.0),
        "{:?}",
        s.evpi.inputs
    );
    assert_eq!(s.evpi.overall, 0.0);
    // And a project that loses money in every future: doing nothing dominates.
    let s = sensitivity_of(LINEAR, 5000);
    assert_eq!(s.evpi.decision, "none");
    assert!(s.evpi.inputs.iter().all(|i| i.evpi == 0.0));
    assert_eq!(s.evpi.overall, 0.0);
}

#[test]
fn evpi_bins_never_split_tied_values() {
    // A two-valued input: two bins whatever the target, one per value.
    let x: Vec<f64> = (0..1000).map(|t| f64::from(t % 2)).collect();
    let npv = vec![
        x.iter()
            .map(|v| if *v == 1.0 { 10.0 } else { -30.0 })
            .collect::<Vec<_>>(),
    ];
    let (value, bins) = evpi::of_input(&x, &npv, 50);
    assert_eq!(bins, 2);
    // Mean npv -10: do nothing now; knowing x, take the arm when x = 1: 0.5 x 10 = 5.
    assert!((value - 5.0).abs() < 1e-12);
    assert_eq!(evpi::bins_for(100), 5);
    assert_eq!(evpi::bins_for(10), 1);
}

#[test]
fn tornado_ranks_the_driving_input_first_and_names_it() {
    let s = sensitivity_of(LINEAR, 4000);
    let t = &s.tornado[0];
    assert_eq!(t.drivers.len(), 3);
    // npv = -C0 - 12 Cm: both correlations are negative, about -0.69 (the Spearman
    // correlation of one of two equal uniforms with their sum); the idle input's is Monte
    // Carlo noise (|rho| < 4 / sqrt(4000)).
    for d in &t.drivers[..2] {
        let r = d.rho_npv.unwrap();
        assert!((-0.76..-0.64).contains(&r), "{}: {r}", d.path);
    }
    assert_eq!(t.drivers[2].path, "initiative.incident_cost");
    assert!(t.drivers[2].rho_npv.unwrap().abs() < 0.063);
    assert!(
        t.sentence
            .starts_with("What drives the only arm's NPV most: "),
        "{}",
        t.sentence
    );
    assert!(t.sentence.contains(" (rho -0.6"), "{}", t.sentence);
    assert!(
        t.sentence.ends_with("incident cost (+0.02)."),
        "{}",
        t.sentence
    );
}

#[test]
fn a_run_frame_and_the_batches_give_the_same_analysis() {
    let sc = scenario(&bakery_text());
    let (model, batches) = simulate(&sc, 3000);
    let frame = aggregate::trials_frame(&model, &batches, sc.kpi.is_some()).unwrap();
    let from_frame = alignsim::sensitivity::of_run(&sc, &model, &frame).unwrap();
    let direct = Sensitivity::of_samples(&sc, model.seed, &Samples::from_batches(&model, &batches));
    assert_eq!(from_frame, direct);
    assert_eq!(direct.tornado.len(), 2);
    assert_eq!(direct.sentences.len(), 3);
}

#[test]
fn results_are_keyed_and_thread_count_invariant() {
    let sc = scenario(&bakery_text());
    let model = Model::new(&sc);
    let analyse = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let batches = model.run(0..5000, &|_| {});
            let base =
                Sensitivity::of_samples(&sc, model.seed, &Samples::from_batches(&model, &batches));
            base.with_sobol(sobol::run(&model, 256, 50, &|_| {}))
        })
    };
    let one = analyse(1);
    assert_eq!(one, analyse(2));
    assert_eq!(one, analyse(1));
    let json = |s: &Sensitivity| serde_json::to_string(s).unwrap();
    assert_eq!(json(&one), json(&analyse(2)));
}

#[test]
fn the_sensitivity_command_writes_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bakery-sensitivity");
    let bakery =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1/bakery.toml");
    let output = assert_cmd::Command::cargo_bin("alignsim")
        .unwrap()
        .arg("sensitivity")
        .arg(&bakery)
        .args([
            "--trials",
            "3000",
            "--sobol-n",
            "128",
            "--charts",
            "svg",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    super::assert_success(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("What drives the aligned arm's NPV most"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Value of knowing before deciding (USD)"),
        "{stdout}"
    );
    for f in [
        "sensitivity.json",
        "tornado.csv",
        "sobol.csv",
        "evpi.csv",
        "charts/tornado.svg",
        "charts/sobol.svg",
        "charts/evpi.svg",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sensitivity.json")).unwrap())
            .unwrap();
    assert_eq!(json["sobol"]["n"], 128);
    assert_eq!(json["tornado"][0]["arm"], "aligned");
    let csv = std::fs::read_to_string(out.join("tornado.csv")).unwrap();
    assert!(
        csv.starts_with("arm,rank,path,name,spearman_npv,spearman_roi\n"),
        "{csv}"
    );
}

#[test]
fn the_sensitivity_command_rejects_bad_input_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let broken =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken/no_arms.toml");
    let out = dir.path().join("never");
    let status = assert_cmd::Command::cargo_bin("alignsim")
        .unwrap()
        .arg("sensitivity")
        .arg(&broken)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap()
        .status;
    assert_eq!(status.code(), Some(2));
    assert!(!out.exists());
    let minimal =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minimal.toml");
    let status = assert_cmd::Command::cargo_bin("alignsim")
        .unwrap()
        .args(["sensitivity", "--sobol-n", "1"])
        .arg(&minimal)
        .output()
        .unwrap()
        .status;
    assert_eq!(
        status.code(),
        Some(2),
        "--sobol-n below 16 is a usage error"
    );
}

#[test]
fn every_run_writes_its_sensitivity_and_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("minimal");
    let minimal =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minimal.toml");
    let run = |cmd: &[&str]| {
        assert_cmd::Command::cargo_bin("alignsim")
            .unwrap()
            .args(cmd)
            .output()
            .unwrap()
    };
    let o = run(&[
        "run",
        minimal.to_str().unwrap(),
        "--trials",
        "500",
        "--charts",
        "svg",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: Sensitivity =
        serde_json::from_str(&std::fs::read_to_string(out.join("sensitivity.json")).unwrap())
            .unwrap();
    assert_eq!(json.trials, 500);
    assert!(json.sobol.is_none(), "a run computes no Sobol indices");
    assert_eq!(json.tornado[0].drivers[0].path, "initiative.upfront_cost");
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("<section id=\"sensitivity\">"));
    assert!(report.contains("id=\"chart-tornado\"") && report.contains("id=\"chart-evpi\""));
    // `alignsim report` draws the sensitivity charts again from the folder's files.
    std::fs::remove_dir_all(out.join("charts")).unwrap();
    let o = run(&["report", out.to_str().unwrap(), "--charts", "svg"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("charts/tornado.svg").is_file() && out.join("charts/evpi.svg").is_file());
    assert_eq!(
        std::fs::read_to_string(out.join("report.html")).unwrap(),
        report
    );
}

#[test]
fn a_scenario_without_uncertain_inputs_has_nothing_to_rank() {
    let fixed = LINEAR
        .replace("{ dist = \"uniform\", min = 0, max = 12000 }", "6000")
        .replace("{ dist = \"uniform\", min = 0, max = 1000 }", "500")
        .replace("{ dist = \"uniform\", min = 10, max = 100 }", "50");
    let sc = scenario(&fixed);
    let (model, batches) = simulate(&sc, 100);
    let s = Sensitivity::of_samples(&sc, model.seed, &Samples::from_batches(&model, &batches))
        .with_sobol(sobol::run(&model, 16, 10, &|_| {}));
    assert_eq!(
        s.tornado[0].sentence,
        "No uncertain input moves the only arm's NPV."
    );
    assert!(s.evpi.inputs.is_empty());
    assert_eq!(s.evpi.overall, 0.0);
    let sobol = s.sobol.as_ref().unwrap();
    assert_eq!(
        sobol.arms[0].variance, None,
        "npv is the same in every trial"
    );
    for chart in [
        alignsim::plot::tornado::svg(&s).unwrap(),
        alignsim::plot::sobol::svg(&s).unwrap(),
        alignsim::plot::evpi::svg(&s).unwrap(),
    ] {
        assert!(chart.contains("No input of this scenario is uncertain."));
    }
}
