//! The nine patterns of MODEL.md §5, each as paired experiments on the bundled
//! scenarios. Paired scenarios share a seed, so replicate r of one and replicate
//! r of the other draw the same practices and random numbers (common random
//! numbers); the effect is the mean paired difference with its 95% t-interval.

use super::{Check, Estimate, Lab, window_mean};
use crate::engine::RunRecord;
use crate::model::Observation;
use crate::scenario::{NarrativeShock, Scenario};

pub const SEED_000: &str =
    "[Rosen2012] Rosen (Nuffield Trust, 2012), \"GP and CCG relations: what are the challenges?\"";
pub const SEED_001: &str =
    "[White2013] White (OnMedica, 2013), \"Many GPs disengaged from work of their local CCGs\"";
pub const SEED_002: &str = "[Naylor2013BMJ] Naylor (The BMJ Opinion, 2013), \"Why we cannot afford to be pessimistic about CCGs\"";
pub const SEED_003: &str =
    "[Alessi2012] Alessi (Pulse, 2012), \"Should CCGs performance manage GP practices? Yes\"";
pub const SEED_004: &str = "[HolderRobertson2015] Holder & Robertson (HSJ, 2015), \"How CCGs can make co-commissioning work\"";

/// Months of the run that stand for the 2013 and 2014 surveys and the end of the run.
pub const YEAR_2013: (u32, u32) = (3, 9);
pub const YEAR_2014: (u32, u32) = (15, 21);
pub const END: (u32, u32) = (54, 60);

/// Engaged share at or above which a CCG counts as "high" in pattern 5.
pub const HIGH_LINE: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Positive,
    Negative,
}

/// A paired difference `a − b` that must lie wholly on one side of zero.
#[allow(clippy::too_many_arguments)]
fn paired(
    pattern: impl ToString,
    claim: &str,
    source: &str,
    scenario: &str,
    measure: &str,
    a: &[f64],
    b: &[f64],
    dir: Direction,
) -> Check {
    let estimate = Estimate::paired_difference(a, b);
    let (criterion, pass) = match dir {
        Direction::Positive => ("> 0 (95% CI above 0)", estimate.above_zero()),
        Direction::Negative => ("< 0 (95% CI below 0)", estimate.below_zero()),
    };
    Check {
        pattern: pattern.to_string(),
        claim: claim.into(),
        source: source.into(),
        scenario: scenario.into(),
        measure: measure.into(),
        estimate,
        criterion: criterion.into(),
        pass,
    }
}

/// A mean that must lie wholly above (`above = true`) or below a line.
#[allow(clippy::too_many_arguments)]
fn against_line(
    pattern: impl ToString,
    claim: &str,
    source: &str,
    scenario: &str,
    measure: &str,
    xs: &[f64],
    line: f64,
    above: bool,
) -> Check {
    let estimate = Estimate::of(xs);
    let (criterion, pass) = if above {
        (format!("> {line} (95% CI above)"), estimate.lo > line)
    } else {
        (format!("< {line} (95% CI below)"), estimate.hi < line)
    };
    Check {
        pattern: pattern.to_string(),
        claim: claim.into(),
        source: source.into(),
        scenario: scenario.into(),
        measure: measure.into(),
        estimate,
        criterion,
        pass,
    }
}

fn col(f: fn(&Observation) -> f64) -> fn(&Observation) -> f64 {
    f
}

/// The checks of pattern `n` (1–9).
pub fn pattern(lab: &Lab, n: u8) -> Vec<Check> {
    match n {
        1 => pattern_1(lab),
        2 => pattern_2(lab),
        3 => pattern_3(lab),
        4 => pattern_4(lab),
        5 => pattern_5(lab),
        6 => pattern_6(lab),
        7 => pattern_7(lab),
        8 => pattern_8(lab),
        9 => pattern_9(lab),
        _ => panic!("there are nine patterns; asked for {n}"),
    }
}

/// Pattern 1: Leaders report more ownership than ordinary members.
///
/// A leader's voice is 1 by definition, so the ownership gap itself follows from
/// the inputs and is only a labelled sanity check. What counts is a consequence
/// that depends on behaviour: leaders are more often highly engaged than the
/// practices around them (ownership feeding engagement must outweigh the extra
/// workload and burnout of the role), in 2013 and still in 2014.
fn pattern_1(lab: &Lab) -> Vec<Check> {
    let claim = "Leaders report more ownership than ordinary members";
    let source = format!("{SEED_001}; {SEED_002}");
    let scn = lab.scenario("baseline.toml");
    let (a, b) = YEAR_2013;
    let (c, d) = YEAR_2014;
    let rows = lab.run(&scn, |r| {
        [
            window_mean(r, a, b, |o| o.ownership_leaders),
            window_mean(r, a, b, |o| o.ownership_members),
            window_mean(r, a, b, |o| o.ownership_agree_leaders),
            window_mean(r, a, b, |o| o.ownership_agree_members),
            window_mean(r, a, b, |o| o.leaders_highly_engaged),
            window_mean(r, a, b, |o| o.highly_engaged_share),
            window_mean(r, c, d, |o| o.leaders_highly_engaged),
            window_mean(r, c, d, |o| o.highly_engaged_share),
        ]
    });
    let pick = |k: usize| -> Vec<f64> { rows.iter().map(|p| p[k]).collect() };
    vec![
        paired(
            1,
            claim,
            &source,
            "baseline.toml",
            "highly engaged share, leaders − all practices, months 3–9",
            &pick(4),
            &pick(5),
            Direction::Positive,
        ),
        paired(
            1,
            claim,
            &source,
            "baseline.toml",
            "highly engaged share, leaders − all practices, months 15–21",
            &pick(6),
            &pick(7),
            Direction::Positive,
        ),
        paired(
            "S1",
            claim,
            &source,
            "baseline.toml",
            "sanity (leaders' voice is 1 by definition): mean ownership, leaders − members, months 3–9",
            &pick(0),
            &pick(1),
            Direction::Positive,
        ),
        paired(
            "S1",
            claim,
            &source,
            "baseline.toml",
            "sanity (leaders' voice is 1 by definition): share agreeing the CCG is members' own, leaders − members, months 3–9",
            &pick(2),
            &pick(3),
            Direction::Positive,
        ),
    ]
}

/// Pattern 2: Larger CCGs have lower member ownership and engagement.
fn pattern_2(lab: &Lab) -> Vec<Check> {
    let claim = "Larger CCGs have lower member ownership and engagement";
    let small = lab.scenario("ccg-size-small.toml");
    let medium = lab.scenario("ccg-size-medium.toml");
    let large = lab.scenario("ccg-size-large.toml");
    let (a, b) = YEAR_2013;
    let own = |s| lab.window(s, a, b, |o| o.ownership_members);
    let eng = |s| lab.window(s, 1, 60.min(s.months), |o| o.engaged_share);
    let (os, om, ol) = (own(&small), own(&medium), own(&large));
    let (es, el) = (eng(&small), eng(&large));
    vec![
        paired(
            2,
            claim,
            SEED_001,
            "ccg-size-small.toml vs ccg-size-large.toml",
            "member ownership, 12 − 120 practices, months 3–9",
            &os,
            &ol,
            Direction::Positive,
        ),
        paired(
            2,
            claim,
            SEED_001,
            "ccg-size-medium.toml vs ccg-size-large.toml",
            "member ownership, 40 − 120 practices, months 3–9",
            &om,
            &ol,
            Direction::Positive,
        ),
        paired(
            2,
            claim,
            SEED_001,
            "ccg-size-small.toml vs ccg-size-large.toml",
            "engaged share, 12 − 120 practices, months 1–60",
            &es,
            &el,
            Direction::Positive,
        ),
    ]
}

/// Share of leadership posts that must be filled, on average, in the second year
/// (MODEL.md §8: real CCGs lost GP leaders and replaced them).
pub const MIN_POSTS_FILLED: f64 = 0.8;

/// Pattern 3: Over the first year the share of highly engaged leaders declines; fewer than
/// half of leaders have the support they need. Leaders who leave are replaced.
fn pattern_3(lab: &Lab) -> Vec<Check> {
    let claim = "Highly engaged leaders decline over the first year; most leaders lack support";
    let scn = lab.scenario("baseline.toml");
    let start = lab.window(&scn, 1, 3, col(|o| o.leaders_highly_engaged));
    let later = lab.window(&scn, 10, 12, col(|o| o.leaders_highly_engaged));
    let (a, b) = YEAR_2014;
    let lacking = lab.window(&scn, a, b, col(|o| o.leaders_lacking_support));
    let filled = lab.window(&scn, 13, 24, col(|o| o.leaders / o.leader_posts));
    let stepdowns = lab.window(&scn, 1, 24, col(|o| o.leader_stepdowns));
    let succ = lab.scenario("leadership-succession.toml");
    let none = lab.scenario("leadership-no-succession.toml");
    let vacant = |s| lab.window(s, 1, 60, col(|o| o.leader_vacancies / o.leader_posts));
    vec![
        paired(
            3,
            claim,
            SEED_004,
            "baseline.toml",
            "leaders highly engaged, months 10–12 − months 1–3",
            &later,
            &start,
            Direction::Negative,
        ),
        against_line(
            3,
            claim,
            SEED_004,
            "baseline.toml",
            "share of leaders lacking time or support, months 15–21",
            &lacking,
            0.5,
            true,
        ),
        against_line(
            3,
            claim,
            SEED_004,
            "baseline.toml",
            "share of leadership posts filled (leaders / posts), months 13–24",
            &filled,
            MIN_POSTS_FILLED,
            true,
        ),
        against_line(
            3,
            claim,
            SEED_004,
            "baseline.toml",
            "leaders leaving their posts (quit, term ended, replaced), per month, months 1–24",
            &stepdowns,
            0.0,
            true,
        ),
        paired(
            3,
            claim,
            SEED_004,
            "leadership-succession.toml vs leadership-no-succession.toml",
            "share of posts vacant, succession planning − none, months 1–60",
            &vacant(&succ),
            &vacant(&none),
            Direction::Negative,
        ),
    ]
}

/// Pattern 4: A sanction-heavy constitution raises short-run compliance but leaves lower
/// ownership, and worse outcomes under financial stress, than a peer-led one.
fn pattern_4(lab: &Lab) -> Vec<Check> {
    let claim =
        "Sanctions buy short-run compliance but lower ownership and worse outcomes under stress";
    let source = format!("{SEED_000}; {SEED_003}; {SEED_004}");
    let sanction = lab.scenario("sanction-heavy.toml");
    let peer = lab.scenario("peer-led.toml");
    let sanction_s = lab.scenario("sanction-heavy-stress.toml");
    let peer_s = lab.scenario("peer-led-stress.toml");
    let (ea, eb) = END;
    let early = |s| lab.window(s, 1, 6, col(|o| o.engaged_share));
    let own = |s| lab.window(s, ea, eb, col(|o| o.ownership_members));
    let eng_end = |s| lab.window(s, ea, eb, col(|o| o.engaged_share));
    let perf_end = |s| lab.window(s, ea, eb, col(|o| o.performance));
    vec![
        paired(
            4,
            claim,
            &source,
            "sanction-heavy.toml vs peer-led.toml",
            "engaged share, sanction-heavy − peer-led, months 1–6",
            &early(&sanction),
            &early(&peer),
            Direction::Positive,
        ),
        paired(
            4,
            claim,
            &source,
            "sanction-heavy.toml vs peer-led.toml",
            "member ownership, sanction-heavy − peer-led, months 54–60",
            &own(&sanction),
            &own(&peer),
            Direction::Negative,
        ),
        paired(
            4,
            claim,
            &source,
            "sanction-heavy-stress.toml vs peer-led-stress.toml",
            "engaged share under stress, sanction-heavy − peer-led, months 54–60",
            &eng_end(&sanction_s),
            &eng_end(&peer_s),
            Direction::Negative,
        ),
        paired(
            4,
            claim,
            &source,
            "sanction-heavy-stress.toml vs peer-led-stress.toml",
            "performance under stress, sanction-heavy − peer-led, months 54–60",
            &perf_end(&sanction_s),
            &perf_end(&peer_s),
            Direction::Negative,
        ),
        paired(
            4,
            claim,
            &source,
            "sanction-heavy-stress.toml",
            "sanction penalty paid per practice under stress, months 54–60 − months 1–6: compliance bought early is lost, so more practices pay",
            &lab.window(&sanction_s, ea, eb, col(|o| o.penalty)),
            &lab.window(&sanction_s, 1, 6, col(|o| o.penalty)),
            Direction::Positive,
        ),
    ]
}

/// The failure-narrative scenario's shock: (first month, duration, strength).
pub(super) fn narrative_of(lab: &Lab) -> (u32, u32, f64) {
    let scn = lab.scenario("failure-narrative.toml");
    scn.events
        .iter()
        .find_map(|e| e.narrative.map(|n| (e.month, n.duration, n.strength)))
        .expect("failure-narrative.toml has a narrative event")
}

/// One strength of the narrative sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepPoint {
    pub strength: f64,
    /// Share of replicates ending low: engaged share over months 54–60 below the
    /// failure line.
    pub low: f64,
    /// Share of replicates ending in between: at or above the failure line but
    /// below [`HIGH_LINE`]. A bistable CCG ends high or low, rarely in between.
    pub between: f64,
    /// Mean end engaged share.
    pub mean: f64,
    /// End engaged share of each replicate (replicate r is the same CCG, with the
    /// same random numbers, at every strength).
    pub ends: Vec<f64>,
}

/// Sweep the failure narrative's strength over `strengths`, keeping its timing.
pub fn sweep_narrative(lab: &Lab, strengths: &[f64]) -> Vec<SweepPoint> {
    let base = lab.scenario("failure-narrative.toml");
    let line = base.params.failure.engaged_line;
    let (ea, eb) = END;
    strengths
        .iter()
        .map(|&s| {
            let mut scn = base.clone();
            for e in &mut scn.events {
                if let Some(n) = e.narrative {
                    e.narrative = Some(NarrativeShock {
                        strength: s,
                        duration: n.duration,
                    });
                }
            }
            let ends = lab.window(&scn, ea, eb, col(|o| o.engaged_share));
            let n = ends.len() as f64;
            let share = |f: &dyn Fn(f64) -> bool| ends.iter().filter(|&&x| f(x)).count() as f64 / n;
            SweepPoint {
                strength: s,
                low: share(&|x| x < line),
                between: share(&|x| x >= line && x < HIGH_LINE),
                mean: ends.iter().sum::<f64>() / n,
                ends,
            }
        })
        .collect()
}

/// For each replicate (the same CCG at every strength), the largest fall in end
/// engaged share between two neighbouring strengths as a share of its whole fall
/// from the weakest to the strongest narrative: near 1 for a step (a tipping
/// point), about 1/(steps) for a smooth slope. NaN for a replicate whose end
/// engagement falls by less than [`MIN_FALL`] over the sweep (it never tips, or
/// is low already without a narrative).
pub fn step_ratios(sweep: &[SweepPoint]) -> Vec<f64> {
    let reps = sweep.first().map_or(0, |p| p.ends.len());
    (0..reps)
        .map(|r| {
            let ends: Vec<f64> = sweep.iter().map(|p| p.ends[r]).collect();
            let total = ends[0] - ends[ends.len() - 1];
            if total < MIN_FALL {
                return f64::NAN;
            }
            let steepest = ends
                .windows(2)
                .map(|w| w[0] - w[1])
                .fold(f64::NEG_INFINITY, f64::max);
            steepest / total
        })
        .collect()
}

/// Fall in end engaged share below which a replicate is not counted as tipping.
pub const MIN_FALL: f64 = 0.2;
/// Smallest mean step ratio (95% CI lower bound) that counts as a tipping point.
pub const MIN_STEP_RATIO: f64 = 0.5;

/// The strengths between which the share of tipped replicates goes from at most
/// 10% to at least 90%; `None` if the sweep never spans both.
pub fn transition_width(sweep: &[SweepPoint]) -> Option<(f64, f64)> {
    let lo = sweep
        .iter()
        .filter(|p| p.low <= 0.1)
        .map(|p| p.strength)
        .reduce(f64::max)?;
    let hi = sweep
        .iter()
        .filter(|p| p.low >= 0.9 && p.strength > lo)
        .map(|p| p.strength)
        .reduce(f64::min)?;
    Some((lo, hi))
}

/// Share of all sweep runs that end in between the low and high states.
pub fn between_share(sweep: &[SweepPoint]) -> f64 {
    sweep.iter().map(|p| p.between).sum::<f64>() / sweep.len().max(1) as f64
}

/// Most of the sweep's runs that may end in between for the response to count as
/// bistable (a smooth response would put every intermediate strength there).
pub const MAX_BETWEEN: f64 = 0.1;

/// Narrative strengths swept by pattern 5: 0, 0.025, …, 1.
pub fn sweep_strengths() -> Vec<f64> {
    (0..=40).map(|i| i as f64 / 40.0).collect()
}

/// Pattern 5: A failure narrative can tip a CCG from high to low engagement, and it stays
/// low after the narrative stops.
fn pattern_5(lab: &Lab) -> Vec<Check> {
    let claim = "A failure narrative tips the CCG from high to low engagement and it stays low (hysteresis)";
    let base = lab.scenario("baseline.toml");
    let narr = lab.scenario("failure-narrative.toml");
    let line = narr.params.failure.engaged_line;
    let (start, duration, strength) = narrative_of(lab);
    let stop = start + duration; // first month without the narrative
    let (ea, eb) = END;
    let end_base = lab.window(&base, ea, eb, col(|o| o.engaged_share));
    let end_narr = lab.window(&narr, ea, eb, col(|o| o.engaged_share));
    let (ha, hb) = (stop + 18, (stop + 24).min(narr.months));
    let after = lab.window(&narr, ha, hb, col(|o| o.engaged_share));
    let intervened = lab.window(&narr, stop, narr.months, col(|o| o.intervention));
    let mut checks = vec![
        against_line(
            5,
            claim,
            SEED_002,
            "baseline.toml",
            "engaged share without the narrative, months 54–60",
            &end_base,
            HIGH_LINE,
            true,
        ),
        paired(
            5,
            claim,
            SEED_002,
            "failure-narrative.toml vs baseline.toml",
            &format!(
                "engaged share, narrative (strength {strength}, months {start}–{}) − none, months 54–60",
                stop - 1
            ),
            &end_narr,
            &end_base,
            Direction::Negative,
        ),
        against_line(
            5,
            claim,
            SEED_002,
            "failure-narrative.toml",
            &format!(
                "engaged share {}–{} months after the narrative stopped (months {ha}–{hb})",
                ha - stop,
                hb - stop
            ),
            &after,
            line,
            false,
        ),
        against_line(
            5,
            claim,
            SEED_002,
            "failure-narrative.toml",
            &format!(
                "engaged share at the end of the run, {}–{} months after the narrative stopped (months {ea}–{eb})",
                ea - stop,
                eb - stop
            ),
            &end_narr,
            line,
            false,
        ),
        against_line(
            5,
            claim,
            SEED_002,
            "failure-narrative.toml",
            &format!(
                "share of months with NHS England intervention in force after the narrative (months {stop}–{})",
                narr.months
            ),
            &intervened,
            0.0,
            true,
        ),
        against_line(
            5,
            claim,
            SEED_002,
            "failure-narrative.toml",
            &format!(
                "performance with members disengaged, months {}–{}: managers and NHS England's turnaround still commission, above the failure line",
                stop + 6,
                stop + 18
            ),
            &lab.window(&narr, stop + 6, stop + 18, col(|o| o.performance)),
            narr.params.failure.credibility_line,
            true,
        ),
    ];
    let sweep = sweep_narrative(lab, &sweep_strengths());
    let window = transition_width(&sweep);
    let describe = sweep
        .iter()
        .step_by(2)
        .map(|p| format!("{:.2}:{:.0}%", p.strength, 100.0 * p.low))
        .collect::<Vec<_>>()
        .join(" ");
    let sc = "failure-narrative.toml, strength swept 0–1";
    let n = lab.replicates as usize;
    let steps = Estimate::of(&step_ratios(&sweep));
    checks.push(Check {
        pattern: "5".into(),
        claim: claim.into(),
        source: SEED_002.into(),
        scenario: sc.into(),
        measure: format!(
            "per CCG, largest fall in end engaged share between neighbouring strengths (0.025 apart) as a share of its whole fall ({} of {n} replicates tip; across CCGs the share ending low goes from ≤10% to ≥90% between strengths {}; strength:share low — {describe})",
            steps.n,
            window.map_or("—".to_string(), |(lo, hi)| format!("{lo:.3} and {hi:.3}"))
        ),
        estimate: steps,
        criterion: format!(
            "> {MIN_STEP_RATIO} (95% CI above): a step, not a slope (a slope gives 1/40)"
        ),
        pass: steps.lo > MIN_STEP_RATIO && steps.n as f64 >= 0.9 * n as f64,
    });
    let between = between_share(&sweep);
    checks.push(Check {
        pattern: "5".into(),
        claim: claim.into(),
        source: SEED_002.into(),
        scenario: sc.into(),
        measure: format!(
            "share of the sweep's {} runs ending in between (engaged share {line}–{HIGH_LINE}, months 54–60)",
            n * sweep.len()
        ),
        estimate: Estimate {
            mean: between,
            lo: f64::NAN,
            hi: f64::NAN,
            n: n * sweep.len(),
        },
        criterion: format!("≤ {MAX_BETWEEN} (end states are bimodal: high or low)"),
        pass: between <= MAX_BETWEEN,
    });
    checks
}

/// Pattern 6: The running-cost cut with new co-commissioning functions lowers support,
/// raises workload and strains engagement.
///
/// Support after the cut is an input (22/25 over the functions load), so it is a
/// labelled sanity check; the counted checks are what members and leaders do
/// with less support: workload (which depends on who takes part), engagement,
/// leaders' burnout and the CCG's performance.
fn pattern_6(lab: &Lab) -> Vec<Check> {
    let claim = "The running-cost cut with co-commissioning lowers support, raises workload, strains engagement";
    let cut = lab.scenario("running-cost-cut.toml");
    let base = lab.scenario("baseline.toml");
    let w = |s, f: fn(&Observation) -> f64| lab.window(s, 30, 60, f);
    let sc = "running-cost-cut.toml vs baseline.toml";
    let row = |id: &str, measure: &str, f: fn(&Observation) -> f64, dir| {
        paired(
            id,
            claim,
            SEED_004,
            sc,
            measure,
            &w(&cut, f),
            &w(&base, f),
            dir,
        )
    };
    vec![
        row(
            "6",
            "mean workload, cut − baseline, months 30–60",
            |o| o.workload,
            Direction::Positive,
        ),
        row(
            "6",
            "engaged share, cut − baseline, months 30–60",
            |o| o.engaged_share,
            Direction::Negative,
        ),
        row(
            "6",
            "share of leaders lacking time or support, cut − baseline, months 30–60",
            |o| o.leaders_lacking_support,
            Direction::Positive,
        ),
        row(
            "6",
            "performance under the cut, cut − baseline, months 30–60",
            |o| o.performance,
            Direction::Negative,
        ),
        row(
            "6",
            "CCG balance (surplus + / deficit −), cut − baseline, months 30–60: the cut CCG delivers less and overspends",
            |o| o.ccg_balance,
            Direction::Negative,
        ),
        vacancy_months(lab, claim, &cut, &base),
        row(
            "S6",
            "sanity (set by the allowance and functions load): support capacity, cut − baseline, months 30–60",
            |o| o.support,
            Direction::Negative,
        ),
    ]
}

/// Pattern 6, for leaders: under the cut's extra workload a post left empty
/// stays empty longer ("many CCGs did not have adequate succession planning
/// ... the pool of recruits is getting smaller", [HolderRobertson2015]). The
/// mean months a post stays vacant is, by Little's law, the mean number of
/// vacant posts over the mean number of leaders leaving per month (months
/// 30–60); the paired difference cut − baseline must be above zero. It depends
/// on who is willing to stand, not on how many leave: more departures alone
/// give more vacancies, not longer ones. Replicates in which no leader left in
/// either scenario have no duration and are left out (the count is shown).
fn vacancy_months(lab: &Lab, claim: &str, cut: &Scenario, base: &Scenario) -> Check {
    let duration = |s: &Scenario| -> Vec<f64> {
        let vacant = lab.window(s, 30, 60, col(|o| o.leader_vacancies));
        let leaving = lab.window(s, 30, 60, col(|o| o.leader_stepdowns));
        vacant
            .iter()
            .zip(&leaving)
            .map(|(v, l)| if *l > 0.0 { v / l } else { f64::NAN })
            .collect()
    };
    let (a, b) = (duration(cut), duration(base));
    let (xa, xb): (Vec<f64>, Vec<f64>) = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .map(|(x, y)| (*x, *y))
        .unzip();
    let left_out = a.len() - xa.len();
    paired(
        "6",
        claim,
        SEED_004,
        "running-cost-cut.toml vs baseline.toml",
        &format!(
            "months a vacant leadership post stays empty (vacant posts ÷ leaders leaving per month), cut − baseline, months 30–60{}",
            if left_out > 0 {
                format!("; {left_out} replicate(s) with no departure left out")
            } else {
                String::new()
            }
        ),
        &xa,
        &xb,
        Direction::Positive,
    )
}

/// Pattern 7: Small-group, face-to-face peer review sustains engagement.
fn pattern_7(lab: &Lab) -> Vec<Check> {
    let claim = "Small-group, face-to-face peer review sustains engagement";
    let with = lab.scenario("peer-review.toml");
    let without = lab.scenario("peer-review-none.toml");
    let sc = "peer-review.toml vs peer-review-none.toml";
    let w = |s, f: fn(&Observation) -> f64| lab.window(s, 30, 60, f);
    vec![
        paired(
            7,
            claim,
            SEED_001,
            sc,
            "engaged share, peer review − none, months 30–60",
            &w(&with, |o| o.engaged_share),
            &w(&without, |o| o.engaged_share),
            Direction::Positive,
        ),
        paired(
            7,
            claim,
            SEED_001,
            sc,
            "member ownership, peer review − none, months 30–60",
            &w(&with, |o| o.ownership_members),
            &w(&without, |o| o.ownership_members),
            Direction::Positive,
        ),
        small_groups_check(lab, claim, &with, &without),
    ]
}

/// Pattern 7's "small group": peer review's gain in member ownership is larger
/// when the same 40 practices meet in localities of about 10 (the bundled
/// scenarios) than in one locality of all 40, paired by replicate (a
/// difference of differences).
fn small_groups_check(lab: &Lab, claim: &str, with: &Scenario, without: &Scenario) -> Check {
    let one_group = |s: &Scenario| {
        let mut s = s.clone();
        s.params.ccg.localities = 1;
        s
    };
    let own = |s: &Scenario| lab.window(s, 30, 60, col(|o| o.ownership_members));
    let gain =
        |a: Vec<f64>, b: Vec<f64>| -> Vec<f64> { a.iter().zip(&b).map(|(x, y)| x - y).collect() };
    let small = gain(own(with), own(without));
    let large = gain(own(&one_group(with)), own(&one_group(without)));
    paired(
        7,
        claim,
        SEED_001,
        "peer-review.toml vs peer-review-none.toml, localities of about 10 vs one locality of 40",
        "member ownership gained from peer review, small localities − one locality of 40, months 30–60",
        &small,
        &large,
        Direction::Positive,
    )
}

/// Pattern 8: Co-commissioning raises perceived conflicts of interest; lay scrutiny offsets it.
///
/// The perceived conflict is the formula `share · level/3 · (1 − lay)`, so its
/// rise and fall are labelled sanity checks. The counted checks are the
/// consequences: members' ownership and the CCG's decisions (performance, which
/// conflicts of interest stall) with lay scrutiny against without.
fn pattern_8(lab: &Lab) -> Vec<Check> {
    let claim = "Co-commissioning raises perceived conflicts of interest; lay scrutiny offsets it";
    let co = lab.scenario("co-commissioning.toml");
    let lay = lab.scenario("co-commissioning-lay-scrutiny.toml");
    let base = lab.scenario("baseline.toml");
    let w = |s, f: fn(&Observation) -> f64| lab.window(s, 36, 60, f);
    let lay_sc = "co-commissioning-lay-scrutiny.toml vs co-commissioning.toml";
    let lay_row = |id: &str, measure: &str, f: fn(&Observation) -> f64, dir| {
        paired(
            id,
            claim,
            SEED_004,
            lay_sc,
            measure,
            &w(&lay, f),
            &w(&co, f),
            dir,
        )
    };
    vec![
        paired(
            8,
            claim,
            SEED_004,
            "co-commissioning.toml vs baseline.toml",
            "financial pressure on practices (primary-care money the CCG can direct), level 3 − level 0, months 36–60",
            &w(&co, |o| o.finance),
            &w(&base, |o| o.finance),
            Direction::Negative,
        ),
        lay_row(
            "8",
            "member ownership, lay scrutiny − none, months 36–60",
            |o| o.ownership_members,
            Direction::Positive,
        ),
        offsets_most(
            claim,
            &w(&lay, |o| o.performance),
            &w(&co, |o| o.performance),
            &w(&base, |o| o.performance),
        ),
        paired(
            "S8",
            claim,
            SEED_004,
            "co-commissioning.toml vs baseline.toml",
            "sanity (the conflict formula): perceived conflict of interest, level 3 − level 0, months 36–60",
            &w(&co, |o| o.conflict_of_interest),
            &w(&base, |o| o.conflict_of_interest),
            Direction::Positive,
        ),
        lay_row(
            "S8",
            "sanity (the conflict formula): perceived conflict of interest, lay scrutiny − none, months 36–60",
            |o| o.conflict_of_interest,
            Direction::Negative,
        ),
    ]
}

/// Pattern 8's "lay scrutiny offsets it", read on what conflicts do to
/// decisions ("greater potential for decisions to be challenged and new
/// initiatives stalled", [HolderRobertson2015]): lay scrutiny recovers more
/// than half of the performance co-commissioning cost. Per replicate
/// `(lay − none) − ½·(baseline − none)`, which is above zero exactly when the
/// recovered share `(lay − none)/(baseline − none)` is above one half (when
/// co-commissioning costs anything); its 95% CI must lie above zero.
fn offsets_most(claim: &str, lay: &[f64], none: &[f64], base: &[f64]) -> Check {
    let xs: Vec<f64> = lay
        .iter()
        .zip(none)
        .zip(base)
        .map(|((l, n), b)| (l - n) - 0.5 * (b - n))
        .collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let (l, n, b) = (mean(lay), mean(none), mean(base));
    let estimate = Estimate::of(&xs);
    Check {
        pattern: "8".into(),
        claim: claim.into(),
        source: SEED_004.into(),
        scenario: "co-commissioning-lay-scrutiny.toml, co-commissioning.toml, baseline.toml".into(),
        measure: format!(
            "performance (decisions stalled by conflicts), months 36–60: lay scrutiny recovers more than half of what co-commissioning cost, (lay − none) − ½·(baseline − none) (means: baseline {b:.3}, co-commissioning {n:.3}, with lay scrutiny {l:.3}; {:.0}% recovered)",
            100.0 * (l - n) / (b - n)
        ),
        pass: estimate.above_zero(),
        estimate,
        criterion: "> 0 (95% CI above 0)".into(),
    }
}

fn peak(r: &RunRecord, from: u32, f: fn(&Observation) -> f64) -> f64 {
    r.months[from as usize..]
        .iter()
        .map(f)
        .fold(f64::NEG_INFINITY, f64::max)
}

fn total(r: &RunRecord, from: u32, f: fn(&Observation) -> f64) -> f64 {
    r.months[from as usize..].iter().map(f).sum()
}

/// First and last month of pattern 9's comparison window: from the first month
/// of extra QIPP load to the end of the run, so both timings have moved the whole
/// of their (equal) extra load, 3.6 capacity-months, inside it.
pub const QIPP_WINDOW: (u32, u32) = (12, 60);

/// Pattern 9: Several QIPP initiatives at once raise workload and tension more than the
/// same load spread out.
///
/// The workload peak and the summed overload follow from the QIPP schedule, so
/// they are labelled sanity checks. The counted check compares what practices
/// do under equal total QIPP load: engagement over a window that holds all of
/// both timings' extra load.
fn pattern_9(lab: &Lab) -> Vec<Check> {
    let claim =
        "QIPP landing at once raises workload and tension more than the same load spread out";
    let bunched = lab.scenario("qipp-bunched.toml");
    let spread = lab.scenario("qipp-spread.toml");
    let sc = "qipp-bunched.toml vs qipp-spread.toml";
    let (a, b) = QIPP_WINDOW;
    let peak_w = |s| lab.run(s, |r| peak(r, a, |o| o.workload));
    let over = |s| lab.run(s, |r| total(r, a, |o| o.overload));
    let win = |s, f: fn(&Observation) -> f64| lab.window(s, a, b, f);
    vec![
        paired(
            9,
            claim,
            SEED_000,
            sc,
            &format!(
                "engaged share, bunched − spread, months {a}–{b} (equal total QIPP load: 3.6 capacity-months each)"
            ),
            &win(&bunched, |o| o.engaged_share),
            &win(&spread, |o| o.engaged_share),
            Direction::Negative,
        ),
        paired(
            "S9",
            claim,
            SEED_000,
            sc,
            &format!(
                "sanity (set by the QIPP schedule): peak mean workload, bunched − spread, months {a}–{b}"
            ),
            &peak_w(&bunched),
            &peak_w(&spread),
            Direction::Positive,
        ),
        paired(
            "S9",
            claim,
            SEED_000,
            sc,
            &format!(
                "sanity (set by the QIPP schedule): work beyond capacity summed over months {a}–{b}, bunched − spread"
            ),
            &over(&bunched),
            &over(&spread),
            Direction::Positive,
        ),
    ]
}
