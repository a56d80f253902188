//! The command line (clap derive only).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::stats::targets::Target;

/// Monte Carlo simulation of what an AI-automation project returns, and how much that
/// depends on strategic alignment.
#[derive(Debug, Parser)]
#[command(name = "alignsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario and write summary, per-trial results and monthly bands.
    Run(RunArgs),
    /// Combine shard folders written by `run --shard K/N` into one run folder, identical to
    /// what a single run of all the trials writes.
    Merge(MergeArgs),
    /// Check scenario files and report every problem, without simulating.
    Validate {
        /// Scenario files (TOML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
        #[command(flatten)]
        strict: StrictFlag,
    },
    /// Draw the charts and report.html of a run folder (or a sweep folder) again, without
    /// simulating.
    Report(ReportArgs),
    /// Rank what drives each arm's result (tornado, Sobol indices) and what it is worth
    /// to know each input before deciding (EVPI).
    Sensitivity(SensitivityArgs),
    /// Attribute the gap between two arms to what differs between them (alignment
    /// dimensions, the system, the roll-out, the preparation), and value a step of each
    /// alignment score in every arm.
    Explain(ExplainArgs),
    /// Search the scenario's [[work]] packages for the preparation plan that serves one arm
    /// best within a budget.
    Plan(PlanArgs),
    /// Simulate a scenario at a grid of values of one or two parameters (what-if), or run
    /// a batch file that says what to vary.
    Sweep(SweepArgs),
    /// Combine sweep shard folders written by `sweep --shard K/N` into one sweep folder,
    /// identical to what a single sweep of every point writes.
    SweepMerge(SweepMergeArgs),
    /// Find the value of one parameter at which an arm reaches a target, by bisection.
    Breakeven(BreakevenArgs),
    /// Set two run folders side by side: each arm's headline figures, their difference and
    /// whether it is beyond Monte Carlo noise, and which inputs differ.
    Compare(CompareArgs),
}

impl Command {
    /// Whether `--strict` was given (only commands that read a scenario file take it).
    pub fn strict(&self) -> bool {
        let flag = match self {
            Command::Validate { strict, .. } => strict,
            Command::Run(a) => &a.strict,
            Command::Sensitivity(a) => &a.strict,
            Command::Explain(a) => &a.strict,
            Command::Plan(a) => &a.strict,
            Command::Sweep(a) => &a.strict,
            Command::Breakeven(a) => &a.strict,
            Command::Merge(_)
            | Command::Report(_)
            | Command::SweepMerge(_)
            | Command::Compare(_) => {
                return false;
            }
        };
        flag.strict
    }
}

/// `--strict`: the flag of the commands that read a scenario file.
#[derive(Debug, Args, Clone, Default)]
pub struct StrictFlag {
    /// Treat the scenario's warnings (values allowed but outside their plausible range,
    /// such as a growth of 3 = 300 % a month) as errors: exit code 2, nothing simulated.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args, Clone)]
pub struct MergeArgs {
    /// Shard folders (all N shards of one scenario, seed and trial count, in any order).
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// Trials the alignment levers are computed on, as `run --levers` (pass the same).
    #[arg(long, default_value_t = crate::analysis::levers::TRIALS)]
    pub levers: u64,
    /// Explain the gap between the two best arms, as `run --explain` (pass the same; the
    /// scenario's `[report] explain = true` does it too).
    #[arg(long)]
    pub explain: bool,
    /// Leave the explanation out even when the scenario's `[report] explain = true` asks
    /// for it, as `run --no-explain`.
    #[arg(long, conflicts_with = "explain")]
    pub no_explain: bool,
    #[command(flatten)]
    pub output: OutFlags,
    #[command(flatten)]
    pub pair: PairFlag,
    #[command(flatten)]
    pub trials: TrialsFlag,
}

/// How many trials, with which seed, on how many threads: the flags of every command
/// that simulates.
#[derive(Debug, Args, Clone, Default)]
pub struct SimFlags {
    /// Number of trials (overrides the scenario's and a batch file's `trials`; a sweep runs
    /// this many at every point, a break-even search at every evaluation).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000_000))]
    pub trials: Option<u64>,
    /// Random seed (overrides the scenario's and a batch file's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
}

/// Where a command writes its folder and what it shows: the flags of every command that
/// writes one.
#[derive(Debug, Args, Clone)]
pub struct OutFlags {
    /// Folder to write (default: under output/, named after the scenario: `NAME` for a run
    /// or a merge, `NAME-sweep` or the batch file's name for a sweep, `NAME-sensitivity`,
    /// `NAME-shard-K-of-N` for a shard). Only a folder alignsim wrote is ever replaced.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Chart files to write into the folder's charts/ (report.html always embeds its
    /// charts; a sweep shard draws none).
    #[arg(long, value_enum, default_value_t = ChartFormat::Both)]
    pub charts: ChartFormat,
    /// No progress bar and no table: only errors and warnings.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--shard`: the flag of the commands that can split their work across machines.
#[derive(Debug, Args, Clone, Default)]
pub struct ShardFlag {
    /// Simulate only shard K of N (K from 1 to N): a contiguous slice of the trials (of a
    /// sweep's points), written to a shard folder for `alignsim merge` (`sweep-merge`).
    /// Draws are keyed, so any machine can run any slice. `auto` reads K and N from a Slurm
    /// array, a Kubernetes Indexed Job or an AWS Batch array (ALIGNSIM_SHARDS gives N where
    /// the scheduler cannot).
    #[arg(long, value_parser = parse_shard)]
    pub shard: Option<ShardSpec>,
}

/// Shard K of N, from `--shard K/N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ShardSpec {
    /// 1-based.
    pub index: u64,
    pub count: u64,
}

impl ShardSpec {
    /// The trials of this shard out of `total`: `[(K-1) T / N, K T / N)`.
    pub fn range(&self, total: u64) -> std::ops::Range<u64> {
        self.range_aligned(total, 1)
    }

    /// The same split with every cut but the last rounded down to a multiple of `align`
    /// (a streamed run's shards must not split a block of trials).
    pub fn range_aligned(&self, total: u64, align: u64) -> std::ops::Range<u64> {
        let cut = |k: u64| {
            let c = (u128::from(total) * u128::from(k) / u128::from(self.count)) as u64;
            if k == self.count {
                total
            } else {
                c / align * align
            }
        };
        cut(self.index - 1)..cut(self.index)
    }
}

/// `--shard K/N`, or `--shard auto`: K and N from the scheduler that started the process
/// (see [`crate::scheduler`]).
fn parse_shard(s: &str) -> Result<ShardSpec, String> {
    let (index, count) = if s.trim() == "auto" {
        crate::scheduler::shard_from_env(|name| std::env::var(name).ok())?
    } else {
        let err = || format!("expected K/N with 1 <= K <= N, such as 2/8, or auto, got {s:?}");
        let (k, n) = s.split_once('/').ok_or_else(err)?;
        let number = |x: &str| x.trim().parse::<u64>().map_err(|_| err());
        let (index, count) = (number(k)?, number(n)?);
        if index == 0 || index > count {
            return Err(err());
        }
        (index, count)
    };
    if count > 1_000_000 {
        return Err(format!("shard {index}/{count}: at most 1000000 shards"));
    }
    Ok(ShardSpec { index, count })
}

/// `--pair`: the flag of the commands that draw a run's charts.
#[derive(Debug, Args, Clone, Default)]
pub struct PairFlag {
    /// The two arms the paired-difference chart compares, A minus B, e.g.
    /// `--pair aligned,misaligned` (default: the best arm by mean NPV against the runner-up
    /// and against doing nothing).
    #[arg(long, value_name = "A,B", value_parser = parse_pair)]
    pub pair: Option<(String, String)>,
}

/// `--pair A,B`: two arm names (checked against the scenario once it is read).
fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once(',') {
        Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
            Ok((a.trim().to_string(), b.trim().to_string()))
        }
        _ => Err(format!(
            "expected two arm names A,B, such as aligned,misaligned, got {s:?}"
        )),
    }
}

/// Sampling method of `--sampling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SamplingArg {
    /// Independent keyed draws.
    Mc,
    /// Latin hypercube sampling.
    Lhs,
}

/// How a run's percentiles are computed, from `--quantiles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QuantilesArg {
    /// Exact up to 250,000 trials, by sketch beyond.
    Auto,
    /// From every trial's value: memory grows with the trials (about 1 KB per trial).
    Exact,
    /// From mergeable histograms with a stated relative error (at most 2^-13 for the
    /// headline figures, 2^-10 for the monthly bands): memory does not grow with the trials.
    Sketch,
}

/// `--trials-format`: the per-trial file of a run folder (run and merge).
#[derive(Debug, Args, Clone, Default)]
pub struct TrialsFlag {
    /// Per-trial results as trials.parquet, as trials.csv (which spreadsheets open), or
    /// both: the same rows and values either way [default: parquet].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub trials_format: Option<TrialsFormat>,
}

impl TrialsFlag {
    /// The format asked for, Parquet when none was.
    pub fn format(&self) -> TrialsFormat {
        self.trials_format.unwrap_or(TrialsFormat::Parquet)
    }
}

/// Which per-trial files a run folder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrialsFormat {
    Parquet,
    Csv,
    Both,
}

impl TrialsFormat {
    /// Whether `trials.parquet` is kept.
    pub fn parquet(self) -> bool {
        matches!(self, TrialsFormat::Parquet | TrialsFormat::Both)
    }

    /// Whether `trials.csv` is written.
    pub fn csv(self) -> bool {
        matches!(self, TrialsFormat::Csv | TrialsFormat::Both)
    }
}

/// Which chart files to write into the run folder's `charts/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChartFormat {
    Png,
    Svg,
    Both,
    None,
}

impl ChartFormat {
    pub fn png(self) -> bool {
        matches!(self, ChartFormat::Png | ChartFormat::Both)
    }

    pub fn svg(self) -> bool {
        matches!(self, ChartFormat::Svg | ChartFormat::Both)
    }

    /// The chart files to write.
    pub fn formats(self) -> crate::plot::Formats {
        crate::plot::Formats {
            png: self.png(),
            svg: self.svg(),
        }
    }
}

#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// Run folder written by `alignsim run`, e.g. output/bakery, or a sweep folder written
    /// by `alignsim sweep` or `sweep-merge`.
    pub run_dir: PathBuf,
    /// Chart files to write (report.html always embeds its charts).
    #[arg(long, value_enum, default_value_t = ChartFormat::Both)]
    pub charts: ChartFormat,
    #[command(flatten)]
    pub pair: PairFlag,
    /// Also print the report to report.pdf with a local headless Chromium (found as
    /// $ALIGNSIM_CHROMIUM, else chromium, chromium-browser or google-chrome on the PATH).
    #[arg(long)]
    pub pdf: bool,
    /// Seconds Chromium may take to print report.pdf before it is stopped.
    #[arg(long, value_name = "SECS", default_value_t = crate::report::pdf::DEFAULT_TIMEOUT_SECS, requires = "pdf")]
    pub pdf_timeout: u64,
}

#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Scenario file (TOML), e.g. scenarios/bakery.toml.
    pub scenario: PathBuf,
    #[command(flatten)]
    pub sim: SimFlags,
    #[command(flatten)]
    pub strict: StrictFlag,
    #[command(flatten)]
    pub output: OutFlags,
    #[command(flatten)]
    pub shard: ShardFlag,
    #[command(flatten)]
    pub pair: PairFlag,
    /// Keep adding trials until, for every arm, the 95 % interval of the mean NPV is within
    /// X of the mean (relative: 0.01 = 1 %) and that of P(loss) within X (absolute: 0.01 =
    /// one percentage point), or --max-trials is reached. The file's `trials` is then ignored.
    #[arg(long, value_parser = parse_precision)]
    pub precision: Option<f64>,
    /// Most trials a --precision run may use.
    #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(10_000..=10_000_000_000))]
    pub max_trials: u64,
    /// Do not write trials.parquet (the per-trial results): for when only the summary,
    /// charts and report are wanted. `alignsim report` cannot redraw such a folder.
    #[arg(long)]
    pub no_trials: bool,
    #[command(flatten)]
    pub trials: TrialsFlag,
    /// How uncertain inputs are sampled: plain Monte Carlo, or Latin hypercube (every
    /// input's range stratified into as many equal slices as there are trials).
    #[arg(long, value_enum, default_value_t = SamplingArg::Mc)]
    pub sampling: SamplingArg,
    /// Percentiles, VaR, CVaR and monthly bands exact (every trial held in memory) or by
    /// sketch (bounded memory, stated error; per-trial rows streamed to trials.parquet).
    #[arg(long, value_enum, default_value_t = QuantilesArg::Auto)]
    pub quantiles: QuantilesArg,
    /// Trials the alignment levers (what +0.1 of each score is worth) are computed on: the
    /// run's first N, or all when it has fewer; 0 computes none. A merge takes the same flag.
    #[arg(long, default_value_t = crate::analysis::levers::TRIALS)]
    pub levers: u64,
    /// A target to report the chance of, per arm, besides the scenario's `[report] targets`:
    /// METRIC OP NUMBER, METRIC one of npv, roi, net, payback_month, investment, OP one of
    /// >=, >, <=, <, e.g. --target "roi >= 50 %" (repeatable).
    #[arg(long = "target", value_name = "EXPR", value_parser = parse_target)]
    pub targets: Vec<Target>,
    /// Also explain the gap between the two best arms (or the --pair) as `alignsim explain`
    /// does, on the first 20,000 trials: explain.json and charts/waterfall.* in the run
    /// folder, and a section "Why the best plan wins" in report.html. The scenario's
    /// `[report] explain = true` does the same.
    #[arg(long)]
    pub explain: bool,
    /// Leave the explanation out even when the scenario's `[report] explain = true` asks
    /// for it: a what-if run without the seconds its 512 hybrid arms take.
    #[arg(long, conflicts_with = "explain")]
    pub no_explain: bool,
}

#[derive(Debug, Args, Clone)]
pub struct SweepArgs {
    /// Scenario file with --vary, or a batch file (scenarios/whatif/*.toml).
    pub file: PathBuf,
    /// PATH=START:STOP:STEPS (STEPS values, both ends included) or PATH=V1,V2,..; once or
    /// twice, e.g. --vary arms.misaligned.alignment.strategic=0.2:1:9.
    #[arg(long, value_name = "PATH=START:STOP:STEPS")]
    pub vary: Vec<String>,
    #[command(flatten)]
    pub sim: SimFlags,
    #[command(flatten)]
    pub strict: StrictFlag,
    #[command(flatten)]
    pub output: OutFlags,
    #[command(flatten)]
    pub shard: ShardFlag,
    /// A target to report the chance of at every point, per arm, besides the base
    /// scenario's `[report] targets`, as `run --target` (repeatable).
    #[arg(long = "target", value_name = "EXPR", value_parser = parse_target)]
    pub targets: Vec<Target>,
}

#[derive(Debug, Args, Clone)]
pub struct SweepMergeArgs {
    /// Sweep shard folders (all N shards of one sweep, in any order).
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    #[command(flatten)]
    pub output: OutFlags,
}

#[derive(Debug, Args, Clone)]
pub struct BreakevenArgs {
    /// Scenario file (TOML).
    pub scenario: PathBuf,
    /// The parameter path to vary, e.g. arms.misaligned.alignment.strategic.
    #[arg(long, value_name = "PATH")]
    pub vary: String,
    /// The arm whose target is sought (may be left out when the scenario has one arm).
    #[arg(long)]
    pub arm: Option<String>,
    /// NAME=LEVEL with NAME one of p_npv_positive, p_roi_positive, p_payback, mean_npv.
    #[arg(long, default_value = "p_npv_positive=0.5")]
    pub target: crate::sweep::breakeven::TargetLevel,
    /// Low end of the search range (default: the key's lower bound, if it has one).
    #[arg(long, allow_negative_numbers = true)]
    pub lo: Option<f64>,
    /// High end of the search range (default: the key's upper bound, if it has one).
    #[arg(long, allow_negative_numbers = true)]
    pub hi: Option<f64>,
    #[command(flatten)]
    pub sim: SimFlags,
    #[command(flatten)]
    pub strict: StrictFlag,
    /// Print the answer as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct SensitivityArgs {
    /// Scenario file (TOML), e.g. scenarios/bakery.toml.
    pub scenario: PathBuf,
    #[command(flatten)]
    pub sim: SimFlags,
    #[command(flatten)]
    pub strict: StrictFlag,
    /// Base sample size N of the Sobol indices: N x (random inputs + 2) trials are simulated.
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u64).range(16..=1_000_000))]
    pub sobol_n: u64,
    #[command(flatten)]
    pub output: OutFlags,
}

#[derive(Debug, Args, Clone)]
pub struct ExplainArgs {
    /// Scenario file (TOML), e.g. scenarios/bakery.toml.
    pub scenario: PathBuf,
    /// The two arms to compare, `A,B` (default: the two with the highest mean NPV).
    #[arg(long, value_name = "A,B")]
    pub pair: Option<String>,
    #[command(flatten)]
    pub sim: SimFlags,
    #[command(flatten)]
    pub strict: StrictFlag,
    #[command(flatten)]
    pub output: OutFlags,
}

#[derive(Debug, Args, Clone)]
pub struct PlanArgs {
    /// Scenario file (TOML) with a [[work]] catalogue, e.g. scenarios/bakery.toml.
    pub scenario: PathBuf,
    /// The arm to prepare.
    #[arg(long)]
    pub arm: String,
    /// Most the preparation may cost on average, in the scenario's currency.
    #[arg(long, value_parser = parse_budget)]
    pub budget: Option<f64>,
    /// What the best plan maximises: mean NPV, the chance of not losing money (p_loss), or
    /// the mean of the worst 5 % of futures (cvar5).
    #[arg(long, value_enum, default_value_t = crate::analysis::plan::Objective::MeanNpv)]
    pub objective: crate::analysis::plan::Objective,
    #[command(flatten)]
    pub sim: SimFlags,
    #[command(flatten)]
    pub strict: StrictFlag,
    #[command(flatten)]
    pub output: OutFlags,
}

#[derive(Debug, Args, Clone)]
pub struct CompareArgs {
    /// The first run folder (written by `alignsim run` or `merge`), e.g. output/bakery.
    pub run_a: PathBuf,
    /// The second run folder; differences are B minus A.
    pub run_b: PathBuf,
    /// Folder to write (default: output/compare-A-B, after the two folders' names). Only a
    /// folder alignsim wrote is ever replaced.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No table: only errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A `--budget`: an amount >= 0.
fn parse_budget(s: &str) -> Result<f64, String> {
    match s.replace(['_', ','], "").parse::<f64>() {
        Ok(x) if x >= 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!("expected an amount >= 0, e.g. 5000, got {s:?}")),
    }
}

/// A `--precision` target: a number in (0, 1).
fn parse_precision(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err(format!(
            "expected a number between 0 and 1 (0.01 = 1 %), got {s:?}"
        )),
    }
}

/// `--target EXPR`, read by [`Target::parse`].
fn parse_target(s: &str) -> Result<Target, String> {
    Target::parse(s).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }
}
