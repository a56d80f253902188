//! The decision every run states (docs/model.md section 9 e) on fixtures: every arm
//! losing money (`do_nothing`), one clear winner, two arms within the noise
//! (`too_close`), one arm only; the terminal and the report lead with the sentence that
//! `summary.json` holds; `--pair` names the arms of the paired chart.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Two arms with the same plan, the second's upfront cost drawn from another distribution
/// of the same mean: their paired difference is pure noise.
const CLOSE: &str = r#"
[scenario]
name = "close"
horizon_months = 36
seed = 5

[business]
monthly_revenue = 20000
revenue_growth = 0
gross_margin = 0.6
process_cost = 6000

[initiative]
upfront_cost = { dist = "pert", min = 5000, mode = 8000, max = 15000 }
cost_overrun = 0.1
build_months = 1
monthly_cost = 200
labour_saving = 0.3
revenue_uplift = 0.02
adoption_ceiling = 0.8
adoption_p = 0.1
adoption_q = 0.4
incident_rate = 0.5
incident_cost = 50
incident_churn = 0.0005
erosion = 0.002
abandon_hazard = 0.003

[arms.first]
alignment = { strategic = 0.8, fit = 0.8, culture = 0.8, measurement = 0.8, integration = 0.8, ethics = 0.8 }

[arms.second]
label = "The same plan with its own quote"
alignment = { strategic = 0.8, fit = 0.8, culture = 0.8, measurement = 0.8, integration = 0.8, ethics = 0.8 }
initiative = { upfront_cost = { dist = "normal", mean = 8667, sd = 2000 } }
"#;

/// One arm that pays: [`CLOSE`] without its second arm.
fn one() -> &'static str {
    CLOSE.split("[arms.second]").next().expect("the first arm")
}

/// What a run printed and wrote.
struct Ran {
    stdout: String,
    summary: Value,
    report: String,
    out: PathBuf,
}

/// Runs `scenario` (a path, or scenario text written to a file first) with 2,000 trials.
fn run(dir: &Path, scenario: &str, extra: &[&str]) -> Ran {
    let file = if scenario.ends_with(".toml") {
        PathBuf::from(scenario)
    } else {
        let f = dir.join("scenario.toml");
        std::fs::write(&f, scenario).unwrap();
        f
    };
    let out = dir.join("run");
    let got = assert_cmd::Command::cargo_bin("alignsim")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("run")
        .arg(&file)
        .args(["--trials", "2000", "--charts", "svg", "--out"])
        .arg(&out)
        .args(extra)
        .output()
        .unwrap();
    super::assert_success(&got);
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    Ran {
        stdout: String::from_utf8(got.stdout).unwrap(),
        summary: serde_json::from_str(&read("summary.json")).unwrap(),
        report: read("report.html"),
        out,
    }
}

/// The report's first paragraph, the decision, unescaped.
fn report_decision(html: &str) -> String {
    let doc = roxmltree::Document::parse(html.trim_start_matches("<!DOCTYPE html>\n")).unwrap();
    let section = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("headline"))
        .unwrap();
    let first = section.children().find(|n| n.has_tag_name("p")).unwrap();
    assert_eq!(first.attribute("id"), Some("decision"));
    first.text().unwrap().to_string()
}

/// Checks that the terminal (after its two title lines and a blank line) and the report
/// lead with `summary.json`'s decision sentence; returns the decision.
fn headlines_agree(ran: &Ran) -> &Value {
    let d = &ran.summary["decision"];
    let sentence = d["sentence"].as_str().unwrap();
    assert_eq!(ran.stdout.lines().nth(3), Some(sentence), "{}", ran.stdout);
    assert_eq!(report_decision(&ran.report), sentence);
    d
}

#[test]
fn every_arm_losing_money_says_do_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run(dir.path(), "tests/fixtures/v2/accounting_firm.toml", &[]);
    let d = headlines_agree(&ran);
    assert_eq!(d["choice"], "do_nothing");
    assert!(d["arm"].is_null());
    assert!(d["sentence"].as_str().unwrap().starts_with("Do not start"));
    for arm in ran.summary["arms"].as_array().unwrap() {
        assert!(arm["npv"]["mean"].as_f64().unwrap() < 0.0);
    }
}

#[test]
fn one_clear_winner_is_recommended() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run(dir.path(), "tests/fixtures/v1/bakery.toml", &[]);
    let d = headlines_agree(&ran);
    assert_eq!(d["choice"], "arm");
    assert_eq!(d["arm"], "aligned");
    let sentence = d["sentence"].as_str().unwrap();
    assert!(
        sentence.starts_with("Recommended: the aligned plan (Aligned: back-office ordering"),
        "{sentence}"
    );
    // The terminal ranks the arms by mean NPV and shows each one's chance to beat doing
    // nothing.
    let table: Vec<&str> = ran.stdout.lines().skip(5).take(3).collect();
    assert!(table[0].contains("P(NPV>0)"), "{table:?}");
    assert!(table[1].trim_start().starts_with("1  aligned"), "{table:?}");
    let p = ran.summary["arms"][0]["p_npv_positive"].as_f64().unwrap();
    assert!(table[1].contains(&alignsim::output::text::pct(Some(p))));
}

#[test]
fn two_arms_within_the_noise_are_too_close_to_call() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run(dir.path(), CLOSE, &[]);
    let d = headlines_agree(&ran);
    assert_eq!(d["choice"], "too_close");
    assert!(d["arm"].is_null());
    let reason = d["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("the best two plans are within the noise: second is ahead by"),
        "{reason}"
    );
    let sentence = d["sentence"].as_str().unwrap();
    assert!(sentence.starts_with("Too close to call: "), "{sentence}");
}

#[test]
fn one_arm_only_is_weighed_against_doing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run(dir.path(), one(), &[]);
    let d = headlines_agree(&ran);
    assert_eq!(d["choice"], "arm");
    assert_eq!(d["arm"], "first");
    assert!(d["sentence"].as_str().unwrap().contains("the only plan"));
    assert!(ran.summary["pairs"].as_array().unwrap().is_empty());
}

#[test]
fn pair_flag_names_the_arms_of_the_paired_chart() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run(
        dir.path(),
        "tests/fixtures/v1/smb_portfolio.toml",
        &["--pair", "misaligned,adopters"],
    );
    let svg = std::fs::read_to_string(ran.out.join("charts/paired_difference.svg")).unwrap();
    assert!(svg.contains("misaligned minus adopters, future by future"));
    // Without --pair: the best arm against the runner-up and against doing nothing.
    let ran = run(dir.path(), "tests/fixtures/v1/smb_portfolio.toml", &[]);
    let svg = std::fs::read_to_string(ran.out.join("charts/paired_difference.svg")).unwrap();
    assert!(svg.contains("aligned minus adopters and minus doing nothing"));
}

#[test]
fn pair_flag_with_an_unknown_arm_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run(dir.path(), "tests/fixtures/v1/bakery.toml", &[]);
    for cmd in [
        vec![
            "run",
            "tests/fixtures/v1/bakery.toml",
            "--pair",
            "aligned,misalinged",
        ],
        vec![
            "report",
            ran.out.to_str().unwrap(),
            "--pair",
            "aligned,misalinged",
        ],
    ] {
        let got = assert_cmd::Command::cargo_bin("alignsim")
            .unwrap()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(&cmd)
            .args(["--charts", "none"])
            .output()
            .unwrap();
        assert_eq!(got.status.code(), Some(2), "{cmd:?}");
        let err = String::from_utf8_lossy(&got.stderr);
        assert!(err.contains("did you mean `misaligned`?"), "{err}");
    }
}
