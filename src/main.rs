use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use alignsim::cli::{Cli, Command};
use alignsim::error::InputErrors;
use alignsim::output::text;
use alignsim::run;

/// Exit code for bad input (a scenario file or argument the model does not allow).
const EXIT_INPUT: u8 = 2;
/// Exit code for any other failure.
const EXIT_FAILURE: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(args) => run_command(args),
        Command::Validate { scenarios } => validate_command(scenarios),
        Command::Report(args) => report_command(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => report(&e),
    }
}

fn run_command(args: &alignsim::cli::RunArgs) -> anyhow::Result<ExitCode> {
    let report = run::run(args)?;
    for w in text::clamp_warnings(&report.summary) {
        eprintln!("{w}");
    }
    if !args.quiet {
        println!("{}", text::table(&report.summary));
        for s in text::sentences(&report.summary) {
            println!("{s}");
        }
        println!("\nResults written to {}", report.out_dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn report_command(args: &alignsim::cli::ReportArgs) -> anyhow::Result<ExitCode> {
    let formats = alignsim::plot::Formats {
        png: args.charts.png(),
        svg: args.charts.svg(),
    };
    let path = alignsim::report::rerender(&args.run_dir, formats)?;
    println!("Report written to {}", path.display());
    Ok(ExitCode::SUCCESS)
}

fn validate_command(paths: &[std::path::PathBuf]) -> anyhow::Result<ExitCode> {
    let mut worst = ExitCode::SUCCESS;
    for path in paths {
        match run::load(path) {
            Ok(loaded) => println!(
                "{}: ok ({} arms, {} months)",
                path.display(),
                loaded.scenario.arms.len(),
                loaded.scenario.horizon_months
            ),
            Err(e) => {
                worst = report(&e);
            }
        }
    }
    Ok(worst)
}

/// Prints an error and picks the exit code: 2 for bad input, 1 for anything else.
fn report(e: &anyhow::Error) -> ExitCode {
    if let Some(input) = e.downcast_ref::<InputErrors>() {
        eprint!("{}", input.render(std::io::stderr().is_terminal()));
        ExitCode::from(EXIT_INPUT)
    } else {
        eprintln!("error: {e:#}");
        ExitCode::from(EXIT_FAILURE)
    }
}
