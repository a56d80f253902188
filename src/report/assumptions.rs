//! What the simulation assumed: every parameter of every plan with its distribution
//! written readably ("PERT 10,000 / 16,000 / 32,000", shares as percentages), section by
//! section, in the scenario's words for incidents and customers, with the source comment
//! written beside or above each key, and what the six alignment scores of MODEL.md mean
//! and which effects they drive.

use std::fmt::Write as _;

use super::markup::{chip, escape, share};
use crate::dist::{Dist, fmt_num};
use crate::plot::RunData;
use crate::scenario::labels::capitalised;
use crate::scenario::{Labels, ParamDef, Scenario, Section, Sym, schema::section_params};

/// The unit a parameter is written in.
#[derive(Clone, Copy)]
enum Unit {
    Money,
    MoneyPerMonth,
    Share,
    PerMonth,
    Months,
    Kpi,
    Weight,
    Score,
}

/// A parameter in a reader's words, and its unit.
fn describe(sym: Sym) -> (&'static str, Unit) {
    use Sym::*;
    use Unit::*;
    match sym {
        MonthlyRevenue => ("Revenue per month today", MoneyPerMonth),
        RevenueGrowth => ("Baseline revenue growth per month", Share),
        GrossMargin => ("Gross margin: gross profit per unit of revenue", Share),
        ProcessCost => (
            "Monthly cost of the process the system takes over",
            MoneyPerMonth,
        ),
        UpfrontCost => ("Upfront cost: implementation, integration, training", Money),
        CostOverrun => ("Base overrun of the upfront cost", Share),
        BuildMonths => ("Months from decision to go-live", Months),
        MonthlyCost => (
            "Running cost from go-live: subscription, maintenance",
            MoneyPerMonth,
        ),
        LabourSaving => ("Share of the process cost saved at full adoption", Share),
        RevenueUplift => ("Revenue change at full adoption", Share),
        AdoptionCeiling => (
            "Share of the process that ever runs through the system",
            Share,
        ),
        AdoptionP => ("Adoption speed: innovation coefficient (Bass p)", PerMonth),
        AdoptionQ => ("Adoption speed: imitation coefficient (Bass q)", PerMonth),
        IncidentRate => ("Incidents per month at full adoption", PerMonth),
        IncidentCost => ("Direct cost of one incident", Money),
        IncidentChurn => ("Share of customers lost for good per incident", Share),
        Erosion => (
            "Monthly loss of customers when the system works against what the business stands for",
            Share,
        ),
        AbandonHazard => ("Monthly chance that a live project is dropped", Share),
        DiscoveryRate => (
            "Uses found along the way: expected discoveries per month at full adoption",
            PerMonth,
        ),
        DiscoveryValue => (
            "Monthly gross profit each discovery adds while the system runs",
            MoneyPerMonth,
        ),
        PilotMonths => (
            "Pilot length in live months (0: everything at once)",
            Months,
        ),
        PilotScale => ("Scale during the pilot", Share),
        PilotUpfrontShare => ("Share of the upfront cost paid before the pilot", Share),
        GateNoise => ("Error of the pilot's measurement, with perfect KPIs", Share),
        ReviewMonths => ("Months between performance reviews (0: none)", Months),
        ReviewGrace => ("Live months before the first review", Months),
        ReviewFloor => (
            "A review stops the project when its monthly result looks below",
            MoneyPerMonth,
        ),
        ReviewNoise => ("Error of a review's reading, with perfect KPIs", Share),
        _ => describe_kpi_weights_scores(sym),
    }
}

/// [`describe`] for the KPI, the effect weights and the alignment scores.
fn describe_kpi_weights_scores(sym: Sym) -> (&'static str, Unit) {
    use Sym::*;
    use Unit::*;
    match sym {
        KpiBaseline => ("KPI level today", Kpi),
        KpiChange => ("Relative KPI change at full adoption", Share),
        KpiValuePerUnit => (
            "Monthly gross profit per unit of KPI (0: tracked, not valued)",
            MoneyPerMonth,
        ),
        WUplift => (
            "Strategic alignment: weight on realised uplift and KPI change",
            Weight,
        ),
        WLabour => ("Integration: weight on realised labour saving", Weight),
        WOverrun => ("Technology fit: weight on cost overrun", Weight),
        WDelay => ("Technology fit: weight on delay", Weight),
        WSilo => ("Integration: weight on running cost", Weight),
        WCeiling => ("Culture: weight on the adoption ceiling", Weight),
        WSpeed => ("Culture: weight on adoption speed", Weight),
        WIncidents => ("Technology fit: weight on incidents", Weight),
        WTrust => ("Ethics: weight on customers lost per incident", Weight),
        WNoise => (
            "Measurement: weight on the pilot's measurement error",
            Weight,
        ),
        WAbandon => ("Strategic alignment: weight on abandonment", Weight),
        WDiscovery => ("Culture: weight on discoveries", Weight),
        Strategic => ("Strategic alignment", Score),
        Fit => ("Technology fit and data", Score),
        Culture => ("Culture and staff buy-in", Score),
        Measurement => ("Measurement: clear KPIs", Score),
        Integration => ("Integration across the business", Score),
        Ethics => ("Ethics and trust", Score),
        // Every other parameter is described by `describe`.
        _ => (sym.def().key, Share),
    }
}

/// A parameter as the report's assumptions table describes it: the reader's words and the
/// unit it is written in (`Revenue per month today`, `EUR / month`). The Excel workbook
/// lists the assumptions with the same words.
pub fn parameter_words(sym: Sym, sc: &Scenario) -> (&'static str, String) {
    let (label, unit) = describe(sym);
    (label, unit_text(unit, sc))
}

/// An alignment dimension (or any parameter) in a reader's words, e.g. `Technology fit and
/// data` for `fit`.
pub(super) fn reader_name(sym: Sym) -> &'static str {
    describe(sym).0
}

/// [`describe`]'s words for a parameter that names incidents or customers, in the
/// scenario's words for them; `None` for every other parameter.
fn in_their_words(sym: Sym, l: &Labels) -> Option<String> {
    let (one, many, people) = (&l.incident, &l.incidents, &l.customers);
    Some(match sym {
        Sym::IncidentRate => format!("{} per month at full adoption", capitalised(many)),
        Sym::IncidentCost => format!("Direct cost of one {one}"),
        Sym::IncidentChurn => format!("Share of {people} lost for good per {one}"),
        Sym::Erosion => format!(
            "Monthly loss of {people} when the system works against what the business stands for"
        ),
        Sym::WIncidents => format!("Technology fit: weight on {many}"),
        Sym::WTrust => format!("Ethics: weight on {people} lost per {one}"),
        _ => return None,
    })
}

/// A value in `unit`'s way of writing it: shares as percentages (0.35 as 35 %).
fn written(d: &Dist, unit: Unit) -> String {
    match unit {
        Unit::Share => d.written(&share, &share),
        _ => d.written(&fmt_num, &share),
    }
}

fn unit_text(unit: Unit, sc: &Scenario) -> String {
    let kpi_unit = sc.kpi.as_ref().map_or("", |k| k.unit.as_str());
    match unit {
        Unit::Money => sc.currency.clone(),
        Unit::MoneyPerMonth => format!("{} / month", sc.currency),
        Unit::Share => "%".into(),
        Unit::PerMonth => "per month".into(),
        Unit::Months => "months".into(),
        Unit::Kpi => kpi_unit.to_string(),
        Unit::Weight => "weight".into(),
        Unit::Score => "score, 0 to 1".into(),
    }
}

const SECTIONS: [(Section, &str); 6] = [
    (Section::Business, "The business (the same for every plan)"),
    (Section::Initiative, "The AI system"),
    (
        Section::Rollout,
        "Roll-out: pilot, go/no-go gate and reviews",
    ),
    (Section::Kpi, "The KPI the system is meant to move"),
    (Section::Alignment, "Alignment scores"),
    (
        Section::Effects,
        "How strongly alignment acts (model weights)",
    ),
];

pub fn section(data: &RunData) -> String {
    let mut out =
        String::from("<section id=\"assumptions\">\n<h2>What the simulation assumed</h2>\n");
    let Some(sc) = &data.scenario else {
        out.push_str(
            "<p class=\"warn\">This run folder holds no readable scenario.toml, so the assumptions \
             cannot be listed. Run the scenario again to include them.</p>\n</section>\n",
        );
        return out;
    };
    let _ = writeln!(
        out,
        "<p>Every number below is an input of the simulation. A single number is fixed; a \
         distribution means the value is uncertain and is drawn anew in every simulated future \
         (PERT and triangular: lowest / most likely / highest; lognormal: median and the value \
         that 1 in 10 futures exceed). Shares are written as percentages. Values in grey \
         apply to every plan. The source is the comment written beside or above the key in \
         the scenario file. Horizon {} months; money counted at {} a year for NPV.</p>",
        sc.horizon_months,
        escape(&crate::output::text::pct(Some(sc.discount_rate_annual)))
    );
    for (section, title) in SECTIONS {
        if section == Section::Kpi && sc.kpi.is_none() {
            continue;
        }
        out.push_str(&section_table(sc, section, title));
    }
    out.push_str("</section>\n");
    out
}

fn section_table(sc: &Scenario, section: Section, title: &str) -> String {
    let per_arm = section.per_arm() && sc.arms.len() > 1;
    let mut out = format!(
        "<h3>{}</h3>\n<table class=\"params\">\n<thead><tr><th>Parameter</th><th>Unit</th>",
        escape(title)
    );
    if per_arm {
        for (i, arm) in sc.arms.iter().enumerate() {
            let _ = write!(out, "<th>{}{}</th>", chip(i), escape(&arm.label));
        }
    } else {
        out.push_str("<th>Value</th>");
    }
    out.push_str("<th>Source</th></tr></thead>\n<tbody>\n");
    for def in section_params(section) {
        out.push_str(&param_row(sc, def, per_arm));
    }
    out.push_str("</tbody>\n</table>\n");
    out
}

fn param_row(sc: &Scenario, def: &ParamDef, per_arm: bool) -> String {
    let (label, unit) = describe(def.sym);
    let label = in_their_words(def.sym, &sc.labels).unwrap_or_else(|| label.to_string());
    let mut row = format!(
        "<tr><td>{}<span class=\"path\">{}</span></td><td>{}</td>",
        escape(&label),
        escape(&def.path()),
        escape(&unit_text(unit, sc))
    );
    let dists: Vec<&Dist> = sc.arms.iter().map(|a| a.param(def.sym)).collect();
    let same = dists.windows(2).all(|w| w[0] == w[1]);
    match dists.first() {
        Some(d) if !per_arm || same => {
            let class = if per_arm { " class=\"same\"" } else { "" };
            let span = if per_arm { sc.arms.len() } else { 1 };
            let _ = write!(
                row,
                "<td colspan=\"{span}\"{class}>{}</td>",
                escape(&written(d, unit))
            );
        }
        _ => {
            for d in dists {
                let _ = write!(row, "<td>{}</td>", escape(&written(d, unit)));
            }
        }
    }
    let _ = writeln!(row, "<td class=\"source\">{}</td></tr>", source(sc, def));
    row
}

/// Where a parameter's values come from: the source comments beside or above its key in
/// the scenario file, the shared section's first, then each arm's own (named by its label
/// when the scenario has several arms), each once.
fn source(sc: &Scenario, def: &ParamDef) -> String {
    let path = def.path();
    let mut parts: Vec<String> = sc.source(&path).map(escape).into_iter().collect();
    for arm in &sc.arms {
        let Some(said) = sc.source(&format!("arms.{}.{path}", arm.name)) else {
            continue;
        };
        let part = if sc.arms.len() > 1 {
            format!("<em>{}:</em> {}", escape(&arm.label), escape(said))
        } else {
            escape(said)
        };
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    parts.join("<br/>")
}

/// `text` with `{incident}`, `{incidents}` and `{customers}` in the scenario's words.
fn their_words(text: &str, l: &Labels) -> String {
    text.replace("{incidents}", &l.incidents)
        .replace("{incident}", &l.incident)
        .replace("{customers}", &l.customers)
}

/// The six alignment dimensions: the question each asks, and what it changes in the model
/// (incidents and customers as placeholders for [`their_words`]).
const DIMENSIONS: [(Sym, &str, &str); 6] = [
    (
        Sym::Strategic,
        "Does the project serve what the business stands for and its goals?",
        "How much of the promised extra revenue and KPI gain is realised; how many {customers} drift \
         away when the system works against the business's character; how likely the project is dropped.",
    ),
    (
        Sym::Fit,
        "Does the technology fit the business's processes and data?",
        "Cost overruns, delays to go-live, and how often things go wrong ({incidents}).",
    ),
    (
        Sym::Culture,
        "Do the staff want it, and are they trained for it?",
        "How far and how fast the system is actually used.",
    ),
    (
        Sym::Measurement,
        "Are there clear KPIs and a way to measure the return?",
        "How accurately a pilot shows what the system is worth, and so how good the go/no-go decision is.",
    ),
    (
        Sym::Integration,
        "Do departments work together on it, without silos?",
        "How much of the promised labour saving is realised, and running costs.",
    ),
    (
        Sym::Ethics,
        "Does it keep the trust of the {customers}?",
        "How many {customers} each {incident} drives away for good.",
    ),
];

pub fn alignment_section(data: &RunData) -> String {
    let mut out = String::from(
        "<section id=\"alignment\">\n<h2>What the alignment scores mean</h2>\n<p>Each plan is scored \
         from 0 (not at all) to 1 (fully) on six dimensions of alignment between the AI project and \
         the business. The scores do not add value by themselves: they scale the effects listed here, \
         with the weights given under the assumptions.</p>\n",
    );
    let Some(sc) = &data.scenario else {
        out.push_str("</section>\n");
        return out;
    };
    out.push_str("<table class=\"alignment\">\n<thead><tr><th>Dimension</th><th>What it changes in the simulation</th>");
    for (i, arm) in sc.arms.iter().enumerate() {
        let _ = write!(out, "<th>{}{}</th>", chip(i), escape(&arm.label));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (sym, question, effect) in DIMENSIONS {
        let name = reader_name(sym);
        let _ = write!(
            out,
            "<tr><td><strong>{}</strong><br/>{}<span class=\"path\">alignment.{}</span></td><td>{}</td>",
            escape(name),
            escape(&their_words(question, &sc.labels)),
            sym.def().key,
            escape(&their_words(effect, &sc.labels))
        );
        for (i, arm) in sc.arms.iter().enumerate() {
            out.push_str(&score_cell(arm.param(sym), i));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}

/// A score with a small bar showing its level (its mean, when it is a distribution).
fn score_cell(d: &Dist, arm: usize) -> String {
    let level = match d {
        Dist::Fixed(v) => *v,
        other => other.mean(),
    };
    let width = (100.0 * level).clamp(0.0, 100.0);
    format!(
        "<td class=\"score\" style=\"--arm:{}\"><span class=\"meter\"><span style=\"width:{width:.0}%\"></span></span>{}</td>",
        crate::plot::arm_colour_hex(arm),
        escape(&d.to_string())
    )
}
