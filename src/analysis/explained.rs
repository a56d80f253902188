//! What `explain.json` holds, in one place: `alignsim explain` writes it into its own
//! folder, `alignsim run --explain` (or a scenario's `[report] explain = true`) into the
//! run folder, and a run folder's report shows it whenever the file is there.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::levers::Levers;
use super::shapley::Attribution;

/// File name of an explanation inside its folder (an explanation's or a run's).
pub const FILE: &str = "explain.json";

/// The gap between two arms attributed to what differs between them, the levers, and the
/// sentence a client reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explained {
    pub scenario: String,
    pub currency: String,
    pub trials: u64,
    pub seed: u64,
    pub levers: Levers,
    pub attribution: Attribution,
    pub sentence: String,
}

impl Explained {
    /// The explanation a folder holds for the scenario named `scenario`: none when the
    /// folder has no `explain.json`, an unreadable one, or one of another scenario.
    pub fn read(dir: &Path, scenario: &str) -> Option<Explained> {
        let text = std::fs::read_to_string(dir.join(FILE)).ok()?;
        let e: Explained = serde_json::from_str(&text).ok()?;
        (e.scenario == scenario).then_some(e)
    }
}
