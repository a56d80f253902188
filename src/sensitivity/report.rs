//! The sensitivity part of a run folder's charts and `report.html`: read from the folder's
//! `sensitivity.json` (so `alignsim report` draws it again without simulating), drawn as
//! the tornado, EVPI and (when present) Sobol charts, and written as one report section
//! that goes before the assumptions.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use super::{JSON_FILE, Sensitivity};
use crate::plot::{self, Formats, fmt_money};
use crate::report::escape;

/// A sensitivity chart: its file stem, heading and caption, and how to draw it.
struct Figure {
    stem: &'static str,
    heading: &'static str,
    caption: &'static str,
    svg: fn(&Sensitivity) -> Result<String>,
    png: fn(&Sensitivity, &Path) -> Result<()>,
}

const TORNADO: Figure = Figure {
    stem: plot::tornado::FILE_STEM,
    heading: "What moves the NPV",
    caption: "Each bar is the rank correlation of one uncertain input with a plan's NPV, from -1 \
              to +1: to the right, futures with a higher value of the input tend to end better; to \
              the left, worse. Longer bars are stronger drivers. It ranks drivers; it does not \
              add up to anything.",
    svg: plot::tornado::svg,
    png: plot::tornado::png,
};

const SOBOL: Figure = Figure {
    stem: plot::sobol::FILE_STEM,
    heading: "What spreads the NPV",
    caption: "The share of the spread (variance) of a plan's NPV that each input explains: the \
              dark bar on its own, the light bar together with its interactions with other inputs. \
              Whiskers are 95 % bootstrap intervals.",
    svg: plot::sobol::svg,
    png: plot::sobol::png,
};

const EVPI: Figure = Figure {
    stem: plot::evpi::FILE_STEM,
    heading: "What it is worth to know first",
    caption: "How much better the choice between the plans (or doing nothing) would be, on \
              average, if this input were known before deciding: the most a pilot, a quote or a \
              survey that pins it down is worth. Bars short of the dashed noise floor are \
              indistinguishable from zero.",
    svg: plot::evpi::svg,
    png: plot::evpi::png,
};

/// What a run folder holds about sensitivity, if anything.
#[derive(Debug, Clone, Default)]
pub struct ReportPart {
    pub sensitivity: Option<Sensitivity>,
}

impl ReportPart {
    /// Reads `sensitivity.json` from a run folder. A folder without one (an older run) or
    /// with an unreadable one gives an empty part: the rest of the report still renders.
    pub fn load(dir: &Path) -> ReportPart {
        let sensitivity = std::fs::read_to_string(dir.join(JSON_FILE))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        ReportPart { sensitivity }
    }

    fn figures(&self) -> Vec<&'static Figure> {
        match &self.sensitivity {
            None => Vec::new(),
            Some(s) if s.sobol.is_some() => vec![&TORNADO, &SOBOL, &EVPI],
            Some(_) => vec![&TORNADO, &EVPI],
        }
    }

    /// Writes the sensitivity charts into `charts_dir`, as `formats` asks.
    pub fn write_charts(&self, charts_dir: &Path, formats: Formats) -> Result<()> {
        let Some(s) = &self.sensitivity else {
            return Ok(());
        };
        std::fs::create_dir_all(charts_dir)
            .with_context(|| format!("cannot create {}", charts_dir.display()))?;
        for f in self.figures() {
            if formats.svg {
                let path = charts_dir.join(format!("{}.svg", f.stem));
                std::fs::write(&path, (f.svg)(s)?)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            if formats.png {
                (f.png)(s, &charts_dir.join(format!("{}.png", f.stem)))?;
            }
        }
        Ok(())
    }

    /// The report page with the sensitivity section put before the assumptions (or the
    /// footer); the page unchanged when there is nothing to add.
    pub fn insert(&self, page: String) -> Result<String> {
        let Some(s) = &self.sensitivity else {
            return Ok(page);
        };
        let section = section(s, &self.figures())?;
        let at = [
            "<section id=\"alignment\"",
            "<section id=\"assumptions\"",
            "<footer",
            "</main>",
        ]
        .iter()
        .find_map(|m| page.find(m))
        .unwrap_or(page.len());
        let mut out = page;
        out.insert_str(at, &section);
        Ok(out)
    }
}

/// The report section: findings, charts with captions, the EVPI table, caveats.
fn section(s: &Sensitivity, figures: &[&Figure]) -> Result<String> {
    let mut out = String::from(
        "<section id=\"sensitivity\">\n<h2>What drives the result</h2>\n<ul class=\"plain\">\n",
    );
    for line in &s.sentences {
        let _ = writeln!(out, "<li>{}</li>", escape(line));
    }
    out.push_str("</ul>\n");
    for f in figures {
        let _ = write!(
            out,
            "<figure id=\"chart-{stem}\" class=\"chart\">\n<div class=\"svg\">{svg}</div>\n\
             <figcaption><strong>{heading}.</strong> {cap}</figcaption>\n</figure>\n",
            stem = f.stem,
            svg = inline_svg(&(f.svg)(s)?, f.heading),
            heading = escape(f.heading),
            cap = escape(f.caption),
        );
    }
    out.push_str(&evpi_table(s));
    for note in &s.notes {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(note));
    }
    out.push_str("</section>\n");
    Ok(out)
}

/// The EVPI ranking as a table, with the noise floor and the overall value.
fn evpi_table(s: &Sensitivity) -> String {
    let e = &s.evpi;
    let cur = escape(&s.currency);
    let mut out = format!(
        "<table class=\"evpi\">\n<thead><tr><th>Knowing this before deciding</th>\
         <th class=\"n\">is worth ({cur})</th></tr></thead>\n<tbody>\n"
    );
    let shown: Vec<_> = e
        .inputs
        .iter()
        .filter(|i| i.evpi > 0.0)
        .take(plot::tornado::MAX_ROWS)
        .collect();
    for i in &shown {
        let _ = writeln!(
            out,
            "<tr><td>{}<span class=\"path\">{}</span></td><td class=\"n\">{}</td></tr>",
            escape(&i.name),
            escape(&i.path),
            fmt_money(i.evpi)
        );
    }
    if shown.len() < e.inputs.len() {
        let _ = writeln!(
            out,
            "<tr><td>any of the other {} uncertain inputs</td><td class=\"n\">0</td></tr>",
            e.inputs.len() - shown.len()
        );
    }
    let _ = write!(
        out,
        "</tbody>\n</table>\n<p class=\"note\">Noise floor (the same estimate for an input \
         that cannot matter): {} {cur}. Knowing everything, month-to-month luck included: {} \
         {cur}. Estimated by sorting the {} simulated futures into up to {} groups of equal \
         size by the input's value.</p>\n",
        fmt_money(e.noise_floor),
        fmt_money(e.overall),
        crate::dist::fmt_num(s.trials as f64),
        e.bins
    );
    out
}

/// An SVG document as an inline element: no XML declaration, scaled to the page width,
/// labelled for screen readers.
fn inline_svg(svg: &str, label: &str) -> String {
    let body = svg.find("<svg").map_or(svg, |i| &svg[i..]).trim();
    let mut out = body.to_string();
    if !out.contains("viewBox") {
        let vb = format!("<svg viewBox=\"0 0 {} {}\" ", plot::WIDTH, plot::HEIGHT);
        out = out.replacen("<svg ", &vb, 1);
    }
    let attrs = format!(
        "<svg role=\"img\" aria-label=\"{}\" preserveAspectRatio=\"xMidYMid meet\" ",
        escape(label)
    );
    out.replacen("<svg ", &attrs, 1)
}
