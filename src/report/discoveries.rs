//! Uses found along the way (MODEL.md section 8.2): per plan, how many uses nobody planned
//! it finds on average and what they add, with one line on why the plans differ. Shown only
//! when some plan can make discoveries.

use std::fmt::Write as _;

use super::endings::uses;
use super::markup::{chip, escape};
use crate::output::text::money;
use crate::plot::RunData;
use crate::scenario::Sym;

/// The section, or nothing when no plan has a discovery rate.
pub fn section(data: &RunData) -> String {
    if !uses(data, Sym::DiscoveryRate, |a| {
        a.discoveries_mean.is_some_and(|d| d > 0.0)
    }) {
        return String::new();
    }
    let s = &data.summary;
    let mut out = String::from(
        "<section id=\"discoveries\">\n<h2>Uses found along the way</h2>\n<p>Once the system \
         runs, people find uses for it that nobody planned. A discovery pays only while the \
         system runs, from the month after it is found, so a plan that starts late or is \
         stopped early gains less from it; and an experimenting culture finds more.</p>\n",
    );
    let _ = writeln!(
        out,
        "<table class=\"discoveries\">\n<thead><tr><th>Plan</th><th class=\"n\">New uses found \
         (average)</th><th class=\"n\">What they added over {} months, not discounted (average, \
         {})</th></tr></thead>\n<tbody>",
        s.horizon_months,
        escape(&s.currency)
    );
    for (i, a) in s.arms.iter().enumerate() {
        let found = a
            .discoveries_mean
            .map_or_else(|| "-".into(), |d| format!("{d:.1}"));
        let _ = writeln!(
            out,
            "<tr><td>{}{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            chip(i),
            escape(&a.label),
            escape(&found),
            escape(&money(a.channels.discoveries))
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}
