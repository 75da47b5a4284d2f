//! The mutation suite: each entry removes one mechanism of the model through
//! parameter overrides (or `[model]` switches), given exactly as a user would
//! give them to `ccgsim validate --set`, and names the check that must catch
//! it. `tests/it/mutations.rs` runs `ccgsim validate` with each and asserts exit
//! code 1 with that check failing; the unmutated model must exit 0.

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
}

impl Mutation {
    /// The command line that reproduces this mutation.
    pub fn command(&self) -> String {
        let sets: Vec<String> = self.sets.iter().map(|s| format!("--set {s}")).collect();
        format!("ccgsim validate {}", sets.join(" "))
    }
}

/// Every mutation of the suite (issue #14), one mechanism each.
pub const MUTATIONS: &[Mutation] = &[
    Mutation {
        name: "sanctions-keep-ownership",
        removes: "sanctions don't erode ownership (threat has no weight in the ownership target)",
        sets: &["behaviour.own_threat=0"],
        caught_by: "4",
    },
    Mutation {
        name: "no-voice-dilution",
        removes: "a member's voice does not fall with CCG size",
        sets: &["behaviour.voice_size_exponent=0"],
        caught_by: "2",
    },
    Mutation {
        name: "credibility-frozen",
        removes: "credibility never moves toward performance (only a narrative moves it)",
        sets: &["behaviour.credibility_rate=0"],
        caught_by: "5",
    },
    Mutation {
        name: "credibility-ignores-performance",
        removes: "credibility follows a performance that engagement does not move",
        sets: &["behaviour.perf_engagement=0.1", "behaviour.perf_half=10"],
        caught_by: "5",
    },
    Mutation {
        name: "no-burnout",
        removes: "leaders never burn out (burnout target pinned near 0)",
        sets: &[
            "behaviour.burnout_base=-20",
            "behaviour.burnout_workload=0",
            "behaviour.burnout_support=0",
        ],
        caught_by: "3",
    },
    Mutation {
        name: "no-sanction-penalty",
        removes: "sanctions carry no financial penalty",
        sets: &["behaviour.sanction_penalty=0"],
        caught_by: "4",
    },
    Mutation {
        name: "no-overload-convexity",
        removes: "the response to work beyond capacity is linear",
        sets: &["behaviour.eng_overload=0"],
        caught_by: "9",
    },
    Mutation {
        name: "no-peer-effects",
        removes: "the locality's ownership and engagement do not move a practice",
        sets: &["behaviour.eng_peer=0", "behaviour.own_peer=0"],
        caught_by: "5",
    },
    Mutation {
        name: "sanctions-buy-no-compliance",
        removes: "sanctions add nothing to the drive to engage",
        sets: &["behaviour.eng_sanctions=0"],
        caught_by: "4",
    },
    Mutation {
        name: "leaders-never-step-down",
        removes: "no leader leaves a post",
        sets: &["behaviour.burnout_limit=1"],
        caught_by: "3",
    },
    Mutation {
        name: "posts-never-refilled",
        removes: "vacant leadership posts stay empty",
        sets: &["behaviour.fill_rate=0", "behaviour.fill_rate_succession=0"],
        caught_by: "3",
    },
];
