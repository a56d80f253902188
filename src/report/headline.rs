//! The headline: what a business owner needs from the run. First the decision (a plan, "do
//! not start" or "too close to call", as `summary.json` states it), then the plans ranked
//! by mean NPV with each one's chance to beat doing nothing, the paired figures of every
//! pair of plans, and three numbers per plan (chance of losing money, when half of the
//! futures have paid back, the average result in today's money), naming the work packages
//! a plan prepares. Plans go by their labels, the client's names for them.

use std::fmt::Write as _;

use super::markup::{chip, escape, figure, plan_name};
use crate::output::text::{money, pct};
use crate::plot::{RunData, arm_colour_hex};
use crate::stats::decision;
use crate::stats::{ArmSummary, Interval, Summary};

pub fn section(data: &RunData) -> String {
    let s = &data.summary;
    let mut out = String::from("<section id=\"headline\">\n<h2>The short answer</h2>\n");
    let _ = writeln!(
        out,
        "<p class=\"verdict\" id=\"decision\">{}</p>",
        escape(&s.decision.sentence)
    );
    out.push_str(&ranking(s));
    out.push_str(&pairs(s));
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

/// The label of the arm named `name`, the name itself when the summary has no such arm.
pub(super) fn label_of<'a>(s: &'a Summary, name: &'a str) -> &'a str {
    s.arms
        .iter()
        .find(|a| a.name == name)
        .map_or(name, |a| a.label.as_str())
}

fn arm_key(arm: &ArmSummary, field: &str) -> String {
    format!("arm.{}.{field}", arm.name)
}

/// Every plan ranked by mean NPV, with its chances to beat doing nothing and to lose money.
fn ranking(s: &Summary) -> String {
    let mut out = String::from(
        "<table class=\"ranking\">\n<thead><tr><th class=\"n\">Rank</th><th>Plan</th>\
         <th class=\"n\">Mean NPV (95 % interval)</th>\
         <th class=\"n\">Chance to beat doing nothing, P(NPV&gt;0)</th>\
         <th class=\"n\">Chance of losing money, P(NPV&lt;0)</th></tr></thead>\n<tbody>\n",
    );
    for (rank, i) in decision::ranking(&s.arms).into_iter().enumerate() {
        let a = &s.arms[i];
        let npv = Interval::of(a.npv.mean, a.npv.se);
        let _ = writeln!(
            out,
            "<tr><td class=\"n\">{}</td><td>{}{}{}</td>\
             <td class=\"n\">{} ({} to {})</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            rank + 1,
            chip(i),
            plan_name(&a.name, &a.label),
            preparing(s, &a.name),
            money(npv.mean),
            money(npv.lo95),
            money(npv.hi95),
            escape(&pct(a.p_npv_positive)),
            escape(&pct(a.p_npv_negative)),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

/// Every pair of plans on the same futures: the mean NPV difference with its Monte Carlo
/// error, and the chance that the first ends ahead.
fn pairs(s: &Summary) -> String {
    if s.pairs.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "<table class=\"pairs\">\n<thead><tr><th>Pair, same futures</th>\
         <th class=\"n\">Mean NPV difference (\u{b1} 1.96 se)</th>\
         <th class=\"n\">Chance the first ends ahead</th></tr></thead>\n<tbody>\n",
    );
    for p in &s.pairs {
        let key = |field: &str| format!("pair.{}.{}.{field}", p.a, p.b);
        let d = &p.npv_diff;
        let err = d.hi95.zip(d.mean).map(|(hi, m)| hi - m);
        let _ = writeln!(
            out,
            "<tr><td>{} minus {}</td><td class=\"n\">{} \u{b1} {} {}</td><td class=\"n\">{}</td></tr>",
            escape(label_of(s, &p.a)),
            escape(label_of(s, &p.b)),
            figure(&key("npv_diff.mean"), d.mean, &money(d.mean)),
            money(err),
            escape(&s.currency),
            figure(
                &key("p_a_npv_greater"),
                p.p_a_npv_greater,
                &pct(p.p_a_npv_greater)
            ),
        );
    }
    out.push_str("</tbody>\n</table>\n");
    out
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
        "<div class=\"card\" style=\"--arm:{colour}\">\n<h3>{chip}{label}</h3>\n<p class=\"label\">{name}</p>\n\
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
        "<strong>{}</strong>: loses money in {} of the futures{odds}, counting money at {} a \
         year. {payback}{dropped}. In a bad case (one future in twenty) the result is {} {} or worse.",
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
