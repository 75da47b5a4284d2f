//! Every model parameter in one table: its dotted path, type, default, allowed
//! range, unit and meaning. Parsing, validation, events, sweeps, the manifest and
//! the docs all read this table, so a parameter is declared exactly once.

use serde::Serialize;

/// How a parameter is written in TOML and stored in [`Params`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Float,
    Int,
    Bool,
}

/// One row of the parameter table.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// Dotted path as written in scenario files, e.g. `ccg.allowance_per_head`.
    pub path: &'static str,
    pub kind: Kind,
    pub default: f64,
    pub min: f64,
    pub max: f64,
    /// May an `[[events]]` entry change it during a run? Structural parameters
    /// (practice counts, list sizes) are fixed when the CCG is built.
    pub dynamic: bool,
    pub unit: &'static str,
    pub doc: &'static str,
    pub get: fn(&Params) -> f64,
    pub set: fn(&mut Params, f64),
}

impl Spec {
    pub fn section(&self) -> &'static str {
        self.path.split_once('.').map_or("", |(s, _)| s)
    }
    pub fn key(&self) -> &'static str {
        self.path.split_once('.').map_or(self.path, |(_, k)| k)
    }
    /// "0 to 1", "an integer from 1 to 1000", "true or false".
    pub fn allowed(&self) -> String {
        match self.kind {
            Kind::Bool => "true or false".to_string(),
            Kind::Int => format!("an integer from {} to {}", self.min, self.max),
            Kind::Float => format!("a number from {} to {}", self.min, self.max),
        }
    }
}

/// How a leader comes to leave a post besides the end of a term (`[model] leader_exit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LeaderExit {
    /// A smooth monthly quit hazard rising with burnout and workload (default).
    #[default]
    Hazard,
    /// Step down when burnout exceeds `behaviour.burnout_limit` (v1).
    Threshold,
}

/// How the sanction penalty acts on a practice (`[model] sanction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Sanction {
    /// A conditional threat: the penalty falls on non-compliers, who avoid it by
    /// complying; paying it breeds hostility but does not enter the drive (default).
    #[default]
    Conditional,
    /// The penalty adds to the financial pressure that lowers the drive (v1: it
    /// traps disengaged practices instead of deterring).
    Pressure,
}

/// Structural options where evidence cannot decide between two forms of a
/// mechanism: the `[model]` table. Fixed for a run (events cannot change them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct ModelOptions {
    pub leader_exit: LeaderExit,
    pub sanction: Sanction,
}

/// One `[model]` key: its name, allowed words (the first is the default) and meaning.
pub struct OptionSpec {
    pub key: &'static str,
    pub values: &'static [&'static str],
    pub doc: &'static str,
    pub set: fn(&mut ModelOptions, &str) -> bool,
    pub get: fn(&ModelOptions) -> &'static str,
}

/// One `OptionSpec` from the option's field, enum and (word, variant) pairs,
/// the default first.
macro_rules! option {
    ($key:literal, $field:ident, $Enum:ident, [$( ($word:literal, $variant:ident) ),+], $doc:literal) => {
        OptionSpec {
            key: $key,
            values: &[$( $word ),+],
            doc: $doc,
            set: |m, v| {
                m.$field = match v {
                    $( $word => $Enum::$variant, )+
                    _ => return false,
                };
                true
            },
            get: |m| match m.$field {
                $( $Enum::$variant => $word, )+
            },
        }
    };
}

/// The `[model]` table's keys.
pub static OPTIONS: &[OptionSpec] = &[
    option!(
        "leader_exit",
        leader_exit,
        LeaderExit,
        [("hazard", Hazard), ("threshold", Threshold)],
        "how a leader leaves mid-term: a smooth monthly quit hazard rising with burnout and workload, or stepping down when burnout passes behaviour.burnout_limit (v1)"
    ),
    option!(
        "sanction",
        sanction,
        Sanction,
        [("conditional", Conditional), ("pressure", Pressure)],
        "how the sanction penalty acts: a conditional threat that compliance avoids (the penalty paid breeds hostility), or added financial pressure that lowers the drive (v1)"
    ),
];

pub fn option_spec(key: &str) -> Option<&'static OptionSpec> {
    OPTIONS.iter().find(|o| o.key == key)
}

macro_rules! params {
    ($( $section:ident : $Section:ident { $( $field:ident : $kind:ident = $default:expr, [$min:expr, $max:expr], $dynamic:ident, $unit:expr, $doc:expr; )* } )*) => {
        /// All model parameters, grouped by scenario section.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        pub struct Params { $( pub $section: $Section, )* pub model: ModelOptions }

        $(
            #[derive(Debug, Clone, PartialEq, Serialize)]
            pub struct $Section { $( pub $field: params!(@ty $kind), )* }
        )*

        impl Default for Params {
            fn default() -> Self {
                Params { $( $section: $Section { $( $field: params!(@from $kind, $default), )* }, )* model: ModelOptions::default() }
            }
        }

        /// The parameter table, in declaration order.
        pub static SPECS: &[Spec] = &[
            $( $( Spec {
                path: concat!(stringify!($section), ".", stringify!($field)),
                kind: params!(@kind $kind),
                default: params!(@f64 $kind, $default),
                min: $min as f64,
                max: $max as f64,
                dynamic: params!(@dyn $dynamic),
                unit: $unit,
                doc: $doc,
                get: |p: &Params| params!(@to_f64 $kind, p.$section.$field),
                set: |p: &mut Params, v: f64| p.$section.$field = params!(@from $kind, v),
            }, )* )*
        ];
    };
    (@ty float) => { f64 };
    (@ty int) => { u32 };
    (@ty bool) => { bool };
    (@kind float) => { Kind::Float };
    (@kind int) => { Kind::Int };
    (@kind bool) => { Kind::Bool };
    (@dyn dynamic) => { true };
    (@dyn fixed) => { false };
    (@from float, $v:expr) => { $v as f64 };
    (@from int, $v:expr) => { $v as u32 };
    (@from bool, $v:expr) => { ($v as f64) != 0.0 };
    (@f64 float, $v:expr) => { $v as f64 };
    (@f64 int, $v:expr) => { $v as f64 };
    (@f64 bool, $v:expr) => { if $v as u8 != 0 { 1.0 } else { 0.0 } };
    (@to_f64 float, $v:expr) => { $v };
    (@to_f64 int, $v:expr) => { $v as f64 };
    (@to_f64 bool, $v:expr) => { if $v { 1.0 } else { 0.0 } };
}

// Defaults are the calibrated values recorded in docs/ODD.md.
params! {
    ccg: Ccg {
        practices: int = 40, [1, 1000], fixed, "practices", "member practices in the CCG (ignored when [population] is given)";
        localities: int = 0, [0, 100], fixed, "groups", "locality groups; 0 (default) = practices / locality_size rounded half away from zero (at least 1); practices are split into them evenly";
        locality_size: float = 10.0, [2, 100], fixed, "practices", "typical practices per locality when `localities` = 0 (real CCGs: about 8-15)";
        allowance_per_head: float = 25.0, [0, 100], dynamic, "GBP per head per year", "running-cost allowance";
        initial_credibility: float = 0.95, [0, 1], fixed, "share", "members' shared belief at month 0 that the CCG will succeed";
        launch_goodwill: float = 0.25, [-10, 10], fixed, "logit", "goodwill toward the new CCG at launch: shifts month-0 ownership, then erodes at the ownership rate";
        governing_body_gps: int = 3, [0, 100], fixed, "posts", "GP seats on the governing body; leadership posts = these + one lead per locality (at most one per practice)";
        term_months: int = 36, [1, 10000], fixed, "months", "term of a leadership post; at its end the leader stands again or leaves";
        succession_planning: float = 0.0, [0, 1], dynamic, "0-1", "strength of succession planning (0 none, 1 full): deputies make replacement faster and smoother";
        list_size_median: float = 6200.0, [100, 100000], fixed, "patients", "median practice list size (lognormal)";
        list_size_sigma: float = 0.55, [0, 2], fixed, "log-sd", "spread of practice list sizes (sd of log list size)";
        patients_per_gp: float = 1794.0, [100, 100000], fixed, "patients per FTE GP", "list size per full-time GP; a practice has max(1, list / this) GPs";
        share_conflicted: float = 0.3, [0, 1], fixed, "share", "chance a practice also provides services the CCG commissions";
    }
    constitution: Constitution {
        sanctions: float = 0.2, [0, 1], dynamic, "0-1", "sanction intensity: 0 = peer-led, 1 = draconian sanctions";
        dispute_procedure: bool = 1, [0, 1], dynamic, "yes/no", "explicit dispute procedure in the constitution (halves the threat of sanctions)";
        lmc_engagement: float = 0.5, [0, 1], dynamic, "0-1", "commitment to engage the Local Medical Committee";
        peer_review: float = 0.3, [0, 1], dynamic, "0-1", "small-group peer review of practices' work";
        face_to_face: float = 1.0, [0, 1], dynamic, "share", "share of peer review held in face-to-face meetings (the rest by paper or data alone)";
    }
    co_commissioning: CoCommissioning {
        level: int = 0, [0, 3], dynamic, "level", "co-commissioning of primary care: 0 none, 1 greater involvement, 2 joint, 3 delegated";
        lay_scrutiny: float = 0.0, [0, 1], dynamic, "0-1", "lay and independent scrutiny of conflicts of interest";
    }
    environment: Environment {
        qipp: float = 0.1, [0, 3], dynamic, "share of capacity", "QIPP work moved into general practice";
        funding_squeeze: float = 0.3, [0, 1], dynamic, "0-1", "national pressure on practice finances";
        narrative: float = 0.0, [-1, 1], dynamic, "-1..1", "standing narrative about CCGs' future (negative = failure predicted)";
        deadline_pressure: float = 0.2, [0, 1], dynamic, "0-1", "tight NHS England deadlines that crowd out members' voice";
    }
    behaviour: Behaviour {
        revision_rate: float = 0.25, [0, 1], dynamic, "per month", "chance a practice reconsiders its engagement in a month";
        ownership_rate: float = 0.1, [0, 1], dynamic, "per month", "speed at which ownership moves toward its target";
        ownership_noise: float = 0.03, [0, 0.5], dynamic, "sd", "monthly noise in ownership";
        ownership_sd: float = 1.0, [0, 5], fixed, "logit", "sd of practices' fixed dispositions toward the CCG (shift of the ownership target)";
        own_base: float = -2.9, [-20, 20], dynamic, "logit", "a0: baseline of the ownership target (posterior median, calibration/england)";
        own_voice: float = 1.85, [0, 20], dynamic, "logit", "a_v: weight of voice (posterior median)";
        own_credibility: float = 1.5, [0, 20], dynamic, "logit", "a_c: weight of credibility";
        own_peer: float = 1.0, [0, 20], dynamic, "logit", "a_p: weight of locality mean ownership";
        own_threat: float = 1.5, [0, 20], dynamic, "logit", "a_s: weight of threat (sanctions, contractual relationship)";
        own_conflict: float = 0.7, [0, 20], dynamic, "logit", "a_coi: weight of perceived conflicts of interest";
        influence_line: float = 0.39, [0, 1], dynamic, "0-1", "observation line: an engaged member with ownership above it feels able to influence the CCG (posterior median, fitted to the 2014 survey)";
        voice_base: float = 0.25, [0, 1], dynamic, "0-1", "v0: a member's voice in a reference-size CCG";
        voice_ref_practices: float = 12.0, [1, 1000], dynamic, "practices", "N_ref: CCG size at which voice equals v0";
        voice_size_exponent: float = 0.3, [0, 3], dynamic, "exponent", "gamma: how fast voice dilutes with CCG size";
        eng_ownership: float = 2.7, [0, 20], dynamic, "logit", "b_o: weight of ownership on engagement (posterior median)";
        eng_peer: float = 0.76, [0, 20], dynamic, "logit", "b_p: weight of the locality's engaged share (posterior median)";
        eng_credibility: float = 3.28, [0, 20], dynamic, "logit", "b_c: weight of credibility (posterior median)";
        eng_sanctions: float = 0.4, [0, 20], dynamic, "logit", "b_s: compliance bought by the threat of sanctions (deterrence)";
        own_penalty: float = 3.0, [0, 20], dynamic, "logit", "a_pen: hostility of a practice toward the CCG per unit of penalty it pays";
        peer_review_effect: float = 1.0, [0, 5], dynamic, "multiplier", "strength of peer review on voice and on the drive (0 removes it)";
        peer_group_size: float = 12.0, [1, 1000], dynamic, "practices", "locality size up to which peer review works fully; larger groups dilute it as size^-1";
        eng_peer_review: float = 0.5, [0, 20], dynamic, "logit", "b_pr: drive from the locality's effective peer review";
        eng_workload: float = 1.5, [0, 20], dynamic, "logit", "b_w: weight of workload above capacity";
        eng_overload: float = 3.0, [0, 50], dynamic, "logit", "b_w2: extra weight of squared overload (work beyond capacity)";
        eng_finance: float = 1.5, [0, 20], dynamic, "logit", "b_f: weight of financial pressure";
        eng_leader: float = 3.9, [0, 20], dynamic, "logit", "b_l: a leader's extra drive (posterior median)";
        eng_burnout: float = 4.0, [0, 20], dynamic, "logit", "b_b: weight of a leader's burnout";
        threshold_sd: float = 0.8, [0, 5], fixed, "logit", "sd of personal participation thresholds";
        cut_1: float = 4.25, [-20, 20], dynamic, "logit", "c1: cut point for at least somewhat engaged";
        cut_2: float = 5.1, [-20, 20], dynamic, "logit", "c2: cut point for at least moderately engaged";
        cut_3: float = 6.6, [-20, 20], dynamic, "logit", "c3: cut point for highly engaged";
        cut_scale: float = 0.15, [0.01, 10], dynamic, "logit", "tau: spread of the ordered logit";
        workload_base_sd: float = 0.1, [0, 1], fixed, "share of capacity", "spread of practices' own workload (mean 0.9)";
        workload_noise: float = 0.03, [0, 1], dynamic, "sd", "monthly noise in workload";
        capacity_exponent: float = 0.5, [0, 3], dynamic, "exponent", "how much more CCG work weighs on practices with fewer GPs: work x (4.22 / GPs)^this";
        meeting_cost: float = 0.05, [0, 1], dynamic, "share of capacity", "workload of taking part in the CCG";
        lead_cost: float = 0.15, [0, 1], dynamic, "share of capacity", "workload of a leadership role";
        finance_rate: float = 0.1, [0, 1], dynamic, "per month", "speed at which finance pressure moves toward its target";
        sanction_penalty: float = 0.4, [0, 1], dynamic, "0-1", "financial penalty on practices that do not comply (not engaged) at full sanctions";
        engagement_incentive: float = 0.1, [0, 1], dynamic, "0-1", "financial relief for engaged practices";
        functions_load: float = 0.05, [0, 1], dynamic, "per level", "support diverted to new functions per co-commissioning level";
        contractual_threat: float = 0.05, [0, 1], dynamic, "per level", "threat from a more contractual relationship per co-commissioning level";
        cocomm_investment: float = 0.05, [0, 1], dynamic, "per level", "financial relief to practices per co-commissioning level (primary-care money and services the CCG can direct)";
        coi_stall: float = 0.5, [0, 5], dynamic, "per unit conflict", "share of performance lost to decisions stalled by conflicts of interest";
        burnout_rate: float = 0.15, [0, 1], dynamic, "per month", "speed at which a leader's burnout moves toward its target";
        burnout_base: float = 0.21, [-20, 20], dynamic, "logit", "baseline of the burnout target (posterior median)";
        burnout_workload: float = 2.0, [0, 20], dynamic, "logit", "weight of a leader's workload above capacity";
        burnout_support: float = 1.0, [0, 20], dynamic, "logit", "weight of missing support (1 - S)";
        burnout_succession: float = 1.0, [0, 20], dynamic, "logit", "relief from succession planning";
        burnout_noise: float = 0.03, [0, 0.5], dynamic, "sd", "monthly noise in burnout";
        burnout_limit: float = 0.85, [0, 1], dynamic, "0-1", "burnout at which a leader steps down (leader_exit = \"threshold\" only)";
        quit_rate: float = 0.0111, [0, 1], dynamic, "per month", "q0 (posterior median): monthly quit hazard of a leader at burnout 0.5 and workload 1 (leader_exit = \"hazard\"; 0 = leaders never quit mid-term)";
        quit_burnout: float = 3.0, [0, 20], dynamic, "log-rate", "q_b: rise of the quit hazard with burnout";
        quit_workload: float = 3.0, [0, 20], dynamic, "log-rate", "q_w: rise of the quit hazard with workload above capacity";
        restand: float = 0.8, [0, 1], dynamic, "0-1", "chance a leader at the end of a term stands again, times (1 - burnout)";
        new_leader_burnout: float = 0.1, [0, 1], dynamic, "0-1", "burnout of a newly appointed leader";
        vacancy_load: float = 1.0, [0, 10], dynamic, "multiplier", "extra lead work on the remaining leaders per unit share of posts vacant";
        fill_rate: float = 0.3, [0, 1], dynamic, "per month", "chance a vacant post is offered to a candidate in a month without succession planning";
        fill_rate_succession: float = 0.9, [0, 1], dynamic, "per month", "the same with full succession planning";
        recruit_base: float = 1.5, [-20, 20], dynamic, "logit", "willingness of a candidate at full capacity to take a post";
        recruit_workload: float = 6.0, [0, 50], dynamic, "logit", "fall of willingness with the candidate's workload above capacity (the pool shrinks)";
        perf_engagement_weight: float = 0.8, [0, 1], dynamic, "share", "w_E: weight of GP engagement in performance (the rest is managerial and commissioning-support capacity)";
        perf_engagement: float = 4.0, [0.1, 10], dynamic, "exponent", "e1: steepness of the critical-mass curve of engaged share in performance";
        perf_half: float = 0.2, [0.01, 10], dynamic, "share", "h: engaged list share at which the engagement term of performance is half way (critical mass)";
        perf_support: float = 1.0, [0, 5], dynamic, "exponent", "e2: exponent of support capacity in the managerial term";
        perf_leaders: float = 0.5, [0, 5], dynamic, "exponent", "e3: weight of leadership posts filled";
        perf_noise: float = 0.02, [0, 0.5], dynamic, "sd", "monthly noise in performance";
        credibility_rate: float = 0.1, [0, 1], dynamic, "per month", "k_c: speed at which credibility follows performance";
        credibility_performance: float = 1.0, [0, 1], dynamic, "share", "w_c: weight of performance in the level credibility moves towards; the rest is members' starting belief (ccg.initial_credibility). 1 = credibility follows performance; 0 = it relaxes back to the starting belief whatever the CCG delivers (the null model of pattern 5)";
        narrative_weight: float = 0.5, [0, 1], dynamic, "per month", "credibility moved per month by a narrative of strength 1";
    }
    ccg_finance: CcgFinance {
        spend_gain: float = 0.2, [0, 5], dynamic, "share of allocation per year", "surplus per year per unit of performance above break-even (negative below: overspend)";
        breakeven: float = 0.85, [0, 1], dynamic, "0-1", "performance at which the CCG spends exactly its allocation";
        deficit_support: float = 2.0, [0, 20], dynamic, "per unit deficit", "support capacity lost per unit of cumulative deficit (share of annual allocation)";
        deficit_squeeze: float = 1.0, [0, 20], dynamic, "per unit deficit", "financial pressure passed to practices per unit of cumulative deficit";
        premium_max: float = 5.0, [0, 20], dynamic, "GBP per head", "quality premium at full performance, paid each April unless the CCG is in deficit";
        premium_relief: float = 0.1, [0, 1], dynamic, "0-1", "financial relief to practices from a full quality premium (shared with general practice)";
    }
    intervention: Intervention {
        rate: float = 0.08, [0, 1], dynamic, "per month", "chance per month that NHS England intervenes in a CCG that has failed (0 = never)";
        months: int = 12, [1, 1200], dynamic, "months", "how long an intervention (legal directions) stays in force";
        turnaround: float = 0.3, [0, 1], dynamic, "share", "a turnaround team's capacity while in force: support restored (S up to 1) and share of the improvement target it delivers itself";
        leadership_change: float = 1.0, [0, 1], dynamic, "share", "share of leaders replaced by fresh appointees when NHS England intervenes";
        threat: float = 0.5, [0, 5], dynamic, "threat units", "imposed control while in force: added to the threat that erodes ownership";
    }
    failure: Failure {
        engaged_line: float = 0.35, [0, 1], dynamic, "share", "engaged share below which a CCG is failing";
        credibility_line: float = 0.3, [0, 1], dynamic, "share", "credibility below which a CCG is failing";
        months: int = 6, [1, 1200], fixed, "months", "consecutive failing months before a CCG has failed";
    }
}

pub fn spec(path: &str) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.path == path)
}

/// Sections that hold parameters, in declaration order.
pub fn sections() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for s in SPECS {
        if !out.contains(&s.section()) {
            out.push(s.section());
        }
    }
    out
}

impl Params {
    pub fn get(&self, path: &str) -> Option<f64> {
        spec(path).map(|s| (s.get)(self))
    }
}

/// The parameter table as Markdown (docs/PARAMETERS.md is this, verbatim).
pub fn markdown_table() -> String {
    let mut out = String::from(
        "<!-- generated by `ccgsim params --markdown`; do not edit by hand -->\n# Scenario parameters\n\n\
         Every parameter a scenario file can set, with its default and allowed range. \
         \"event\" marks parameters an `[[events]]` entry may change during a run.\n",
    );
    for section in sections() {
        out.push_str(&format!("\n## [{section}]\n\n| key | type | default | allowed | unit | event | meaning |\n|---|---|---|---|---|---|---|\n"));
        for s in SPECS.iter().filter(|s| s.section() == section) {
            let default = match s.kind {
                Kind::Bool => (s.default != 0.0).to_string(),
                _ => s.default.to_string(),
            };
            let allowed = match s.kind {
                Kind::Bool => "true/false".to_string(),
                _ => format!("{} – {}", s.min, s.max),
            };
            out.push_str(&format!(
                "| `{}` | {:?} | {} | {} | {} | {} | {} |\n",
                s.key(),
                s.kind,
                default,
                allowed,
                s.unit,
                if s.dynamic { "yes" } else { "no" },
                s.doc
            ));
        }
    }
    out.push_str("\n## [model]\n\nStructural options (words, not numbers); fixed for a run.\n\n| key | default | allowed | meaning |\n|---|---|---|---|\n");
    for o in OPTIONS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            o.key,
            o.values[0],
            o.values.join(", "),
            o.doc
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_lie_in_their_ranges_and_round_trip() {
        let p = Params::default();
        for s in SPECS {
            let v = (s.get)(&p);
            assert!(
                v >= s.min && v <= s.max,
                "{} default {v} outside range",
                s.path
            );
            assert_eq!(v, s.default, "{}", s.path);
            let mut q = p.clone();
            (s.set)(&mut q, v);
            assert_eq!(q, p, "{}", s.path);
        }
    }

    #[test]
    fn paths_are_unique() {
        for (i, a) in SPECS.iter().enumerate() {
            assert!(
                SPECS[i + 1..].iter().all(|b| b.path != a.path),
                "{}",
                a.path
            );
        }
    }
}
