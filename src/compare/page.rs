//! The words of a comparison: the sentence it leads with, the terminal text and
//! `report.html`, in the frame of the analysis pages ([`crate::report::analysis_page`]).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use super::{ArmComparison, Compared, Difference, Figure, Kind, Method, Verdict, Z};
use crate::plot::fmt_money;
use crate::report::{REPORT_FILE, analysis_page, escape};

/// Figures named in the sentence, at most.
const NAMED: usize = 3;

/// What a verdict of "beyond noise" means, for every output.
pub const NOISE_NOTE: &str = "A difference is beyond noise when it is larger than 1.96 standard errors: at that level about one figure in twenty shows one by chance alone when nothing has changed.";

/// A figure's value as the tables show it.
pub fn value(kind: Kind, x: Option<f64>) -> String {
    match (kind, x) {
        (_, None) => "-".into(),
        (Kind::Money, Some(x)) => fmt_money(x),
        (_, Some(x)) => format!("{:.1} %", 100.0 * x),
    }
}

/// A difference (or, with `sign` false, a margin) as the tables show it: amounts in the
/// currency, probabilities and ROI in percentage points.
pub fn change(kind: Kind, x: Option<f64>, sign: bool) -> String {
    match (kind, x) {
        (_, None) => "-".into(),
        (Kind::Money, Some(x)) if sign && x > 0.0 => format!("+{}", fmt_money(x)),
        (Kind::Money, Some(x)) => fmt_money(x),
        (_, Some(x)) if sign => format!("{:+.1} points", 100.0 * x),
        (_, Some(x)) => format!("{:.1} points", 100.0 * x),
    }
}

/// The 95 % margin of a difference, `1.96 se`.
fn margin(f: &Figure) -> String {
    match f.se {
        Some(se) => format!("\u{b1} {}", change(f.kind, Some(Z * se), false)),
        None => "-".into(),
    }
}

fn verdict(f: &Figure) -> &'static str {
    f.verdict.map_or("no standard error", Verdict::words)
}

/// "2 of 16 figures differ beyond Monte Carlo noise: mean NPV of aligned (+12,300 USD),
/// ..."; or that none does.
pub fn sentence(c: &Compared) -> String {
    let all: Vec<(&ArmComparison, &Figure)> = c
        .arms
        .iter()
        .flat_map(|a| a.figures.iter().map(move |f| (a, f)))
        .collect();
    let beyond: Vec<&(&ArmComparison, &Figure)> = all
        .iter()
        .filter(|(_, f)| f.verdict == Some(Verdict::BeyondNoise))
        .collect();
    let how = match c.method {
        Method::Paired => "paired trial by trial",
        Method::Independent => "the runs taken as independent",
    };
    if all.is_empty() {
        return "The two runs have no arm in common, so no figure can be compared.".into();
    }
    if beyond.is_empty() {
        return format!(
            "Every one of the {} figures compared is within Monte Carlo noise ({how}): the runs do not differ by more than chance would make them.",
            all.len()
        );
    }
    let named: Vec<String> = beyond
        .iter()
        .take(NAMED)
        .map(|(a, f)| {
            let unit = if f.kind == Kind::Money {
                format!(" {}", c.currency)
            } else {
                String::new()
            };
            format!(
                "{} of {} ({}{unit})",
                f.label,
                a.arm,
                change(f.kind, f.diff, true)
            )
        })
        .collect();
    let more = if beyond.len() > NAMED { ", ..." } else { "" };
    format!(
        "{} of the {} figures compared differ beyond Monte Carlo noise ({how}): {}{more}.",
        beyond.len(),
        all.len(),
        named.join(", ")
    )
}

/// The terminal text of a comparison.
pub fn text(c: &Compared) -> String {
    let mut out = format!(
        "{}\n\nRun A: {}\nRun B: {}\nMethod: {}.\n",
        c.sentence, c.run_a.dir, c.run_b.dir, c.method_reason
    );
    for arm in &c.arms {
        let _ = writeln!(
            out,
            "\n{}\n  {:<28} {:>12} {:>12} {:>14} {:>16}  verdict",
            arm.arm, "figure", "run A", "run B", "B - A", "95 %"
        );
        for f in &arm.figures {
            let _ = writeln!(
                out,
                "  {:<28} {:>12} {:>12} {:>14} {:>16}  {}",
                f.label,
                value(f.kind, f.a),
                value(f.kind, f.b),
                change(f.kind, f.diff, true),
                margin(f),
                verdict(f)
            );
        }
    }
    out.push_str(&only_in(c));
    out.push_str(&differences_text("Inputs that differ", &c.inputs));
    out.push_str(&differences_text("Run settings that differ", &c.settings));
    for n in &c.notes {
        let _ = writeln!(out, "\n{n}");
    }
    let _ = writeln!(out, "\n{NOISE_NOTE}");
    out
}

fn only_in(c: &Compared) -> String {
    let mut out = String::new();
    for (arms, run) in [(&c.only_in_a, "A"), (&c.only_in_b, "B")] {
        if !arms.is_empty() {
            let _ = writeln!(
                out,
                "\nOnly in run {run}, not compared: {}.",
                arms.join(", ")
            );
        }
    }
    out
}

fn differences_text(heading: &str, list: &[Difference]) -> String {
    if list.is_empty() {
        return format!("\n{heading}: none.\n");
    }
    let mut out = format!("\n{heading} ({}):\n", list.len());
    for d in list {
        let _ = writeln!(
            out,
            "  {}: {} -> {}",
            d.key,
            side(d.a.as_deref()),
            side(d.b.as_deref())
        );
    }
    out
}

fn side(v: Option<&str>) -> &str {
    v.unwrap_or("(not set)")
}

/// Writes `report.html` into the staged folder `dir`.
pub fn write(dir: &Path, c: &Compared) -> Result<()> {
    let path = dir.join(REPORT_FILE);
    std::fs::write(&path, html(c)).with_context(|| format!("cannot write {}", path.display()))
}

/// The page of a comparison.
fn html(c: &Compared) -> String {
    let mut body = format!(
        "<section id=\"compare\">\n<h2>What changed between the two runs</h2>\n<p class=\"verdict\">{}</p>\n\
         <p>Run A: <code>{}</code>; run B: <code>{}</code>. Standard errors: {}. {}</p>\n",
        escape(&c.sentence),
        escape(&c.run_a.dir),
        escape(&c.run_b.dir),
        escape(&c.method_reason),
        escape(NOISE_NOTE)
    );
    for arm in &c.arms {
        body.push_str(&arm_table(arm, &c.currency));
    }
    for (arms, run) in [(&c.only_in_a, "A"), (&c.only_in_b, "B")] {
        if !arms.is_empty() {
            let _ = writeln!(
                body,
                "<p>Only in run {run}, not compared: {}.</p>",
                escape(&arms.join(", "))
            );
        }
    }
    for n in &c.notes {
        let _ = writeln!(body, "<p class=\"note\">{}</p>", escape(n));
    }
    body.push_str("</section>\n");
    body.push_str(&differences_html(
        "inputs",
        "Which inputs differ",
        &c.inputs,
        "The two scenario files hold the same inputs.",
    ));
    body.push_str(&differences_html(
        "settings",
        "Which run settings differ",
        &c.settings,
        "Both runs used the same seed, trials, sampling and model.",
    ));
    let title = if c.run_a.title == c.run_b.title {
        c.run_a.title.clone()
    } else {
        format!("{} against {}", c.run_a.title, c.run_b.title)
    };
    let sub = format!(
        "run A {} possible futures, run B {} \u{b7} amounts in {}",
        crate::dist::fmt_num(c.run_a.trials as f64),
        crate::dist::fmt_num(c.run_b.trials as f64),
        c.currency
    );
    analysis_page("Two runs compared", &title, &sub, &body)
}

fn arm_table(arm: &ArmComparison, currency: &str) -> String {
    let mut out = format!(
        "<h3>{}</h3>\n<p class=\"sub\">{}</p>\n<table class=\"compare\">\n<thead><tr><th>Figure (amounts in {})</th>\
         <th class=\"n\">run A</th><th class=\"n\">run B</th><th class=\"n\">B \u{2212} A</th>\
         <th class=\"n\">\u{b1} 95 %</th><th>verdict</th></tr></thead>\n<tbody>\n",
        escape(&arm.arm),
        escape(&arm.label),
        escape(currency)
    );
    for f in &arm.figures {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td>{}</td></tr>",
            escape(&f.label),
            escape(&value(f.kind, f.a)),
            escape(&value(f.kind, f.b)),
            escape(&change(f.kind, f.diff, true)),
            escape(&margin(f)),
            escape(verdict(f))
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn differences_html(id: &str, heading: &str, list: &[Difference], none: &str) -> String {
    let mut out = format!("<section id=\"{id}\">\n<h2>{}</h2>\n", escape(heading));
    if list.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", escape(none));
    } else {
        out.push_str("<table class=\"inputs\">\n<thead><tr><th>Key</th><th>run A</th><th>run B</th></tr></thead>\n<tbody>\n");
        for d in list {
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(&d.key),
                escape(side(d.a.as_deref())),
                escape(side(d.b.as_deref()))
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
    out
}
