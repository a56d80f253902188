//! The decision figures where a client reads them: targets at every sweep point (equal to
//! a run's at the scenario's own values, the same through shards and merge), the sweep
//! folder's report (written by `sweep`, rendered again by `report SWEEP_DIR`), a run's
//! explanation in its report (`run --explain`, rendered again by `report RUN_DIR`), and
//! the trials the levers were computed on, in words.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{alignsim, assert_success, bakery_path, bakery_text};

const TRIALS: &str = "1500";
const VARY: &str = "arms.misaligned.alignment.strategic=0.3,0.6";

/// The bakery with `[report] targets`.
fn with_targets(dir: &Path) -> PathBuf {
    let path = dir.join("bakery.toml");
    let text = format!(
        "{}\n[report]\ntargets = [\"npv >= 0\", \"payback_month <= 24\"]\n",
        bakery_text()
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `sweep FILE --vary VARY` with `extra` flags into `out`.
fn sweep(file: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["sweep", "--quiet", "--trials", TRIALS, "--vary", VARY];
    args.extend_from_slice(extra);
    args.push("--out");
    assert_success(&alignsim(&args, &[out, file]));
}

#[test]
fn sweep_points_report_targets_as_the_run_does() {
    let tmp = tempfile::tempdir().unwrap();
    let file = with_targets(tmp.path());
    let (run_dir, sweep_dir) = (tmp.path().join("run"), tmp.path().join("sweep"));
    let args = [
        "run",
        "--quiet",
        "--trials",
        TRIALS,
        "--charts",
        "none",
        "--no-trials",
        "--target",
        "roi >= 50 %",
        "--out",
    ];
    assert_success(&alignsim(&args, &[&run_dir, &file]));
    sweep(
        &file,
        &sweep_dir,
        &["--charts", "none", "--target", "roi >= 0.5"],
    );
    let (summary, s) = (
        json(&run_dir.join("summary.json")),
        json(&sweep_dir.join("sweep.json")),
    );
    let exprs = ["npv >= 0", "payback_month <= 24", "roi >= 0.5"];
    assert_eq!(s["targets"], serde_json::json!(exprs));
    // Point 0 is the scenario's own value: every share is the run's, bit for bit.
    for arm in s["points"][0]["arms"].as_array().unwrap() {
        let name = arm["arm"].as_str().unwrap();
        let got = arm["targets"].as_array().unwrap();
        assert_eq!(got.len(), exprs.len());
        for (t, expr) in got.iter().zip(exprs) {
            let want = summary["targets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["arm"] == name && r["expr"] == expr)
                .expect("the run's target");
            assert_eq!(t["expr"], expr);
            assert_eq!(
                (&t["p"], &t["se"]),
                (&want["p"], &want["se"]),
                "{expr} in {name}"
            );
        }
    }
    // The aligned arm does not change along the axis (common random numbers); the
    // misaligned arm's better strategy raises its chance of breaking even.
    let share = |k: usize, arm: usize, t: usize| {
        s["points"][k]["arms"][arm]["targets"][t]["p"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(share(0, 0, 0), share(1, 0, 0));
    assert!(share(1, 1, 0) >= share(0, 1, 0));
    let csv = std::fs::read_to_string(sweep_dir.join("sweep.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    for col in [
        "p_npv_ge_0",
        "p_npv_ge_0_se",
        "p_payback_month_le_24",
        "p_roi_ge_0.5_se",
    ] {
        assert!(header.split(',').any(|c| c == col), "{col} in {header}");
    }
}

#[test]
fn a_sharded_sweep_with_targets_equals_the_unsharded_one() {
    let tmp = tempfile::tempdir().unwrap();
    let file = with_targets(tmp.path());
    let whole = tmp.path().join("whole");
    sweep(
        &file,
        &whole,
        &["--charts", "none", "--target", "roi >= 0.5"],
    );
    let shards: Vec<PathBuf> = (1..=2).map(|k| tmp.path().join(format!("s{k}"))).collect();
    for (k, dir) in shards.iter().enumerate() {
        let spec = format!("{}/2", k + 1);
        sweep(&file, dir, &["--shard", &spec, "--target", "roi >= 0.5"]);
    }
    let merged = tmp.path().join("merged");
    let mut args = vec!["sweep-merge", "--quiet", "--charts", "none", "--out"];
    let merged_str = merged.to_str().unwrap().to_string();
    args.push(&merged_str);
    let paths: Vec<&Path> = shards.iter().map(PathBuf::as_path).collect();
    assert_success(&alignsim(&args, &paths));
    for f in ["sweep.json", "sweep.csv", "sweep.parquet", "report.html"] {
        let (a, b) = (
            std::fs::read(whole.join(f)).unwrap(),
            std::fs::read(merged.join(f)).unwrap(),
        );
        assert!(
            a == b,
            "{f} differs between the sharded and the unsharded sweep"
        );
    }
}

#[test]
fn a_sweep_folder_has_a_report_that_report_renders_again() {
    let tmp = tempfile::tempdir().unwrap();
    let file = with_targets(tmp.path());
    let dir = tmp.path().join("sweep");
    sweep(&file, &dir, &["--charts", "svg"]);
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let s = json(&dir.join("sweep.json"));
    for needle in [
        "<svg",
        "id=\"chart-p_loss\"",
        "id=\"chart-median_roi\"",
        "P(npv &gt;= 0)",
    ] {
        assert!(
            page.contains(needle),
            "{needle} missing from the sweep report"
        );
    }
    for finding in s["break_even"].as_array().unwrap() {
        let sentence = alignsim::report::escape(finding["sentence"].as_str().unwrap());
        assert!(page.contains(&sentence), "{sentence}");
    }
    std::fs::remove_file(dir.join("report.html")).unwrap();
    let got = alignsim(&["report", "--charts", "svg"], &[&dir]);
    assert_success(&got);
    assert_eq!(
        std::fs::read_to_string(dir.join("report.html")).unwrap(),
        page
    );
    assert!(dir.join("charts/p_loss.svg").is_file());
}

#[test]
fn a_run_with_explain_shows_why_the_best_plan_wins() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let args = [
        "run",
        "--quiet",
        "--trials",
        "400",
        "--charts",
        "svg",
        "--explain",
        "--out",
    ];
    assert_success(&alignsim(&args, &[&dir, &bakery_path()]));
    let e = json(&dir.join("explain.json"));
    assert_eq!(e["trials"], 400);
    assert_eq!(e["attribution"]["a"], "aligned");
    let sentence = alignsim::report::escape(e["sentence"].as_str().unwrap());
    let check = |page: &str| {
        assert!(page.contains("Why the best plan wins"));
        assert!(page.contains("id=\"chart-waterfall\""));
        assert!(page.contains(&sentence), "{sentence}");
    };
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    check(&page);
    assert!(dir.join("charts/waterfall.svg").is_file());
    // `report` renders it again from explain.json, waterfall included.
    std::fs::remove_file(dir.join("report.html")).unwrap();
    std::fs::remove_dir_all(dir.join("charts")).unwrap();
    assert_success(&alignsim(&["report", "--charts", "svg"], &[&dir]));
    check(&std::fs::read_to_string(dir.join("report.html")).unwrap());
    assert!(dir.join("charts/waterfall.svg").is_file());
    // The folder is still alignsim's: a new run replaces it whole, explanation and all.
    let args = [
        "run", "--quiet", "--trials", "300", "--charts", "none", "--out",
    ];
    assert_success(&alignsim(&args, &[&dir, &bakery_path()]));
    assert!(!dir.join("explain.json").exists());
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(!page.contains("Why the best plan wins"));
}

#[test]
fn no_explain_leaves_out_the_explanation_the_scenario_asks_for() {
    // The shipped bakery sets `[report] explain = true`.
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bakery.toml");
    let tmp = tempfile::tempdir().unwrap();
    let run = |dir: &Path, flag: &[&str]| {
        let mut args = vec!["run", "--quiet", "--trials", "300", "--charts", "none"];
        args.extend(flag);
        args.push("--out");
        alignsim(&args, &[dir, shipped.as_path()])
    };
    let (asked, quick) = (tmp.path().join("asked"), tmp.path().join("quick"));
    assert_success(&run(&asked, &[]));
    assert!(asked.join("explain.json").is_file());
    assert_success(&run(&quick, &["--no-explain"]));
    assert!(!quick.join("explain.json").exists());
    let page = std::fs::read_to_string(quick.join("report.html")).unwrap();
    assert!(!page.contains("Why the best plan wins"));
    // The same trials either way.
    let bytes = |dir: &Path| std::fs::read(dir.join("trials.parquet")).unwrap();
    assert_eq!(bytes(&asked), bytes(&quick));
    // Asking for both is a usage error, and writes nothing.
    let both = tmp.path().join("both");
    let out = run(&both, &["--explain", "--no-explain"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--no-explain"));
    assert!(!both.exists());
}

#[test]
fn the_levers_section_says_which_trials_it_was_computed_on() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let args = [
        "run", "--quiet", "--trials", "3000", "--levers", "1000", "--charts", "none", "--out",
    ];
    assert_success(&alignsim(&args, &[&dir, &bakery_path()]));
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        page.contains("Computed on the first 1,000 of the 3,000 trials"),
        "levers wording missing"
    );
}
