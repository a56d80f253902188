//! `compare.xlsx`: the comparison as a workbook a client can open in Excel. Sheet
//! `Figures` has one row per arm and figure, every value a number with a number format
//! (amounts `#,##0`, probabilities and ROI as percentages); `Inputs` lists the scenario
//! keys and run settings that differ; `About` holds the sentence, the two runs, the method
//! and the notes.

use std::path::Path;

use anyhow::{Context, Result};
use rust_xlsxwriter::{Format, Workbook, Worksheet};

use super::page::NOISE_NOTE;
use super::{Compared, Figure, Kind};

/// The column headings of sheet `Figures`.
const FIGURE_COLUMNS: [&str; 9] = [
    "Arm",
    "Figure",
    "Key",
    "Run A",
    "Run B",
    "B - A",
    "Standard error",
    "95 % margin",
    "Verdict",
];

/// The number formats of the workbook.
struct Formats {
    bold: Format,
    money: Format,
    percent: Format,
    fine_percent: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            bold: Format::new().set_bold(),
            money: Format::new().set_num_format("#,##0"),
            percent: Format::new().set_num_format("0.0%"),
            fine_percent: Format::new().set_num_format("0.00%"),
        }
    }

    /// The format of a value (`fine` for standard errors) of a figure of `kind`.
    fn of(&self, kind: Kind, fine: bool) -> &Format {
        match (kind, fine) {
            (Kind::Money, _) => &self.money,
            (_, false) => &self.percent,
            (_, true) => &self.fine_percent,
        }
    }
}

/// Writes the workbook of `c` to `path`.
///
/// # Errors
/// When the workbook cannot be written.
pub fn write(path: &Path, c: &Compared) -> Result<()> {
    let formats = Formats::new();
    let mut book = Workbook::new();
    figures_sheet(book.add_worksheet(), c, &formats)?;
    inputs_sheet(book.add_worksheet(), c, &formats)?;
    about_sheet(book.add_worksheet(), c, &formats)?;
    book.save(path)
        .with_context(|| format!("cannot write {}", path.display()))
}

fn figures_sheet(sheet: &mut Worksheet, c: &Compared, f: &Formats) -> Result<()> {
    sheet.set_name("Figures")?;
    for (col, heading) in FIGURE_COLUMNS.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *heading, &f.bold)?;
    }
    let mut row = 1;
    for arm in &c.arms {
        for fig in &arm.figures {
            figure_row(sheet, row, &arm.arm, fig, f)?;
            row += 1;
        }
    }
    for (col, width) in [
        (0, 16),
        (1, 28),
        (2, 24),
        (3, 12),
        (4, 12),
        (5, 12),
        (6, 14),
        (7, 12),
        (8, 14),
    ] {
        sheet.set_column_width(col, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn figure_row(sheet: &mut Worksheet, row: u32, arm: &str, fig: &Figure, f: &Formats) -> Result<()> {
    sheet.write_string(row, 0, arm)?;
    sheet.write_string(row, 1, &fig.label)?;
    sheet.write_string(row, 2, &fig.key)?;
    let margin = fig.se.map(|s| super::Z * s);
    for (col, x, fine) in [
        (3, fig.a, false),
        (4, fig.b, false),
        (5, fig.diff, false),
        (6, fig.se, true),
        (7, margin, true),
    ] {
        if let Some(x) = x.filter(|x| x.is_finite()) {
            sheet.write_number_with_format(row, col, x, f.of(fig.kind, fine))?;
        }
    }
    if let Some(v) = fig.verdict {
        sheet.write_string(row, 8, v.words())?;
    }
    Ok(())
}

fn inputs_sheet(sheet: &mut Worksheet, c: &Compared, f: &Formats) -> Result<()> {
    sheet.set_name("Inputs")?;
    for (col, heading) in ["Key", "Run A", "Run B", "What"].iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *heading, &f.bold)?;
    }
    let rows = c
        .inputs
        .iter()
        .map(|d| (d, "scenario input"))
        .chain(c.settings.iter().map(|d| (d, "run setting")));
    for (i, (d, what)) in rows.enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, &d.key)?;
        sheet.write_string(row, 1, d.a.as_deref().unwrap_or("(not set)"))?;
        sheet.write_string(row, 2, d.b.as_deref().unwrap_or("(not set)"))?;
        sheet.write_string(row, 3, what)?;
    }
    for (col, width) in [(0, 40), (1, 50), (2, 50), (3, 16)] {
        sheet.set_column_width(col, width)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

fn about_sheet(sheet: &mut Worksheet, c: &Compared, f: &Formats) -> Result<()> {
    sheet.set_name("About")?;
    let mut lines = vec![
        ("Comparison", c.sentence.clone()),
        ("Run A", c.run_a.dir.clone()),
        ("Run B", c.run_b.dir.clone()),
        ("Currency", c.currency.clone()),
        ("Method", c.method_reason.clone()),
        ("Noise", NOISE_NOTE.to_string()),
    ];
    for (arms, label) in [
        (&c.only_in_a, "Only in run A"),
        (&c.only_in_b, "Only in run B"),
    ] {
        if !arms.is_empty() {
            lines.push((label, arms.join(", ")));
        }
    }
    lines.extend(c.notes.iter().map(|n| ("Note", n.clone())));
    for (i, (label, text)) in lines.iter().enumerate() {
        sheet.write_string_with_format(i as u32, 0, *label, &f.bold)?;
        sheet.write_string(i as u32, 1, text)?;
    }
    sheet.set_column_width(0, 16)?;
    sheet.set_column_width(1, 120)?;
    Ok(())
}
