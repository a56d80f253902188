//! Golden outputs: every file that `run`, `merge`, `sweep`, `sweep-merge`, `sensitivity`
//! and `breakeven` write for the v1 scenarios (the shipped scenarios as they were before
//! model v2, kept unchanged in `tests/fixtures/v1/`), pinned by SHA-256 in
//! `tests/golden/CASE.sha256`.
//!
//! A refactor keeps every one of them byte-identical, and a model change keeps every v1
//! scenario's results bit-identical. `manifest.json` (timings, a timestamp) is left out,
//! and so are the run's own time and command line inside `report.html`.
//!
//! To pin new outputs after an intended change, run `ALIGNSIM_BLESS=1 cargo test golden`
//! and say in the commit which figures changed and why.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The repository root: commands run there, so paths in the outputs are relative.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the steps of a case in a fresh temporary folder (`@/` in an argument stands for
/// it), then checks the files below `@/dir` and the last step's standard output against
/// the case's golden file.
fn check(case: &str, steps: &[&[&str]], dir: &str) {
    check_with(case, steps, dir, &[]);
}

/// [`check`] with environment variables set for every step.
fn check_with(case: &str, steps: &[&[&str]], dir: &str, env: &[(&str, &str)]) {
    let tmp = tempfile::tempdir().unwrap();
    let at = |a: &str| match a.strip_prefix("@/") {
        Some(rest) => tmp.path().join(rest).display().to_string(),
        None => a.to_string(),
    };
    let mut stdout = String::new();
    for step in steps {
        let args: Vec<String> = step.iter().map(|a| at(a)).collect();
        let out = assert_cmd::Command::cargo_bin("alignsim")
            .unwrap()
            .current_dir(root())
            .envs(env.iter().copied())
            .args(&args)
            .output()
            .unwrap();
        super::assert_success(&out);
        stdout = String::from_utf8_lossy(&out.stdout).replace(&at("@/"), "@/");
    }
    let mut got = BTreeMap::new();
    if !dir.is_empty() {
        hash_tree(&tmp.path().join(dir), Path::new(""), &at("@/"), &mut got);
    }
    got.insert("stdout".to_string(), hex(stdout.as_bytes()));
    compare(case, &got);
}

/// SHA-256 of every file below `dir` but `manifest.json`, keyed by its path relative to
/// the folder; in a report, the temporary folder `tmp` is written `@/`.
fn hash_tree(dir: &Path, rel: &Path, tmp: &str, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = rel.join(path.file_name().unwrap());
        if path.is_dir() {
            hash_tree(&path, &name, tmp, out);
            continue;
        }
        let key = name.display().to_string();
        if key.ends_with("manifest.json") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let bytes = if key.ends_with(".html") {
            mask_provenance(&String::from_utf8(bytes).unwrap().replace(tmp, "@/")).into_bytes()
        } else {
            bytes
        };
        out.insert(key, hex(&bytes));
    }
}

/// The report with the run's provenance masked: the time it was made (every
/// `YYYY-MM-DDTHH:MM:SSZ`, and the time as the page writes it, `1 December 2026, 07:38
/// UTC`, after "simulated" or "Simulated at") and the command line (which names a
/// temporary folder).
fn mask_provenance(html: &str) -> String {
    html.lines()
        .map(|line| {
            if line.contains("<dt>Command</dt>") {
                "(command)".to_string()
            } else {
                let line = mask_after(line, " simulated ");
                mask_times(&mask_after(&line, "<dt>Simulated at</dt><dd>"))
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `line` with the text between `marker` and the next tag replaced by `(time)`.
fn mask_after(line: &str, marker: &str) -> String {
    let Some(at) = line.find(marker).map(|i| i + marker.len()) else {
        return line.to_string();
    };
    let end = line[at..].find('<').map_or(line.len(), |i| at + i);
    format!("{}(time){}", &line[..at], &line[end..])
}

/// `line` with every UTC time stamp `YYYY-MM-DDTHH:MM:SSZ` replaced by `(time)`.
fn mask_times(line: &str) -> String {
    const SHAPE: &[u8; 20] = b"dddd-dd-ddTdd:dd:ddZ";
    let fits = |w: &[u8]| {
        w.iter().zip(SHAPE).all(|(c, s)| {
            if *s == b'd' {
                c.is_ascii_digit()
            } else {
                c == s
            }
        })
    };
    let bytes = line.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes.len() - i >= SHAPE.len() && fits(&bytes[i..i + SHAPE.len()]) {
            out.push_str("(time)");
            i += SHAPE.len();
        } else {
            let c = line[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn golden_path(case: &str) -> PathBuf {
    root().join("tests/golden").join(format!("{case}.sha256"))
}

fn compare(case: &str, got: &BTreeMap<String, String>) {
    let path = golden_path(case);
    let text: String = got.iter().map(|(f, h)| format!("{h}  {f}\n")).collect();
    if std::env::var_os("ALIGNSIM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (ALIGNSIM_BLESS=1 writes it)", path.display()));
    let want: BTreeMap<String, String> = want
        .lines()
        .filter_map(|l| l.split_once("  "))
        .map(|(h, f)| (f.to_string(), h.to_string()))
        .collect();
    let mut differ = Vec::new();
    for f in want.keys().chain(got.keys()) {
        if want.get(f) != got.get(f) && !differ.contains(f) {
            differ.push(f.clone());
        }
    }
    assert!(
        differ.is_empty(),
        "{case}: these outputs are no longer byte-identical to {}: {differ:?}",
        path.display()
    );
}

/// The six v1 scenarios.
const SCENARIOS: [&str; 6] = [
    "bakery",
    "chatbot_leads",
    "customer_service",
    "rpa_order_entry",
    "smb_portfolio",
    "trend_analysis",
];

/// Runs every v1 scenario with the `extra` arguments, one golden file each.
fn each_scenario(mode: &str, extra: &[&str]) {
    for name in SCENARIOS {
        let file = format!("tests/fixtures/v1/{name}.toml");
        let mut args = vec!["run", file.as_str(), "--charts", "none", "--out", "@/run"];
        args.extend_from_slice(extra);
        check(&format!("{name}-{mode}"), &[&args], "run");
    }
}

#[test]
fn v1_runs_exact_are_unchanged() {
    each_scenario("exact", &["--trials", "3000"]);
}

#[test]
fn v1_runs_latin_hypercube_are_unchanged() {
    each_scenario("lhs", &["--trials", "3000", "--sampling", "lhs"]);
}

#[test]
fn v1_runs_without_trials_are_unchanged() {
    each_scenario("no-trials", &["--trials", "3000", "--no-trials"]);
}

#[test]
fn v1_runs_sketched_are_unchanged() {
    each_scenario("sketch", &["--trials", "40000", "--quantiles", "sketch"]);
}

#[test]
fn v1_bakery_with_svg_charts_is_unchanged() {
    let args = [
        "run",
        "tests/fixtures/v1/bakery.toml",
        "--trials",
        "2000",
        "--charts",
        "svg",
        "--out",
        "@/run",
    ];
    check("bakery-svg", &[&args], "run");
}

/// Two shards of a bakery run and their merge, with the `extra` arguments.
fn sharded(case: &str, extra: &[&str]) {
    let shard = |k: &'static str, out: &'static str| {
        let mut a = vec!["run", "tests/fixtures/v1/bakery.toml", "--quiet"];
        a.extend_from_slice(&["--charts", "none", "--shard", k, "--out", out]);
        a.extend_from_slice(extra);
        a
    };
    let s1 = shard("1/2", "@/s1");
    let s2 = shard("2/2", "@/s2");
    let merge = [
        "merge", "@/s2", "@/s1", "--charts", "none", "--out", "@/merged",
    ];
    check(case, &[&s1, &s2, &merge], "merged");
}

#[test]
fn v1_sharded_run_is_unchanged() {
    sharded("bakery-shards-exact", &["--trials", "3001"]);
}

#[test]
fn v1_sharded_sketched_run_is_unchanged() {
    sharded(
        "bakery-shards-sketch",
        &["--trials", "40000", "--quantiles", "sketch"],
    );
}

#[test]
fn v1_sweeps_are_unchanged() {
    let grid = [
        "sweep",
        "tests/fixtures/v1/whatif/bakery_alignment_grid.toml",
        "--trials",
        "400",
        "--charts",
        "none",
        "--out",
        "@/sweep",
    ];
    check("sweep-grid", &[&grid], "sweep");
    let pilot = [
        "sweep",
        "tests/fixtures/v1/whatif/pilot_length.toml",
        "--trials",
        "1000",
        "--charts",
        "svg",
        "--out",
        "@/sweep",
    ];
    check("sweep-pilot", &[&pilot], "sweep");
    let vary = [
        "sweep",
        "tests/fixtures/v1/chatbot_leads.toml",
        "--vary",
        "initiative.upfront_cost=5000:40000:4",
        "--trials",
        "1000",
        "--charts",
        "none",
        "--out",
        "@/sweep",
    ];
    check("sweep-vary", &[&vary], "sweep");
}

#[test]
fn v1_sweep_sketched_is_unchanged() {
    // Above the exact limit of 250,000 trials a point is summarised from sketches.
    let vary = [
        "sweep",
        "tests/fixtures/v1/chatbot_leads.toml",
        "--vary",
        "initiative.upfront_cost=5000,40000",
        "--trials",
        "251000",
        "--charts",
        "none",
        "--out",
        "@/sweep",
    ];
    check("sweep-sketch", &[&vary], "sweep");
}

#[test]
fn v1_sharded_sweep_is_unchanged() {
    let shard = |k: &'static str, out: &'static str| {
        vec![
            "sweep",
            "tests/fixtures/v1/whatif/pilot_length.toml",
            "--trials",
            "1000",
            "--quiet",
            "--shard",
            k,
            "--out",
            out,
        ]
    };
    let s1 = shard("1/3", "@/s1");
    let s2 = shard("2/3", "@/s2");
    let s3 = shard("3/3", "@/s3");
    let merge = [
        "sweep-merge",
        "@/s3",
        "@/s1",
        "@/s2",
        "--charts",
        "none",
        "--out",
        "@/merged",
    ];
    check("sweep-shards", &[&s1, &s2, &s3, &merge], "merged");
}

#[test]
fn v1_sensitivity_and_breakeven_are_unchanged() {
    let sens = [
        "sensitivity",
        "tests/fixtures/v1/bakery.toml",
        "--trials",
        "2000",
        "--sobol-n",
        "64",
        "--charts",
        "none",
        "--out",
        "@/sens",
    ];
    check("sensitivity", &[&sens], "sens");
    let breakeven = [
        "breakeven",
        "tests/fixtures/v1/bakery.toml",
        "--vary",
        "arms.misaligned.alignment.strategic",
        "--arm",
        "misaligned",
        "--trials",
        "1000",
        "--json",
    ];
    check("breakeven", &[&breakeven], "");
}

/// Every SIMD path the processor has (forced with `ALIGNSIM_SIMD`) writes the same files.
#[test]
fn v1_outputs_are_the_same_on_every_simd_path() {
    for path in ["baseline", "avx2", "avx512"] {
        for (case, extra) in [
            ("bakery-exact", &["--trials", "3000"][..]),
            (
                "bakery-sketch",
                &["--trials", "40000", "--quantiles", "sketch"][..],
            ),
        ] {
            let mut args = vec!["run", "tests/fixtures/v1/bakery.toml", "--charts", "none"];
            args.extend_from_slice(&["--out", "@/run"]);
            args.extend_from_slice(extra);
            check_with(case, &[&args], "run", &[("ALIGNSIM_SIMD", path)]);
        }
    }
}
