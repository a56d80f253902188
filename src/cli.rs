//! The command line (clap derive only).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Check scenario files and report every problem, without simulating.
    Validate {
        /// Scenario files (TOML).
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// Draw the charts and report.html of a run folder again, without simulating.
    Report(ReportArgs),
}

/// Sampling method of `--sampling`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SamplingArg {
    /// Independent keyed draws.
    Mc,
    /// Latin hypercube sampling.
    Lhs,
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
}

#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// Run folder written by `alignsim run`, e.g. output/bakery.
    pub run_dir: PathBuf,
    /// Chart files to write (report.html always embeds its charts).
    #[arg(long, value_enum, default_value_t = ChartFormat::Both)]
    pub charts: ChartFormat,
}

#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// Scenario file (TOML), e.g. scenarios/bakery.toml.
    pub scenario: PathBuf,
    /// Number of trials (overrides the scenario's `trials`).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000_000_000))]
    pub trials: Option<u64>,
    /// Random seed (overrides the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// Run folder to write (default: output/<scenario name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Chart files to write into the run folder's charts/ (report.html always embeds its charts).
    #[arg(long, value_enum, default_value_t = ChartFormat::Both)]
    pub charts: ChartFormat,
    /// How uncertain inputs are sampled: plain Monte Carlo, or Latin hypercube (every
    /// input's range stratified into as many equal slices as there are trials).
    #[arg(long, value_enum, default_value_t = SamplingArg::Mc)]
    pub sampling: SamplingArg,
    /// No progress bar and no table: only errors and warnings.
    #[arg(long, short)]
    pub quiet: bool,
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
