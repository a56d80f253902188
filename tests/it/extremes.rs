//! Numeric extremes through the whole program (`alignsim run`): the shortest and longest
//! horizons, tiny and huge revenues, ten thousand incidents a month, lognormals with sigma
//! 5, fractions at their bounds and projects that cost nothing. Every number written is
//! finite or an explicit null.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn minimal() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/minimal.toml"
    ))
    .unwrap()
}

/// `minimal.toml` with each `(from, to)` replacement made (each must apply).
fn variant(edits: &[(&str, &str)]) -> String {
    let mut text = minimal();
    for (from, to) in edits {
        assert!(text.contains(from), "{from} not in minimal.toml");
        text = text.replacen(from, to, 1);
    }
    text
}

/// Runs `alignsim run` on `text` and returns the run folder (inside `dir`) and its summary.
fn run(dir: &Path, text: &str, trials: u64) -> (PathBuf, Value) {
    let file = dir.join("scenario.toml");
    std::fs::write(&file, text).unwrap();
    let out = dir.join("run");
    let output = Command::cargo_bin("alignsim")
        .unwrap()
        .arg("run")
        .arg(&file)
        .args([
            "--trials",
            &trials.to_string(),
            "--charts",
            "none",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    super::assert_success(&output);
    assert_all_numbers_finite(&out);
    let summary = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
        .expect("summary.json is JSON (NaN or Infinity would not parse)");
    (out, summary)
}

/// Every JSON file parses (JSON has no NaN or Infinity) and holds no such text; no field
/// of a CSV file reads as a non-finite number (`NaN`, `inf`, `-inf`, `infinity`).
fn assert_all_numbers_finite(dir: &Path) {
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.display().to_string();
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    serde_json::from_str::<Value>(&text).is_ok(),
                    "{name} is not valid JSON"
                );
                assert!(
                    !text.contains("NaN") && !text.contains("Infinity"),
                    "{name}"
                );
                seen += 1;
            }
            Some("csv") => {
                let text = std::fs::read_to_string(&path).unwrap();
                for field in text.split([',', '\n']) {
                    let f = field.trim().trim_matches('"');
                    if let Ok(x) = f.parse::<f64>() {
                        assert!(x.is_finite(), "{name}: field {f:?}");
                    }
                }
                seen += 1;
            }
            _ => {}
        }
    }
    assert!(
        seen >= 3,
        "expected summary.json, summary.csv and more in {dir:?}"
    );
}

fn arm(summary: &Value) -> &Value {
    &summary["arms"][0]
}

fn number(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

#[test]
fn shortest_and_longest_horizons() {
    for h in [1, 600] {
        let dir = tempfile::tempdir().unwrap();
        let text = variant(&[("horizon_months = 12", &format!("horizon_months = {h}"))]);
        let (_, s) = run(dir.path(), &text, 3000);
        assert_eq!(s["horizon_months"], h);
        let npv = &arm(&s)["npv"];
        assert!(number(&npv["p5"]) <= number(&npv["p95"]));
        if h == 1 {
            // Live from month 2 at the earliest: one month holds only the upfront payment.
            assert!(number(&npv["p95"]) < 0.0, "{npv}");
            assert_eq!(number(&arm(&s)["p_payback"]), 0.0);
        }
    }
}

#[test]
fn revenues_from_a_cent_to_a_trillion() {
    let mut uplift = Vec::new();
    for revenue in ["0.01", "1e12"] {
        let dir = tempfile::tempdir().unwrap();
        let text = variant(&[(
            "monthly_revenue = 20000",
            &format!("monthly_revenue = {revenue}"),
        )]);
        let (_, s) = run(dir.path(), &text, 3000);
        let a = arm(&s);
        number(&a["npv"]["mean"]);
        uplift.push(number(&a["channels"]["uplift"]));
    }
    // Revenue uplift scales with revenue: 1e14 times more, to rounding.
    let ratio = uplift[1] / uplift[0];
    assert!((ratio / 1e14 - 1.0).abs() < 1e-6, "{uplift:?}");
}

#[test]
fn ten_thousand_incidents_a_month() {
    let dir = tempfile::tempdir().unwrap();
    let text = variant(&[("incident_rate = 0.5", "incident_rate = 10000")]);
    let started = std::time::Instant::now();
    let (_, s) = run(dir.path(), &text, 3000);
    assert!(started.elapsed().as_secs() < 120, "{:?}", started.elapsed());
    let a = arm(&s);
    // Fit 0.8 raises the rate to 14,000 at full adoption; ten live months at adoption
    // well above 0.2 give far more than 10,000 incidents.
    assert!(number(&a["incidents_mean"]) > 10_000.0, "{a}");
    // Churn of 0.0005 (0.0006 after trust) per incident leaves almost no customers.
    assert!(number(&a["revenue_retained_mean"]) < 0.01, "{a}");
}

#[test]
fn lognormal_with_sigma_five_is_clamped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let text = variant(&[
        (
            "labour_saving = 0.3",
            "labour_saving = { dist = \"lognormal\", mu = -1.2, sigma = 5 }",
        ),
        (
            "cost_overrun = 0.1",
            "cost_overrun = { dist = \"lognormal\", mu = 0, sigma = 5 }",
        ),
    ]);
    let n = 20_000.0;
    let (_, s) = run(dir.path(), &text, n as u64);
    let clamped = &arm(&s)["clamped"];
    // P(X > 1) = P(Z > 1.2 / 5) = 0.405165; binomial standard error sqrt(p(1-p)/n).
    let p = 0.405_165;
    let share = number(&clamped["initiative.labour_saving"]) / n;
    let se = (p * (1.0 - p) / n).sqrt();
    assert!((share - p).abs() < 4.0 * se, "{share} vs {p} +- 4 x {se}");
    // A lognormal never leaves [0, inf): no overrun draw is clamped.
    assert_eq!(
        number(&clamped["initiative.cost_overrun"]),
        0.0,
        "{clamped}"
    );
}

#[test]
fn fractions_at_their_bounds() {
    for (saving, churn, ceiling) in [("0", "0", "1"), ("1", "0", "1")] {
        let dir = tempfile::tempdir().unwrap();
        let text = variant(&[
            ("labour_saving = 0.3", &format!("labour_saving = {saving}")),
            (
                "incident_churn = 0.0005",
                &format!("incident_churn = {churn}"),
            ),
            (
                "adoption_ceiling = 0.8",
                &format!("adoption_ceiling = {ceiling}"),
            ),
        ]);
        let (_, s) = run(dir.path(), &text, 3000);
        let a = arm(&s);
        let labour = number(&a["channels"]["labour"]);
        if saving == "0" {
            assert_eq!(labour, 0.0);
        } else {
            assert!(labour > 0.0);
        }
        // No churn: only erosion (0.002 x (1 - 0.8) x adoption a month) moves the base.
        let retained = number(&a["revenue_retained_mean"]);
        assert!(retained > 0.99 && retained <= 1.0, "{retained}");
    }
}

#[test]
fn a_project_that_costs_nothing_has_no_roi() {
    let dir = tempfile::tempdir().unwrap();
    let text = variant(&[
        (
            "upfront_cost = { dist = \"pert\", min = 5000, mode = 8000, max = 15000 }",
            "upfront_cost = 0",
        ),
        ("monthly_cost = 200", "monthly_cost = 0"),
        ("incident_cost = 50", "incident_cost = 0"),
    ]);
    let (_, s) = run(dir.path(), &text, 3000);
    let a = arm(&s);
    assert_eq!(number(&a["roi_nan"]), 3000.0);
    for q in ["mean", "sd", "p5", "p50", "p95"] {
        assert!(a["roi"][q].is_null(), "roi {q}: {}", a["roi"][q]);
    }
    assert_eq!(number(&a["investment_mean"]), 0.0);
    // NPV is still defined: the saved labour and the uplift, less lost customers.
    assert!(number(&a["npv"]["mean"]) > 0.0);
}
