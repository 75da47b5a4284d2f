//! The mutation suite: each entry removes one mechanism of the model through
//! parameter overrides (or `[model]` switches), given exactly as a user would
//! give them to `ccgsim validate --set`, and names the check that must catch
//! it. `tests/it/mutations.rs` runs `ccgsim validate` with each and asserts exit
//! code 1 with that check failing; the unmutated model must exit 0.

/// Replicates per experiment in the mutation suite: enough power for the
/// weakest counted effect (pattern 9's equal-load contrast, about −0.03 with a
/// 95% half-width near 0.02 at this count), at about five seconds per
/// `validate` on two cores.
pub const MUTATION_REPLICATES: u32 = 60;

/// One mechanism removed.
#[derive(Debug, Clone, Copy)]
pub struct Mutation {
    /// Short name, e.g. `no-voice-dilution`.
    pub name: &'static str,
    /// The mechanism removed, in words.
    pub removes: &'static str,
    /// `path=value` overrides, as for `ccgsim validate --set`.
    pub sets: &'static [&'static str],
    /// The table id of the check that must fail: "1" … "9" (a behavioural check
    /// of that pattern), "N2"/"N5"/"N9" (a null-model contrast) or "F" (a
    /// calibration figure).
    pub caught_by: &'static str,
    /// Whether the last measured run (at [`MUTATION_REPLICATES`]) caught it
    /// with that check. `false` marks a mechanism not identified by the data
    /// (docs/ODD.md §9): the suite fails on it until a mechanism or a documented
    /// figure identifies it (never by loosening a check).
    pub caught: bool,
    /// For a mutation not caught: why no documented figure or pattern
    /// separates it, with the measurements (empty when caught).
    pub why: &'static str,
}

impl Mutation {
    /// The command line that reproduces this mutation.
    pub fn command(&self) -> String {
        let sets: Vec<String> = self.sets.iter().map(|s| format!("--set {s}")).collect();
        format!(
            "ccgsim validate --replicates {MUTATION_REPLICATES} {}",
            sets.join(" ")
        )
    }
}

/// Every mutation of the suite (issue #14), one mechanism each: the v1 list of
/// the issue and one for each v2 mechanism (docs/ODD.md §10 names the parameter
/// or switch that removes it).
pub const MUTATIONS: &[Mutation] = &[
    Mutation {
        name: "sanctions-keep-ownership",
        removes: "sanctions don't erode ownership (neither the threat nor the penalty paid lowers the ownership target)",
        sets: &["behaviour.own_threat=0", "behaviour.own_penalty=0"],
        caught_by: "4",
        caught: true,
        why: "",
    },
    Mutation {
        name: "no-voice-dilution",
        removes: "a member's voice does not fall with CCG size",
        sets: &["behaviour.voice_size_exponent=0"],
        caught_by: "2",
        caught: true,
        why: "",
    },
    Mutation {
        name: "credibility-frozen",
        removes: "credibility never moves (neither performance nor a narrative moves it)",
        sets: &[
            "behaviour.credibility_rate=0",
            "behaviour.narrative_weight=0",
        ],
        caught_by: "5",
        caught: true,
        why: "",
    },
    Mutation {
        name: "credibility-ignores-performance",
        removes: "credibility does not follow performance (only a narrative moves it)",
        sets: &["behaviour.credibility_rate=0"],
        caught_by: "5",
        caught: true,
        why: "",
    },
    Mutation {
        name: "no-burnout",
        removes: "leaders never burn out (burnout stays at a new leader's level)",
        sets: &["behaviour.burnout_rate=0", "behaviour.burnout_noise=0"],
        caught_by: "6",
        caught: true,
        why: "",
    },
    Mutation {
        name: "no-peer-review",
        removes: "peer review has no effect on voice or drive",
        sets: &["behaviour.peer_review_effect=0"],
        caught_by: "7",
        caught: true,
        why: "",
    },
    Mutation {
        name: "peer-review-not-small-groups",
        removes: "peer review works the same in any group size and without face-to-face meetings",
        sets: &[
            "behaviour.peer_group_size=1000",
            "constitution.face_to_face=1",
        ],
        caught_by: "7",
        caught: true,
        why: "",
    },
    Mutation {
        name: "no-sanction-penalty",
        removes: "sanctions carry no financial penalty",
        sets: &["behaviour.sanction_penalty=0"],
        caught_by: "4",
        caught: true,
        why: "",
    },
    Mutation {
        name: "sanction-as-pressure",
        removes: "the penalty traps instead of deterring (v1: it adds to the financial pressure that lowers the drive)",
        sets: &["model.sanction=pressure"],
        caught_by: "4",
        caught: false,
        why: "the v1 trap and the conditional threat agree in sign and nearly in size on every documented consequence (pattern 4, sanction-heavy − peer-led: short-run engaged share +0.080 against +0.089, ownership −0.275 against −0.269, engaged share under stress −0.194 against −0.170); no figure measures whether penalised practices re-engage. With the hand-tuned v1 defaults it was caught only by the earlier null model of pattern 5, which cut a different loop",
    },
    Mutation {
        name: "no-overload-convexity",
        removes: "no convex response to work beyond capacity (no squared overload in the drive, no exponential rise of the quit hazard with workload)",
        sets: &["behaviour.eng_overload=0", "behaviour.quit_workload=0"],
        caught_by: "9",
        caught: true,
        why: "",
    },
    Mutation {
        name: "no-peer-effects",
        removes: "the locality's ownership and engagement do not move a practice",
        sets: &["behaviour.eng_peer=0", "behaviour.own_peer=0"],
        caught_by: "5",
        caught: true,
        why: "",
    },
    Mutation {
        name: "sanctions-buy-no-compliance",
        removes: "sanctions add nothing to the drive to engage",
        sets: &["behaviour.eng_sanctions=0"],
        caught_by: "4",
        caught: true,
        why: "",
    },
    Mutation {
        name: "leaders-never-step-down",
        removes: "no leader leaves a post (no quits, no end of term, no leadership change)",
        sets: &[
            "behaviour.quit_rate=0",
            "ccg.term_months=10000",
            "intervention.leadership_change=0",
        ],
        caught_by: "3",
        caught: true,
        why: "",
    },
    Mutation {
        name: "leader-exit-threshold",
        removes: "leaders leave only past a burnout threshold (v1), not by a smooth hazard",
        sets: &["model.leader_exit=threshold"],
        caught_by: "3",
        caught: true,
        why: "",
    },
    Mutation {
        name: "posts-never-refilled",
        removes: "vacant leadership posts stay empty",
        sets: &["behaviour.fill_rate=0", "behaviour.fill_rate_succession=0"],
        caught_by: "3",
        caught: true,
        why: "",
    },
    Mutation {
        name: "recruitment-ignores-workload",
        removes: "the pool of willing candidates does not shrink when workload is high",
        sets: &["behaviour.recruit_workload=0"],
        caught_by: "6",
        caught: false,
        why: "under the cut mean workload rises by only 0.013, which moves a candidate's willingness by about 0.08 logit; posts stay vacant longer under the cut with or without it (pattern 6, months a post stays vacant, cut − baseline: +1.08 [0.49, 1.68] with it, +1.02 [0.33, 1.71] without, 60 replicates) because fewer members are engaged enough to stand. The shrinking pool of recruits [HolderRobertson2015] is carried by both mechanisms and no figure separates them",
    },
    Mutation {
        name: "vacancies-load-no-one",
        removes: "vacant posts add nothing to the remaining leaders' load",
        sets: &["behaviour.vacancy_load=0"],
        caught_by: "3",
        caught: false,
        why: "at the model's vacancy levels (0.73 of about 7 posts vacant without succession planning) it moves the share of leaders lacking time or support by less than 0.001 (0.6123 with it, 0.6129 without, months 1–60, 100 replicates); succession planning's direct relief of burnout carries the documented link between missing succession planning and leaders lacking time [HolderRobertson2015]",
    },
    Mutation {
        name: "no-succession-effect",
        removes: "succession planning neither speeds replacement nor relieves burnout",
        sets: &[
            "behaviour.fill_rate_succession=0.2",
            "behaviour.burnout_succession=0",
        ],
        caught_by: "3",
        caught: true,
        why: "",
    },
    Mutation {
        name: "no-intervention",
        removes: "NHS England never intervenes in a failed CCG",
        sets: &["intervention.rate=0"],
        caught_by: "5",
        caught: true,
        why: "",
    },
    Mutation {
        name: "no-co-commissioning-benefit",
        removes: "co-commissioning brings no primary-care money or services into general practice",
        sets: &["behaviour.cocomm_investment=0"],
        caught_by: "8",
        caught: true,
        why: "",
    },
    Mutation {
        name: "no-conflict-stall",
        removes: "conflicts of interest do not stall decisions",
        sets: &["behaviour.coi_stall=0"],
        caught_by: "8",
        caught: true,
        why: "",
    },
    Mutation {
        name: "performance-ignores-support",
        removes: "performance depends on GP engagement only, not on managerial and commissioning support",
        sets: &["behaviour.perf_engagement_weight=1"],
        caught_by: "5",
        caught: true,
        why: "",
    },
    Mutation {
        name: "no-ccg-finance",
        removes: "the CCG's balance never moves (no deficit, no deficit cuts)",
        sets: &["ccg_finance.spend_gain=0"],
        caught_by: "6",
        caught: true,
        why: "",
    },
    Mutation {
        name: "no-quality-premium",
        removes: "no quality premium",
        sets: &["ccg_finance.premium_max=0"],
        caught_by: "5",
        caught: true,
        why: "",
    },
    Mutation {
        name: "no-gp-capacity",
        removes: "small practices have as much slack for CCG work as large ones",
        sets: &["behaviour.capacity_exponent=0"],
        caught_by: "F",
        caught: false,
        why: "GP numbers per practice are an input from NHS statistics (1,794 patients per FTE GP), not a behaviour: removing the slack penalty moves GP leaders highly engaged in 2013 from 0.850 to 0.870 and the share of CCGs losing a GP leader from 0.390 to 0.354, inside both figures' tolerances; no documented figure is broken down by practice size",
    },
    Mutation {
        name: "fixed-localities",
        removes: "four localities whatever the CCG's size (v1) instead of about ten practices each",
        sets: &["ccg.localities=4"],
        caught_by: "N2",
        caught: true,
        why: "",
    },
];
