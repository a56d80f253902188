//! What-if sweeps and break-even: setting values by path, common random numbers across
//! points, the shape of the outputs, batch files, bisection, and the command line.

use std::path::{Path, PathBuf};

use alignsim::sweep::breakeven::{self, Evaluations, Metric, TargetLevel};
use alignsim::sweep::spec::{self, Values};
use alignsim::sweep::{self, Base, Plan, Request, Sweep, path};
use assert_cmd::Command;

fn bakery_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bakery.toml")
}

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

/// Common random numbers: the point at the scenario's own value is the plain run.
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
        let (m, n) = (pt.npv_mean.unwrap(), a.npv.mean.unwrap());
        assert!((m - n).abs() <= 1e-9 * n.abs(), "mean npv {m} vs {n}");
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
scenario = "scenarios/bakery.toml"
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
        "scenario = \"scenarios/bakery.toml\"\n[[vary]]\npath = \"effects.trust\"\nvalues = [1, 2]\nfrom = 0\nstep = 3\n",
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
    };
    let p = sweep::plan(&req).unwrap();
    assert_eq!((p.name.as_str(), p.trials, p.seed), ("grid", 200, 3));
    assert!(p.batch.is_some());
    let req = Request {
        file: bakery_path(),
        vary: Vec::new(),
        trials: None,
        seed: None,
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
        let mut sc = b.with(&b.doc, &[(&target, x)])?;
        sc.trials = trials;
        sc.seed = 7;
        Ok(sweep::run_point(&sc, &|_| {}).remove(0))
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
    Command::cargo_bin("alignsim")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
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
        };
        let p = sweep::plan(&req).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!p.axes.is_empty() && p.grid().len() > 1);
    }
}
