//! The parameters of the model (MODEL.md section 2): their symbols, the scenario section
//! and key each lives under, their domains, plausible ranges and defaults. Validation
//! reads this table to know what a file may say (and what it probably did not mean); the
//! engine reads it to know where each value goes.

use std::fmt;

/// The scenario sections that hold model parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Business,
    Initiative,
    Rollout,
    Kpi,
    Effects,
    Alignment,
}

impl Section {
    pub const fn name(self) -> &'static str {
        match self {
            Section::Business => "business",
            Section::Initiative => "initiative",
            Section::Rollout => "rollout",
            Section::Kpi => "kpi",
            Section::Effects => "effects",
            Section::Alignment => "alignment",
        }
    }

    /// Whether an arm may override this section's keys (`[arms.NAME.initiative]` ...).
    pub const fn per_arm(self) -> bool {
        matches!(
            self,
            Section::Initiative | Section::Rollout | Section::Alignment
        )
    }
}

/// The set of values a parameter may take. Bounds may be open or closed; `integer` keys are
/// rounded half away from zero after sampling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Domain {
    pub lo: f64,
    pub lo_open: bool,
    pub hi: f64,
    pub hi_open: bool,
    pub integer: bool,
}

impl Domain {
    pub const REAL: Domain = Domain::new(f64::NEG_INFINITY, false, f64::INFINITY, false);
    pub const NON_NEG: Domain = Domain::new(0.0, false, f64::INFINITY, false);
    pub const POSITIVE: Domain = Domain::new(0.0, true, f64::INFINITY, false);
    pub const UNIT: Domain = Domain::new(0.0, false, 1.0, false);
    pub const UNIT_OPEN_HI: Domain = Domain::new(0.0, false, 1.0, true);
    pub const UNIT_OPEN_LO: Domain = Domain::new(0.0, true, 1.0, false);
    pub const ABOVE_MINUS_ONE: Domain = Domain::new(-1.0, true, f64::INFINITY, false);
    pub const FROM_MINUS_ONE: Domain = Domain::new(-1.0, false, f64::INFINITY, false);
    /// Month counts: whole numbers from 0 to 1200 (100 years, twice the longest horizon).
    pub const MONTHS: Domain = Domain {
        lo: 0.0,
        lo_open: false,
        hi: 1200.0,
        hi_open: false,
        integer: true,
    };

    /// Live months before the first review: whole numbers from 1 to 1200.
    pub const GRACE: Domain = Domain {
        lo: 1.0,
        ..Domain::MONTHS
    };

    pub const fn new(lo: f64, lo_open: bool, hi: f64, hi_open: bool) -> Domain {
        Domain {
            lo,
            lo_open,
            hi,
            hi_open,
            integer: false,
        }
    }

    pub fn contains(&self, x: f64) -> bool {
        let above = if self.lo_open {
            x > self.lo
        } else {
            x >= self.lo
        };
        let below = if self.hi_open {
            x < self.hi
        } else {
            x <= self.hi
        };
        above && below && (!self.integer || x.fract() == 0.0)
    }

    /// Whether a closed interval `[a, b]` of a continuous distribution's support stays in
    /// the domain. An endpoint may touch an open bound: it has probability zero, and a draw
    /// that lands exactly there is clamped.
    pub fn contains_support(&self, a: f64, b: f64) -> bool {
        a >= self.lo && b <= self.hi
    }

    /// The nearest value inside the domain, and whether `x` had to move.
    #[inline]
    pub fn clamp(&self, x: f64) -> (f64, bool) {
        let x = if self.integer {
            crate::special::round_half_away(x)
        } else {
            x
        };
        if x < self.lo || (self.lo_open && x <= self.lo) {
            let lo = if self.lo_open {
                self.lo.next_up()
            } else {
                self.lo
            };
            let lo = if self.integer { lo.ceil() } else { lo };
            return (lo, true);
        }
        if x > self.hi || (self.hi_open && x >= self.hi) {
            let hi = if self.hi_open {
                self.hi.next_down()
            } else {
                self.hi
            };
            let hi = if self.integer { hi.floor() } else { hi };
            return (hi, true);
        }
        (x, false)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.integer {
            "a whole number"
        } else {
            "a number"
        };
        match (self.lo.is_finite(), self.hi.is_finite()) {
            (false, false) => write!(f, "{what}"),
            (true, false) => write!(
                f,
                "{what} {} {}",
                if self.lo_open { ">" } else { ">=" },
                self.lo
            ),
            (false, true) => write!(
                f,
                "{what} {} {}",
                if self.hi_open { "<" } else { "<=" },
                self.hi
            ),
            (true, true) => write!(
                f,
                "{what} in {}{}, {}{}",
                if self.lo_open { "(" } else { "[" },
                self.lo,
                self.hi,
                if self.hi_open { ")" } else { "]" }
            ),
        }
    }
}

macro_rules! symbols {
    ($($sym:ident = ($section:ident, $key:literal, $domain:expr, $default:expr)),* $(,)?) => {
        /// Every model parameter, one per symbol of MODEL.md section 2.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(u8)]
        pub enum Sym { $($sym),* }

        /// The definition of every parameter, indexed by `Sym as usize`.
        pub const PARAMS: &[ParamDef] = &[
            $(ParamDef { sym: Sym::$sym, section: Section::$section, key: $key, domain: $domain, default: $default }),*
        ];
    };
}

/// A model parameter: where it lives in the file, what it may be, its default.
#[derive(Debug, Clone, Copy)]
pub struct ParamDef {
    pub sym: Sym,
    pub section: Section,
    pub key: &'static str,
    pub domain: Domain,
    /// `None` means required.
    pub default: Option<f64>,
}

impl ParamDef {
    /// The parameter's path, such as `initiative.upfront_cost`; also its random stream's key.
    pub fn path(&self) -> String {
        format!("{}.{}", self.section.name(), self.key)
    }
}

symbols! {
    MonthlyRevenue = (Business, "monthly_revenue", Domain::POSITIVE, None),
    RevenueGrowth = (Business, "revenue_growth", Domain::ABOVE_MINUS_ONE, None),
    GrossMargin = (Business, "gross_margin", Domain::UNIT, None),
    ProcessCost = (Business, "process_cost", Domain::NON_NEG, None),
    UpfrontCost = (Initiative, "upfront_cost", Domain::NON_NEG, None),
    CostOverrun = (Initiative, "cost_overrun", Domain::NON_NEG, None),
    BuildMonths = (Initiative, "build_months", Domain::MONTHS, None),
    MonthlyCost = (Initiative, "monthly_cost", Domain::NON_NEG, None),
    LabourSaving = (Initiative, "labour_saving", Domain::UNIT, None),
    RevenueUplift = (Initiative, "revenue_uplift", Domain::FROM_MINUS_ONE, None),
    AdoptionCeiling = (Initiative, "adoption_ceiling", Domain::UNIT_OPEN_LO, None),
    AdoptionP = (Initiative, "adoption_p", Domain::POSITIVE, None),
    AdoptionQ = (Initiative, "adoption_q", Domain::NON_NEG, None),
    IncidentRate = (Initiative, "incident_rate", Domain::NON_NEG, None),
    IncidentCost = (Initiative, "incident_cost", Domain::NON_NEG, None),
    IncidentChurn = (Initiative, "incident_churn", Domain::UNIT_OPEN_HI, None),
    Erosion = (Initiative, "erosion", Domain::UNIT_OPEN_HI, None),
    AbandonHazard = (Initiative, "abandon_hazard", Domain::UNIT, None),
    DiscoveryRate = (Initiative, "discovery_rate", Domain::NON_NEG, Some(0.0)),
    DiscoveryValue = (Initiative, "discovery_value", Domain::NON_NEG, Some(0.0)),
    PilotMonths = (Rollout, "pilot_months", Domain::MONTHS, Some(0.0)),
    PilotScale = (Rollout, "pilot_scale", Domain::UNIT_OPEN_LO, Some(1.0)),
    PilotUpfrontShare = (Rollout, "pilot_upfront_share", Domain::UNIT, Some(1.0)),
    GateNoise = (Rollout, "gate_noise", Domain::NON_NEG, Some(0.0)),
    ReviewMonths = (Rollout, "review_months", Domain::MONTHS, Some(0.0)),
    ReviewGrace = (Rollout, "review_grace", Domain::GRACE, Some(6.0)),
    ReviewFloor = (Rollout, "review_floor", Domain::REAL, Some(0.0)),
    ReviewNoise = (Rollout, "review_noise", Domain::NON_NEG, Some(0.25)),
    KpiBaseline = (Kpi, "baseline", Domain::REAL, None),
    KpiChange = (Kpi, "change", Domain::FROM_MINUS_ONE, None),
    KpiValuePerUnit = (Kpi, "value_per_unit", Domain::REAL, Some(0.0)),
    WUplift = (Effects, "uplift", Domain::NON_NEG, Some(0.8)),
    WLabour = (Effects, "labour", Domain::NON_NEG, Some(0.5)),
    WOverrun = (Effects, "overrun", Domain::NON_NEG, Some(1.0)),
    WDelay = (Effects, "delay", Domain::NON_NEG, Some(1.0)),
    WSilo = (Effects, "silo", Domain::NON_NEG, Some(0.3)),
    WCeiling = (Effects, "ceiling", Domain::NON_NEG, Some(0.5)),
    WSpeed = (Effects, "speed", Domain::NON_NEG, Some(0.5)),
    WIncidents = (Effects, "incidents", Domain::NON_NEG, Some(2.0)),
    WTrust = (Effects, "trust", Domain::NON_NEG, Some(1.5)),
    WNoise = (Effects, "noise", Domain::NON_NEG, Some(3.0)),
    WAbandon = (Effects, "abandon", Domain::NON_NEG, Some(2.0)),
    WDiscovery = (Effects, "discovery", Domain::NON_NEG, Some(1.0)),
    Strategic = (Alignment, "strategic", Domain::UNIT, None),
    Fit = (Alignment, "fit", Domain::UNIT, None),
    Culture = (Alignment, "culture", Domain::UNIT, None),
    Measurement = (Alignment, "measurement", Domain::UNIT, None),
    Integration = (Alignment, "integration", Domain::UNIT, None),
    Ethics = (Alignment, "ethics", Domain::UNIT, None),
}

/// The values a parameter plausibly takes. A value outside is allowed (the domain decides
/// that) but is probably a slip, such as a percentage written as a whole number; a fixed
/// value or a distribution's centre outside the range is warned about. Each range is
/// listed in the "Plausible ranges" section of docs/scenario-reference.md.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plausible {
    /// No range beyond the domain: shares and scores (already within [0, 1]) and amounts in
    /// units only the file knows (the KPI's baseline, the monthly revenue itself).
    Any,
    /// Between `lo` and `hi`, both included; `reading` says what a value means.
    Range { lo: f64, hi: f64, reading: Reading },
    /// An amount of money of magnitude at most `times` the monthly revenue (its centre).
    Revenue { times: f64, reading: Reading },
    /// The KPI's monthly value at full adoption, `|value_per_unit × baseline × change|`, at
    /// most `times` the monthly revenue.
    KpiValue { times: f64 },
}

/// What a value of a parameter means, so that a warning can say it in words and suggest
/// what was probably meant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    /// A rate per month, compounding (`3` is 300 % a month).
    MonthlyRate,
    /// A rate per year (`9` is 900 % a year).
    AnnualRate,
    /// A fraction, worded by the template with `{}` for the percentage (`"a {} overrun"`).
    Percent(&'static str),
    /// A number of months, of what the text says (`"of building"`).
    Months(&'static str),
    /// A count per month, of what the text says (`"incidents"`).
    PerMonth(&'static str),
    /// A weight of an alignment effect.
    Weight,
    /// An amount paid or earned every month.
    MonthlyAmount,
    /// An amount paid once.
    OneOffAmount,
}

const fn range(lo: f64, hi: f64, reading: Reading) -> Plausible {
    Plausible::Range { lo, hi, reading }
}

/// Effect weights: the defaults are 0.3 to 3.
const WEIGHT: Plausible = range(0.0, 10.0, Reading::Weight);
/// One-off costs: at most five years of revenue.
const ONE_OFF: Plausible = Plausible::Revenue {
    times: 60.0,
    reading: Reading::OneOffAmount,
};
/// Monthly amounts: at most the monthly revenue.
const MONTHLY: Plausible = Plausible::Revenue {
    times: 1.0,
    reading: Reading::MonthlyAmount,
};

/// `scenario.horizon_months`: half a year to 20 years.
pub const HORIZON_PLAUSIBLE: Plausible = range(6.0, 240.0, Reading::Months(""));
/// `scenario.discount_rate_annual`: 0 to 30 % a year.
pub const DISCOUNT_PLAUSIBLE: Plausible = range(0.0, 0.3, Reading::AnnualRate);

impl Sym {
    /// The parameter's plausible range (every symbol has one, if only [`Plausible::Any`]).
    pub const fn plausible(self) -> Plausible {
        use Reading::{Months, PerMonth, Percent};
        match self {
            Sym::MonthlyRevenue | Sym::KpiBaseline => Plausible::Any,
            Sym::RevenueGrowth => range(-0.03, 0.03, Reading::MonthlyRate),
            Sym::GrossMargin | Sym::LabourSaving | Sym::AdoptionCeiling => Plausible::Any,
            Sym::ProcessCost | Sym::MonthlyCost | Sym::DiscoveryValue => MONTHLY,
            Sym::UpfrontCost => ONE_OFF,
            Sym::IncidentCost => Plausible::Revenue {
                times: 12.0,
                reading: Reading::OneOffAmount,
            },
            Sym::CostOverrun => range(0.0, 3.0, Percent("a {} overrun")),
            Sym::BuildMonths => range(0.0, 36.0, Months(" of building")),
            Sym::RevenueUplift => range(-0.5, 1.0, Percent("a {} change in revenue")),
            Sym::AdoptionP => range(0.0, 1.0, Percent("{} of the process starting a month")),
            Sym::AdoptionQ => range(0.0, 3.0, Percent("{} a month by imitation")),
            Sym::IncidentRate => range(0.0, 100.0, PerMonth("incidents")),
            Sym::IncidentChurn => {
                range(0.0, 0.05, Percent("{} of the customers lost per incident"))
            }
            Sym::Erosion => range(0.0, 0.05, Percent("{} of the revenue base lost a month")),
            Sym::AbandonHazard => range(
                0.0,
                0.2,
                Percent("a {} chance a month of dropping the project"),
            ),
            Sym::DiscoveryRate => range(0.0, 1.0, PerMonth("discoveries")),
            Sym::PilotMonths => range(0.0, 24.0, Months(" of pilot")),
            Sym::PilotScale | Sym::PilotUpfrontShare => Plausible::Any,
            Sym::GateNoise | Sym::ReviewNoise => range(0.0, 2.0, Percent("a {} measurement error")),
            Sym::ReviewMonths => range(0.0, 24.0, Months(" between reviews")),
            Sym::ReviewGrace => range(1.0, 36.0, Months(" before the first review")),
            Sym::ReviewFloor => MONTHLY,
            Sym::KpiChange => range(-1.0, 5.0, Percent("a {} change in the KPI")),
            Sym::KpiValuePerUnit => Plausible::KpiValue { times: 1.0 },
            Sym::WUplift | Sym::WLabour | Sym::WOverrun | Sym::WDelay | Sym::WSilo => WEIGHT,
            Sym::WCeiling | Sym::WSpeed | Sym::WIncidents | Sym::WTrust => WEIGHT,
            Sym::WNoise | Sym::WAbandon | Sym::WDiscovery => WEIGHT,
            Sym::Strategic | Sym::Fit | Sym::Culture => Plausible::Any,
            Sym::Measurement | Sym::Integration | Sym::Ethics => Plausible::Any,
        }
    }
}

/// The six alignment scores, in table order: the dimensions a work package may raise.
pub const ALIGNMENT: [Sym; 6] = [
    Sym::Strategic,
    Sym::Fit,
    Sym::Culture,
    Sym::Measurement,
    Sym::Integration,
    Sym::Ethics,
];

/// The numbers of a `[[work]]` package (MODEL.md section 8.3), each a number or a
/// distribution drawn once per trial and shared by every arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkField {
    /// Added to the package's alignment score (the sum over an arm's packages is capped
    /// so that the score stays at most 1).
    Gain,
    /// Paid at month 0.
    Cost,
    /// Months the package takes; packages run side by side.
    Months,
}

impl WorkField {
    pub const ALL: [WorkField; 3] = [WorkField::Gain, WorkField::Cost, WorkField::Months];

    pub const fn key(self) -> &'static str {
        match self {
            WorkField::Gain => "gain",
            WorkField::Cost => "cost",
            WorkField::Months => "months",
        }
    }

    pub const fn domain(self) -> Domain {
        match self {
            WorkField::Gain | WorkField::Cost => Domain::NON_NEG,
            WorkField::Months => Domain::MONTHS,
        }
    }

    /// The value's plausible range: a gain of at most 1 (scores stop at 1), a cost of at
    /// most five years of revenue, at most two years of work.
    pub const fn plausible(self) -> Plausible {
        match self {
            WorkField::Gain => range(0.0, 1.0, Reading::Percent("a gain of {} of the score")),
            WorkField::Cost => ONE_OFF,
            WorkField::Months => range(0.0, 24.0, Reading::Months(" of work")),
        }
    }

    /// The value a package takes when it leaves the key out (`None`: required). Months
    /// default to 0: the package delays nothing.
    pub const fn default(self) -> Option<f64> {
        match self {
            WorkField::Gain | WorkField::Cost => None,
            WorkField::Months => Some(0.0),
        }
    }

    /// The value's path, `work.NAME.KEY`; also its random stream's key.
    pub fn path(self, package: &str) -> String {
        format!("work.{package}.{}", self.key())
    }
}

/// Number of model parameters.
pub const NSYM: usize = PARAMS.len();

impl Sym {
    pub fn def(self) -> &'static ParamDef {
        &PARAMS[self as usize]
    }
}

/// The parameter definitions of one section, in table order.
pub fn section_params(section: Section) -> impl Iterator<Item = &'static ParamDef> {
    PARAMS.iter().filter(move |d| d.section == section)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_symbol() {
        for (i, d) in PARAMS.iter().enumerate() {
            assert_eq!(d.sym as usize, i);
        }
    }

    #[test]
    fn clamping_respects_open_bounds() {
        let (x, moved) = Domain::UNIT_OPEN_HI.clamp(1.5);
        assert!(moved && x < 1.0 && x > 0.999_999);
        assert_eq!(
            Domain::POSITIVE.clamp(-3.0).0,
            f64::MIN_POSITIVE * 0.0 + 0.0f64.next_up()
        );
        assert_eq!(Domain::MONTHS.clamp(2.5), (3.0, false));
        assert_eq!(Domain::MONTHS.clamp(-2.5), (0.0, true));
        assert_eq!(Domain::UNIT.clamp(0.3), (0.3, false));
    }

    #[test]
    fn domains_describe_themselves() {
        assert_eq!(Domain::UNIT_OPEN_LO.to_string(), "a number in (0, 1]");
        assert_eq!(Domain::NON_NEG.to_string(), "a number >= 0");
        assert_eq!(Domain::MONTHS.to_string(), "a whole number in [0, 1200]");
    }
}
