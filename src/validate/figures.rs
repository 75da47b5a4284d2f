//! The calibration figures of MODEL.md §6 beside the model's value, each with the
//! tolerance band it must land in. Survey figures are read from the months the
//! surveys stand for: 2013 = months 3–9, 2014 = months 15–21 (month 0 = April 2013).

use super::patterns::{YEAR_2013, YEAR_2014};
use super::{Check, Estimate, Lab, window_mean};
use crate::model::Observation;
use crate::scenario::Scenario;

const STUDY_2013: &str = "[Naylor2013] King's Fund / Nuffield Trust, \"Clinical commissioning groups: supporting improvement in general practice?\" (2013)";
const STUDY_HSJ: &str = "[HSJ2013] the same study, reported in HSJ (2013)";
const STUDY_2014: &str = "[Robertson2014] King's Fund / Nuffield Trust, \"CCGs one year on\" (2014); [HolderRobertson2015]";
const ONS: &str =
    "[ONS2013] ONS mid-2012 CCG populations; [HSCIC2015] NHS practice statistics (Oct 2014)";

/// A figure check: the model's mean must lie in `[lo, hi]`.
#[allow(clippy::too_many_arguments)]
fn band(
    claim: &str,
    source: &str,
    scenario: &str,
    measure: &str,
    xs: &[f64],
    lo: f64,
    hi: f64,
    target: &str,
) -> Check {
    let estimate = Estimate::of(xs);
    Check {
        pattern: "F".into(),
        claim: claim.into(),
        source: source.into(),
        scenario: scenario.into(),
        measure: measure.into(),
        estimate,
        criterion: format!("{target}: mean within [{lo:.2}, {hi:.2}]"),
        pass: estimate.mean >= lo && estimate.mean <= hi,
    }
}

/// Every §6 figure, computed on the bundled scenarios.
pub fn figures(lab: &Lab) -> Vec<Check> {
    let (a, b) = YEAR_2013;
    let (c, d) = YEAR_2014;
    let base = lab.scenario("baseline.toml");
    let w = |s: &Scenario, from, to, f: fn(&Observation) -> f64| lab.window(s, from, to, f);
    let agree = w(&base, a, b, |o| o.ownership_agree);
    let agree_m = w(&base, a, b, |o| o.ownership_agree_members);
    let agree_l = w(&base, a, b, |o| o.ownership_agree_leaders);
    let small = w(&lab.scenario("ccg-size-small.toml"), a, b, |o| {
        o.ownership_agree
    });
    let large = w(&lab.scenario("ccg-size-large.toml"), a, b, |o| {
        o.ownership_agree
    });
    let high13 = w(&base, a, b, |o| o.highly_engaged_share);
    let high14 = w(&base, c, d, |o| o.highly_engaged_share);
    let eng13 = w(&base, a, b, |o| o.engaged_share);
    let eng14 = w(&base, c, d, |o| o.engaged_share);
    let lacking = w(&base, c, d, |o| o.leaders_lacking_support);
    let leaders_gap = Estimate::paired_difference(&agree_l, &agree_m);

    let mut out = vec![
        band(
            "Members agreeing the CCG is owned by its members, 2013: fewer than half overall",
            STUDY_2013,
            "baseline.toml",
            "share agreeing (ownership > 0.5), all practices, months 3–9",
            &agree,
            0.30,
            0.499,
            "below one half",
        ),
        band(
            "… about a third among GPs with no formal role",
            STUDY_2013,
            "baseline.toml",
            "share agreeing, members without a leadership role, months 3–9",
            &agree_m,
            0.25,
            0.41,
            "1/3 ± 0.08",
        ),
        Check {
            pattern: "F".into(),
            claim: "… leaders higher".into(),
            source: STUDY_2013.into(),
            scenario: "baseline.toml".into(),
            measure: format!(
                "share agreeing, leaders (mean {:.2}) − members without a role, months 3–9",
                Estimate::of(&agree_l).mean
            ),
            estimate: leaders_gap,
            criterion: "> 0 (95% CI above 0)".into(),
            pass: leaders_gap.above_zero(),
        },
        band(
            "Ownership agreement in the smallest case-study CCG, 2013: 56%",
            STUDY_HSJ,
            "ccg-size-small.toml (12 practices)",
            "share agreeing, all practices, months 3–9",
            &small,
            0.48,
            0.64,
            "0.56 ± 0.08",
        ),
        band(
            "Ownership agreement in the largest case-study CCG, 2013: 39%",
            STUDY_HSJ,
            "ccg-size-large.toml (120 practices)",
            "share agreeing, all practices, months 3–9",
            &large,
            0.31,
            0.47,
            "0.39 ± 0.08",
        ),
        band(
            "Respondents highly engaged, 2013: 19%",
            STUDY_2014,
            "baseline.toml",
            "highly engaged share (level 3), months 3–9",
            &high13,
            0.15,
            0.23,
            "0.19 ± 0.04",
        ),
        band(
            "Respondents highly engaged, 2014: 12%",
            STUDY_2014,
            "baseline.toml",
            "highly engaged share (level 3), months 15–21",
            &high14,
            0.08,
            0.16,
            "0.12 ± 0.04",
        ),
        band(
            "At least somewhat engaged, 2013: about 71%",
            STUDY_2014,
            "baseline.toml",
            "engaged share (level ≥ 1), months 3–9",
            &eng13,
            0.65,
            0.77,
            "0.71 ± 0.06",
        ),
        band(
            "At least somewhat engaged, 2014: about 71% (stays)",
            STUDY_2014,
            "baseline.toml",
            "engaged share (level ≥ 1), months 15–21",
            &eng14,
            0.65,
            0.77,
            "0.71 ± 0.06",
        ),
        band(
            "GP leaders with enough time, support and training, 2014: a minority",
            HOLDER_2015,
            "baseline.toml",
            "share of leaders lacking time or support (burnout > 0.5), months 15–21",
            &lacking,
            0.5,
            1.0,
            "more than half lacking",
        ),
    ];
    out.extend(england(lab));
    out
}

/// The surveys of 2015–16 stand for months 33–39 (January–July 2016), after the
/// April 2015 running-cost cut and co-commissioning of england-2013.toml.
pub const YEAR_2016: (u32, u32) = (33, 39);
/// Tolerance within which a prediction counts as a hit (the same ± 0.08 as the
/// fitted survey shares).
pub const PREDICTION_TOLERANCE: f64 = 0.08;

const ROBERTSON_2016: &str = "[Robertson2016] Robertson, Holder, Ross, Naylor, Machaqueiro, \"Clinical commissioning: GPs in charge?\" (King's Fund / Nuffield Trust, 2016)";
const PULSE_2013: &str = "[Pulse2013a] Pulse, \"Dozens of GPs quit CCG roles in first six months of commissioning\" (2013, FOI)";
const PULSE_BOARDS: &str = "[Pulse2013b] Pulse / False Economy analysis of 212 CCG boards (2013)";
const HOLDER_2015: &str = "[Holder2015] Holder, Robertson, Ross et al., \"Risk or reward? The changing role of CCGs in general practice\" (2015)";
const NUFFIELD_VOICE: &str = "[NuffieldTrust2016] Nuffield Trust, \"Has clinical commissioning found its voice? GP perspectives on their CCGs\" (2016)";

/// One england-2013 replicate's national values, each weighted over its 211 CCGs.
struct National {
    /// Per CCG-run: (practices, leadership posts, values).
    runs: Vec<(f64, f64, [f64; NATIONAL_VALUES])>,
    ccgs: usize,
}

const NATIONAL_VALUES: usize = 13;

impl National {
    fn of(lab: &Lab) -> (National, Vec<u32>) {
        let mut scn = lab.scenario("england-2013.toml");
        // Each replicate is all 211 CCGs; the fewest replicates a claim may rest on suffices.
        scn.replicates = super::MIN_REPLICATES.min(lab.replicates);
        let sizes = scn.ccg_sizes();
        let (a, b) = YEAR_2013;
        let (c, d) = YEAR_2014;
        let (e, g) = YEAR_2016;
        let runs = lab.run(&scn, |r| {
            let f = |from, to, h: fn(&Observation) -> f64| window_mean(r, from, to, h);
            let stepdowns: f64 = r.months[1..=6].iter().map(|o| o.leader_stepdowns).sum();
            (
                r.practices as f64,
                r.months[0].leader_posts,
                [
                    f(a, b, |o| o.ownership_agree),
                    f(a, b, |o| o.highly_engaged_share),
                    f(c, d, |o| o.highly_engaged_share),
                    f(a, b, |o| o.engaged_share),
                    f(c, d, |o| o.engaged_share),
                    f(a, b, |o| o.leaders_highly_engaged),
                    (stepdowns > 0.0) as u8 as f64,
                    stepdowns,
                    f(c, d, |o| o.influence_members),
                    f(e, g, |o| o.leaders_highly_engaged),
                    f(e, g, |o| o.leaders_lacking_support),
                    f(e, g, |o| o.influence_members),
                    f(c, d, |o| o.leaders_lacking_support),
                ],
            )
        });
        let ccgs = sizes.len();
        (National { runs, ccgs }, sizes)
    }

    /// Value `k` per replicate, weighted by `w(practices, posts)` over its CCGs.
    fn weighted(&self, k: usize, w: fn(f64, f64) -> f64) -> Vec<f64> {
        self.runs
            .chunks(self.ccgs)
            .map(|rep| {
                let (mut sum, mut total) = (0.0, 0.0);
                for (n, posts, v) in rep {
                    if v[k].is_finite() {
                        sum += w(*n, *posts) * v[k];
                        total += w(*n, *posts);
                    }
                }
                sum / total
            })
            .collect()
    }
    fn by_practices(&self, k: usize) -> Vec<f64> {
        self.weighted(k, |n, _| n)
    }
    fn by_leaders(&self, k: usize) -> Vec<f64> {
        self.weighted(k, |_, posts| posts)
    }
    fn by_members(&self, k: usize) -> Vec<f64> {
        self.weighted(k, |n, posts| n - posts)
    }
    fn by_ccg(&self, k: usize) -> Vec<f64> {
        self.weighted(k, |_, _| 1.0)
    }
}

/// National figures: the structure of england-2013.toml and its 2013/2014 survey
/// figures (weighted over the 211 CCGs, one value per replicate).
fn england(lab: &Lab) -> Vec<Check> {
    let (nat, sizes) = National::of(lab);
    let total: u32 = sizes.iter().sum();
    let ccgs = sizes.len() as u32;
    let posts: f64 = nat.runs[..nat.ccgs].iter().map(|r| r.1).sum::<f64>() / ccgs as f64;
    let exact = |x: f64| Estimate {
        mean: x,
        lo: x,
        hi: x,
        n: 1,
    };
    let sc = "england-2013.toml";
    vec![
        Check {
            pattern: "F".into(),
            claim: "CCGs in England, April 2013: 211".into(),
            source: ONS.into(),
            scenario: sc.into(),
            measure: "CCGs in the population".into(),
            estimate: exact(ccgs as f64),
            criterion: "= 211".into(),
            pass: ccgs == 211,
        },
        Check {
            pattern: "F".into(),
            claim: "Practices in England, Oct 2014: 7,875".into(),
            source: ONS.into(),
            scenario: sc.into(),
            measure: format!(
                "practices over all CCGs ({}–{} per CCG)",
                sizes.iter().min().unwrap_or(&0),
                sizes.iter().max().unwrap_or(&0)
            ),
            estimate: exact(total as f64),
            criterion: "7,875 ± 2%: within [7,718, 8,033]".into(),
            pass: (7718..=8033).contains(&total),
        },
        Check {
            pattern: "F".into(),
            claim:
                "GPs on CCG boards, 2013: 1,343 of 3,120 members of 212 boards, about 6.4 per CCG"
                    .into(),
            source: PULSE_BOARDS.into(),
            scenario: sc.into(),
            measure: "mean GP leadership posts per CCG (governing body + one lead per locality)"
                .into(),
            estimate: exact(posts),
            criterion: "6.4 ± 1.5: within [4.9, 7.9]".into(),
            pass: (4.9..=7.9).contains(&posts),
        },
        band(
            "England: ownership agreement, 2013: fewer than half",
            STUDY_2013,
            sc,
            "practice-weighted share agreeing, months 3–9",
            &nat.by_practices(0),
            0.30,
            0.499,
            "below one half",
        ),
        band(
            "England: highly engaged, 2013: 19%",
            STUDY_2014,
            sc,
            "practice-weighted highly engaged share, months 3–9",
            &nat.by_practices(1),
            0.15,
            0.23,
            "0.19 ± 0.04",
        ),
        band(
            "England: highly engaged, 2014: 12%",
            STUDY_2014,
            sc,
            "practice-weighted highly engaged share, months 15–21",
            &nat.by_practices(2),
            0.08,
            0.16,
            "0.12 ± 0.04",
        ),
        band(
            "England: at least somewhat engaged, 2013: about 71%",
            STUDY_2014,
            sc,
            "practice-weighted engaged share, months 3–9",
            &nat.by_practices(3),
            0.65,
            0.77,
            "0.71 ± 0.06",
        ),
        band(
            "England: at least somewhat engaged, 2014: about 71%",
            STUDY_2014,
            sc,
            "practice-weighted engaged share, months 15–21",
            &nat.by_practices(4),
            0.65,
            0.77,
            "0.71 ± 0.06",
        ),
        band(
            "GP leaders (formal CCG role) highly engaged, 2013: 83%",
            ROBERTSON_2016,
            sc,
            "post-weighted share of leaders highly engaged, months 3–9",
            &nat.by_leaders(5),
            0.75,
            0.91,
            "0.83 ± 0.08",
        ),
        band(
            "One in three CCG boards lost a GP member, April–September 2013",
            PULSE_2013,
            sc,
            "share of CCGs with at least one leader step-down, months 1–6",
            &nat.by_ccg(6),
            0.23,
            0.43,
            "1/3 ± 0.10",
        ),
        band(
            "At least 30 GP resignations across 74 CCGs, April–September 2013 (0.41 per CCG)",
            PULSE_2013,
            sc,
            "leader step-downs per CCG, months 1–6",
            &nat.by_ccg(7),
            0.41,
            1.0,
            "at least 0.41, at most 1",
        ),
        band(
            "GPs without a formal role who feel able to influence CCG decisions, 2014: 35%",
            NUFFIELD_VOICE,
            sc,
            "member-weighted share of members engaged with ownership above the influence line, months 15–21",
            &nat.by_members(8),
            0.27,
            0.43,
            "0.35 ± 0.08",
        ),
        band(
            "GP leaders with enough time, support and training, 2014: a minority",
            HOLDER_2015,
            sc,
            "post-weighted share of leaders lacking time or support, months 15–21",
            &nat.by_leaders(12),
            0.5,
            1.0,
            "more than half lacking",
        ),
    ]
}

/// A prediction: the model's national value beside an observed figure it was not
/// fitted to, a hit when the mean lies within ± [`PREDICTION_TOLERANCE`].
fn prediction(claim: &str, source: &str, measure: &str, xs: &[f64], observed: f64) -> Check {
    let estimate = Estimate::of(xs);
    let (lo, hi) = (
        observed - PREDICTION_TOLERANCE,
        observed + PREDICTION_TOLERANCE,
    );
    let mut sorted: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let range = match (sorted.first(), sorted.last()) {
        (Some(a), Some(b)) => format!("; replicates range {a:.2}–{b:.2}"),
        _ => String::new(),
    };
    Check {
        pattern: "P".into(),
        claim: claim.into(),
        source: source.into(),
        scenario: "england-2013.toml".into(),
        measure: format!("{measure}{range}"),
        estimate,
        criterion: format!("observed {observed:.2}: hit if mean within [{lo:.2}, {hi:.2}]"),
        pass: estimate.mean >= lo && estimate.mean <= hi,
    }
}

/// The 2015–16 figures of MODEL.md §8, predicted out of sample (never fitted):
/// england-2013.toml, months 33–39, after the April 2015 cut and co-commissioning.
pub fn predictions(lab: &Lab) -> Vec<Check> {
    let (nat, _) = National::of(lab);
    vec![
        prediction(
            "GP leaders highly engaged, 2016: 64%",
            ROBERTSON_2016,
            "post-weighted share of leaders highly engaged, months 33–39",
            &nat.by_leaders(9),
            0.64,
        ),
        prediction(
            "Leaders lacking the time they need, 2016: about 40%",
            ROBERTSON_2016,
            "post-weighted share of leaders lacking time or support, months 33–39",
            &nat.by_leaders(10),
            0.40,
        ),
        prediction(
            "GPs without a formal role who feel able to influence decisions, 2016: about 20%",
            NUFFIELD_VOICE,
            "member-weighted share of members able to influence, months 33–39",
            &nat.by_members(11),
            0.20,
        ),
    ]
}
