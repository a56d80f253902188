//! Resolve once, then run. A command's flags and its validated scenario are turned into one
//! job here: how many trials with which seed, how they are sampled and summarised, which
//! shard, on how many threads, and where the results go. Every flag combination is checked
//! here, before anything is simulated or written, and the validated [`Scenario`] is never
//! changed afterwards: the job's settings override the file's.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::cli::{ChartFormat, QuantilesArg, RunArgs, SamplingArg, ShardSpec, TrialsFormat};
use crate::console;
use crate::engine::{Model, Sampling};
use crate::error::UsageError;
use crate::scenario::{self, LoadError, Loaded, Scenario};
use crate::stats;
use crate::stats::targets::Target;

/// Loads a scenario, turning input problems into an error `main` maps to exit code 2.
pub fn load(path: &Path) -> Result<Loaded> {
    scenario::load(path).map_err(|e| match e {
        LoadError::Input(errors) => anyhow::Error::new(errors),
        LoadError::Io(e) => e,
    })
}

/// The `--pair A,B` of a command, checked against the run's arm names: both must be arms,
/// and different ones.
///
/// # Errors
/// A name that is not an arm (with a did-you-mean), or the same arm twice: exit code 2.
pub fn check_pair<'a>(
    pair: &Option<(String, String)>,
    arms: impl IntoIterator<Item = &'a str> + Clone,
) -> Result<Option<(String, String)>> {
    let Some((a, b)) = pair else {
        return Ok(None);
    };
    for name in [a, b] {
        if !arms.clone().into_iter().any(|arm| arm == name) {
            let names: Vec<&str> = arms.clone().into_iter().collect();
            let hint = crate::error::did_you_mean(name, names.iter().copied())
                .map_or_else(String::new, |s| format!(" (did you mean `{s}`?)"));
            return Err(anyhow::Error::new(UsageError(format!(
                "--pair: no arm named {name:?}{hint}; the arms are {}",
                names.join(", ")
            ))));
        }
    }
    if a == b {
        return Err(anyhow::Error::new(UsageError(format!(
            "--pair needs two different arms, got {a:?} twice"
        ))));
    }
    Ok(Some((a.clone(), b.clone())))
}

/// What is simulated and how it is summarised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sim {
    /// The trials to simulate; with a precision target, the most that may be used.
    pub trials: u64,
    pub seed: u64,
    pub sampling: Sampling,
    /// Whether percentiles come from sketches (bounded memory) rather than every trial.
    pub sketch: bool,
}

impl Sim {
    /// The scenario compiled for this simulation.
    pub fn model(&self, sc: &Scenario) -> Model {
        let mut model = Model::seeded(sc, self.seed);
        model.sampling = self.sampling;
        model
    }
}

/// One shard of a job: K of N and its trials.
#[derive(Debug, Clone, PartialEq)]
pub struct Shard {
    pub spec: ShardSpec,
    pub range: Range<u64>,
}

/// Where a command's results go and how they are shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub dir: PathBuf,
    pub charts: ChartFormat,
    pub quiet: bool,
}

/// `alignsim run`, resolved.
pub struct RunJob {
    /// The scenario file as given.
    pub path: PathBuf,
    pub scenario: Scenario,
    pub bytes: Vec<u8>,
    pub sim: Sim,
    /// `--precision`: add trials until every arm's intervals are this narrow.
    pub precision: Option<f64>,
    pub shard: Option<Shard>,
    /// Whether the per-trial results are written.
    pub write_trials: bool,
    /// `--trials-format`: as `trials.parquet`, `trials.csv` or both.
    pub trials_format: TrialsFormat,
    pub output: Output,
    /// `--pair`: the arms the paired chart compares, checked against the scenario.
    pub pair: Option<(String, String)>,
    pub pool: rayon::ThreadPool,
    pub threads: usize,
    /// `--levers`: trials the alignment levers are computed on.
    pub levers: u64,
    /// The targets reported: the scenario's `[report] targets`, then the `--target`s not
    /// already among them.
    pub targets: Vec<Target>,
    /// `--explain` or the scenario's `[report] explain = true`: the run folder gets the
    /// explanation of the gap between its two best arms (not a shard's: the merge does).
    pub explain: bool,
}

impl RunJob {
    /// The scenario compiled for this job: its simulation, counting its targets.
    pub fn model(&self) -> Model {
        let mut model = self.sim.model(&self.scenario);
        model.targets = self.targets.clone();
        model
    }

    /// Checks the flags, loads and validates the scenario and settles every setting.
    ///
    /// # Errors
    /// A flag combination that cannot be honoured or a scenario the model does not allow
    /// (both exit 2), a file that cannot be read, an output folder that may not be written.
    pub fn resolve(args: &RunArgs) -> Result<RunJob> {
        check_run_flags(args)?;
        let Loaded { scenario, bytes } = load(&args.scenario)?;
        let pair = check_pair(
            &args.pair.pair,
            scenario.arms.iter().map(|a| a.name.as_str()),
        )?;
        let trials = args.sim.trials.unwrap_or(scenario.trials);
        let budget = args.precision.map_or(trials, |_| args.max_trials);
        let sketch = match args.quantiles {
            QuantilesArg::Auto => stats::auto_sketch(budget),
            QuantilesArg::Exact => false,
            QuantilesArg::Sketch => true,
        };
        let sampling = match args.sampling {
            SamplingArg::Mc => Sampling::MonteCarlo,
            SamplingArg::Lhs => Sampling::LatinHypercube { trials },
        };
        let shard = args.shard.shard.map(|spec| Shard {
            spec,
            range: if sketch {
                spec.range_aligned(trials, stats::sketched::BLOCK)
            } else {
                spec.range(trials)
            },
        });
        let dir = args.output.out.clone().unwrap_or_else(|| {
            let name = match &shard {
                Some(s) => format!(
                    "{}-shard-{}-of-{}",
                    scenario.name, s.spec.index, s.spec.count
                ),
                None => scenario.name.clone(),
            };
            crate::output::default_dir(&name)
        });
        crate::output::preflight(&dir)?;
        crate::output::refuse_overlap(&dir, &[&args.scenario])?;
        let (pool, threads) = console::worker_pool(args.sim.threads)?;
        let seed = args.sim.seed.unwrap_or(scenario.seed);
        let mut targets = scenario.targets.clone();
        stats::targets::extend_unique(&mut targets, args.targets.iter().cloned());
        if args.explain && scenario.arms.len() < 2 {
            return Err(anyhow::Error::new(UsageError(
                "--explain compares two arms; this scenario has one".into(),
            )));
        }
        let explain = args.explain || (scenario.explain && !args.no_explain);
        Ok(RunJob {
            path: args.scenario.clone(),
            scenario,
            bytes,
            sim: Sim {
                trials: budget,
                seed,
                sampling,
                sketch,
            },
            precision: args.precision,
            shard,
            write_trials: !args.no_trials,
            trials_format: args.trials.format(),
            output: Output {
                dir,
                charts: args.output.charts,
                quiet: args.output.quiet,
            },
            pair,
            pool,
            threads,
            levers: args.levers,
            targets,
            explain,
        })
    }
}

/// The flag combinations `run` refuses, checked before anything is read.
fn check_run_flags(args: &RunArgs) -> Result<()> {
    let refuse = |m: &str| Err(anyhow::Error::new(UsageError(m.into())));
    if args.precision.is_some() {
        if args.sampling == SamplingArg::Lhs {
            return refuse(
                "--sampling lhs cannot be combined with --precision: Latin hypercube strata are cut for a trial count fixed in advance",
            );
        }
        if args.shard.shard.is_some() {
            return refuse(
                "--shard cannot be combined with --precision: every shard must run a slice of a trial count fixed in advance",
            );
        }
    }
    if args.trials.trials_format.is_some() {
        if args.no_trials {
            return refuse(
                "--trials-format cannot be combined with --no-trials: the one writes the per-trial results, the other leaves them out",
            );
        }
        if args.shard.shard.is_some() {
            return refuse(
                "--trials-format is given to `alignsim merge`, which writes the run folder; a shard keeps its trials in its own format",
            );
        }
    }
    Ok(())
}
