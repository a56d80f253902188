//! Inputs past the model's limits (the "Limits" section of docs/scenario-reference.md)
//! are refused up front, quickly, with exit 2 and a message giving the supported range;
//! a value just inside each limit still validates.
//!
//! Each fixture in `tests/fixtures/limits/` says what its message must hold
//! (`# expect: ...`) and, where it crosses a limit on a value, how to bring it just inside
//! (`# inside: FROM => TO`, replaced everywhere in the file).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::alignsim;

fn fixtures() -> Vec<PathBuf> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/limits");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    out.sort();
    assert!(out.len() >= 14, "the limit fixtures are missing");
    out
}

/// The text after `# NAME: ` in the fixture's header.
fn header<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let tag = format!("# {name}: ");
    text.lines().find_map(|l| l.strip_prefix(tag.as_str()))
}

#[test]
fn inputs_past_a_limit_are_refused_quickly_with_the_range() {
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let expect = header(&text, "expect").expect("# expect: line");
        let started = Instant::now();
        let out = alignsim(&["validate"], &[&path]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", path.display());
        // Long headlines are wrapped by the renderer: compare with the lines joined.
        let lines: Vec<&str> = err
            .lines()
            .map(|l| l.trim_start_matches([' ', '│', '×']).trim_end())
            .collect();
        assert!(
            lines.join(" ").contains(expect),
            "{}: {expect:?} not in {err}",
            path.display()
        );
        // Every problem is reported at its position: file:line:col, never 1:1.
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(err.contains(&format!("{name}:")), "{err}");
        assert!(!err.contains(&format!("{name}:1:1:")), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{name} is slow"
        );
    }
}

#[test]
fn values_just_inside_each_limit_validate() {
    for path in fixtures() {
        let text = std::fs::read_to_string(&path).unwrap();
        let Some(inside) = header(&text, "inside") else {
            continue;
        };
        let (from, to) = inside.split_once(" => ").expect("FROM => TO");
        let fixed = text.replace(from, to);
        if let Err(e) = alignsim::scenario::parse("inside.toml", "inside", &fixed) {
            panic!(
                "{}: just inside the limit:\n{}",
                path.display(),
                e.render(false)
            );
        }
    }
}

#[test]
fn fifty_arms_run() {
    let align = "alignment = { strategic = 0.8, fit = 0.8, culture = 0.8, measurement = 0.8, integration = 0.8, ethics = 0.8 }";
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/minimal.toml"
    ))
    .unwrap();
    let arms: String = (1..=50).map(|k| format!("a{k}.{align}\n")).collect();
    let text = base.replace(
        &format!("[arms.aligned]\n{align}\n"),
        &format!("[arms]\n{arms}"),
    );
    let sc = super::scenario(&text);
    assert_eq!(sc.arms.len(), 50);
    let started = Instant::now();
    let (model, batches) = super::simulate(&sc, 2000);
    alignsim::aggregate::aggregate(&sc, &model, &batches).unwrap();
    assert!(started.elapsed() < Duration::from_secs(60));
}
