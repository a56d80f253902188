//! The executive summary at the top of report.html and the printed report: the summary is
//! the page's first section, every figure in it is `summary.json`'s, the accounting firm's
//! leads with "Do not start", the print style sheet holds the rules that lay out the
//! printed pages, and `report --pdf` says how to get a browser when there is none and
//! writes report.pdf through whichever program it finds (a stand-in here, so the tests
//! need no browser).

use std::path::{Path, PathBuf};

use alignsim::output::text::{money, pct};
use serde_json::Value;

/// Runs `scenario` (2,000 trials, no chart files) into `dir/run` and returns that folder.
fn run(scenario: &Path, dir: &Path) -> PathBuf {
    let out = dir.join("run");
    let args = ["run", "--trials", "2000", "--charts", "none", "-q"];
    super::assert_success(&super::alignsim(
        &args,
        &[scenario, Path::new("--out"), &out],
    ));
    out
}

fn accounting_firm() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v2/accounting_firm.toml")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn summary_json(run: &Path) -> Value {
    serde_json::from_str(&read(&run.join("summary.json"))).unwrap()
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

/// The executive summary: the first section of the page.
fn first_section<'a>(doc: &'a roxmltree::Document<'a>) -> roxmltree::Node<'a, 'a> {
    let first = doc
        .descendants()
        .find(|n| n.has_tag_name("section"))
        .expect("the report has sections");
    assert_eq!(first.attribute("id"), Some("executive-summary"));
    first
}

/// The value `summary.json` holds under a figure's key, `arm.NAME.a.b`.
fn value_of(summary: &Value, key: &str) -> Option<f64> {
    let rest = key.strip_prefix("arm.").expect("an arm's figure");
    let arm = summary["arms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| rest.starts_with(&format!("{}.", a["name"].as_str().unwrap())))
        .unwrap_or_else(|| panic!("{key}: no such arm"));
    let field = &rest[arm["name"].as_str().unwrap().len() + 1..];
    field.split('.').fold(arm, |v, k| &v[k]).as_f64()
}

#[test]
fn the_summary_comes_first_and_every_figure_in_it_is_summary_json_s() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run(&super::bakery_path(), tmp.path());
    let html = read(&run.join("report.html"));
    let summary = summary_json(&run);
    let doc = parse(&html);
    let exec = first_section(&doc);
    let figures: Vec<_> = exec
        .descendants()
        .filter(|n| n.attribute("class") == Some("fig"))
        .collect();
    let arms = summary["arms"].as_array().unwrap();
    assert_eq!(figures.len(), 3 * arms.len(), "three figures per plan");
    for fig in figures {
        let key = fig.attribute("data-key").unwrap();
        let want = value_of(&summary, key);
        let shown: Option<f64> = fig.attribute("data-value").unwrap().parse().ok();
        assert_eq!(shown, want, "{key}");
        let formatted = if key.ends_with("npv.mean") {
            money(want)
        } else {
            pct(want)
        };
        assert_eq!(text(fig), formatted, "{key}");
    }
    for arm in arms {
        let npv = &arm["npv"];
        let (mean, se) = (npv["mean"].as_f64(), npv["se"].as_f64().unwrap());
        let interval = format!(
            "{} ({} to {})",
            money(mean),
            money(mean.map(|m| m - 1.96 * se)),
            money(mean.map(|m| m + 1.96 * se))
        );
        assert!(text(exec).contains(&interval), "{interval}");
    }
    let sentence = summary["decision"]["sentence"].as_str().unwrap();
    let choice = exec
        .descendants()
        .find(|n| n.attribute("class") == Some("choice-why"))
        .map(text)
        .unwrap();
    let (_, rest) = sentence.split_once(": ").unwrap();
    assert!(choice.ends_with(&rest[1..]), "{choice}\n{sentence}");
    assert!(
        exec.descendants()
            .any(|n| n.has_tag_name("svg") && n.attribute("aria-label").is_some()),
        "the ROI risk curve is drawn inline"
    );
}

#[test]
fn the_accounting_firm_is_told_not_to_start() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run(&accounting_firm(), tmp.path());
    let summary = summary_json(&run);
    assert_eq!(summary["decision"]["choice"], "do_nothing");
    let html = read(&run.join("report.html"));
    let doc = parse(&html);
    let exec = first_section(&doc);
    let words = exec
        .descendants()
        .find(|n| n.attribute("class") == Some("choice-words"))
        .map(text);
    assert_eq!(words.as_deref(), Some("Do not start"));
    let all = text(exec);
    assert!(all.contains("What drives the result"), "{all}");
    assert!(all.contains("What to do first"), "{all}");
    // The advice is the best lever of the least bad plan, as summary.json has it.
    let best = &summary["levers"]["aligned"];
    let (dim, lever) = best
        .as_object()
        .unwrap()
        .iter()
        .max_by(|a, b| {
            a.1["npv"]
                .as_f64()
                .unwrap()
                .total_cmp(&b.1["npv"].as_f64().unwrap())
        })
        .unwrap();
    let worth = alignsim::plot::fmt_money(lever["npv"].as_f64().unwrap());
    let words = alignsim::plot::levers::player_words(dim);
    let advice =
        format!("Raise {words} first: for the aligned plan, +0.1 of it is worth {worth} USD");
    assert!(all.contains(&advice), "{advice}\n{all}");
}

#[test]
fn a_plan_search_in_the_run_folder_is_quoted_as_the_first_step() {
    let tmp = tempfile::tempdir().unwrap();
    let bakery = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bakery.toml");
    let run = run(&bakery, tmp.path());
    let plan_dir = tmp.path().join("plan");
    let args = [
        "plan", "--arm", "aligned", "--trials", "300", "-q", "--charts", "none",
    ];
    super::assert_success(&super::alignsim(
        &args,
        &[&bakery, Path::new("--out"), &plan_dir],
    ));
    std::fs::copy(plan_dir.join("plan.json"), run.join("plan.json")).unwrap();
    let plan: Value = serde_json::from_str(&read(&run.join("plan.json"))).unwrap();
    super::assert_success(&super::alignsim(&["report", "--charts", "none"], &[&run]));
    let html = read(&run.join("report.html"));
    let exec = text(first_section(&parse(&html)));
    let sentence = plan["sentence"].as_str().unwrap();
    assert!(exec.contains(sentence), "{sentence}\n{exec}");
}

#[test]
fn the_print_style_sheet_lays_out_the_printed_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let html = read(&run(&super::bakery_path(), tmp.path()).join("report.html"));
    let css = &html[html.find("<style>").unwrap()..html.find("</style>").unwrap()];
    let print = &css[css.find("@media print").expect("a print style sheet")..];
    assert!(
        css.contains("@page { margin:"),
        "page margins for A4 and Letter"
    );
    assert!(
        !css.contains("size: A4") && !css.contains("size: letter"),
        "no fixed paper"
    );
    for rule in [
        "#executive-summary { break-after: page;",
        "figure, table, .card, .cards, .verdict, .choice, dl.facts, tr { break-inside: avoid;",
        "html { font-size: 10.5pt; }",
        "nav, button, .screen-only { display: none !important; }",
        "a { color: inherit; text-decoration: none; }",
    ] {
        assert!(print.contains(rule), "missing in print: {rule}");
    }
}

/// Runs `report --pdf` on `run` with `env` set (and `ALIGNSIM_CHROMIUM` otherwise unset).
fn report_pdf(
    run: &Path,
    env: &[(&str, &std::ffi::OsStr)],
    extra: &[&str],
) -> std::process::Output {
    let mut cmd = assert_cmd::Command::cargo_bin("alignsim").unwrap();
    cmd.env_remove("ALIGNSIM_CHROMIUM");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(["report", "--charts", "none", "--pdf"])
        .args(extra)
        .arg(run)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap()
}

/// The names in a run folder, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn without_a_browser_report_pdf_says_how_to_get_one_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run(&super::bakery_path(), tmp.path());
    let before = listing(&run);
    let html_time = std::fs::metadata(run.join("report.html"))
        .unwrap()
        .modified()
        .unwrap();
    let missing = tmp.path().join("no-such-chrome");
    let cases: [&[(&str, &std::ffi::OsStr)]; 2] = [
        &[("PATH", std::ffi::OsStr::new(""))],
        &[("ALIGNSIM_CHROMIUM", missing.as_os_str())],
    ];
    for env in cases {
        let out = report_pdf(&run, env, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("apt install chromium"), "{stderr}");
        assert!(
            stderr.contains("ALIGNSIM_CHROMIUM=/path/to/chrome"),
            "{stderr}"
        );
        assert_eq!(listing(&run), before, "nothing written");
        let now = std::fs::metadata(run.join("report.html"))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(now, html_time, "report.html left alone");
    }
    let out = report_pdf(&run, &[("ALIGNSIM_CHROMIUM", missing.as_os_str())], &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains(&missing.display().to_string()));
}

/// A stand-in for Chromium: a script that records its arguments in `args.txt` beside it
/// and runs `body` with `$out` the `--print-to-pdf` path.
#[cfg(unix)]
fn fake_browser(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("chromium");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\nout=''\nfor a in \"$@\"; do\n  case \"$a\" in --print-to-pdf=*) out=\"${{a#--print-to-pdf=}}\" ;; esac\ndone\n{body}\n",
        dir.join("args.txt").display()
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[cfg(unix)]
#[test]
fn report_pdf_prints_through_the_browser_it_finds() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run(&super::bakery_path(), tmp.path());
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    fake_browser(&bin, "printf '%%PDF-1.4 stand-in\\n' > \"$out\"");
    // Found on the PATH under its usual name.
    let out = report_pdf(&run, &[("PATH", bin.as_os_str())], &[]);
    super::assert_success(&out);
    assert!(read(&run.join("report.pdf")).starts_with("%PDF-1.4 stand-in"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("report.pdf"));
    let args = read(&bin.join("args.txt"));
    for flag in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-pdf-header-footer",
    ] {
        assert!(args.lines().any(|l| l == flag), "{flag}\n{args}");
    }
    let url = format!(
        "file://{}",
        std::fs::canonicalize(run.join("report.html"))
            .unwrap()
            .display()
    );
    assert_eq!(args.lines().last(), Some(url.as_str()));
    let profile = args
        .lines()
        .find_map(|l| l.strip_prefix("--user-data-dir="))
        .expect("a profile of its own");
    assert!(!Path::new(profile).exists(), "the profile is removed");
    assert!(
        !listing(&run).iter().any(|n| n.contains("partial")),
        "{:?}",
        listing(&run)
    );
    // report.pdf is alignsim's own: a new run may replace the folder that holds it.
    let again = ["run", "--trials", "500", "--charts", "none", "-q"];
    let bakery = super::bakery_path();
    super::assert_success(&super::alignsim(
        &again,
        &[&bakery, Path::new("--out"), &run],
    ));
    assert!(!run.join("report.pdf").exists());
}

#[cfg(unix)]
#[test]
fn a_browser_that_fails_hangs_or_prints_nothing_leaves_no_report_pdf() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run(&super::bakery_path(), tmp.path());
    let before = listing(&run);
    let cases = [
        (
            "echo 'cannot open display' >&2; exit 3",
            "cannot open display",
            &[][..],
        ),
        ("exit 0", "wrote no PDF", &[][..]),
        (
            "printf 'half' > \"$out\"; exec sleep 30",
            "did not finish within 1 s",
            &["--pdf-timeout", "1"][..],
        ),
    ];
    for (body, message, extra) in cases {
        let browser = fake_browser(tmp.path(), body);
        let start = std::time::Instant::now();
        let out = report_pdf(&run, &[("ALIGNSIM_CHROMIUM", browser.as_os_str())], extra);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{body}: {stderr}");
        assert!(stderr.contains(message), "{body}: {stderr}");
        assert!(start.elapsed().as_secs() < 20, "{body}: the timeout holds");
        assert_eq!(
            listing(&run),
            before,
            "{body}: no report.pdf, nothing partial"
        );
    }
}
