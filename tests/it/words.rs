//! The client's own words (issue 15, item 1): a non-bakery scenario's report and charts
//! speak its words (`[labels]`, arm labels), none of the bakery's; shares print as
//! percentages and the run's time as a person writes it; `[report] client`, `author` and
//! `logo` reach the page, the logo embedded; the comment beside or above each key is its
//! source in the assumptions table; bad labels and logos are input errors.

use std::path::{Path, PathBuf};

use alignsim::scenario;

/// Words of the shipped bakery (its file and the report strings it used to print) that
/// no other business's report should contain: matched at the start of a word.
const BAKERY_WORDS: &[&str] = &[
    "bakery", "bakeries", "bake", "bread", "pastr", "cake", "order", "stock", "counter", "kiosk",
    "shop", "till", "regulars", "customer", "mixed-up", "mix-up", "sales",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/v2")
        .join(name)
}

/// Runs `scenario` (2,000 trials, SVG charts) into `dir/run` and returns the folder.
fn run(scenario: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("run");
    let args = ["run", "--trials", "2000", "--charts", "svg", "-q"];
    super::assert_success(&super::alignsim(
        &args,
        &[scenario, Path::new("--out"), &out],
    ));
    out
}

/// The text a reader sees in an HTML or SVG document: its text nodes, the style sheet
/// left out, white space collapsed.
fn visible_text(markup: &str) -> String {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(markup, options).expect("well-formed");
    doc.descendants()
        .filter(|n| n.is_text())
        .filter(|n| n.parent().is_none_or(|p| !p.has_tag_name("style")))
        .filter_map(|n| n.text())
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text of `report.html` and of every chart SVG of a run folder.
fn report_and_charts(dir: &Path) -> (String, String) {
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let mut charts = String::new();
    for entry in std::fs::read_dir(dir.join("charts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "svg") {
            charts.push_str(&visible_text(&std::fs::read_to_string(&path).unwrap()));
            charts.push('\n');
        }
    }
    (visible_text(&html), charts)
}

/// The bakery words in `text`, each with the words around it.
fn bakery_words(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut found = Vec::new();
    for word in BAKERY_WORDS {
        for (at, _) in lower.match_indices(word) {
            let starts_word = lower[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
            if starts_word {
                let from = lower[..at].char_indices().rev().nth(40).map_or(0, |c| c.0);
                let to = (at + 60).min(lower.len());
                let to = (to..=lower.len())
                    .find(|i| lower.is_char_boundary(*i))
                    .unwrap();
                found.push(format!("{word}: ...{}...", &lower[from..to]));
            }
        }
    }
    found
}

#[test]
fn a_non_bakery_report_speaks_its_own_words_and_none_of_the_bakerys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(&fixture("accounting_firm_words.toml"), tmp.path());
    let (html, charts) = report_and_charts(&dir);
    let found = bakery_words(&format!("{html}\n{charts}"));
    assert!(found.is_empty(), "bakery words:\n{}", found.join("\n"));
    for words in [
        "Misposted entries per month at full adoption",
        "Direct cost of one misposted entry",
        "Share of clients lost for good per misposted entry",
        "Share of the clients kept at the end",
    ] {
        assert!(html.contains(words), "{words}");
    }
    let aligned = "Aligned: the assistant proposes, a bookkeeper approves every posting";
    for words in [
        "Extra fee income",
        "Bookkeeping hours saved",
        "Licence fees",
    ] {
        assert!(charts.contains(words), "value breakdown: {words}");
    }
    let roi = std::fs::read_to_string(dir.join("charts/roi_risk_curve.svg")).unwrap();
    assert!(
        visible_text(&roi).contains(&format!("{aligned}: loses money (NPV < 0)")),
        "the ROI chart's legend names the plan by its label"
    );
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(page.contains(&format!("<strong>{aligned}</strong>: loses money in")));
}

#[test]
fn shares_print_as_percentages_and_the_time_as_a_person_writes_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(&fixture("accounting_firm_words.toml"), tmp.path());
    let (html, _) = report_and_charts(&dir);
    assert!(html.contains("PERT 35 % / 42 % / 50 %"), "gross margin");
    assert!(
        html.contains("Lognormal median 10 %, P90 30 %"),
        "cost overrun"
    );
    assert!(html.contains("PERT 0 % / 0.01 % / 0.05 %"), "client churn");
    assert!(!html.contains("PERT 0.35"), "no share as a fraction");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let stamp = manifest["timestamp"].as_str().unwrap();
    assert!(!html.contains(stamp), "no ISO time stamp");
    let (date, time) = (&stamp[..10], &stamp[11..16]);
    let month = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ][date[5..7].parse::<usize>().unwrap() - 1];
    let day: u32 = date[8..10].parse().unwrap();
    let human = format!("{day} {month} {}, {time} UTC", &date[..4]);
    assert!(html.contains(&format!("simulated {human}")), "{human}");
    assert!(html.contains(&format!("Simulated at {human}")), "{human}");
}

#[test]
fn the_client_the_author_and_the_logo_reach_the_page_and_its_rerender() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(&fixture("accounting_firm_words.toml"), tmp.path());
    let logo = std::fs::read(fixture("firm_logo.svg")).unwrap();
    assert_eq!(
        std::fs::read(dir.join("logo.svg")).unwrap(),
        logo,
        "the run keeps a copy"
    );
    let check = |html: &str| {
        assert!(html.contains("src=\"data:image/svg+xml;base64,PHN2ZyB4bWxucz0i"));
        assert!(!html.contains("firm_logo.svg\""), "embedded, not linked");
        let text = visible_text(html);
        assert!(text.contains(
            "Prepared for Miller & Hart, Chartered Accountants by Jane Doe, Northside Advisory"
        ));
    };
    check(&std::fs::read_to_string(dir.join("report.html")).unwrap());
    std::fs::remove_file(dir.join("report.html")).unwrap();
    super::assert_success(&super::alignsim(&["report", "--charts", "none"], &[&dir]));
    check(&std::fs::read_to_string(dir.join("report.html")).unwrap());
}

/// The input errors of the accounting scenario with `from` replaced by `to`, as printed.
fn errors_with(tmp: &Path, from: &str, to: &str) -> String {
    let text = std::fs::read_to_string(fixture("accounting_firm_words.toml")).unwrap();
    assert!(text.contains(from), "{from}");
    let path = tmp.join("firm.toml");
    std::fs::write(&path, text.replace(from, to)).unwrap();
    std::fs::copy(fixture("firm_logo.svg"), tmp.join("firm_logo.svg")).unwrap();
    match scenario::load(&path) {
        Ok(_) => panic!("{to} is accepted"),
        Err(scenario::LoadError::Input(e)) => e.render(false),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn bad_labels_and_logos_are_input_errors_naming_the_key() {
    let tmp = tempfile::tempdir().unwrap();
    let e = errors_with(
        tmp.path(),
        "customers = \"clients\"",
        "custumers = \"clients\"",
    );
    assert!(
        e.contains("labels.custumers") && e.contains("did you mean `customers`?"),
        "{e}"
    );
    let e = errors_with(tmp.path(), "incident = \"misposted entry\"\n", "");
    assert!(e.contains("labels.incidents needs labels.incident"), "{e}");
    let e = errors_with(tmp.path(), "uplift = \"Extra fee income\"", "uplift = \"\"");
    assert!(
        e.contains("labels.uplift") && e.contains("cannot be empty"),
        "{e}"
    );
    let e = errors_with(
        tmp.path(),
        "logo = \"firm_logo.svg\"",
        "logo = \"missing.png\"",
    );
    assert!(
        e.contains("report.logo") && e.contains("cannot read the logo"),
        "{e}"
    );
    assert!(e.contains("firm.toml:"), "points into the file: {e}");
    let e = errors_with(
        tmp.path(),
        "logo = \"firm_logo.svg\"",
        "logo = \"firm_logo.gif\"",
    );
    assert!(e.contains("not a PNG, JPEG or SVG file name"), "{e}");
    let big = tmp.path().join("big.png");
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(2 * 1024 * 1024 + 1, 0);
    std::fs::write(&big, bytes).unwrap();
    let e = errors_with(tmp.path(), "logo = \"firm_logo.svg\"", "logo = \"big.png\"");
    assert!(e.contains("limited to 2 MB"), "{e}");
    std::fs::write(tmp.path().join("fake.png"), "not an image").unwrap();
    let e = errors_with(
        tmp.path(),
        "logo = \"firm_logo.svg\"",
        "logo = \"fake.png\"",
    );
    assert!(e.contains("is not a PNG, JPEG or SVG image"), "{e}");
}

#[test]
fn the_shipped_bakery_keeps_its_words() {
    let sc = scenario::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bakery.toml"))
        .unwrap()
        .scenario;
    assert_eq!(sc.labels.incidents, "mixed-up orders and stock-outs");
    assert_eq!(sc.labels.channel("customers_lost", None), "Regulars lost");
    let neutral = super::scenario(&super::bakery_text());
    assert_eq!(neutral.labels.incidents, "incidents");
    assert_eq!(neutral.labels.channel("uplift", None), "Extra sales");
}

#[test]
fn the_assumptions_table_shows_each_numbers_source_comment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run(&fixture("accounting_firm_words.toml"), tmp.path());
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&html, options).unwrap();
    let assumptions = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("assumptions"))
        .unwrap();
    let row = |path: &str| -> Vec<String> {
        let tr = assumptions
            .descendants()
            .filter(|n| n.has_tag_name("tr"))
            .find(|tr| {
                tr.descendants()
                    .any(|n| n.attribute("class") == Some("path") && n.text() == Some(path))
            })
            .unwrap_or_else(|| panic!("no row {path}"));
        tr.children()
            .filter(|c| c.is_element())
            .map(|c| visible_text(&format!("<x>{}</x>", &html[c.range()])))
            .collect()
    };
    let headers: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("th") && n.text() == Some("Source"))
        .map(|n| n.text().unwrap().to_string())
        .collect();
    assert!(!headers.is_empty(), "a Source column");
    let beside = row("initiative.build_months");
    assert_eq!(
        beside.last().unwrap(),
        "migrating 150 ledgers takes a season, assumed"
    );
    let above = row("initiative.monthly_cost");
    assert_eq!(
        above.last().unwrap(),
        "Priced per client ledger: 9-12 USD a ledger a month for some 150 ledgers, assumed."
    );
    let per_arm = row("initiative.labour_saving");
    let source = per_arm.last().unwrap();
    assert!(
        source.contains("Share of the posting work saved at full adoption"),
        "{source}"
    );
    assert!(
        source.contains("Technology-driven: postings go straight into the clients' books: Without the check, more of the posting work is saved."),
        "{source}"
    );
}
