//! What every alignsim workbook shares: a fixed document date (so the same inputs give the
//! same bytes), the cell formats (currency `#,##0`, shares `0.0%`), header rows written
//! bold and frozen, and numbers written as numbers or left blank, never as text.

use std::path::Path;

use anyhow::{Context, Result};
use rust_xlsxwriter::{
    Chart, ChartLine, ChartLineDashType, ChartMarker, ChartSeries, ChartType, ColNum,
    DocProperties, ExcelDateTime, Format, FormatAlign, RowNum, Workbook, Worksheet,
};

/// How a number is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Money in the scenario's currency, whole units: `#,##0`.
    Money,
    /// A share or probability: `0.0%`.
    Share,
    /// A count: `0`.
    Count,
    /// As Excel shows any number.
    Plain,
}

/// The formats of a workbook's cells.
pub struct Styles {
    pub header: Format,
    pub title: Format,
    money: Format,
    share: Format,
    count: Format,
    plain: Format,
}

impl Styles {
    pub fn new() -> Styles {
        Styles {
            header: Format::new()
                .set_bold()
                .set_align(FormatAlign::Top)
                .set_text_wrap(),
            title: Format::new().set_bold().set_font_size(14),
            money: Format::new().set_num_format("#,##0"),
            share: Format::new().set_num_format("0.0%"),
            count: Format::new().set_num_format("0"),
            plain: Format::new(),
        }
    }

    pub fn of(&self, kind: Kind) -> &Format {
        match kind {
            Kind::Money => &self.money,
            Kind::Share => &self.share,
            Kind::Count => &self.count,
            Kind::Plain => &self.plain,
        }
    }
}

/// A workbook whose document date is fixed (1980-01-01, the date its zip entries carry),
/// so that its bytes depend on what is written into it only.
pub fn workbook() -> Result<Workbook> {
    let mut book = Workbook::new();
    let date = ExcelDateTime::from_ymd(1980, 1, 1)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&date));
    Ok(book)
}

/// The workbook's bytes.
///
/// # Errors
/// When the workbook cannot be assembled (a chart naming a sheet that is not there).
pub fn bytes(mut book: Workbook, path: &Path) -> Result<Vec<u8>> {
    book.save_to_buffer()
        .with_context(|| format!("cannot write {}", path.display()))
}

/// An empty sheet called `name`.
pub fn sheet(name: &str) -> Result<Worksheet> {
    let mut ws = Worksheet::new();
    ws.set_name(name)?;
    Ok(ws)
}

/// Bold column headers in `row` with the column widths `widths` (in characters), the rows
/// above and including it frozen.
pub fn headers(ws: &mut Worksheet, row: RowNum, cols: &[(&str, f64)], st: &Styles) -> Result<()> {
    for (c, (name, width)) in cols.iter().enumerate() {
        let c = c as ColNum;
        ws.write_string_with_format(row, c, *name, &st.header)?;
        ws.set_column_width(c, *width)?;
    }
    ws.set_freeze_panes(row + 1, 0)?;
    Ok(())
}

/// A number in its format; a blank cell when there is none or it is not finite (Excel
/// holds no NaN or infinity).
pub fn number(
    ws: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    value: Option<f64>,
    kind: Kind,
    st: &Styles,
) -> Result<()> {
    match value.filter(|v| v.is_finite()) {
        Some(v) => ws.write_number_with_format(row, col, v, st.of(kind))?,
        None => ws.write_blank(row, col, st.of(kind))?,
    };
    Ok(())
}

/// A chart of `kind` sized to sit beside a table, its legend below the plot.
pub fn chart(kind: ChartType, title: &str, x: &str, y: &str) -> Chart {
    let mut chart = Chart::new(kind);
    chart.title().set_name(title);
    chart.x_axis().set_name(x);
    chart.y_axis().set_name(y);
    chart
        .legend()
        .set_position(rust_xlsxwriter::ChartLegendPosition::Bottom);
    chart.set_width(720).set_height(432);
    chart
}

/// A series drawn as a line of `colour` (`#rrggbb`), `width` points wide, dashed unless
/// `dash` is `None`, without markers.
pub fn line(series: &mut ChartSeries, colour: &str, width: f64, dash: Option<ChartLineDashType>) {
    let mut line = ChartLine::new();
    line.set_color(colour).set_width(width);
    if let Some(d) = dash {
        line.set_dash_type(d);
    }
    series
        .set_format(&mut line)
        .set_marker(ChartMarker::new().set_none());
}
