//! The headline: what a shop owner needs from the run in three numbers per plan (chance
//! of losing money, when half of the futures have paid back, the average result in today's
//! money) and one sentence per pair of plans on how often one ends ahead of the other,
//! naming the work packages the first plan of the pair prepares.

use std::fmt::Write as _;

use super::markup::{chip, escape, figure};
use crate::output::text::{money, pct};
use crate::plot::{RunData, arm_colour_hex};
use crate::stats::{ArmSummary, PairSummary, Summary};

pub fn section(data: &RunData) -> String {
    let s = &data.summary;
    let mut out = String::from("<section id=\"headline\">\n<h2>The short answer</h2>\n");
    for pair in &s.pairs {
        out.push_str(&verdict(s, pair));
    }
    out.push_str("<div class=\"cards\">\n");
    for (i, arm) in s.arms.iter().enumerate() {
        out.push_str(&card(s, i, arm));
    }
    out.push_str("</div>\n<ul class=\"plain\">\n");
    for arm in &s.arms {
        let _ = writeln!(out, "<li>{}</li>", sentence(s, arm));
    }
    out.push_str("</ul>\n</section>\n");
    out
}

/// "about 1 in 5" for a probability, the way people say odds.
pub fn odds(p: f64) -> Option<String> {
    if !(0.005..=0.995).contains(&p) {
        return None;
    }
    Some(if p <= 0.5 {
        format!("about 1 in {}", (1.0 / p).round())
    } else if p <= 0.9 {
        format!("about {} in 10", (10.0 * p).round())
    } else {
        format!("all but about 1 in {}", (1.0 / (1.0 - p)).round())
    })
}

fn arm_key(arm: &ArmSummary, field: &str) -> String {
    format!("arm.{}.{field}", arm.name)
}

fn verdict(s: &Summary, pair: &PairSummary) -> String {
    let p = pair.p_a_npv_greater;
    let key = format!("pair.{}.{}.p_a_npv_greater", pair.a, pair.b);
    let diff = pair.npv_diff.mean;
    let (ahead, lead) = match diff {
        Some(d) if d < 0.0 => ("less", money(Some(-d))),
        _ => ("more", money(diff)),
    };
    format!(
        "<p class=\"verdict\">In {} of the simulated futures, the <strong>{}</strong> plan{} \
         leaves the business better off than the <strong>{}</strong> plan{}. On average it is \
         worth {} {} {} in today's money.</p>\n",
        figure(&key, p, &pct(p)),
        escape(&pair.a),
        preparing(s, &pair.a),
        escape(&pair.b),
        p.and_then(odds)
            .map_or_else(String::new, |o| format!(" ({o})")),
        figure(
            &format!("pair.{}.{}.npv_diff.mean", pair.a, pair.b),
            diff,
            &lead
        ),
        escape(&s.currency),
        ahead,
    )
}

/// " (after preparing: a, b)" when the arm named `arm` prepares, else nothing.
fn preparing(s: &Summary, arm: &str) -> String {
    match s.arms.iter().find(|a| a.name == arm) {
        Some(a) if !a.prepare.is_empty() => {
            format!(" (after preparing: {})", escape(&a.prepare.join(", ")))
        }
        _ => String::new(),
    }
}

fn payback_text(s: &Summary, arm: &ArmSummary) -> String {
    match arm.payback_median {
        Some(m) => format!("month {}", crate::plot::fmt_month(m)),
        None => format!("not within {} months", s.horizon_months),
    }
}

fn card(s: &Summary, i: usize, arm: &ArmSummary) -> String {
    let npv = arm.npv.mean;
    let signed = match npv {
        Some(v) if v > 0.0 => format!("+{}", money(npv)),
        _ => money(npv),
    };
    format!(
        "<div class=\"card\" style=\"--arm:{colour}\">\n<h3>{chip}{name}</h3>\n<p class=\"label\">{label}</p>\n\
         <div class=\"stats\">\n\
         <div class=\"stat\"><span class=\"big\">{loss}</span><span class=\"what\">chance of losing money</span></div>\n\
         <div class=\"stat\"><span class=\"big\">{payback}</span><span class=\"what\">half of futures paid back by</span></div>\n\
         <div class=\"stat\"><span class=\"big\">{npv}</span><span class=\"what\">average result, {cur} today</span></div>\n\
         </div>\n</div>\n",
        colour = arm_colour_hex(i),
        chip = chip(i),
        name = escape(&arm.name),
        label = escape(&arm.label),
        loss = figure(
            &arm_key(arm, "p_npv_negative"),
            arm.p_npv_negative,
            &pct(arm.p_npv_negative)
        ),
        payback = figure(
            &arm_key(arm, "payback_median"),
            arm.payback_median,
            &payback_text(s, arm)
        ),
        npv = figure(&arm_key(arm, "npv.mean"), npv, &signed),
        cur = escape(&s.currency),
    )
}

/// One plain sentence per plan.
fn sentence(s: &Summary, arm: &ArmSummary) -> String {
    let loss = arm.p_npv_negative.unwrap_or(0.0);
    let odds = odds(loss).map_or_else(String::new, |o| format!(", {o}"));
    let payback = match arm.payback_median {
        Some(m) => format!(
            "In half of the futures it has paid for itself by month {}",
            crate::plot::fmt_month(m)
        ),
        None => format!(
            "In most futures it has not paid for itself within {} months",
            s.horizon_months
        ),
    };
    let dropped = arm
        .p_dropped
        .filter(|p| *p >= 0.005)
        .map_or_else(String::new, |p| {
            format!(
                "; it is dropped before the end in {} of them",
                escape(&pct(Some(p)))
            )
        });
    format!(
        "<strong>{}</strong> ({}): loses money in {} of the futures{odds}, counting money at {} a \
         year. {payback}{dropped}. In a bad case (one future in twenty) the result is {} {} or worse.",
        escape(&arm.name),
        escape(&arm.label),
        escape(&pct(arm.p_npv_negative)),
        escape(&pct(Some(s.discount_rate_annual))),
        money(arm.npv_var5),
        escape(&s.currency),
    )
}

#[cfg(test)]
mod tests {
    use super::odds;

    #[test]
    fn odds_read_like_speech() {
        assert_eq!(odds(0.19).as_deref(), Some("about 1 in 5"));
        assert_eq!(odds(0.95).as_deref(), Some("all but about 1 in 20"));
        assert_eq!(odds(0.7).as_deref(), Some("about 7 in 10"));
        assert_eq!(odds(0.001), None);
    }
}
