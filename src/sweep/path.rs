//! Setting one numeric value anywhere in a scenario, by its path.
//!
//! A sweep point is the base scenario's TOML tree with some values replaced, serialised
//! back to text and validated like any scenario file, so every point passes exactly the
//! checks a hand-written file would. Paths are the parameter paths of MODEL.md
//! (`initiative.upfront_cost`), per-arm overrides (`arms.NAME.alignment.strategic`,
//! `arms.NAME.rollout.pilot_months`, `arms.NAME.initiative.KEY`), `effects.*`, the two
//! numeric scenario settings (`scenario.horizon_months`, `scenario.discount_rate_annual`),
//! the values of the `[[work]]` packages (`work.NAME.cost`) and the numeric parameters of a
//! distribution (`initiative.upfront_cost.mode`, `work.NAME.gain.mode`).

use toml::{Table, Value};

use crate::error::did_you_mean;
use crate::scenario::{Domain, PARAMS, ParamDef, Section, WorkField};

/// The numeric keys of `[scenario]` that a sweep may vary.
const SCENARIO_KEYS: [&str; 2] = ["horizon_months", "discount_rate_annual"];

/// Where a path points, once checked against a scenario.
#[derive(Debug, Clone)]
pub enum Target {
    /// A numeric key of `[scenario]`.
    Scenario(&'static str),
    /// A model parameter: shared (`arm` is `None`) or one arm's override, either the
    /// whole value or one numeric parameter (`field`) of its distribution.
    Param {
        arm: Option<String>,
        def: &'static ParamDef,
        field: Option<String>,
    },
    /// A value of the `[[work]]` package named `package`: the whole value or one numeric
    /// parameter (`dist_field`) of its distribution.
    Work {
        package: String,
        field: WorkField,
        dist_field: Option<String>,
    },
}

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Target::Scenario(a), Target::Scenario(b)) => a == b,
            (
                Target::Param { arm, def, field },
                Target::Param {
                    arm: a2,
                    def: d2,
                    field: f2,
                },
            ) => arm == a2 && def.sym == d2.sym && field == f2,
            (
                Target::Work {
                    package,
                    field,
                    dist_field,
                },
                Target::Work {
                    package: p2,
                    field: f2,
                    dist_field: d2,
                },
            ) => package == p2 && field == f2 && dist_field == d2,
            _ => false,
        }
    }
}

impl Target {
    /// The values the target may take, when the model fixes them: the parameter's (or the
    /// package value's) domain for a whole value; for a distribution's parameter, only its
    /// location parameters share that domain, so none is given for the others.
    pub fn domain(&self) -> Option<Domain> {
        let (domain, dist_field) = match self {
            Target::Scenario("horizon_months") => {
                return Some(Domain {
                    integer: true,
                    ..Domain::new(1.0, false, 600.0, false)
                });
            }
            Target::Scenario(_) => return Some(Domain::new(-1.0, true, f64::INFINITY, false)),
            Target::Param { def, field, .. } => (def.domain, field),
            Target::Work {
                field, dist_field, ..
            } => (field.domain(), dist_field),
        };
        match dist_field.as_deref() {
            None => Some(domain),
            Some(f) => matches!(
                f,
                "min" | "max" | "mode" | "mean" | "median" | "p10" | "p90" | "value"
            )
            .then_some(Domain {
                integer: false,
                ..domain
            }),
        }
    }

    /// The numeric parameter of a distribution the target points at (`mode` of
    /// `initiative.upfront_cost.mode`), if it points inside one.
    pub fn dist_field(&self) -> Option<&str> {
        match self {
            Target::Scenario(_) => None,
            Target::Param { field, .. } => field.as_deref(),
            Target::Work { dist_field, .. } => dist_field.as_deref(),
        }
    }

    /// Whether the target only takes whole numbers.
    pub fn integer(&self) -> bool {
        self.dist_field().is_none() && self.domain().is_some_and(|d| d.integer)
    }

    /// The arm the target belongs to, if it is an arm override.
    pub fn arm(&self) -> Option<&str> {
        match self {
            Target::Param { arm: Some(a), .. } => Some(a),
            _ => None,
        }
    }
}

/// Why a path names nothing a sweep can vary.
#[derive(Debug, Clone, PartialEq)]
pub struct PathError {
    pub message: String,
    pub help: Option<String>,
}

/// Checks `path` against the scenario `doc` and says where it points.
///
/// # Errors
/// A [`PathError`] naming the closest valid path and the valid paths under the longest
/// valid prefix of `path`.
pub fn resolve(doc: &Table, path: &str) -> Result<Target, PathError> {
    let valid = valid_paths(doc);
    if valid.iter().any(|p| p == path)
        && let Some(target) = parse(doc, path)
    {
        return Ok(target);
    }
    Err(explain(path, &valid))
}

/// Every path a sweep may vary in this scenario, in file order.
pub fn valid_paths(doc: &Table) -> Vec<String> {
    let mut out: Vec<String> = SCENARIO_KEYS
        .iter()
        .map(|k| format!("scenario.{k}"))
        .collect();
    for def in PARAMS {
        if def.section == Section::Alignment || (def.section == Section::Kpi && !has_kpi(doc)) {
            continue;
        }
        push_with_fields(&mut out, def.path(), shared_value(doc, def));
    }
    for (name, package) in packages(doc) {
        for field in WorkField::ALL {
            push_with_fields(&mut out, field.path(name), package.get(field.key()));
        }
    }
    for arm in arm_names(doc) {
        for def in PARAMS.iter().filter(|d| d.section.per_arm()) {
            let path = format!("arms.{arm}.{}", def.path());
            push_with_fields(&mut out, path, effective_value(doc, &arm, def));
        }
    }
    out
}

/// The path's current value when it is a plain number (not a distribution).
pub fn current(doc: &Table, target: &Target) -> Option<f64> {
    let default = match target {
        Target::Scenario(_) => None,
        Target::Param { def, .. } => def.default,
        Target::Work { field, .. } => field.default(),
    };
    match (written(doc, target), target.dist_field()) {
        (Some(v), Some(f)) => as_number(v.get(f)?),
        (Some(v), None) => as_number(v),
        (None, None) => default,
        (None, Some(_)) => None,
    }
}

/// The value the target lies in as the file writes it (for an arm, its override else its
/// section's): a number, or the distribution table holding the target's parameter. `None`
/// when the file leaves it out.
pub fn written<'a>(doc: &'a Table, target: &Target) -> Option<&'a Value> {
    match target {
        Target::Scenario(k) => doc.get("scenario")?.get(*k),
        Target::Param {
            arm: Some(a), def, ..
        } => effective_value(doc, a, def),
        Target::Param { arm: None, def, .. } => shared_value(doc, def),
        Target::Work { package, field, .. } => package_of(doc, package)?.get(field.key()),
    }
}

/// Sets the target to `x` in `doc`, creating the section or arm override table it lives
/// in when the file leaves it out. A distribution's parameter in an arm that inherits the
/// distribution from its section is set on a copy of that distribution in the arm. A
/// package's value is set in the `[[work]]` table of that name.
pub fn set(doc: &mut Table, target: &Target, x: f64) {
    let value = number(x);
    match target {
        Target::Scenario(k) => {
            table_at(doc, "scenario").insert((*k).to_string(), value);
        }
        Target::Param {
            arm: None,
            def,
            field,
        } => {
            let section = table_at(doc, def.section.name());
            put(section, def.key, field.as_deref(), value, None);
        }
        Target::Param {
            arm: Some(arm),
            def,
            field,
        } => {
            let inherited = shared_value(doc, def).cloned();
            let arm_table = table_at(table_at(doc, "arms"), arm);
            let section = table_at(arm_table, def.section.name());
            put(section, def.key, field.as_deref(), value, inherited);
        }
        Target::Work {
            package,
            field,
            dist_field,
        } => {
            if let Some(table) = package_of_mut(doc, package) {
                put(table, field.key(), dist_field.as_deref(), value, None);
            }
        }
    }
}

/// Writes `value` at `key` (or at `key.field`) of `section`.
fn put(
    section: &mut Table,
    key: &str,
    field: Option<&str>,
    value: Value,
    inherited: Option<Value>,
) {
    match field {
        None => {
            section.insert(key.to_string(), value);
        }
        Some(f) => {
            if !section.contains_key(key)
                && let Some(base) = inherited
            {
                section.insert(key.to_string(), base);
            }
            if let Some(Value::Table(dist)) = section.get_mut(key) {
                dist.insert(f.to_string(), value);
            }
        }
    }
}

/// The table at `key` of `parent`, created (or replaced, if `key` held something else)
/// when needed.
fn table_at<'a>(parent: &'a mut Table, key: &str) -> &'a mut Table {
    if !matches!(parent.get(key), Some(Value::Table(_))) {
        parent.insert(key.to_string(), Value::Table(Table::new()));
    }
    match parent.get_mut(key) {
        Some(Value::Table(t)) => t,
        _ => unreachable!("a table was inserted just above"),
    }
}

/// A TOML number: an integer when `x` is whole (so integer keys read as integers), else a
/// float.
pub fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9.0e15 {
        Value::Integer(x as i64)
    } else {
        Value::Float(x)
    }
}

fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Float(f) => Some(*f),
        _ => None,
    }
}

fn has_kpi(doc: &Table) -> bool {
    matches!(doc.get("kpi"), Some(Value::Table(_)))
}

fn arm_names(doc: &Table) -> Vec<String> {
    match doc.get("arms") {
        Some(Value::Table(t)) => t.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// The `[[work]]` packages of `doc` that have a name, in file order, with their tables.
fn packages(doc: &Table) -> impl Iterator<Item = (&str, &Table)> {
    doc.get("work")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| {
            let t = v.as_table()?;
            Some((t.get("name")?.as_str()?, t))
        })
}

/// The `[[work]]` table named `name`.
fn package_of<'a>(doc: &'a Table, name: &str) -> Option<&'a Table> {
    packages(doc).find(|(n, _)| *n == name).map(|(_, t)| t)
}

/// The `[[work]]` table named `name`, to change.
fn package_of_mut<'a>(doc: &'a mut Table, name: &str) -> Option<&'a mut Table> {
    doc.get_mut("work")?
        .as_array_mut()?
        .iter_mut()
        .filter_map(Value::as_table_mut)
        .find(|t| t.get("name").and_then(Value::as_str) == Some(name))
}

/// The value a shared section gives a parameter, if the file writes one.
fn shared_value<'a>(doc: &'a Table, def: &ParamDef) -> Option<&'a Value> {
    doc.get(def.section.name())?.get(def.key)
}

/// The value an arm uses for a parameter as written: its override, else the section's.
fn effective_value<'a>(doc: &'a Table, arm: &str, def: &ParamDef) -> Option<&'a Value> {
    let own = doc
        .get("arms")?
        .get(arm)?
        .get(def.section.name())
        .and_then(|s| s.get(def.key));
    match own {
        Some(v) => Some(v),
        None if def.section == Section::Alignment => None,
        None => shared_value(doc, def),
    }
}

/// Pushes `path`, and `path.FIELD` for every numeric parameter of a distribution table.
fn push_with_fields(out: &mut Vec<String>, path: String, value: Option<&Value>) {
    if let Some(Value::Table(dist)) = value {
        for (k, v) in dist {
            if k != "dist" && as_number(v).is_some() {
                out.push(format!("{path}.{k}"));
            }
        }
    }
    out.push(path);
}

/// Turns a path known to be valid into its target.
fn parse(doc: &Table, path: &str) -> Option<Target> {
    let parts: Vec<&str> = path.split('.').collect();
    let param = |section: &str, key: &str| {
        PARAMS
            .iter()
            .find(|d| d.section.name() == section && d.key == key)
    };
    match parts.as_slice() {
        ["scenario", key] => SCENARIO_KEYS
            .iter()
            .find(|k| *k == key)
            .map(|k| Target::Scenario(k)),
        ["work", package, key, rest @ ..] if rest.len() <= 1 => {
            package_of(doc, package)?;
            Some(Target::Work {
                package: (*package).to_string(),
                field: WorkField::ALL.into_iter().find(|f| f.key() == *key)?,
                dist_field: rest.first().map(|f| (*f).to_string()),
            })
        }
        ["arms", arm, section, key, rest @ ..] if rest.len() <= 1 => {
            arm_names(doc).iter().find(|a| a == arm)?;
            Some(Target::Param {
                arm: Some((*arm).to_string()),
                def: param(section, key)?,
                field: rest.first().map(|f| (*f).to_string()),
            })
        }
        [section, key, rest @ ..] if rest.len() <= 1 => Some(Target::Param {
            arm: None,
            def: param(section, key)?,
            field: rest.first().map(|f| (*f).to_string()),
        }),
        _ => None,
    }
}

/// The error for a path that is not in `valid`: the closest valid path, and what is valid
/// under the longest prefix of `path` that leads somewhere.
fn explain(path: &str, valid: &[String]) -> PathError {
    if let Some(key) = path.strip_prefix("scenario.")
        && matches!(key, "seed" | "trials")
    {
        return PathError {
            message: format!("`{path}` is a setting of the whole sweep, not a value to vary"),
            help: Some(format!(
                "set it with --{key} (or `{key} = ..` in a batch file)"
            )),
        };
    }
    let mut hints = Vec::new();
    let mut prefix = path;
    while let Some((head, _)) = prefix.rsplit_once('.') {
        prefix = head;
        if let Some(hint) = under(prefix, valid) {
            hints.push(hint);
            break;
        }
    }
    let dotted = format!("{prefix}.");
    let plain = valid.iter().any(|p| p == prefix) && !valid.iter().any(|p| p.starts_with(&dotted));
    if let Some(s) = did_you_mean(path, valid.iter().map(String::as_str)).filter(|_| !plain) {
        hints.insert(0, format!("did you mean `{s}`?"));
    }
    if hints.is_empty() {
        let tops: Vec<&str> =
            valid
                .iter()
                .filter_map(|p| p.split('.').next())
                .fold(Vec::new(), |mut acc, s| {
                    if !acc.contains(&s) {
                        acc.push(s);
                    }
                    acc
                });
        hints.push(format!("paths start with one of: {}", tops.join(", ")));
    }
    PathError {
        message: format!("`{path}` is not a numeric value of this scenario"),
        help: Some(hints.join("\n")),
    }
}

/// What `prefix` offers: the keys directly under it, or why it has none.
fn under(prefix: &str, valid: &[String]) -> Option<String> {
    let dotted = format!("{prefix}.");
    let mut children: Vec<&str> = Vec::new();
    for p in valid {
        if let Some(rest) = p.strip_prefix(&dotted) {
            let child = rest.split('.').next().unwrap_or(rest);
            if !children.contains(&child) {
                children.push(child);
            }
        }
    }
    if !children.is_empty() {
        return Some(format!("under `{prefix}`: {}", children.join(", ")));
    }
    valid.iter().any(|p| p == prefix).then(|| {
        format!("`{prefix}` is a plain number here, not a distribution: vary `{prefix}` itself")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Table {
        r#"
[scenario]
horizon_months = 12
[business]
monthly_revenue = 1000
revenue_growth = 0
gross_margin = 0.5
process_cost = 100
[initiative]
upfront_cost = { dist = "pert", min = 1, mode = 2, max = 4 }
[arms.a]
alignment = { strategic = 0.5, fit = 0.5, culture = 0.5, measurement = 0.5, integration = 0.5, ethics = 0.5 }
"#
        .parse()
        .unwrap()
    }

    #[test]
    fn arm_inherits_a_distribution_to_change() {
        let mut d = doc();
        let t = resolve(&d, "arms.a.initiative.upfront_cost.mode").unwrap();
        set(&mut d, &t, 3.0);
        let arm = &d["arms"]["a"]["initiative"]["upfront_cost"];
        assert_eq!(arm["mode"].as_integer(), Some(3));
        assert_eq!(arm["max"].as_integer(), Some(4));
        assert_eq!(
            d["initiative"]["upfront_cost"]["mode"].as_integer(),
            Some(2)
        );
    }

    #[test]
    fn plain_numbers_have_no_fields() {
        let e = resolve(&doc(), "business.process_cost.mode").unwrap_err();
        assert!(e.help.unwrap().contains("plain number"), "");
    }

    #[test]
    fn package_values_are_paths() {
        let mut d = doc();
        let work: Table = r#"
[[work]]
name = "w"
dimension = "fit"
gain = { dist = "pert", min = 0.1, mode = 0.2, max = 0.3 }
cost = 100
"#
        .parse()
        .unwrap();
        d.extend(work);
        let paths = valid_paths(&d);
        for p in [
            "work.w.gain.mode",
            "work.w.gain",
            "work.w.cost",
            "work.w.months",
        ] {
            assert!(paths.iter().any(|v| v == p), "{p} in {paths:?}");
        }
        assert!(!paths.iter().any(|v| v == "work.w.cost.mode"));
        let t = resolve(&d, "work.w.months").unwrap();
        assert!(t.integer() && t.arm().is_none());
        assert_eq!(current(&d, &t), Some(0.0));
        set(&mut d, &t, 2.0);
        assert_eq!(d["work"][0]["months"].as_integer(), Some(2));
        let t = resolve(&d, "work.w.gain.max").unwrap();
        set(&mut d, &t, 0.4);
        assert_eq!(d["work"][0]["gain"]["max"].as_float(), Some(0.4));
        assert!(resolve(&d, "work.v.cost").is_err());
    }

    #[test]
    fn defaults_are_current_values() {
        let t = resolve(&doc(), "arms.a.rollout.pilot_months").unwrap();
        assert_eq!(current(&doc(), &t), Some(0.0));
        assert!(t.integer());
    }
}
