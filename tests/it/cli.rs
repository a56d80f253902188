//! The command line end to end: `alignsim run` writes a complete run folder.

use assert_cmd::Command;

use super::bakery_path as bakery;
use serde_json::Value;

fn run(out: &std::path::Path, extra: &[&str]) -> std::process::Output {
    Command::cargo_bin("alignsim")
        .unwrap()
        .arg("run")
        .arg(bakery())
        .args(["--trials", "3000", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

const STAT_KEYS: [&str; 10] = [
    "mean", "sd", "se", "p5", "p10", "p25", "p50", "p75", "p90", "p95",
];
const ARM_KEYS: [&str; 22] = [
    "name",
    "label",
    "roi",
    "npv",
    "net",
    "p_roi_negative",
    "p_npv_negative",
    "npv_var5",
    "npv_cvar5",
    "p_payback",
    "payback_median",
    "p_dropped",
    "revenue_retained_mean",
    "incidents_mean",
    "adoption_final_mean",
    "kpi_final_mean",
    "channels",
    "roi_nan",
    "clamped",
    "p_npv_negative_se",
    "investment_mean",
    "p_dropped_se",
];

#[test]
fn run_writes_every_file_and_summary_has_its_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("bakery");
    let output = run(&out, &[]);
    super::assert_success(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("In ")
            && stdout.contains("of simulated futures the aligned deployment ends ahead"),
        "{stdout}"
    );
    for f in [
        "summary.json",
        "summary.csv",
        "trials.parquet",
        "monthly.parquet",
        "manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let s: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    for k in [
        "scenario",
        "title",
        "currency",
        "horizon_months",
        "trials",
        "seed",
        "arms",
        "pairs",
    ] {
        assert!(s.get(k).is_some(), "summary.json lacks {k}");
    }
    assert_eq!(s["trials"], 3000);
    assert_eq!(s["seed"], 7);
    let arms = s["arms"].as_array().unwrap();
    assert_eq!(arms.len(), 2);
    for arm in arms {
        for k in ARM_KEYS {
            assert!(arm.get(k).is_some(), "arm lacks {k}");
        }
        for metric in ["roi", "npv", "net"] {
            for k in STAT_KEYS {
                assert!(arm[metric][k].is_number(), "{metric}.{k}");
            }
        }
        for ch in [
            "uplift",
            "customers_lost",
            "labour",
            "kpi_value",
            "running_cost",
            "incident_cost",
            "upfront",
            "scale_up",
        ] {
            assert!(arm["channels"][ch].is_number(), "channel {ch}");
        }
        assert!(arm["kpi_final_mean"].is_null(), "the bakery has no [kpi]");
        let p = arm["p_npv_negative"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&p));
        let q: Vec<f64> = ["p5", "p25", "p50", "p75", "p95"]
            .iter()
            .map(|k| arm["npv"][k].as_f64().unwrap())
            .collect();
        assert!(
            q.windows(2).all(|w| w[0] <= w[1]),
            "quantiles ordered: {q:?}"
        );
    }
    let pair = &s["pairs"][0];
    assert_eq!(pair["a"], "aligned");
    assert_eq!(pair["b"], "misaligned");
    for k in ["p_a_npv_greater", "npv_diff", "roi_diff"] {
        assert!(pair.get(k).is_some(), "pair lacks {k}");
    }
    for k in ["mean", "lo95", "hi95"] {
        assert!(pair["npv_diff"][k].is_number() && pair["roi_diff"][k].is_number());
    }
    let m: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        m["scenario_sha256"].as_str().unwrap(),
        alignsim::output::sha256_hex(&std::fs::read(bakery()).unwrap())
    );
    assert_eq!(m["trials"], 3000);
}

#[test]
fn summary_is_byte_identical_for_one_and_two_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("one"), tmp.path().join("two"));
    assert!(run(&a, &["--threads", "1", "--quiet"]).status.success());
    assert!(run(&b, &["--threads", "2", "--quiet"]).status.success());
    let read = |d: &std::path::Path, f: &str| std::fs::read(d.join(f)).unwrap();
    assert_eq!(read(&a, "summary.json"), read(&b, "summary.json"));
    assert_eq!(read(&a, "summary.csv"), read(&b, "summary.csv"));
}

#[test]
fn a_new_run_replaces_the_previous_folder_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("bakery");
    assert!(run(&out, &["--quiet"]).status.success());
    // A file alignsim writes, but not in this run (a folder with a file of the user's
    // would be refused instead, see safety.rs).
    std::fs::write(out.join("sobol.csv"), "from an older run").unwrap();
    assert!(run(&out, &["--quiet", "--seed", "8"]).status.success());
    assert!(!out.join("sobol.csv").exists());
    let s: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["seed"], 8);
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

#[test]
fn precision_runs_until_the_target_is_met() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("p");
    let output = Command::cargo_bin("alignsim")
        .unwrap()
        .arg("run")
        .arg(bakery())
        .args([
            "--precision",
            "0.03",
            "--quiet",
            "--charts",
            "none",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    super::assert_success(&output);
    assert!(String::from_utf8_lossy(&output.stderr).contains("Stopped after"));
    let s: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["precision"]["converged"], true);
    let n = s["trials"].as_f64().unwrap();
    assert_eq!(n % 10_000.0, 0.0, "stops on whole rounds");
    let trace: Value =
        serde_json::from_slice(&std::fs::read(out.join("convergence.json")).unwrap()).unwrap();
    let last = trace.as_array().unwrap().last().unwrap();
    assert_eq!(last["trials"].as_f64().unwrap(), n);
    for (arm, summary_arm) in last["arms"]
        .as_array()
        .unwrap()
        .iter()
        .zip(s["arms"].as_array().unwrap())
    {
        let mean = arm["npv_mean"].as_f64().unwrap();
        assert!(arm["npv_half_width"].as_f64().unwrap() <= 0.03 * mean.abs());
        assert!(arm["p_loss_half_width"].as_f64().unwrap() <= 0.03);
        // The running mean (Welford) agrees with the Polars mean of the same trials.
        let polars_mean = summary_arm["npv"]["mean"].as_f64().unwrap();
        assert!((mean - polars_mean).abs() <= 1e-9 * mean.abs());
    }
}

#[test]
fn precision_with_latin_hypercube_is_refused() {
    let output = Command::cargo_bin("alignsim")
        .unwrap()
        .arg("run")
        .arg(bakery())
        .args([
            "--precision",
            "0.05",
            "--sampling",
            "lhs",
            "--out",
            "/nonexistent/never",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot be combined"));
}

#[test]
fn no_trials_skips_only_the_per_trial_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (full, lean) = (tmp.path().join("full"), tmp.path().join("lean"));
    assert!(
        run(&full, &["--quiet", "--charts", "none"])
            .status
            .success()
    );
    assert!(
        run(&lean, &["--quiet", "--charts", "none", "--no-trials"])
            .status
            .success()
    );
    assert!(full.join("trials.parquet").is_file());
    assert!(!lean.join("trials.parquet").exists());
    assert!(lean.join("report.html").is_file());
    let read = |d: &std::path::Path| std::fs::read(d.join("summary.json")).unwrap();
    assert_eq!(read(&full), read(&lean));
    let out = Command::cargo_bin("alignsim")
        .unwrap()
        .arg("report")
        .arg(&lean)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-trials"));
}
