//! The `alignsim` program: a table of contents. Each command is one thin function that hands
//! its arguments to the library and prints what comes back; exit codes are decided in one
//! place ([`report`]).

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
    alignsim::scenario::warnings::install(alignsim::scenario::warnings::Policy {
        strict: cli.command.strict(),
        show: show_warnings,
    });
    // Ctrl-C and SIGTERM stop every command between steps, leaving no partial folder.
    if let Err(e) = alignsim::interrupt::install() {
        return report(&e);
    }
    let result = match &cli.command {
        Command::Run(args) => run_command(args),
        Command::Merge(args) => merge_command(args),
        Command::Validate { scenarios, .. } => validate_command(scenarios),
        Command::Report(args) => report_command(args),
        Command::Sensitivity(args) => sensitivity_command(args),
        Command::Explain(args) => explain_command(args),
        Command::Plan(args) => plan_command(args),
        Command::Sweep(args) => sweep_command(args),
        Command::SweepMerge(args) => sweep_merge_command(args),
        Command::Breakeven(args) => breakeven_command(args),
        Command::Compare(args) => compare_command(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => report(&e),
    }
}

fn run_command(args: &alignsim::cli::RunArgs) -> anyhow::Result<ExitCode> {
    let job = alignsim::job::RunJob::resolve(args)?;
    let report = run::run(&job)?;
    let Some(summary) = &report.summary else {
        if !args.output.quiet {
            say(&format!(
                "Shard written to {}; combine the shards with `alignsim merge`.",
                report.out_dir.display()
            ));
        }
        return Ok(ExitCode::SUCCESS);
    };
    print_run(summary, &report.out_dir, args.output.quiet);
    Ok(ExitCode::SUCCESS)
}

/// The terminal summary of a run or a merge.
fn print_run(summary: &alignsim::stats::Summary, out_dir: &std::path::Path, quiet: bool) {
    for w in text::clamp_warnings(summary) {
        warn(&w);
    }
    if let Some(line) = text::precision_line(summary) {
        warn(&line);
    }
    if !quiet {
        say(&text::table(summary));
        for s in text::sentences(summary) {
            say(&s);
        }
        say(&format!("\nResults written to {}", out_dir.display()));
    }
}

fn merge_command(args: &alignsim::cli::MergeArgs) -> anyhow::Result<ExitCode> {
    if let Some(dir) = args
        .shards
        .iter()
        .find(|d| alignsim::sweep::shard::is_shard(d))
    {
        anyhow::bail!(alignsim::error::UsageError(format!(
            "{} is a shard of a sweep: combine sweep shards with `alignsim sweep-merge`",
            dir.display()
        )));
    }
    let (summary, out_dir) = alignsim::shard::merge(args)?;
    print_run(&summary, &out_dir, args.output.quiet);
    Ok(ExitCode::SUCCESS)
}

fn report_command(args: &alignsim::cli::ReportArgs) -> anyhow::Result<ExitCode> {
    use alignsim::report::pdf;
    // The browser is found first: without one, nothing is written.
    let browser = args.pdf.then(pdf::find_browser).transpose()?;
    let formats = args.charts.formats();
    let dir = &args.run_dir;
    let path = if alignsim::sweep::page::is_sweep_folder(dir) {
        if args.pair.pair.is_some() {
            anyhow::bail!(alignsim::error::UsageError(format!(
                "--pair names the arms of a run's paired chart; {} is a sweep folder",
                dir.display()
            )));
        }
        alignsim::sweep::page::rerender(dir, formats)?
    } else if alignsim::sweep::shard::is_shard(dir) {
        anyhow::bail!(alignsim::error::UsageError(format!(
            "{} is a shard of a sweep: combine the shards with `alignsim sweep-merge`, then report the merged folder",
            dir.display()
        )));
    } else {
        let path = alignsim::report::rerender(dir, formats, &args.pair.pair)?;
        alignsim::xlsx::rerender(dir)?;
        path
    };
    say(&format!("Report written to {}", path.display()));
    let workbook = dir.join(alignsim::xlsx::XLSX_FILE);
    say(&format!("Workbook written to {}", workbook.display()));
    if let Some(browser) = browser {
        let timeout = std::time::Duration::from_secs(args.pdf_timeout);
        let pdf = pdf::print(&browser, &path, timeout)?;
        say(&format!("PDF written to {}", pdf.display()));
    }
    Ok(ExitCode::SUCCESS)
}

fn sweep_command(args: &alignsim::cli::SweepArgs) -> anyhow::Result<ExitCode> {
    let report = alignsim::sweep::cmd::sweep(args)?;
    if !args.output.quiet {
        if let Some(shard) = &report.shard {
            say(&shard.text(&report.out_dir));
        }
        if let Some(sweep) = &report.sweep {
            print_sweep(sweep, &report.out_dir);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn sweep_merge_command(args: &alignsim::cli::SweepMergeArgs) -> anyhow::Result<ExitCode> {
    let (sweep, out_dir) = alignsim::sweep::shard::merge(args)?;
    if !args.output.quiet {
        print_sweep(&sweep, &out_dir);
    }
    Ok(ExitCode::SUCCESS)
}

/// The terminal table and findings of a sweep or a sweep merge.
fn print_sweep(sweep: &alignsim::sweep::Sweep, out_dir: &std::path::Path) {
    say_raw(&alignsim::sweep::cmd::printed(sweep));
    say(&format!("\nResults written to {}", out_dir.display()));
}

fn breakeven_command(args: &alignsim::cli::BreakevenArgs) -> anyhow::Result<ExitCode> {
    let solved = alignsim::sweep::cmd::breakeven(args)?;
    if args.json {
        say(&serde_json::to_string_pretty(&solved)?);
    } else {
        say_raw(&alignsim::sweep::cmd::solved_text(&solved));
    }
    Ok(ExitCode::SUCCESS)
}

fn sensitivity_command(args: &alignsim::cli::SensitivityArgs) -> anyhow::Result<ExitCode> {
    let done = alignsim::sensitivity::command::run(args)?;
    if !args.output.quiet {
        say_raw(&alignsim::sensitivity::command::text(&done.sensitivity));
        say(&format!("\nResults written to {}", done.out_dir.display()));
    }
    Ok(ExitCode::SUCCESS)
}

fn explain_command(args: &alignsim::cli::ExplainArgs) -> anyhow::Result<ExitCode> {
    let (done, dir) = alignsim::analysis::command::explain(args)?;
    if !args.output.quiet {
        say_raw(&alignsim::analysis::command::explain_text(&done));
        say(&format!("\nResults written to {}", dir.display()));
    }
    Ok(ExitCode::SUCCESS)
}

fn plan_command(args: &alignsim::cli::PlanArgs) -> anyhow::Result<ExitCode> {
    let (done, dir) = alignsim::analysis::command::plan(args)?;
    if !args.output.quiet {
        say_raw(&alignsim::analysis::command::plan_text(&done));
        say(&format!("\nResults written to {}", dir.display()));
    }
    Ok(ExitCode::SUCCESS)
}

fn compare_command(args: &alignsim::cli::CompareArgs) -> anyhow::Result<ExitCode> {
    let (done, dir) = alignsim::compare::compare(args)?;
    if !args.quiet {
        say_raw(&alignsim::compare::text(&done));
        say(&format!("\nResults written to {}", dir.display()));
    }
    Ok(ExitCode::SUCCESS)
}

fn validate_command(paths: &[std::path::PathBuf]) -> anyhow::Result<ExitCode> {
    let mut worst = ExitCode::SUCCESS;
    for path in paths {
        if let Err(e) = validate_one(path) {
            worst = report(&e);
        }
    }
    Ok(worst)
}

/// Checks one scenario file, or one batch file of `alignsim sweep` with its base scenario
/// and every point of its grid, and says what it holds.
fn validate_one(path: &std::path::Path) -> anyhow::Result<()> {
    // A peek at the start (bounded: the path may be a device); the scenario loader reads
    // and checks the file itself, with its own limits.
    let mut head = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        use std::io::Read;
        let _ = file.take(1 << 20).read_to_end(&mut head);
    }
    if alignsim::sweep::spec::names_a_base_scenario(&String::from_utf8_lossy(&head)) {
        let plan = alignsim::sweep::plan(&alignsim::sweep::Request {
            file: path.to_path_buf(),
            vary: Vec::new(),
            trials: None,
            seed: None,
            targets: Vec::new(),
        })?;
        say(&format!(
            "{}: ok (batch file: {} points of {}, {} trials each)",
            path.display(),
            plan.grid().len(),
            plan.base.label,
            plan.trials
        ));
        return Ok(());
    }
    let loaded = alignsim::job::load(path)?;
    say(&format!(
        "{}: ok ({} arms, {} months)",
        path.display(),
        loaded.scenario.arms.len(),
        loaded.scenario.horizon_months
    ));
    Ok(())
}

/// Prints a scenario file's warnings on stderr, each with its snippet of the file.
fn show_warnings(warnings: &InputErrors) {
    use std::io::Write;
    let text = warnings.render_warnings(std::io::stderr().is_terminal());
    let _ = write!(std::io::stderr(), "{text}");
}

/// Prints a line of text for the terminal, its control characters neutralised.
///
/// A closed stdout (`alignsim run ... | head`) is not an error: the results are on disk
/// already, so what cannot be printed is dropped instead of ending the program.
fn say(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{}", text::terminal(text));
}

/// Prints text without adding a line break.
fn say_raw(text: &str) {
    use std::io::Write;
    let _ = write!(std::io::stdout(), "{}", text::terminal(text));
}

/// Prints a line to stderr, its control characters neutralised.
fn warn(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{}", text::terminal(text));
}

/// Prints an error and picks the exit code: 2 for bad input, 130 (143) after Ctrl-C
/// (SIGTERM), 1 for anything else.
fn report(e: &anyhow::Error) -> ExitCode {
    if let Some(stop) = e.downcast_ref::<alignsim::interrupt::Interrupted>() {
        eprintln!("{stop}");
        ExitCode::from(stop.exit_code())
    } else if let Some(input) = e.downcast_ref::<InputErrors>() {
        eprint!("{}", input.render(std::io::stderr().is_terminal()));
        ExitCode::from(EXIT_INPUT)
    } else if let Some(usage) = e.downcast_ref::<alignsim::error::UsageError>() {
        warn(&format!("error: {usage}"));
        ExitCode::from(EXIT_INPUT)
    } else {
        warn(&format!("error: {e:#}"));
        ExitCode::from(EXIT_FAILURE)
    }
}
