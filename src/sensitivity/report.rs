//! The sensitivity part of a run folder's charts and `report.html`: the tornado, EVPI and
//! (when present) Sobol charts of a [`Sensitivity`], and the report section that the page
//! puts after the charts. The run hands its analysis over as a value; `alignsim report`
//! reads it from the folder's `sensitivity.json`.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use super::Sensitivity;
use crate::plot::{self, Formats, fmt_money};
use crate::report::markup::{escape, inline_svg};

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

/// The charts of an analysis: the Sobol chart only when it has variance-based indices.
fn figures(s: &Sensitivity) -> &'static [&'static Figure] {
    if s.sobol.is_some() {
        &[&TORNADO, &SOBOL, &EVPI]
    } else {
        &[&TORNADO, &EVPI]
    }
}

/// Writes the sensitivity charts into `charts_dir`, as `formats` asks.
pub fn write_charts(s: &Sensitivity, charts_dir: &Path, formats: Formats) -> Result<()> {
    std::fs::create_dir_all(charts_dir)
        .with_context(|| format!("cannot create {}", charts_dir.display()))?;
    for f in figures(s) {
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

/// The report section: findings, charts with captions, the EVPI table, caveats.
pub fn section(s: &Sensitivity) -> Result<String> {
    let mut out = String::from(
        "<section id=\"sensitivity\">\n<h2>What drives the result</h2>\n<ul class=\"plain\">\n",
    );
    for line in &s.sentences {
        let _ = writeln!(out, "<li>{}</li>", escape(line));
    }
    out.push_str("</ul>\n");
    for f in figures(s) {
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
         <th class=\"n\">is worth ({cur})</th><th class=\"n\">95 % interval</th></tr></thead>\n<tbody>\n"
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
            "<tr><td>{}<span class=\"path\">{}</span></td><td class=\"n\">{}{}</td>\
             <td class=\"n\">{} to {}</td></tr>",
            escape(&i.name),
            escape(&i.path),
            fmt_money(i.evpi),
            if i.below_noise { " (within noise)" } else { "" },
            fmt_money(i.lo95),
            fmt_money(i.hi95)
        );
    }
    if shown.len() < e.inputs.len() {
        let _ = writeln!(
            out,
            "<tr><td>any of the other {} uncertain inputs</td><td class=\"n\">0</td><td></td></tr>",
            e.inputs.len() - shown.len()
        );
    }
    let _ = write!(
        out,
        "</tbody>\n</table>\n<p class=\"note\">Noise floor (the same estimate for an input \
         that cannot matter): {} {cur}; chance floor (what chance alone shows when every option \
         is worth the same): {} {cur}. A value not above both is marked within noise: it is \
         indistinguishable from nothing to learn. Intervals are the value \u{b1} 1.96 bootstrap \
         standard errors. Knowing everything, month-to-month luck included: {} \
         {cur} (\u{b1} {}). Estimated by sorting the {} simulated futures into up to {} groups of equal \
         size by the input's value.</p>\n",
        fmt_money(e.noise_floor),
        fmt_money(e.chance_floor),
        fmt_money(e.overall),
        fmt_money(1.96 * e.overall_se),
        crate::dist::fmt_num(s.trials as f64),
        e.bins
    );
    out
}
