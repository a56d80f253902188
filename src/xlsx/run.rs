//! The sheets of a run's workbook that hold its figures: Summary (the decision, the
//! headline figures of every arm, the targets), Percentiles and Channels, each figure
//! taken from the run's [`Summary`] as it is, so the workbook and `summary.json` agree.

use anyhow::Result;
use rust_xlsxwriter::{ColNum, RowNum, Worksheet};

use super::book::{self, Kind, Styles};
use crate::plot::RunData;
use crate::stats::{ArmSummary, Stats, Summary};

/// How to read one figure of an arm.
type Figure = fn(&ArmSummary) -> Option<f64>;

/// The headline columns of the Summary sheet: header, figure, format.
const HEADLINE: [(&str, Figure, Kind); 14] = [
    ("Mean NPV", |a| a.npv.mean, Kind::Money),
    ("SE of mean NPV", |a| a.npv.se, Kind::Money),
    ("P(NPV < 0)", |a| a.p_npv_negative, Kind::Share),
    ("SE of P(NPV < 0)", |a| a.p_npv_negative_se, Kind::Share),
    ("NPV P5", |a| a.npv.p5, Kind::Money),
    ("NPV P50", |a| a.npv.p50, Kind::Money),
    ("NPV P95", |a| a.npv.p95, Kind::Money),
    ("Mean ROI", |a| a.roi.mean, Kind::Share),
    ("P(payback within horizon)", |a| a.p_payback, Kind::Share),
    ("SE of P(payback)", |a| a.p_payback_se, Kind::Share),
    ("P(dropped)", |a| a.p_dropped, Kind::Share),
    ("Dropped at the gate", |a| a.p_dropped_by.gate, Kind::Share),
    (
        "Dropped at a review",
        |a| a.p_dropped_by.review,
        Kind::Share,
    ),
    (
        "Dropped by the hazard",
        |a| a.p_dropped_by.hazard,
        Kind::Share,
    ),
];

/// The Summary sheet: what was simulated, the decision, each arm's headline figures and
/// the share of its trials meeting each target.
pub fn summary_sheet(data: &RunData, st: &Styles) -> Result<Worksheet> {
    let s = &data.summary;
    let mut ws = book::sheet("Summary")?;
    ws.write_string_with_format(0, 0, s.title.as_str(), &st.title)?;
    ws.set_freeze_panes(1, 0)?;
    ws.set_column_width(0, 26)?;
    ws.set_column_width(1, 18)?;
    let mut row = facts(&mut ws, s, st)?;
    row += 1;
    row = arm_table(&mut ws, row, s, st)?;
    if !s.targets.is_empty() {
        targets(&mut ws, row + 1, s, st)?;
    }
    Ok(ws)
}

/// The run's settings and decision, one per row below the title; the next free row.
fn facts(ws: &mut Worksheet, s: &Summary, st: &Styles) -> Result<RowNum> {
    let choice = serde_json::to_value(s.decision.choice)?
        .as_str()
        .unwrap_or_default()
        .to_string();
    let text: [(&str, &str); 5] = [
        ("Scenario", &s.scenario),
        ("Currency", &s.currency),
        ("Sampling", &s.sampling),
        ("Decision", &s.decision.sentence),
        ("Choice", &choice),
    ];
    let numbers = [
        ("Trials", Some(s.trials as f64), Kind::Count),
        (
            "Horizon, months",
            Some(f64::from(s.horizon_months)),
            Kind::Count,
        ),
        (
            "Discount rate per year",
            Some(s.discount_rate_annual),
            Kind::Share,
        ),
    ];
    let mut row = 1;
    for (label, value) in text {
        ws.write_string_with_format(row, 0, label, &st.header)?;
        ws.write_string(row, 1, value)?;
        row += 1;
    }
    if let Some(arm) = &s.decision.arm {
        ws.write_string_with_format(row, 0, "Recommended arm", &st.header)?;
        ws.write_string(row, 1, arm.as_str())?;
        row += 1;
    }
    for (label, value, kind) in numbers {
        ws.write_string_with_format(row, 0, label, &st.header)?;
        book::number(ws, row, 1, value, kind, st)?;
        row += 1;
    }
    ws.write_string_with_format(row, 0, "Seed", &st.header)?;
    seed(ws, row, 1, s.seed)?;
    Ok(row + 1)
}

/// The seed as a number when a spreadsheet holds it exactly, as its digits otherwise.
fn seed(ws: &mut Worksheet, row: RowNum, col: ColNum, seed: u64) -> Result<()> {
    if seed <= 1 << f64::MANTISSA_DIGITS {
        ws.write_number(row, col, seed as f64)?;
    } else {
        ws.write_string(row, col, seed.to_string())?;
    }
    Ok(())
}

/// One row per arm with its [`HEADLINE`] figures, headers in `row`; the next free row.
fn arm_table(ws: &mut Worksheet, row: RowNum, s: &Summary, st: &Styles) -> Result<RowNum> {
    ws.write_string_with_format(row, 0, "Arm", &st.header)?;
    ws.write_string_with_format(row, 1, "Label", &st.header)?;
    for (c, (name, _, _)) in HEADLINE.iter().enumerate() {
        let c = c as ColNum + 2;
        ws.write_string_with_format(row, c, *name, &st.header)?;
        ws.set_column_width(c, 14)?;
    }
    let mut r = row + 1;
    for arm in &s.arms {
        ws.write_string(r, 0, arm.name.as_str())?;
        ws.write_string(r, 1, arm.label.as_str())?;
        for (c, (_, get, kind)) in HEADLINE.iter().enumerate() {
            book::number(ws, r, c as ColNum + 2, get(arm), *kind, st)?;
        }
        r += 1;
    }
    Ok(r)
}

/// The targets: per target and arm, the share of trials meeting it and its standard error.
fn targets(ws: &mut Worksheet, row: RowNum, s: &Summary, st: &Styles) -> Result<()> {
    for (c, name) in ["Target", "Arm", "P(target met)", "SE"].iter().enumerate() {
        ws.write_string_with_format(row, c as ColNum, *name, &st.header)?;
    }
    for (i, t) in s.targets.iter().enumerate() {
        let r = row + 1 + i as RowNum;
        ws.write_string(r, 0, t.expr.as_str())?;
        ws.write_string(r, 1, t.arm.as_str())?;
        book::number(ws, r, 2, t.p, Kind::Share, st)?;
        book::number(ws, r, 3, t.se, Kind::Share, st)?;
    }
    Ok(())
}

/// A named figure read off a [`Stats`].
type Stat = (&'static str, fn(&Stats) -> Option<f64>);

/// One of an arm's distributions (NPV, ROI, net) and how its figures are shown.
type Measure = (&'static str, fn(&ArmSummary) -> &Stats, Kind);

/// The statistics of the Percentiles sheet, in column order.
const STATS: [Stat; 10] = [
    ("Mean", |s| s.mean),
    ("SD", |s| s.sd),
    ("SE of mean", |s| s.se),
    ("P5", |s| s.p5),
    ("P10", |s| s.p10),
    ("P25", |s| s.p25),
    ("P50", |s| s.p50),
    ("P75", |s| s.p75),
    ("P90", |s| s.p90),
    ("P95", |s| s.p95),
];

/// The Percentiles sheet: per arm, the distribution of NPV, ROI and net (undiscounted) as
/// the run computed it.
pub fn percentiles_sheet(s: &Summary, st: &Styles) -> Result<Worksheet> {
    let mut ws = book::sheet("Percentiles")?;
    let mut cols = vec![("Arm", 16.0), ("Measure", 22.0)];
    cols.extend(STATS.iter().map(|(name, _)| (*name, 13.0)));
    book::headers(&mut ws, 0, &cols, st)?;
    let measures: [Measure; 3] = [
        ("NPV", |a| &a.npv, Kind::Money),
        ("ROI", |a| &a.roi, Kind::Share),
        ("Net, undiscounted", |a| &a.net, Kind::Money),
    ];
    let mut row = 1;
    for arm in &s.arms {
        for (measure, get, kind) in measures {
            ws.write_string(row, 0, arm.name.as_str())?;
            ws.write_string(row, 1, measure)?;
            for (c, (_, pick)) in STATS.iter().enumerate() {
                book::number(&mut ws, row, c as ColNum + 2, pick(get(arm)), kind, st)?;
            }
            row += 1;
        }
    }
    Ok(ws)
}

/// The Channels sheet: the mean contribution of each value channel to each arm's net, each
/// channel in the scenario's words.
pub fn channels_sheet(data: &RunData, st: &Styles) -> Result<Worksheet> {
    let s = &data.summary;
    let labels = data.labels();
    let mut ws = book::sheet("Channels")?;
    let mut cols = vec![("Channel", 28.0), ("Key", 16.0)];
    cols.extend(s.arms.iter().map(|a| (a.name.as_str(), 14.0)));
    book::headers(&mut ws, 0, &cols, st)?;
    let kpi = s.kpi.as_ref().map(|k| k.name.as_str());
    let Some(first) = s.arms.first() else {
        return Ok(ws);
    };
    for (i, (name, _)) in first.channels.entries().iter().enumerate() {
        let row = i as RowNum + 1;
        ws.write_string(row, 0, labels.channel(name, kpi))?;
        ws.write_string(row, 1, *name)?;
        for (a, arm) in s.arms.iter().enumerate() {
            let value = arm.channels.entries()[i].1;
            book::number(&mut ws, row, a as ColNum + 2, value, Kind::Money, st)?;
        }
    }
    Ok(ws)
}
