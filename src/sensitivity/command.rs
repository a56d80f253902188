//! `alignsim sensitivity`: scenario -> a run of its trials (tornado, EVPI) and the Saltelli
//! matrices (Sobol) -> `output/<name>-sensitivity/`, written atomically: `sensitivity.json`,
//! `tornado.csv`, `sobol.csv`, `evpi.csv` and `charts/`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use polars::prelude::{Column, DataFrame};

use super::{JSON_FILE, Samples, Sensitivity, sobol};
use crate::cli::SensitivityArgs;
use crate::console;
use crate::engine::Model;
use crate::output::{self, Staging};
use crate::plot::{Formats, fmt_money};

/// What a finished sensitivity analysis hands back.
pub struct Finished {
    pub sensitivity: Sensitivity,
    pub out_dir: PathBuf,
}

/// Runs the analysis and writes its folder.
pub fn run(args: &SensitivityArgs) -> Result<Finished> {
    let scenario = crate::job::load(&args.scenario)?.scenario;
    let trials = args.sim.trials.unwrap_or(scenario.trials);
    let seed = args.sim.seed.unwrap_or(scenario.seed);
    let out_dir = args
        .output
        .out
        .clone()
        .unwrap_or_else(|| output::default_dir(&format!("{}-sensitivity", scenario.name)));
    output::preflight(&out_dir)?;
    output::refuse_overlap(&out_dir, &[&args.scenario])?;
    let (pool, _) = console::worker_pool(args.sim.threads)?;
    let model = Model::seeded(&scenario, seed);
    let sobol_trials = args.sobol_n * (model.inputs.len() as u64 + 2);
    let bar = console::progress_bar(trials + sobol_trials, args.output.quiet, "sensitivity");
    let sensitivity = pool.install(|| {
        let mut samples = Samples::from_batches(&model, &[]);
        model.run_each(0..trials, &|n| bar.inc(n), |b| samples.push(&b));
        let base = Sensitivity::of_samples(&scenario, seed, &samples);
        drop(samples);
        base.with_sobol(sobol::run(&model, args.sobol_n, sobol::RESAMPLES, &|n| {
            bar.inc(n)
        }))
    });
    bar.finish_and_clear();
    let formats = args.output.charts.formats();
    write_folder(&out_dir, &sensitivity, formats)?;
    Ok(Finished {
        sensitivity,
        out_dir,
    })
}

/// Writes every file into a staging folder that replaces `out_dir` once complete.
pub fn write_folder(out_dir: &Path, s: &Sensitivity, formats: Formats) -> Result<()> {
    let staging = Staging::new(out_dir)?;
    let dir = staging.path();
    output::write_json(&dir.join(JSON_FILE), s)?;
    output::write_csv(&dir.join("tornado.csv"), &mut tornado_frame(s)?)?;
    output::write_csv(&dir.join("evpi.csv"), &mut evpi_frame(s)?)?;
    if s.sobol.is_some() {
        output::write_csv(&dir.join("sobol.csv"), &mut sobol_frame(s)?)?;
    }
    if formats.png || formats.svg {
        super::report::write_charts(s, &dir.join(crate::report::CHARTS_DIR), formats)?;
    }
    staging.commit()
}

/// `tornado.csv`: one row per arm and input, strongest npv driver first within an arm.
fn tornado_frame(s: &Sensitivity) -> Result<DataFrame> {
    let (mut arm, mut rank, mut path, mut name) = (vec![], vec![], vec![], vec![]);
    let (mut npv, mut roi) = (vec![], vec![]);
    for t in &s.tornado {
        for (k, d) in t.drivers.iter().enumerate() {
            arm.push(t.arm.clone());
            rank.push(k as u32 + 1);
            path.push(d.path.clone());
            name.push(d.name.clone());
            npv.push(d.rho_npv);
            roi.push(d.rho_roi);
        }
    }
    let cols = vec![
        Column::new("arm".into(), arm),
        Column::new("rank".into(), rank),
        Column::new("path".into(), path),
        Column::new("name".into(), name),
        Column::new("spearman_npv".into(), npv),
        Column::new("spearman_roi".into(), roi),
    ];
    Ok(DataFrame::new(cols[0].len(), cols)?)
}

/// `evpi.csv`: one row per input, largest first.
fn evpi_frame(s: &Sensitivity) -> Result<DataFrame> {
    let e = &s.evpi;
    let cols = vec![
        Column::new(
            "rank".into(),
            (1..=e.inputs.len() as u32).collect::<Vec<_>>(),
        ),
        Column::new(
            "path".into(),
            e.inputs.iter().map(|i| i.path.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "name".into(),
            e.inputs.iter().map(|i| i.name.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "evpi".into(),
            e.inputs.iter().map(|i| i.evpi).collect::<Vec<_>>(),
        ),
        Column::new(
            "bins".into(),
            e.inputs.iter().map(|i| i.bins as u32).collect::<Vec<_>>(),
        ),
    ];
    Ok(DataFrame::new(e.inputs.len(), cols)?)
}

/// `sobol.csv`: one row per arm and input, largest total index first within an arm.
fn sobol_frame(s: &Sensitivity) -> Result<DataFrame> {
    let mut arm = vec![];
    let mut text: [Vec<String>; 2] = Default::default();
    let mut num: [Vec<Option<f64>>; 6] = Default::default();
    for a in s.sobol.iter().flat_map(|x| &x.arms) {
        for i in &a.inputs {
            arm.push(a.arm.clone());
            text[0].push(i.path.clone());
            text[1].push(i.name.clone());
            let vals = [
                i.first.value,
                i.first.lo95,
                i.first.hi95,
                i.total.value,
                i.total.lo95,
                i.total.hi95,
            ];
            for (c, v) in num.iter_mut().zip(vals) {
                c.push(v);
            }
        }
    }
    let mut cols = vec![Column::new("arm".into(), arm)];
    for (name, v) in ["path", "name"].iter().zip(text) {
        cols.push(Column::new((*name).into(), v));
    }
    let names = [
        "first",
        "first_lo95",
        "first_hi95",
        "total",
        "total_lo95",
        "total_hi95",
    ];
    for (name, v) in names.iter().zip(num) {
        cols.push(Column::new((*name).into(), v));
    }
    Ok(DataFrame::new(cols[0].len(), cols)?)
}

/// What the command prints: the findings, then the EVPI ranking.
pub fn text(s: &Sensitivity) -> String {
    let mut out = String::new();
    for line in &s.sentences {
        out.push_str(line);
        out.push('\n');
    }
    let e = &s.evpi;
    out.push_str(&format!(
        "\nValue of knowing before deciding ({}):\n",
        s.currency
    ));
    let width = e
        .inputs
        .iter()
        .map(|i| i.name.len())
        .max()
        .unwrap_or(0)
        .max(24);
    let worth: Vec<_> = e.inputs.iter().filter(|i| i.evpi > 0.0).collect();
    for (k, i) in worth.iter().enumerate() {
        out.push_str(&format!(
            "{:>3}. {:<width$} {:>12}\n",
            k + 1,
            i.name,
            fmt_money(i.evpi)
        ));
    }
    if worth.len() < e.inputs.len() {
        let others = format!("(any of the other {})", e.inputs.len() - worth.len());
        out.push_str(&format!("     {others:<width$} {:>12}\n", "0"));
    }
    out.push_str(&format!(
        "     {:<width$} {:>12}\n",
        "(noise floor)",
        fmt_money(e.noise_floor)
    ));
    out.push_str(&format!(
        "     {:<width$} {:>12}\n",
        "(everything, luck included)",
        fmt_money(e.overall)
    ));
    for note in &s.notes {
        out.push_str(&format!("\nNote: {note}\n"));
    }
    out
}
