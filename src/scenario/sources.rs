//! Where each number of a scenario comes from, in the scenario author's words: the comment
//! written beside a key (`upfront_cost = 16000  # vendor quote`) or in the block of comment
//! lines directly above it. The report's assumptions table and the spreadsheet show it as the
//! assumption's source.
//!
//! The values themselves are read by the validator; this module reads only the comments,
//! with a format-preserving parser, so that a comment can never change a result.

use std::collections::BTreeMap;

use toml_edit::{DocumentMut, Item, Key, Table, Value};

/// The source comment of each key, by its dotted path from the file's root as written
/// (`business.monthly_revenue`, `arms.aligned.scores.strategic`); an entry of an array of
/// tables is named by its `name` key (`work.order_kpi.cost`) or, without one, by its
/// position (`correlation.0.pair`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sources(BTreeMap<String, String>);

impl Sources {
    /// The comments of a scenario's text; none at all when the text does not parse (the
    /// validator reports why).
    pub fn read(text: &str) -> Sources {
        let mut out = BTreeMap::new();
        if let Ok(doc) = text.parse::<DocumentMut>() {
            walk(doc.as_table(), "", None, &mut out);
        }
        Sources(out)
    }

    /// The source comment of the key at `path`, if its author wrote one.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.0.get(path).map(String::as_str)
    }

    /// Every key that has a source comment, with it, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Collects the comments of every key below `table`. `inherited` is the comment block of
/// the dotted key that leads here (`initiative.upfront_cost = ..` puts the line's comments
/// on its first part).
fn walk(
    table: &Table,
    prefix: &str,
    inherited: Option<String>,
    out: &mut BTreeMap<String, String>,
) {
    let mut inherited = inherited;
    for (name, item) in table.iter() {
        let path = join(prefix, name);
        let above = table
            .key(name)
            .and_then(above_key)
            .or_else(|| inherited.take());
        match item {
            Item::Table(t) if t.is_dotted() => walk(t, &path, above, out),
            // A comment above a `[table]` header speaks of the table, not its first key.
            Item::Table(t) => walk(t, &path, None, out),
            Item::ArrayOfTables(tables) => {
                for (i, t) in tables.iter().enumerate() {
                    let entry = match t.get("name").and_then(Item::as_str) {
                        Some(n) => join(&path, n),
                        None => join(&path, &i.to_string()),
                    };
                    walk(t, &entry, None, out);
                }
            }
            Item::Value(v) => {
                let beside = comment_block(v.decor().suffix());
                if let Some(text) = joined(above, beside) {
                    inline(v, &path, &text, out);
                    out.insert(path, text);
                }
            }
            Item::None => {}
        }
    }
}

/// Gives every key of an inline table of settings (`alignment = { strategic = .., .. }`,
/// `initiative = { upfront_cost = { dist = .. }, .. }`) the comment of the line that holds
/// it; a distribution's own parameters are not settings of their own.
fn inline(v: &Value, path: &str, text: &str, out: &mut BTreeMap<String, String>) {
    let Value::InlineTable(t) = v else { return };
    if t.contains_key("dist") {
        return;
    }
    for (name, inner) in t.iter() {
        let inner_path = join(path, name);
        inline(inner, &inner_path, text, out);
        out.insert(inner_path, text.to_string());
    }
}

/// The comment block written on the lines directly above a key.
fn above_key(key: &Key) -> Option<String> {
    comment_block(key.leaf_decor().prefix())
}

/// The text of the last block of comment lines in a decor (lines after the last blank
/// line), each line's `#` and surrounding blanks removed, joined with spaces.
fn comment_block(raw: Option<&toml_edit::RawString>) -> Option<String> {
    let raw = raw?.as_str()?;
    let mut block: Vec<&str> = Vec::new();
    for line in raw.lines() {
        let line = line.trim();
        match line.strip_prefix('#') {
            Some(text) => block.push(text.trim()),
            None if line.is_empty() => block.clear(),
            None => {}
        }
    }
    let text = block
        .into_iter()
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    (!text.is_empty()).then_some(text)
}

/// The comment above and the one beside, in that order.
fn joined(above: Option<String>, beside: Option<String>) -> Option<String> {
    match (above, beside) {
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (a, b) => a.or(b),
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beside_above_dotted_and_arrays() {
        let text = r#"# File header, not a source.

[scenario]
horizon_months = 36  # three years

[business]
# Revenue of a single shop,
# assumed.
monthly_revenue = 40000

# An old note, cut off by a blank line.

gross_margin = 0.6   # from the books

[arms.a]
# Vendor quote.
initiative.upfront_cost = 1000
scores = { strategic = 0.8 }  # workshop
rollout = { pilot = { dist = "pert", min = 1, mode = 2, max = 3 } }  # quote

[[work]]
name = "kpi"
cost = 500  # two days

[[correlation]]
# Big shops pay more.
rho = 0.5
"#;
        let s = Sources::read(text);
        assert_eq!(s.get("scenario.horizon_months"), Some("three years"));
        assert_eq!(
            s.get("business.monthly_revenue"),
            Some("Revenue of a single shop, assumed.")
        );
        assert_eq!(s.get("business.gross_margin"), Some("from the books"));
        assert_eq!(
            s.get("arms.a.initiative.upfront_cost"),
            Some("Vendor quote.")
        );
        assert_eq!(s.get("arms.a.scores"), Some("workshop"));
        assert_eq!(s.get("arms.a.scores.strategic"), Some("workshop"));
        assert_eq!(s.get("arms.a.rollout.pilot"), Some("quote"));
        assert_eq!(s.get("arms.a.rollout.pilot.min"), None);
        assert_eq!(s.get("work.kpi.cost"), Some("two days"));
        assert_eq!(s.get("correlation.0.rho"), Some("Big shops pay more."));
        assert_eq!(s.get("scenario.seed"), None);
        assert_eq!(s.iter().count(), 10);
    }

    #[test]
    fn unparsable_text_has_no_sources() {
        assert_eq!(Sources::read("a = "), Sources::default());
    }
}
