//! How the projects end: per plan, the share of futures in which it is stopped at the
//! pilot's go/no-go gate, at a performance review (MODEL.md section 8.1) or given up for
//! other reasons (the monthly hazard `h_eff`), the same facts the terminal prints after its
//! table, in a reader's words. When the scenario holds reviews, it also says what a review
//! looks at and when it stops a project.

use std::fmt::Write as _;

use super::markup::{and_list, escape, share};
use crate::dist::Dist;
use crate::output::text::{money, pct};
use crate::plot::RunData;
use crate::scenario::{Arm, Scenario, Sym};
use crate::stats::ArmSummary;

/// Whether the run uses the mechanism that `sym` switches on (it is off at a fixed 0, as in
/// the engine): decided by the scenario when the run has one, otherwise by whether some
/// arm's summary shows it (`seen`).
pub(super) fn uses(data: &RunData, sym: Sym, seen: impl Fn(&ArmSummary) -> bool) -> bool {
    match &data.scenario {
        Some(sc) => sc.arms.iter().any(|a| is_on(a, sym)),
        None => data.summary.arms.iter().any(seen),
    }
}

fn is_on(arm: &Arm, sym: Sym) -> bool {
    arm.param(sym) != &Dist::Fixed(0.0)
}

/// The scenario's arm that a summary arm reports on.
pub(super) fn scenario_arm<'a>(data: &'a RunData, a: &ArmSummary) -> Option<&'a Arm> {
    data.scenario
        .as_ref()?
        .arms
        .iter()
        .find(|x| x.name == a.name)
}

pub fn section(data: &RunData) -> String {
    let s = &data.summary;
    let reviews = uses(data, Sym::ReviewMonths, |a| {
        a.p_dropped_by.review.is_some_and(|p| p > 0.0)
    });
    let mut out = String::from("<section id=\"endings\">\n<h2>How the projects end</h2>\n");
    let _ = writeln!(
        out,
        "<p>Not every project runs to the end of the {} months. It can be stopped at the \
         pilot's go/no-go gate{} or given up for other reasons. Each share is of all simulated \
         futures; together they make the chance that the plan is dropped.</p>",
        s.horizon_months,
        if reviews {
            ", at a performance review"
        } else {
            ""
        }
    );
    out.push_str("<ul class=\"plain\">\n");
    for a in &s.arms {
        if let Some(line) = arm_line(a, scenario_arm(data, a)) {
            let _ = writeln!(out, "<li>{line}</li>");
        }
    }
    out.push_str("</ul>\n");
    out.push_str(&causes_note(data.scenario.as_ref()));
    if reviews {
        out.push_str(&review_note(data));
    }
    out.push_str("</section>\n");
    out
}

/// One plan's sentence: how often it is stopped, and by what; `None` without futures.
fn arm_line(a: &ArmSummary, arm: Option<&Arm>) -> Option<String> {
    let name = format!("<strong>{}</strong>", escape(&a.label));
    let p = a.p_dropped?;
    if p <= 0.0 {
        return Some(format!(
            "{name} is never stopped: it runs to the end in every simulated future."
        ));
    }
    let by = &a.p_dropped_by;
    let causes: Vec<(f64, String)> = [
        (by.gate, "at the pilot's go/no-go gate".to_string()),
        (by.review, format!("by {}", review_phrase(arm))),
        (by.hazard, "given up for other reasons".to_string()),
    ]
    .into_iter()
    .filter_map(|(p, what)| p.filter(|p| *p > 0.0).map(|p| (p, what)))
    .collect();
    let detail = match &causes[..] {
        [] => String::new(),
        [(_, what)] => format!(", all of them {what}"),
        many => {
            let each: Vec<String> = many
                .iter()
                .map(|(p, what)| format!("{} {what}", pct(Some(*p))))
                .collect();
            format!(": {}", and_list(&each))
        }
    };
    Some(format!(
        "{name} is stopped in {} of the futures{}.",
        escape(&pct(Some(p))),
        escape(&detail)
    ))
}

/// What stops a plan at a review, named by how often the review comes.
fn review_phrase(arm: Option<&Arm>) -> String {
    let Some(Dist::Fixed(w)) = arm.map(|a| a.param(Sym::ReviewMonths)) else {
        return "a performance review".into();
    };
    match *w as u64 {
        1 => "a monthly look at the books".into(),
        3 => "a quarterly look at the books".into(),
        6 => "a half-yearly look at the books".into(),
        12 => "a yearly look at the books".into(),
        n => format!("a look at the books every {n} months"),
    }
}

/// The gate and the other reasons in a few words, with the monthly chance `h0` of the
/// latter when every plan has the same.
fn causes_note(sc: Option<&Scenario>) -> String {
    let hazard = sc
        .and_then(|sc| shared(sc, Sym::AbandonHazard, |_| true))
        .map_or_else(String::new, |d| match d {
            Dist::Fixed(h) => format!(" (here {} with full strategic alignment)", pct_fine(*h)),
            d => format!(
                " (here {} with full strategic alignment)",
                d.written(&share, &share)
            ),
        });
    format!(
        "<p class=\"note\">At the end of a pilot, the pilot's measured result decides whether \
         the project is scaled up or stopped; a plan without a pilot has no gate. Other \
         reasons are whatever ends a live project regardless of its numbers (a change of \
         priorities, a supplier leaving the market): a small chance every month{}, larger the \
         lower strategic alignment is.</p>\n",
        escape(&hazard)
    )
}

/// The value of `sym` when every arm that `holds` agrees on it.
fn shared(sc: &Scenario, sym: Sym, holds: impl Fn(&Arm) -> bool) -> Option<&Dist> {
    let mut arms = sc.arms.iter().filter(|a| holds(a)).map(|a| a.param(sym));
    let first = arms.next()?;
    arms.all(|d| d == first).then_some(first)
}

/// A small monthly share: whole percentages hide it, so one decimal place more.
fn pct_fine(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

/// What a review looks at and when it stops a project, with the scenario's numbers where
/// every reviewing plan shares them.
fn review_note(data: &RunData) -> String {
    let sc = data.scenario.as_ref();
    let value = |sym| sc.and_then(|sc| shared(sc, sym, |a| is_on(a, Sym::ReviewMonths)));
    let (window, every) = value(Sym::ReviewMonths).map_or_else(
        || {
            (
                "the months since the previous review".into(),
                "at the plan's interval".into(),
            )
        },
        |d| {
            let span = months(d);
            (format!("the last {span}"), format!("every {span}"))
        },
    );
    let grace = value(Sym::ReviewGrace).map_or_else(
        || " once the project has been live for a while".into(),
        |d| match d {
            Dist::Fixed(v) if *v == 1.0 => " after 1 live month".into(),
            d => format!(" after {d} live months"),
        },
    );
    let noise = value(Sym::ReviewNoise).map_or_else(
        || "a share of the result".into(),
        |d| match d {
            Dist::Fixed(r) => format!("about {} of the result", pct(Some(*r))),
            d => format!(
                "a share of the result drawn as {}",
                d.written(&share, &share)
            ),
        },
    );
    let currency = &data.summary.currency;
    let floor = value(Sym::ReviewFloor).map_or_else(
        || "the plan's floor".into(),
        |d| match d {
            Dist::Fixed(v) => format!("{} {currency} a month", money(Some(*v))),
            d => format!("{d} {currency} a month"),
        },
    );
    let mut out = String::from("<h3>What a review looks at</h3>\n");
    let _ = writeln!(
        out,
        "<p>At a performance review the business looks at the project's average monthly \
         operating result over {}: what the system brought in (the uses found along the way \
         included) less what it cost to run, leaving out any scale-up payment. The first review \
         comes{} and after the pilot's go/no-go decision, the next ones {}. The reading is not \
         exact: with perfect measurement alignment it is off by {}, and the \
         weaker the KPIs, the larger the error. When the reading is below {}, the project is \
         stopped. A plan that clearly loses money is stopped at its first reviews; one close to \
         the floor can be stopped by a bad reading or kept by a lucky one.</p>",
        escape(&window),
        escape(&grace),
        escape(&every),
        escape(&noise),
        escape(&floor)
    );
    out.push_str(&without_reviews(sc));
    out
}

/// A number of months as a sentence says it: `month` for one, else `3 months`.
fn months(d: &Dist) -> String {
    match d {
        Dist::Fixed(v) if *v == 1.0 => "month".into(),
        d => format!("{d} months"),
    }
}

/// The plans that hold no reviews, when some do.
fn without_reviews(sc: Option<&Scenario>) -> String {
    let names: Vec<String> = sc
        .map(|sc| &sc.arms[..])
        .unwrap_or_default()
        .iter()
        .filter(|a| !is_on(a, Sym::ReviewMonths))
        .map(|a| a.label.clone())
        .collect();
    if names.is_empty() {
        return String::new();
    }
    format!(
        "<p class=\"note\">Without reviews: {}.</p>\n",
        escape(&and_list(&names))
    )
}
