//! A sweep's workbook: the sweep's table (a row per point and arm, every column of
//! `sweep.csv`, numeric), and native line charts of each arm's mean NPV and P(NPV < 0)
//! against the first swept value (one line per value of the second, for a grid).

use std::path::Path;

use anyhow::{Context, Result};
use polars::prelude::{DataFrame, DataType};
use rust_xlsxwriter::{ChartType, ColNum, RowNum, Worksheet};

use super::book::{self, Kind, Styles};
use crate::plot::arm_colour_hex;
use crate::sweep::{ArmPoint, Sweep};

const TABLE_SHEET: &str = "Sweep";
const CHART_SHEET: &str = "Charts";

/// Writes `report.xlsx` of a sweep into `dir` (a folder still being staged).
///
/// # Errors
/// When the workbook cannot be assembled or written.
pub fn write(dir: &Path, sweep: &Sweep) -> Result<()> {
    let path = dir.join(super::XLSX_FILE);
    let bytes = workbook(sweep, &path)?;
    std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// The sweep's workbook, as the bytes of the file `path` names.
pub(super) fn workbook(sweep: &Sweep, path: &Path) -> Result<Vec<u8>> {
    let st = Styles::new();
    let mut wb = book::workbook()?;
    wb.push_worksheet(table_sheet(&crate::sweep::report::frame(sweep)?, &st)?);
    wb.push_worksheet(chart_sheet(sweep, &st)?);
    book::bytes(wb, path)
}

/// How a column of the sweep's table is shown, by its name.
fn kind_of(name: &str) -> Kind {
    if name.starts_with("p_") || name.starts_with("roi_") {
        Kind::Share
    } else if name.starts_with("npv_") {
        Kind::Money
    } else if name == "point" || name == "trials" {
        Kind::Count
    } else {
        Kind::Plain
    }
}

/// The Sweep sheet: the frame of `sweep.csv`, text columns as text and every other column
/// as numbers.
fn table_sheet(df: &DataFrame, st: &Styles) -> Result<Worksheet> {
    let mut ws = book::sheet(TABLE_SHEET)?;
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let cols: Vec<(&str, f64)> = names
        .iter()
        .map(|n| (n.as_str(), (n.len() as f64 + 2.0).clamp(10.0, 40.0)))
        .collect();
    book::headers(&mut ws, 0, &cols, st)?;
    for (c, column) in df.columns().iter().enumerate() {
        let c = c as ColNum;
        if column.dtype() == &DataType::String {
            for (r, v) in column.str()?.iter().enumerate() {
                ws.write_string(r as RowNum + 1, c, v.unwrap_or_default())?;
            }
            continue;
        }
        let kind = kind_of(column.name());
        let values = column.cast(&DataType::Float64)?;
        for (r, v) in values.f64()?.iter().enumerate() {
            book::number(&mut ws, r as RowNum + 1, c, v, kind, st)?;
        }
    }
    Ok(ws)
}

/// One line of the charts: an arm, at one value of the second axis when there is one.
struct Line {
    name: String,
    colour: String,
    /// The arm's figures at each value of the first axis.
    points: Vec<Option<ArmPoint>>,
}

/// Each arm's line (and each value of the second axis, for a grid).
fn lines(sweep: &Sweep) -> Vec<Line> {
    let first = sweep.axes.first().map_or(0, |a| a.values.len());
    let second = sweep.axes.get(1);
    let inner = second.map_or(1, |a| a.values.len());
    let mut out = Vec::new();
    for (a, arm) in sweep.arms.iter().enumerate() {
        for j in 0..inner {
            let name = match second {
                Some(ax) => format!("{} at {} = {}", arm.name, ax.path, ax.values[j]),
                None => arm.name.clone(),
            };
            let points = (0..first)
                .map(|i| {
                    let index = sweep.index(i, j);
                    let point = sweep.points.iter().find(|p| p.point == index)?;
                    point.arms.iter().find(|p| p.arm == arm.name).cloned()
                })
                .collect();
            out.push(Line {
                name,
                colour: arm_colour_hex(a),
                points,
            });
        }
    }
    out
}

/// A figure of a sweep point and how it is shown.
type Figure = (&'static str, fn(&ArmPoint) -> Option<f64>, Kind);

/// The Charts sheet: the first swept value down the first column, then each line's mean
/// NPV, then each line's P(NPV < 0), and a chart of each block.
fn chart_sheet(sweep: &Sweep, st: &Styles) -> Result<Worksheet> {
    let mut ws = book::sheet(CHART_SHEET)?;
    let Some(axis) = sweep.axes.first() else {
        return Ok(ws);
    };
    let lines = lines(sweep);
    let figures: [Figure; 2] = [
        ("mean NPV", |p| p.npv_mean, Kind::Money),
        ("P(NPV < 0)", |p| p.p_npv_negative, Kind::Share),
    ];
    let mut cols = vec![(axis.path.as_str(), 24.0)];
    let headers: Vec<String> = figures
        .iter()
        .flat_map(|(f, _, _)| lines.iter().map(move |l| format!("{}: {f}", l.name)))
        .collect();
    cols.extend(headers.iter().map(|h| (h.as_str(), 16.0)));
    book::headers(&mut ws, 0, &cols, st)?;
    let last = axis.values.len() as RowNum;
    for (i, v) in axis.values.iter().enumerate() {
        book::number(&mut ws, i as RowNum + 1, 0, Some(*v), Kind::Plain, st)?;
    }
    for (k, (figure, get, kind)) in figures.iter().enumerate() {
        let title = format!("{} against {}", figure, axis.full_label());
        let mut chart = book::chart(ChartType::ScatterStraight, &title, &axis.label, figure);
        chart
            .y_axis()
            .set_num_format(if *kind == Kind::Money { "#,##0" } else { "0%" });
        for (l, line) in lines.iter().enumerate() {
            let col = (1 + k * lines.len() + l) as ColNum;
            for (i, p) in line.points.iter().enumerate() {
                book::number(
                    &mut ws,
                    i as RowNum + 1,
                    col,
                    p.as_ref().and_then(get),
                    *kind,
                    st,
                )?;
            }
            let series = chart
                .add_series()
                .set_name(line.name.as_str())
                .set_categories((CHART_SHEET, 1, 0, last, 0))
                .set_values((CHART_SHEET, 1, col, last, col));
            book::line(series, &line.colour, 2.25, None);
        }
        let at = last + 3 + k as RowNum * 24;
        ws.insert_chart(at, 0, &chart)?;
    }
    Ok(ws)
}
