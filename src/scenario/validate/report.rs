//! The `[report]` table: what a client wants every output to answer besides the model's
//! own figures, `targets = ["roi >= 0.5", ..]`, each read by [`Target::parse`] (a wrong
//! one points at its string in the file); who the report is for and by: `client`,
//! `author` and `logo` (an image path, read when the scenario is loaded from its file);
//! and `explain = true` (a run explains the gap between its two best arms, as
//! `run --explain`).

use toml::de::DeValue;

use super::{Checker, Node, describe};
use crate::error::InputError;
use crate::scenario::logo::accepted_name;
use crate::scenario::{Byline, Logo};
use crate::stats::targets::{self, Target};

const REPORT_KEYS: &[&str] = &["targets", "client", "author", "logo", "explain"];
const TARGETS_HELP: &str =
    "e.g. targets = [\"roi >= 0.5\", \"npv >= 10_000\", \"payback_month <= 18\"]";

impl Checker {
    /// The `[report]` table's targets, in file order, each once, its byline, and whether
    /// runs explain their gap (`explain`, default false).
    pub(super) fn report(&mut self, node: Option<&Node>) -> (Vec<Target>, Byline, bool) {
        let Some(t) = node.and_then(|node| self.table(node, "report")) else {
            return (Vec::new(), Byline::default(), false);
        };
        self.known_keys(t, "report", REPORT_KEYS, |_| None);
        let targets = match t.get("targets") {
            Some(list) => self.targets(list),
            None => Vec::new(),
        };
        let mut text = |key: &str| {
            let node = t.get(key)?;
            self.string(node, &format!("report.{key}"))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let byline = Byline {
            client: text("client"),
            author: text("author"),
            logo: t.get("logo").and_then(|node| self.logo(node)),
        };
        let explain = t.get("explain").is_some_and(|node| self.explain(node));
        (targets, byline, explain)
    }

    /// `logo = "PATH"`: a PNG, JPEG or SVG file name; the image is read later, beside the
    /// scenario file.
    fn logo(&mut self, node: &Node) -> Option<Logo> {
        let path = self.string(node, "report.logo")?;
        if !accepted_name(&path) {
            self.err(
                node.span(),
                "report.logo",
                format!("{path:?} is not a PNG, JPEG or SVG file name (.png, .jpg, .jpeg or .svg)"),
            );
            return None;
        }
        Some(Logo {
            path,
            span: node.span(),
            image: None,
        })
    }

    /// `explain = true` or `false`.
    fn explain(&mut self, node: &Node) -> bool {
        match node.get_ref() {
            DeValue::Boolean(b) => *b,
            other => {
                let message = format!("expected true or false, found {}", describe(other));
                self.errors.push(
                    InputError::new(node.span(), "report.explain", message)
                        .with_help("e.g. explain = true"),
                );
                false
            }
        }
    }

    fn targets(&mut self, node: &Node) -> Vec<Target> {
        let path = "report.targets";
        let DeValue::Array(items) = node.get_ref() else {
            let message = format!(
                "expected a list of target strings, found {}",
                describe(node.get_ref())
            );
            self.errors
                .push(InputError::new(node.span(), path, message).with_help(TARGETS_HELP));
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let Some(text) = self.string(item, path) else {
                continue;
            };
            match Target::parse(&text) {
                Ok(t) => targets::extend_unique(&mut out, [t]),
                Err(e) => {
                    let mut err = InputError::new(item.span(), path, e.message);
                    err.help = e.help;
                    self.errors.push(err);
                }
            }
        }
        out
    }
}
