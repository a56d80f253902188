//! The `[labels]` table: the client's words for incidents, customers and the value
//! channels ([`Labels`]). Every value is a non-empty string; an unknown key gets a
//! did-you-mean among the allowed ones, and the singular and plural of incidents come
//! together, so that no sentence mixes the client's word with the default.

use super::{Checker, Node};
use crate::error::InputError;
use crate::scenario::labels::{CHANNELS, Labels, NOUNS};

impl Checker {
    /// The `[labels]` table, the defaults where it gives nothing.
    pub(super) fn labels(&mut self, node: Option<&Node>) -> Labels {
        let mut labels = Labels::default();
        let Some(t) = node.and_then(|node| self.table(node, "labels")) else {
            return labels;
        };
        let allowed: Vec<&str> = NOUNS.iter().chain(CHANNELS.iter()).copied().collect();
        self.known_keys(t, "labels", &allowed, |k| match k {
            "kpi" => Some("the KPI is named in [kpi]: name = \"..\", unit = \"..\"".into()),
            "arms" | "plans" => {
                Some("a plan is named by its arm's label: label = \"..\" under [arms.NAME]".into())
            }
            _ => None,
        });
        let mut text = |key: &str| {
            let node = t.get(key)?;
            let path = format!("labels.{key}");
            let s = self.string(node, &path)?;
            if s.trim().is_empty() {
                self.err(node.span(), path, "a label cannot be empty");
                return None;
            }
            Some(s.trim().to_string())
        };
        let incident = text("incident");
        let incidents = text("incidents");
        if let Some(s) = text("customers") {
            labels.customers = s;
        }
        for (slot, key) in labels.channels.iter_mut().zip(CHANNELS) {
            *slot = text(key);
        }
        match (incident, incidents) {
            (Some(one), Some(many)) => (labels.incident, labels.incidents) = (one, many),
            (None, None) => {}
            (one, _) => self.one_without_other(t, one.is_some()),
        }
        labels
    }

    /// `incident` given without `incidents`, or the other way round.
    fn one_without_other(&mut self, t: &toml::de::DeTable, singular: bool) {
        let (given, missing, example) = if singular {
            ("incident", "incidents", "incidents = \"booking errors\"")
        } else {
            ("incidents", "incident", "incident = \"booking error\"")
        };
        let span = t.get(given).map_or(0..0, |n| n.span());
        self.errors.push(
            InputError::new(
                span,
                format!("labels.{given}"),
                format!("labels.{given} needs labels.{missing} as well: the report says both one incident and several"),
            )
            .with_help(format!("add {example}")),
        );
    }
}
