//! What-if sweeps: one scenario simulated at a grid of values of one or two of its numeric
//! parameters. Every point runs the same trials with the same seed, and because draws are
//! keyed by (seed, trial, parameter path), every point sees the same random futures
//! (common random numbers): a curve across the grid shows what the parameter does, not
//! sampling noise.
//!
//! The data flow: [`spec`] reads what to vary (`--vary` arguments or a batch file),
//! [`Plan`] checks it against the base scenario ([`path`] sets one value by its path, and
//! every point is validated as a scenario file of its own), [`simulate`] runs the points
//! one after another, each parallel over trials, [`point`] summarises each point as a run
//! is summarised, [`breakeven`] finds where an arm starts to break even, [`report`] writes
//! the sweep's data files and the printed table, and [`page`] its `report.html`. [`shard`] splits the grid's points across
//! machines (`sweep --shard K/N`) and merges the shards (`sweep-merge`).

pub mod breakeven;
pub mod cmd;
pub mod page;
pub mod path;
pub mod point;
pub mod report;
pub mod shard;
pub mod spec;

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use toml::Table;

use crate::dist::fmt_num;
use crate::error::{InputError, InputErrors};
use crate::scenario::{self, LoadError, Scenario};
use crate::stats::targets;
pub use path::Target;
pub use point::{ArmPoint, TargetShare, run_point};
pub use spec::{AxisSpec, BatchSpec, Source};

/// Most points in one sweep (for example 100 x 100).
pub const MAX_POINTS: usize = 10_000;
/// Most points whose validated scenarios a plan keeps (each holds its distributions'
/// quantile tables, some hundreds of kilobytes); larger grids validate each point again
/// just before simulating it.
pub const KEEP_POINTS: usize = 64;

/// A base scenario kept both validated and as a TOML tree to change values in.
#[derive(Debug, Clone)]
pub struct Base {
    pub path: PathBuf,
    /// The file name as messages show it.
    pub label: String,
    pub stem: String,
    pub bytes: Vec<u8>,
    pub doc: Table,
    pub scenario: Scenario,
}

impl Base {
    /// Reads and validates a scenario file.
    ///
    /// # Errors
    /// [`LoadError::Input`] for a file the model does not allow, [`LoadError::Io`] for one
    /// that cannot be read.
    pub fn load(path: &Path) -> Result<Base, LoadError> {
        let loaded = scenario::load(path)?;
        let text = String::from_utf8_lossy(&loaded.bytes).into_owned();
        let doc: Table = toml::from_str(&text)
            .with_context(|| format!("cannot read {} as TOML", path.display()))
            .map_err(LoadError::Io)?;
        Ok(Base {
            path: path.to_path_buf(),
            label: path.display().to_string(),
            stem: path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("scenario")
                .to_string(),
            bytes: loaded.bytes,
            doc,
            scenario: loaded.scenario,
        })
    }

    /// The base scenario with some values replaced, validated like a file of its own.
    ///
    /// # Errors
    /// The validator's errors (their spans point into the generated text).
    pub fn with(&self, doc: &Table, values: &[(&Target, f64)]) -> Result<Scenario, InputErrors> {
        let mut doc = doc.clone();
        for (target, x) in values {
            path::set(&mut doc, target, *x);
        }
        let text = toml::to_string(&doc).map_err(|e| InputErrors {
            file: self.label.clone(),
            source: String::new(),
            errors: vec![InputError::new(
                0..0,
                "",
                format!("cannot write the varied scenario: {e}"),
            )],
        })?;
        scenario::parse(&self.label, &self.stem, &text)
    }
}

/// One varied path, checked against the base scenario.
#[derive(Debug, Clone)]
pub struct Axis {
    pub spec: AxisSpec,
    pub target: Target,
    pub values: Vec<f64>,
    /// The path in plain words, e.g. `strategic alignment`.
    pub label: String,
}

/// A sweep ready to simulate: the base, the axes, the trials and seed every point uses.
#[derive(Debug, Clone)]
pub struct Plan {
    pub base: Base,
    pub source: Source,
    pub axes: Vec<Axis>,
    pub trials: u64,
    pub seed: u64,
    /// The output folder's name under `output/`.
    pub name: String,
    /// The batch file, when the sweep came from one: its path and bytes.
    pub batch: Option<(PathBuf, Vec<u8>)>,
    /// The targets every point reports: the base scenario's `[report] targets`, then those
    /// [`Plan::add_targets`] adds (`sweep --target`).
    pub targets: Vec<targets::Target>,
    /// Every point's validated scenario, kept from [`Plan::new`] when the grid is small
    /// enough ([`KEEP_POINTS`]) so that no point is validated twice.
    kept: Option<Vec<Scenario>>,
}

/// What `alignsim sweep` was asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    /// A scenario file (with `vary`) or a batch file.
    pub file: PathBuf,
    pub vary: Vec<String>,
    pub trials: Option<u64>,
    pub seed: Option<u64>,
    /// `--target`s reported besides the base scenario's `[report] targets`.
    pub targets: Vec<targets::Target>,
}

/// Reads the request's files and checks every varied path and value.
///
/// # Errors
/// [`InputErrors`] (exit code 2) for anything wrong in the files or arguments.
pub fn plan(req: &Request) -> Result<Plan> {
    let bytes =
        std::fs::read(&req.file).with_context(|| format!("cannot read {}", req.file.display()))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if spec::is_batch(&text) {
        return plan_batch(req, &text, bytes);
    }
    let (source, axes) = spec::parse_args(&req.vary)?;
    let base = load_base(&req.file)?;
    let name = format!("{}-sweep", base.scenario.name);
    let mut plan = Plan::new(base, source, axes, req.trials, req.seed, name)?;
    plan.add_targets(&req.targets);
    Ok(plan)
}

fn plan_batch(req: &Request, text: &str, bytes: Vec<u8>) -> Result<Plan> {
    let label = req.file.display().to_string();
    if !req.vary.is_empty() {
        let e = InputError::new(
            0..0,
            "",
            "this is a batch file: it says what to vary itself, so --vary is not allowed with it",
        )
        .with_help("drop --vary, or pass the scenario file instead of the batch file");
        return Err(InputErrors {
            file: label,
            source: String::new(),
            errors: vec![e],
        }
        .into());
    }
    let dir = req.file.parent().unwrap_or(Path::new("."));
    let stem = req
        .file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("sweep");
    let batch = spec::parse_batch(&label, stem, text, dir)?;
    let base = match Base::load(&batch.scenario) {
        Ok(b) => b,
        Err(LoadError::Input(e)) => return Err(e.into()),
        Err(LoadError::Io(e)) => {
            let msg = format!("{e:#}");
            let err = InputError::new(batch.scenario_span.clone(), "scenario", msg)
                .with_help("the scenario path is relative to the batch file's folder");
            return Err(batch.source.errors(vec![err]).into());
        }
    };
    let trials = req.trials.or(batch.trials);
    let seed = req.seed.or(batch.seed);
    let mut plan = Plan::new(base, batch.source, batch.axes, trials, seed, batch.name)?;
    plan.batch = Some((req.file.clone(), bytes));
    plan.add_targets(&req.targets);
    Ok(plan)
}

/// Loads a base scenario, with its input errors kept as such (exit code 2).
pub fn load_base(path: &Path) -> Result<Base> {
    Base::load(path).map_err(|e| match e {
        LoadError::Input(errors) => anyhow::Error::new(errors),
        LoadError::Io(e) => e,
    })
}

impl Plan {
    /// Resolves every axis against the base scenario and validates every point.
    ///
    /// # Errors
    /// A wrong path, a value the key does not take, or too many points.
    pub fn new(
        base: Base,
        source: Source,
        specs: Vec<AxisSpec>,
        trials: Option<u64>,
        seed: Option<u64>,
        name: String,
    ) -> Result<Plan, InputErrors> {
        let mut errors = Vec::new();
        let mut axes = Vec::new();
        for spec in specs {
            match axis(&base.doc, spec) {
                Ok(a) => axes.push(a),
                Err(e) => errors.push(e),
            }
        }
        let n: usize = axes.iter().map(|a| a.values.len()).product();
        if errors.is_empty() && n > MAX_POINTS {
            let span = axes.last().map_or(0..0, |a| a.spec.span.clone());
            errors.push(InputError::new(
                span,
                "",
                format!("{n} points: a sweep is limited to {MAX_POINTS}"),
            ));
        }
        if !errors.is_empty() {
            return Err(source.errors(errors));
        }
        let plan = Plan {
            trials: trials.unwrap_or(base.scenario.trials),
            seed: seed.unwrap_or(base.scenario.seed),
            targets: base.scenario.targets.clone(),
            base,
            source,
            axes,
            name,
            batch: None,
            kept: None,
        };
        let scenarios = plan.scenarios()?;
        let mut plan = plan;
        if scenarios.len() <= KEEP_POINTS {
            plan.kept = Some(scenarios);
        }
        Ok(plan)
    }

    /// Adds targets to those every point reports, but those already among them.
    pub fn add_targets(&mut self, extra: &[targets::Target]) {
        targets::extend_unique(&mut self.targets, extra.iter().cloned());
        for sc in self.kept.iter_mut().flatten() {
            sc.targets.clone_from(&self.targets);
        }
    }

    /// The values of every point, the first axis outermost.
    pub fn grid(&self) -> Vec<Vec<f64>> {
        let mut grid = vec![Vec::new()];
        for axis in &self.axes {
            grid = grid
                .into_iter()
                .flat_map(|p| {
                    axis.values.iter().map(move |v| {
                        let mut q = p.clone();
                        q.push(*v);
                        q
                    })
                })
                .collect();
        }
        grid
    }

    /// The scenario of every point, with the sweep's trials and seed.
    ///
    /// # Errors
    /// The first few points the model does not allow, each naming its values.
    pub fn scenarios(&self) -> Result<Vec<Scenario>, InputErrors> {
        let grid = self.grid();
        let parsed: Vec<Result<Scenario, InputErrors>> =
            grid.par_iter().map(|values| self.point(values)).collect();
        let mut out = Vec::new();
        let mut errors = Vec::new();
        let mut failed = 0usize;
        for (k, (values, result)) in grid.iter().zip(parsed).enumerate() {
            match result {
                Ok(sc) => out.push(sc),
                Err(e) => {
                    failed += 1;
                    if failed <= 3 {
                        errors.extend(self.point_errors(k, values, e));
                    }
                }
            }
        }
        if failed > 3 {
            let span = self.axes.first().map_or(0..0, |a| a.spec.span.clone());
            errors.push(InputError::new(
                span,
                "",
                format!("{} more points fail the same way", failed - 3),
            ));
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(self.source.errors(errors))
        }
    }

    /// The scenario at one point, reporting the plan's targets.
    ///
    /// # Errors
    /// The validator's errors for these values.
    pub fn point(&self, values: &[f64]) -> Result<Scenario, InputErrors> {
        let assignments: Vec<(&Target, f64)> = self
            .axes
            .iter()
            .map(|a| &a.target)
            .zip(values.iter().copied())
            .collect();
        let mut sc = self.base.with(&self.base.doc, &assignments)?;
        sc.targets.clone_from(&self.targets);
        Ok(sc)
    }

    /// The validator's errors at a point, restated against the sweep's own source.
    fn point_errors(&self, k: usize, values: &[f64], e: InputErrors) -> Vec<InputError> {
        let at = self.assignments_text(values);
        let (span, path) = self.blame(values);
        e.errors
            .into_iter()
            .map(|err| InputError {
                span: span.clone(),
                path: path.clone().unwrap_or(err.path),
                message: format!("at sweep point {k} ({at}): {}", err.message),
                help: err.help,
            })
            .collect()
    }

    /// `path = value` for every axis at a point.
    pub fn assignments_text(&self, values: &[f64]) -> String {
        self.axes
            .iter()
            .zip(values)
            .map(|(a, v)| format!("{} = {}", a.spec.path, fmt_num(*v)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The span and path of the value responsible at a failing point: the first axis
    /// whose value alone already fails.
    fn blame(&self, values: &[f64]) -> (Range<usize>, Option<String>) {
        for (a, v) in self.axes.iter().zip(values) {
            if self.base.with(&self.base.doc, &[(&a.target, *v)]).is_err() {
                let i = a.values.iter().position(|x| x == v).unwrap_or(0);
                return (a.spec.value_span(i), Some(a.spec.path.clone()));
            }
        }
        (
            self.axes.first().map_or(0..0, |a| a.spec.span.clone()),
            None,
        )
    }
}

/// Resolves one axis: its path, its values, and whole numbers for integer keys.
fn axis(doc: &Table, spec: AxisSpec) -> Result<Axis, InputError> {
    let target = path::resolve(doc, &spec.path).map_err(|e| {
        let err = InputError::new(spec.path_span.clone(), &spec.path, e.message);
        match e.help {
            Some(h) => err.with_help(h),
            None => err,
        }
    })?;
    let values = spec.values.expand();
    if target.integer()
        && let Some((i, v)) = values.iter().enumerate().find(|(_, v)| v.fract() != 0.0)
    {
        return Err(InputError::new(
            spec.value_span(i),
            &spec.path,
            format!(
                "takes whole numbers only, but the sweep gives {}",
                fmt_num(*v)
            ),
        )
        .with_help(
            "choose ends and steps that land on whole numbers, e.g. 0:8:9, or list the values",
        ));
    }
    Ok(Axis {
        label: report::describe(&target),
        spec,
        target,
        values,
    })
}

/// One varied path as the results describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AxisInfo {
    pub path: String,
    /// The path in plain words, e.g. `strategic alignment`.
    pub label: String,
    /// The arm whose override the path sets, if any.
    pub arm: Option<String>,
    pub values: Vec<f64>,
    /// The scenario's own value, when it is a plain number.
    pub base: Option<f64>,
    pub integer: bool,
}

/// One arm of the sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmInfo {
    pub name: String,
    pub label: String,
}

/// One point of the grid and the figures of every arm there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub point: usize,
    /// The value of each axis, in axis order.
    pub values: Vec<f64>,
    pub arms: Vec<ArmPoint>,
}

/// The whole result of a sweep, as written to `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    pub scenario: String,
    pub title: String,
    pub currency: String,
    pub horizon_months: u32,
    pub discount_rate_annual: f64,
    pub trials: u64,
    pub seed: u64,
    pub model_version: String,
    pub axes: Vec<AxisInfo>,
    pub arms: Vec<ArmInfo>,
    /// The targets every point reports, normalised (`roi >= 0.5`), in the order of each
    /// [`ArmPoint::targets`]; empty (and absent from `sweep.json`) without targets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    pub points: Vec<Point>,
    pub break_even: Vec<breakeven::Finding>,
    /// How the points' percentiles were computed: exactly up to 250,000 trials per point,
    /// by sketch beyond (see [`crate::stream`]).
    #[serde(default)]
    pub quantiles: crate::stats::Quantiles,
}

impl AxisInfo {
    /// The label with its arm, e.g. `the misaligned arm's strategic alignment`.
    pub fn full_label(&self) -> String {
        match &self.arm {
            Some(a) => format!(
                "the {} arm's {}",
                a.replace(['_', '-'], " "),
                self.label.trim_start_matches("the ")
            ),
            None => self.label.clone(),
        }
    }
}

impl Sweep {
    /// Point index of grid position `(i, j)` (`j` = 0 for one axis).
    pub fn index(&self, i: usize, j: usize) -> usize {
        let inner = self.axes.get(1).map_or(1, |a| a.values.len());
        i * inner + j
    }
}

/// Simulates every point of a plan, one after another, each in parallel over trials on
/// the current rayon pool. `progress` is told how many trials each finished batch held.
///
/// # Errors
/// A point the model does not allow (already ruled out by [`Plan::new`]).
pub fn simulate(plan: &Plan, progress: &(dyn Fn(u64) + Sync)) -> Result<Sweep> {
    let mut sweep = describe(plan);
    sweep.points = simulate_points(plan, 0..plan.grid().len(), progress)?;
    sweep.break_even = breakeven::findings(&sweep);
    Ok(sweep)
}

/// Simulates the points of a plan whose indexes lie in `range` (a shard's slice of the
/// grid), in index order. A point's figures do not depend on which others are simulated.
///
/// # Errors
/// A point the model does not allow (already ruled out by [`Plan::new`]).
pub fn simulate_points(
    plan: &Plan,
    range: Range<usize>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Point>> {
    let grid = plan.grid();
    let mut points = Vec::with_capacity(range.len());
    for (k, values) in grid.into_iter().enumerate() {
        if !range.contains(&k) {
            continue;
        }
        let fresh;
        let sc = match plan.kept.as_ref().and_then(|v| v.get(k)) {
            Some(kept) => kept,
            None => {
                fresh = plan.point(&values)?;
                &fresh
            }
        };
        points.push(Point {
            point: k,
            arms: run_point(sc, plan.trials, plan.seed, progress)?,
            values,
        });
    }
    Ok(points)
}

/// The sweep a plan describes, before any point is simulated: no points, no findings.
pub fn describe(plan: &Plan) -> Sweep {
    let sc = &plan.base.scenario;
    Sweep {
        scenario: sc.name.clone(),
        title: sc.title.clone(),
        currency: sc.currency.clone(),
        horizon_months: sc.horizon_months,
        discount_rate_annual: sc.discount_rate_annual,
        trials: plan.trials,
        seed: plan.seed,
        model_version: crate::stats::MODEL_VERSION.to_string(),
        axes: plan
            .axes
            .iter()
            .map(|a| AxisInfo {
                path: a.spec.path.clone(),
                label: a.label.clone(),
                arm: a.target.arm().map(String::from),
                values: a.values.clone(),
                base: path::current(&plan.base.doc, &a.target),
                integer: a.target.integer(),
            })
            .collect(),
        arms: sc
            .arms
            .iter()
            .map(|a| ArmInfo {
                name: a.name.clone(),
                label: a.label.clone(),
            })
            .collect(),
        targets: plan.targets.iter().map(|t| t.expr.clone()).collect(),
        points: Vec::new(),
        break_even: Vec::new(),
        quantiles: crate::stats::Quantiles::of(crate::stats::auto_sketch(plan.trials)),
    }
}
