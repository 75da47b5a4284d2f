//! One CCG and its member practices: state, initialisation and the monthly step.
//! The equations live in [`equations`]; what is recorded lives in [`observe`].

pub mod equations;
pub mod exp;
pub mod observe;
pub mod rng;

use crate::scenario::Params;
use crate::scenario::schema::{LeaderExit, Sanction};
use equations as eq;
pub use observe::Observation;
use rand_distr::{Distribution, LogNormal, StandardNormal};
use rng::{Chance, Stream};

/// Practice state, one vector per variable (structure of arrays): the monthly
/// pass streams through memory and the state per practice stays small.
#[derive(Debug, Clone, Default)]
pub struct Practices {
    pub list_size: Vec<f64>,
    pub locality: Vec<u16>,
    pub workload_base: Vec<f64>,
    /// `(4.22 / GPs)^κ`: how heavily CCG work weighs on the practice.
    pub slack: Vec<f64>,
    pub threshold: Vec<f64>,
    /// Fixed personal disposition toward the CCG (logit shift of the ownership target).
    pub disposition: Vec<f64>,
    pub conflicted: Vec<bool>,
    pub ownership: Vec<f64>,
    /// 0 not, 1 somewhat, 2 moderately, 3 highly engaged.
    pub engagement: Vec<u8>,
    pub workload: Vec<f64>,
    /// Financial pressure apart from the sanction penalty.
    pub finance: Vec<f64>,
    /// Sanction penalty the practice pays (0-1 finance units).
    pub penalty: Vec<f64>,
    pub leader: Vec<bool>,
    /// Meaningful for leaders only.
    pub burnout: Vec<f64>,
    /// Months served in the current term (leaders only).
    pub tenure: Vec<u32>,
}

impl Practices {
    pub fn len(&self) -> usize {
        self.ownership.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ownership.is_empty()
    }
}

/// A CCG-run in progress.
#[derive(Debug, Clone)]
pub struct Ccg {
    pub practices: Practices,
    pub localities: usize,
    pub posts: usize,
    pub month: u32,
    pub credibility: f64,
    pub performance: f64,
    pub support: f64,
    pub conflict: f64,
    /// Total narrative pushing credibility this month (negative = failure predicted).
    pub narrative: f64,
    pub conflicted_share: f64,
    /// Consecutive months below both failure lines, and when failure was first declared.
    pub failing_streak: u32,
    pub failed_month: Option<u32>,
    /// Leaders in post at the end of the month.
    pub leaders: usize,
    /// Leaders who left their post this month (quit, term ended, or replaced).
    pub stepdowns: u32,
    /// Was an NHS England intervention in force this month?
    pub intervening: bool,
    /// Months of intervention still to come after this one.
    pub intervention_left: u32,
    /// Interventions started so far.
    pub interventions: u32,
    /// Cumulative surplus (+) or deficit (−), share of annual allocation.
    pub balance: f64,
    /// Quality premium earned at the last year end (GBP per head), in force this year.
    pub premium: f64,
    year_performance: f64,
    rng: Stream,
    /// Total list size (fixed), summed once in practice order.
    total_list: f64,
    // Per-locality aggregates of last month. `step` reads them and leaves this
    // month's for the next step (summed in its practice loop, in practice order,
    // so they equal a fresh pass over the state).
    loc_ownership: Vec<f64>,
    loc_engaged: Vec<f64>,
    loc_count: Vec<f64>,
    // Scratch reused every step: the ownership logit shared by [member, leader]
    // in each locality, the drive shared by a locality, and this month's sums.
    loc_logit: Vec<[f64; 2]>,
    loc_drive: Vec<f64>,
    loc_sum_ownership: Vec<f64>,
    loc_sum_engaged: Vec<u32>,
    /// Scratch: this month's ownership target of every practice.
    target: Vec<f64>,
    /// Scratch: practices whose leader left this month (not eligible until next month).
    leavers: Vec<usize>,
    powers: eq::Powers,
}

/// The first practice `i` for which `eligible(i)` holds, taking the `n`
/// practices in order from `start` and wrapping round (`start`, …, `n − 1`,
/// `0`, …, `start − 1`); two plain scans, with no division per practice.
fn first_from(start: usize, n: usize, eligible: impl Fn(usize) -> bool) -> Option<usize> {
    (start..n)
        .find(|&i| eligible(i))
        .or_else(|| (0..start.min(n)).find(|&i| eligible(i)))
}

/// Leader exit rule and sanction mode as numbers the hot loop can use.
fn penalty_in_drive(p: &Params) -> f64 {
    match p.model.sanction {
        Sanction::Conditional => 0.0,
        Sanction::Pressure => 1.0,
    }
}

impl Ccg {
    /// Build a CCG of `n` practices under `p` (the parameters in force at month 0).
    pub fn new(p: &Params, n: usize, rng: Stream) -> Ccg {
        let mut ccg = Ccg::new_unset(p, n, rng);
        ccg.initialise_attitudes(p);
        ccg
    }

    /// [`Ccg::new`] with the baseline build of the initialisation (tests).
    #[cfg(test)]
    fn new_plain(p: &Params, n: usize, rng: Stream) -> Ccg {
        let mut ccg = Ccg::new_unset(p, n, rng);
        ccg.initialise_attitudes_plain(p);
        ccg
    }

    /// The practices and structure of [`Ccg::new`], before their attitudes.
    fn new_unset(p: &Params, n: usize, mut rng: Stream) -> Ccg {
        let localities = eq::localities(p, n);
        let list = LogNormal::new(p.ccg.list_size_median.ln(), p.ccg.list_size_sigma)
            .expect("list size parameters are validated");
        let mut ps = Practices::default();
        for i in 0..n {
            let z: f64 = StandardNormal.sample(&mut rng);
            let t: f64 = StandardNormal.sample(&mut rng);
            let list_size = list.sample(&mut rng);
            ps.list_size.push(list_size);
            ps.slack.push(eq::slack(p, eq::gps(p, list_size)));
            ps.locality.push((i * localities / n) as u16);
            ps.workload_base
                .push((eq::WORKLOAD_BASE_MEAN + p.behaviour.workload_base_sd * z).max(0.1));
            ps.threshold.push(p.behaviour.threshold_sd * t);
            let d: f64 = StandardNormal.sample(&mut rng);
            ps.disposition.push(p.behaviour.ownership_sd * d);
            ps.conflicted.push(rng.unit() < p.ccg.share_conflicted);
        }
        let posts = eq::leader_posts(p, n, localities);
        ps.leader = vec![false; n];
        for i in rng.sample_indices(n, posts) {
            ps.leader[i] = true;
        }
        ps.burnout = vec![p.behaviour.new_leader_burnout; n];
        ps.tenure = vec![0; n];
        ps.finance = vec![p.environment.funding_squeeze; n];
        ps.penalty = vec![0.0; n];
        ps.engagement = vec![0; n];
        ps.workload = ps.workload_base.clone();
        ps.ownership = vec![0.0; n];
        let conflicted_share = if n == 0 {
            0.0
        } else {
            ps.conflicted.iter().filter(|&&c| c).count() as f64 / n as f64
        };

        let mut ccg = Ccg {
            practices: ps,
            localities,
            posts,
            month: 0,
            credibility: p.ccg.initial_credibility,
            performance: p.ccg.initial_credibility,
            support: eq::support(p, 0.0, false),
            conflict: 0.0,
            narrative: 0.0,
            conflicted_share,
            failing_streak: 0,
            failed_month: None,
            leaders: posts,
            stepdowns: 0,
            intervening: false,
            intervention_left: 0,
            interventions: 0,
            balance: 0.0,
            premium: 0.0,
            year_performance: 0.0,
            rng,
            total_list: 0.0,
            loc_ownership: vec![0.0; localities],
            loc_engaged: vec![0.0; localities],
            loc_count: vec![0.0; localities],
            loc_logit: vec![[0.0; 2]; localities],
            loc_drive: vec![0.0; localities],
            loc_sum_ownership: vec![0.0; localities],
            loc_sum_engaged: vec![0; localities],
            target: vec![0.0; n],
            leavers: Vec::new(),
            powers: eq::Powers::default(),
        };
        for &x in &ccg.practices.list_size {
            ccg.total_list += x;
        }
        ccg.aggregate_localities();
        ccg
    }

    /// Member voice and shared drive of each locality this month (peer review
    /// depends on the locality's size).
    fn locality_terms(&mut self, p: &Params, drive_common: f64) -> Vec<f64> {
        let n = self.practices.len();
        let mut voice = Vec::with_capacity(self.localities);
        for l in 0..self.localities {
            let pr = eq::peer_review_strength(p, self.loc_count[l]);
            voice.push(eq::member_voice(p, n, pr, &mut self.powers));
            self.loc_drive[l] = drive_common + p.behaviour.eng_peer_review * pr;
        }
        voice
    }

    /// Month-0 ownership and engagement. Ownership starts at the launch goodwill:
    /// the target each practice would hold before it has lived under its
    /// constitution (no threat, no conflict of interest, no penalty), raised by
    /// `ccg.launch_goodwill` on the logit scale, with the locality term at its fixed
    /// point; it then relaxes toward the full target month by month.
    /// Engagement is drawn twice so the locality term reflects the first draws;
    /// then every leader, new at launch, starts highly engaged.
    fn initialise_attitudes(&mut self, p: &Params) {
        #[cfg(target_arch = "x86_64")]
        if exp::has_fma() {
            // SAFETY: the CPU has FMA and AVX2 (checked just above).
            return unsafe { self.initialise_attitudes_fma(p) };
        }
        self.initialise_attitudes_plain(p)
    }

    /// [`Ccg::initialise_attitudes`] built with FMA and AVX2, for the model's
    /// `exp` (see [`Ccg::step`]).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn initialise_attitudes_fma(&mut self, p: &Params) {
        self.initialise_attitudes_plain(p)
    }

    #[inline(always)]
    fn initialise_attitudes_plain(&mut self, p: &Params) {
        let n = self.practices.len();
        self.conflict = eq::conflict(p, self.conflicted_share);
        let common =
            eq::ownership_logit_common(p, self.credibility, 0.0, 0.0) + p.ccg.launch_goodwill;
        let drive_common = eq::engagement_drive_common(p, self.credibility);
        let v_member = self.locality_terms(p, drive_common);
        let voice = |leader: bool, l: usize| if leader { 1.0 } else { v_member[l] };
        self.loc_ownership.iter_mut().for_each(|x| *x = 0.5);
        for _ in 0..10 {
            let ps = &self.practices;
            let mut sum = vec![0.0; self.localities];
            // The targets' logits, then their logistics all at once, then the
            // sums in practice order.
            let target = &mut self.target[..n];
            for (i, t) in target.iter_mut().enumerate() {
                let l = ps.locality[i] as usize;
                *t = eq::ownership_target_logit(
                    p,
                    common,
                    voice(ps.leader[i], l),
                    self.loc_ownership[l],
                    ps.disposition[i],
                    0.0,
                );
            }
            eq::logistic_each(target);
            for (i, &t) in target.iter().enumerate() {
                sum[ps.locality[i] as usize] += t;
            }
            for ((o, s), &c) in self.loc_ownership.iter_mut().zip(&sum).zip(&self.loc_count) {
                *o = s / f64::max(c, 1.0);
            }
        }
        for i in 0..n {
            let ps = &mut self.practices;
            let l = ps.locality[i] as usize;
            let z: f64 = StandardNormal.sample(&mut self.rng);
            ps.ownership[i] = (eq::logistic(eq::ownership_target_logit(
                p,
                common,
                voice(ps.leader[i], l),
                self.loc_ownership[l],
                ps.disposition[i],
                0.0,
            )) + 3.0 * p.behaviour.ownership_noise * z)
                .clamp(0.0, 1.0);
        }
        self.loc_engaged.iter_mut().for_each(|x| *x = 0.5);
        for _pass in 0..2 {
            let ps = &mut self.practices;
            for i in 0..n {
                let burnout = ps.leader[i].then_some(ps.burnout[i]);
                let l = ps.locality[i] as usize;
                let u = eq::engagement_drive(
                    p,
                    self.loc_drive[l],
                    ps.ownership[i],
                    self.loc_engaged[l],
                    ps.workload[i],
                    ps.finance[i],
                    burnout,
                ) - ps.threshold[i];
                ps.engagement[i] = eq::engagement_level(p, u, self.rng.unit());
            }
            self.aggregate_localities();
        }
        let qf = eq::qipp_factor(p, self.support);
        for i in 0..n {
            let ps = &mut self.practices;
            if ps.leader[i] {
                ps.engagement[i] = 3;
            }
            let engaged = ps.engagement[i] >= 1;
            ps.finance[i] = eq::finance_target(p, engaged, 0.0, 0.0);
            ps.penalty[i] = eq::penalty_target(p, engaged);
            let work = eq::ccg_work(p, self.support, 0.0, engaged, ps.leader[i]);
            ps.workload[i] = eq::workload(qf, ps.workload_base[i], work, ps.slack[i]);
        }
        self.aggregate_localities();
    }

    /// Locality mean ownership, engaged share and size from the current state.
    fn aggregate_localities(&mut self) {
        let ps = &self.practices;
        self.loc_ownership.iter_mut().for_each(|x| *x = 0.0);
        self.loc_engaged.iter_mut().for_each(|x| *x = 0.0);
        self.loc_count.iter_mut().for_each(|x| *x = 0.0);
        for i in 0..ps.len() {
            let l = ps.locality[i] as usize;
            self.loc_ownership[l] += ps.ownership[i];
            self.loc_engaged[l] += (ps.engagement[i] >= 1) as u8 as f64;
            self.loc_count[l] += 1.0;
        }
        for l in 0..self.localities {
            let c = self.loc_count[l].max(1.0);
            self.loc_ownership[l] /= c;
            self.loc_engaged[l] /= c;
        }
    }

    /// Advance one month under `p` (the parameters in force this month) with a
    /// narrative shock of total strength `shock`. Every practice reads last month's
    /// aggregates (synchronous update), so practice order does not matter.
    ///
    /// This is the hot loop (docs/PERFORMANCE.md): every term that is the same
    /// for many practices is computed once per month. It is compiled twice, for
    /// the baseline x86-64 and with FMA and AVX2, chosen at run time: the
    /// model's [`exp::exp`] is written with fused multiply-adds, which are one
    /// instruction with FMA and a correctly rounded library call without, the
    /// same bits either way (every other operation is the same in both builds).
    pub fn step(&mut self, p: &Params, shock: f64) {
        #[cfg(target_arch = "x86_64")]
        if exp::has_fma() {
            // SAFETY: the CPU has FMA and AVX2 (checked just above).
            return unsafe { self.step_fma(p, shock) };
        }
        self.step_plain(p, shock)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn step_fma(&mut self, p: &Params, shock: f64) {
        self.step_plain(p, shock)
    }

    #[inline(always)]
    fn step_plain(&mut self, p: &Params, shock: f64) {
        self.month += 1;
        self.stepdowns = 0;
        self.leavers.clear();
        let n = self.practices.len();
        self.intervening = self.intervention_left > 0;
        let deficit = (-self.balance).max(0.0);
        let s = eq::support(p, deficit, self.intervening);
        self.support = s;
        self.conflict = eq::conflict(p, self.conflicted_share);
        let threat = eq::threat(p, self.intervening);
        let own_common = eq::ownership_logit_common(p, self.credibility, threat, self.conflict);
        let drive_common = eq::engagement_drive_common(p, self.credibility);
        let v_member = self.locality_terms(p, drive_common);
        let qf = eq::qipp_factor(p, s);
        let b = &p.behaviour;
        let sqrt12 = 12f64.sqrt();
        let (w_noise, o_noise, b_noise) = (
            b.workload_noise * sqrt12,
            b.ownership_noise * sqrt12,
            b.burnout_noise * sqrt12,
        );
        let vacant_share = if self.posts == 0 {
            0.0
        } else {
            self.posts.saturating_sub(self.leaders) as f64 / self.posts as f64
        };
        // Month constants, indexed by [engaged][leader] or [engaged].
        let ccg_work =
            [false, true].map(|e| [false, true].map(|l| eq::ccg_work(p, s, vacant_share, e, l)));
        let finance_target = [false, true].map(|e| eq::finance_target(p, e, self.premium, deficit));
        let penalty_target = [false, true].map(|e| eq::penalty_target(p, e));
        let pen_drive = penalty_in_drive(p);
        let own_penalty = b.own_penalty;
        let hazard_exit = p.model.leader_exit == LeaderExit::Hazard;
        let term = p.ccg.term_months;
        let revise = Chance::new(b.revision_rate);
        for ((logit, &own), &v) in self
            .loc_logit
            .iter_mut()
            .zip(&self.loc_ownership)
            .zip(&v_member)
        {
            *logit = [v, 1.0].map(|v| eq::ownership_logit_shared(p, own_common, v, own));
        }
        self.loc_sum_ownership.fill(0.0);
        self.loc_sum_engaged.fill(0);

        // First pass: the ownership targets. They depend only on last month's
        // state, with no random draw in between, so their logits are written
        // first and the logistic then runs over all of them, four at a time
        // where the CPU allows (the same bits as one at a time).
        {
            let ps = &self.practices;
            let target = &mut self.target[..n];
            for (((t, &l), (&leader, &d)), &pen) in target
                .iter_mut()
                .zip(&ps.locality[..n])
                .zip(ps.leader[..n].iter().zip(&ps.disposition[..n]))
                .zip(&ps.penalty[..n])
            {
                *t = self.loc_logit[l as usize][leader as usize] + d - own_penalty * pen;
            }
            eq::logistic_each(target);
        }

        let mut rng = self.rng.clone();
        let (mut leaders, mut engaged_count, mut engaged_list) = (0usize, 0usize, 0.0);
        let mut stepdowns = 0u32;
        let ps = &mut self.practices;
        // Slices of length n, so indexing by i needs no bounds checks.
        let (list_size, locality, workload_base, slack, threshold, target) = (
            &ps.list_size[..n],
            &ps.locality[..n],
            &ps.workload_base[..n],
            &ps.slack[..n],
            &ps.threshold[..n],
            &self.target[..n],
        );
        let (ownership, engagement, workload, finance, penalty, leader_of, burnout, tenure) = (
            &mut ps.ownership[..n],
            &mut ps.engagement[..n],
            &mut ps.workload[..n],
            &mut ps.finance[..n],
            &mut ps.penalty[..n],
            &mut ps.leader[..n],
            &mut ps.burnout[..n],
            &mut ps.tenure[..n],
        );
        for i in 0..n {
            let leader = leader_of[i];
            let engaged = engagement[i] >= 1;
            let l = locality[i] as usize;
            let w = (workload_base[i] * qf
                + ccg_work[engaged as usize][leader as usize] * slack[i]
                + w_noise * (rng.unit() - 0.5))
                .max(0.0);
            workload[i] = w;
            let f = finance[i];
            let f = f + b.finance_rate * (finance_target[engaged as usize] - f);
            finance[i] = f;
            let pen = penalty[i];
            let pen = pen + b.finance_rate * (penalty_target[engaged as usize] - pen);
            penalty[i] = pen;
            let o = ownership[i];
            let o = (o + b.ownership_rate * (target[i] - o) + o_noise * (rng.unit() - 0.5))
                .clamp(0.0, 1.0);
            ownership[i] = o;
            let mut still_leader = leader;
            if leader {
                let bt = eq::burnout_target(p, w, s);
                let x = burnout[i];
                let x =
                    (x + b.burnout_rate * (bt - x) + b_noise * (rng.unit() - 0.5)).clamp(0.0, 1.0);
                burnout[i] = x;
                // Mid-term exit, checked every month; then the end of a term.
                let quit = if hazard_exit {
                    rng.unit() < eq::quit_hazard(p, x, w)
                } else {
                    x > b.burnout_limit
                };
                tenure[i] += 1;
                let leave =
                    quit || (tenure[i] >= term && rng.unit() >= eq::restand_probability(p, x));
                if tenure[i] >= term {
                    tenure[i] = 0;
                }
                if leave {
                    still_leader = false;
                    tenure[i] = 0;
                    stepdowns += 1;
                    self.leavers.push(i);
                }
            }
            let mut level = engagement[i];
            if rng.hit(revise) {
                let burnout = leader.then_some(burnout[i]);
                let u = eq::engagement_drive(
                    p,
                    self.loc_drive[l],
                    o,
                    self.loc_engaged[l],
                    w,
                    f + pen_drive * pen,
                    burnout,
                ) - threshold[i];
                level = eq::engagement_level(p, u, rng.unit());
                engagement[i] = level;
            }
            leader_of[i] = still_leader;
            leaders += still_leader as usize;
            // This month's aggregates, for the CCG update and for next month.
            let now_engaged = level >= 1;
            engaged_count += now_engaged as usize;
            // Adding +0.0 leaves a positive sum unchanged: same bits as skipping.
            engaged_list += if now_engaged { list_size[i] } else { 0.0 };
            self.loc_sum_ownership[l] += o;
            self.loc_sum_engaged[l] += now_engaged as u32;
        }
        self.rng = rng;
        self.stepdowns = stepdowns;
        for l in 0..self.localities {
            let c = self.loc_count[l].max(1.0);
            self.loc_ownership[l] = self.loc_sum_ownership[l] / c;
            self.loc_engaged[l] = self.loc_sum_engaged[l] as f64 / c;
        }
        self.leaders = self.fill_vacancies(p, leaders);
        self.update_ccg(p, shock, engaged_count, engaged_list);
    }

    /// Each vacant post is offered, with the month's fill probability, to the
    /// first member from a random start (in practice order, wrapping) that holds
    /// no post, is at least moderately engaged and did not leave a post this
    /// month; the member takes it with [`eq::acceptance`] of its workload. A new
    /// leader arrives fresh: burnout `new_leader_burnout`, highly engaged.
    /// Returns the leaders in post after.
    #[inline(always)]
    fn fill_vacancies(&mut self, p: &Params, mut leaders: usize) -> usize {
        let vacancies = self.posts.saturating_sub(leaders);
        if vacancies == 0 {
            return leaders;
        }
        let n = self.practices.len();
        let prob = eq::fill_probability(p);
        for _ in 0..vacancies {
            if self.rng.unit() >= prob {
                continue;
            }
            let start = self.rng.below(n);
            let ps = &self.practices;
            let leavers = &self.leavers;
            let found = first_from(start, n, |i| {
                !ps.leader[i] && ps.engagement[i] >= eq::CANDIDATE_LEVEL && !leavers.contains(&i)
            });
            if let Some(i) = found {
                let accept = eq::acceptance(p, ps.workload[i]);
                if self.rng.unit() < accept {
                    self.appoint(p, i);
                    leaders += 1;
                }
            }
        }
        leaders
    }

    /// Make practice `i`'s GP a fresh leader.
    fn appoint(&mut self, p: &Params, i: usize) {
        let ps = &mut self.practices;
        ps.leader[i] = true;
        ps.burnout[i] = p.behaviour.new_leader_burnout;
        ps.tenure[i] = 0;
        ps.engagement[i] = 3;
    }

    /// NHS England's leadership change: each leader is replaced with probability
    /// `leadership_change`, and every post left empty (replaced or vacant) gets an
    /// appointee: the first practice from a random start that holds no post and
    /// did not just leave one, whatever its engagement. Appointees arrive fresh.
    fn leadership_change(&mut self, p: &Params) {
        let n = self.practices.len();
        for i in 0..n {
            if self.practices.leader[i] && self.rng.unit() < p.intervention.leadership_change {
                self.practices.leader[i] = false;
                self.practices.tenure[i] = 0;
                self.stepdowns += 1;
                self.leavers.push(i);
                self.leaders -= 1;
            }
        }
        for _ in 0..self.posts.saturating_sub(self.leaders) {
            let start = self.rng.below(n);
            let ps = &self.practices;
            let leavers = &self.leavers;
            let found = first_from(start, n, |i| !ps.leader[i] && !leavers.contains(&i));
            if let Some(i) = found {
                let l = ps.locality[i] as usize;
                if ps.engagement[i] == 0 {
                    // Keep next month's locality engaged share in step with the state.
                    self.loc_engaged[l] += 1.0 / self.loc_count[l].max(1.0);
                }
                self.appoint(p, i);
                self.leaders += 1;
            }
        }
    }

    /// Performance, credibility, CCG finance, the failure clock and NHS England
    /// intervention, from this month's counts.
    fn update_ccg(&mut self, p: &Params, shock: f64, engaged: usize, engaged_list: f64) {
        let n = self.practices.len();
        let engaged_list_share = if self.total_list > 0.0 {
            engaged_list / self.total_list
        } else {
            0.0
        };
        let filled = if self.posts == 0 {
            1.0
        } else {
            self.leaders as f64 / self.posts as f64
        };
        let noise = p.behaviour.perf_noise * 12f64.sqrt() * (self.rng.unit() - 0.5);
        self.performance = (eq::performance(
            p,
            engaged_list_share,
            self.support,
            filled,
            self.conflict,
            self.intervening,
            &mut self.powers,
        ) + noise)
            .clamp(0.0, 1.0);
        self.narrative = (p.environment.narrative - shock).clamp(-1.0, 1.0);
        self.credibility =
            eq::credibility_next(p, self.credibility, self.performance, self.narrative);

        // CCG finance: the balance follows performance; each April (months 12,
        // 24, …) the quality premium for the year is earned or withheld.
        self.balance = eq::balance_next(p, self.balance, self.performance);
        self.year_performance += self.performance;
        if self.month % 12 == 0 {
            self.premium = eq::quality_premium(p, self.balance, self.year_performance / 12.0);
            self.year_performance = 0.0;
        }

        let engaged_share = if n == 0 {
            0.0
        } else {
            engaged as f64 / n as f64
        };
        let failing =
            engaged_share < p.failure.engaged_line && self.credibility < p.failure.credibility_line;
        self.failing_streak = if failing { self.failing_streak + 1 } else { 0 };
        let failed = self.failing_streak >= p.failure.months;
        if self.failed_month.is_none() && failed {
            self.failed_month = Some(self.month);
        }

        // NHS England: an intervention in force counts down; a failed CCG without
        // one draws whether one starts (in force from next month).
        if self.intervening {
            self.intervention_left -= 1;
        }
        if failed && self.intervention_left == 0 && self.rng.unit() < p.intervention.rate {
            self.intervention_left = p.intervention.months;
            self.interventions += 1;
            self.leadership_change(p);
        }
    }

    /// Is the CCG in a failed state now (failing for at least `failure.months`)?
    pub fn in_failure(&self, p: &Params) -> bool {
        self.failing_streak >= p.failure.months
    }

    pub fn observe(&self, p: &Params) -> Observation {
        Observation::of(self, p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`first_from`] visits the practices in the order of the wrapped index
    /// `(start + k) % n`, so it finds the same practice.
    #[test]
    fn first_from_is_the_wrapped_scan() {
        for n in 1..12usize {
            for start in 0..n {
                for mask in 0u32..(1 << n) {
                    let eligible = |i: usize| mask & (1 << i) != 0;
                    let wrapped = (0..n).map(|k| (start + k) % n).find(|&i| eligible(i));
                    assert_eq!(
                        first_from(start, n, eligible),
                        wrapped,
                        "n {n} start {start} mask {mask:b}"
                    );
                }
            }
        }
    }

    /// The FMA build of the step and of the initialisation (chosen at run time
    /// on CPUs that have it) gives the baseline build's bits: every practice's
    /// state and the random stream agree after each month, in CCGs of many
    /// sizes, with leaders leaving and posts filled.
    #[test]
    fn both_builds_of_the_step_agree() {
        let mut p = Params::default();
        p.behaviour.quit_rate = 0.1;
        for (k, n) in [1usize, 3, 7, 40, 131].into_iter().enumerate() {
            let stream = Stream::derive(3, &[k as u64]);
            let (mut a, mut b) = (
                Ccg::new(&p, n, stream.clone()),
                Ccg::new_plain(&p, n, stream),
            );
            for month in 0..=60 {
                if month > 0 {
                    a.step(&p, 0.0);
                    b.step_plain(&p, 0.0);
                }
                let (x, y) = (&a.practices, &b.practices);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                for (u, v) in [
                    (&x.ownership, &y.ownership),
                    (&x.workload, &y.workload),
                    (&x.finance, &y.finance),
                    (&x.penalty, &y.penalty),
                    (&x.burnout, &y.burnout),
                ] {
                    assert_eq!(bits(u), bits(v), "n {n}, month {month}");
                }
                assert_eq!(x.engagement, y.engagement, "n {n}, month {month}");
                assert_eq!(x.leader, y.leader, "n {n}, month {month}");
                assert_eq!(a.credibility.to_bits(), b.credibility.to_bits());
                assert_eq!(
                    a.rng.clone().unit().to_bits(),
                    b.rng.clone().unit().to_bits()
                );
            }
        }
    }
}
