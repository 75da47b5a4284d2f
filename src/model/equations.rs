//! The model's equations, each a small pure function. docs/ODD.md §7 gives the
//! same equations with their symbols; keep the two in step.

/// `logistic(x) = 1/(1 + e^-x)` with the model's own `exp` (libm's bits,
/// inlined), and the same over a slice, several at a time where the CPU allows.
pub use super::exp::{logistic, logistic_each};
use crate::scenario::Params;

/// The running-cost allowance of 2013/14 (GBP per head), at which support is full.
pub const REFERENCE_ALLOWANCE: f64 = 25.0;
/// Mean of practices' own workload (share of capacity) before QIPP and CCG work.
pub const WORKLOAD_BASE_MEAN: f64 = 0.9;
/// Support capacity below which CCG work stops growing (keeps `1/S` finite).
pub const MIN_SUPPORT: f64 = 0.1;
/// Mean full-time GPs per practice (2014/15); a practice with this many GPs has
/// the reference slack for CCG work.
pub const MEAN_GPS: f64 = 4.22;
/// Lowest engagement level (moderately engaged) of a candidate for a vacant post.
pub const CANDIDATE_LEVEL: u8 = 2;
/// Ownership above which a practice "agrees the CCG is owned by its members" (MODEL.md §4).
pub const AGREE_LINE: f64 = 0.5;
/// Burnout above which a leader "lacks time or support" (MODEL.md §4).
pub const LACKING_SUPPORT_LINE: f64 = 0.5;

/// `x^y` that remembers its last base and exponent. The CCG-level equations
/// raise the same numbers to the same powers month after month, and one `powf`
/// costs as much as the month of a few practices; the result is always exactly
/// `x.powf(y)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Pow {
    last: Option<(u64, u64, f64)>,
}

impl Pow {
    #[inline]
    pub fn of(&mut self, x: f64, y: f64) -> f64 {
        match self.last {
            Some((bx, by, v)) if bx == x.to_bits() && by == y.to_bits() => v,
            _ => {
                let v = x.powf(y);
                self.last = Some((x.to_bits(), y.to_bits(), v));
                v
            }
        }
    }
}

/// The powers a CCG's equations take every month, one [`Pow`] per use.
#[derive(Debug, Clone, Default)]
pub struct Powers {
    /// The engaged share's power: the share is often the same as last month
    /// (no practice changed sides), four months in ten at the defaults.
    share: Pow,
    dilution: Pow,
    half: Pow,
    support: Pow,
    filled: Pow,
}

/// Support capacity funded by the allowance:
/// `S_a = min(1, (allowance / 25) / (1 + functions_load · level))`.
pub fn support_funded(p: &Params) -> f64 {
    let load = p.behaviour.functions_load * p.co_commissioning.level as f64;
    ((p.ccg.allowance_per_head / REFERENCE_ALLOWANCE) / (1.0 + load)).min(1.0)
}

/// Support capacity in a month: the funded support cut by the CCG's deficit and
/// topped up by an NHS England turnaround team while an intervention is in force,
/// `S = clamp(S_a · (1 − deficit_support · deficit) + turnaround · intervening, 0, 1)`.
pub fn support(p: &Params, deficit: f64, intervening: bool) -> f64 {
    let cut = (1.0 - p.ccg_finance.deficit_support * deficit).max(0.0);
    let turnaround = if intervening {
        p.intervention.turnaround
    } else {
        0.0
    };
    (support_funded(p) * cut + turnaround).clamp(0.0, 1.0)
}

/// Localities: `ccg.localities` when set, else `round(n / locality_size)` (half
/// away from zero), at least 1 and at most `n`.
pub fn localities(p: &Params, n: usize) -> usize {
    let l = if p.ccg.localities > 0 {
        p.ccg.localities as usize
    } else {
        (n as f64 / p.ccg.locality_size).round() as usize
    };
    l.clamp(1, n.max(1))
}

/// Leadership posts: the governing body's GP seats plus one lead per locality,
/// at most one per practice.
pub fn leader_posts(p: &Params, n: usize, localities: usize) -> usize {
    (p.ccg.governing_body_gps as usize + localities).min(n)
}

/// Full-time GPs of a practice: `max(1, list / patients_per_gp)`.
pub fn gps(p: &Params, list_size: f64) -> f64 {
    (list_size / p.ccg.patients_per_gp).max(1.0)
}

/// How heavily CCG work weighs on a practice: `(4.22 / GPs)^κ` (small practices
/// have less slack).
pub fn slack(p: &Params, gps: f64) -> f64 {
    (MEAN_GPS / gps).powf(p.behaviour.capacity_exponent)
}

/// Effective peer review in a locality of `size` practices:
/// `pr = peer_review_effect · peer_review · face_to_face · min(1, peer_group_size / size)`.
pub fn peer_review_strength(p: &Params, size: f64) -> f64 {
    let b = &p.behaviour;
    b.peer_review_effect
        * p.constitution.peer_review
        * p.constitution.face_to_face
        * (b.peer_group_size / size.max(1.0)).min(1.0)
}

/// An ordinary member's voice in a locality with effective peer review `pr`;
/// leaders have voice 1.
/// `v = min(1, v0 · (N_ref / N)^γ · (1 + pr) · (1 + lmc) · (1 − deadline_pressure))`.
pub fn member_voice(p: &Params, n: usize, pr: f64, pw: &mut Powers) -> f64 {
    let b = &p.behaviour;
    let dilution = pw
        .dilution
        .of(b.voice_ref_practices / n as f64, b.voice_size_exponent);
    (b.voice_base
        * dilution
        * (1.0 + pr)
        * (1.0 + p.constitution.lmc_engagement)
        * (1.0 - p.environment.deadline_pressure))
        .min(1.0)
}

/// Threat `φ = sanctions · (1 − dispute/2) + contractual_threat · level
/// + intervention_threat · intervening`.
pub fn threat(p: &Params, intervening: bool) -> f64 {
    let dispute = if p.constitution.dispute_procedure {
        1.0
    } else {
        0.0
    };
    let imposed = if intervening {
        p.intervention.threat
    } else {
        0.0
    };
    p.constitution.sanctions * (1.0 - dispute / 2.0)
        + p.behaviour.contractual_threat * p.co_commissioning.level as f64
        + imposed
}

/// Perceived conflict of interest `coi = conflicted_share · level/3 · (1 − lay_scrutiny)`.
pub fn conflict(p: &Params, conflicted_share: f64) -> f64 {
    conflicted_share
        * (p.co_commissioning.level as f64 / 3.0)
        * (1.0 - p.co_commissioning.lay_scrutiny)
}

/// The part of the ownership target's logit shared by every practice in a month:
/// `a0 + a_c·credibility − a_s·φ − a_coi·coi`.
pub fn ownership_logit_common(p: &Params, credibility: f64, threat: f64, coi: f64) -> f64 {
    let b = &p.behaviour;
    b.own_base + b.own_credibility * credibility - b.own_threat * threat - b.own_conflict * coi
}

/// The ownership target's logit; the target is its [`logistic`]:
/// `logistic(common + a_v·voice + a_p·locality_mean_ownership + d_i − a_pen·penalty_i)`,
/// where `d_i` is the practice's fixed disposition (normal, sd `ownership_sd`) and
/// `penalty_i` the sanction penalty it pays (hostility).
#[inline(always)]
pub fn ownership_target_logit(
    p: &Params,
    common: f64,
    voice: f64,
    locality_ownership: f64,
    disposition: f64,
    penalty: f64,
) -> f64 {
    ownership_logit_shared(p, common, voice, locality_ownership) + disposition
        - p.behaviour.own_penalty * penalty
}

/// The ownership target's logit before the practice's own disposition:
/// `common + a_v·voice + a_p·locality_mean_ownership`, the same for every practice
/// of one role in one locality in a month.
#[inline(always)]
pub fn ownership_logit_shared(p: &Params, common: f64, voice: f64, locality_ownership: f64) -> f64 {
    let b = &p.behaviour;
    common + b.own_voice * voice + b.own_peer * locality_ownership
}

/// The CCG part of workload before the practice's slack:
/// `(meeting_cost·engaged + lead_cost·(1 + vacancy_load·vacant_share)·leader) / S`:
/// one of four values in a month. CCG work grows as support capacity shrinks
/// (with fewer CCG staff, clinical members do more of it themselves, [HolderRobertson2015]),
/// and vacant posts load the remaining leaders.
pub fn ccg_work(p: &Params, support: f64, vacant_share: f64, engaged: bool, leader: bool) -> f64 {
    let b = &p.behaviour;
    let lead = b.lead_cost * (1.0 + b.vacancy_load * vacant_share);
    let work = if engaged { b.meeting_cost } else { 0.0 } + if leader { lead } else { 0.0 };
    work / support.max(MIN_SUPPORT)
}

/// Monthly workload `w_base·q + ccg_work·slack` (noise is added by the caller).
#[inline(always)]
pub fn workload(qipp_factor: f64, base: f64, ccg_work: f64, slack: f64) -> f64 {
    base * qipp_factor + ccg_work * slack
}

/// `1 + qipp · (1 − S/2)`: QIPP work weighs more when the CCG cannot support it.
pub fn qipp_factor(p: &Params, support: f64) -> f64 {
    1.0 + p.environment.qipp * (1.0 - support / 2.0)
}

/// Finance pressure target (the penalty apart):
/// `clamp(funding_squeeze − incentive·engaged − premium_relief·premium/premium_max
/// − cocomm_investment·level + deficit_squeeze·deficit, 0, 1)`.
pub fn finance_target(p: &Params, engaged: bool, premium: f64, deficit: f64) -> f64 {
    let b = &p.behaviour;
    let f = &p.ccg_finance;
    let premium_share = if f.premium_max > 0.0 {
        premium / f.premium_max
    } else {
        0.0
    };
    let incentive = if engaged { b.engagement_incentive } else { 0.0 };
    (p.environment.funding_squeeze
        - incentive
        - f.premium_relief * premium_share
        - b.cocomm_investment * p.co_commissioning.level as f64
        + f.deficit_squeeze * deficit)
        .clamp(0.0, 1.0)
}

/// Penalty target: `sanctions · sanction_penalty` on a practice that does not
/// comply (not engaged), 0 on one that does.
pub fn penalty_target(p: &Params, engaged: bool) -> f64 {
    if engaged {
        0.0
    } else {
        p.constitution.sanctions * p.behaviour.sanction_penalty
    }
}

/// The latent drive to engage, before the personal threshold:
/// `b_o·o + b_p·locality_engaged + b_c·cred + b_s·sanctions − b_w·(w−1) − b_w2·max(0,w−1)² − b_f·f`
/// plus `b_l − b_b·burnout` for a leader.
#[inline(always)]
pub fn engagement_drive(
    p: &Params,
    common: f64,
    ownership: f64,
    locality_engaged: f64,
    workload: f64,
    finance: f64,
    leader_burnout: Option<f64>,
) -> f64 {
    let b = &p.behaviour;
    let over = workload - 1.0;
    let overload = over.max(0.0);
    let mut u = common + b.eng_ownership * ownership + b.eng_peer * locality_engaged
        - b.eng_workload * over
        - b.eng_overload * overload * overload
        - b.eng_finance * finance;
    if let Some(burnout) = leader_burnout {
        u += b.eng_leader - b.eng_burnout * burnout;
    }
    u
}

/// The month's shared part of the drive: `b_c·credibility + b_s·sanctions`.
pub fn engagement_drive_common(p: &Params, credibility: f64) -> f64 {
    p.behaviour.eng_credibility * credibility + p.behaviour.eng_sanctions * p.constitution.sanctions
}

/// Ordered logit: `P(level ≥ k) = logistic((U − c_k)/τ)`; one uniform `u` picks the level.
#[inline(always)]
pub fn engagement_level(p: &Params, drive: f64, u: f64) -> u8 {
    let b = &p.behaviour;
    let inv_tau = 1.0 / b.cut_scale;
    // The cut points rise, so P(≥1) ≥ P(≥2) ≥ P(≥3); stop at the first miss.
    let mut level = 0;
    for c in [b.cut_1, b.cut_2, b.cut_3] {
        if u < logistic((drive - c) * inv_tau) {
            level += 1;
        } else {
            break;
        }
    }
    level
}

/// A leader's burnout target:
/// `logistic(β0 + β_w·(w − 1) + β_s·(1 − S) − β_succ·succession)`.
#[inline(always)]
pub fn burnout_target(p: &Params, workload: f64, support: f64) -> f64 {
    let b = &p.behaviour;
    logistic(
        b.burnout_base
            + b.burnout_workload * (workload - 1.0)
            + b.burnout_support * (1.0 - support)
            - b.burnout_succession * p.ccg.succession_planning,
    )
}

/// A leader's monthly quit hazard (`leader_exit = "hazard"`):
/// `min(1, q0 · exp(q_b·(burnout − 0.5) + q_w·(w − 1)))`.
#[inline(always)]
pub fn quit_hazard(p: &Params, burnout: f64, workload: f64) -> f64 {
    let b = &p.behaviour;
    (b.quit_rate
        * super::exp::exp(b.quit_burnout * (burnout - 0.5) + b.quit_workload * (workload - 1.0)))
    .min(1.0)
}

/// Chance a leader at the end of a term stands again: `restand · (1 − burnout)`.
pub fn restand_probability(p: &Params, burnout: f64) -> f64 {
    p.behaviour.restand * (1.0 - burnout)
}

/// Chance a vacant post is offered to a candidate this month, between the rates
/// without and with full succession planning.
pub fn fill_probability(p: &Params) -> f64 {
    let s = p.ccg.succession_planning;
    p.behaviour.fill_rate * (1.0 - s) + p.behaviour.fill_rate_succession * s
}

/// Chance an offered candidate takes the post: a prepared deputy always does
/// (share `succession_planning`), anyone else with the willingness
/// `logistic(recruit_base − recruit_workload·(w − 1))`, so the pool of willing
/// members shrinks as workload rises.
pub fn acceptance(p: &Params, workload: f64) -> f64 {
    let b = &p.behaviour;
    let s = p.ccg.succession_planning;
    let willing = logistic(b.recruit_base - b.recruit_workload * (workload - 1.0));
    s + (1.0 - s) * willing
}

/// The engagement term of performance, a critical-mass (Hill) curve normalised to
/// reach 1 when every practice is engaged:
/// `g(E) = (1 + h^e1)·E^e1 / (E^e1 + h^e1)`, `h` = `perf_half`, `e1` = `perf_engagement`.
/// Little is achieved until enough of the list is engaged, and the last practices
/// add little; as `h` grows it tends to MODEL.md's `E^e1`.
pub fn engagement_term(p: &Params, engaged_list_share: f64, pw: &mut Powers) -> f64 {
    let b = &p.behaviour;
    let ek = pw.share.of(engaged_list_share.max(0.0), b.perf_engagement);
    let hk = pw.half.of(b.perf_half, b.perf_engagement);
    (1.0 + hk) * ek / (ek + hk)
}

/// `performance = min(1, w_E·g(E) + (1 − w_E)·S^e2 + turnaround·intervening)
/// · posts_filled^e3 · max(0, 1 − stall·coi)` (noise is added by the caller): GP
/// engagement and managerial/commissioning support both deliver, and so does an
/// NHS England turnaround team while an intervention is in force; vacant posts
/// and decisions stalled by conflicts of interest cost performance.
pub fn performance(
    p: &Params,
    engaged_list_share: f64,
    support: f64,
    posts_filled: f64,
    conflict: f64,
    intervening: bool,
    pw: &mut Powers,
) -> f64 {
    let b = &p.behaviour;
    let we = b.perf_engagement_weight;
    let turnaround = if intervening {
        p.intervention.turnaround
    } else {
        0.0
    };
    let delivery = (we * engagement_term(p, engaged_list_share, pw)
        + (1.0 - we) * pw.support.of(support, b.perf_support)
        + turnaround)
        .min(1.0);
    delivery * pw.filled.of(posts_filled, b.perf_leaders) * (1.0 - b.coi_stall * conflict).max(0.0)
}

/// The CCG's cumulative balance (share of annual allocation; negative = deficit):
/// `clamp(balance + spend_gain·(performance − breakeven)/12, −1, 1)`.
pub fn balance_next(p: &Params, balance: f64, performance: f64) -> f64 {
    let f = &p.ccg_finance;
    (balance + f.spend_gain * (performance - f.breakeven) / 12.0).clamp(-1.0, 1.0)
}

/// Quality premium (GBP per head) earned at a year end: `premium_max ·` the year's
/// mean performance, withheld (0) if the CCG is in deficit.
pub fn quality_premium(p: &Params, balance: f64, year_performance: f64) -> f64 {
    if balance < 0.0 {
        0.0
    } else {
        p.ccg_finance.premium_max * year_performance
    }
}

/// `credibility' = clamp(credibility + k_c·(w_c·performance + (1 − w_c)·c0 − credibility) + w_n·narrative, 0, 1)`:
/// credibility moves towards performance (w_c = 1, the default) or, in part or
/// whole, back towards members' starting belief c0 = `ccg.initial_credibility`.
pub fn credibility_next(p: &Params, credibility: f64, performance: f64, narrative: f64) -> f64 {
    let b = &p.behaviour;
    let w = b.credibility_performance;
    let target = w * performance + (1.0 - w) * p.ccg.initial_credibility;
    (credibility + b.credibility_rate * (target - credibility) + b.narrative_weight * narrative)
        .clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_is_full_at_reference_and_falls_with_cut_and_functions() {
        let mut p = Params::default();
        assert_eq!(support(&p, 0.0, false), 1.0);
        p.ccg.allowance_per_head = 22.0;
        assert!((support(&p, 0.0, false) - 0.88).abs() < 1e-12);
        assert!(support(&p, 0.1, false) < 0.88);
        assert!(support(&p, 0.1, true) > support(&p, 0.1, false));
        p.co_commissioning.level = 3;
        assert!(support(&p, 0.0, false) < 0.88);
    }

    #[test]
    fn remembered_powers_equal_powf() {
        let mut pw = Pow::default();
        for (x, y) in [
            (0.5, 2.0),
            (0.5, 2.0),
            (0.25, 2.0),
            (0.25, 3.0),
            (-0.0, 0.5),
            (0.0, 0.5),
        ] {
            assert_eq!(pw.of(x, y).to_bits(), x.powf(y).to_bits());
        }
    }

    #[test]
    fn voice_dilutes_with_size() {
        let p = Params::default();
        let pw = &mut Powers::default();
        assert!(member_voice(&p, 12, 0.0, pw) > member_voice(&p, 120, 0.0, pw));
    }

    #[test]
    fn ordered_levels_are_monotone_in_u() {
        let p = Params::default();
        let levels: Vec<u8> = (0..100)
            .map(|i| engagement_level(&p, 1.0, i as f64 / 100.0))
            .collect();
        assert!(levels.windows(2).all(|w| w[0] >= w[1]));
        assert_eq!(engagement_level(&p, 100.0, 0.5), 3);
        assert_eq!(engagement_level(&p, -100.0, 0.5), 0);
    }
}
