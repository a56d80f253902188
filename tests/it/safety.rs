//! Safety of results and of the user's files: a crash between the renames of a commit
//! never loses the previous results, concurrent runs into one folder all succeed, only
//! alignsim's own folders are replaced, bad input creates no folder, default folder names
//! follow the naming rules, accepted extreme inputs end quickly (exit 0 or 2, never a
//! panic or a hang), control characters never reach an output raw, and SIGTERM ends a run
//! in any phase within a second or two.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;

/// No process has this id (above the kernel's largest pid, 2^22).
const DEAD_PID: u32 = 4_999_999;

fn minimal() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/minimal.toml")
}

fn extreme(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/extreme")
        .join(name)
}

/// Runs alignsim in `cwd` with `args`, killed after `limit`.
fn within(cwd: &Path, args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(cargo_bin("alignsim"))
        .current_dir(cwd)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "alignsim {args:?} still running after {limit:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    within(cwd, args, Duration::from_secs(300))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", stderr(o));
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Hidden names left in `dir`: staging folders, backups, probes.
fn hidden(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter(|n| n.starts_with('.'))
        .collect();
    v.sort();
    v
}

/// A small run of the minimal scenario into `out`.
fn small_run(out: &Path) -> Vec<u8> {
    let m = minimal();
    ok(&run(
        Path::new("."),
        &[
            "run",
            s(&m),
            "--trials",
            "300",
            "--charts",
            "none",
            "--quiet",
            "--out",
            s(out),
        ],
    ));
    std::fs::read(out.join("summary.json")).unwrap()
}

/// Starts a run long enough to be stopped midway.
fn spawn_long(out: &Path, extra: &[&str]) -> std::process::Child {
    Command::new(cargo_bin("alignsim"))
        .args(["run", s(&minimal()), "--trials", "100000000", "--quiet"])
        .args(extra)
        .args(["--out", s(out)])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn sigterm(child: &std::process::Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

/// Waits at most `limit` for `child` to end; its exit code.
fn ends_within(child: &mut std::process::Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("still running {limit:?} after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn results_moved_aside_by_a_killed_commit_are_put_back() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let before = small_run(&out);
    // Killed between the two renames: the target moved aside, the new results staged.
    std::fs::rename(&out, dir.path().join(format!(".run.old-{DEAD_PID}"))).unwrap();
    std::fs::create_dir(dir.path().join(format!(".run.partial-{DEAD_PID}"))).unwrap();
    // The next run puts them back as it starts; stopped before it commits, it keeps them.
    let mut child = spawn_long(&out, &["--charts", "none"]);
    std::thread::sleep(Duration::from_millis(500));
    sigterm(&child);
    assert_eq!(ends_within(&mut child, Duration::from_secs(30)), Some(143));
    assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), before);
    assert_eq!(hidden(dir.path()), Vec::<String>::new());
    // An earlier version's shared backup is put back the same way.
    std::fs::rename(&out, dir.path().join(".run.old")).unwrap();
    let _ = small_run(&out);
    assert!(out.join("manifest.json").is_file());
    assert_eq!(hidden(dir.path()), Vec::<String>::new());
}

#[cfg(target_os = "linux")]
#[test]
fn a_stale_backup_beside_present_results_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    small_run(&out);
    let stale = dir.path().join(format!(".run.old-{DEAD_PID}"));
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join("summary.json"), "older").unwrap();
    // A live process's backup (this test's) is not touched.
    let live = dir.path().join(format!(".run.old-{}", std::process::id()));
    std::fs::create_dir(&live).unwrap();
    small_run(&out);
    assert!(!stale.exists());
    assert!(live.exists());
}

#[test]
fn concurrent_runs_into_one_folder_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let m = minimal();
    for _round in 0..4 {
        let children: Vec<_> = (0..4)
            .map(|_| {
                Command::new(cargo_bin("alignsim"))
                    .args([
                        "run",
                        s(&m),
                        "--trials",
                        "200",
                        "--charts",
                        "none",
                        "--quiet",
                    ])
                    .args(["--threads", "1", "--out", s(&out)])
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let o = c.wait_with_output().unwrap();
            ok(&o);
        }
        for f in [
            "summary.json",
            "manifest.json",
            "trials.parquet",
            "report.html",
        ] {
            assert!(out.join(f).is_file(), "{f} missing");
        }
        assert_eq!(hidden(dir.path()), Vec::<String>::new());
    }
}

/// Runs into `out` and checks it is refused with exit code 2, naming `what`, and that
/// `keep` (a file inside) is unchanged.
fn refused(cwd: &Path, out: &str, what: &str, keep: &Path) {
    let before = std::fs::read(keep).unwrap();
    let m = minimal();
    let o = run(
        cwd,
        &["run", s(&m), "--trials", "100", "--quiet", "--out", out],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(what), "{}", stderr(&o));
    assert_eq!(std::fs::read(keep).unwrap(), before);
}

#[test]
fn folders_alignsim_did_not_write_are_never_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("extension/src")).unwrap();
    std::fs::write(
        d.join("extension/manifest.json"),
        r#"{"manifest_version": 3}"#,
    )
    .unwrap();
    std::fs::write(d.join("extension/src/main.js"), "code").unwrap();
    refused(
        d,
        "extension",
        "not an alignsim output folder",
        &d.join("extension/src/main.js"),
    );
    std::fs::create_dir(d.join("reports")).unwrap();
    std::fs::write(d.join("reports/summary.json"), "{}").unwrap();
    std::fs::write(d.join("reports/board-deck.pptx"), "deck").unwrap();
    refused(
        d,
        "reports",
        "not an alignsim output folder",
        &d.join("reports/board-deck.pptx"),
    );
    std::fs::create_dir(d.join("charts")).unwrap();
    std::fs::write(d.join("charts/q3-revenue.png"), "png").unwrap();
    refused(
        d,
        "charts",
        "not an alignsim output folder",
        &d.join("charts/q3-revenue.png"),
    );
    // A run folder of alignsim's with a file of the user's added: refused, naming it.
    small_run(&d.join("run"));
    std::fs::write(d.join("run/notes.txt"), "mine").unwrap();
    refused(d, "run", "notes.txt", &d.join("run/notes.txt"));
    std::fs::remove_file(d.join("run/notes.txt")).unwrap();
    std::fs::write(d.join("run/charts-mine.png"), "mine").unwrap();
    refused(d, "run", "charts-mine.png", &d.join("run/charts-mine.png"));
    assert!(hidden(d).is_empty(), "{:?}", hidden(d));
}

#[test]
fn every_command_replaces_its_own_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let m = minimal();
    let m = s(&m);
    let quick = ["--trials", "200", "--quiet"];
    let vary = "--vary=business.gross_margin=0.4:0.6:2";
    let steps: Vec<Vec<&str>> = vec![
        vec!["run", m, "--charts", "both", "--out", "run"],
        vec!["run", m, "--shard", "1/2", "--out", "s1"],
        vec!["run", m, "--shard", "2/2", "--out", "s2"],
        vec![
            "run",
            m,
            "--shard",
            "1/2",
            "--quantiles",
            "sketch",
            "--out",
            "k1",
        ],
        vec!["merge", "s1", "s2", "--charts", "both", "--out", "merged"],
        vec!["sweep", m, vary, "--charts", "both", "--out", "sweep"],
        vec!["sweep", m, vary, "--shard", "1/2", "--out", "w1"],
        vec![
            "sensitivity",
            m,
            "--sobol-n",
            "64",
            "--charts",
            "both",
            "--out",
            "sens",
        ],
    ];
    for _ in 0..2 {
        for step in &steps {
            let mut args = step.clone();
            if step[0] != "merge" {
                args.extend(quick);
            } else {
                args.push("--quiet");
            }
            ok(&run(d, &args));
        }
        ok(&run(d, &["report", "run"]));
    }
    assert!(hidden(d).is_empty(), "{:?}", hidden(d));
}

#[test]
fn bad_input_creates_no_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let broken = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/broken/alignment_above_one.toml");
    let o = run(d, &["run", s(&broken), "--out", "deep/er/results"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let m = minimal();
    let o = run(
        d,
        &[
            "run",
            s(&m),
            "--shard",
            "1/2",
            "--precision",
            "0.1",
            "--out",
            "a/b/c",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let entries: Vec<_> = std::fs::read_dir(d).unwrap().collect();
    assert!(entries.is_empty(), "{entries:?}");
}

#[test]
fn the_current_folder_and_folders_holding_inputs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::copy(minimal(), work.join("mine.toml")).unwrap();
    for out in [".", "..", "../work", "./"] {
        let o = run(
            &work,
            &[
                "run",
                "mine.toml",
                "--trials",
                "100",
                "--quiet",
                "--out",
                out,
            ],
        );
        assert_eq!(o.status.code(), Some(2), "--out {out}: {}", stderr(&o));
        assert!(stderr(&o).contains("current folder"), "{}", stderr(&o));
    }
    // A run folder's own scenario copy, run into that folder, would be replaced.
    small_run(&work.join("run"));
    let o = run(
        &work,
        &[
            "run",
            "run/scenario.toml",
            "--trials",
            "100",
            "--quiet",
            "--out",
            "run",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("holds the input"), "{}", stderr(&o));
    assert!(work.join("mine.toml").is_file() && work.join("run/scenario.toml").is_file());
    // The helper the merge commands use: an output that is one of the inputs.
    let s3 = work.join("run");
    let err = alignsim::output::refuse_overlap(&s3, &[&work.join("mine.toml"), &s3]).unwrap_err();
    assert!(err.downcast_ref::<alignsim::error::InputErrors>().is_some());
    assert!(alignsim::output::refuse_overlap(&work.join("new"), &[&s3]).is_ok());
}

#[test]
fn default_folder_names_follow_the_naming_rules() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text: String = std::fs::read_to_string(minimal())
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("name = "))
        .map(|l| format!("{l}\n"))
        .collect();
    for file in ["...toml", "my scen \u{e4}rio.toml", ".toml"] {
        std::fs::write(d.join(file), &text).unwrap();
        let quick = ["--trials", "100", "--quiet", "--charts", "none"];
        ok(&run(d, &[&["run", file][..], &quick].concat()));
        ok(&run(
            d,
            &[&["run", file, "--shard", "1/2"][..], &quick].concat(),
        ));
        ok(&run(
            d,
            &[&["sensitivity", file, "--sobol-n", "32"][..], &quick].concat(),
        ));
        ok(&run(
            d,
            &[
                &["sweep", file, "--vary=business.gross_margin=0.5,0.6"][..],
                &quick,
            ]
            .concat(),
        ));
    }
    let mut names: Vec<String> = std::fs::read_dir(d.join("output"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let want = [
        "my_scen_rio",
        "my_scen_rio-sensitivity",
        "my_scen_rio-shard-1-of-2",
        "my_scen_rio-sweep",
        "scenario",
        "scenario-sensitivity",
        "scenario-shard-1-of-2",
        "scenario-sweep",
        "toml",
        "toml-sensitivity",
        "toml-shard-1-of-2",
        "toml-sweep",
    ];
    assert_eq!(names, want);
}

/// Every fixture of `tests/fixtures/extreme` ends within seconds, with exit code 0 or 2,
/// every chart drawn; what it writes leaves nothing behind.
#[test]
fn extreme_inputs_end_quickly_and_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/extreme");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    for f in files {
        let out = dir.path().join(f.file_stem().unwrap());
        let args = [
            "run",
            s(&f),
            "--trials",
            "300",
            "--charts",
            "both",
            "--quiet",
        ];
        let o = within(
            dir.path(),
            &[&args[..], &["--out", s(&out)]].concat(),
            Duration::from_secs(60),
        );
        assert!(
            matches!(o.status.code(), Some(0 | 2)),
            "{}: {:?} {}",
            f.display(),
            o.status,
            stderr(&o)
        );
    }
    assert!(hidden(dir.path()).is_empty(), "{:?}", hidden(dir.path()));
}

#[test]
fn a_beta_near_zero_reports_no_clamped_draws() {
    let dir = tempfile::tempdir().unwrap();
    let f = extreme("beta_tiny_alpha.toml");
    let out = dir.path().join("run");
    let o = run(
        dir.path(),
        &[
            "run",
            s(&f),
            "--trials",
            "2000",
            "--charts",
            "none",
            "--quiet",
            "--out",
            s(&out),
        ],
    );
    ok(&o);
    assert!(!stderr(&o).contains("clamped"), "{}", stderr(&o));
}

fn has_raw_controls(text: &str) -> Option<char> {
    text.chars().find(|c| {
        (c.is_control() && *c != '\n')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

#[test]
fn control_characters_in_titles_never_reach_an_output_raw() {
    let dir = tempfile::tempdir().unwrap();
    let f = extreme("control_title.toml");
    let out = dir.path().join("run");
    let o = run(
        dir.path(),
        &[
            "run",
            s(&f),
            "--trials",
            "300",
            "--charts",
            "svg",
            "--out",
            s(&out),
        ],
    );
    ok(&o);
    let printed = String::from_utf8_lossy(&o.stdout);
    assert!(printed.contains("Bakery \u{fffd}"), "{printed}");
    assert_eq!(has_raw_controls(&printed), None, "{printed:?}");
    for entry in std::fs::read_dir(out.join("charts")).unwrap() {
        let path = entry.unwrap().path();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert_eq!(has_raw_controls(&svg), None, "{}", path.display());
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let html = html.replace('\t', " ");
    assert_eq!(has_raw_controls(&html), None, "report.html");
    assert!(
        html.contains("Bakery \u{fffd}"),
        "the title is kept, its control shown as U+FFFD"
    );
}

/// SIGTERM after the trials are simulated (during aggregation, the sensitivity analysis,
/// the charts or the report) ends the run within two seconds, with exit code 143, the
/// previous results kept and nothing left behind.
#[cfg(unix)]
#[test]
fn sigterm_ends_a_run_after_the_simulation_within_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let before = small_run(&out);
    let mut child = Command::new(cargo_bin("alignsim"))
        .args([
            "run",
            s(&minimal()),
            "--trials",
            "400000",
            "--quiet",
            "--charts",
            "both",
        ])
        .args(["--out", s(&out)])
        .env("ALIGNSIM_TIMINGS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let simulated = lines.any(|l| l.is_ok_and(|l| l.starts_with("simulation:")));
    assert!(simulated, "no timing line");
    std::thread::sleep(Duration::from_millis(200));
    sigterm(&child);
    let start = Instant::now();
    let code = ends_within(&mut child, Duration::from_secs(10));
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    if code == Some(0) {
        // It finished before the signal: nothing to check.
        return;
    }
    assert_eq!(code, Some(143));
    assert_eq!(std::fs::read(out.join("summary.json")).unwrap(), before);
    assert!(hidden(dir.path()).is_empty(), "{:?}", hidden(dir.path()));
}

/// `alignsim run ... | head -1`: a reader that stops reading does not make the run fail or
/// panic; the results are written as usual.
#[test]
fn a_closed_stdout_neither_fails_nor_panics_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let mut child = Command::new(cargo_bin("alignsim"))
        .args(["run", &s(&crate::bakery_path()), "--trials", "500"])
        .args(["--charts", "none", "--out", &s(&out)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before the program prints anything.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.join("summary.json").is_file());
}
