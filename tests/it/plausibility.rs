//! No silent nonsense: values the model allows but a person rarely means are warned about
//! (file:line:col, the key, what the value means and what was probably meant), `--strict`
//! makes the warnings errors, shares typed as percentages, misspelt keys and families and
//! common TOML slips get errors that say what to write. The fixtures are in
//! `tests/fixtures/plausibility/`, each a variant of `tests/fixtures/minimal.toml`.

use std::path::{Path, PathBuf};

use super::{alignsim, assert_success};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plausibility")
        .join(format!("{name}.toml"))
}

/// `alignsim validate` on a fixture, run in the fixtures' folder so that messages name it
/// by its short name: its exit code and stderr, unwrapped (see [`flat`]).
fn validate(name: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = assert_cmd::Command::cargo_bin("alignsim")
        .unwrap()
        .current_dir(fixture(name).parent().unwrap())
        .arg("validate")
        .args(args)
        .arg(format!("{name}.toml"))
        .output()
        .unwrap();
    (out.status.code(), flat(&out.stderr))
}

/// Stderr with the terminal rendering's line wrapping and frame undone: every run of
/// spaces, line breaks and frame characters becomes one space.
fn flat(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '│')
        .filter(|w| !w.is_empty())
        .collect();
    words.join(" ")
}

/// A fixture that validates with a warning: exit 0, and the warning at `line:col`
/// naming `key` holds every one of `words`.
fn assert_warned(name: &str, at: &str, key: &str, words: &[&str]) {
    let (code, err) = validate(name, &[]);
    assert_eq!(code, Some(0), "{name}: {err}");
    let head = format!("⚠ {name}.toml:{at}: {key}: ");
    let from = err
        .find(&head)
        .unwrap_or_else(|| panic!("{name}: no warning at {head} in\n{err}"));
    for w in words {
        assert!(err[from..].contains(w), "{name}: {w:?} not in {err:?}");
    }
    assert!(err.contains("1 warning in"), "{err}");
}

/// A fixture refused with exit 2 whose report holds every one of `words`, the first of
/// them right after the headline's `line:col`.
fn assert_refused(name: &str, at: &str, words: &[&str]) {
    let (code, err) = validate(name, &[]);
    assert_eq!(code, Some(2), "{name}: {err}");
    let head = format!("{name}.toml:{at}: ");
    let from = err
        .find(&head)
        .unwrap_or_else(|| panic!("{name}: no problem at {head} in\n{err}"));
    assert!(
        err[from..]
            .find(words[0])
            .is_some_and(|i| i < head.len() + 60),
        "{name}: {:?} not in the headline at {head}: {err}",
        words[0]
    );
    for w in words {
        assert!(err.contains(w), "{name}: {w:?} not in\n{err}");
    }
}

#[test]
fn a_growth_typed_as_a_percentage_is_read_back_as_a_monthly_rate() {
    // 300 % a month passes the growth limit over 12 months: an error, with the reading.
    assert_refused(
        "revenue_growth_percent",
        "8:18",
        &[
            "business.revenue_growth: must be at most",
            "revenue_growth = 3 is 300 % a month",
            "for 3 % a year write 0.0025",
        ],
    );
}

#[test]
fn a_yearly_growth_in_the_monthly_key_is_warned_about() {
    assert_warned(
        "revenue_growth_annual",
        "8:18",
        "business.revenue_growth",
        &[
            "revenue_growth = 0.05 is 5 % a month; plausible: -3 % to 3 % a month",
            "for 5 % a year write 0.0041",
        ],
    );
}

#[test]
fn a_discount_rate_typed_as_a_percentage_is_warned_about() {
    assert_warned(
        "discount_rate_percent",
        "5:24",
        "scenario.discount_rate_annual",
        &[
            "discount_rate_annual = 9 is 900 % a year",
            "for 9 % write 0.09",
        ],
    );
}

#[test]
fn a_distribution_is_judged_by_its_centre() {
    assert_warned(
        "cost_overrun_median",
        "14:16",
        "initiative.cost_overrun",
        &[
            "cost_overrun median 20 is a 2,000 % overrun",
            "for 20 % write 0.2",
        ],
    );
}

#[test]
fn a_process_cost_above_the_revenue_asks_for_a_yearly_figure() {
    assert_warned(
        "process_cost_yearly",
        "10:16",
        "business.process_cost",
        &[
            "process_cost = 48,000 is 2.4 times the monthly revenue (20,000)",
            "4000 a month",
        ],
    );
}

#[test]
fn a_short_horizon_suggests_years() {
    assert_warned(
        "horizon_in_years",
        "4:18",
        "scenario.horizon_months",
        &["horizon_months = 3 is 3 months", "for 3 years write 36"],
    );
}

#[test]
fn an_incident_rate_far_beyond_plausible_is_warned_about() {
    assert_warned(
        "incident_rate_yearly",
        "22:17",
        "initiative.incident_rate",
        &[
            "500 incidents a month",
            "for 500 incidents a year write 41.7",
        ],
    );
}

#[test]
fn an_arm_override_is_checked_where_it_is_written() {
    assert_warned(
        "arm_override_overrun",
        "30:31",
        "arms.aligned.initiative.cost_overrun",
        &["cost_overrun = 15 is a 1,500 % overrun", "write 0.15"],
    );
}

#[test]
fn strict_makes_warnings_errors() {
    let (code, err) = validate("revenue_growth_annual", &["--strict"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--strict refuses"), "{err}");
    assert!(err.contains("1 problem in"), "{err}");
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let path = fixture("revenue_growth_annual");
    let out = alignsim(
        &["run", "--strict", "--quiet", "--trials", "200", "--out"],
        &[&out_dir, &path],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!out_dir.exists(), "a refused run writes nothing");
}

#[test]
fn a_warned_run_still_runs_and_writes_its_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let path = fixture("cost_overrun_median");
    let out = alignsim(
        &["run", "--trials", "500", "--charts", "none", "--out"],
        &[&out_dir, &path],
    );
    assert_success(&out);
    let err = flat(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(err.matches("is a 2,000 % overrun").count(), 1, "{err}");
    assert!(
        !stdout.contains("2,000 %"),
        "warnings go to stderr: {stdout}"
    );
    assert!(out_dir.join("summary.json").is_file());
}

#[test]
fn a_sweep_warns_once_about_its_base_scenario() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("out");
    let path = fixture("incident_rate_yearly");
    let out = alignsim(
        &[
            "sweep",
            "--vary",
            "initiative.labour_saving=0.2,0.4",
            "--trials",
            "200",
            "--charts",
            "none",
            "--quiet",
            "--out",
        ],
        &[&out_dir, &path],
    );
    assert_success(&out);
    let err = flat(&out.stderr);
    assert_eq!(err.matches("500 incidents a month").count(), 1, "{err}");
}

#[test]
fn a_share_typed_as_a_percentage_gets_the_fraction() {
    assert_refused(
        "gross_margin_percent",
        "9:16",
        &["must be a number in [0, 1], got 45", "did you mean 0.45?"],
    );
}

#[test]
fn an_alignment_score_typed_as_a_percentage_gets_the_fraction() {
    assert_refused(
        "alignment_percent",
        "29:27",
        &["must be a number in [0, 1], got 80", "did you mean 0.8?"],
    );
}

#[test]
fn a_shortened_key_gets_the_full_name() {
    assert_refused(
        "horizon_misspelt",
        "4:1",
        &["scenario.horizon", "did you mean `horizon_months`?"],
    );
    // The suggested key is not reported a second time as missing.
    let (_, err) = validate("horizon_misspelt", &[]);
    assert!(err.contains("1 problem in"), "{err}");
}

#[test]
fn a_near_family_name_gets_the_family() {
    assert_refused(
        "dist_triangle",
        "13:25",
        &[
            "unknown distribution \"triangle\"",
            "did you mean \"triangular\"?",
        ],
    );
}

#[test]
fn a_lognormal_given_other_percentiles_gets_the_pairs_it_takes() {
    assert_refused(
        "lognormal_p5_p95",
        "14:38",
        &[
            "unknown parameter of lognormal, which takes exactly one pair: median and p90, p10 and p90, mu and sigma (of the log), or mean and sd",
            "write p10 = 0.06579, p90 = 0.456",
        ],
    );
}

#[test]
fn a_thousands_separator_says_how_to_write_the_number() {
    assert_refused(
        "thousands_separator",
        "16:16",
        &[
            "initiative.monthly_cost: `2,500` is not a TOML number: TOML numbers take no thousands separator; write 2500",
        ],
    );
}

#[test]
fn a_percent_sign_says_to_write_the_fraction() {
    assert_refused(
        "percent_sign",
        "9:16",
        &[
            "business.gross_margin: `45%` is not a TOML number",
            "write 0.45",
        ],
    );
}

#[test]
fn a_decimal_comma_says_to_write_a_point() {
    assert_refused(
        "decimal_comma",
        "9:16",
        &[
            "`0,45` is not a TOML number: TOML numbers take a decimal point, not a comma; write 0.45",
        ],
    );
}

#[test]
fn a_currency_sign_says_to_drop_it() {
    assert_refused(
        "currency_sign",
        "10:16",
        &[
            "`$4000` is not a TOML number: TOML numbers take no currency sign",
            "write 4000",
        ],
    );
}

#[test]
fn a_k_suffix_says_to_write_the_thousands() {
    assert_refused(
        "k_suffix",
        "13:16",
        &["`25k` is not a TOML number", "write 25000 or 25_000"],
    );
}

#[test]
fn a_batch_file_slip_is_explained_too() {
    let tmp = tempfile::tempdir().unwrap();
    let batch = tmp.path().join("batch.toml");
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minimal.toml");
    let text = format!(
        "scenario = {:?}\ntrials = 20,000\n\n[[vary]]\npath = \"initiative.labour_saving\"\nvalues = [0.2, 0.4]\n",
        base.display().to_string()
    );
    std::fs::write(&batch, text).unwrap();
    let out = alignsim(&["validate"], &[&batch]);
    let err = flat(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{}:2:10: trials: `20,000`", batch.display())),
        "{err}"
    );
    assert!(err.contains("write 20000 or 20_000"), "{err}");
}

/// Every scenario and batch file shipped in `scenarios/` validates with no error and no
/// warning.
#[test]
fn every_shipped_file_validates_without_warnings() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    for path in &files {
        let out = alignsim(&["validate", "--strict"], &[path]);
        assert_success(&out);
        assert!(
            out.stderr.is_empty(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The v1 fixtures the golden files are made from carry no warning either.
#[test]
fn the_v1_fixtures_carry_no_warnings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v1");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let out = alignsim(&["validate", "--strict"], &[&path]);
            assert_success(&out);
            assert!(out.stderr.is_empty(), "{}", path.display());
        }
    }
}
