//! The report says what model v2 found: how the projects end (always), what a review looks
//! at, the uses found along the way and the preparation (only when the scenario has them),
//! each figure as `summary.json` has it, formatted the way the report formats it.

use std::path::Path;

use alignsim::output::text::{money, pct};
use serde_json::Value;

/// Runs `scenario` (2,000 trials, no charts) into `dir` and returns its report and summary.
fn run(scenario: &Path, dir: &Path) -> (String, Value) {
    let out = dir.join("run");
    let args = ["run", "--trials", "2000", "--charts", "none", "-q"];
    super::assert_success(&super::alignsim(
        &args,
        &[scenario, Path::new("--out"), &out],
    ));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let summary = std::fs::read_to_string(out.join("summary.json")).unwrap();
    (html, serde_json::from_str(&summary).unwrap())
}

fn parse(html: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(html, options).expect("report.html is well-formed")
}

fn text(node: roxmltree::Node) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

/// The text of the report's section `id`, `None` when the report has no such section.
fn section(doc: &roxmltree::Document, id: &str) -> Option<String> {
    doc.descendants()
        .find(|n| n.has_tag_name("section") && n.attribute("id") == Some(id))
        .map(text)
}

/// The cells' text of every body row of the table in section `id`.
fn rows(doc: &roxmltree::Document, id: &str) -> Vec<Vec<String>> {
    let sec = doc
        .descendants()
        .find(|n| n.attribute("id") == Some(id))
        .unwrap_or_else(|| panic!("no section {id}"));
    sec.descendants()
        .filter(|n| n.has_tag_name("tbody"))
        .flat_map(|b| b.children().filter(|r| r.has_tag_name("tr")))
        .map(|r| {
            r.children()
                .filter(|c| c.has_tag_name("td"))
                .map(text)
                .collect()
        })
        .collect()
}

fn arms(summary: &Value) -> &Vec<Value> {
    summary["arms"].as_array().unwrap()
}

fn share(arm: &Value, cause: &str) -> Option<f64> {
    arm["p_dropped_by"][cause].as_f64()
}

#[test]
fn a_v1_report_says_how_projects_end_and_nothing_of_model_v2() {
    let tmp = tempfile::tempdir().unwrap();
    let (html, summary) = run(&super::bakery_path(), tmp.path());
    let doc = parse(&html);
    for id in ["discoveries", "preparation"] {
        assert!(
            section(&doc, id).is_none(),
            "a v1 report has no {id} section"
        );
    }
    let endings = section(&doc, "endings").expect("the drop causes are always shown");
    assert!(!endings.contains("review"), "no reviews in a v1 scenario");
    assert!(!html.contains("after preparing"));
    for arm in arms(&summary) {
        let name = arm["label"].as_str().unwrap();
        let p = arm["p_dropped"].as_f64();
        assert!(p.unwrap() > 0.0, "{name} is dropped in some futures");
        let lead = format!("{name} is stopped in {} of the futures", pct(p));
        assert!(endings.contains(&lead), "{lead}");
        assert_eq!(share(arm, "review"), Some(0.0));
        let causes: Vec<(f64, &str)> = [
            ("gate", "at the pilot's go/no-go gate"),
            ("hazard", "given up for other reasons"),
        ]
        .into_iter()
        .filter_map(|(cause, words)| share(arm, cause).filter(|x| *x > 0.0).map(|x| (x, words)))
        .collect();
        let detail = match &causes[..] {
            [(_, words)] => format!(", all of them {words}."),
            [(g, gate), (h, hazard)] => {
                format!(": {} {gate} and {} {hazard}.", pct(Some(*g)), pct(Some(*h)))
            }
            _ => panic!("{name} is dropped at the gate or for other reasons"),
        };
        assert!(
            endings.contains(&format!("{lead}{detail}")),
            "{lead}{detail}\n{endings}"
        );
    }
}

#[test]
fn the_v2_bakery_report_shows_reviews_discoveries_and_preparation() {
    let tmp = tempfile::tempdir().unwrap();
    let bakery = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bakery.toml");
    let (html, summary) = run(&bakery, tmp.path());
    let doc = parse(&html);
    let endings = section(&doc, "endings").unwrap();
    assert!(endings.contains("What a review looks at"));
    assert!(endings.contains("over the last 3 months"));
    assert!(endings.contains("below 0 USD a month"));
    let mis = arms(&summary)
        .iter()
        .find(|a| a["name"] == "misaligned")
        .unwrap();
    assert_eq!(share(mis, "gate"), Some(0.0), "the kiosk plan has no pilot");
    let sentence = format!(
        "{} is stopped in {} of the futures: {} by a quarterly look at the books and {} \
         given up for other reasons.",
        mis["label"].as_str().unwrap(),
        pct(mis["p_dropped"].as_f64()),
        pct(share(mis, "review")),
        pct(share(mis, "hazard")),
    );
    assert!(endings.contains(&sentence), "{sentence}\n{endings}");
    check_discoveries(&doc, &summary);
    check_preparation(&doc, &summary);
    assert!(
        section(&doc, "headline")
            .unwrap()
            .contains("aligned (after preparing: order_kpi, stock_link)")
    );
}

fn check_discoveries(doc: &roxmltree::Document, summary: &Value) {
    let table = rows(doc, "discoveries");
    assert_eq!(table.len(), arms(summary).len());
    for (row, arm) in table.iter().zip(arms(summary)) {
        let found = format!("{:.1}", arm["discoveries_mean"].as_f64().unwrap());
        let value = money(arm["channels"]["discoveries"].as_f64());
        assert_eq!(row, &[arm["label"].as_str().unwrap(), &found, &value]);
    }
}

fn check_preparation(doc: &roxmltree::Document, summary: &Value) {
    let text = section(doc, "preparation").unwrap();
    let catalogue = rows(doc, "preparation");
    let names: Vec<&str> = catalogue.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        names,
        [
            "Define the order-accuracy KPI: mixed-up orders and stock-outs counted weeklyorder_kpi",
            "Link the stock list to the till and clean itstock_link",
            "Let the counter staff choose and learn the systemstaff_choice",
        ]
    );
    assert_eq!(
        catalogue[2][1..],
        [
            "Culture and staff buy-in",
            "PERT 0.1 / 0.2 / 0.35",
            "PERT 600 / 1,200 / 2,500",
            "1",
            "Kiosks, after preparing"
        ]
    );
    let raises = [
        (
            "aligned",
            "order_kpi and stock_link",
            "Measurement: clear KPIs and Technology fit and data",
        ),
        (
            "kiosks_prepared",
            "order_kpi, stock_link and staff_choice",
            "Measurement: clear KPIs, Technology fit and data and Culture and staff buy-in",
        ),
    ];
    for arm in arms(summary) {
        let (key, name) = (
            arm["name"].as_str().unwrap(),
            arm["label"].as_str().unwrap(),
        );
        let Some((_, packages, scores)) = raises.iter().find(|r| r.0 == key) else {
            assert!(arm.get("prepare").is_none(), "{name}");
            assert!(
                text.contains(&format!("{name} does no preparation.")),
                "{name}"
            );
            continue;
        };
        let cost = money(arm["channels"]["preparation"].as_f64().map(|c| -c));
        let line = format!(
            "{name} prepares {packages}, for {cost} USD on average; this raises {scores}, and its \
             build starts 1 month later."
        );
        assert!(text.contains(&line), "{line}\n{text}");
    }
}
