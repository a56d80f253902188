//! The sheets of a run's workbook that carry a native Excel chart, and the data it is
//! drawn from: the ROI risk curve (the chance of at least each return, per arm, as the
//! report's chart draws it) and the cash-flow fan (the monthly bands of the cumulative
//! cash flow).

use anyhow::Result;
use rust_xlsxwriter::{ChartLineDashType, ChartType, ColNum, RowNum, Worksheet};

use super::book::{self, Kind, Styles};
use crate::plot::{RunData, arm_colour_hex};

/// Points on each arm's risk curve.
const CURVE_STEPS: usize = 100;
const RISK_SHEET: &str = "Risk curve";
const BANDS_SHEET: &str = "Monthly bands";

/// The Risk curve sheet: per arm, returns and the chance of at least each, and the chart
/// of them (a scatter chart with lines, one per arm).
pub fn risk_sheet(data: &RunData, st: &Styles) -> Result<Worksheet> {
    let mut ws = book::sheet(RISK_SHEET)?;
    let cols = [("Arm", 16.0), ("ROI", 12.0), ("P(ROI ≥ this)", 14.0)];
    book::headers(&mut ws, 0, &cols, st)?;
    let mut chart = book::chart(
        ChartType::ScatterStraight,
        "Chance of earning at least a given return on investment",
        "Return on investment (net result / money put in)",
        "Chance of at least this return",
    );
    chart.x_axis().set_num_format("0%");
    chart
        .y_axis()
        .set_num_format("0%")
        .set_min(0.0)
        .set_max(1.0);
    let mut row: RowNum = 1;
    let curves = crate::plot::roi_risk_curve::curves(data, CURVE_STEPS);
    for (i, (arm, points)) in data.arms.iter().zip(&curves).enumerate() {
        if points.is_empty() {
            continue;
        }
        let first = row;
        for (x, p) in points {
            ws.write_string(row, 0, arm.name.as_str())?;
            book::number(&mut ws, row, 1, Some(*x), Kind::Share, st)?;
            book::number(&mut ws, row, 2, Some(*p), Kind::Share, st)?;
            row += 1;
        }
        let series = chart
            .add_series()
            .set_name(arm.name.as_str())
            .set_categories((RISK_SHEET, first, 1, row - 1, 1))
            .set_values((RISK_SHEET, first, 2, row - 1, 2));
        book::line(series, &arm_colour_hex(i), 2.25, None);
    }
    if row > 1 {
        ws.insert_chart(1, 4, &chart)?;
    }
    Ok(ws)
}

/// The columns of the Monthly bands sheet after the arm and the month.
const BANDS: [&str; 6] = ["P5", "P25", "P50", "P75", "P95", "Mean adoption"];

/// The Monthly bands sheet: per arm and month, the percentile bands of the cumulative
/// (undiscounted) cash flow and the mean adoption, and the fan chart of the bands.
pub fn bands_sheet(data: &RunData, st: &Styles) -> Result<Worksheet> {
    let mut ws = book::sheet(BANDS_SHEET)?;
    let mut cols = vec![("Arm", 16.0), ("Month", 8.0)];
    cols.extend(BANDS.iter().map(|b| (*b, 13.0)));
    book::headers(&mut ws, 0, &cols, st)?;
    let mut chart = book::chart(
        ChartType::Line,
        &format!(
            "Cumulative cash flow, {} not discounted",
            data.summary.currency
        ),
        "Months since the decision to invest",
        &format!("Cumulative cash flow, {}", data.summary.currency),
    );
    chart.y_axis().set_num_format("#,##0");
    let outer = crate::plot::outer_bands(data);
    let mut row: RowNum = 1;
    for (i, (arm, bands)) in data.arms.iter().zip(&data.monthly).enumerate() {
        if bands.is_empty() {
            continue;
        }
        let first = row;
        for b in bands {
            ws.write_string(row, 0, arm.name.as_str())?;
            book::number(&mut ws, row, 1, Some(f64::from(b.month)), Kind::Count, st)?;
            let values = [b.p5, b.p25, b.p50, b.p75, b.p95];
            for (c, v) in values.iter().enumerate() {
                book::number(&mut ws, row, c as ColNum + 2, Some(*v), Kind::Money, st)?;
            }
            book::number(&mut ws, row, 7, Some(b.adoption_mean), Kind::Share, st)?;
            row += 1;
        }
        let colour = arm_colour_hex(i);
        for (c, band) in BANDS[..5].iter().enumerate() {
            let (width, dash) = match *band {
                "P50" => (2.5, None),
                "P25" | "P75" => (1.25, Some(ChartLineDashType::Dash)),
                _ if outer => (1.0, Some(ChartLineDashType::RoundDot)),
                _ => continue,
            };
            let col = c as ColNum + 2;
            let name = format!("{} {band}", arm.name);
            let series = chart
                .add_series()
                .set_name(name.as_str())
                .set_categories((BANDS_SHEET, first, 1, row - 1, 1))
                .set_values((BANDS_SHEET, first, col, row - 1, col));
            book::line(series, &colour, width, dash);
        }
    }
    if row > 1 {
        ws.insert_chart(1, 9, &chart)?;
    }
    Ok(ws)
}
