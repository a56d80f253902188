//! The Assumptions sheet: every parameter of every arm, one row each, in the words of the
//! report's assumptions table, with its distribution's name and parameters as numbers in
//! columns of their own.

use anyhow::Result;
use rust_xlsxwriter::{ColNum, RowNum, Worksheet};

use super::book::{self, Kind, Styles};
use crate::dist::{Dist, Z90};
use crate::plot::RunData;
use crate::scenario::{PARAMS, ParamDef, Scenario, Section};

/// The columns before the distribution's parameters.
const LEAD: [(&str, f64); 6] = [
    ("Arm", 16.0),
    ("Section", 12.0),
    ("Key", 34.0),
    ("Description", 48.0),
    ("Unit", 14.0),
    ("Distribution", 12.0),
];

/// The sheet: a row per arm and parameter (the KPI's only when the scenario has one), then
/// the parameters' names and values, and the source the scenario file gives for the value:
/// the comment beside or above the arm's own key when it sets one, else the shared key's.
pub fn sheet(data: &RunData, st: &Styles) -> Result<Worksheet> {
    let mut ws = book::sheet("Assumptions")?;
    let Some(sc) = &data.scenario else {
        ws.write_string(
            0,
            0,
            "This run folder holds no readable scenario.toml, so the assumptions cannot be listed.",
        )?;
        return Ok(ws);
    };
    let defs: Vec<&ParamDef> = PARAMS
        .iter()
        .filter(|d| d.section != Section::Kpi || sc.kpi.is_some())
        .collect();
    let width = sc
        .arms
        .iter()
        .flat_map(|a| defs.iter().map(|d| parts(a.param(d.sym)).1.len()))
        .max()
        .unwrap_or(0);
    write_headers(&mut ws, width, st)?;
    let mut row = 1;
    for arm in &sc.arms {
        for def in &defs {
            write_row(&mut ws, row, sc, (&arm.name, def), arm.param(def.sym), st)?;
            let source = sc
                .source(&format!("arms.{}.{}", arm.name, def.path()))
                .or_else(|| sc.source(&def.path()));
            if let Some(text) = source {
                ws.write_string(row, (LEAD.len() + 2 * width) as ColNum, text)?;
            }
            row += 1;
        }
    }
    Ok(ws)
}

/// The header row: [`LEAD`], a name and a value column for each of `width` parameters,
/// then the source.
fn write_headers(ws: &mut Worksheet, width: usize, st: &Styles) -> Result<()> {
    let names: Vec<(String, f64)> = (1..=width)
        .flat_map(|i| {
            [
                (format!("Parameter {i}"), 11.0),
                (format!("Value {i}"), 13.0),
            ]
        })
        .collect();
    let mut cols: Vec<(&str, f64)> = LEAD.to_vec();
    cols.extend(names.iter().map(|(n, w)| (n.as_str(), *w)));
    cols.push(("Source", 40.0));
    book::headers(ws, 0, &cols, st)
}

/// One parameter of one arm.
fn write_row(
    ws: &mut Worksheet,
    row: RowNum,
    sc: &Scenario,
    (arm, def): (&str, &ParamDef),
    dist: &Dist,
    st: &Styles,
) -> Result<()> {
    let (description, unit) = crate::report::parameter_words(def.sym, sc);
    let (name, params) = parts(dist);
    let lead = [
        arm,
        def.section.name(),
        &def.path(),
        description,
        &unit,
        name,
    ];
    for (c, text) in lead.iter().enumerate() {
        ws.write_string(row, c as ColNum, *text)?;
    }
    for (i, (param, value)) in params.iter().enumerate() {
        let c = (LEAD.len() + 2 * i) as ColNum;
        ws.write_string(row, c, *param)?;
        book::number(ws, row, c + 1, Some(*value), Kind::Plain, st)?;
    }
    Ok(())
}

/// A distribution's name and its parameters as a scenario file gives them (a PERT's
/// lowest, most likely and highest value, a lognormal's median and P90).
fn parts(d: &Dist) -> (&'static str, Vec<(&'static str, f64)>) {
    match d {
        Dist::Fixed(v) => ("fixed", vec![("value", *v)]),
        Dist::Uniform { min, max } => ("uniform", vec![("min", *min), ("max", *max)]),
        Dist::UniformInt { min, max } => (
            "uniform_int",
            vec![("min", *min as f64), ("max", *max as f64)],
        ),
        Dist::Normal { mean, sd } => ("normal", vec![("mean", *mean), ("sd", *sd)]),
        Dist::LogNormal { mu, sigma } => (
            "lognormal",
            vec![("median", mu.exp()), ("p90", (mu + sigma * Z90).exp())],
        ),
        Dist::Triangular { min, mode, max } => (
            "triangular",
            vec![("min", *min), ("mode", *mode), ("max", *max)],
        ),
        Dist::Beta {
            alpha,
            beta,
            min,
            max,
            pert,
            ..
        } => match pert {
            Some((mode, lambda)) => (
                "pert",
                vec![
                    ("min", *min),
                    ("mode", *mode),
                    ("max", *max),
                    ("lambda", *lambda),
                ],
            ),
            None => (
                "beta",
                vec![
                    ("alpha", *alpha),
                    ("beta", *beta),
                    ("min", *min),
                    ("max", *max),
                ],
            ),
        },
        Dist::Discrete { values, cumulative } => ("discrete", discrete(values, cumulative)),
        Dist::Bernoulli(p) => ("bernoulli", vec![("p", *p)]),
    }
}

/// A discrete distribution's values, each followed by its probability.
fn discrete(values: &[f64], cumulative: &[f64]) -> Vec<(&'static str, f64)> {
    let mut prev = 0.0;
    let mut out = Vec::with_capacity(2 * values.len());
    for (v, c) in values.iter().zip(cumulative) {
        out.push(("value", *v));
        out.push(("probability", c - prev));
        prev = *c;
    }
    out
}
