//! "Why the best plan wins": the explanation a run folder holds (`explain.json`, written by
//! `run --explain` or a scenario's `[report] explain = true`) as a section of the run's
//! report: the sentence, the waterfall of the gap and the shares with their 95 %
//! intervals, as `alignsim explain`'s own page shows them. The waterfall is drawn from the
//! explanation whenever the page or the charts are rendered, so `alignsim report RUN_DIR`
//! shows it too.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

use super::markup::{chart_figure, escape};
use crate::analysis::explained::Explained;
use crate::analysis::shapley::Attribution;
use crate::plot::levers::player_words;
use crate::plot::waterfall::ordered;
use crate::plot::{self, About, Formats, RunData, fmt_money, waterfall};

/// The section's heading.
pub const HEADING: &str = "Why the best plan wins";

/// How to read the waterfall in a run's report.
const CAPTION: &str = "Each bar is one difference between the two plans and what it adds to the \
                       gap in mean NPV (or takes from it): its Shapley share over every order in \
                       which the differences could be made, simulated in the same futures. The \
                       shares add up to the gap, the last bar.";

/// What the waterfall's second title line names.
fn about<'a>(data: &'a RunData, e: &Explained) -> About<'a> {
    About {
        title: &data.summary.title,
        currency: &data.summary.currency,
        trials: e.trials,
    }
}

/// The section; nothing when the run folder holds no explanation.
///
/// # Errors
/// The waterfall cannot be drawn.
pub fn section(data: &RunData) -> Result<String> {
    let Some(e) = &data.explanation else {
        return Ok(String::new());
    };
    let at = &e.attribution;
    let svg = waterfall::svg(at, &about(data, e))?;
    let mut out = format!(
        "<section id=\"explanation\">\n<h2>{}</h2>\n<p class=\"verdict\">{}</p>\n",
        escape(HEADING),
        escape(&e.sentence)
    );
    out.push_str(&chart_figure(
        waterfall::FILE_STEM,
        &svg,
        &waterfall::heading(at),
        CAPTION,
    ));
    out.push_str(&shares_table(at, &data.summary.currency));
    out.push_str(&format!(
        "<p class=\"note\">{}</p>\n</section>\n",
        escape(&trials_words(e, data.summary.trials))
    ));
    Ok(out)
}

/// "Computed on the first 20,000 of the 100,000 trials, seed 7."
fn trials_words(e: &Explained, run_trials: u64) -> String {
    let n = |x: u64| crate::dist::fmt_num(x as f64);
    let which = if e.trials >= run_trials {
        format!("all {} trials", n(run_trials))
    } else {
        format!("the first {} of the {} trials", n(e.trials), n(run_trials))
    };
    format!("Computed on {which}, seed {}.", e.seed)
}

/// Writes the explanation's `waterfall.*` into the charts folder `dir` as `formats` asks;
/// nothing when the run holds no explanation.
///
/// # Errors
/// The chart cannot be drawn or written.
pub fn write_chart(dir: &Path, data: &RunData, formats: Formats) -> Result<()> {
    let Some(e) = &data.explanation else {
        return Ok(());
    };
    if !(formats.png || formats.svg) {
        return Ok(());
    }
    let (at, about) = (&e.attribution, about(data, e));
    let svg = waterfall::svg(at, &about)?;
    let png = |path: &Path| waterfall::png(at, &about, path);
    plot::write_figure(dir, waterfall::FILE_STEM, formats, &svg, &png)
}

/// Each player's share of the gap with its 95 % interval, largest first, and the gap.
pub fn shares_table(at: &Attribution, currency: &str) -> String {
    let mut out = format!(
        "<table class=\"shares\">\n<thead><tr><th>What differs between {} and {}</th>\
         <th class=\"n\">share of the gap ({})</th><th class=\"n\">\u{b1} 95 %</th></tr></thead>\n<tbody>\n",
        escape(&at.a),
        escape(&at.b),
        escape(currency)
    );
    for (p, share) in ordered(at) {
        let se = at.shares.get(p).map_or(f64::NAN, |s| s.se);
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(player_words(p)),
            fmt_money(share),
            fmt_money(1.96 * se)
        );
    }
    let _ = write!(
        out,
        "<tr><td><strong>the gap, {} minus {}</strong></td><td class=\"n\"><strong>{}</strong></td>\
         <td class=\"n\">{}</td></tr>\n</tbody>\n</table>\n",
        escape(&at.a),
        escape(&at.b),
        fmt_money(at.gap),
        fmt_money(1.96 * at.gap_se)
    );
    out
}
