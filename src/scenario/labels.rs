//! The client's words (`[labels]`): what the model calls incidents and customers, and the
//! names of the value channels, as the report, the tables and the charts write them. The
//! defaults are neutral, so a scenario that sets none reads for any business; the shipped
//! bakery sets its own words in its file. A plan's name in the client's words is the arm's
//! `label` ([`super::Arm::label`]), the KPI's the `[kpi]` `name` and `unit`.

/// Channels of the value breakdown (MODEL.md section 3), in their order there: the names
/// the engine keys its contributions by and the `[labels]` keys that rename them. Model v2
/// added the last two.
pub const CHANNELS: [&str; 10] = [
    "uplift",
    "customers_lost",
    "labour",
    "kpi_value",
    "running_cost",
    "incident_cost",
    "upfront",
    "scale_up",
    "discoveries",
    "preparation",
];

/// The `[labels]` keys that name a thing of the model rather than a channel.
pub const NOUNS: [&str; 3] = ["incident", "incidents", "customers"];

/// The words a report uses for the model's things, the file's where it gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct Labels {
    /// One incident, e.g. "booking error" (default "incident").
    pub incident: String,
    /// Incidents, e.g. "booking errors" (default "incidents").
    pub incidents: String,
    /// The people whose business the project can win or lose, e.g. "clients" (default
    /// "customers").
    pub customers: String,
    /// Channel names the file gives, indexed like [`CHANNELS`].
    pub channels: [Option<String>; CHANNELS.len()],
}

impl Default for Labels {
    fn default() -> Labels {
        Labels {
            incident: "incident".into(),
            incidents: "incidents".into(),
            customers: "customers".into(),
            channels: Default::default(),
        }
    }
}

impl Labels {
    /// The name of the channel `name` (one of [`CHANNELS`]): the file's, else a neutral
    /// default in the file's nouns; `kpi` is the KPI's name, when the scenario has one.
    pub fn channel(&self, name: &str, kpi: Option<&str>) -> String {
        let given = CHANNELS
            .iter()
            .position(|c| *c == name)
            .and_then(|i| self.channels[i].clone());
        given.unwrap_or_else(|| match name {
            "uplift" => "Extra sales".into(),
            "customers_lost" => format!("{} lost", capitalised(&self.customers)),
            "labour" => "Labour saved".into(),
            "kpi_value" => kpi.map_or_else(|| "KPI value".into(), |k| format!("KPI: {k}")),
            "running_cost" => "Running costs".into(),
            "incident_cost" => format!("Cost of {}", self.incidents),
            "upfront" => "Upfront payment".into(),
            "scale_up" => "Scale-up payment".into(),
            "discoveries" => "Uses found along the way".into(),
            "preparation" => "Preparation".into(),
            other => other.replace('_', " "),
        })
    }
}

/// `text` with its first letter in upper case, for the start of a sentence or a row.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_neutral_and_follow_the_nouns() {
        let mut l = Labels::default();
        assert_eq!(l.channel("customers_lost", None), "Customers lost");
        assert_eq!(l.channel("kpi_value", Some("CSAT")), "KPI: CSAT");
        l.customers = "clients".into();
        l.incidents = "booking errors".into();
        l.channels[0] = Some("Extra fee income".into());
        assert_eq!(l.channel("customers_lost", None), "Clients lost");
        assert_eq!(l.channel("incident_cost", None), "Cost of booking errors");
        assert_eq!(l.channel("uplift", None), "Extra fee income");
    }
}
