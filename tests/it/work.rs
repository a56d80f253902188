//! Preparation work packages (MODEL.md section 8.3): the `[[work]]` catalogue and the arms'
//! `prepare` lists as read from a file, every input error they can raise, package values
//! in `[[correlation]]`, and sweep and break-even paths that reach them.

use std::path::{Path, PathBuf};

use alignsim::dist::Dist;
use alignsim::scenario::{self, Sym, WorkField};
use alignsim::sweep::spec;
use alignsim::sweep::{self, Base, Plan, Target, path};

use super::{alignsim, assert_success};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/work.toml")
}

fn fixture_text() -> String {
    std::fs::read_to_string(fixture()).expect("work.toml")
}

/// The fixture with the first `old` replaced by `new`.
fn edited(old: &str, new: &str) -> String {
    let text = fixture_text();
    assert!(text.contains(old), "the fixture has no {old:?}");
    text.replacen(old, new, 1)
}

/// Validates `text` as a file and checks it is refused (exit code 2) with an error at the
/// last occurrence of `at` that names `path` and says `message` (and `help`, if given).
fn rejects(text: &str, at: &str, path: &str, message: &str, help: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("work.toml");
    std::fs::write(&file, text).unwrap();
    let out = alignsim(&["validate"], &[&file]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let offset = text
        .rfind(at)
        .unwrap_or_else(|| panic!("{at:?} not in the text"));
    let (line, col) = alignsim::error::line_col(text, offset);
    // Long headlines are wrapped by the renderer: compare with the lines joined.
    let joined = stderr
        .lines()
        .map(|l| l.trim_start_matches([' ', '│', '×']).trim_end())
        .collect::<Vec<_>>()
        .join(" ");
    let headline = format!("{}:{line}:{col}: {path}: {message}", file.display());
    assert!(joined.contains(&headline), "want {headline:?} in\n{stderr}");
    if let Some(help) = help {
        assert!(joined.contains(help), "want help {help:?} in\n{stderr}");
    }
}

#[test]
fn a_catalogue_loads_in_file_order_with_each_arm_s_packages() {
    let sc = scenario::load(&fixture())
        .expect("work.toml is valid")
        .scenario;
    let names: Vec<&str> = sc.work.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["data_cleanup", "staff_training", "kpi_definition"]);
    let [cleanup, training, kpi] = &sc.work[..] else {
        panic!("three packages");
    };
    assert_eq!(
        cleanup.label,
        "Link the stock list to the till and clean it"
    );
    assert_eq!(
        kpi.label, "kpi_definition",
        "the label defaults to the name"
    );
    let dims: Vec<Sym> = sc.work.iter().map(|w| w.dimension).collect();
    assert_eq!(dims, [Sym::Fit, Sym::Culture, Sym::Measurement]);
    assert_eq!(
        *cleanup.value(WorkField::Gain),
        Dist::pert(0.1, 0.2, 0.3, 4.0).unwrap()
    );
    assert_eq!(*cleanup.value(WorkField::Cost), Dist::Fixed(2500.0));
    assert_eq!(*cleanup.value(WorkField::Months), Dist::Fixed(1.0));
    assert_eq!(*training.value(WorkField::Gain), Dist::Fixed(0.15));
    assert_eq!(training.value(WorkField::Months).support(), (1.0, 2.0));
    assert_eq!(
        *kpi.value(WorkField::Months),
        Dist::Fixed(0.0),
        "months default to 0"
    );
    let arm = |name: &str| sc.arms.iter().find(|a| a.name == name).unwrap();
    assert!(arm("aligned").prepare.is_empty());
    assert_eq!(
        arm("misaligned").prepare,
        [0, 2],
        "indices into the catalogue, ascending, whatever the order written"
    );
    let out = alignsim(&["validate"], &[&fixture()]);
    assert_success(&out);
}

#[test]
fn a_scenario_without_packages_has_an_empty_catalogue() {
    let sc = scenario::load(&super::bakery_path()).unwrap().scenario;
    assert!(sc.work.is_empty());
    assert!(sc.arms.iter().all(|a| a.prepare.is_empty()));
    let text = format!("work = []\n{}", super::bakery_text());
    let sc = super::scenario(&text);
    assert!(sc.work.is_empty());
}

#[test]
fn work_written_as_one_table_is_told_to_use_double_brackets() {
    let text = fixture_text();
    let first = text.find("[[work]]").unwrap();
    let second = first + 1 + text[first + 1..].find("[[work]]").unwrap();
    let one = text[..second]
        .replacen("[[work]]", "[work]", 1)
        .replace(", \"kpi_definition\"", "")
        .replace("\"kpi_definition\", ", "");
    rejects(
        &one,
        "[work]",
        "work",
        "expected [[work]] packages, found a table",
        Some("write each package as a [[work]] table (two brackets)"),
    );
}

#[test]
fn unknown_package_keys_get_a_did_you_mean() {
    rejects(
        &edited("months = 1\n", "monts = 1\n"),
        "monts",
        "work.data_cleanup.monts",
        "unknown key in a [[work]] package; allowed: name, label, dimension, gain, cost, months",
        Some("did you mean `months`?"),
    );
}

#[test]
fn required_keys_say_what_is_allowed() {
    let header = "[[work]]\nname = \"staff_training\"";
    let cases = [
        (
            "dimension = \"culture\"\n",
            "work.staff_training.dimension",
            "required: dimension, the alignment score the package raises: one of strategic, fit, culture, measurement, integration, ethics",
        ),
        (
            "gain = 0.15\n",
            "work.staff_training.gain",
            "required: gain, a number >= 0 or a distribution",
        ),
        (
            "cost = { dist = \"triangular\", min = 800, mode = 1200, max = 2000 }\n",
            "work.staff_training.cost",
            "required: cost, a number >= 0 or a distribution",
        ),
    ];
    for (line, path, message) in cases {
        rejects(&edited(line, ""), header, path, message, None);
    }
    rejects(
        &edited("name = \"staff_training\"\n", ""),
        "[[work]]\nlabel = \"Let the staff",
        "work[1].name",
        "required: name, unique among the packages ([a-z0-9_]+, at most 64 characters)",
        Some("e.g. name = \"data_cleanup\""),
    );
}

#[test]
fn package_names_are_short_lowercase_and_unique() {
    rejects(
        &edited("\"staff_training\"", "\"Staff training\""),
        "\"Staff training\"",
        "work[1].name",
        "\"Staff training\" is not a package name: use lowercase letters, digits and '_'",
        Some("e.g. name = \"staff_training\""),
    );
    let long = format!("\"{}\"", "s".repeat(65));
    rejects(
        &edited("\"staff_training\"", &long),
        &long,
        "work[1].name",
        "the package name is 65 characters long; a package name has at most 64",
        None,
    );
    let text = edited("name = \"staff_training\"", "name = \"data_cleanup\"");
    let first = text.find("name = \"data_cleanup\"").unwrap();
    let (line, _) = alignsim::error::line_col(&text, first);
    rejects(
        &text,
        "\"data_cleanup\"\nlabel = \"Let the staff",
        "work[1].name",
        &format!(
            "\"data_cleanup\" is already the name of work[0] (line {line}): package names must be unique"
        ),
        None,
    );
}

#[test]
fn unknown_dimensions_get_a_did_you_mean() {
    rejects(
        &edited("dimension = \"culture\"", "dimension = \"cultur\""),
        "\"cultur\"",
        "work.staff_training.dimension",
        "unknown dimension \"cultur\"; allowed: strategic, fit, culture, measurement, integration, ethics",
        Some("did you mean \"culture\"?"),
    );
}

#[test]
fn package_values_are_checked_like_parameters() {
    let cases = [
        (
            "gain = 0.15",
            "gain = -0.1",
            "-0.1",
            "work.staff_training.gain",
            "must be a number >= 0, got -0.1",
        ),
        (
            "cost = 2500",
            "cost = 2e15",
            "2e15",
            "work.data_cleanup.cost",
            "must stay within ±1e15, got 2e15: the largest amount the model adds up",
        ),
        (
            "months = 1\n",
            "months = 1.5\n",
            "1.5",
            "work.data_cleanup.months",
            "must be a whole number in [0, 1200], got 1.5",
        ),
        (
            "min = 800",
            "min = -800",
            "{ dist = \"triangular\", min = -800",
            "work.staff_training.cost",
            "the distribution ranges from -800 to 2,000, outside the allowed range: a number >= 0",
        ),
        (
            "cost = 600",
            "cost = \"600\"",
            "\"600\"",
            "work.kpi_definition.cost",
            "expected a number or a distribution, found a string (\"600\")",
        ),
        (
            "gain = 0.15",
            "gain = { dist = \"pert\", min = 0.1, max = 0.2 }",
            "{ dist = \"pert\"",
            "work.staff_training.gain",
            "pert needs mode",
        ),
    ];
    for (old, new, at, path, message) in cases {
        rejects(&edited(old, new), at, path, message, None);
    }
}

#[test]
fn a_catalogue_holds_at_most_twenty_packages() {
    let mut text = fixture_text();
    for i in 0..18 {
        text.push_str(&format!(
            "\n[[work]]\nname = \"extra_{i}\"\ndimension = \"ethics\"\ngain = 0.01\ncost = 10\n"
        ));
    }
    rejects(
        &text,
        "[[work]]",
        "work[20]",
        "at most 20 work packages, got 21: a preparation plan simulates every subset of the catalogue",
        None,
    );
    text.truncate(text.rfind("\n[[work]]").unwrap());
    super::scenario(&text);
}

#[test]
fn prepare_names_packages_of_the_catalogue_once_each() {
    let list = "\"kpi_definition\", \"data_cleanup\"";
    rejects(
        &edited(list, "\"kpi_defintion\", \"data_cleanup\""),
        "\"kpi_defintion\"",
        "arms.misaligned.prepare",
        "no [[work]] package named \"kpi_defintion\"; the packages are data_cleanup, staff_training, kpi_definition",
        Some("did you mean \"kpi_definition\"?"),
    );
    rejects(
        &edited(
            list,
            "\"data_cleanup\", \"kpi_definition\", \"data_cleanup\"",
        ),
        "\"data_cleanup\"]",
        "arms.misaligned.prepare",
        "\"data_cleanup\" is listed twice",
        None,
    );
    rejects(
        &edited(&format!("[{list}]"), "\"data_cleanup\""),
        "\"data_cleanup\"\n# Kiosks",
        "arms.misaligned.prepare",
        "expected a list of [[work]] package names, found a string (\"data_cleanup\")",
        Some("e.g. prepare = [\"data_cleanup\", \"staff_training\"]"),
    );
    let bakery = super::bakery_text().replacen(
        "[arms.misaligned]\n",
        "[arms.misaligned]\nprepare = [\"data_cleanup\"]\n",
        1,
    );
    rejects(
        &bakery,
        "\"data_cleanup\"",
        "arms.misaligned.prepare",
        "no package named \"data_cleanup\": this scenario has no [[work]] packages",
        Some("describe each package in a [[work]] table"),
    );
    rejects(
        &format!("prepare = [\"data_cleanup\"]\n{}", fixture_text()),
        "prepare = [\"data_cleanup\"]\n# The article",
        "prepare",
        "prepare is set per arm: write prepare = [\"PACKAGE\", ..] under [arms.NAME]",
        None,
    );
}

/// The fixture with a `[[correlation]]` pair between `a` and `b` at the top.
fn correlated(a: &str, b: &str) -> String {
    format!(
        "[[correlation]]\nbetween = [\"{a}\", \"{b}\"]\nrho = 0.5\n\n{}",
        fixture_text()
    )
}

#[test]
fn random_package_values_can_be_correlated() {
    let sc = super::scenario(&correlated(
        "work.data_cleanup.gain",
        "initiative.upfront_cost",
    ));
    let c = sc.correlation.expect("a correlation");
    assert_eq!(
        c.paths,
        ["work.data_cleanup.gain", "initiative.upfront_cost"]
    );
    rejects(
        &correlated("work.data_cleanup.gain", "work.kpi_definition.cost"),
        "\"work.kpi_definition.cost\"",
        "correlation[0].between",
        "work.kpi_definition.cost is a fixed number; only uncertain values (distributions) can be correlated",
        None,
    );
    rejects(
        &correlated("work.data_cleanup.gain", "work.staff_trainig.cost"),
        "\"work.staff_trainig.cost\"",
        "correlation[0].between",
        "\"work.staff_trainig.cost\" is not a parameter path such as initiative.upfront_cost or work.NAME.cost",
        Some("did you mean \"work.staff_training.cost\"?"),
    );
}

fn base() -> Base {
    Base::load(&fixture()).expect("work.toml loads")
}

#[test]
fn sweep_paths_set_package_values() {
    let b = base();
    let cases = [
        ("work.data_cleanup.cost", 4000.0),
        ("work.data_cleanup.months", 3.0),
        ("work.data_cleanup.gain.mode", 0.25),
        ("work.staff_training.cost.max", 2500.0),
        ("work.kpi_definition.months", 2.0),
    ];
    for (p, x) in cases {
        let target = path::resolve(&b.doc, p).unwrap_or_else(|e| panic!("{p}: {e:?}"));
        let mut doc = b.doc.clone();
        path::set(&mut doc, &target, x);
        assert_eq!(path::current(&doc, &target), Some(x), "{p}");
        b.with(&b.doc, &[(&target, x)])
            .unwrap_or_else(|e| panic!("{p}:\n{}", e.render(false)));
    }
    let t = path::resolve(&b.doc, "work.data_cleanup.gain.mode").unwrap();
    assert_eq!(
        t,
        Target::Work {
            package: "data_cleanup".into(),
            field: WorkField::Gain,
            dist_field: Some("mode".into()),
        }
    );
    let sc = b.with(&b.doc, &[(&t, 0.25)]).unwrap();
    assert_eq!(
        *sc.work[0].value(WorkField::Gain),
        Dist::pert(0.1, 0.25, 0.3, 4.0).unwrap()
    );
    let months = path::resolve(&b.doc, "work.kpi_definition.months").unwrap();
    assert!(months.integer());
    assert_eq!(path::current(&b.doc, &months), Some(0.0), "the default");
    let sc = b.with(&b.doc, &[(&months, 2.0)]).unwrap();
    assert_eq!(*sc.work[2].value(WorkField::Months), Dist::Fixed(2.0));
    assert!(!t.integer());
}

#[test]
fn a_sweep_over_package_values_produces_its_points() {
    let args: Vec<String> = [
        "work.data_cleanup.cost=0:5000:3",
        "work.data_cleanup.gain.mode=0.15,0.25",
    ]
    .map(String::from)
    .to_vec();
    let (source, axes) = spec::parse_args(&args).expect("well-formed --vary");
    let plan = Plan::new(base(), source, axes, Some(200), None, "test".into())
        .unwrap_or_else(|e| panic!("plan rejected:\n{}", e.render(false)));
    let s = sweep::simulate(&plan, &|_| {}).expect("sweep runs");
    assert_eq!(s.points.len(), 3 * 2);
    assert_eq!(s.points[5].values, [5000.0, 0.25]);
    assert!(s.points.iter().all(|p| p.arms.len() == 2));
    assert_eq!(s.axes[0].label, "the cost of package data_cleanup");
    assert_eq!(s.axes[0].base, Some(2500.0));
    assert_eq!(s.axes[0].arm, None);
    assert_eq!(
        s.axes[1].label,
        "the mode of alignment gain of package data_cleanup"
    );
    let args = vec!["work.data_cleanup.months=0:2:5".to_string()];
    let (source, axes) = spec::parse_args(&args).unwrap();
    let e = Plan::new(base(), source, axes, Some(100), None, "t".into()).unwrap_err();
    assert!(e.to_string().contains("whole numbers"), "{e}");
}

#[test]
fn mistyped_package_paths_name_the_packages() {
    let b = base();
    let e = path::resolve(&b.doc, "work.data_clenup.cost").unwrap_err();
    let help = e.help.unwrap();
    assert!(
        help.contains("did you mean `work.data_cleanup.cost`?"),
        "{help}"
    );
    let e = path::resolve(&b.doc, "work.nmae.cost").unwrap_err();
    let help = e.help.unwrap();
    assert!(
        help.contains("under `work`: data_cleanup, staff_training, kpi_definition"),
        "{help}"
    );
    let e = path::resolve(&b.doc, "work.data_cleanup.cost.mode").unwrap_err();
    assert!(e.help.unwrap().contains("plain number"));
    let e = path::resolve(&b.doc, "work.data_cleanup.gian").unwrap_err();
    assert!(
        e.help
            .unwrap()
            .contains("did you mean `work.data_cleanup.gain`?")
    );
}

#[test]
fn cli_sweep_and_breakeven_accept_package_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let file = fixture().display().to_string();
    let o = alignsim(
        &[
            "sweep",
            &file,
            "--vary",
            "work.data_cleanup.cost=0:5000:3",
            "--trials",
            "100",
            "--charts",
            "none",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_success(&o);
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 3 * 2);
    assert!(
        csv.starts_with("point,work.data_cleanup.cost,arm,"),
        "{csv}"
    );
    let o = alignsim(
        &[
            "sweep",
            &file,
            "--vary",
            "work.data_clenup.cost=0:5000:3",
            "--trials",
            "100",
            "--out",
            tmp.path().join("bad").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("did you mean `work.data_cleanup.cost`?"),
        "{err}"
    );
    let o = alignsim(
        &[
            "breakeven",
            &file,
            "--vary",
            "work.data_cleanup.gain.mode",
            "--arm",
            "misaligned",
            "--trials",
            "100",
        ],
        &[],
    );
    assert_success(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("from 0.1 to 0.3"),
        "the mode's range is min to max: {stdout}"
    );
}
