//! What a sweep varies, as the user wrote it: `--vary PATH=START:STOP:STEPS` arguments or
//! a batch file (a base scenario plus `[[vary]]` entries). This stage only checks the
//! shape of what was written and keeps the spans, so that later errors (a wrong path, a
//! value the model does not allow) can point at the exact place they came from.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::{InputError, InputErrors, did_you_mean};

/// Most values along one varied path.
pub const MAX_STEPS: usize = 1001;
/// Most varied paths in one sweep.
pub const MAX_AXES: usize = 2;
/// Significant digits kept of each generated value, so that `0.2:1:9` gives 0.3, not
/// 0.30000000000000004.
const DIGITS: usize = 12;

const BATCH_KEYS: &[&str] = &["scenario", "name", "trials", "seed", "vary"];
const VARY_KEYS: &[&str] = &["path", "from", "to", "steps", "values"];

type Node<'i> = Spanned<DeValue<'i>>;

/// The text the variations were read from, for error messages.
#[derive(Debug, Clone)]
pub struct Source {
    /// A file name, or `command line`.
    pub file: String,
    pub text: String,
}

impl Source {
    /// Wraps problems found in this source.
    pub fn errors(&self, errors: Vec<InputError>) -> InputErrors {
        InputErrors {
            file: self.file.clone(),
            source: self.text.clone(),
            errors,
        }
    }
}

/// The values one path takes.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// `steps` evenly spaced values from `from` to `to`, both included.
    Range { from: f64, to: f64, steps: usize },
    /// The values as listed, with the span of each.
    List(Vec<(f64, Range<usize>)>),
}

impl Values {
    /// The values in order.
    pub fn expand(&self) -> Vec<f64> {
        match self {
            Values::Range { from, to, steps } => (0..*steps)
                .map(|i| {
                    if i + 1 == *steps {
                        *to
                    } else {
                        tidy(from + (to - from) * i as f64 / (*steps - 1) as f64)
                    }
                })
                .collect(),
            Values::List(v) => v.iter().map(|(x, _)| *x).collect(),
        }
    }
}

/// `x` rounded to [`DIGITS`] significant digits.
fn tidy(x: f64) -> f64 {
    format!("{x:.*e}", DIGITS - 1).parse().unwrap_or(x)
}

/// One varied path as written.
#[derive(Debug, Clone, PartialEq)]
pub struct AxisSpec {
    pub path: String,
    pub path_span: Range<usize>,
    pub values: Values,
    /// The whole definition.
    pub span: Range<usize>,
}

impl AxisSpec {
    /// Where an error about value number `i` should point.
    pub fn value_span(&self, i: usize) -> Range<usize> {
        match &self.values {
            Values::List(v) => v.get(i).map_or(self.span.clone(), |(_, s)| s.clone()),
            Values::Range { .. } => self.span.clone(),
        }
    }
}

/// A batch file: a base scenario and what to vary in it.
#[derive(Debug, Clone)]
pub struct BatchSpec {
    /// The scenario file, resolved against the batch file's folder.
    pub scenario: PathBuf,
    pub scenario_span: Range<usize>,
    /// Names the output folder; the batch file's stem unless `name` is given.
    pub name: String,
    pub trials: Option<u64>,
    pub seed: Option<u64>,
    pub axes: Vec<AxisSpec>,
    pub source: Source,
}

/// Whether a TOML text is a batch file rather than a scenario: it has no `[scenario]`
/// table. Text that does not parse is treated as a scenario, whose loader explains why.
pub fn is_batch(text: &str) -> bool {
    match DeTable::parse(text) {
        Ok(root) => !matches!(
            root.get_ref().get("scenario").map(|n| n.get_ref()),
            Some(DeValue::Table(_))
        ),
        Err(_) => false,
    }
}

/// Whether `text` says it is a batch file: its top-level `scenario` names the base
/// scenario file (a scenario file has a `[scenario]` table instead). Stricter than
/// [`is_batch`], for `alignsim validate`, which must not take a broken scenario for one.
pub fn names_a_base_scenario(text: &str) -> bool {
    match DeTable::parse(text) {
        Ok(root) => matches!(
            root.get_ref().get("scenario").map(|n| n.get_ref()),
            Some(DeValue::String(_))
        ),
        Err(_) => false,
    }
}

/// Reads `--vary` arguments. In messages they appear as one `--vary ARG` per line.
///
/// # Errors
/// Every malformed argument, pointing into that text.
pub fn parse_args(args: &[String]) -> Result<(Source, Vec<AxisSpec>), InputErrors> {
    let mut text = String::new();
    let mut axes = Vec::new();
    let mut errors = Vec::new();
    for arg in args {
        let start = text.len() + "--vary ".len();
        text.push_str("--vary ");
        text.push_str(arg);
        text.push('\n');
        match parse_arg(arg, start) {
            Ok(axis) => axes.push(axis),
            Err(e) => errors.push(e),
        }
    }
    let source = Source {
        file: "command line".into(),
        text,
    };
    if args.is_empty() {
        errors.push(
            InputError::new(0..0, "", "nothing to vary")
                .with_help("add --vary PATH=START:STOP:STEPS, e.g. --vary arms.misaligned.alignment.strategic=0.2:1:9"),
        );
    }
    check_axes(&axes, &mut errors);
    if errors.is_empty() {
        Ok((source, axes))
    } else {
        Err(source.errors(errors))
    }
}

/// One `PATH=START:STOP:STEPS` or `PATH=V1,V2,...` argument starting at byte `at`.
fn parse_arg(arg: &str, at: usize) -> Result<AxisSpec, InputError> {
    let whole = at..at + arg.len();
    let Some((path, spec)) = arg.split_once('=') else {
        return Err(InputError::new(whole, "", "expected PATH=START:STOP:STEPS")
            .with_help("e.g. --vary arms.misaligned.alignment.strategic=0.2:1:9, or a list: PATH=0.2,0.5,0.8"));
    };
    let path_span = at..at + path.len();
    let spec_at = at + path.len() + 1;
    let values = if spec.contains(':') {
        parse_range(spec, spec_at)?
    } else {
        let mut list = Vec::new();
        let mut offset = spec_at;
        for item in spec.split(',') {
            let span = offset..offset + item.len();
            list.push((parse_number(item.trim(), span.clone())?, span));
            offset += item.len() + 1;
        }
        Values::List(list)
    };
    Ok(AxisSpec {
        path: path.trim().to_string(),
        path_span,
        values,
        span: whole,
    })
}

fn parse_range(spec: &str, at: usize) -> Result<Values, InputError> {
    let parts: Vec<&str> = spec.split(':').collect();
    let span = at..at + spec.len();
    let [from, to, steps] = parts.as_slice() else {
        return Err(InputError::new(span, "", format!("expected START:STOP:STEPS, got {spec:?}"))
            .with_help("STEPS is the number of values, both ends included: 0.2:1:9 gives 0.2, 0.3, .., 1"));
    };
    let steps = match steps.trim().parse::<usize>() {
        Ok(n) => n,
        Err(_) => {
            return Err(InputError::new(
                span,
                "",
                format!("STEPS must be a whole number of values, got {steps:?}"),
            ));
        }
    };
    let values = Values::Range {
        from: parse_number(from.trim(), span.clone())?,
        to: parse_number(to.trim(), span.clone())?,
        steps,
    };
    check_range(&values, span)?;
    Ok(values)
}

fn parse_number(s: &str, span: Range<usize>) -> Result<f64, InputError> {
    match s.replace('_', "").parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(InputError::new(
            span,
            "",
            format!("expected a finite number, got {s:?}"),
        )),
    }
}

/// A range needs at least two distinct ends and at most [`MAX_STEPS`] values.
fn check_range(values: &Values, span: Range<usize>) -> Result<(), InputError> {
    let Values::Range { from, to, steps } = values else {
        return Ok(());
    };
    if !(2..=MAX_STEPS).contains(steps) {
        return Err(InputError::new(
            span,
            "",
            format!(
                "steps must be from 2 to {MAX_STEPS} (the number of values, both ends included), got {steps}"
            ),
        ));
    }
    if from == to {
        return Err(
            InputError::new(span, "", format!("the range starts and ends at {from}"))
                .with_help("give two different ends, or a list of values"),
        );
    }
    Ok(())
}

/// At most two axes, no path twice, no more than [`MAX_STEPS`] listed values.
fn check_axes(axes: &[AxisSpec], errors: &mut Vec<InputError>) {
    if axes.len() > MAX_AXES {
        errors.push(InputError::new(
            axes[MAX_AXES].span.clone(),
            &axes[MAX_AXES].path,
            format!("a sweep varies one or two paths, not {}", axes.len()),
        ));
    }
    for (i, a) in axes.iter().enumerate() {
        if axes[..i].iter().any(|b| b.path == a.path) {
            errors.push(InputError::new(
                a.path_span.clone(),
                &a.path,
                "this path is already varied",
            ));
        }
        if let Values::List(v) = &a.values
            && (v.is_empty() || v.len() > MAX_STEPS)
        {
            errors.push(InputError::new(
                a.span.clone(),
                &a.path,
                format!("give from 1 to {MAX_STEPS} values, got {}", v.len()),
            ));
        }
    }
}

/// Reads a batch file. `label` names it in messages; relative scenario paths are resolved
/// against `dir`.
///
/// # Errors
/// Every problem in the file, with its line and column.
pub fn parse_batch(
    label: &str,
    stem: &str,
    text: &str,
    dir: &Path,
) -> Result<BatchSpec, InputErrors> {
    let source = Source {
        file: label.to_string(),
        text: text.to_string(),
    };
    let root = match DeTable::parse(text) {
        Ok(r) => r,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let msg = format!("TOML syntax error: {}", e.message().trim());
            let error = crate::scenario::slip::explain(text, span.start)
                .unwrap_or_else(|| InputError::new(span, "", msg));
            return Err(source.errors(vec![error]));
        }
    };
    let mut r = BatchReader::default();
    let spec = r.batch(root.get_ref(), stem, dir, source.clone());
    check_axes(&r.axes, &mut r.errors);
    match spec {
        Some(mut s) if r.errors.is_empty() => {
            s.axes = r.axes;
            Ok(s)
        }
        _ => {
            r.errors.sort_by_key(|e| e.span.start);
            Err(source.errors(r.errors))
        }
    }
}

/// Collects what a batch file says and every problem in it.
#[derive(Default)]
struct BatchReader {
    errors: Vec<InputError>,
    axes: Vec<AxisSpec>,
}

impl BatchReader {
    fn err(&mut self, span: Range<usize>, path: &str, message: impl Into<String>) {
        self.errors.push(InputError::new(span, path, message));
    }

    fn batch(
        &mut self,
        root: &DeTable,
        stem: &str,
        dir: &Path,
        source: Source,
    ) -> Option<BatchSpec> {
        self.known_keys(root, "", BATCH_KEYS);
        let name = match root.get("name") {
            Some(n) => self.string(n, "name").filter(|s| self.valid_name(s, n)),
            None => Some(stem.to_string()),
        };
        let trials = root.get("trials").and_then(|n| self.count(n, "trials", 1));
        let seed = root.get("seed").and_then(|n| self.count(n, "seed", 0));
        match root.get("vary") {
            Some(v) => self.vary(v),
            None => self.errors.push(
                InputError::new(0..0, "vary", "required: at least one [[vary]] entry")
                    .with_help("[[vary]]\npath = \"arms.misaligned.alignment.strategic\"\nfrom = 0.2\nto = 1.0\nsteps = 9"),
            ),
        }
        let Some(node) = root.get("scenario") else {
            self.errors.push(
                InputError::new(
                    0..0,
                    "scenario",
                    "required: the scenario file to vary, relative to this file",
                )
                .with_help("scenario = \"../bakery.toml\""),
            );
            return None;
        };
        let file = self.string(node, "scenario")?;
        Some(BatchSpec {
            scenario: dir.join(file),
            scenario_span: node.span(),
            name: name?,
            trials,
            seed,
            axes: Vec::new(),
            source,
        })
    }

    fn valid_name(&mut self, name: &str, node: &Node) -> bool {
        let ok = !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || "-_.".contains(c));
        if !ok {
            self.err(node.span(), "name", format!("{name:?} cannot name an output folder: use letters, digits, '-', '_' and '.', not starting with '.'"));
        }
        ok
    }

    fn known_keys(&mut self, t: &DeTable, prefix: &str, allowed: &[&str]) {
        for (key, _) in t.iter() {
            let k: &str = key.get_ref();
            if allowed.contains(&k) {
                continue;
            }
            let path = if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            };
            let mut e = InputError::new(
                key.span(),
                path,
                format!("unknown key; allowed: {}", allowed.join(", ")),
            );
            if let Some(s) = did_you_mean(k, allowed.iter().copied()) {
                e = e.with_help(format!("did you mean `{s}`?"));
            }
            self.errors.push(e);
        }
    }

    fn string(&mut self, node: &Node, path: &str) -> Option<String> {
        match node.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => {
                self.err(node.span(), path, "expected a string in quotes");
                None
            }
        }
    }

    fn number(&mut self, node: &Node, path: &str) -> Option<f64> {
        let x = match node.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(&i.as_str().replace('_', ""), i.radix())
                .ok()
                .map(|v| v as f64),
            DeValue::Float(f) => f.as_str().replace('_', "").parse::<f64>().ok(),
            _ => None,
        };
        match x {
            Some(x) if x.is_finite() => Some(x),
            _ => {
                self.err(node.span(), path, "expected a finite number");
                None
            }
        }
    }

    /// A whole number `>= lo`.
    fn count(&mut self, node: &Node, path: &str, lo: i64) -> Option<u64> {
        let v = match node.get_ref() {
            DeValue::Integer(i) => {
                i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()
            }
            _ => None,
        };
        match v {
            Some(v) if v >= lo => Some(v as u64),
            _ => {
                self.err(
                    node.span(),
                    path,
                    format!("expected a whole number >= {lo}"),
                );
                None
            }
        }
    }

    fn vary(&mut self, node: &Node) {
        let DeValue::Array(items) = node.get_ref() else {
            self.errors.push(
                InputError::new(node.span(), "vary", "expected [[vary]] tables")
                    .with_help("write one [[vary]] table per varied path"),
            );
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("vary[{i}]");
            match item.get_ref() {
                DeValue::Table(t) => {
                    if let Some(axis) = self.axis(t, item.span(), &path) {
                        self.axes.push(axis);
                    }
                }
                _ => self.err(item.span(), &path, "expected a table with path and values"),
            }
        }
        if items.is_empty() {
            self.err(node.span(), "vary", "at least one [[vary]] entry is needed");
        }
    }

    fn axis(&mut self, t: &DeTable, span: Range<usize>, at: &str) -> Option<AxisSpec> {
        self.known_keys(t, at, VARY_KEYS);
        let Some(path_node) = t.get("path") else {
            self.err(span, &format!("{at}.path"), "required: the parameter path to vary, e.g. \"arms.misaligned.alignment.strategic\"");
            return None;
        };
        let path = self.string(path_node, &format!("{at}.path"))?;
        let values = match (t.get("values"), t.get("from"), t.get("to"), t.get("steps")) {
            (Some(v), None, None, None) => self.list(v, at)?,
            (None, Some(f), Some(to), Some(s)) => {
                let from = self.number(f, &format!("{at}.from"));
                let to = self.number(to, &format!("{at}.to"));
                let steps = self.count(s, &format!("{at}.steps"), 0);
                let values = Values::Range {
                    from: from?,
                    to: to?,
                    steps: steps? as usize,
                };
                if let Err(e) = check_range(&values, span.clone()) {
                    self.errors.push(InputError {
                        path: at.to_string(),
                        ..e
                    });
                    return None;
                }
                values
            }
            _ => {
                self.errors.push(
                    InputError::new(
                        span,
                        at,
                        "give either `values = [..]` or all of `from`, `to` and `steps`",
                    )
                    .with_help("from = 0.2\nto = 1.0\nsteps = 9    # 0.2, 0.3, .., 1.0"),
                );
                return None;
            }
        };
        Some(AxisSpec {
            path,
            path_span: path_node.span(),
            values,
            span,
        })
    }

    fn list(&mut self, node: &Node, at: &str) -> Option<Values> {
        let path = format!("{at}.values");
        let DeValue::Array(items) = node.get_ref() else {
            self.err(
                node.span(),
                &path,
                "expected a list of numbers like [0.2, 0.5, 0.8]",
            );
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            out.push((self.number(item, &path)?, item.span()));
        }
        Some(Values::List(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_include_both_ends_and_read_cleanly() {
        let v = Values::Range {
            from: 0.2,
            to: 1.0,
            steps: 9,
        }
        .expand();
        assert_eq!(v, vec![0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]);
    }

    #[test]
    fn arguments_keep_their_spans() {
        let (src, axes) = parse_args(&["a.b=1,2,3".to_string()]).unwrap();
        assert_eq!(&src.text[axes[0].path_span.clone()], "a.b");
        assert_eq!(&src.text[axes[0].value_span(1)], "2");
        assert!(parse_args(&["a.b=1:2".to_string()]).is_err());
    }
}
