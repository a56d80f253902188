//! Every chart agrees with the tables: the percentages and amounts that chart legends and
//! labels state are `summary.json`'s, formatted the way the report formats them, and the
//! value breakdown says that its money is undiscounted.

use std::path::Path;

use alignsim::output::text::pct;
use alignsim::plot::fmt_money;
use serde_json::Value;

/// Runs the bakery (2,000 trials, SVG charts) into `dir`; returns the summary and a
/// function reading the text of one chart.
fn run(dir: &Path) -> Value {
    let args = ["run", "--trials", "2000", "--charts", "svg", "-q"];
    super::assert_success(&super::alignsim(
        &args,
        &[&super::bakery_path(), Path::new("--out"), dir],
    ));
    let text = std::fs::read_to_string(dir.join("summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every text element of an SVG chart, decoded.
fn svg_texts(path: &Path) -> Vec<String> {
    let svg = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("the chart is well-formed SVG");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            let text: String = n
                .descendants()
                .filter(|t| t.is_text())
                .filter_map(|t| t.text())
                .collect();
            text.trim().to_string()
        })
        .collect()
}

fn prob(v: &Value) -> String {
    pct(v.as_f64())
}

#[test]
fn chart_legends_state_the_summary_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let s = run(&out);
    let roi = svg_texts(&out.join("charts/roi_risk_curve.svg"));
    let breakdown = svg_texts(&out.join("charts/value_breakdown.svg"));
    let arms = s["arms"].as_array().unwrap();
    assert!(arms.len() >= 2);
    for a in arms {
        // The charts name each plan by its label, as the tables do.
        let name = a["label"].as_str().unwrap();
        let loss = format!(
            "{name}: loses money (NPV < 0) in {} of futures",
            prob(&a["p_npv_negative"])
        );
        assert!(roi.contains(&loss), "{loss:?} not in {roi:?}");
        let negative = format!("ROI < 0 (undiscounted): {}", prob(&a["p_roi_negative"]));
        assert!(roi.contains(&negative), "{negative:?} not in {roi:?}");
        let money = |v: &Value| fmt_money(v.as_f64().unwrap());
        let net = format!(
            "{name}: net {} undiscounted; mean NPV {} discounted",
            money(&a["net"]["mean"]),
            money(&a["npv"]["mean"])
        );
        assert!(breakdown.contains(&net), "{net:?} not in {breakdown:?}");
    }
    assert!(
        !roi.iter().any(|t| t.contains("return below zero")),
        "{roi:?}"
    );
    assert!(breakdown.iter().any(|t| t.contains("undiscounted, over")));
    assert!(breakdown.contains(&"Net result (undiscounted)".to_string()));
}
