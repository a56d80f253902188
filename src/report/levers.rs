//! "Where alignment pays first": the levers of a run (MODEL.md 8.4), what +0.1 of each
//! alignment score is worth to each plan, as a chart, a sentence per plan naming its two
//! best levers, and a table, with the trials they were computed on in words. Shown only
//! when the run computed levers. The sentences and
//! the table are also the levers part of `alignsim explain`'s page.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::markup::{chip, escape, inline_svg};
use crate::analysis::levers::Lever;
use crate::plot::levers::{ArmLevers, HEADING, by_arm, dimensions, player_words};
use crate::plot::{Chart, RunData, fmt_money};

/// How to read the levers chart.
pub const CAPTION: &str = "Each bar is what +0.1 of one alignment score (say from 0.6 to 0.7) \
                           is worth to a plan: the mean NPV it adds, simulated in the same \
                           futures. Whiskers are 95 % intervals of the estimate. The longest \
                           bars are where alignment work pays first.";

/// The section, with the levers chart among `svgs`; nothing when the run has no levers.
pub fn section(data: &RunData, svgs: &[(Chart, String)]) -> String {
    let arms = by_arm(data);
    let Some((_, svg)) = svgs.iter().find(|(c, _)| *c == Chart::Levers) else {
        return String::new();
    };
    if arms.is_empty() {
        return String::new();
    }
    let currency = &data.summary.currency;
    let mut out = format!(
        "<section id=\"levers\">\n<h2>{}</h2>\n{}",
        escape(HEADING),
        sentences(&arms, currency)
    );
    if let Some(n) = data.summary.levers_trials {
        let _ = writeln!(
            out,
            "<p class=\"note\">{}</p>",
            escape(&trials_words(n, data.summary.trials))
        );
    }
    let _ = write!(
        out,
        "<figure id=\"chart-levers\" class=\"chart\">\n<div class=\"svg\">{}</div>\n\
         <figcaption>{}</figcaption>\n</figure>\n",
        inline_svg(svg, HEADING),
        escape(CAPTION)
    );
    out.push_str(&table(&arms, currency));
    out.push_str("</section>\n");
    out
}

/// Which trials the levers were computed on: "Computed on the first 20,000 of the 100,000
/// trials, in the same futures for every score and plan." or "on all 5,000 trials".
pub fn trials_words(levers_trials: u64, trials: u64) -> String {
    let n = |x: u64| crate::dist::fmt_num(x as f64);
    let which = if levers_trials >= trials {
        format!("all {} trials", n(trials))
    } else {
        format!("the first {} of the {} trials", n(levers_trials), n(trials))
    };
    format!("Computed on {which}, in the same futures for every score and plan.")
}

/// One sentence per plan naming its two best levers, as a list.
pub fn sentences(arms: &[ArmLevers], currency: &str) -> String {
    let mut out = String::from("<ul class=\"plain\">\n");
    for (i, name, levers) in arms {
        let _ = writeln!(
            out,
            "<li>{}{}</li>",
            chip(*i),
            escape(&arm_sentence(name, levers, currency))
        );
    }
    out.push_str("</ul>\n");
    out
}

/// "For the aligned plan, +0.1 of culture is worth 3,750 USD on average and cuts the
/// chance of losing money by 2.6 points; +0.1 of strategic alignment is worth 3,900 and
/// cuts it by 2.1 points."
pub fn arm_sentence(arm: &str, levers: &BTreeMap<String, Lever>, currency: &str) -> String {
    let mut best: Vec<(&String, &Lever)> =
        levers.iter().filter(|(_, l)| l.npv.is_finite()).collect();
    best.sort_by(|a, b| b.1.npv.total_cmp(&a.1.npv).then(a.0.cmp(b.0)));
    let plan = format!("the {} plan", arm.replace('_', " "));
    let Some((first, l)) = best.first() else {
        return format!("For {plan}, no lever could be estimated.");
    };
    let mut out = format!(
        "For {plan}, +0.1 of {} is worth {} {currency} on average and {}",
        player_words(first),
        fmt_money(l.npv),
        loss_change(l.p_loss, "the chance of losing money")
    );
    if let Some((second, l)) = best.get(1) {
        let _ = write!(
            out,
            "; +0.1 of {} is worth {} and {}",
            player_words(second),
            fmt_money(l.npv),
            loss_change(l.p_loss, "it")
        );
    }
    out.push('.');
    out
}

/// "cuts it by 2.6 points", "raises it by 0.4 points", "leaves it as it is".
fn loss_change(p_loss: f64, what: &str) -> String {
    let points = 100.0 * p_loss;
    if !points.is_finite() || points.abs() < 0.05 {
        return format!("leaves {what} as it is");
    }
    let verb = if points < 0.0 { "cuts" } else { "raises" };
    format!("{verb} {what} by {:.1} points", points.abs())
}

/// The levers as a table: a row per alignment score, per plan the mean NPV of +0.1 with
/// its 95 % interval and the change of the chance of losing money.
pub fn table(arms: &[ArmLevers], currency: &str) -> String {
    let mut out = String::from("<table class=\"levers\">\n<thead><tr><th>+0.1 of this score</th>");
    for (i, name, _) in arms {
        let _ = write!(
            out,
            "<th class=\"n\">{}{}: mean NPV ({})</th><th class=\"n\">chance of a loss</th>",
            chip(*i),
            escape(name),
            escape(currency)
        );
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for dim in dimensions(arms) {
        let _ = write!(out, "<tr><td>{}</td>", escape(player_words(dim)));
        for (_, _, levers) in arms {
            match levers.get(dim) {
                Some(l) => {
                    let _ = write!(
                        out,
                        "<td class=\"n\">{} \u{b1} {}</td><td class=\"n\">{:+.1} points</td>",
                        fmt_money(l.npv),
                        fmt_money(1.96 * l.npv_se),
                        100.0 * l.p_loss + 0.0
                    );
                }
                None => out.push_str("<td class=\"n\">-</td><td class=\"n\">-</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    out
}
