//! The preparation catalogue (MODEL.md section 8.3): the `[[work]]` packages, each raising
//! one alignment score before the project starts, and the `prepare` list by which an arm
//! names the packages it does. A package's gain, cost and months are read like any
//! parameter: a number or a distribution, checked against [`WorkField::domain`] and, for
//! the cost, the one-off amount limit [`MAX_AMOUNT`], and warned about outside
//! [`WorkField::plausible`].

use std::ops::Range;

use toml::de::{DeTable, DeValue};

use super::{Checker, MAX_AMOUNT, Node, describe, join};
use crate::dist::Dist;
use crate::error::{InputError, did_you_mean, line_col};
use crate::scenario::Work;
use crate::scenario::schema::{ALIGNMENT, Sym, WorkField};

/// Most packages one catalogue may hold: a preparation plan simulates every subset of the
/// catalogue, 2^20 (about a million) at 20.
pub const MAX_WORK: usize = 20;
/// Longest package name, in characters.
pub const MAX_WORK_NAME_LEN: usize = 64;
const WORK_KEYS: &[&str] = &["name", "label", "dimension", "gain", "cost", "months"];
const WORK_HELP: &str =
    "[[work]]\nname = \"data_cleanup\"\ndimension = \"fit\"\ngain = 0.2\ncost = 2500\nmonths = 1";

impl Checker {
    /// The `[[work]]` catalogue, in file order. `text` is the file, to say on which line a
    /// duplicated name was first used.
    pub(super) fn work(&mut self, node: Option<&Node>, text: &str) -> Vec<Work> {
        let Some(node) = node else {
            return Vec::new();
        };
        let DeValue::Array(entries) = node.get_ref() else {
            let message = format!(
                "expected [[work]] packages, found {}",
                describe(node.get_ref())
            );
            self.errors.push(
                InputError::new(node.span(), "work", message)
                    .with_help(format!("write each package as a [[work]] table (two brackets), one per package:\n{WORK_HELP}")),
            );
            return Vec::new();
        };
        if let Some(extra) = entries.get(MAX_WORK) {
            self.err(extra.span(), format!("work[{MAX_WORK}]"), format!(
                "at most {MAX_WORK} work packages, got {}: a preparation plan simulates every subset of the catalogue",
                entries.len()
            ));
        }
        // (package, its index in the file, the span of its name)
        let mut out: Vec<(Work, usize, Range<usize>)> = Vec::new();
        for (i, entry) in entries.iter().enumerate() {
            let Some((w, span)) = self.work_entry(i, entry) else {
                continue;
            };
            if let Some((_, j, first)) = out.iter().find(|(o, _, _)| o.name == w.name) {
                let (line, _) = line_col(text, first.start);
                self.err(span, format!("work[{i}].name"), format!(
                    "{:?} is already the name of work[{j}] (line {line}): package names must be unique",
                    w.name
                ));
                continue;
            }
            out.push((w, i, span));
        }
        out.into_iter().map(|(w, _, _)| w).collect()
    }

    /// Package `i` and the span of its name, when it has a valid name. A package with an
    /// invalid dimension or value is still returned, with a stand-in that never leaves
    /// validation (its error is reported), so that arms naming it are not told it is missing.
    fn work_entry(&mut self, i: usize, entry: &Node) -> Option<(Work, Range<usize>)> {
        let at = format!("work[{i}]");
        let t = self.table(entry, &at)?;
        let name = self.work_name(t, entry.span(), &at);
        let prefix = name
            .as_ref()
            .map_or_else(|| at.clone(), |(n, _)| format!("work.{n}"));
        self.known_keys_in(t, &prefix, "in a [[work]] package", WORK_KEYS, |_| None);
        let label = t
            .get("label")
            .and_then(|l| self.string(l, &join(&prefix, "label")));
        let dimension = self.dimension(t, entry.span(), &prefix);
        let values = WorkField::ALL.map(|f| {
            self.work_value(t, f, entry.span(), &prefix)
                .unwrap_or(Dist::Fixed(f64::NAN))
        });
        let (name, span) = name?;
        let work = Work {
            label: label.unwrap_or_else(|| name.clone()),
            name,
            dimension: dimension.unwrap_or(Sym::Strategic),
            values,
        };
        Some((work, span))
    }

    /// The package's name and its span: required, `[a-z0-9_]+`, at most
    /// [`MAX_WORK_NAME_LEN`] characters.
    fn work_name(
        &mut self,
        t: &DeTable,
        span: Range<usize>,
        at: &str,
    ) -> Option<(String, Range<usize>)> {
        let path = join(at, "name");
        let Some(node) = t.get("name") else {
            self.errors.push(
                InputError::new(span, path, format!(
                    "required: name, unique among the packages ([a-z0-9_]+, at most {MAX_WORK_NAME_LEN} characters); arms name it in prepare = [..]"
                ))
                .with_help("e.g. name = \"data_cleanup\""),
            );
            return None;
        };
        let name = self.string(node, &path)?;
        let len = name.chars().count();
        if len > MAX_WORK_NAME_LEN {
            self.err(node.span(), path, format!(
                "the package name is {len} characters long; a package name has at most {MAX_WORK_NAME_LEN}"
            ));
            return None;
        }
        if !valid_work_name(&name) {
            let mut e = InputError::new(
                node.span(),
                path,
                format!("{name:?} is not a package name: use lowercase letters, digits and '_'"),
            );
            let tidy: String = name
                .to_lowercase()
                .chars()
                .map(|c| if valid_work_char(c) { c } else { '_' })
                .collect();
            if valid_work_name(&tidy) {
                e = e.with_help(format!("e.g. name = {tidy:?}"));
            }
            self.errors.push(e);
            return None;
        }
        Some((name, node.span()))
    }

    /// The alignment score the package raises: required, one of [`ALIGNMENT`].
    fn dimension(&mut self, t: &DeTable, span: Range<usize>, prefix: &str) -> Option<Sym> {
        let path = join(prefix, "dimension");
        let keys: Vec<&str> = ALIGNMENT.iter().map(|s| s.def().key).collect();
        let Some(node) = t.get("dimension") else {
            self.err(
                span,
                path,
                format!(
                    "required: dimension, the alignment score the package raises: one of {}",
                    keys.join(", ")
                ),
            );
            return None;
        };
        let d = self.string(node, &path)?;
        if let Some(sym) = ALIGNMENT.iter().find(|s| s.def().key == d) {
            return Some(*sym);
        }
        let mut e = InputError::new(
            node.span(),
            path,
            format!("unknown dimension {d:?}; allowed: {}", keys.join(", ")),
        );
        if let Some(s) = did_you_mean(&d, keys.iter().copied()) {
            e = e.with_help(format!("did you mean \"{s}\"?"));
        }
        self.errors.push(e);
        None
    }

    /// One of the package's values: a number or a distribution in the field's domain (the
    /// field's default when the key is left out and it has one).
    fn work_value(
        &mut self,
        t: &DeTable,
        field: WorkField,
        span: Range<usize>,
        prefix: &str,
    ) -> Option<Dist> {
        let path = join(prefix, field.key());
        let Some(node) = t.get(field.key()) else {
            if field.default().is_none() {
                let message = format!(
                    "required: {}, {} or a distribution",
                    field.key(),
                    field.domain()
                );
                self.err(span, path, message);
            }
            return field.default().map(Dist::Fixed);
        };
        let before = self.errors.len();
        let d = self.param_value(node, &path)?;
        self.check_domain(&d, field.domain(), node.span(), &path);
        if field == WorkField::Cost && self.errors.len() == before {
            let why = "the largest amount the model adds up";
            self.check_reach(&d, MAX_AMOUNT, why, node.span(), &path);
        }
        let ok = self.errors.len() == before;
        if ok {
            self.plausible(&d, field.plausible(), node.span(), &path);
        }
        ok.then_some(d)
    }

    /// An arm's `prepare` list at `path`: the indices into `work` of the packages it names,
    /// ascending.
    pub(super) fn prepare(&mut self, node: &Node, path: &str, work: &[Work]) -> Vec<usize> {
        let DeValue::Array(items) = node.get_ref() else {
            let message = format!(
                "expected a list of [[work]] package names, found {}",
                describe(node.get_ref())
            );
            self.errors.push(
                InputError::new(node.span(), path, message)
                    .with_help("e.g. prepare = [\"data_cleanup\", \"staff_training\"]"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let Some(name) = self.string(item, path) else {
                continue;
            };
            match work.iter().position(|w| w.name == name) {
                Some(i) if out.contains(&i) => {
                    self.err(item.span(), path, format!("{name:?} is listed twice"));
                }
                Some(i) => out.push(i),
                None => self.unknown_package(item.span(), path, &name, work),
            }
        }
        out.sort_unstable();
        out
    }

    /// Reports a `prepare` entry that names no package of the catalogue.
    fn unknown_package(&mut self, span: Range<usize>, path: &str, name: &str, work: &[Work]) {
        if work.is_empty() {
            let message =
                format!("no package named {name:?}: this scenario has no [[work]] packages");
            self.errors
                .push(InputError::new(span, path, message).with_help(format!(
                    "describe each package in a [[work]] table:\n{WORK_HELP}"
                )));
            return;
        }
        let names: Vec<&str> = work.iter().map(|w| w.name.as_str()).collect();
        let mut e = InputError::new(
            span,
            path,
            format!(
                "no [[work]] package named {name:?}; the packages are {}",
                names.join(", ")
            ),
        );
        if let Some(s) = did_you_mean(name, names.iter().copied()) {
            e = e.with_help(format!("did you mean \"{s}\"?"));
        }
        self.errors.push(e);
    }
}

/// The value of the package at `path` (`work.NAME.KEY`), if `work` has one there.
pub(super) fn value_at<'a>(work: &'a [Work], path: &str) -> Option<&'a Dist> {
    let (name, key) = path.strip_prefix("work.")?.rsplit_once('.')?;
    let field = WorkField::ALL.into_iter().find(|f| f.key() == key)?;
    work.iter().find(|w| w.name == name).map(|w| w.value(field))
}

/// The paths of every package's values, in catalogue order.
pub(super) fn paths(work: &[Work]) -> impl Iterator<Item = String> + '_ {
    work.iter()
        .flat_map(|w| WorkField::ALL.map(|f| f.path(&w.name)))
}

fn valid_work_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'
}

fn valid_work_name(n: &str) -> bool {
    !n.is_empty() && n.chars().all(valid_work_char)
}
