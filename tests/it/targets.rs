//! Targets a client cares about (`[report] targets`, `--target`): exact shares where a
//! target always or never holds, shares equal to a count over `trials.parquet`, a wrong
//! expression as an input or usage error with a did-you-mean, and targets that travel
//! through shards into the merge.

use std::path::Path;

use polars::prelude::*;
use serde_json::Value;

use super::{alignsim, assert_success, bakery_path, bakery_text};

/// The bakery with a `[report]` table holding `targets`.
fn with_targets(dir: &Path, targets: &str) -> std::path::PathBuf {
    let path = dir.join("bakery.toml");
    let text = format!("{}\n[report]\ntargets = {targets}\n", bakery_text());
    std::fs::write(&path, text).unwrap();
    path
}

fn run(file: &Path, out: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["run", "--quiet", "--trials", "3001", "--charts", "none"];
    args.extend_from_slice(extra);
    args.push("--out");
    let got = alignsim(&args, &[out, file]);
    assert_success(&got);
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap()
}

/// `(expr, arm) -> (p, se)` of a summary's targets.
fn shares(summary: &Value) -> Vec<(String, String, f64, f64)> {
    summary["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| {
            (
                t["expr"].as_str().unwrap().to_string(),
                t["arm"].as_str().unwrap().to_string(),
                t["p"].as_f64().unwrap(),
                t["se"].as_f64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_target_always_or_never_met_has_share_one_or_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let file = with_targets(tmp.path(), r#"["investment >= 0", "investment < 0"]"#);
    let summary = run(&file, &tmp.path().join("out"), &[]);
    let got = shares(&summary);
    assert_eq!(got.len(), 4, "{got:?}");
    for (expr, arm, p, se) in got {
        let want = if expr == "investment >= 0" { 1.0 } else { 0.0 };
        assert_eq!((p, se), (want, 0.0), "{expr} in {arm}");
    }
}

#[test]
fn shares_are_the_counts_of_trials_parquet() {
    let tmp = tempfile::tempdir().unwrap();
    let file = with_targets(tmp.path(), r#"["npv >= 10_000", "payback_month <= 18"]"#);
    let out = tmp.path().join("out");
    let summary = run(&file, &out, &[]);
    let trials = ParquetReader::new(std::fs::File::open(out.join("trials.parquet")).unwrap())
        .finish()
        .unwrap();
    let arms = trials.column("arm").unwrap().str().unwrap().clone();
    let npv = trials.column("npv").unwrap().f64().unwrap().clone();
    let payback = trials
        .column("payback_month")
        .unwrap()
        .u32()
        .unwrap()
        .clone();
    let got = shares(&summary);
    assert!(got.iter().any(|t| t.2 > 0.0 && t.2 < 1.0), "{got:?}");
    for (expr, arm, p, se) in got {
        let (mut met, mut rows) = (0u64, 0u64);
        for i in 0..trials.height() {
            if arms.get(i) != Some(arm.as_str()) {
                continue;
            }
            rows += 1;
            met += u64::from(match expr.as_str() {
                "npv >= 10000" => npv.get(i).unwrap() >= 10_000.0,
                "payback_month <= 18" => payback.get(i).is_some_and(|m| m <= 18),
                other => panic!("unexpected target {other}"),
            });
        }
        let want = met as f64 / rows as f64;
        assert_eq!(p, want, "{expr} in {arm}");
        let want_se = (want * (1.0 - want) / rows as f64).sqrt();
        assert!((se - want_se).abs() < 1e-15, "{expr} in {arm}: se {se}");
    }
}

#[test]
fn a_wrong_metric_points_at_its_line_with_a_did_you_mean() {
    let tmp = tempfile::tempdir().unwrap();
    let file = with_targets(tmp.path(), r#"["roi >= 0.5", "rio >= 50 %"]"#);
    let got = alignsim(
        &["run", "--quiet", "--out"],
        &[&tmp.path().join("out"), &file],
    );
    assert_eq!(got.status.code(), Some(2));
    let err = String::from_utf8_lossy(&got.stderr);
    let line = bakery_text().lines().count() + 3;
    assert!(
        err.contains(&format!("bakery.toml:{line}:")) && err.contains("report.targets"),
        "{err}"
    );
    assert!(err.contains("did you mean `roi`?"), "{err}");
    let unknown = with_targets(tmp.path(), "[]\ntarget = 1");
    let got = alignsim(
        &["run", "--quiet", "--out"],
        &[&tmp.path().join("o"), &unknown],
    );
    assert_eq!(got.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&got.stderr).contains("did you mean `targets`?"));
}

#[test]
fn target_flags_add_to_the_scenario_and_show_in_every_output() {
    let tmp = tempfile::tempdir().unwrap();
    let file = with_targets(tmp.path(), r#"["roi >= 0.5"]"#);
    let out = tmp.path().join("out");
    let mut args = vec!["run", "--trials", "2000", "--charts", "none"];
    args.extend(["--target", "roi >= 50 %", "--target", "npv>0", "--out"]);
    let got = alignsim(&args, &[&out, &file]);
    assert_success(&got);
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let exprs: Vec<String> = shares(&summary).into_iter().map(|t| t.0).collect();
    assert_eq!(exprs, ["roi >= 0.5", "roi >= 0.5", "npv > 0", "npv > 0"]);
    // P(npv > 0) is the summary's own share.
    for (i, arm) in summary["arms"].as_array().unwrap().iter().enumerate() {
        assert_eq!(summary["targets"][2 + i]["p"], arm["p_npv_positive"]);
    }
    let stdout = String::from_utf8_lossy(&got.stdout);
    assert!(
        stdout.contains("Targets") && stdout.contains("P(npv > 0): "),
        "{stdout}"
    );
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(report.contains("Chance to meet the target roi &gt;= 0.5"));
    let bad = alignsim(&["run", "--target", "roi == 1", "--out"], &[&out, &file]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("--target") && err.contains(">=, >, <=, <"),
        "{err}"
    );
}

#[test]
fn targets_travel_through_shards_into_the_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let file = with_targets(tmp.path(), r#"["payback_month > 12"]"#);
    for quantiles in ["exact", "sketch"] {
        let dir = tmp.path().join(quantiles);
        let flags = ["--quantiles", quantiles, "--target", "roi < 0"];
        let whole = run(&file, &dir.join("whole"), &flags);
        for k in ["1/2", "2/2"] {
            let out = dir.join(format!("s{}", &k[..1]));
            let mut extra = flags.to_vec();
            extra.extend(["--shard", k]);
            let mut args = vec!["run", "--quiet", "--trials", "3001", "--charts", "none"];
            args.extend_from_slice(&extra);
            args.push("--out");
            assert_success(&alignsim(&args, &[&out, &file]));
        }
        let merged = dir.join("merged");
        let args = ["merge", "--quiet", "--charts", "none", "--out"];
        let got = alignsim(&args, &[&merged, &dir.join("s1"), &dir.join("s2")]);
        assert_success(&got);
        let read = |p: &Path| std::fs::read(p.join("summary.json")).unwrap();
        assert_eq!(read(&merged), read(&dir.join("whole")), "{quantiles}");
        assert_eq!(shares(&whole).len(), 4);
    }
    // The v1 bakery without targets writes none.
    let plain = run(&bakery_path(), &tmp.path().join("plain"), &[]);
    assert!(plain.get("targets").is_none());
}
