//! `alignsim explain` and `alignsim plan`: scenario -> the variants of [`super`] ->
//! `output/<name>-explain/` (`explain.json`, `charts/waterfall.*`, `report.html`) or
//! `output/<name>-plan/` (`plan.json`, `plans.csv`, `charts/frontier.*`, `report.html`),
//! written atomically, and the sentence a client reads. [`of_run`] is the explanation a
//! run folder gets with `run --explain`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use polars::prelude::{Column, DataFrame};
use serde::{Deserialize, Serialize};

pub use super::explained::Explained;
use super::levers;
use super::plan::{self, Search};
use super::shapley::{self, Attribution, PLAYERS};
use crate::cli::{ExplainArgs, PlanArgs};
use crate::console;
use crate::engine::Model;
use crate::error::{UsageError, did_you_mean};
use crate::output::text::pct;
use crate::output::{self, Staging};
use crate::plot::{self, About, Formats, fmt_money, frontier, waterfall};
use crate::report::{CHARTS_DIR, REPORT_FILE, pages};
use crate::scenario::Scenario;

/// Trials the analyses simulate unless `--trials` says otherwise: each trial is simulated
/// for hundreds of variants.
pub const DEFAULT_TRIALS: u64 = 20_000;

/// What `plan.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Planned {
    pub scenario: String,
    pub currency: String,
    pub seed: u64,
    #[serde(flatten)]
    pub search: Search,
    pub sentence: String,
}

/// The scenario, trials, seed, output folder and thread pool of an analysis command.
struct Setup {
    scenario: Scenario,
    trials: u64,
    seed: u64,
    out_dir: PathBuf,
    pool: rayon::ThreadPool,
}

fn setup(
    path: &std::path::Path,
    sim: &crate::cli::SimFlags,
    out: &crate::cli::OutFlags,
    suffix: &str,
) -> Result<Setup> {
    let scenario = crate::job::load(path)?.scenario;
    let out_dir = out
        .out
        .clone()
        .unwrap_or_else(|| output::default_dir(&format!("{}-{suffix}", scenario.name)));
    output::preflight(&out_dir)?;
    output::refuse_overlap(&out_dir, &[path])?;
    let (pool, _) = console::worker_pool(sim.threads)?;
    Ok(Setup {
        trials: sim.trials.unwrap_or(DEFAULT_TRIALS),
        seed: sim.seed.unwrap_or(scenario.seed),
        scenario,
        out_dir,
        pool,
    })
}

/// An arm name the scenario has, or a usage error with a did-you-mean.
fn arm_named<'a>(sc: &'a Scenario, name: &str) -> Result<&'a str> {
    if let Some(a) = sc.arms.iter().find(|a| a.name == name) {
        return Ok(&a.name);
    }
    let names: Vec<&str> = sc.arms.iter().map(|a| a.name.as_str()).collect();
    let hint = did_you_mean(name, names.iter().copied())
        .map_or_else(String::new, |s| format!("; did you mean {s:?}?"));
    Err(UsageError(format!(
        "the scenario has no arm {name:?} (its arms: {}){hint}",
        names.join(", ")
    ))
    .into())
}

/// The pair `--pair A,B` names, or the two arms with the highest mean NPV.
fn pair(sc: &Scenario, model: &Model, flag: Option<&str>, trials: u64) -> Result<(String, String)> {
    if let Some(flag) = flag {
        let Some((a, b)) = flag.split_once(',') else {
            return Err(
                UsageError(format!("--pair takes two arm names, A,B; got {flag:?}")).into(),
            );
        };
        let (a, b) = (arm_named(sc, a.trim())?, arm_named(sc, b.trim())?);
        if a == b {
            return Err(
                UsageError(format!("--pair needs two different arms, got {a} twice")).into(),
            );
        }
        return Ok((a.to_string(), b.to_string()));
    }
    if sc.arms.len() < 2 {
        return Err(UsageError("explain compares two arms; this scenario has one".into()).into());
    }
    let mut sums = vec![0.0; model.n_arms()];
    super::each_outcome(
        model,
        &model.arms,
        0..trials,
        &|_| {},
        |o| o.npv,
        |a, _, npv| sums[a] += npv,
    )?;
    let mut order: Vec<usize> = (0..sums.len()).collect();
    order.sort_by(|&x, &y| sums[y].total_cmp(&sums[x]).then(x.cmp(&y)));
    Ok((
        model.arms[order[0]].name.clone(),
        model.arms[order[1]].name.clone(),
    ))
}

/// Runs `alignsim explain` and writes its folder.
pub fn explain(args: &ExplainArgs) -> Result<(Explained, PathBuf)> {
    let s = setup(&args.scenario, &args.sim, &args.output, "explain")?;
    let model = Model::seeded(&s.scenario, s.seed);
    let (a, b) = s
        .pool
        .install(|| pair(&s.scenario, &model, args.pair.as_deref(), s.trials))?;
    let hybrids = 1u64 << PLAYERS.len();
    let levers_work = 12 * model.n_arms() as u64;
    let bar = console::progress_bar(
        s.trials * (hybrids + levers_work),
        args.output.quiet,
        "explain",
    );
    let (attribution, levers) = s.pool.install(|| -> Result<_> {
        let attribution = shapley::attribute(&model, (&a, &b), s.trials, &|n| bar.inc(n))?;
        let levers = levers::compute(&model, s.trials, &|n| bar.inc(n))?;
        Ok((attribution, levers))
    })?;
    bar.finish_and_clear();
    let sentence = explain_sentence(&s.scenario, &attribution);
    let done = Explained {
        scenario: s.scenario.name.clone(),
        currency: s.scenario.currency.clone(),
        trials: s.trials,
        seed: s.seed,
        levers,
        attribution,
        sentence,
    };
    let staging = Staging::new(&s.out_dir)?;
    output::write_json(&staging.path().join(super::explained::FILE), &done)?;
    let about = about(&s);
    write_explain_page(staging.path(), &done, &about, args.output.charts.formats())?;
    staging.commit()?;
    Ok((done, s.out_dir))
}

/// The explanation of a run (`run --explain`, `[report] explain = true`): the gap between
/// the arms `pair` (default: the run's two best by mean NPV) attributed on the first
/// `trials` trials, simulated as `alignsim explain` with the run's seed does, and the run's
/// own `levers`. `None` for a scenario of one arm, which has no gap to explain.
///
/// # Errors
/// Ctrl-C before every trial was simulated.
pub fn of_run(
    sc: &Scenario,
    summary: &crate::stats::Summary,
    pair: Option<&(String, String)>,
    trials: u64,
) -> Result<Option<Explained>> {
    let (a, b) = match pair {
        Some((a, b)) => (a.clone(), b.clone()),
        None => {
            let mut ranked: Vec<&crate::stats::ArmSummary> = summary.arms.iter().collect();
            ranked.sort_by(|x, y| {
                let mean = |s: &crate::stats::ArmSummary| s.npv.mean.unwrap_or(f64::NEG_INFINITY);
                mean(y).total_cmp(&mean(x))
            });
            match ranked[..] {
                [first, second, ..] => (first.name.clone(), second.name.clone()),
                _ => return Ok(None),
            }
        }
    };
    let model = Model::seeded(sc, summary.seed);
    let attribution = shapley::attribute(&model, (&a, &b), trials, &|_| {})?;
    Ok(Some(Explained {
        scenario: sc.name.clone(),
        currency: sc.currency.clone(),
        trials,
        seed: summary.seed,
        levers: summary.levers.clone().unwrap_or_default(),
        sentence: explain_sentence(sc, &attribution),
        attribution,
    }))
}

pub use crate::plot::levers::player_words;

/// "the aligned plan" for the arm named `aligned`.
fn arm_label(name: &str) -> String {
    format!("the {} plan", name.replace('_', " "))
}

/// "The aligned plan is worth 50,500 more than the misaligned plan; strategic alignment
/// explains 15,600 of it, culture 9,600, the roll-out 7,000."
pub fn explain_sentence(sc: &Scenario, at: &Attribution) -> String {
    let (lead, other, sign) = if at.gap >= 0.0 {
        (&at.a, &at.b, 1.0)
    } else {
        (&at.b, &at.a, -1.0)
    };
    let mut shares: Vec<(&String, f64)> =
        at.shares.iter().map(|(p, s)| (p, sign * s.share)).collect();
    shares.sort_by(|x, y| y.1.abs().total_cmp(&x.1.abs()));
    let parts: Vec<String> = shares
        .iter()
        .take(3)
        .filter(|(_, v)| v.abs() >= 0.005 * at.gap.abs().max(1.0))
        .map(|(p, v)| {
            if *v >= 0.0 {
                format!("{} explains {}", player_words(p), fmt_money(*v))
            } else {
                format!("{} works against it by {}", player_words(p), fmt_money(-v))
            }
        })
        .collect();
    let mut out = format!(
        "{} is worth {} {} more on average than {}",
        capitalise(&arm_label(lead)),
        fmt_money(at.gap.abs()),
        sc.currency,
        arm_label(other)
    );
    for (i, part) in parts.iter().enumerate() {
        out.push_str(if i == 0 { "; " } else { ", " });
        out.push_str(part);
        if i == 0 && !part.contains("works against") {
            out.push_str(" of it");
        }
    }
    out.push('.');
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

/// The terminal text of an explanation.
pub fn explain_text(e: &Explained) -> String {
    let at = &e.attribution;
    let mut out = format!(
        "{}\n\nWhere the gap comes from ({} trials, {} minus {}):\n",
        e.sentence,
        crate::dist::fmt_num(e.trials as f64),
        at.a,
        at.b
    );
    for p in PLAYERS {
        let s = &at.shares[p];
        out.push_str(&format!(
            "  {:<12} {:>12} +- {}\n",
            p,
            fmt_money(s.share),
            fmt_money(1.96 * s.se)
        ));
    }
    out.push_str(&format!(
        "  {:<12} {:>12} +- {}\n",
        "gap",
        fmt_money(at.gap),
        fmt_money(1.96 * at.gap_se)
    ));
    out.push_str("\nWhat +0.1 of each alignment score is worth (mean NPV; change in the chance of losing money):\n");
    for (arm, dims) in &e.levers {
        out.push_str(&format!("  {arm}\n"));
        for dim in PLAYERS.iter().take(6) {
            let l = &dims[*dim];
            out.push_str(&format!(
                "    {:<12} {:>10} +- {:<8} {:>+6.1} points\n",
                dim,
                fmt_money(l.npv),
                fmt_money(1.96 * l.npv_se),
                100.0 * l.p_loss
            ));
        }
    }
    out
}

/// Runs `alignsim plan` and writes its folder.
pub fn plan(args: &PlanArgs) -> Result<(Planned, PathBuf)> {
    let s = setup(&args.scenario, &args.sim, &args.output, "plan")?;
    let arm = arm_named(&s.scenario, &args.arm)?.to_string();
    if s.scenario.work.is_empty() {
        return Err(UsageError(format!(
            "{} has no [[work]] packages: plan searches the catalogue of preparation packages a scenario lists",
            args.scenario.display()
        ))
        .into());
    }
    let model = Model::seeded(&s.scenario, s.seed);
    let k = model.work.len();
    let subsets = if k <= plan::EXHAUSTIVE {
        1u64 << k
    } else {
        (k * k) as u64
    };
    let bar = console::progress_bar(s.trials * subsets, args.output.quiet, "plan");
    let search = s.pool.install(|| {
        plan::search(
            &model,
            &arm,
            (args.objective, args.budget),
            s.trials,
            &|n| bar.inc(n),
        )
    })?;
    bar.finish_and_clear();
    let sentence = plan_sentence(&s.scenario, &search);
    let done = Planned {
        scenario: s.scenario.name.clone(),
        currency: s.scenario.currency.clone(),
        seed: s.seed,
        search,
        sentence,
    };
    let staging = Staging::new(&s.out_dir)?;
    output::write_json(&staging.path().join(plan::FILE), &done)?;
    output::write_csv(
        &staging.path().join("plans.csv"),
        &mut plans_frame(&done.search)?,
    )?;
    let about = about(&s);
    write_plan_page(staging.path(), &done, &about, args.output.charts.formats())?;
    staging.commit()?;
    Ok((done, s.out_dir))
}

/// What the charts' second title line names.
fn about(s: &Setup) -> About<'_> {
    About {
        title: &s.scenario.title,
        currency: &s.scenario.currency,
        trials: s.trials,
    }
}

/// Writes an explanation's `charts/waterfall.*` (as `formats` asks) and `report.html` into
/// the staged folder `dir`.
fn write_explain_page(dir: &Path, e: &Explained, about: &About, formats: Formats) -> Result<()> {
    let at = &e.attribution;
    let svg = waterfall::svg(at, about)?;
    if formats.png || formats.svg {
        let png = |path: &Path| waterfall::png(at, about, path);
        plot::write_figure(
            &dir.join(CHARTS_DIR),
            waterfall::FILE_STEM,
            formats,
            &svg,
            &png,
        )?;
    }
    let page = pages::explain_page(about, &e.sentence, at, &e.levers, &svg);
    write_report(dir, &page)
}

/// Writes a plan search's `charts/frontier.*` (as `formats` asks) and `report.html` into
/// the staged folder `dir`.
fn write_plan_page(dir: &Path, p: &Planned, about: &About, formats: Formats) -> Result<()> {
    let s = &p.search;
    let svg = frontier::svg(s, about)?;
    if formats.png || formats.svg {
        let png = |path: &Path| frontier::png(s, about, path);
        plot::write_figure(
            &dir.join(CHARTS_DIR),
            frontier::FILE_STEM,
            formats,
            &svg,
            &png,
        )?;
    }
    write_report(dir, &pages::plan_page(about, &p.sentence, s, &svg))
}

fn write_report(dir: &Path, page: &str) -> Result<()> {
    let path = dir.join(REPORT_FILE);
    std::fs::write(&path, page).with_context(|| format!("cannot write {}", path.display()))
}

/// `plans.csv`: one row per plan simulated.
fn plans_frame(s: &Search) -> Result<DataFrame> {
    let col = |name: &str, f: &dyn Fn(&plan::Plan) -> f64| {
        Column::new(name.into(), s.plans.iter().map(f).collect::<Vec<f64>>())
    };
    let names: Vec<String> = s.plans.iter().map(|p| p.packages.join("+")).collect();
    let cols = vec![
        Column::new("packages".into(), names),
        col("cost_mean", &|p| p.cost_mean),
        col("npv_mean", &|p| p.npv_mean),
        col("npv_se", &|p| p.npv_se),
        col("p_npv_negative", &|p| p.p_npv_negative),
        col("npv_cvar5", &|p| p.npv_cvar5),
    ];
    Ok(DataFrame::new(s.plans.len(), cols)?)
}

/// The labels of packages, joined for a sentence.
fn labels(sc: &Scenario, names: &[String]) -> String {
    let l: Vec<String> = names
        .iter()
        .map(|n| {
            sc.work
                .iter()
                .find(|w| &w.name == n)
                .map_or_else(|| n.clone(), |w| lower_first(&w.label))
        })
        .collect();
    match l.len() {
        0 => String::new(),
        1 => l[0].clone(),
        _ => format!("{} and {}", l[..l.len() - 1].join(", "), l[l.len() - 1]),
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_lowercase().chain(c).collect())
}

/// "Spend 1,900 on the stock-list link and the KPI first: mean NPV rises by 8,200 and the
/// chance of losing money falls from 35 % to 18 %."
pub fn plan_sentence(sc: &Scenario, s: &Search) -> String {
    let none = s
        .plans
        .iter()
        .find(|p| p.packages.is_empty())
        .unwrap_or(&s.best);
    let b = &s.best;
    if b.packages.is_empty() {
        return format!(
            "No preparation serves the {} plan better{}: start without it (mean NPV {} {}, loses money in {} of futures).",
            s.arm.replace('_', " "),
            s.budget.map_or_else(String::new, |x| format!(
                " within a budget of {}",
                fmt_money(x)
            )),
            fmt_money(b.npv_mean),
            sc.currency,
            pct(Some(b.p_npv_negative))
        );
    }
    let rise = b.npv_mean - none.npv_mean;
    let what = labels(sc, &b.packages);
    let still = if b.npv_mean < 0.0 {
        format!(
            " Even so the plan loses money on average (mean NPV {} {}): preparing does not make it worth starting.",
            fmt_money(b.npv_mean),
            sc.currency
        )
    } else {
        String::new()
    };
    let sentence = format!(
        "Spend {} {} on average to {}{}: the mean NPV of the {} plan {} by {} and the chance of losing money {} from {} to {}.",
        fmt_money(b.cost_mean),
        sc.currency,
        what,
        if what.ends_with(" first") {
            ""
        } else {
            " first"
        },
        s.arm.replace('_', " "),
        if rise >= 0.0 { "rises" } else { "falls" },
        fmt_money(rise.abs()),
        if b.p_npv_negative <= none.p_npv_negative {
            "falls"
        } else {
            "rises"
        },
        pct(Some(none.p_npv_negative)),
        pct(Some(b.p_npv_negative))
    );
    sentence + &still
}

/// The terminal text of a plan search.
pub fn plan_text(p: &Planned) -> String {
    let s = &p.search;
    let mut out = format!("{}\n\n", p.sentence);
    if !s.exhaustive {
        out.push_str("More packages than can be searched exhaustively: searched greedily, adding one package at a time.\n\n");
    }
    let mut plans: Vec<&plan::Plan> = s.plans.iter().collect();
    plans.sort_by(|a, b| b.npv_mean.total_cmp(&a.npv_mean));
    out.push_str(&format!(
        "{:<40} {:>10} {:>10} {:>9} {:>10}\n",
        "packages", "cost", "NPV mean", "P(NPV<0)", "CVaR 5 %"
    ));
    for pl in plans.iter().take(12) {
        let name = if pl.packages.is_empty() {
            "(none)".to_string()
        } else {
            pl.packages.join(", ")
        };
        out.push_str(&format!(
            "{:<40} {:>10} {:>10} {:>9} {:>10}\n",
            name,
            fmt_money(pl.cost_mean),
            fmt_money(pl.npv_mean),
            pct(Some(pl.p_npv_negative)),
            fmt_money(pl.npv_cvar5)
        ));
    }
    out
}
