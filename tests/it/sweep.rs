//! What-if sweeps and break-even: setting values by path, common random numbers across
//! points, the shape of the outputs, batch files, bisection, and the command line.

use std::path::{Path, PathBuf};

use alignsim::sweep::breakeven::{self, Evaluations, Metric, TargetLevel};
use alignsim::sweep::spec::{self, Values};
use alignsim::sweep::{self, Base, Plan, Request, Sweep, path};

use super::bakery_path;

fn base() -> Base {
    Base::load(&bakery_path()).expect("bakery.toml loads")
}

/// A sweep of the bakery over `vary` arguments.
fn plan(vary: &[&str], trials: u64) -> Plan {
    let args: Vec<String> = vary.iter().map(|s| s.to_string()).collect();
    let (source, axes) = spec::parse_args(&args).expect("well-formed --vary");
    match Plan::new(base(), source, axes, Some(trials), None, "test".into()) {
        Ok(p) => p,
        Err(e) => panic!("plan rejected:\n{}", e.render(false)),
    }
}

fn run(plan: &Plan) -> Sweep {
    sweep::simulate(plan, &|_| {}).expect("sweep runs")
}

fn arm<'a>(s: &'a Sweep, point: usize, name: &str) -> &'a sweep::ArmPoint {
    s.points[point]
        .arms
        .iter()
        .find(|a| a.arm == name)
        .expect("arm")
}

#[test]
fn paths_set_values_anywhere_in_a_scenario() {
    let b = base();
    let cases = [
        ("arms.misaligned.alignment.strategic", 0.55),
        ("initiative.upfront_cost.mode", 18000.0),
        ("arms.aligned.initiative.upfront_cost.max", 40000.0),
        ("arms.aligned.rollout.pilot_months", 5.0),
        ("effects.trust", 0.7),
        ("rollout.gate_noise", 0.2),
        ("scenario.discount_rate_annual", 0.12),
    ];
    for (p, x) in cases {
        let target = path::resolve(&b.doc, p).unwrap_or_else(|e| panic!("{p}: {e:?}"));
        let sc = b
            .with(&b.doc, &[(&target, x)])
            .unwrap_or_else(|e| panic!("{p}:\n{}", e.render(false)));
        let mut doc = b.doc.clone();
        path::set(&mut doc, &target, x);
        assert_eq!(path::current(&doc, &target), Some(x), "{p}");
        assert_eq!(sc.arms.len(), 2);
    }
    // An arm that inherits a distribution gets its own copy with the one parameter changed.
    let t = path::resolve(&b.doc, "arms.aligned.initiative.upfront_cost.max").unwrap();
    let sc = b.with(&b.doc, &[(&t, 40000.0)]).unwrap();
    let sym = alignsim::scenario::Sym::UpfrontCost;
    assert_eq!(sc.arms[0].param(sym).support(), (10000.0, 40000.0));
    assert_eq!(b.scenario.arms[0].param(sym).support(), (10000.0, 32000.0));
}

#[test]
fn wrong_paths_name_the_valid_ones_nearby() {
    let b = base();
    let e = path::resolve(&b.doc, "arms.misaligned.alignment.strategik").unwrap_err();
    let help = e.help.unwrap();
    assert!(
        help.contains("did you mean `arms.misaligned.alignment.strategic`?"),
        "{help}"
    );
    assert!(
        help.contains("strategic, fit, culture, measurement, integration, ethics"),
        "{help}"
    );
    let e = path::resolve(&b.doc, "arms.kiosk.alignment.strategic").unwrap_err();
    assert!(
        e.help
            .unwrap()
            .contains("under `arms`: aligned, misaligned")
    );
    let e = path::resolve(&b.doc, "initiative.adoption_p.mode").unwrap_err();
    assert!(e.help.unwrap().contains("plain number"));
    let e = path::resolve(&b.doc, "initiative.upfront_cost.median").unwrap_err();
    assert!(e.help.unwrap().contains("min, mode, max"));
    assert!(path::resolve(&b.doc, "business.gross_margin.mode").is_ok());
    assert!(path::resolve(&b.doc, "arms.misaligned.business.gross_margin").is_err());
    assert!(
        path::resolve(&b.doc, "scenario.seed")
            .unwrap_err()
            .message
            .contains("whole sweep")
    );
}

#[test]
fn values_outside_the_domain_name_the_point() {
    let args = vec!["arms.misaligned.alignment.strategic=0.5:1.5:3".to_string()];
    let (source, axes) = spec::parse_args(&args).unwrap();
    let e = Plan::new(base(), source, axes, Some(100), None, "t".into()).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("at sweep point 2 (arms.misaligned.alignment.strategic = 1.5)"),
        "{text}"
    );
    assert!(
        text.contains("must be a number in [0, 1], got 1.5"),
        "{text}"
    );
    assert!(
        !text.contains("= 1:") && !text.contains("point 1 "),
        "only the failing point: {text}"
    );
    let args = vec!["arms.aligned.rollout.pilot_months=0:8:4".to_string()];
    let (source, axes) = spec::parse_args(&args).unwrap();
    let e = Plan::new(base(), source, axes, Some(100), None, "t".into()).unwrap_err();
    assert!(e.to_string().contains("whole numbers"), "{e}");
}

/// Common random numbers and one statistics core: the point at the scenario's own value is
/// the plain run, to the bit.
#[test]
fn the_point_at_the_base_value_reproduces_the_plain_run() {
    let trials = 3000;
    let p = plan(&["arms.misaligned.alignment.strategic=0.2,0.3,0.6"], trials);
    let s = run(&p);
    let mut sc = base().scenario;
    sc.trials = trials;
    let (model, batches) = crate::simulate(&sc, trials);
    let (summary, _) = alignsim::aggregate::aggregate(&sc, &model, &batches).unwrap();
    for a in &summary.arms {
        let pt = arm(&s, 1, &a.name);
        assert_eq!(pt.p_npv_negative, a.p_npv_negative, "{}", a.name);
        assert_eq!(pt.p_roi_negative, a.p_roi_negative);
        assert_eq!(
            (pt.npv_p5, pt.npv_p50, pt.npv_p95),
            (a.npv.p5, a.npv.p50, a.npv.p95)
        );
        assert_eq!(
            (pt.roi_p10, pt.roi_p50, pt.roi_p90),
            (a.roi.p10, a.roi.p50, a.roi.p90)
        );
        assert_eq!(
            (pt.p_payback, pt.payback_median),
            (a.p_payback, a.payback_median)
        );
        assert_eq!(pt.p_dropped, a.p_dropped);
        assert_eq!(
            (pt.npv_mean, pt.npv_mean_se, pt.roi_mean),
            (a.npv.mean, a.npv.se, a.roi.mean)
        );
    }
    // The arm the path does not touch is the same at every point.
    assert_eq!(arm(&s, 0, "aligned"), arm(&s, 2, "aligned"));
}

#[test]
fn loss_falls_as_the_misaligned_arm_gains_strategic_alignment() {
    let s = run(&plan(&["arms.misaligned.alignment.strategic=0:1:6"], 2000));
    let losses: Vec<f64> = (0..6)
        .map(|k| arm(&s, k, "misaligned").p_npv_negative.unwrap())
        .collect();
    assert!(
        losses.windows(2).all(|w| w[1] <= w[0]),
        "P(loss) {losses:?}"
    );
    assert!(losses[0] - losses[5] > 0.1, "P(loss) {losses:?}");
    let roi: Vec<f64> = (0..6)
        .map(|k| arm(&s, k, "misaligned").roi_p50.unwrap())
        .collect();
    assert!(roi.windows(2).all(|w| w[1] >= w[0]), "median ROI {roi:?}");
}

#[test]
fn two_dimensional_sweeps_cover_the_grid() {
    let p = plan(
        &[
            "arms.misaligned.alignment.strategic=0.2:1:3",
            "arms.misaligned.alignment.culture=0.3,0.9",
        ],
        400,
    );
    let s = run(&p);
    assert_eq!(s.points.len(), 6);
    assert_eq!(s.points[s.index(2, 1)].values, vec![1.0, 0.9]);
    assert_eq!(s.points[1].values, vec![0.2, 0.9]);
    assert!(s.points.iter().all(|pt| pt.arms.len() == 2));
    // One break-even finding per arm and value of the second axis.
    assert_eq!(s.break_even.len(), 4);
    let df = sweep::report::frame(&s).unwrap();
    assert_eq!(df.height(), 12);
    for col in [
        "point",
        "arms.misaligned.alignment.strategic",
        "arms.misaligned.alignment.culture",
        "arm",
        "p_npv_negative",
        "p_roi_negative",
        "npv_mean",
        "npv_p5",
        "npv_p50",
        "npv_p95",
        "roi_p10",
        "roi_p50",
        "roi_p90",
        "p_payback",
        "payback_median",
        "p_dropped",
    ] {
        assert!(df.column(col).is_ok(), "missing column {col}");
    }
    let table = sweep::report::table(&s);
    assert!(table.contains("misaligned: P(NPV>0)"), "{table}");
    assert_eq!(sweep::report::sentences(&s).len(), 2);
}

fn batch(text: &str) -> Result<spec::BatchSpec, alignsim::error::InputErrors> {
    spec::parse_batch(
        "batch.toml",
        "batch",
        text,
        Path::new(env!("CARGO_MANIFEST_DIR")),
    )
}

#[test]
fn batch_files_take_ranges_and_lists() {
    let b = batch(
        r#"
scenario = "tests/fixtures/v1/bakery.toml"
trials = 500
[[vary]]
path = "arms.misaligned.alignment.strategic"
from = 0.2
to = 1.0
steps = 5
[[vary]]
path = "arms.misaligned.alignment.culture"
values = [0.2, 0.5, 0.8]
"#,
    )
    .unwrap();
    assert_eq!(b.trials, Some(500));
    assert_eq!(b.name, "batch");
    assert_eq!(b.scenario, bakery_path());
    assert_eq!(b.axes[0].values.expand(), vec![0.2, 0.4, 0.6, 0.8, 1.0]);
    assert!(matches!(&b.axes[1].values, Values::List(v) if v.len() == 3));
    assert_eq!(b.axes[1].values.expand(), vec![0.2, 0.5, 0.8]);
}

#[test]
fn batch_file_mistakes_point_at_their_line() {
    let e = batch(
        "scenario = \"tests/fixtures/v1/bakery.toml\"\n[[vary]]\npath = \"effects.trust\"\nvalues = [1, 2]\nfrom = 0\nstep = 3\n",
    )
    .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("batch.toml:6:1: vary[0].step: unknown key"),
        "{text}"
    );
    assert!(
        text.contains("give either `values = [..]` or all of `from`, `to` and `steps`"),
        "{text}"
    );
    let step = e.errors.iter().find(|x| x.path == "vary[0].step").unwrap();
    assert_eq!(step.help.as_deref(), Some("did you mean `steps`?"));
    let e = batch("scenario = 3\n").unwrap_err().to_string();
    assert!(e.contains("scenario: expected a string"), "{e}");
    assert!(e.contains("at least one [[vary]] entry"), "{e}");
}

#[test]
fn batch_files_are_told_apart_from_scenarios() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("grid.toml");
    let text = format!(
        "scenario = {:?}\n[[vary]]\npath = \"arms.misaligned.alignment.strategic\"\nvalues = [0.3, 0.8]\n",
        bakery_path().display().to_string()
    );
    std::fs::write(&file, text).unwrap();
    let req = Request {
        file,
        vary: Vec::new(),
        trials: Some(200),
        seed: Some(3),
        targets: Vec::new(),
    };
    let p = sweep::plan(&req).unwrap();
    assert_eq!((p.name.as_str(), p.trials, p.seed), ("grid", 200, 3));
    assert!(p.batch.is_some());
    let req = Request {
        file: bakery_path(),
        vary: Vec::new(),
        trials: None,
        seed: None,
        targets: Vec::new(),
    };
    let e = sweep::plan(&req).unwrap_err();
    assert!(e.to_string().contains("nothing to vary"), "{e}");
}

/// Bisection on common random numbers lands between two values whose P(npv > 0) lie on
/// either side of the target.
#[test]
fn break_even_bisection_straddles_the_target() {
    let b = base();
    let target = path::resolve(&b.doc, "arms.aligned.alignment.strategic").unwrap();
    let trials = 2000;
    let mut ev = Evaluations::new(|x| {
        let sc = b.with(&b.doc, &[(&target, x)])?;
        Ok(sweep::run_point(&sc, trials, 7, &|_| {})?.remove(0))
    });
    let goal = TargetLevel::default();
    let breakeven::Solution {
        found,
        se,
        interval,
    } = breakeven::solve(&mut ev, goal, (0.0, 1.0), false, trials).unwrap();
    let (x, dir) = found.expect("the aligned arm crosses one half between 0 and 1");
    assert_eq!(dir, breakeven::Direction::Rising);
    assert!(x > 0.0 && x < 1.0);
    let below = ev.points.iter().rfind(|p| p.0 < x).unwrap();
    let above = ev.points.iter().find(|p| p.0 >= x).unwrap();
    let p = |pt: &sweep::ArmPoint| Metric::PNpvPositive.of(pt).unwrap();
    assert!(
        p(&below.1) < 0.5 && p(&above.1) >= 0.5,
        "{below:?} {above:?}"
    );
    assert!(above.0 - below.0 <= 1e-3 + 1e-12);
    assert!((se.unwrap() - (0.25f64 / 2000.0).sqrt()).abs() < 1e-15);
    let (lo, hi) = interval.unwrap();
    assert!(lo.unwrap() < x && x < hi.unwrap(), "{lo:?} {x} {hi:?}");
}

fn cli(args: &[&str]) -> std::process::Output {
    super::alignsim(args, &[])
}

#[test]
fn cli_wrong_path_is_bad_input_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let bakery = bakery_path().display().to_string();
    let o = cli(&[
        "sweep",
        &bakery,
        "--vary",
        "arms.misaligned.alignment.strategik=0:1:3",
        "--trials",
        "100",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("did you mean `arms.misaligned.alignment.strategic`?"),
        "{err}"
    );
    assert!(!out.exists());
    let o = cli(&[
        "breakeven",
        &bakery,
        "--vary",
        "effects.trust.mode",
        "--arm",
        "aligned",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn cli_sweep_writes_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("sweep");
    let o = cli(&[
        "sweep",
        &bakery_path().display().to_string(),
        "--vary",
        "arms.misaligned.alignment.strategic=0.2:1:3",
        "--trials",
        "300",
        "--charts",
        "svg",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("The misaligned arm"), "{stdout}");
    for f in [
        "sweep.csv",
        "sweep.parquet",
        "sweep.json",
        "manifest.json",
        "scenario.toml",
        "charts/p_loss.svg",
        "charts/median_roi.svg",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 3 * 2);
    assert!(csv.starts_with("point,arms.misaligned.alignment.strategic,arm,p_npv_negative"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json["break_even"].as_array().unwrap().len(), 2);
}

#[test]
fn shipped_batch_files_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/whatif");
    for name in ["bakery_alignment_grid.toml", "pilot_length.toml"] {
        let req = Request {
            file: dir.join(name),
            vary: Vec::new(),
            trials: None,
            seed: None,
            targets: Vec::new(),
        };
        let p = sweep::plan(&req).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!p.axes.is_empty() && p.grid().len() > 1);
    }
}

/// The files of a sweep folder that must not depend on how the sweep was split.
const RESULT_FILES: [&str; 4] = ["sweep.json", "sweep.csv", "sweep.parquet", "scenario.toml"];

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temporary path")
}

/// Runs `alignsim sweep` on `file` with `extra` arguments into `out`.
fn cli_sweep(file: &Path, extra: &[&str], out: &Path) -> std::process::Output {
    let mut args = vec!["sweep", path_str(file)];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--quiet", "--out", path_str(out)]);
    cli(&args)
}

/// Runs the N shards of a sweep (in reverse order: order must not matter) and returns
/// their folders.
fn cli_shards(file: &Path, extra: &[&str], n: u64, dir: &Path) -> Vec<PathBuf> {
    (1..=n)
        .rev()
        .map(|k| {
            let out = dir.join(format!("shard{k}of{n}"));
            let spec = format!("{k}/{n}");
            let mut args = extra.to_vec();
            args.extend_from_slice(&["--shard", &spec]);
            crate::assert_success(&cli_sweep(file, &args, &out));
            out
        })
        .collect()
}

fn cli_sweep_merge(shards: &[PathBuf], extra: &[&str], out: &Path) -> std::process::Output {
    let mut args = vec!["sweep-merge", "--out", path_str(out)];
    args.extend_from_slice(extra);
    args.extend(shards.iter().map(|s| path_str(s)));
    cli(&args)
}

fn assert_same_files(a: &Path, b: &Path, files: &[&str], what: &str) {
    for f in files {
        let (x, y) = (std::fs::read(a.join(f)), std::fs::read(b.join(f)));
        let (x, y) = (
            x.unwrap_or_else(|e| panic!("{what}: {}: {e}", a.join(f).display())),
            y.unwrap_or_else(|e| panic!("{what}: {}: {e}", b.join(f).display())),
        );
        assert!(x == y, "{what}: {f} differs from the unsharded sweep's");
    }
}

/// 5 points in 1, 2 and 3 shards (uneven: 1 + 2 + 2), merged, give the unsharded sweep's
/// files byte for byte.
#[test]
fn merged_sweep_shards_equal_the_unsharded_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let bakery = bakery_path();
    let job = [
        "--vary",
        "arms.misaligned.alignment.strategic=0.2:1:5",
        "--trials",
        "2000",
        "--seed",
        "11",
    ];
    let whole = tmp.path().join("whole");
    let mut args = job.to_vec();
    args.extend_from_slice(&["--charts", "svg"]);
    crate::assert_success(&cli_sweep(&bakery, &args, &whole));
    for n in [1u64, 2, 3] {
        let shards = cli_shards(&bakery, &job, n, tmp.path());
        let merged = tmp.path().join(format!("merged{n}"));
        crate::assert_success(&cli_sweep_merge(&shards, &["--charts", "svg"], &merged));
        let what = format!("N = {n}");
        assert_same_files(&whole, &merged, &RESULT_FILES, &what);
        assert_same_files(
            &whole,
            &merged,
            &["charts/p_loss.svg", "charts/median_roi.svg"],
            &what,
        );
        assert!(!merged.join("batch.toml").exists());
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(merged.join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(manifest["seed"], 11);
        assert_eq!(manifest["trials"], 2000);
    }
    // The uneven split of 5 points in 3 shards is [0, 1), [1, 3), [3, 5).
    let info = |k: u64| -> serde_json::Value {
        let f = tmp.path().join(format!("shard{k}of3/sweep-shard.json"));
        serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap()
    };
    let ranges: Vec<(u64, u64)> = (1..=3)
        .map(|k| {
            let i = info(k);
            (
                i["first_point"].as_u64().unwrap(),
                i["end_point"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ranges, vec![(0, 1), (1, 3), (3, 5)]);
    assert_eq!(info(2)["points_total"], 5);
}

/// A batch file with two varied paths (3 x 2 points) in 4 shards of 1, 2, 1 and 2 points.
/// The merged folder keeps the batch file.
#[test]
fn merged_shards_of_a_two_path_batch_equal_the_unsharded_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("grid.toml");
    let text = format!(
        "scenario = {:?}\ntrials = 1000\n[[vary]]\npath = \"arms.misaligned.alignment.strategic\"\nfrom = 0.2\nto = 1.0\nsteps = 3\n[[vary]]\npath = \"arms.misaligned.alignment.culture\"\nvalues = [0.3, 0.9]\n",
        path_str(&bakery_path())
    );
    std::fs::write(&file, text).unwrap();
    let none = ["--charts", "none"];
    let whole = tmp.path().join("whole");
    crate::assert_success(&cli_sweep(&file, &none, &whole));
    let shards = cli_shards(&file, &[], 4, tmp.path());
    let merged = tmp.path().join("merged");
    crate::assert_success(&cli_sweep_merge(&shards, &none, &merged));
    assert_same_files(&whole, &merged, &RESULT_FILES, "batch");
    assert_same_files(&whole, &merged, &["batch.toml"], "batch");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(merged.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json["points"].as_array().unwrap().len(), 6);
    assert_eq!(json["break_even"].as_array().unwrap().len(), 4);
}

/// More shards than points: the spare shards hold no point and still merge.
#[test]
fn shards_beyond_the_points_hold_nothing_and_still_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let bakery = bakery_path();
    let job = [
        "--vary",
        "arms.aligned.rollout.pilot_months=1,4",
        "--trials",
        "500",
        "--charts",
        "none",
    ];
    let whole = tmp.path().join("whole");
    crate::assert_success(&cli_sweep(&bakery, &job, &whole));
    let shards = cli_shards(&bakery, &job, 3, tmp.path());
    let o = cli(&[
        "sweep",
        path_str(&bakery),
        "--vary",
        "arms.aligned.rollout.pilot_months=1,4",
        "--trials",
        "500",
        "--shard",
        "1/3",
        "--out",
        path_str(&tmp.path().join("loud")),
    ]);
    crate::assert_success(&o);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("Sweep shard 1/3 (no point: there are more shards than the 2 points)")
            && stdout.contains("sweep-merge"),
        "{stdout}"
    );
    let merged = tmp.path().join("merged");
    crate::assert_success(&cli_sweep_merge(&shards, &["--charts", "none"], &merged));
    assert_same_files(&whole, &merged, &RESULT_FILES, "3 shards of 2 points");
}

/// A missing shard, a shard given twice, and a shard of another sweep are bad input
/// (exit code 2), named in the message, and nothing is written.
#[test]
fn incomplete_or_mixed_sweep_shard_sets_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let bakery = bakery_path();
    let job = [
        "--vary",
        "arms.misaligned.alignment.strategic=0.2:1:5",
        "--trials",
        "300",
    ];
    let shards = cli_shards(&bakery, &job, 3, tmp.path());
    let (s3, s2, s1) = (&shards[0], &shards[1], &shards[2]);
    let out = tmp.path().join("merged");
    let refused = |o: std::process::Output, needles: &[&str]| {
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{err}");
        for n in needles {
            assert!(err.contains(n), "expected {n:?} in: {err}");
        }
        assert!(!out.exists(), "a refused merge wrote {}", out.display());
    };
    refused(
        cli_sweep_merge(&[s1.clone(), s3.clone()], &[], &out),
        &["missing 2/3", "given twice none"],
    );
    refused(
        cli_sweep_merge(&[s1.clone(), s2.clone(), s2.clone(), s3.clone()], &[], &out),
        &["missing none", "given twice 2/3"],
    );
    // Shard 2/3 of the same grid, but another seed; and of another grid.
    let other_seed = tmp.path().join("other-seed");
    let mut args = job.to_vec();
    args.extend_from_slice(&["--seed", "99", "--shard", "2/3"]);
    crate::assert_success(&cli_sweep(&bakery, &args, &other_seed));
    refused(
        cli_sweep_merge(&[s1.clone(), other_seed, s3.clone()], &[], &out),
        &["not shards of the same sweep", "seed (7 and 99)"],
    );
    let other_vary = tmp.path().join("other-vary");
    crate::assert_success(&cli_sweep(
        &bakery,
        &[
            "--vary",
            "arms.misaligned.alignment.strategic=0.2,0.4,0.6,0.8,1",
            "--trials",
            "300",
            "--shard",
            "2/3",
        ],
        &other_vary,
    ));
    refused(
        cli_sweep_merge(&[s1.clone(), other_vary, s3.clone()], &[], &out),
        &["not shards of the same sweep", "--vary"],
    );
    // Neither an unsharded sweep nor a run shard is a sweep shard; nor is a sweep shard
    // something `alignsim merge` combines.
    let whole = tmp.path().join("whole");
    let mut args = job.to_vec();
    args.extend_from_slice(&["--charts", "none"]);
    crate::assert_success(&cli_sweep(&bakery, &args, &whole));
    refused(
        cli_sweep_merge(&[whole], &[], &out),
        &["is not a sweep shard folder", "sweep --shard K/N"],
    );
    let run_shard = tmp.path().join("run-shard");
    crate::assert_success(&cli(&[
        "run",
        path_str(&bakery),
        "--trials",
        "300",
        "--shard",
        "1/1",
        "--quiet",
        "--out",
        path_str(&run_shard),
    ]));
    refused(
        cli_sweep_merge(&[run_shard], &[], &out),
        &["shard of a run", "alignsim merge"],
    );
    refused(
        cli(&["merge", "--out", path_str(&out), path_str(s1)]),
        &["shard of a sweep", "alignsim sweep-merge"],
    );
    // The merged sweep may not replace one of its own shards.
    let o = cli_sweep_merge(&[s1.clone(), s2.clone(), s3.clone()], &[], s2);
    assert_eq!(o.status.code(), Some(2));
    assert!(s2.join("sweep-shard.json").is_file());
    let o = cli(&[
        "sweep",
        path_str(&bakery),
        "--vary",
        job[1],
        "--shard",
        "0/3",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

/// A shard whose copied scenario no longer matches its record is refused before anything
/// is written.
#[test]
fn a_tampered_sweep_shard_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let job = [
        "--vary",
        "arms.misaligned.alignment.strategic=0.2,0.8",
        "--trials",
        "200",
    ];
    let shards = cli_shards(&bakery_path(), &job, 2, tmp.path());
    let scenario = shards[1].join("scenario.toml");
    let mut text = std::fs::read_to_string(&scenario).unwrap();
    text.push_str("\n# edited\n");
    std::fs::write(&scenario, text).unwrap();
    let out = tmp.path().join("merged");
    let o = cli_sweep_merge(&shards, &[], &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("does not match the file recorded"), "{err}");
    assert!(!out.exists());
}

/// A shard's points travel through Parquet and come back exactly.
#[test]
fn sweep_points_read_back_from_their_frame_exactly() {
    let s = run(&plan(
        &[
            "arms.misaligned.alignment.strategic=0.2:1:3",
            "arms.aligned.rollout.pilot_months=0,3",
        ],
        300,
    ));
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("points.parquet");
    let mut df = sweep::report::frame(&s).unwrap();
    alignsim::output::write_parquet(&file, &mut df).unwrap();
    let df = {
        use polars::prelude::{ParquetReader, SerReader};
        ParquetReader::new(std::fs::File::open(&file).unwrap())
            .finish()
            .unwrap()
    };
    let back = sweep::report::points_from_frame(&df, &s).unwrap();
    assert_eq!(back, s.points);
}
