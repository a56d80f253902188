//! Checks a scenario's TOML tree against the parameter table and builds the [`Scenario`].
//! Every problem is collected (not just the first) with the span it points at.
//!
//! Besides each parameter's domain, the limits below (listed in the "Limits" section of
//! docs/scenario-reference.md) refuse inputs the model cannot run in reasonable time or
//! with finite, accurate figures: too many arms, beta shapes the quantile function cannot
//! follow, and amounts, growth or discounting that would overflow over the horizon.
//! The `[[work]]` catalogue and the arms' `prepare` lists are read by [`work`], the
//! `[report]` table by [`report`], the `[labels]` table by [`labels`]. Values that are allowed but probably a slip (outside
//! their plausible range) come back as warnings, checked by [`plausible`].

mod labels;
mod plausible;
mod report;
mod work;

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::schema::{
    DISCOUNT_PLAUSIBLE, Domain, HORIZON_PLAUSIBLE, PARAMS, ParamDef, Section, Sym, section_params,
};
use super::{Arm, Correlation, KpiLabels, Scenario, Sources, Work};
use crate::dist::{Dist, DistError, fmt_num};
use crate::error::{InputError, did_you_mean};

type Node<'i> = Spanned<DeValue<'i>>;

const TOP_KEYS: &[&str] = &[
    "correlation",
    "work",
    "scenario",
    "business",
    "initiative",
    "rollout",
    "kpi",
    "effects",
    "arms",
    "report",
    "labels",
];
const SCENARIO_KEYS: &[&str] = &[
    "name",
    "title",
    "currency",
    "horizon_months",
    "discount_rate_annual",
    "trials",
    "seed",
];
const ARM_KEYS: &[&str] = &["label", "alignment", "initiative", "rollout", "prepare"];
const FAMILIES: &[&str] = &[
    "fixed",
    "uniform",
    "uniform_int",
    "normal",
    "lognormal",
    "triangular",
    "pert",
    "beta",
    "discrete",
    "bernoulli",
];
/// Longest horizon the model accepts (50 years).
pub const MAX_HORIZON: i64 = 600;
/// Most trials one run may ask for.
pub const MAX_TRIALS: i64 = 10_000_000_000;
/// Most arms one scenario may compare: every pair of arms is compared in every trial, so
/// the work grows with the square of the arms (1,225 pairs at 50 arms).
pub const MAX_ARMS: usize = 50;
/// Longest scenario name, in characters: it names the output folder.
pub const MAX_NAME_LEN: usize = 100;
/// Longest arm name, in characters: it names columns, rows and chart labels.
pub const MAX_ARM_NAME_LEN: usize = 64;
/// The range of a beta's shapes `alpha` and `beta`: beyond it the beta quantile function
/// loses accuracy.
pub const BETA_SHAPE: (f64, f64) = (1e-6, 1e9);
/// Largest PERT `lambda`: its beta's shapes reach `1 + lambda`, see [`BETA_SHAPE`].
pub const MAX_PERT_LAMBDA: f64 = 1e9;
/// Largest amount of money one trial's figures may add up to, in the scenario's currency:
/// a monthly amount times the horizon, or a one-off amount, stays within it.
pub const MAX_AMOUNT: f64 = 1e15;
/// Most that revenue growth, or a negative discount rate, may scale an amount by over the
/// horizon.
pub const MAX_FACTOR: f64 = 1e3;
/// How far a normal's or lognormal's draws are taken to reach, in standard deviations (of
/// the log, for a lognormal) beyond the centre: passed once in a billion draws.
const REACH_SDS: f64 = 6.0;

/// Levels of keys and tables at which the TOML parser stops (its own limit).
const MAX_NESTING: usize = 80;

/// The first dotted key or table header of `text` with [`MAX_NESTING`] parts or more.
fn too_deep(text: &str) -> Option<Range<usize>> {
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let rest = line.trim_start().trim_start_matches('[');
        let key = rest.split(['=', ']']).next().unwrap_or("");
        if key.split('.').count() >= MAX_NESTING {
            let at = start + (line.len() - rest.len());
            return Some(at..at + key.trim_end().len());
        }
        start += line.len();
    }
    None
}

/// A validated scenario and the warnings about it: values allowed but outside their
/// plausible range, sorted by position.
pub type Checked = (Scenario, Vec<InputError>);

/// Validates `text`; `stem` (the file name without extension) is the default scenario name.
pub fn validate(text: &str, stem: &str) -> Result<Checked, Vec<InputError>> {
    let (root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        return Err(syntax_errors(text, &syntax));
    }
    let mut cx = Checker::default();
    let root = root.get_ref();
    if root.is_empty() {
        return Err(vec![
            InputError::new(0..0, "", "the file holds no settings (it is empty or only comments): a scenario needs [scenario] with horizon_months, [business], [initiative] and at least one [arms.NAME]")
                .with_help("start from tests/fixtures/minimal.toml or scenarios/bakery.toml"),
        ]);
    }
    cx.known_keys(root, "", TOP_KEYS, |key| match key {
        "alignment" => Some("alignment is set per arm: write alignment = { strategic = .., fit = .., .. } under [arms.NAME]".into()),
        "prepare" => Some("prepare is set per arm: write prepare = [\"PACKAGE\", ..] under [arms.NAME], naming [[work]] packages".into()),
        _ => None,
    });
    let meta = cx.scenario_meta(root.get("scenario"), stem);
    cx.horizon = meta.horizon.unwrap_or(MAX_HORIZON as u32);
    let mut sections = HashMap::new();
    for section in [
        Section::Business,
        Section::Initiative,
        Section::Rollout,
        Section::Kpi,
        Section::Effects,
    ] {
        let values = cx.param_section(root.get(section.name()), section);
        sections.insert(section, values);
    }
    let kpi = cx.kpi_labels(root.get("kpi"));
    let work = cx.work(root.get("work"), text);
    let arms = cx.arms(root.get("arms"), &work);
    let arms = cx.resolve(&sections, kpi.is_some(), arms, root.get("arms"));
    let (targets, byline, explain) = cx.report(root.get("report"));
    let labels = cx.labels(root.get("labels"));
    let correlation = root
        .get("correlation")
        .and_then(|node| cx.correlation(node, &arms, &work));
    if !cx.errors.is_empty() {
        cx.errors.sort_by_key(|e| e.span.start);
        return Err(cx.errors);
    }
    cx.warnings.sort_by_key(|e| e.span.start);
    let scenario = Scenario {
        title: meta.title.unwrap_or_else(|| meta.name.clone()),
        name: meta.name,
        currency: meta.currency,
        // Only unset after an error, so never used.
        horizon_months: meta.horizon.unwrap_or(1),
        discount_rate_annual: meta.discount,
        trials: meta.trials,
        seed: meta.seed,
        kpi,
        arms,
        correlation,
        work,
        targets,
        labels,
        byline,
        sources: Sources::read(text),
        explain,
    };
    Ok((scenario, cx.warnings))
}

/// The errors of a file the TOML parser stopped on: a common slip explained (see
/// [`super::slip`]), else the parser's message at its position.
fn syntax_errors(text: &str, syntax: &[toml::de::Error]) -> Vec<InputError> {
    let mut errors: Vec<InputError> = syntax
        .iter()
        .map(|e| match e.span() {
            Some(span) => super::slip::explain(text, span.start).unwrap_or_else(|| {
                InputError::new(
                    span,
                    "",
                    format!("TOML syntax error: {}", e.message().trim()),
                )
            }),
            // The parser's nesting limit comes without a position: find the key.
            None => InputError::new(
                too_deep(text).unwrap_or(0..0),
                "",
                format!(
                    "TOML syntax error: {} (a key or table nests at most {} levels deep)",
                    e.message().trim(),
                    MAX_NESTING - 1
                ),
            ),
        })
        .collect();
    // One slip can stop the parser more than once.
    errors.dedup_by(|a, b| a.span == b.span && a.message == b.message);
    errors
}

/// The `[scenario]` settings.
struct Meta {
    name: String,
    title: Option<String>,
    currency: String,
    /// `None` unless a valid `horizon_months` was read.
    horizon: Option<u32>,
    discount: f64,
    trials: u64,
    seed: u64,
}

impl Meta {
    /// The defaults: named after the file, in USD, 100,000 trials, seed 0, no discount.
    fn defaults(stem: &str) -> Meta {
        Meta {
            name: stem.to_string(),
            title: None,
            currency: "USD".to_string(),
            horizon: None,
            discount: 0.0,
            trials: 100_000,
            seed: 0,
        }
    }
}

/// Values of one section's parameters: the distribution and the span it came from.
type SectionValues = HashMap<&'static str, (Dist, Range<usize>)>;

/// An arm as written, before section values and defaults are filled in.
struct RawArm {
    name: String,
    label: String,
    span: Range<usize>,
    overrides: HashMap<(Section, &'static str), Dist>,
    /// Indices into the `[[work]]` catalogue, ascending.
    prepare: Vec<usize>,
}

#[derive(Default)]
struct Checker {
    errors: Vec<InputError>,
    /// Paths whose value is missing because of another error (an invalid value, or a
    /// misspelt key suggested as this path): `initiative.x` for a shared section,
    /// `arms.NAME.initiative.x` for one arm. No second, `required` error is reported there.
    mentioned: std::collections::HashSet<String>,
    /// Span of each section table, for errors about keys missing from it.
    section_spans: HashMap<Section, Range<usize>>,
    /// The horizon in months the magnitude limits are checked over (the longest allowed
    /// when the file's is invalid).
    horizon: u32,
    /// Values allowed but probably not meant (see [`plausible`]).
    warnings: Vec<InputError>,
    /// The typical value of each shared parameter read so far, for plausible ranges that
    /// compare with another parameter.
    centres: HashMap<Sym, f64>,
}

impl Checker {
    fn err(&mut self, span: Range<usize>, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(InputError::new(span, path, message));
    }

    /// Reports every key of `table` not in `allowed`, with a did-you-mean or a custom hint.
    fn known_keys(
        &mut self,
        table: &DeTable,
        prefix: &str,
        allowed: &[&str],
        hint: impl Fn(&str) -> Option<String>,
    ) {
        let where_ = if prefix.is_empty() {
            "at the top level".to_string()
        } else {
            format!("in [{prefix}]")
        };
        self.known_keys_in(table, prefix, &where_, allowed, hint);
    }

    /// [`Checker::known_keys`] for a table that `where_` names (such as "in a [[work]]
    /// package") rather than its header.
    fn known_keys_in(
        &mut self,
        table: &DeTable,
        prefix: &str,
        where_: &str,
        allowed: &[&str],
        hint: impl Fn(&str) -> Option<String>,
    ) {
        for (key, _) in table.iter() {
            let k: &str = key.get_ref();
            if allowed.contains(&k) {
                continue;
            }
            let path = join(prefix, k);
            let e = if let Some(message) = hint(k) {
                InputError::new(key.span(), path, message)
            } else {
                let e = InputError::new(
                    key.span(),
                    path,
                    format!("unknown key {where_}; allowed: {}", allowed.join(", ")),
                );
                match did_you_mean(k, allowed.iter().copied()) {
                    Some(s) => {
                        self.mentioned.insert(join(prefix, s));
                        e.with_help(format!("did you mean `{s}`?"))
                    }
                    None => e,
                }
            };
            self.errors.push(e);
        }
    }

    /// Marks every key of `section` (under `prefix`, such as `arms.NAME`) as explained by
    /// an error already reported, such as the section not being a table.
    fn explained(&mut self, section: Section, prefix: &str) {
        for def in section_params(section) {
            self.mentioned.insert(join(prefix, &def.path()));
        }
    }

    fn table<'a, 'i>(&mut self, node: &'a Node<'i>, path: &str) -> Option<&'a DeTable<'i>> {
        match node.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.err(
                    node.span(),
                    path,
                    format!("expected a table, found {}", describe(other)),
                );
                None
            }
        }
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match node.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.err(
                    node.span(),
                    path,
                    format!("expected a string in quotes, found {}", describe(other)),
                );
                None
            }
        }
    }

    /// A whole number in `lo..=hi`.
    fn integer(&mut self, node: &Node, path: &str, lo: i64, hi: i64) -> Option<i64> {
        let allowed = if hi == i64::MAX {
            format!("a whole number >= {lo}")
        } else {
            format!(
                "a whole number from {} to {}",
                fmt_num(lo as f64),
                fmt_num(hi as f64)
            )
        };
        let value = match node.get_ref() {
            DeValue::Integer(i) => {
                i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()
            }
            DeValue::Float(f) => {
                let x = parse_float(f.as_str());
                match x {
                    Some(x) if x.fract() == 0.0 && x.abs() < 9e15 => Some(x as i64),
                    _ => {
                        self.err(
                            node.span(),
                            path,
                            format!("must be {allowed}, got {}", f.as_str()),
                        );
                        return None;
                    }
                }
            }
            other => {
                self.err(
                    node.span(),
                    path,
                    format!("expected {allowed}, found {}", describe(other)),
                );
                return None;
            }
        };
        match value {
            Some(v) if (lo..=hi).contains(&v) => Some(v),
            _ => {
                self.err(
                    node.span(),
                    path,
                    format!("must be {allowed}, got {}", raw_number(node)),
                );
                None
            }
        }
    }

    /// A finite number (integer or float literal).
    fn number(&mut self, node: &Node, path: &str) -> Option<f64> {
        let x = match node.get_ref() {
            // A decimal integer too long for 64 bits is still a number (1e20 written out).
            DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
                .ok()
                .map(|v| v as f64)
                .or_else(|| (i.radix() == 10).then(|| parse_float(i.as_str())).flatten()),
            DeValue::Float(f) => parse_float(f.as_str()),
            other => {
                self.err(
                    node.span(),
                    path,
                    format!("expected a number, found {}", describe(other)),
                );
                return None;
            }
        };
        match x {
            Some(x) if x.is_finite() => Some(x),
            _ => {
                self.errors.push(
                    InputError::new(
                        node.span(),
                        path,
                        format!("must be a finite number, got {}", raw_number(node)),
                    )
                    .with_help("nan and inf are valid TOML but not amounts, rates or shares the model can use: write an ordinary number"),
                );
                None
            }
        }
    }

    /// The `[scenario]` settings, defaults filled in where a key is absent or invalid.
    fn scenario_meta(&mut self, node: Option<&Node>, stem: &str) -> Meta {
        let mut meta = Meta::defaults(stem);
        let Some(node) = node else {
            self.err(
                0..0,
                "scenario.horizon_months",
                "required: the [scenario] section with horizon_months (1 to 600) is missing",
            );
            return meta;
        };
        let Some(t) = self.table(node, "scenario") else {
            return meta;
        };
        self.known_keys(t, "scenario", SCENARIO_KEYS, |_| None);
        for (key, value) in t.iter() {
            let path = join("scenario", key.get_ref());
            self.meta_key(&mut meta, key.get_ref(), value, &path);
        }
        if let Some(node) = t.get("discount_rate_annual") {
            self.discount_limit(meta.discount, meta.horizon, node.span());
        }
        let suggested = self.mentioned.contains("scenario.horizon_months");
        if meta.horizon.is_none() && t.get("horizon_months").is_none() && !suggested {
            self.err(
                node.span(),
                "scenario.horizon_months",
                "required: a whole number of months from 1 to 600",
            );
        }
        meta
    }

    /// Reads one key of `[scenario]` into `meta`.
    fn meta_key(&mut self, meta: &mut Meta, key: &str, value: &Node, path: &str) {
        match key {
            "name" => {
                if let Some(n) = self.string(value, path) {
                    let len = n.chars().count();
                    if len > MAX_NAME_LEN {
                        self.err(value.span(), path, format!(
                            "is {len} characters long; a scenario name has at most {MAX_NAME_LEN}, as it names the output folder"
                        ));
                    } else if valid_name(&n) {
                        meta.name = n;
                    } else {
                        self.err(value.span(), path, format!(
                            "{n:?} cannot name an output folder: use letters, digits, '-', '_' and '.', not starting with '.'"
                        ));
                    }
                }
            }
            "title" => meta.title = self.string(value, path),
            "currency" => {
                if let Some(c) = self.string(value, path) {
                    meta.currency = c;
                }
            }
            "horizon_months" => {
                meta.horizon = self.integer(value, path, 1, MAX_HORIZON).map(|h| h as u32);
                if let Some(h) = meta.horizon {
                    let h = Dist::Fixed(f64::from(h));
                    self.plausible(&h, HORIZON_PLAUSIBLE, value.span(), path);
                }
            }
            "discount_rate_annual" => {
                if let Some(r) = self.number(value, path) {
                    if r > -1.0 {
                        meta.discount = r;
                        self.plausible(&Dist::Fixed(r), DISCOUNT_PLAUSIBLE, value.span(), path);
                    } else {
                        self.err(
                            value.span(),
                            path,
                            format!(
                                "must be a number > -1 (0.08 for 8 % a year), got {}",
                                fmt_num(r)
                            ),
                        );
                    }
                }
            }
            "trials" => {
                if let Some(n) = self.integer(value, path, 1, MAX_TRIALS) {
                    meta.trials = n as u64;
                }
            }
            "seed" => {
                if let Some(n) = self.integer(value, path, 0, i64::MAX) {
                    meta.seed = n as u64;
                }
            }
            _ => {}
        }
    }

    /// Refuses a negative discount rate that would scale the last month's amounts by more
    /// than [`MAX_FACTOR`] over the horizon: `(1 + r)^(-H / 12) <= MAX_FACTOR`.
    fn discount_limit(&mut self, r: f64, horizon: Option<u32>, span: Range<usize>) {
        let h = f64::from(horizon.unwrap_or(MAX_HORIZON as u32));
        let lowest = MAX_FACTOR.powf(-12.0 / h) - 1.0;
        if r < lowest {
            let path = "scenario.discount_rate_annual";
            self.err(span, path, format!(
                "must be at least {} over a {h}-month horizon, got {}: a negative rate scales later months up, by at most {}-fold over the horizon",
                fmt_bound(lowest),
                fmt_num(r),
                fmt_num(MAX_FACTOR)
            ));
        }
    }

    /// Refuses a parameter whose draws reach magnitudes the model cannot add up over the
    /// horizon: money beyond [`MAX_AMOUNT`] (a monthly amount times the horizon), growth
    /// beyond [`MAX_FACTOR`] over the horizon. (Counts, rates and multipliers are held
    /// finite where they are used, and clamped to their domains.)
    fn check_limit(&mut self, d: &Dist, def: &ParamDef, span: Range<usize>, path: &str) {
        let h = f64::from(self.horizon);
        let (bound, why) = match def.sym {
            Sym::MonthlyRevenue | Sym::ProcessCost | Sym::MonthlyCost | Sym::KpiValuePerUnit => (
                MAX_AMOUNT / h,
                format!(
                    "a monthly amount over the {h}-month horizon may add up to at most {}",
                    fmt_num(MAX_AMOUNT)
                ),
            ),
            // Up to one discovery a month, each paying every later month: at most about
            // H^2 / 2 times the value.
            Sym::DiscoveryValue => (
                MAX_AMOUNT / (h * h),
                format!(
                    "each discovery pays every later month, so over the {h}-month horizon the discoveries may add up to at most {}",
                    fmt_num(MAX_AMOUNT)
                ),
            ),
            Sym::UpfrontCost | Sym::IncidentCost => {
                (MAX_AMOUNT, "the largest amount the model adds up".into())
            }
            Sym::RevenueGrowth => {
                let g = MAX_FACTOR.powf(1.0 / h) - 1.0;
                let hi = extent(d).1;
                if hi <= g {
                    return;
                }
                let why = format!(
                    "revenue may grow at most {}-fold over the {h}-month horizon",
                    fmt_num(MAX_FACTOR)
                );
                let message = format!(
                    "must be at most {} a month, got up to {}: {why}",
                    fmt_bound(g),
                    fmt_num(hi)
                );
                let e = InputError::new(span, path, message);
                let meant = self.implausible(d, def.sym.plausible(), path);
                self.errors.push(match meant {
                    Some(help) => e.with_help(help),
                    None => e,
                });
                return;
            }
            _ => return,
        };
        self.check_reach(d, bound, &why, span, path);
    }

    /// Refuses a value whose draws reach beyond `±bound`, saying `why` the bound holds.
    fn check_reach(&mut self, d: &Dist, bound: f64, why: &str, span: Range<usize>, path: &str) {
        let (lo, hi) = extent(d);
        let reach = lo.abs().max(hi.abs());
        if reach > bound {
            let message = format!(
                "must stay within ±{}, got {}: {why}",
                fmt_bound(bound),
                fmt_reach(d, reach)
            );
            self.err(span, path, message);
        }
    }

    /// Parses the parameter keys of a shared section (`[business]`, `[initiative]`, ...).
    fn param_section(&mut self, node: Option<&Node>, section: Section) -> SectionValues {
        let mut out = SectionValues::new();
        let Some(node) = node else { return out };
        self.section_spans.insert(section, node.span());
        let Some(t) = self.table(node, section.name()) else {
            self.explained(section, "");
            return out;
        };
        let mut allowed: Vec<&str> = section_params(section).map(|d| d.key).collect();
        if section == Section::Kpi {
            allowed.extend(["name", "unit"]);
        }
        self.known_keys(t, section.name(), &allowed, |_| None);
        for def in section_params(section) {
            if let Some(value) = t.get(def.key)
                && let Some(d) = self.param(value, def, &def.path())
            {
                out.insert(def.key, (d, value.span()));
            }
        }
        out
    }

    fn kpi_labels(&mut self, node: Option<&Node>) -> Option<KpiLabels> {
        let DeValue::Table(t) = node?.get_ref() else {
            return None;
        };
        let name = t
            .get("name")
            .and_then(|n| self.string(n, "kpi.name"))
            .unwrap_or_else(|| "KPI".into());
        let unit = t
            .get("unit")
            .and_then(|n| self.string(n, "kpi.unit"))
            .unwrap_or_default();
        Some(KpiLabels { name, unit })
    }

    /// A parameter value at `path` (`initiative.x`, or `arms.NAME.initiative.x` in an arm):
    /// a number or a distribution table, checked against the domain.
    fn param(&mut self, node: &Node, def: &ParamDef, path: &str) -> Option<Dist> {
        let before = self.errors.len();
        let dist = self.param_value(node, path);
        if let Some(d) = &dist {
            self.check_domain(d, def.domain, node.span(), path);
            if self.errors.len() == before {
                self.check_limit(d, def, node.span(), path);
            }
            if self.errors.len() == before {
                // Shared values are read in table order, so a value compared with another
                // (an amount with monthly_revenue) finds it already read.
                if path == def.path() {
                    self.remember_centre(def.sym, d);
                }
                self.plausible(d, def.sym.plausible(), node.span(), path);
            }
        }
        if self.errors.len() > before {
            self.mentioned.insert(path.to_string());
        }
        dist
    }

    fn param_value(&mut self, node: &Node, path: &str) -> Option<Dist> {
        Some(match node.get_ref() {
            DeValue::Integer(_) | DeValue::Float(_) => Dist::Fixed(self.number(node, path)?),
            DeValue::Table(t) => self.dist(t, node.span(), path)?,
            other => {
                self.errors.push(
                    InputError::new(node.span(), path, format!("expected a number or a distribution, found {}", describe(other)))
                        .with_help("write a number, e.g. 0.4, or a distribution, e.g. { dist = \"pert\", min = 0.2, mode = 0.4, max = 0.55 }"),
                );
                return None;
            }
        })
    }

    fn check_domain(&mut self, dist: &Dist, domain: Domain, span: Range<usize>, path: &str) {
        match dist {
            Dist::Fixed(v) => {
                if !domain.contains(*v) {
                    let e = InputError::new(
                        span,
                        path,
                        format!("must be {domain}, got {}", fmt_num(*v)),
                    );
                    self.errors.push(match fraction_hint(domain, *v) {
                        Some(help) => e.with_help(help),
                        None => e,
                    });
                }
            }
            Dist::Discrete { .. } | Dist::UniformInt { .. } | Dist::Bernoulli(_) => {
                // Every value of a discrete family has positive probability: each must be allowed.
                let continuous = Domain {
                    integer: false,
                    ..domain
                };
                let (lo, hi) = dist.support();
                let values = match dist {
                    Dist::Discrete { values, .. } => values.clone(),
                    _ => vec![lo, hi],
                };
                if let Some(v) = values.iter().find(|v| !continuous.contains(**v)) {
                    self.err(
                        span,
                        path,
                        format!(
                            "value {} is outside the allowed range: {domain}",
                            fmt_num(*v)
                        ),
                    );
                }
            }
            Dist::Normal { .. } | Dist::LogNormal { .. } => {
                let (what, centre) = dist.centre().expect("unbounded families have a centre");
                let continuous = Domain {
                    integer: false,
                    ..domain
                };
                if !continuous.contains(centre) {
                    self.err(
                        span,
                        path,
                        format!(
                            "the distribution's {what} {} lies outside the allowed range: {domain}",
                            fmt_num(centre)
                        ),
                    );
                }
            }
            _ => {
                let (lo, hi) = dist.support();
                if !domain.contains_support(lo, hi) {
                    let e = InputError::new(
                        span,
                        path,
                        format!(
                            "the distribution ranges from {} to {}, outside the allowed range: {domain}",
                            fmt_num(lo),
                            fmt_num(hi)
                        ),
                    );
                    self.errors.push(match fraction_hint(domain, hi) {
                        Some(_) if lo >= 0.0 => e.with_help("shares are fractions: divide each of the distribution's numbers by 100 (45 % is 0.45)"),
                        _ => e,
                    });
                }
            }
        }
    }

    /// A distribution table such as `{ dist = "pert", min = 1, mode = 2, max = 4 }`.
    fn dist(&mut self, t: &DeTable, span: Range<usize>, path: &str) -> Option<Dist> {
        let Some(family_node) = t.get("dist") else {
            self.errors.push(
                InputError::new(span, path, "a distribution table needs a `dist` key")
                    .with_help(format!("one of: {}", FAMILIES.join(", "))),
            );
            return None;
        };
        let family = self.string(family_node, &join(path, "dist"))?;
        let Some(params) = family_params(&family) else {
            let mut e = InputError::new(
                family_node.span(),
                join(path, "dist"),
                format!(
                    "unknown distribution {family:?}; allowed: {}",
                    FAMILIES.join(", ")
                ),
            );
            if let Some(s) = did_you_mean(&family, FAMILIES.iter().copied()) {
                e = e.with_help(format!("did you mean \"{s}\"?"));
            }
            self.errors.push(e);
            return None;
        };
        let before = self.errors.len();
        self.dist_keys(t, path, &family, params);
        let mut nums: HashMap<&str, f64> = HashMap::new();
        let mut lists: HashMap<&str, Vec<f64>> = HashMap::new();
        for &p in params {
            let Some(node) = t.get(p) else { continue };
            let ppath = join(path, p);
            if matches!(p, "values" | "weights") {
                if let Some(list) = self.number_list(node, &ppath) {
                    lists.insert(p, list);
                }
            } else if let Some(x) = self.number(node, &ppath) {
                nums.insert(p, x);
            }
        }
        if self.errors.len() > before {
            return None;
        }
        let built = build_dist(&family, &nums, &mut lists);
        match built {
            Ok(d) => self.shapes_ok(&family, &nums, t, path).then_some(d),
            Err(BuildError::Missing(keys)) => {
                self.err(span, path, format!("{family} needs {keys}"));
                None
            }
            Err(BuildError::Dist(e)) => {
                let at = e.param.and_then(|p| t.get(p)).map_or(span, |n| n.span());
                let mut ie = InputError::new(at, path, e.message);
                ie.help = e.help;
                self.errors.push(ie);
                None
            }
        }
    }

    /// Reports every key of a `family` distribution table that is not one of its
    /// `params`, saying which parameters the family takes, with a did-you-mean for a
    /// misspelling; percentiles a lognormal does not take (`p5`, `p95`) get the pair it
    /// does take for the same distribution.
    fn dist_keys(&mut self, t: &DeTable, path: &str, family: &str, params: &[&str]) {
        let takes = family_takes(family);
        for (key, _) in t.iter() {
            let k: &str = key.get_ref();
            if k == "dist" || params.contains(&k) {
                continue;
            }
            let message = format!("unknown parameter of {family}, which takes {takes}");
            let mut e = InputError::new(key.span(), join(path, k), message);
            let percentile = k
                .strip_prefix('p')
                .is_some_and(|n| n.parse::<u32>().is_ok());
            if family == "lognormal" && percentile {
                if let Some(help) = lognormal_percentiles(t) {
                    e = e.with_help(help);
                }
            } else if let Some(s) = did_you_mean(k, params.iter().copied()) {
                self.mentioned.insert(join(path, s));
                e = e.with_help(format!("did you mean `{s}`?"));
            }
            self.errors.push(e);
        }
    }

    /// Whether a beta's shapes lie in [`BETA_SHAPE`] and a PERT's `lambda` is at most
    /// [`MAX_PERT_LAMBDA`]; reports the key that does not.
    fn shapes_ok(
        &mut self,
        family: &str,
        nums: &HashMap<&str, f64>,
        t: &DeTable,
        path: &str,
    ) -> bool {
        let (lo, hi) = BETA_SHAPE;
        let (keys, lo, range): (&[&str], f64, String) = match family {
            "beta" => (&["alpha", "beta"], lo, format!("[{lo:e}, {hi:e}]")),
            "pert" => (&["lambda"], 0.0, format!("(0, {MAX_PERT_LAMBDA:e}]")),
            _ => return true,
        };
        let hi = if family == "pert" {
            MAX_PERT_LAMBDA
        } else {
            hi
        };
        for &key in keys {
            let (Some(&x), Some(node)) = (nums.get(key), t.get(key)) else {
                continue;
            };
            if x < lo || x > hi {
                self.err(node.span(), join(path, key), format!(
                    "{family} needs {key} in {range}, got {}: beyond that the beta quantile function loses accuracy",
                    fmt_num(x)
                ));
                return false;
            }
        }
        true
    }

    fn number_list(&mut self, node: &Node, path: &str) -> Option<Vec<f64>> {
        let DeValue::Array(items) = node.get_ref() else {
            self.err(
                node.span(),
                path,
                format!(
                    "expected a list of numbers like [1, 2, 3], found {}",
                    describe(node.get_ref())
                ),
            );
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            out.push(self.number(item, path)?);
        }
        Some(out)
    }

    fn arms(&mut self, node: Option<&Node>, work: &[Work]) -> Vec<RawArm> {
        let Some(node) = node else {
            self.errors.push(
                InputError::new(0..0, "arms", "no arms: a scenario needs at least one [arms.NAME] table")
                    .with_help("add e.g. [arms.aligned] with label = \"..\" and alignment = { strategic = 0.8, fit = 0.8, culture = 0.8, measurement = 0.8, integration = 0.8, ethics = 0.8 }"),
            );
            return Vec::new();
        };
        let DeValue::Table(t) = node.get_ref() else {
            self.errors.push(
                InputError::new(
                    node.span(),
                    "arms",
                    format!(
                        "expected tables named after each arm, found {}",
                        describe(node.get_ref())
                    ),
                )
                .with_help("write [arms.aligned] and [arms.misaligned], not [[arms]]"),
            );
            return Vec::new();
        };
        if t.is_empty() {
            self.err(
                node.span(),
                "arms",
                "no arms: a scenario needs at least one [arms.NAME] table",
            );
        }
        if let Some((key, _)) = t.iter().nth(MAX_ARMS) {
            self.err(key.span(), "arms", format!(
                "at most {MAX_ARMS} arms, got {}: every pair of arms is compared in every trial, so the work grows with the square of the arms",
                t.len()
            ));
            return Vec::new();
        }
        let mut out = Vec::new();
        for (key, value) in t.iter() {
            let name = key.get_ref().to_string();
            let path = format!("arms.{name}");
            let len = name.chars().count();
            if len > MAX_ARM_NAME_LEN {
                self.err(key.span(), path.clone(), format!(
                    "the arm name is {len} characters long; an arm name has at most {MAX_ARM_NAME_LEN}"
                ));
            } else if !valid_arm_name(&name) {
                self.err(
                    key.span(),
                    path.clone(),
                    "arm names use letters, digits, '-' and '_'",
                );
            }
            if let Some(arm) = self.arm(name, &path, value, work) {
                out.push(arm);
            }
        }
        out
    }

    fn arm(&mut self, name: String, path: &str, node: &Node, work: &[Work]) -> Option<RawArm> {
        let t = self.table(node, path)?;
        self.known_keys(t, path, ARM_KEYS, |k| match k {
            "business" => Some("business keys are shared by all arms and cannot be overridden per arm; set them in [business]".into()),
            "kpi" | "effects" => Some(format!("[{k}] is shared by all arms and cannot be overridden per arm")),
            _ => None,
        });
        let label = t
            .get("label")
            .and_then(|l| self.string(l, &join(path, "label")))
            .unwrap_or_else(|| name.clone());
        let prepare = t
            .get("prepare")
            .map(|p| self.prepare(p, &join(path, "prepare"), work))
            .unwrap_or_default();
        let mut overrides = HashMap::new();
        for section in [Section::Alignment, Section::Initiative, Section::Rollout] {
            let spath = join(path, section.name());
            let Some(snode) = t.get(section.name()) else {
                if section == Section::Alignment {
                    self.errors.push(
                        InputError::new(node.span(), spath, "required: the six alignment scores of this arm, each in [0, 1]")
                            .with_help("alignment = { strategic = 0.8, fit = 0.8, culture = 0.8, measurement = 0.8, integration = 0.8, ethics = 0.8 }"),
                    );
                }
                continue;
            };
            let Some(st) = self.table(snode, &spath) else {
                self.explained(section, path);
                continue;
            };
            let keys: Vec<&str> = section_params(section).map(|d| d.key).collect();
            self.known_keys(st, &spath, &keys, |_| None);
            let mut missing = Vec::new();
            for def in section_params(section) {
                match st.get(def.key) {
                    Some(v) => {
                        if let Some(d) = self.param(v, def, &join(&spath, def.key)) {
                            overrides.insert((section, def.key), d);
                        }
                    }
                    None if section == Section::Alignment => missing.push(def.key),
                    None => {}
                }
            }
            if !missing.is_empty() {
                self.err(
                    snode.span(),
                    spath,
                    format!(
                        "missing alignment score{}: {} (each a number or distribution in [0, 1])",
                        if missing.len() > 1 { "s" } else { "" },
                        missing.join(", ")
                    ),
                );
            }
        }
        Some(RawArm {
            name,
            label,
            span: node.span(),
            overrides,
            prepare,
        })
    }

    /// Fills each arm's parameters: arm override, else section value, else default.
    fn resolve(
        &mut self,
        sections: &HashMap<Section, SectionValues>,
        has_kpi: bool,
        raw: Vec<RawArm>,
        arms_node: Option<&Node>,
    ) -> Vec<Arm> {
        let mut arms = Vec::with_capacity(raw.len());
        let mut missing: Vec<(&ParamDef, Vec<String>)> = Vec::new();
        for arm in &raw {
            let mut params = Vec::with_capacity(PARAMS.len());
            for def in PARAMS {
                match param_of(def, arm, sections, has_kpi) {
                    Some(d) => params.push(d),
                    None => {
                        if def.section != Section::Alignment {
                            match missing.iter_mut().find(|(d, _)| d.sym == def.sym) {
                                Some((_, names)) => names.push(arm.name.clone()),
                                None => missing.push((def, vec![arm.name.clone()])),
                            }
                        }
                        params.push(Dist::Fixed(f64::NAN));
                    }
                }
            }
            arms.push(Arm {
                name: arm.name.clone(),
                label: arm.label.clone(),
                params,
                prepare: arm.prepare.clone(),
            });
        }
        for (def, names) in missing {
            self.required(def, names, &raw, arms_node);
        }
        arms
    }

    /// Reports a parameter that arms `names` lack, unless an error already reported
    /// explains why.
    fn required(
        &mut self,
        def: &ParamDef,
        mut names: Vec<String>,
        raw: &[RawArm],
        arms_node: Option<&Node>,
    ) {
        let section = def.section.name();
        let explained = |p: String| self.mentioned.contains(&p);
        names.retain(|n| {
            !explained(format!("arms.{n}.{}", def.path()))
                && !explained(format!("arms.{n}.{section}"))
        });
        if names.is_empty() || explained(def.path()) || explained(section.to_string()) {
            return;
        }
        let span = match self.section_spans.get(&def.section) {
            Some(s) => s.clone(),
            None => arms_node
                .and(raw.first())
                .map_or(0..0, |a| a.span.start..a.span.start),
        };
        let mut message = format!("required: {} ({})", def.path(), def.domain);
        if def.section.per_arm() {
            if names.len() < raw.len() {
                message.push_str(&format!(
                    ", set in [{}] or in arm {}",
                    def.section.name(),
                    names.join(", ")
                ));
            } else {
                message.push_str(&format!(
                    ", set in [{}] or in every arm",
                    def.section.name()
                ));
            }
        } else {
            message.push_str(&format!(", set in [{}]", def.section.name()));
        }
        self.errors.push(InputError::new(span, def.path(), message));
    }
}

/// An arm's value of a parameter: its own override, else the shared section's value, else
/// the parameter's default (KPI parameters are zero in a scenario without a KPI).
fn param_of(
    def: &ParamDef,
    arm: &RawArm,
    sections: &HashMap<Section, SectionValues>,
    has_kpi: bool,
) -> Option<Dist> {
    arm.overrides
        .get(&(def.section, def.key))
        .cloned()
        .or_else(|| {
            sections
                .get(&def.section)
                .and_then(|s| s.get(def.key))
                .map(|(d, _)| d.clone())
        })
        .or_else(|| def.default.map(Dist::Fixed))
        .or_else(|| (def.section == Section::Kpi && !has_kpi).then_some(Dist::Fixed(0.0)))
}

/// Most parameters one scenario may correlate.
pub const MAX_CORRELATED: usize = 64;

/// One correlation as written: the indexes of its two paths, its Spearman rho and the span
/// it came from.
type Pair = (usize, usize, f64, Range<usize>);

/// What a correlated path may name: the arms' parameters and the packages' values.
type Random<'a> = (&'a [Arm], &'a [Work]);

impl Checker {
    /// `[[correlation]]` entries: pairs (`between` + `rho`) or blocks (`params` + `matrix`)
    /// of Spearman rank correlations, merged into one matrix that must be positive definite.
    fn correlation(&mut self, node: &Node, arms: &[Arm], work: &[Work]) -> Option<Correlation> {
        let DeValue::Array(entries) = node.get_ref() else {
            self.errors.push(
                InputError::new(node.span(), "correlation", format!("expected [[correlation]] entries, found {}", describe(node.get_ref())))
                    .with_help("[[correlation]]\nbetween = [\"initiative.upfront_cost\", \"initiative.cost_overrun\"]\nrho = 0.5"),
            );
            return None;
        };
        let before = self.errors.len();
        let mut paths: Vec<String> = Vec::new();
        let mut pairs: Vec<Pair> = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            self.correlation_entry(i, entry, (arms, work), &mut paths, &mut pairs);
        }
        if self.errors.len() > before {
            return None;
        }
        let n = paths.len();
        if n > MAX_CORRELATED {
            self.err(
                node.span(),
                "correlation",
                format!("at most {MAX_CORRELATED} parameters can be correlated, got {n}"),
            );
            return None;
        }
        let spearman = self.spearman_matrix(&paths, pairs)?;
        let c = Correlation { paths, spearman };
        if let Err(k) = crate::math::cholesky(&c.pearson(), n) {
            self.errors.push(
                InputError::new(node.span(), "correlation", format!(
                    "the correlations are not consistent with each other (the matrix is not positive definite; the problem shows at {})",
                    c.paths[k]
                ))
                .with_help("weaken the strongest correlations, or check their signs: if A goes with B and B with C, A cannot go strongly against C"),
            );
            return None;
        }
        Some(c)
    }

    /// Entry `i` of `[[correlation]]`: its paths are added to `paths` (each once, in order
    /// of appearance) and its correlations to `pairs`.
    fn correlation_entry(
        &mut self,
        i: usize,
        entry: &Node,
        random: Random,
        paths: &mut Vec<String>,
        pairs: &mut Vec<Pair>,
    ) {
        let path = format!("correlation[{i}]");
        let Some(t) = self.table(entry, &path) else {
            return;
        };
        self.known_keys(t, &path, &["between", "rho", "params", "matrix"], |_| None);
        let names = match (t.get("between"), t.get("params")) {
            (Some(b), None) => self.path_list(b, &join(&path, "between"), random, Some(2)),
            (None, Some(p)) => self.path_list(p, &join(&path, "params"), random, None),
            _ => {
                self.err(entry.span(), path.clone(), "needs either between = [two parameter paths] with rho, or params = [paths] with matrix");
                return;
            }
        };
        let Some(names) = names else { return };
        let idx: Vec<usize> = names
            .iter()
            .map(|n| {
                paths.iter().position(|p| p == n).unwrap_or_else(|| {
                    paths.push(n.clone());
                    paths.len() - 1
                })
            })
            .collect();
        if let Some(r) = t.get("rho") {
            if t.get("between").is_none() || t.get("matrix").is_some() {
                self.err(
                    r.span(),
                    join(&path, "rho"),
                    "rho goes with between = [two paths]; use matrix with params",
                );
                return;
            }
            if let Some(rho) = self.rho(r, &join(&path, "rho")) {
                pairs.push((idx[0], idx[1], rho, r.span()));
            }
        } else if let Some(m) = t.get("matrix") {
            self.matrix(m, &join(&path, "matrix"), &idx, pairs);
        } else {
            self.err(entry.span(), path, "missing the correlation: rho = a number in [-1, 1] (or matrix = [[..]] with params)");
        }
    }

    /// The symmetric Spearman matrix (row-major, ones on the diagonal) of the correlated
    /// `paths` from their `pairs`; `None` when a pair is given two different correlations.
    fn spearman_matrix(&mut self, paths: &[String], pairs: Vec<Pair>) -> Option<Vec<f64>> {
        let n = paths.len();
        let mut spearman = vec![0.0; n * n];
        let mut set = vec![false; n * n];
        for i in 0..n {
            spearman[i * n + i] = 1.0;
        }
        for (a, b, rho, span) in pairs {
            if set[a * n + b] && spearman[a * n + b] != rho {
                self.err(
                    span,
                    "correlation",
                    format!(
                        "{} and {} are given two different correlations ({} and {})",
                        paths[a],
                        paths[b],
                        fmt_num(spearman[a * n + b]),
                        fmt_num(rho)
                    ),
                );
                return None;
            }
            for (x, y) in [(a, b), (b, a)] {
                spearman[x * n + y] = rho;
                set[x * n + y] = true;
            }
        }
        Some(spearman)
    }

    /// A list of distinct paths, each a parameter that is random in at least one arm or a
    /// `[[work]]` package's value that is random.
    fn path_list(
        &mut self,
        node: &Node,
        path: &str,
        random: Random,
        len: Option<usize>,
    ) -> Option<Vec<String>> {
        let DeValue::Array(items) = node.get_ref() else {
            self.err(
                node.span(),
                path,
                format!(
                    "expected a list of parameter paths, found {}",
                    describe(node.get_ref())
                ),
            );
            return None;
        };
        if let Some(n) = len
            && items.len() != n
        {
            self.err(
                node.span(),
                path,
                format!("needs exactly {n} parameter paths, got {}", items.len()),
            );
            return None;
        }
        let mut out: Vec<String> = Vec::new();
        for item in items.iter() {
            let name = self.string(item, path)?;
            if !self.correlatable(item, &name, path, random) {
                return None;
            }
            if out.contains(&name) {
                self.err(item.span(), path, format!("{name} is listed twice"));
                return None;
            }
            out.push(name);
        }
        Some(out)
    }

    /// Whether `name` is a parameter path random in at least one arm, or the path of a
    /// package's random value (`work.NAME.gain`); reports why not.
    fn correlatable(&mut self, item: &Node, name: &str, path: &str, random: Random) -> bool {
        let (arms, work) = random;
        let refused = if let Some(def) = PARAMS.iter().find(|d| d.path() == name) {
            arms.iter().all(|a| a.param(def.sym).is_fixed()).then(|| format!("{name} is a fixed number in every arm; only uncertain parameters (distributions) can be correlated"))
        } else if let Some(d) = work::value_at(work, name) {
            d.is_fixed().then(|| format!("{name} is a fixed number; only uncertain values (distributions) can be correlated"))
        } else {
            self.unknown_path(item.span(), name, path, work);
            return false;
        };
        match refused {
            Some(message) => {
                self.err(item.span(), path, message);
                false
            }
            None => true,
        }
    }

    /// Reports a correlated path that names no parameter and no package value, with the
    /// nearest that does.
    fn unknown_path(&mut self, span: Range<usize>, name: &str, path: &str, work: &[Work]) {
        let all: Vec<String> = PARAMS
            .iter()
            .map(|d| d.path())
            .chain(work::paths(work))
            .collect();
        let such_as = if work.is_empty() {
            "initiative.upfront_cost"
        } else {
            "initiative.upfront_cost or work.NAME.cost"
        };
        let mut e = InputError::new(
            span,
            path,
            format!("{name:?} is not a parameter path such as {such_as}"),
        );
        if let Some(s) = did_you_mean(name, all.iter().map(String::as_str)) {
            e = e.with_help(format!("did you mean \"{s}\"?"));
        }
        self.errors.push(e);
    }

    fn rho(&mut self, node: &Node, path: &str) -> Option<f64> {
        let r = self.number(node, path)?;
        if (-1.0..=1.0).contains(&r) {
            Some(r)
        } else {
            self.err(
                node.span(),
                path,
                format!("a rank correlation must be in [-1, 1], got {}", fmt_num(r)),
            );
            None
        }
    }

    fn matrix(&mut self, node: &Node, path: &str, idx: &[usize], pairs: &mut Vec<Pair>) {
        let n = idx.len();
        let DeValue::Array(rows) = node.get_ref() else {
            self.err(
                node.span(),
                path,
                format!(
                    "expected a {n} x {n} matrix like [[1, 0.3], [0.3, 1]], found {}",
                    describe(node.get_ref())
                ),
            );
            return;
        };
        let mut m = Vec::with_capacity(n * n);
        for row in rows.iter() {
            let Some(values) = self.number_list(row, path) else {
                return;
            };
            if values.len() != n {
                self.err(
                    row.span(),
                    path,
                    format!(
                        "each row needs {n} numbers (one per parameter in params), got {}",
                        values.len()
                    ),
                );
                return;
            }
            m.extend(values);
        }
        if rows.len() != n {
            self.err(
                node.span(),
                path,
                format!(
                    "needs {n} rows (one per parameter in params), got {}",
                    rows.len()
                ),
            );
            return;
        }
        for i in 0..n {
            if m[i * n + i] != 1.0 {
                self.err(
                    node.span(),
                    path,
                    format!(
                        "the diagonal must be 1, got {} in row {}",
                        fmt_num(m[i * n + i]),
                        i + 1
                    ),
                );
                return;
            }
            for j in 0..i {
                let (a, b) = (m[i * n + j], m[j * n + i]);
                if a != b {
                    self.err(node.span(), path, format!("the matrix must be symmetric: row {} column {} is {}, row {} column {} is {}", i + 1, j + 1, fmt_num(a), j + 1, i + 1, fmt_num(b)));
                    return;
                }
                if !(-1.0..=1.0).contains(&a) {
                    self.err(
                        node.span(),
                        path,
                        format!("a rank correlation must be in [-1, 1], got {}", fmt_num(a)),
                    );
                    return;
                }
                pairs.push((idx[i], idx[j], a, node.span()));
            }
        }
    }
}

enum BuildError {
    Missing(String),
    Dist(DistError),
}

impl From<DistError> for BuildError {
    fn from(e: DistError) -> Self {
        BuildError::Dist(e)
    }
}

/// The parameters a family takes, in words.
fn family_takes(family: &str) -> &'static str {
    match family {
        "fixed" => "value",
        "uniform" | "uniform_int" => "min and max",
        "normal" => "mean and sd",
        "lognormal" => {
            "exactly one pair: median and p90, p10 and p90, mu and sigma (of the log), or mean and sd"
        }
        "triangular" => "min, mode and max",
        "pert" => "min, mode and max, and optionally lambda",
        "beta" => "alpha and beta, and optionally min and max",
        "discrete" => "values, and optionally weights",
        _ => "p",
    }
}

/// For a lognormal given two other percentiles (`p5` and `p95`), the `p10` and `p90` of
/// the lognormal through them.
fn lognormal_percentiles(t: &DeTable) -> Option<String> {
    let mut given: Vec<(&str, f64, f64)> = Vec::new();
    for (key, value) in t.iter() {
        let k: &str = key.get_ref();
        let Some(q) = k.strip_prefix('p').and_then(|n| n.parse::<f64>().ok()) else {
            continue;
        };
        let x = match value.get_ref() {
            DeValue::Integer(i) => parse_float(i.as_str()),
            DeValue::Float(f) => parse_float(f.as_str()),
            _ => None,
        };
        if let Some(x) = x.filter(|&x| x > 0.0 && x.is_finite() && q > 0.0 && q < 100.0) {
            given.push((k, q / 100.0, x));
        }
    }
    let [(ka, qa, a), (kb, qb, b)] = given.as_slice() else {
        return Some("give p10 and p90 (or median and p90) instead".into());
    };
    let (za, zb) = (crate::special::norm_inv(*qa), crate::special::norm_inv(*qb));
    if za == zb || a == b {
        return None;
    }
    let sigma = (b.ln() - a.ln()) / (zb - za);
    let mu = a.ln() - sigma * za;
    let z90 = crate::dist::Z90;
    let (p10, p90) = ((mu - sigma * z90).exp(), (mu + sigma * z90).exp());
    (sigma > 0.0).then(|| {
        format!(
            "the lognormal with {ka} = {} and {kb} = {} has p10 = {} and p90 = {}: write p10 = {}, p90 = {}",
            fmt_num(*a),
            fmt_num(*b),
            fmt_num(round_sig(p10)),
            fmt_num(round_sig(p90)),
            round_sig(p10),
            round_sig(p90)
        )
    })
}

/// `x` to 4 significant digits.
fn round_sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(3 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

fn family_params(family: &str) -> Option<&'static [&'static str]> {
    Some(match family {
        "fixed" => &["value"],
        "uniform" | "uniform_int" => &["min", "max"],
        "normal" => &["mean", "sd"],
        "lognormal" => &["mu", "sigma", "median", "p90", "p10", "mean", "sd"],
        "triangular" => &["min", "mode", "max"],
        "pert" => &["min", "mode", "max", "lambda"],
        "beta" => &["alpha", "beta", "min", "max"],
        "discrete" => &["values", "weights"],
        "bernoulli" => &["p"],
        _ => return None,
    })
}

fn build_dist(
    family: &str,
    n: &HashMap<&str, f64>,
    lists: &mut HashMap<&str, Vec<f64>>,
) -> Result<Dist, BuildError> {
    let need = |keys: &[&str]| values_of(n, keys);
    Ok(match family {
        "fixed" => Dist::Fixed(need(&["value"])?[0]),
        "uniform" => {
            let v = need(&["min", "max"])?;
            Dist::uniform(v[0], v[1])?
        }
        "uniform_int" => {
            let v = need(&["min", "max"])?;
            Dist::uniform_int(v[0], v[1])?
        }
        "normal" => {
            let v = need(&["mean", "sd"])?;
            Dist::normal(v[0], v[1])?
        }
        "lognormal" => lognormal(n)?,
        "triangular" => {
            let v = need(&["min", "mode", "max"])?;
            Dist::triangular(v[0], v[1], v[2])?
        }
        "pert" => {
            let v = need(&["min", "mode", "max"])?;
            Dist::pert(v[0], v[1], v[2], n.get("lambda").copied().unwrap_or(4.0))?
        }
        "beta" => {
            let v = need(&["alpha", "beta"])?;
            Dist::beta(
                v[0],
                v[1],
                n.get("min").copied().unwrap_or(0.0),
                n.get("max").copied().unwrap_or(1.0),
            )?
        }
        "discrete" => {
            let Some(values) = lists.remove("values") else {
                return Err(BuildError::Missing("values".into()));
            };
            Dist::discrete(values, lists.remove("weights"))?
        }
        "bernoulli" => Dist::bernoulli(need(&["p"])?[0])?,
        _ => unreachable!("family checked by family_params"),
    })
}

/// The values of `keys` in `n`, in order, or the list of those missing.
fn values_of(n: &HashMap<&str, f64>, keys: &[&str]) -> Result<Vec<f64>, BuildError> {
    let missing: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| !n.contains_key(k))
        .collect();
    if missing.is_empty() {
        Ok(keys.iter().map(|k| n[k]).collect())
    } else {
        Err(BuildError::Missing(missing.join(", ")))
    }
}

/// A lognormal from exactly one of its parameter pairs: (mu, sigma), (median, p90),
/// (p10, p90) or (mean, sd).
fn lognormal(n: &HashMap<&str, f64>) -> Result<Dist, BuildError> {
    let mut given: Vec<&str> = ["mu", "sigma", "median", "p90", "p10", "mean", "sd"]
        .into_iter()
        .filter(|k| n.contains_key(k))
        .collect();
    given.sort_unstable();
    Ok(match given.as_slice() {
        ["mu", "sigma"] => Dist::lognormal(n["mu"], n["sigma"])?,
        ["median", "p90"] => Dist::lognormal_median_p90(n["median"], n["p90"])?,
        ["p10", "p90"] => Dist::lognormal_p10_p90(n["p10"], n["p90"])?,
        ["mean", "sd"] => Dist::lognormal_mean_sd(n["mean"], n["sd"])?,
        _ => {
            return Err(BuildError::Missing(format!(
                "exactly one pair of (mu, sigma), (median, p90), (p10, p90) or (mean, sd); got {}",
                if given.is_empty() {
                    "none".to_string()
                } else {
                    given.join(", ")
                }
            )));
        }
    })
}

/// For a share (a key whose domain lies within [0, 1]) given a value between 1 and 100,
/// probably a percentage: the fraction it stands for.
fn fraction_hint(domain: Domain, v: f64) -> Option<String> {
    let share = domain.lo >= 0.0 && domain.hi <= 1.0;
    (share && v > 1.0 && v <= 100.0).then(|| {
        format!(
            "did you mean {}? Shares are fractions: {} % is {}",
            v / 100.0,
            fmt_num(v),
            v / 100.0
        )
    })
}

/// The range a distribution's draws reach: its support, or for a normal or lognormal
/// [`REACH_SDS`] standard deviations (of the log, for a lognormal) either side of the centre.
fn extent(d: &Dist) -> (f64, f64) {
    match d {
        Dist::Normal { mean, sd } => (mean - REACH_SDS * sd, mean + REACH_SDS * sd),
        Dist::LogNormal { mu, sigma } => (0.0, (mu + REACH_SDS * sigma).exp()),
        _ => d.support(),
    }
}

/// A limit as shown: rounded toward zero to 4 significant digits, so that the value shown
/// is itself allowed.
fn fmt_bound(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return fmt_num(x);
    }
    let unit = 10f64.powi(x.abs().log10().floor() as i32 - 3);
    fmt_num((x / unit).trunc() * unit)
}

/// How a refused magnitude is shown: the value, or what a distribution's draws reach.
fn fmt_reach(d: &Dist, reach: f64) -> String {
    let n = if reach < 1e21 {
        fmt_num(reach)
    } else {
        format!("{reach:e}")
    };
    match d {
        Dist::Fixed(_) => n,
        Dist::Normal { .. } | Dist::LogNormal { .. } => {
            format!("draws reaching {n} ({REACH_SDS} standard deviations out)")
        }
        _ => format!("draws up to {n}"),
    }
}

fn parse_float(s: &str) -> Option<f64> {
    let s = s.replace('_', "");
    s.parse::<f64>().ok()
}

fn raw_number(node: &Node) -> String {
    match node.get_ref() {
        DeValue::Integer(i) => i.to_string(),
        DeValue::Float(f) => f.as_str().to_string(),
        other => describe(other),
    }
}

fn describe(v: &DeValue) -> String {
    match v {
        DeValue::String(s) => format!("a string ({s:?})"),
        DeValue::Integer(i) => format!("the number {i}"),
        DeValue::Float(f) => format!("the number {}", f.as_str()),
        DeValue::Boolean(b) => format!("a boolean ({b})"),
        DeValue::Datetime(d) => format!("a date ({d})"),
        DeValue::Array(_) => "a list".to_string(),
        DeValue::Table(_) => "a table".to_string(),
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && !n.starts_with('.')
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn valid_arm_name(n: &str) -> bool {
    !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
}
