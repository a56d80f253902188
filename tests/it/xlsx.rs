//! `report.xlsx` of a run and of a sweep, read back with calamine: the expected sheets, the
//! figures as numeric cells equal to `summary.json` and `sweep.json`, a row for every
//! parameter of every arm, native charts in the zip, the same bytes when written again;
//! and `--trials-format`: `trials.csv` holds the rows and values of `trials.parquet`, and
//! `alignsim report` redraws a folder that holds only `trials.csv`.

use std::fs::File;
use std::path::{Path, PathBuf};

use calamine::{Data, Range, Reader, Xlsx, open_workbook};
use serde_json::Value;

const RUN_SHEETS: [&str; 6] = [
    "Summary",
    "Assumptions",
    "Percentiles",
    "Risk curve",
    "Monthly bands",
    "Channels",
];

/// Runs the v1 bakery (`trials` trials, no chart files) with the `extra` flags into
/// `dir/run` and returns the folder.
fn run(dir: &Path, trials: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join("run");
    let mut args = vec!["run", "--trials", trials, "--charts", "none", "-q"];
    args.extend_from_slice(extra);
    let bakery = super::bakery_path();
    super::assert_success(&super::alignsim(
        &args,
        &[&bakery, Path::new("--out"), &out],
    ));
    out
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn book(path: &Path) -> Xlsx<std::io::BufReader<File>> {
    open_workbook(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sheet(book: &mut Xlsx<std::io::BufReader<File>>, name: &str) -> Range<Data> {
    book.worksheet_range(name)
        .unwrap_or_else(|e| panic!("no sheet {name}: {e}"))
}

/// The rows of a sheet below the row whose first cell is `header`, up to the first row
/// with an empty first cell.
fn table(range: &Range<Data>, header: &str) -> (Vec<String>, Vec<Vec<Data>>) {
    let mut rows = range
        .rows()
        .skip_while(|r| r[0] != Data::String(header.into()));
    let head = rows.next().unwrap_or_else(|| panic!("no row {header}"));
    let names = head.iter().map(|c| c.to_string()).collect();
    let body = rows
        .take_while(|r| r[0] != Data::Empty)
        .map(|r| r.to_vec())
        .collect();
    (names, body)
}

/// The cell of `row` under `column`.
fn cell<'a>(names: &[String], row: &'a [Data], column: &str) -> &'a Data {
    let i = names
        .iter()
        .position(|n| n == column)
        .unwrap_or_else(|| panic!("no column {column}"));
    &row[i]
}

/// A numeric cell holding exactly `want` (a JSON number), or an empty cell for null.
fn assert_number(got: &Data, want: &Value, what: &str) {
    match want.as_f64() {
        Some(w) => assert_eq!(got, &Data::Float(w), "{what}"),
        None => assert_eq!(got, &Data::Empty, "{what}"),
    }
}

/// The names of the files in the workbook's zip.
fn zip_names(path: &Path) -> Vec<String> {
    let archive = zip::ZipArchive::new(File::open(path).unwrap()).unwrap();
    archive
        .file_names()
        .map(|n| n.expect("a file name").into_owned())
        .collect()
}

#[test]
fn run_workbook_has_the_summary_figures_as_numbers() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(tmp.path(), "2000", &[]);
    let summary = json(&out.join("summary.json"));
    let path = out.join("report.xlsx");
    let mut wb = book(&path);
    assert_eq!(wb.sheet_names(), RUN_SHEETS.map(String::from).to_vec());
    let (names, rows) = table(&sheet(&mut wb, "Summary"), "Arm");
    let arms = summary["arms"].as_array().unwrap();
    assert_eq!(rows.len(), arms.len());
    for (row, arm) in rows.iter().zip(arms) {
        assert_eq!(row[0], Data::String(arm["name"].as_str().unwrap().into()));
        for (column, want) in [
            ("Mean NPV", &arm["npv"]["mean"]),
            ("SE of mean NPV", &arm["npv"]["se"]),
            ("P(NPV < 0)", &arm["p_npv_negative"]),
            ("NPV P5", &arm["npv"]["p5"]),
            ("NPV P95", &arm["npv"]["p95"]),
            ("Mean ROI", &arm["roi"]["mean"]),
            ("P(payback within horizon)", &arm["p_payback"]),
            ("P(dropped)", &arm["p_dropped"]),
            ("Dropped at the gate", &arm["p_dropped_by"]["gate"]),
        ] {
            assert_number(cell(&names, row, column), want, column);
        }
    }
    let range = sheet(&mut wb, "Summary");
    let decision = range
        .rows()
        .find(|r| r[0] == Data::String("Decision".into()))
        .expect("a Decision row");
    assert_eq!(
        decision[1],
        Data::String(summary["decision"]["sentence"].as_str().unwrap().into())
    );
    let (names, rows) = table(&sheet(&mut wb, "Percentiles"), "Arm");
    assert_eq!(rows.len(), 3 * arms.len());
    for (row, arm) in rows.iter().step_by(3).zip(arms) {
        assert_eq!(cell(&names, row, "Measure"), &Data::String("NPV".into()));
        for p in ["p5", "p10", "p25", "p50", "p75", "p90", "p95"] {
            let column = p.to_uppercase();
            assert_number(cell(&names, row, &column), &arm["npv"][p], p);
        }
    }
    let (names, rows) = table(&sheet(&mut wb, "Channels"), "Channel");
    for row in &rows {
        let Data::String(key) = cell(&names, row, "Key") else {
            panic!("no channel key")
        };
        for arm in arms {
            let column = arm["name"].as_str().unwrap();
            assert_number(cell(&names, row, column), &arm["channels"][key], key);
        }
    }
}

#[test]
fn run_workbook_lists_every_parameter_of_every_arm() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(tmp.path(), "500", &[]);
    let sc = super::scenario(&super::bakery_text());
    let params: Vec<_> = alignsim::scenario::PARAMS
        .iter()
        .filter(|d| d.section != alignsim::scenario::Section::Kpi || sc.kpi.is_some())
        .collect();
    let mut wb = book(&out.join("report.xlsx"));
    let (names, rows) = table(&sheet(&mut wb, "Assumptions"), "Arm");
    assert_eq!(rows.len(), sc.arms.len() * params.len());
    for (arm, chunk) in sc.arms.iter().zip(rows.chunks(params.len())) {
        for (def, row) in params.iter().zip(chunk) {
            assert_eq!(row[0], Data::String(arm.name.clone()));
            assert_eq!(cell(&names, row, "Key"), &Data::String(def.path()));
            let Data::String(description) = cell(&names, row, "Description") else {
                panic!("{}: no description", def.path())
            };
            assert!(!description.is_empty());
            if let alignsim::dist::Dist::Fixed(v) = arm.param(def.sym) {
                assert_eq!(
                    cell(&names, row, "Distribution"),
                    &Data::String("fixed".into())
                );
                assert_eq!(
                    cell(&names, row, "Value 1"),
                    &Data::Float(*v),
                    "{}",
                    def.path()
                );
            }
        }
    }
    assert!(names.contains(&"Source".to_string()));
    // The source is the comment beside or above the arm's own key, else the shared one.
    let source = |arm: &str, key: &str| {
        let row = rows
            .iter()
            .find(|r| {
                r[0] == Data::String(arm.into())
                    && cell(&names, r, "Key") == &Data::String(key.into())
            })
            .unwrap();
        cell(&names, row, "Source").to_string()
    };
    assert!(
        source("aligned", "initiative.upfront_cost").starts_with("Implementation, integration")
    );
    assert_eq!(
        source("misaligned", "initiative.upfront_cost"),
        "Kiosks cost more to buy and run, and promise to take over more of the work."
    );
}

#[test]
fn run_workbook_has_native_charts_and_is_rewritten_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(tmp.path(), "1000", &[]);
    let path = out.join("report.xlsx");
    let names = zip_names(&path);
    for chart in ["xl/charts/chart1.xml", "xl/charts/chart2.xml"] {
        assert!(names.iter().any(|n| n == chart), "{chart} in {names:?}");
    }
    let first = std::fs::read(&path).unwrap();
    super::assert_success(&super::alignsim(&["report", "--charts", "none"], &[&out]));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        first,
        "report RUN_DIR rewrites it the same"
    );
    let again = run(&tmp.path().join("again"), "1000", &[]);
    assert_eq!(std::fs::read(again.join("report.xlsx")).unwrap(), first);
}

#[test]
fn sweep_workbook_has_the_table_and_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let args = [
        "sweep",
        "--vary",
        "initiative.upfront_cost=5000:40000:4",
        "--trials",
        "300",
        "--charts",
        "none",
        "-q",
    ];
    let bakery = super::bakery_path();
    super::assert_success(&super::alignsim(
        &args,
        &[&bakery, Path::new("--out"), &out],
    ));
    let sweep = json(&out.join("sweep.json"));
    let path = out.join("report.xlsx");
    let mut wb = book(&path);
    assert_eq!(wb.sheet_names(), vec!["Sweep".to_string(), "Charts".into()]);
    let (names, rows) = table(&sheet(&mut wb, "Sweep"), "point");
    let points = sweep["points"].as_array().unwrap();
    let arms = sweep["arms"].as_array().unwrap().len();
    assert_eq!(rows.len(), points.len() * arms);
    for (row, (point, arm)) in rows.iter().zip(
        points
            .iter()
            .flat_map(|p| p["arms"].as_array().unwrap().iter().map(move |a| (p, a))),
    ) {
        assert_number(&row[0], &point["point"], "point");
        assert_number(
            cell(&names, row, "initiative.upfront_cost"),
            &point["values"][0],
            "swept value",
        );
        assert_number(cell(&names, row, "npv_mean"), &arm["npv_mean"], "npv_mean");
        assert_number(
            cell(&names, row, "p_npv_negative"),
            &arm["p_npv_negative"],
            "p_npv_negative",
        );
    }
    let charts = zip_names(&path);
    for chart in ["xl/charts/chart1.xml", "xl/charts/chart2.xml"] {
        assert!(charts.iter().any(|n| n == chart), "{chart} in {charts:?}");
    }
}

/// Every row of `trials.parquet` and `trials.csv` in `dir`, as text cells (numbers parsed
/// back to the same `f64`, then printed alike).
fn trial_rows(dir: &Path) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    use polars::prelude::*;
    let df = ParquetReader::new(File::open(dir.join("trials.parquet")).unwrap())
        .finish()
        .unwrap();
    let cols: Vec<Vec<String>> = df
        .columns()
        .iter()
        .map(|c| match c.dtype() {
            DataType::String => c
                .str()
                .unwrap()
                .iter()
                .map(|v| v.unwrap_or_default().to_string())
                .collect(),
            DataType::Boolean => c
                .bool()
                .unwrap()
                .iter()
                .map(|v| v.map_or(String::new(), |b| b.to_string()))
                .collect(),
            _ => c
                .cast(&DataType::Float64)
                .unwrap()
                .f64()
                .unwrap()
                .iter()
                .map(|v| v.map_or(String::new(), |x| format!("{x:?}")))
                .collect(),
        })
        .collect();
    let parquet = (0..df.height())
        .map(|r| cols.iter().map(|c| c[r].clone()).collect())
        .collect();
    let text = std::fs::read_to_string(dir.join("trials.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    assert_eq!(header, names);
    let csv = lines
        .map(|l| {
            l.split(',')
                .map(|v| match v.parse::<f64>() {
                    Ok(x) => format!("{x:?}"),
                    Err(_) => v.to_string(),
                })
                .collect()
        })
        .collect();
    (parquet, csv)
}

#[test]
fn trials_csv_holds_the_rows_and_values_of_trials_parquet() {
    for quantiles in ["exact", "sketch"] {
        let tmp = tempfile::tempdir().unwrap();
        let out = run(
            tmp.path(),
            "1500",
            &["--trials-format", "both", "--quantiles", quantiles],
        );
        let (parquet, csv) = trial_rows(&out);
        assert_eq!(
            parquet.len(),
            1500 * 2,
            "{quantiles}: a row per trial and arm"
        );
        assert_eq!(csv, parquet, "{quantiles}");
        let only = run(
            &tmp.path().join("csv"),
            "1500",
            &["--trials-format", "csv", "--quantiles", quantiles],
        );
        assert!(!only.join("trials.parquet").exists(), "{quantiles}");
        assert_eq!(
            std::fs::read(only.join("trials.csv")).unwrap(),
            std::fs::read(out.join("trials.csv")).unwrap(),
            "{quantiles}"
        );
        // `report` redraws a folder that holds trials.csv only, from the same values.
        let workbook = std::fs::read(only.join("report.xlsx")).unwrap();
        super::assert_success(&super::alignsim(&["report", "--charts", "none"], &[&only]));
        assert_eq!(std::fs::read(only.join("report.xlsx")).unwrap(), workbook);
    }
}

#[test]
fn trials_format_is_refused_with_no_trials_and_with_a_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let bakery = super::bakery_path();
    for extra in [["--no-trials", "-q"], ["--shard", "1/2"]] {
        let mut args = vec!["run", "--trials-format", "csv"];
        args.extend_from_slice(&extra);
        let out = super::alignsim(&args, &[&bakery, Path::new("--out"), tmp.path()]);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--trials-format"));
    }
}
