//! The two commands end to end. `alignsim sweep`: plan -> simulate every point -> write
//! the sweep folder (atomically, by [`folder::write`]). `alignsim breakeven`: bisection on
//! one value of one arm, each evaluation a full simulation on the same trials.

pub mod folder;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use toml::{Table, Value};

use super::breakeven::{self, Direction, Evaluations, Solved, TargetLevel};
use super::{Base, Request, Source, Sweep, path, report, shard};
use crate::cli::{BreakevenArgs, SweepArgs};
use crate::console;
use crate::dist::fmt_num;
use crate::error::{InputError, InputErrors, did_you_mean};
use crate::output::{Manifest, text};
use folder::Files;

/// What a finished sweep hands back.
pub struct SweepReport {
    /// The whole sweep; `None` for a shard, which is summarised only when merged.
    pub sweep: Option<Sweep>,
    /// For a shard: which points it simulated.
    pub shard: Option<shard::Written>,
    pub out_dir: PathBuf,
}

/// Runs `alignsim sweep`, or with `--shard K/N` its K-th slice of the points.
///
/// # Errors
/// Input errors (exit code 2) before anything is simulated or written; I/O errors.
pub fn sweep(args: &SweepArgs) -> Result<SweepReport> {
    let started = Instant::now();
    let plan = super::plan(&Request {
        file: args.file.clone(),
        vary: args.vary.clone(),
        trials: args.sim.trials,
        seed: args.sim.seed,
        targets: args.targets.clone(),
    })?;
    let n_points = plan.grid().len();
    let range = args.shard.shard.map_or(0..n_points, |spec| {
        let r = spec.range(n_points as u64);
        r.start as usize..r.end as usize
    });
    let out_dir = args.output.out.clone().unwrap_or_else(|| {
        let name = match args.shard.shard {
            Some(spec) => format!("{}-shard-{}-of-{}", plan.name, spec.index, spec.count),
            None => plan.name.clone(),
        };
        crate::output::default_dir(&name)
    });
    crate::output::preflight(&out_dir)?;
    crate::output::refuse_overlap(&out_dir, &[&args.file])?;
    let (pool, threads) = console::worker_pool(args.sim.threads)?;
    let bar = console::progress_bar(
        range.len() as u64 * plan.trials,
        args.output.quiet,
        "sweeping",
    );
    let provenance = || {
        Manifest::now(
            plan.base.path.display().to_string(),
            crate::output::sha256_hex(&plan.base.bytes),
            plan.seed,
            plan.trials,
            threads,
            started,
        )
    };
    if let Some(spec) = args.shard.shard {
        let points = pool.install(|| super::simulate_points(&plan, range, &|n| bar.inc(n)))?;
        bar.finish_and_clear();
        let manifest = provenance();
        let written = shard::write(&out_dir, &plan, &args.vary, spec, points, &manifest)?;
        return Ok(SweepReport {
            sweep: None,
            shard: Some(written),
            out_dir,
        });
    }
    let sweep = pool.install(|| super::simulate(&plan, &|n| bar.inc(n)))?;
    bar.finish_and_clear();
    let manifest = provenance();
    let files = Files {
        scenario: &plan.base.bytes,
        batch: plan.batch.as_ref().map(|(_, b)| b.as_slice()),
    };
    let formats = args.output.charts.formats();
    folder::write(&out_dir, files, &sweep, &manifest, formats)?;
    Ok(SweepReport {
        sweep: Some(sweep),
        shard: None,
        out_dir,
    })
}

/// What `alignsim sweep` prints after the table: the break-even lines.
pub fn printed(sweep: &Sweep) -> String {
    let mut out = report::table(sweep);
    out.push('\n');
    for s in report::sentences(sweep) {
        out.push_str(&s);
        out.push('\n');
    }
    out
}

/// Runs `alignsim breakeven`.
///
/// # Errors
/// Input errors (exit code 2) for a wrong path, arm, range or a value the model does not
/// allow inside the range.
pub fn breakeven(args: &BreakevenArgs) -> Result<Solved> {
    let base = super::load_base(&args.scenario)?;
    let source = Source {
        file: "command line".into(),
        text: format!(
            "--vary {}\n--arm {}\n",
            args.vary,
            args.arm.as_deref().unwrap_or("")
        ),
    };
    let vary_span = 7..7 + args.vary.len();
    let target = path::resolve(&base.doc, &args.vary).map_err(|e| {
        let mut err = InputError::new(vary_span.clone(), &args.vary, e.message);
        err.help = e.help;
        source.errors(vec![err])
    })?;
    let arm = pick_arm(&base, args.arm.as_deref(), &source, vary_span.end + 7)?;
    let range = range(&base, &target, args, &source, vary_span.clone())?;
    let doc = only_arm(&base.doc, &arm);
    let trials = args.sim.trials.unwrap_or(base.scenario.trials);
    let seed = args.sim.seed.unwrap_or(base.scenario.seed);
    let (pool, _) = console::worker_pool(args.sim.threads)?;
    let mut ev = Evaluations::new(|x| {
        let sc = base.with(&doc, &[(&target, x)]).map_err(|e| {
            let errs = e
                .errors
                .into_iter()
                .map(|err| InputError {
                    span: vary_span.clone(),
                    message: format!("at {} = {}: {}", args.vary, fmt_num(x), err.message),
                    ..err
                })
                .collect();
            source.errors(errs)
        })?;
        Ok(pool
            .install(|| super::run_point(&sc, trials, seed, &|_| {}))?
            .remove(0))
    });
    let integer = target.integer();
    let breakeven::Solution {
        found,
        se,
        interval,
    } = breakeven::solve(&mut ev, args.target, range, integer, trials)?;
    let at_lo = args.target.metric.of(ev.at(range.0)?);
    let at_hi = args.target.metric.of(ev.at(range.1)?);
    Ok(Solved {
        scenario: base.scenario.name.clone(),
        arm,
        path: args.vary.clone(),
        label: report::describe(&target),
        target: args.target,
        lo: range.0,
        hi: range.1,
        trials,
        seed,
        value: found.map(|f| f.0),
        direction: found.map(|f| f.1),
        se,
        interval,
        at_lo,
        at_hi,
        evaluations: ev.points.len(),
        integer,
    })
}

/// The arm asked for, or the only one.
fn pick_arm(
    base: &Base,
    arm: Option<&str>,
    source: &Source,
    at: usize,
) -> Result<String, InputErrors> {
    let names: Vec<&str> = base.scenario.arms.iter().map(|a| a.name.as_str()).collect();
    match arm {
        Some(a) if names.contains(&a) => Ok(a.to_string()),
        None if names.len() == 1 => Ok(names[0].to_string()),
        Some(a) => {
            let mut e = InputError::new(
                at..at + a.len(),
                "--arm",
                format!("no arm named {a:?}; the arms are {}", names.join(", ")),
            );
            if let Some(s) = did_you_mean(a, names.iter().copied()) {
                e = e.with_help(format!("did you mean `{s}`?"));
            }
            Err(source.errors(vec![e]))
        }
        None => Err(source.errors(vec![InputError::new(
            0..0,
            "--arm",
            format!("say which arm with --arm: {}", names.join(", ")),
        )])),
    }
}

/// The range to search: `--lo`/`--hi`, else the key's finite domain bounds (or, for a
/// distribution's mode, its min and max).
fn range(
    base: &Base,
    target: &path::Target,
    args: &BreakevenArgs,
    source: &Source,
    span: std::ops::Range<usize>,
) -> Result<(f64, f64), InputErrors> {
    let (dlo, dhi) = default_range(base, target);
    let err = |msg: String| source.errors(vec![InputError::new(span.clone(), &args.vary, msg)]);
    let lo = args
        .lo
        .or(dlo)
        .ok_or_else(|| err("has no lower bound: give --lo".into()))?;
    let hi = args
        .hi
        .or(dhi)
        .ok_or_else(|| err("has no upper bound: give --hi".into()))?;
    if lo >= hi || !lo.is_finite() || !hi.is_finite() {
        return Err(err(format!(
            "the range must run from a lower to a higher value, got --lo {} --hi {}",
            fmt_num(lo),
            fmt_num(hi)
        )));
    }
    Ok((lo, hi))
}

fn default_range(base: &Base, target: &path::Target) -> (Option<f64>, Option<f64>) {
    if target.dist_field() == Some("mode") {
        let dist = path::written(&base.doc, target);
        let num = |k: &str| {
            dist.and_then(|d| d.get(k))
                .and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64)))
        };
        return (num("min"), num("max"));
    }
    let Some(d) = target.domain() else {
        return (None, None);
    };
    let nudge = if d.lo.is_finite() && d.hi.is_finite() {
        (d.hi - d.lo) * 1e-6
    } else {
        0.0
    };
    let lo =
        d.lo.is_finite()
            .then_some(if d.lo_open { d.lo + nudge } else { d.lo });
    let hi =
        d.hi.is_finite()
            .then_some(if d.hi_open { d.hi - nudge } else { d.hi });
    (lo, hi)
}

/// The scenario with only one arm: draws are keyed by parameter path, so the arm's
/// futures are the same without the others, at a fraction of the work.
fn only_arm(doc: &Table, arm: &str) -> Table {
    let mut doc = doc.clone();
    if let Some(Value::Table(arms)) = doc.get_mut("arms") {
        arms.retain(|k, _| k == arm);
    }
    doc
}

/// The printed answer of `alignsim breakeven`.
pub fn solved_text(s: &Solved) -> String {
    let fmt = |x: f64| fmt_at(x, s.hi - s.lo, s.integer);
    let level = fmt_level(s.target);
    let metric = metric_words(s.target.metric);
    let mut out = format!(
        "Break-even of the {} arm: {metric} = {level}, varying {} from {} to {}\n",
        s.arm,
        s.path,
        fmt_num(s.lo),
        fmt_num(s.hi)
    );
    match s.value {
        Some(x) => {
            out.push_str(&format!("  value: {}", fmt(x)));
            if let Some((a, b)) = s.interval {
                let end = |v: Option<f64>, side: &str| {
                    v.map_or_else(|| format!("beyond the {side} end of the range"), fmt)
                };
                out.push_str(&format!(
                    "   (95 % Monte Carlo interval {} to {})",
                    end(a, "low"),
                    end(b, "high")
                ));
            }
            out.push('\n');
        }
        None => out.push_str("  value: not reached within the range\n"),
    }
    let show = |v: Option<f64>| match s.target.metric {
        breakeven::Metric::MeanNpv => text::money(v),
        _ => text::pct(v),
    };
    out.push_str(&format!(
        "  {metric} is {} at {} and {} at {}; {} trials, seed {}, {} simulations\n",
        show(s.at_lo),
        fmt_num(s.lo),
        show(s.at_hi),
        fmt_num(s.hi),
        fmt_num(s.trials as f64),
        s.seed,
        s.evaluations
    ));
    out.push_str(&sentence(s));
    out.push('\n');
    out
}

/// The answer in one plain sentence.
pub fn sentence(s: &Solved) -> String {
    let subject = format!("The {} arm", s.arm.replace(['_', '-'], " "));
    let reaches = match s.target.metric {
        breakeven::Metric::PNpvPositive => format!(
            "breaks even in {} of the futures",
            share_words(s.target.level)
        ),
        breakeven::Metric::PRoiPositive => format!(
            "earns a positive return in {} of the futures",
            share_words(s.target.level)
        ),
        breakeven::Metric::PPayback => format!(
            "pays back within the horizon in {} of the futures",
            share_words(s.target.level)
        ),
        breakeven::Metric::MeanNpv => format!(
            "reaches a mean NPV of {}",
            text::money(Some(s.target.level))
        ),
    };
    let fmt = |x: f64| fmt_at(x, s.hi - s.lo, s.integer);
    match (s.value, s.direction) {
        (Some(x), Some(Direction::Rising)) => {
            format!("{subject} {reaches} once {} reaches {}.", s.label, fmt(x))
        }
        (Some(x), Some(_)) => format!(
            "{subject} {reaches} only while {} stays at or below {}.",
            s.label,
            fmt(x)
        ),
        _ => format!(
            "{subject} never crosses that line between {} and {} of {}.",
            fmt_num(s.lo),
            fmt_num(s.hi),
            s.label
        ),
    }
}

fn share_words(p: f64) -> String {
    if p == 0.5 {
        "half".into()
    } else {
        crate::plot::fmt_pct(p)
    }
}

fn metric_words(m: breakeven::Metric) -> &'static str {
    match m {
        breakeven::Metric::PNpvPositive => "P(NPV > 0)",
        breakeven::Metric::PRoiPositive => "P(ROI > 0)",
        breakeven::Metric::PPayback => "P(payback within the horizon)",
        breakeven::Metric::MeanNpv => "mean NPV",
    }
}

fn fmt_level(t: TargetLevel) -> String {
    match t.metric {
        breakeven::Metric::MeanNpv => text::money(Some(t.level)),
        _ => crate::plot::fmt_pct(t.level),
    }
}

/// `x` to a precision of about a thousandth of `width`.
fn fmt_at(x: f64, width: f64, integer: bool) -> String {
    if integer || !width.is_finite() || width <= 0.0 {
        return fmt_num(x);
    }
    let unit = 10f64.powf(width.log10().floor() - 3.0);
    let decimals = (-unit.log10()).round().max(0.0) as usize;
    let rounded = (x / unit).round() * unit + 0.0;
    if decimals == 0 {
        fmt_num(rounded.round())
    } else {
        format!("{:.*}", decimals.min(9), rounded)
    }
}
