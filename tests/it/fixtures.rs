//! Broken scenario files: each states, in its first lines, the message, line and key its
//! error must name. Every one must exit with code 2 and create no output folder.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

struct Expectation {
    message: String,
    line: usize,
    key: Option<String>,
}

fn expectation(path: &Path) -> Expectation {
    let text = std::fs::read_to_string(path).unwrap();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("# {name}: ")).map(str::to_string))
    };
    Expectation {
        message: field("expect")
            .unwrap_or_else(|| panic!("{}: no '# expect:' line", path.display())),
        line: field("line")
            .and_then(|l| l.parse().ok())
            .unwrap_or_else(|| panic!("{}: no '# line:'", path.display())),
        key: field("key"),
    }
}

fn broken_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn there_are_enough_broken_fixtures() {
    assert!(broken_files().len() >= 12);
}

#[test]
fn every_broken_file_is_rejected_with_line_and_key() {
    let tmp = tempfile::tempdir().unwrap();
    for path in broken_files() {
        let want = expectation(&path);
        for verb in ["validate", "run"] {
            let out_dir = tmp.path().join("out");
            let mut cmd = Command::cargo_bin("alignsim").unwrap();
            cmd.arg(verb).arg(&path);
            if verb == "run" {
                cmd.arg("--out").arg(&out_dir).arg("--quiet");
            }
            let output = cmd.output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            let name = path.display();
            assert_eq!(
                output.status.code(),
                Some(2),
                "{verb} {name}: exit code\n{stderr}"
            );
            let at = format!("{}:{}:", path.display(), want.line);
            let first = stderr.lines().find(|l| l.contains(".toml:")).unwrap_or("");
            assert!(
                first.contains(&at),
                "{verb} {name}: first error should point at line {}\n{stderr}",
                want.line
            );
            assert!(
                stderr.contains(&want.message),
                "{verb} {name}: message {:?} missing\n{stderr}",
                want.message
            );
            if let Some(key) = &want.key {
                assert!(
                    first.contains(&format!(": {key}: ")),
                    "{verb} {name}: key {key} not named\n{stderr}"
                );
            }
            assert!(
                !out_dir.exists(),
                "{verb} {name}: an output folder was created"
            );
            assert!(
                std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
                "{verb} {name}: files left behind"
            );
        }
    }
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minimal.toml"),
    )
    .unwrap()
    .replace("gross_margin = 0.6", "gross_margin = 1.6")
    .replace("monthly_cost = 200", "monthly_cost = -200")
    .replace("adoption_q = 0.4", "adoptoin_q = 0.4");
    let err = alignsim::scenario::parse("many.toml", "many", &text).unwrap_err();
    let paths: Vec<&str> = err.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "business.gross_margin",
            "initiative.monthly_cost",
            "initiative.adoptoin_q"
        ]
    );
    assert_eq!(
        err.errors[2].help.as_deref(),
        Some("did you mean `adoption_q`?")
    );
}

#[test]
fn missing_file_is_not_an_input_error() {
    let output = Command::cargo_bin("alignsim")
        .unwrap()
        .args(["validate", "no/such/file.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no/such/file.toml"));
}

#[test]
fn shipped_scenarios_validate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            if let Err(e) = alignsim::scenario::load(&path) {
                panic!("{}: {e}", path.display());
            }
        }
    }
}
