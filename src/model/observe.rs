//! What is recorded about a CCG each month (MODEL.md §4). Column names here are
//! the CSV column names; docs/ODD.md §5 and the README give their units.

use super::Ccg;
use super::equations::{AGREE_LINE, LACKING_SUPPORT_LINE};
use crate::scenario::Params;

macro_rules! observables {
    ($( $name:ident : $doc:expr ),* $(,)?) => {
        /// One month of one CCG-run. Leader figures are NaN (written as an empty
        /// cell) in a month with no leader in post; member figures likewise when
        /// every practice holds a post (possible in CCGs of a few practices).
        #[derive(Debug, Clone, Copy, PartialEq, Default)]
        pub struct Observation { $( #[doc = $doc] pub $name: f64, )* }

        impl Observation {
            /// Column names, in output order.
            pub const COLUMNS: &'static [&'static str] = &[$( stringify!($name), )*];
            /// One line of documentation per column, same order.
            pub const DOCS: &'static [&'static str] = &[$( $doc, )*];
            pub fn values(&self) -> [f64; Self::COLUMNS.len()] {
                [$( self.$name, )*]
            }
        }
    };
}

observables! {
    ownership_members: "mean ownership (0-1) of practices without a leadership role",
    ownership_leaders: "mean ownership (0-1) of practices whose GP holds a leadership role",
    ownership_agree_members: "share of members agreeing the CCG is owned by its members (ownership > 0.5)",
    ownership_agree_leaders: "share of leaders agreeing the CCG is owned by its members",
    ownership_agree: "share of all practices agreeing the CCG is owned by its members",
    engaged_share: "share of practices at least somewhat engaged (level >= 1)",
    highly_engaged_share: "share of practices highly engaged (level 3)",
    leaders: "leaders in post (count)",
    leader_posts: "leadership posts (count)",
    leaders_highly_engaged: "share of leaders highly engaged",
    leaders_lacking_support: "share of leaders lacking time or support (burnout > 0.5)",
    leader_burnout: "mean burnout of leaders (0-1)",
    workload: "mean workload (1 = at capacity)",
    overload: "mean work beyond capacity, max(0, workload - 1) (share of capacity)",
    finance: "mean financial pressure on practices (0-1)",
    performance: "share of the CCG's improvement target met (0-1)",
    credibility: "members' shared belief the CCG will succeed (0-1)",
    support: "support capacity S (0-1)",
    conflict_of_interest: "perceived conflict of interest (0-1)",
    narrative: "narrative pushing credibility this month (-1 = failure predicted, 1 = success)",
    allowance_per_head: "running-cost allowance (GBP per head per year)",
    leader_stepdowns: "leaders who left their post this month: quit, term ended without standing again, or replaced by NHS England (count)",
    leader_vacancies: "leadership posts unfilled at month end (count)",
    influence_members: "share of members without a role who feel able to influence the CCG (at least somewhat engaged, ownership above behaviour.influence_line)",
    intervention: "NHS England intervention (legal directions, turnaround) in force this month (0/1)",
    in_failure: "CCG in a failed state: below both failure lines for at least failure.months months (0/1)",
    ccg_balance: "CCG's cumulative surplus (+) or deficit (-), share of its annual allocation",
    quality_premium: "quality premium earned at the last April year end, in force this year (GBP per head; 0 if withheld after an overspend)",
    penalty: "mean sanction penalty paid by practices (0-1, finance units; included in `finance`)",
    localities: "locality groups (count)",
}

impl Observation {
    /// This month's observation of `ccg`. The same code is compiled twice:
    /// for the baseline x86-64 (SSE2) and with AVX2, chosen at run time,
    /// where the count pass and the divisions run on vectors twice as wide.
    /// The float sums are the same additions in the same order either way
    /// (no reassociation, no fused multiply-add), and each quotient is one
    /// correctly rounded division, so both give the same bits (a unit test
    /// compares them).
    pub(super) fn of(ccg: &Ccg, p: &Params) -> Observation {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { Observation::of_avx2(ccg, p) };
        }
        Observation::of_plain(ccg, p)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn of_avx2(ccg: &Ccg, p: &Params) -> Observation {
        Observation::of_plain(ccg, p)
    }

    #[inline(always)]
    fn of_plain(ccg: &Ccg, p: &Params) -> Observation {
        let ps = &ccg.practices;
        let n = ps.len();
        let mut o = Observation::default();
        let Sums {
            leaders,
            agree_m,
            agree_l,
            engaged,
            high,
            high_l,
            lacking,
            influence,
            own_m,
            own_l,
            burnout,
            workload,
            overload,
            finance,
            penalty,
        } = Sums::plain(ps, p.behaviour.influence_line);
        let members = (n as u32 - leaders) as f64;
        let (leaders, agree_m, agree_l) = (leaders as f64, agree_m as f64, agree_l as f64);
        let (engaged, high, high_l, lacking) =
            (engaged as f64, high as f64, high_l as f64, lacking as f64);
        let all = n as f64;
        // The shares and means: each sum over its group's size, NaN for an
        // empty group. The sixteen divisions are independent, written as one
        // array so the compiler can divide several at a time (each quotient
        // is the same correctly rounded division either way).
        let num = [
            own_m,
            own_l,
            agree_m,
            agree_l,
            agree_m + agree_l,
            engaged,
            high,
            high_l,
            lacking,
            burnout,
            workload,
            overload,
            finance,
            influence as f64,
            penalty,
            0.0,
        ];
        let den = [
            members, leaders, members, leaders, all, all, all, leaders, leaders, leaders, all, all,
            all, members, all, 1.0,
        ];
        let mut q = [0.0f64; 16];
        for k in 0..16 {
            let x = num[k] / den[k];
            q[k] = if den[k] > 0.0 { x } else { f64::NAN };
        }
        o.ownership_members = q[0];
        o.ownership_leaders = q[1];
        o.ownership_agree_members = q[2];
        o.ownership_agree_leaders = q[3];
        o.ownership_agree = q[4];
        o.engaged_share = q[5];
        o.highly_engaged_share = q[6];
        o.leaders = leaders;
        o.leader_posts = ccg.posts as f64;
        o.leaders_highly_engaged = q[7];
        o.leaders_lacking_support = q[8];
        o.leader_burnout = q[9];
        o.workload = q[10];
        o.overload = q[11];
        o.finance = q[12];
        o.performance = ccg.performance;
        o.credibility = ccg.credibility;
        o.support = ccg.support;
        o.conflict_of_interest = ccg.conflict;
        o.narrative = ccg.narrative;
        o.allowance_per_head = p.ccg.allowance_per_head;
        o.leader_stepdowns = ccg.stepdowns as f64;
        o.leader_vacancies = ccg.posts as f64 - leaders;
        o.influence_members = q[13];
        o.intervention = ccg.intervening as u8 as f64;
        o.in_failure = ccg.in_failure(p) as u8 as f64;
        o.ccg_balance = ccg.balance;
        o.quality_premium = ccg.premium;
        o.penalty = q[14];
        o.localities = ccg.localities as f64;
        o
    }
}

/// The group counts and sums an observation is made of.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sums {
    leaders: u32,
    agree_m: u32,
    agree_l: u32,
    engaged: u32,
    high: u32,
    high_l: u32,
    lacking: u32,
    influence: u32,
    own_m: f64,
    own_l: f64,
    burnout: f64,
    workload: f64,
    overload: f64,
    finance: f64,
    penalty: f64,
}

impl Sums {
    /// Branch-free passes (this runs every month of every recorded run).
    /// Counts are integers; each float sum adds the same values in the same
    /// order as summing only the practices of its group (adding +0.0 to a
    /// sum that starts at +0.0 changes nothing).
    #[inline(always)]
    fn plain(ps: &super::Practices, influence_line: f64) -> Sums {
        let n = ps.len();
        let (ownership, engagement, leader, burnout_of, workload_of, finance_of, penalty_of) = (
            &ps.ownership[..n],
            &ps.engagement[..n],
            &ps.leader[..n],
            &ps.burnout[..n],
            &ps.workload[..n],
            &ps.finance[..n],
            &ps.penalty[..n],
        );
        // Two passes: the counts (integer sums, whose order does not matter, so
        // the compiler vectorises them), then the float sums in practice order.
        let (mut leaders, mut agree_m, mut agree_l) = (0u32, 0u32, 0u32);
        let (mut engaged, mut high, mut high_l, mut lacking) = (0u32, 0u32, 0u32, 0u32);
        let mut influence = 0u32;
        for i in 0..n {
            let l = leader[i] as u32;
            let m = l ^ 1;
            let own = ownership[i];
            let agree = (own > AGREE_LINE) as u32;
            let is_high = (engagement[i] == 3) as u32;
            let is_engaged = (engagement[i] >= 1) as u32;
            leaders += l;
            agree_l += agree & l;
            agree_m += agree & m;
            high_l += is_high & l;
            lacking += (burnout_of[i] > LACKING_SUPPORT_LINE) as u32 & l;
            engaged += is_engaged;
            influence += (own > influence_line) as u32 & is_engaged & m;
            high += is_high;
        }
        let (mut own_m, mut own_l, mut burnout) = (0.0, 0.0, 0.0);
        let (mut workload, mut overload, mut finance, mut penalty) = (0.0, 0.0, 0.0, 0.0);
        for i in 0..n {
            let is_leader = leader[i];
            let own = ownership[i];
            own_l += if is_leader { own } else { 0.0 };
            own_m += if is_leader { 0.0 } else { own };
            burnout += if is_leader { burnout_of[i] } else { 0.0 };
            workload += workload_of[i];
            overload += (workload_of[i] - 1.0).max(0.0);
            finance += (finance_of[i] + penalty_of[i]).min(1.0);
            penalty += penalty_of[i];
        }
        Sums {
            leaders,
            agree_m,
            agree_l,
            engaged,
            high,
            high_l,
            lacking,
            influence,
            own_m,
            own_l,
            burnout,
            workload,
            overload,
            finance,
            penalty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rng::Stream;

    /// Group means the plain way: filter the group, sum in practice order.
    fn mean_of(values: impl Iterator<Item = f64>) -> f64 {
        let (mut sum, mut n) = (0.0, 0.0);
        for v in values {
            sum += v;
            n += 1.0;
        }
        if n > 0.0 { sum / n } else { f64::NAN }
    }

    /// The AVX2 build of the observation gives the baseline build's bits
    /// (where the CPU has AVX2; elsewhere there is only one build), in CCGs
    /// of many sizes, leaders stepping down and posts going vacant.
    #[test]
    fn both_builds_of_the_observation_agree() {
        let mut p = Params::default();
        let mut checked = 0;
        for (k, n) in [1usize, 3, 8, 40, 131].into_iter().enumerate() {
            // Every other CCG burns its leaders out quickly.
            p.model.leader_exit = if k % 2 == 0 {
                crate::scenario::schema::LeaderExit::Threshold
            } else {
                crate::scenario::schema::LeaderExit::Hazard
            };
            p.behaviour.burnout_limit = 0.2;
            let mut ccg = Ccg::new(&p, n, Stream::derive(9, &[k as u64]));
            for _ in 0..60 {
                ccg.step(&p, 0.0);
                let plain = Observation::of_plain(&ccg, &p);
                let chosen = Observation::of(&ccg, &p);
                let bits = |o: Observation| o.values().map(f64::to_bits);
                assert_eq!(bits(plain), bits(chosen), "n {n}");
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2.
                    let wide = unsafe { Observation::of_avx2(&ccg, &p) };
                    assert_eq!(bits(plain), bits(wide), "n {n}");
                    checked += 1;
                }
            }
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            assert_eq!(checked, 5 * 60);
        }
    }

    #[test]
    fn observation_equals_plain_group_sums() {
        let p = Params::default();
        for (k, n) in [1usize, 2, 3, 7, 40, 131].into_iter().enumerate() {
            let mut ccg = Ccg::new(&p, n, Stream::derive(5, &[k as u64]));
            for month in 0..36 {
                if month > 0 {
                    ccg.step(&p, 0.0);
                }
                let o = ccg.observe(&p);
                let ps = &ccg.practices;
                let idx = |leader: bool| (0..n).filter(move |&i| ps.leader[i] == leader);
                let share = |c: usize, d: usize| if d > 0 { c as f64 / d as f64 } else { f64::NAN };
                let (lead, memb) = (idx(true).count(), idx(false).count());
                let same = |a: f64, b: f64, what: &str| {
                    assert!(
                        a.to_bits() == b.to_bits(),
                        "{what}: {a} vs {b} (n {n}, month {month})"
                    )
                };
                same(
                    o.ownership_members,
                    mean_of(idx(false).map(|i| ps.ownership[i])),
                    "own m",
                );
                same(
                    o.ownership_leaders,
                    mean_of(idx(true).map(|i| ps.ownership[i])),
                    "own l",
                );
                same(
                    o.leader_burnout,
                    mean_of(idx(true).map(|i| ps.burnout[i])),
                    "burnout",
                );
                same(o.workload, mean_of(ps.workload.iter().copied()), "workload");
                same(
                    o.overload,
                    mean_of(ps.workload.iter().map(|w| (w - 1.0).max(0.0))),
                    "overload",
                );
                same(
                    o.finance,
                    mean_of((0..n).map(|i| (ps.finance[i] + ps.penalty[i]).min(1.0))),
                    "finance",
                );
                same(o.penalty, mean_of(ps.penalty.iter().copied()), "penalty");
                same(o.leaders, lead as f64, "leaders");
                let agree = |i: &usize| ps.ownership[*i] > AGREE_LINE;
                same(
                    o.ownership_agree_members,
                    share(idx(false).filter(agree).count(), memb),
                    "agree m",
                );
                same(
                    o.ownership_agree_leaders,
                    share(idx(true).filter(agree).count(), lead),
                    "agree l",
                );
                same(
                    o.ownership_agree,
                    share((0..n).filter(agree).count(), n),
                    "agree",
                );
                let engaged = |i: &usize| ps.engagement[*i] >= 1;
                let high = |i: &usize| ps.engagement[*i] == 3;
                same(
                    o.engaged_share,
                    share((0..n).filter(engaged).count(), n),
                    "engaged",
                );
                same(
                    o.highly_engaged_share,
                    share((0..n).filter(high).count(), n),
                    "high",
                );
                same(
                    o.leaders_highly_engaged,
                    share(idx(true).filter(high).count(), lead),
                    "high l",
                );
                same(
                    o.leaders_lacking_support,
                    share(
                        idx(true)
                            .filter(|&i| ps.burnout[i] > LACKING_SUPPORT_LINE)
                            .count(),
                        lead,
                    ),
                    "lacking",
                );
                let line = p.behaviour.influence_line;
                same(
                    o.influence_members,
                    share(
                        idx(false)
                            .filter(|&i| engaged(&i) && ps.ownership[i] > line)
                            .count(),
                        memb,
                    ),
                    "influence",
                );
            }
        }
    }
}
