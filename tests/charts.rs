//! Charts and report: every chart is drawn as PNG and SVG into the run folder, PNGs
//! decode at the promised size, SVGs and report.html are well-formed XML, the report
//! embeds every chart, and its headline figures are exactly summary.json's.
//!
//! One small run (2,000 trials) is shared by most tests; the fixture's title carries
//! characters that must be escaped in HTML and SVG.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use alignsim::output::text::{money, pct};
use alignsim::plot::{self, Chart, RunData};
use assert_cmd::Command;
use serde_json::Value;

const TRIALS: &str = "2000";

/// Two arms, a pilot in the first, a monetised KPI, uncertainty in both.
const SCENARIO: &str = r#"
[scenario]
name = "corner_cafe"
title = "Corner café <ordering> & \"loyalty\" app"
currency = "EUR"
horizon_months = 24
discount_rate_annual = 0.06
seed = 11

[business]
monthly_revenue = { dist = "lognormal", p10 = 18000, p90 = 26000 }
revenue_growth = 0.001
gross_margin = { dist = "pert", min = 0.55, mode = 0.62, max = 0.68 }
process_cost = { dist = "pert", min = 3000, mode = 4000, max = 5500 }

[initiative]
upfront_cost = { dist = "pert", min = 6000, mode = 9000, max = 18000 }
cost_overrun = { dist = "lognormal", median = 0.15, p90 = 0.6 }
build_months = { dist = "uniform_int", min = 1, max = 3 }
monthly_cost = { dist = "triangular", min = 150, mode = 250, max = 400 }
labour_saving = { dist = "pert", min = 0.2, mode = 0.4, max = 0.55 }
revenue_uplift = { dist = "pert", min = -0.01, mode = 0.03, max = 0.06 }
adoption_ceiling = { dist = "pert", min = 0.6, mode = 0.85, max = 1.0 }
adoption_p = 0.1
adoption_q = { dist = "uniform", min = 0.3, max = 0.5 }
incident_rate = { dist = "lognormal", median = 1.0, p90 = 3.0 }
incident_cost = { dist = "triangular", min = 20, mode = 60, max = 150 }
incident_churn = { dist = "pert", min = 0.0, mode = 0.0002, max = 0.001 }
erosion = { dist = "pert", min = 0.0, mode = 0.002, max = 0.01 }
abandon_hazard = 0.003

[kpi]
name = "Repeat visits"
unit = "visits / week"
baseline = 400
change = 0.05
value_per_unit = 2

[arms.aligned]
label = "Aligned: loyalty app that keeps the barista's welcome"
alignment = { strategic = 0.85, fit = 0.8, culture = 0.8, measurement = 0.8, integration = 0.7, ethics = 0.9 }
rollout = { pilot_months = 3, pilot_scale = 0.3, pilot_upfront_share = 0.5, gate_noise = 0.15 }

[arms.misaligned]
label = "Misaligned: kiosk <replaces> the counter"
alignment = { strategic = 0.3, fit = 0.45, culture = 0.4, measurement = 0.35, integration = 0.5, ethics = 0.7 }
initiative = { upfront_cost = { dist = "pert", min = 9000, mode = 14000, max = 28000 } }
"#;

/// One arm, every value fixed: degenerate distributions everywhere.
const FIXED_ONE_ARM: &str = r#"
[scenario]
name = "fixed"
horizon_months = 12

[business]
monthly_revenue = 20000
revenue_growth = 0
gross_margin = 0.6
process_cost = 4000

[initiative]
upfront_cost = 8000
cost_overrun = 0.1
build_months = 1
monthly_cost = 200
labour_saving = 0.3
revenue_uplift = 0.02
adoption_ceiling = 0.8
adoption_p = 0.1
adoption_q = 0.4
incident_rate = 0
incident_cost = 50
incident_churn = 0
erosion = 0
abandon_hazard = 0

[arms.only]
alignment = { strategic = 0.8, fit = 0.8, culture = 0.8, measurement = 0.8, integration = 0.8, ethics = 0.8 }
"#;

/// Writes `text` as a scenario file in `dir` and runs it into `dir/run`.
fn run(dir: &Path, text: &str, extra: &[&str]) -> PathBuf {
    let scenario = dir.join("scenario-input.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.join("run");
    Command::cargo_bin("alignsim")
        .unwrap()
        .arg("run")
        .arg(&scenario)
        .args(["--trials", TRIALS, "--threads", "2", "-q", "--out"])
        .arg(&out)
        .args(extra)
        .assert()
        .success();
    out
}

/// The shared run of [`SCENARIO`] with the default `--charts both`.
fn shared_run() -> &'static Path {
    static RUN: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, out) = RUN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = run(dir.path(), SCENARIO, &[]);
        (dir, out)
    });
    out
}

fn shared_data() -> &'static RunData {
    static DATA: OnceLock<RunData> = OnceLock::new();
    DATA.get_or_init(|| RunData::load(shared_run()).unwrap())
}

fn summary_json(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

/// Decodes a PNG and returns its size.
fn png_size(path: &Path) -> (u32, u32) {
    let img =
        image::open(path).unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()));
    (img.width(), img.height())
}

/// Parses SVG text and checks it is an SVG of the chart size.
fn check_svg(text: &str) {
    let doc = roxmltree::Document::parse(text).expect("SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some("1600"));
    assert_eq!(root.attribute("height"), Some("1000"));
}

/// All text content of an SVG, whitespace-normalised.
fn svg_text(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses the report as XML (its markup is XML-compatible; the doctype is allowed).
fn parse_html(html: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(html, options).expect("report.html is well-formed")
}

fn report_text(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("report.html")).unwrap()
}

#[test]
fn run_writes_every_chart_as_png_and_svg() {
    let charts = shared_run().join("charts");
    for chart in Chart::ALL {
        let stem = chart.file_stem();
        assert_eq!(
            png_size(&charts.join(format!("{stem}.png"))),
            (plot::WIDTH, plot::HEIGHT),
            "{stem}.png"
        );
        check_svg(&std::fs::read_to_string(charts.join(format!("{stem}.svg"))).unwrap());
    }
    assert!(shared_run().join("scenario.toml").is_file());
}

#[test]
fn report_is_well_formed_and_embeds_every_chart() {
    let html = report_text(shared_run());
    let doc = parse_html(&html);
    for chart in Chart::ALL {
        let id = format!("chart-{}", chart.file_stem());
        let figure = doc
            .descendants()
            .find(|n| n.attribute("id") == Some(id.as_str()))
            .unwrap_or_else(|| panic!("no figure {id}"));
        assert!(
            figure.descendants().any(|n| n.has_tag_name("svg")),
            "{id} has no inline SVG"
        );
    }
    assert!(!html.contains("<script"), "the report needs no JavaScript");
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "nothing fetched"
    );
    for id in [
        "headline",
        "summary",
        "endings",
        "charts",
        "alignment",
        "assumptions",
        "method",
    ] {
        assert!(
            doc.descendants().any(|n| n.attribute("id") == Some(id)),
            "section {id}"
        );
    }
}

#[test]
fn report_escapes_user_text() {
    let html = report_text(shared_run());
    assert!(html.contains("Corner café &lt;ordering&gt; &amp; &quot;loyalty&quot; app"));
    assert!(html.contains("kiosk &lt;replaces&gt; the counter"));
    assert!(!html.contains("<ordering>") && !html.contains("<replaces>"));
}

/// The value of `path` (dot-separated, arms looked up by name) in summary.json.
fn summary_value(summary: &Value, key: &str) -> Option<f64> {
    let parts: Vec<&str> = key.split('.').collect();
    let node = match parts.as_slice() {
        ["arm", name, rest @ ..] => {
            let arm = summary["arms"]
                .as_array()?
                .iter()
                .find(|a| a["name"] == *name)?;
            rest.iter().fold(arm, |v, p| &v[*p])
        }
        ["pair", a, b, rest @ ..] => {
            let pair = summary["pairs"]
                .as_array()?
                .iter()
                .find(|p| p["a"] == *a && p["b"] == *b)?;
            rest.iter().fold(pair, |v, p| &v[*p])
        }
        _ => panic!("unknown headline key {key}"),
    };
    node.as_f64()
}

#[test]
fn headline_numbers_equal_summary_json() {
    let dir = shared_run();
    let summary = summary_json(dir);
    let html = report_text(dir);
    let doc = parse_html(&html);
    let figures: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("data-key").is_some())
        .collect();
    // Per arm: chance of loss, median payback, mean NPV; per pair: P(A beats B), mean diff;
    // and the summary's three per arm (mean NPV, chance of loss, chance of paying back).
    assert_eq!(figures.len(), 2 * 3 + 2 + 2 * 3);
    for node in figures {
        let key = node.attribute("data-key").unwrap();
        let expected = summary_value(&summary, key);
        let shown: Option<f64> = match node.attribute("data-value") {
            Some("null") | None => None,
            Some(v) => Some(v.parse().unwrap()),
        };
        assert_eq!(shown, expected, "{key}");
        let text = node.text().unwrap_or_default();
        if key.ends_with("p_npv_negative") || key.ends_with("p_a_npv_greater") {
            assert_eq!(text, pct(expected), "{key}");
        }
        if key.ends_with("npv_diff.mean") {
            assert_eq!(text, money(expected), "{key}");
        }
    }
}

#[test]
fn assumptions_list_every_parameter_readably() {
    let html = report_text(shared_run());
    for def in alignsim::scenario::PARAMS {
        assert!(html.contains(&def.path()), "{} is not listed", def.path());
    }
    assert!(html.contains("PERT 6,000 / 9,000 / 18,000"));
    assert!(html.contains("PERT 9,000 / 14,000 / 28,000"));
    assert!(html.contains("Repeat visits"));
}

/// Renders one chart as SVG and PNG from the shared run and returns the SVG's text.
fn draw(chart: Chart) -> String {
    let data = shared_data();
    let svg = plot::render_svg(chart, data).unwrap();
    check_svg(&svg);
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("chart.png");
    plot::write_png(chart, data, &png).unwrap();
    assert_eq!(png_size(&png), (plot::WIDTH, plot::HEIGHT));
    let text = svg_text(&svg);
    assert!(text.contains(&chart.heading(data)), "{text}");
    assert!(
        text.contains("Corner café <ordering> & \"loyalty\" app"),
        "{text}"
    );
    text
}

#[test]
fn roi_risk_curve_annotates_each_chance_of_loss() {
    let text = draw(Chart::RoiRiskCurve);
    for arm in &shared_data().summary.arms {
        let (loss, negative) = (pct(arm.p_npv_negative), pct(arm.p_roi_negative));
        assert!(
            text.contains(&format!(
                "{}: loses money (NPV &lt; 0) in {loss} of futures",
                arm.label
            )) || text.contains(&format!(
                "{}: loses money (NPV < 0) in {loss} of futures",
                arm.label
            ))
        );
        assert!(
            text.contains(&format!("ROI &lt; 0 (undiscounted): {negative}"))
                || text.contains(&format!("ROI < 0 (undiscounted): {negative}"))
        );
    }
    assert!(text.contains("break-even"));
}

#[test]
fn npv_distribution_marks_mean_and_value_at_risk() {
    let text = draw(Chart::NpvDistribution);
    for arm in &shared_data().summary.arms {
        assert!(text.contains(&format!("mean {}", plot::fmt_money(arm.npv.mean.unwrap()))));
        assert!(text.contains(&format!(
            "(VaR 5 %) {}",
            plot::fmt_money(arm.npv_var5.unwrap())
        )));
    }
    assert!(text.contains("EUR"));
}

#[test]
fn cashflow_fan_shows_go_live_and_pilot_gate() {
    let text = draw(Chart::CashflowFan);
    let data = shared_data();
    let g = data.arms[0].median_go_live().unwrap();
    assert!(text.contains(&format!("go-live month {g}")), "{text}");
    // The aligned arm pilots for 3 live months: the gate falls at the end of month G + 2.
    assert!(
        text.contains(&format!("pilot go/no-go end of month {}", g + 2)),
        "{text}"
    );
    assert_eq!(data.pilot_months(1), Some(0));
    assert!(text.contains("Cumulative cash flow, EUR"));
}

#[test]
fn payback_curve_states_median_payback() {
    let text = draw(Chart::PaybackCurve);
    for arm in &shared_data().summary.arms {
        let phrase = match arm.payback_median {
            Some(m) => format!("half paid back by month {}", plot::fmt_month(m)),
            None => "most never pay back within 24 months".to_string(),
        };
        assert!(text.contains(&phrase), "{text}");
    }
}

#[test]
fn value_breakdown_sums_to_mean_net() {
    let text = draw(Chart::ValueBreakdown);
    for arm in &shared_data().summary.arms {
        let sum: f64 = arm.channels.entries().iter().filter_map(|c| c.1).sum();
        let net = arm.net.mean.unwrap();
        assert!(
            (sum - net).abs() <= 1e-6 * net.abs().max(1.0),
            "{sum} != {net}"
        );
        assert!(text.contains(&plot::fmt_money(net)), "{text}");
    }
    assert!(text.contains("Net result") && text.contains("KPI: Repeat visits"));
}

#[test]
fn paired_difference_states_chance_first_arm_wins() {
    let text = draw(Chart::PairedDifference);
    let pair = &shared_data().summary.pairs[0];
    let p = pct(pair.p_a_npv_greater);
    let arms = &shared_data().summary.arms;
    let a = arms.iter().find(|a| a.name == pair.a).unwrap();
    assert!(
        text.contains(&format!("{} ends ahead in {p} of futures", a.label)),
        "{text}"
    );
}

#[test]
fn charts_option_selects_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), SCENARIO, &["--charts", "png"]);
    let names: Vec<String> = std::fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| n.ends_with(".png")), "{names:?}");
    for chart in Chart::ALL {
        assert!(names.contains(&format!("{}.png", chart.file_stem())));
    }

    let out = run(dir.path(), SCENARIO, &["--charts", "none"]);
    assert!(!out.join("charts").exists());
    assert!(
        out.join("report.html").is_file(),
        "the report embeds its own charts"
    );
}

#[test]
fn report_command_rerenders_without_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), SCENARIO, &["--charts", "svg"]);
    let trials_before = std::fs::read(out.join("trials.parquet")).unwrap();
    let report_before = report_text(&out);
    std::fs::remove_file(out.join("report.html")).unwrap();
    std::fs::remove_dir_all(out.join("charts")).unwrap();

    Command::cargo_bin("alignsim")
        .unwrap()
        .arg("report")
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(out.join("trials.parquet")).unwrap(),
        trials_before
    );
    assert_eq!(
        report_text(&out),
        report_before,
        "the same files give the same report"
    );
    for chart in Chart::ALL {
        assert!(
            out.join("charts")
                .join(format!("{}.png", chart.file_stem()))
                .is_file()
        );
        assert!(
            out.join("charts")
                .join(format!("{}.svg", chart.file_stem()))
                .is_file()
        );
    }
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(
        std::fs::read_dir(dir.path())
            .unwrap()
            .all(|e| { !e.unwrap().file_name().to_string_lossy().contains("partial") })
    );
}

#[test]
fn report_without_scenario_file_still_renders() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), SCENARIO, &["--charts", "none"]);
    std::fs::remove_file(out.join("scenario.toml")).unwrap();
    Command::cargo_bin("alignsim")
        .unwrap()
        .args(["report", "--charts", "none"])
        .arg(&out)
        .assert()
        .success();
    let html = report_text(&out);
    parse_html(&html);
    assert!(html.contains("no readable scenario.toml"));
}

#[test]
fn report_command_refuses_a_folder_that_is_not_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let assert = Command::cargo_bin("alignsim")
        .unwrap()
        .arg("report")
        .arg(dir.path())
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("summary.json"), "{stderr}");
}

#[test]
fn one_arm_of_fixed_values_draws_without_a_paired_chart() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), FIXED_ONE_ARM, &[]);
    let charts = out.join("charts");
    for chart in Chart::ALL {
        let exists = charts.join(format!("{}.png", chart.file_stem())).is_file();
        assert_eq!(
            exists,
            chart != Chart::PairedDifference,
            "{}",
            chart.file_stem()
        );
    }
    let html = report_text(&out);
    let doc = parse_html(&html);
    assert!(!html.contains("chart-paired_difference"));
    let ours = |n: &roxmltree::Node| {
        Chart::ALL
            .iter()
            .any(|c| n.attribute("id") == Some(format!("chart-{}", c.file_stem()).as_str()))
    };
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("figure") && ours(n))
            .count(),
        Chart::ALL.len() - 1
    );
}

#[test]
fn arm_without_investment_draws_without_a_return_curve() {
    let free_arm = "\n[arms.free]\nalignment = { strategic = 0.8, fit = 0.8, culture = 0.8, \
                    measurement = 0.8, integration = 0.8, ethics = 0.8 }\n\
                    initiative = { upfront_cost = 0, monthly_cost = 0 }\n";
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &format!("{FIXED_ONE_ARM}{free_arm}"),
        &["--charts", "svg"],
    );
    let data = RunData::load(&out).unwrap();
    assert!(data.arms[1].roi.is_empty(), "no investment, no ROI");
    for chart in Chart::ALL {
        let svg = std::fs::read_to_string(
            out.join("charts")
                .join(format!("{}.svg", chart.file_stem())),
        );
        check_svg(&svg.unwrap());
    }
    parse_html(&report_text(&out));
}

#[test]
fn convergence_chart_follows_the_trace() {
    let data = shared_data();
    assert!(
        data.convergence.len() >= 2,
        "every run records its convergence"
    );
    let last = data.convergence.last().unwrap();
    assert_eq!(last.trials, data.summary.trials);
    for (point, arm) in last.arms.iter().zip(&data.summary.arms) {
        let mean = arm.npv.mean.unwrap();
        assert!((point.npv_mean - mean).abs() <= 1e-9 * mean.abs());
        assert!(
            (point.npv_half_width - 1.96 * arm.npv.se.unwrap()).abs()
                <= 1e-6 * point.npv_half_width
        );
    }
    let svg = alignsim::plot::render_svg(Chart::Convergence, data).unwrap();
    assert!(svg.contains("How the estimate settles"));
    assert!(svg.contains("known to within"));
}

#[test]
fn levers_chart_and_section_come_with_the_levers() {
    let charts = shared_run().join("charts");
    check_svg(&std::fs::read_to_string(charts.join("levers.svg")).unwrap());
    let html = report_text(shared_run());
    let doc = parse_html(&html);
    let section = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("levers"))
        .expect("a levers section");
    let text: String = section
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    assert!(text.contains("Where alignment pays first"), "{text}");
    assert!(text.contains("For the aligned plan, +0.1 of "), "{text}");
    assert!(text.contains("For the misaligned plan, +0.1 of "), "{text}");
    assert!(
        section.descendants().any(|n| n.has_tag_name("table")),
        "a table of the levers"
    );

    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), SCENARIO, &["--levers", "0", "--charts", "svg"]);
    assert!(!out.join("charts").join("levers.svg").exists());
    assert!(out.join("charts").join("roi_risk_curve.svg").is_file());
    let html = report_text(&out);
    assert!(!html.contains("id=\"levers\""));
    assert!(!html.contains("chart-levers"));
}

/// Runs an analysis command (`explain` or `plan`) on the preparation fixture into `dir/out`.
fn analysis(dir: &Path, args: &[&str]) -> PathBuf {
    let out = dir.join("out");
    Command::cargo_bin("alignsim")
        .unwrap()
        .args(args)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/work.toml"))
        .args(["--trials", "300", "--threads", "2", "-q", "--out"])
        .arg(&out)
        .assert()
        .success();
    out
}

/// The page's text, with the sentence of the analysis's JSON file in it.
fn page_with_sentence(out: &Path, json: &str) -> String {
    let done: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join(json)).unwrap()).unwrap();
    let sentence = done["sentence"].as_str().unwrap().to_string();
    let html = report_text(out);
    let doc = parse_html(&html);
    let verdict: String = doc
        .descendants()
        .find(|n| n.attribute("class") == Some("verdict"))
        .expect("the sentence")
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    assert_eq!(verdict, sentence);
    html
}

#[test]
fn explain_folder_has_a_waterfall_and_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = analysis(dir.path(), &["explain"]);
    let svg = std::fs::read_to_string(out.join("charts").join("waterfall.svg")).unwrap();
    check_svg(&svg);
    assert!(svg_text(&svg).contains("Why aligned is worth more than misaligned"));
    assert_eq!(
        png_size(&out.join("charts").join("waterfall.png")),
        (plot::WIDTH, plot::HEIGHT)
    );
    let html = page_with_sentence(&out, "explain.json");
    assert!(html.contains("id=\"chart-waterfall\""));
    assert!(html.contains("the gap, aligned minus misaligned"));
    assert!(html.contains("id=\"levers\""));
}

#[test]
fn plan_folder_has_a_frontier_and_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = analysis(
        dir.path(),
        &["plan", "--arm", "misaligned", "--budget", "3000"],
    );
    let svg = std::fs::read_to_string(out.join("charts").join("frontier.svg")).unwrap();
    check_svg(&svg);
    let text = svg_text(&svg);
    assert!(text.contains("no preparation"), "{text}");
    assert!(text.contains("budget 3,000 USD"), "{text}");
    let html = page_with_sentence(&out, "plan.json");
    assert!(html.contains("id=\"chart-frontier\""));
    assert!(html.contains("<table class=\"plans\">"));
}
