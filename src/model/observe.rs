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
    /// This month's observation of `ccg`. Two builds, chosen at run time:
    /// the baseline x86-64 (SSE2) one, and on CPUs with AVX2 one
    /// whose counts and sums take four practices at a time ([`Sums::avx2`])
    /// and whose divisions run on wider vectors. The float sums are the same
    /// additions in the same order either way (no reassociation, no fused
    /// multiply-add), and each quotient is one correctly rounded division,
    /// so both give the same bits (a unit test compares them).
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
        // SAFETY: AVX2 is enabled for this function, and its callers check
        // the CPU has it.
        let sums = unsafe { Sums::avx2(&ccg.practices, p.behaviour.influence_line) };
        Observation::from_sums(ccg, p, sums)
    }

    #[inline(always)]
    fn of_plain(ccg: &Ccg, p: &Params) -> Observation {
        let sums = Sums::plain(&ccg.practices, p.behaviour.influence_line);
        Observation::from_sums(ccg, p, sums)
    }

    /// The observation from the practices' counts and sums and the CCG's own state.
    #[inline(always)]
    fn from_sums(ccg: &Ccg, p: &Params, sums: Sums) -> Observation {
        let n = ccg.practices.len();
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
        } = sums;
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
    /// The practices' columns an observation reads, in the order
    /// `(ownership, engagement, leader, burnout, workload, finance, penalty)`,
    /// each cut to the number of practices.
    #[allow(clippy::type_complexity)]
    #[inline(always)]
    fn columns(ps: &super::Practices) -> (&[f64], &[u8], &[bool], &[f64], &[f64], &[f64], &[f64]) {
        let n = ps.len();
        (
            &ps.ownership[..n],
            &ps.engagement[..n],
            &ps.leader[..n],
            &ps.burnout[..n],
            &ps.workload[..n],
            &ps.finance[..n],
            &ps.penalty[..n],
        )
    }

    /// `[leaders, engaged, highly engaged, highly engaged leaders]`, counted
    /// from the bytes (integer sums, whose order does not matter, so the
    /// compiler vectorises them).
    #[inline(always)]
    fn level_counts(leader: &[bool], engagement: &[u8]) -> [u32; 4] {
        let (mut leaders, mut engaged, mut high, mut high_l) = (0u32, 0u32, 0u32, 0u32);
        for (&l, &e) in leader.iter().zip(engagement) {
            let (l, is_high) = (l as u32, (e == 3) as u32);
            leaders += l;
            engaged += (e >= 1) as u32;
            high += is_high;
            high_l += is_high & l;
        }
        [leaders, engaged, high, high_l]
    }

    /// Branch-free passes (this runs every month of every recorded run).
    /// Counts are integers; each float sum adds the same values in the same
    /// order as summing only the practices of its group (adding +0.0 to a
    /// sum that starts at +0.0 changes nothing).
    #[inline(always)]
    fn plain(ps: &super::Practices, influence_line: f64) -> Sums {
        let n = ps.len();
        let (ownership, engagement, leader, burnout_of, workload_of, finance_of, penalty_of) =
            Sums::columns(ps);
        // The counts first (integer sums, whose order does not matter, so the
        // compiler vectorises them), then the float sums in practice order.
        let [leaders, engaged, high, high_l] = Sums::level_counts(leader, engagement);
        let (mut agree_m, mut agree_l, mut lacking, mut influence) = (0u32, 0u32, 0u32, 0u32);
        for i in 0..n {
            let l = leader[i] as u32;
            let m = l ^ 1;
            let own = ownership[i];
            let agree = (own > AGREE_LINE) as u32;
            let is_engaged = (engagement[i] >= 1) as u32;
            agree_l += agree & l;
            agree_m += agree & m;
            lacking += (burnout_of[i] > LACKING_SUPPORT_LINE) as u32 & l;
            influence += (own > influence_line) as u32 & is_engaged & m;
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

/// The state of [`Sums::avx2`] between blocks of four practices: the float
/// sums in the lanes of two vectors, and counts as 64-bit lanes (each lane
/// counts its practices; comparisons give -1, so counts add up negated).
#[cfg(target_arch = "x86_64")]
struct Lanes {
    /// `[own_l, own_m, burnout, workload]`
    a: std::arch::x86_64::__m256d,
    /// `[overload, finance, penalty, 0]`
    b: std::arch::x86_64::__m256d,
    agree: std::arch::x86_64::__m256i,
    agree_l: std::arch::x86_64::__m256i,
    lacking: std::arch::x86_64::__m256i,
    influence: std::arch::x86_64::__m256i,
    influence_line: std::arch::x86_64::__m256d,
}

#[cfg(target_arch = "x86_64")]
impl Lanes {
    /// Add four practices: their ownership, burnout, workload, finance and
    /// penalty, whether each leads (0 or 1) and its engagement level.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn block(
        &mut self,
        [own, bur, wl, fin, pen]: [std::arch::x86_64::__m256d; 5],
        lead01: std::arch::x86_64::__m256i,
        eng: std::arch::x86_64::__m256i,
    ) {
        use std::arch::x86_64::*;
        let zero = _mm256_setzero_pd();
        let one = _mm256_set1_pd(1.0);
        // All ones in a leader's lane.
        let lead_i = _mm256_sub_epi64(_mm256_setzero_si256(), lead01);
        let lead = _mm256_castsi256_pd(lead_i);
        // The terms, a column (four practices) each.
        let c0 = _mm256_and_pd(own, lead);
        let c1 = _mm256_andnot_pd(lead, own);
        let c2 = _mm256_and_pd(bur, lead);
        let d0 = _mm256_max_pd(_mm256_sub_pd(wl, one), zero);
        let d1 = _mm256_min_pd(_mm256_add_pd(fin, pen), one);
        // Columns to rows (a 4 × 4 transpose), then added practice
        // after practice.
        let t0 = _mm256_unpacklo_pd(c0, c1);
        let t1 = _mm256_unpackhi_pd(c0, c1);
        let t2 = _mm256_unpacklo_pd(c2, wl);
        let t3 = _mm256_unpackhi_pd(c2, wl);
        let u0 = _mm256_unpacklo_pd(d0, d1);
        let u1 = _mm256_unpackhi_pd(d0, d1);
        let u2 = _mm256_unpacklo_pd(pen, zero);
        let u3 = _mm256_unpackhi_pd(pen, zero);
        let (mut a, mut b) = (self.a, self.b);
        a = _mm256_add_pd(a, _mm256_permute2f128_pd(t0, t2, 0x20));
        b = _mm256_add_pd(b, _mm256_permute2f128_pd(u0, u2, 0x20));
        a = _mm256_add_pd(a, _mm256_permute2f128_pd(t1, t3, 0x20));
        b = _mm256_add_pd(b, _mm256_permute2f128_pd(u1, u3, 0x20));
        a = _mm256_add_pd(a, _mm256_permute2f128_pd(t0, t2, 0x31));
        b = _mm256_add_pd(b, _mm256_permute2f128_pd(u0, u2, 0x31));
        a = _mm256_add_pd(a, _mm256_permute2f128_pd(t1, t3, 0x31));
        b = _mm256_add_pd(b, _mm256_permute2f128_pd(u1, u3, 0x31));
        (self.a, self.b) = (a, b);
        // The counts that need the floats.
        let gt = |x, line| _mm256_castpd_si256(_mm256_cmp_pd::<_CMP_GT_OQ>(x, line));
        let agree = gt(own, _mm256_set1_pd(AGREE_LINE));
        let lacks = gt(bur, _mm256_set1_pd(LACKING_SUPPORT_LINE));
        let above = gt(own, self.influence_line);
        let engaged = _mm256_cmpgt_epi64(eng, _mm256_setzero_si256());
        self.agree = _mm256_add_epi64(self.agree, agree);
        self.agree_l = _mm256_add_epi64(self.agree_l, _mm256_and_si256(agree, lead_i));
        self.lacking = _mm256_add_epi64(self.lacking, _mm256_and_si256(lacks, lead_i));
        let influences = _mm256_andnot_si256(lead_i, _mm256_and_si256(above, engaged));
        self.influence = _mm256_add_epi64(self.influence, influences);
    }
}

#[cfg(target_arch = "x86_64")]
impl Sums {
    /// The same counts and sums as [`Sums::plain`], four practices at a time
    /// in one pass. The seven float sums live in the lanes of two vectors,
    /// `[own_l, own_m, burnout, workload]` and `[overload, finance, penalty,
    /// 0]`: each block's terms are computed four practices at a time, turned
    /// into one vector per practice (a 4 × 4 transpose) and added practice
    /// after practice, so every lane adds the same terms in the same order as
    /// the scalar sum (bit for bit the same). The plain loop was bound by its
    /// seven scalar additions per practice and their operands; here a
    /// practice costs two vector additions, and the counts ride along. The
    /// counts of leaders and engagement levels, which need no float, are
    /// counted from the bytes as in the plain build.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    unsafe fn avx2(ps: &super::Practices, influence_line: f64) -> Sums {
        use std::arch::x86_64::*;
        let n = ps.len();
        let (ownership, engagement, leader, burnout_of, workload_of, finance_of, penalty_of) =
            Sums::columns(ps);
        let [leaders, engaged, high, high_l] = Sums::level_counts(leader, engagement);
        let mut lanes = Lanes {
            a: _mm256_setzero_pd(),
            b: _mm256_setzero_pd(),
            agree: _mm256_setzero_si256(),
            agree_l: _mm256_setzero_si256(),
            lacking: _mm256_setzero_si256(),
            influence: _mm256_setzero_si256(),
            influence_line: _mm256_set1_pd(influence_line),
        };
        // SAFETY: a bool is one byte, 0 or 1.
        let leader_bytes =
            unsafe { std::slice::from_raw_parts(leader.as_ptr() as *const u8, leader.len()) };
        // Four bytes from `at` as 64-bit lanes (zeros past the end).
        let bytes = |s: &[u8], at: usize| {
            let mut four = [0u8; 4];
            match s.get(at..at + 4) {
                Some(x) => four.copy_from_slice(x),
                None => four[..s.len() - at].copy_from_slice(&s[at..]),
            }
            _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(i32::from_le_bytes(four)))
        };
        let arrays = [ownership, burnout_of, workload_of, finance_of, penalty_of];
        let whole = n / 4 * 4;
        for i in (0..whole).step_by(4) {
            // SAFETY: i + 4 <= n, the length of every array.
            let v = arrays.map(|x| unsafe { _mm256_loadu_pd(x.as_ptr().add(i)) });
            lanes.block(v, bytes(leader_bytes, i), bytes(engagement, i));
        }
        if whole < n {
            // The last one to three practices, padded to a block with
            // practices that add nothing: no post, ownership, workload,
            // finance or engagement. Each of their terms is +0.0, and adding
            // +0.0 leaves a sum as it was (a sum starting at +0.0 is never
            // -0.0); no count counts them (a zero ownership is above an
            // influence line below zero, but the practice is not engaged).
            let v = arrays.map(|x| {
                let mut four = [0.0; 4];
                four[..n - whole].copy_from_slice(&x[whole..]);
                // SAFETY: four holds four f64.
                unsafe { _mm256_loadu_pd(four.as_ptr()) }
            });
            lanes.block(v, bytes(leader_bytes, whole), bytes(engagement, whole));
        }
        let lanes_f = |v: __m256d| {
            let mut x = [0.0f64; 4];
            // SAFETY: x holds four f64.
            unsafe { _mm256_storeu_pd(x.as_mut_ptr(), v) };
            x
        };
        let total = |v: __m256i| {
            let mut x = [0i64; 4];
            // SAFETY: x holds four i64.
            unsafe { _mm256_storeu_si256(x.as_mut_ptr() as *mut __m256i, v) };
            x.iter().sum::<i64>().unsigned_abs() as u32
        };
        let [own_l, own_m, burnout, workload] = lanes_f(lanes.a);
        let [overload, finance, penalty, _] = lanes_f(lanes.b);
        let (agree, agree_l) = (total(lanes.agree), total(lanes.agree_l));
        Sums {
            leaders,
            agree_m: agree - agree_l,
            agree_l,
            engaged,
            high,
            high_l,
            lacking: total(lanes.lacking),
            influence: total(lanes.influence),
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
        // Every remainder modulo the AVX2 build's blocks of four.
        const SIZES: [usize; 8] = [1, 2, 3, 5, 6, 8, 40, 131];
        let mut p = Params::default();
        let mut checked = 0;
        for (k, n) in SIZES.into_iter().enumerate() {
            // Every other CCG burns its leaders out quickly.
            p.model.leader_exit = if k % 2 == 0 {
                crate::scenario::schema::LeaderExit::Threshold
            } else {
                crate::scenario::schema::LeaderExit::Hazard
            };
            p.behaviour.burnout_limit = 0.2;
            // Some CCGs sanction hard, so finance plus penalty passes 1.
            p.constitution.sanctions = if k % 3 == 0 { 1.0 } else { 0.2 };
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
            assert_eq!(checked, SIZES.len() * 60);
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
