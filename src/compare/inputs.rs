//! Which inputs differ between two runs: their copies of the scenario file compared key by
//! key, as TOML values. A key path names a value or a distribution (an inline table with
//! `dist`), e.g. `initiative.upfront_cost` or `arms.aligned.alignment.strategic`; an
//! element of an array of tables (`[[work]]`) is named by its `name` when it has one
//! (`work[kpi].cost`), by its position otherwise (`correlation[0].rho`). Numbers compare
//! by value (`25000` equals `25000.0`); a table's keys in any order.

use std::collections::HashMap;

use anyhow::Result;
use serde::{Deserialize, Serialize};
use toml::Value;

use crate::error::UsageError;

/// One key whose value differs, or that only one file has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub key: String,
    /// The value in run A's scenario, as TOML; `None` when only B has the key.
    pub a: Option<String>,
    /// The value in run B's scenario; `None` when only A has the key.
    pub b: Option<String>,
}

/// Every key path whose value differs between scenario texts `a` and `b` (named `name_a`,
/// `name_b` in errors), in the order of `a`, then the keys only `b` has.
///
/// # Errors
/// Bad input (exit code 2) when a text is not TOML.
pub fn differences(a: (&str, &str), b: (&str, &str)) -> Result<Vec<Difference>> {
    let (la, lb) = (leaves(a)?, leaves(b)?);
    let in_b: HashMap<&str, &Value> = lb.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let in_a: HashMap<&str, &Value> = la.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut out = Vec::new();
    for (key, va) in &la {
        match in_b.get(key.as_str()) {
            Some(vb) if same(va, vb) => {}
            vb => out.push(Difference {
                key: key.clone(),
                a: Some(shown(va)),
                b: vb.map(|v| shown(v)),
            }),
        }
    }
    for (key, vb) in lb.iter().filter(|(k, _)| !in_a.contains_key(k.as_str())) {
        out.push(Difference {
            key: key.clone(),
            a: None,
            b: Some(shown(vb)),
        });
    }
    Ok(out)
}

/// The leaves of a scenario text (`(name, text)`), with their key paths, in file order.
fn leaves((name, text): (&str, &str)) -> Result<Vec<(String, Value)>> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        UsageError(format!(
            "{name} is not a TOML file: {}",
            e.message().trim_end()
        ))
    })?;
    let mut out = Vec::new();
    for (k, v) in &table {
        flatten(k.clone(), v, &mut out);
    }
    Ok(out)
}

/// Pushes `value` at `path`, or its leaves below `path`.
fn flatten(path: String, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Table(t) if !t.contains_key("dist") && !t.is_empty() => {
            for (k, v) in t {
                flatten(format!("{path}.{k}"), v, out);
            }
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_table) => {
            for (i, item) in items.iter().enumerate() {
                let id = item
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_string);
                flatten(format!("{path}[{id}]"), item, out);
            }
        }
        v => out.push((path, v.clone())),
    }
}

/// Whether two values are the same input: numbers by value, tables whatever their order.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Integer(x), Value::Float(y)) | (Value::Float(y), Value::Integer(x)) => {
            *x as f64 == *y
        }
        (Value::Table(x), Value::Table(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        _ => a == b,
    }
}

/// A value as TOML writes it inline.
fn shown(v: &Value) -> String {
    match v {
        Value::Table(t) => {
            let parts: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", shown(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        v => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(a: &str, b: &str) -> Vec<(String, Option<String>, Option<String>)> {
        differences(("a", a), ("b", b))
            .unwrap()
            .into_iter()
            .map(|d| (d.key, d.a, d.b))
            .collect()
    }

    #[test]
    fn lists_changed_added_and_removed_keys() {
        let a = "[s]\nx = 1\ny = { dist = \"pert\", min = 1, mode = 2, max = 3 }\nz = 2\n[[work]]\nname = \"kpi\"\ncost = 5\n";
        let b = "[s]\nx = 1.0\ny = { dist = \"pert\", min = 1, mode = 2, max = 4 }\nw = 3\n[[work]]\nname = \"kpi\"\ncost = 6\n";
        let got = keys(a, b);
        let want = vec![
            (
                "s.y".to_string(),
                Some("{ dist = \"pert\", min = 1, mode = 2, max = 3 }".to_string()),
                Some("{ dist = \"pert\", min = 1, mode = 2, max = 4 }".to_string()),
            ),
            ("s.z".into(), Some("2".into()), None),
            ("work[kpi].cost".into(), Some("5".into()), Some("6".into())),
            ("s.w".into(), None, Some("3".into())),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn the_same_inputs_in_another_order_do_not_differ() {
        let a = "[s]\nx = { a = 1, b = 2 }\n";
        let b = "# a comment\n[s]\nx = { b = 2, a = 1 }\n";
        assert!(keys(a, b).is_empty());
    }

    #[test]
    fn a_file_that_is_not_toml_is_named() {
        let e = differences(("run-a/scenario.toml", "x = "), ("b", "")).unwrap_err();
        assert!(e.to_string().contains("run-a/scenario.toml"), "{e}");
    }
}
