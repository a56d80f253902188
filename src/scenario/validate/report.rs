//! The `[report]` table: what a client wants every output to answer besides the model's
//! own figures. It holds `targets = ["roi >= 0.5", ..]`, each read by [`Target::parse`]
//! (a wrong one points at its string in the file), and `explain = true` (a run explains the
//! gap between its two best arms, as `run --explain`).

use toml::de::DeValue;

use super::{Checker, Node, describe};
use crate::error::InputError;
use crate::stats::targets::{self, Target};

const REPORT_KEYS: &[&str] = &["targets", "explain"];
const TARGETS_HELP: &str =
    "e.g. targets = [\"roi >= 0.5\", \"npv >= 10_000\", \"payback_month <= 18\"]";

impl Checker {
    /// The `[report]` table's targets, in file order, each once, and whether runs explain
    /// their gap (`explain`, default false).
    pub(super) fn report(&mut self, node: Option<&Node>) -> (Vec<Target>, bool) {
        let Some(t) = node.and_then(|node| self.table(node, "report")) else {
            return (Vec::new(), false);
        };
        self.known_keys(t, "report", REPORT_KEYS, |_| None);
        let targets = match t.get("targets") {
            Some(list) => self.targets(list),
            None => Vec::new(),
        };
        let explain = match t.get("explain") {
            Some(node) => match node.get_ref() {
                DeValue::Boolean(b) => *b,
                other => {
                    let message = format!("expected true or false, found {}", describe(other));
                    self.errors.push(
                        InputError::new(node.span(), "report.explain", message)
                            .with_help("e.g. explain = true"),
                    );
                    false
                }
            },
            None => false,
        };
        (targets, explain)
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
