//! The model's equations, each a small pure function. docs/ODD.md §7 gives the
//! same equations with their symbols; keep the two in step.

use crate::scenario::Params;

/// The running-cost allowance of 2013/14 (GBP per head), at which support is full.
pub const REFERENCE_ALLOWANCE: f64 = 25.0;
/// Mean of practices' own workload (share of capacity) before QIPP and CCG work.
pub const WORKLOAD_BASE_MEAN: f64 = 0.9;
/// Support capacity below which CCG work stops growing (keeps `1/S` finite).
pub const MIN_SUPPORT: f64 = 0.1;
/// Burnout of a newly appointed leader.
pub const NEW_LEADER_BURNOUT: f64 = 0.2;
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
    dilution: Pow,
    half: Pow,
    support: Pow,
    filled: Pow,
}

#[inline(always)]
pub fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Support capacity `S = min(1, (allowance / 25) / (1 + functions_load · level))`.
pub fn support(p: &Params) -> f64 {
    let load = p.behaviour.functions_load * p.co_commissioning.level as f64;
    ((p.ccg.allowance_per_head / REFERENCE_ALLOWANCE) / (1.0 + load)).min(1.0)
}

/// Leadership posts in a CCG of `n` practices (at most one per practice).
pub fn leader_posts(p: &Params, n: usize) -> usize {
    let posts = p.ccg.leader_posts_base as f64 + p.ccg.leader_posts_per_practice * n as f64;
    (posts.round() as usize).min(n)
}

/// An ordinary member's voice; leaders have voice 1.
/// `v = min(1, v0 · (N_ref / N)^γ · (1 + peer_review) · (1 + lmc) · (1 − deadline_pressure))`.
pub fn member_voice(p: &Params, n: usize, pw: &mut Powers) -> f64 {
    let b = &p.behaviour;
    let dilution = pw
        .dilution
        .of(b.voice_ref_practices / n as f64, b.voice_size_exponent);
    (b.voice_base
        * dilution
        * (1.0 + p.constitution.peer_review)
        * (1.0 + p.constitution.lmc_engagement)
        * (1.0 - p.environment.deadline_pressure))
        .min(1.0)
}

/// Threat `φ = sanctions · (1 − dispute/2) + contractual_threat · level`.
pub fn threat(p: &Params) -> f64 {
    let dispute = if p.constitution.dispute_procedure {
        1.0
    } else {
        0.0
    };
    p.constitution.sanctions * (1.0 - dispute / 2.0)
        + p.behaviour.contractual_threat * p.co_commissioning.level as f64
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

/// Ownership target `logistic(common + a_v·voice + a_p·locality_mean_ownership + d_i)`,
/// where `d_i` is the practice's fixed disposition (normal, sd `ownership_sd`).
#[inline(always)]
pub fn ownership_target(
    p: &Params,
    common: f64,
    voice: f64,
    locality_ownership: f64,
    disposition: f64,
) -> f64 {
    logistic(ownership_logit_shared(p, common, voice, locality_ownership) + disposition)
}

/// The ownership target's logit before the practice's own disposition:
/// `common + a_v·voice + a_p·locality_mean_ownership`, the same for every practice
/// of one role in one locality in a month.
#[inline(always)]
pub fn ownership_logit_shared(p: &Params, common: f64, voice: f64, locality_ownership: f64) -> f64 {
    let b = &p.behaviour;
    common + b.own_voice * voice + b.own_peer * locality_ownership
}

/// Monthly workload:
/// `w_base·(1 + qipp·(1 − S/2)) + (meeting_cost·engaged + lead_cost·leader) / S`
/// (noise is added by the caller). CCG work grows as support capacity shrinks:
/// with fewer CCG staff, clinical members do more of it themselves (seed 004).
#[inline(always)]
pub fn workload(
    p: &Params,
    qipp_factor: f64,
    support: f64,
    base: f64,
    engaged: bool,
    leader: bool,
) -> f64 {
    base * qipp_factor + ccg_work(p, support, engaged, leader)
}

/// The CCG part of workload, `(meeting_cost·engaged + lead_cost·leader) / S`:
/// one of four values in a month.
#[inline(always)]
pub fn ccg_work(p: &Params, support: f64, engaged: bool, leader: bool) -> f64 {
    let b = &p.behaviour;
    let work = if engaged { b.meeting_cost } else { 0.0 } + if leader { b.lead_cost } else { 0.0 };
    work / support.max(MIN_SUPPORT)
}

/// `1 + qipp · (1 − S/2)`: QIPP work weighs more when the CCG cannot support it.
pub fn qipp_factor(p: &Params, support: f64) -> f64 {
    1.0 + p.environment.qipp * (1.0 - support / 2.0)
}

/// Finance pressure target:
/// `clamp(funding_squeeze + sanctions·penalty·(not engaged) − incentive·engaged, 0, 1)`.
#[inline(always)]
pub fn finance_target(p: &Params, engaged: bool) -> f64 {
    let b = &p.behaviour;
    let t = if engaged {
        p.environment.funding_squeeze - b.engagement_incentive
    } else {
        p.environment.funding_squeeze + p.constitution.sanctions * b.sanction_penalty
    };
    t.clamp(0.0, 1.0)
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

/// Chance a vacant post is filled this month, between the rates without and with
/// full succession planning.
pub fn fill_probability(p: &Params) -> f64 {
    let s = p.ccg.succession_planning;
    p.behaviour.fill_rate * (1.0 - s) + p.behaviour.fill_rate_succession * s
}

/// The engagement term of performance, a critical-mass (Hill) curve normalised to
/// reach 1 when every practice is engaged:
/// `g(E) = (1 + h^e1)·E^e1 / (E^e1 + h^e1)`, `h` = `perf_half`, `e1` = `perf_engagement`.
/// Little is achieved until enough of the list is engaged, and the last practices
/// add little; as `h` grows it tends to MODEL.md's `E^e1`.
pub fn engagement_term(p: &Params, engaged_list_share: f64, pw: &mut Powers) -> f64 {
    let b = &p.behaviour;
    let ek = engaged_list_share.max(0.0).powf(b.perf_engagement);
    let hk = pw.half.of(b.perf_half, b.perf_engagement);
    (1.0 + hk) * ek / (ek + hk)
}

/// `performance = g(engaged_list_share) · S^e2 · posts_filled^e3` (noise added by the caller).
pub fn performance(
    p: &Params,
    engaged_list_share: f64,
    support: f64,
    posts_filled: f64,
    pw: &mut Powers,
) -> f64 {
    let b = &p.behaviour;
    engagement_term(p, engaged_list_share, pw)
        * pw.support.of(support, b.perf_support)
        * pw.filled.of(posts_filled, b.perf_leaders)
}

/// `credibility' = clamp(credibility + k_c·(performance − credibility) + w_n·narrative, 0, 1)`.
pub fn credibility_next(p: &Params, credibility: f64, performance: f64, narrative: f64) -> f64 {
    let b = &p.behaviour;
    (credibility
        + b.credibility_rate * (performance - credibility)
        + b.narrative_weight * narrative)
        .clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_is_full_at_reference_and_falls_with_cut_and_functions() {
        let mut p = Params::default();
        assert_eq!(support(&p), 1.0);
        p.ccg.allowance_per_head = 22.0;
        assert!((support(&p) - 0.88).abs() < 1e-12);
        p.co_commissioning.level = 3;
        assert!(support(&p) < 0.88);
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
        assert!(member_voice(&p, 12, pw) > member_voice(&p, 120, pw));
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
