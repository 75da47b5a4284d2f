"""An independent Mesa 3 implementation of the ccgsim model, written from
docs/ODD.md alone (not from src/): the project's re-implementation check of the
ODD and the other side of the speed comparison in benches/mesa/bench.sh.

Practices are Mesa agents, the CCG is the Mesa Model, and a DataCollector
records the same per-month observables as ccgsim's timeseries.csv. The random
stream is Python's (Mersenne Twister, via Mesa's ``model.random``), so runs match
ccgsim in distribution, not number for number.

    python ccg_mesa.py SCENARIO.toml --out DIR [--replicates R] [--months T]
                       [--seed S] [--timing FILE]

writes DIR/timeseries.csv (one row per replicate x month, ccgsim's columns) and,
with --timing, a JSON line with the in-memory time (building and stepping the
models, DataCollector included; no file writing) and the practice-months done.

Scope: one CCG per scenario (`[ccg] practices`), `[[events]]` with `set` and
`failure_narrative` (no `ramp`), both `[model]` options. `[population]` is not supported.
Defaults come from the parameter table of docs/ODD.md §7.11, so they follow the
document.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
import tomllib

import mesa

HERE = os.path.dirname(os.path.abspath(__file__))
ODD = os.path.join(HERE, "..", "..", "docs", "ODD.md")

# Constants fixed in code (ODD §7 preamble).
REF_ALLOWANCE = 25.0
MEAN_OWN_WORKLOAD = 0.9
MEAN_GPS = 4.22
MIN_SUPPORT_DIVISOR = 0.1
AGREE_LINE = 0.5
LACKING_LINE = 0.5
CANDIDATE_LEVEL = 2

COLUMNS = [
    "ownership_members", "ownership_leaders", "ownership_agree_members",
    "ownership_agree_leaders", "ownership_agree", "engaged_share",
    "highly_engaged_share", "leaders", "leader_posts", "leaders_highly_engaged",
    "leaders_lacking_support", "leader_burnout", "workload", "overload", "finance",
    "performance", "credibility", "support", "conflict_of_interest", "narrative",
    "allowance_per_head", "leader_stepdowns", "leader_vacancies",
    "influence_members", "intervention", "in_failure", "ccg_balance",
    "quality_premium", "penalty", "localities",
]


def odd_defaults(path: str = ODD) -> dict:
    """Parameter defaults from the table of ODD §7.11: {"section.key": value}."""
    row = re.compile(r"^\| `([a-z_]+\.[a-z_0-9]+)` \| (int|float|bool) \| ([^|]+?) \|")
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            m = row.match(line)
            if not m:
                continue
            key, ty, val = m.groups()
            if ty == "bool":
                out[key] = val.strip() == "true"
            elif ty == "int":
                out[key] = int(val)
            else:
                out[key] = float(val)
    if len(out) < 50:
        sys.exit(f"{path}: found only {len(out)} parameters in §7.11")
    return out


def load_scenario(path: str) -> tuple[dict, dict, dict, list]:
    """(scenario table, parameters, [model] options, events) of a scenario file."""
    with open(path, "rb") as fh:
        doc = tomllib.load(fh)
    if "population" in doc:
        sys.exit(f"{path}: [population] is not supported by the Mesa version")
    params = odd_defaults()
    for section, table in doc.items():
        if section in ("scenario", "model", "events"):
            continue
        for key, value in table.items():
            full = f"{section}.{key}"
            if full not in params:
                sys.exit(f"{path}: unknown parameter {full}")
            params[full] = type(params[full])(value)
    model = {"leader_exit": "hazard", "sanction": "conditional"}
    model.update(doc.get("model", {}))
    scen = {"months": 60, "replicates": 20, "seed": 1}
    scen.update(doc.get("scenario", {}))
    return scen, params, model, doc.get("events", [])


def schedule(params: dict, events: list, months: int) -> tuple[list, list]:
    """p(t) and the narrative shock sigma(t) for t = 0..months (ODD §6, §7.1)."""
    per_month, shock = [], [0.0] * (months + 1)
    cur = dict(params)
    by_month: dict[int, list] = {}
    for ev in events:
        if "ramp" in ev:
            sys.exit("ramp events are not supported by the Mesa version")
        by_month.setdefault(int(ev["month"]), []).append(ev)
    for t in range(months + 1):
        for ev in by_month.get(t, []):
            for key, value in ev.get("set", {}).items():
                cur[key] = type(cur[key])(value)
            if "narrative" in ev:
                sys.exit("events: `narrative` was renamed `failure_narrative` (ODD §6)")
            if "failure_narrative" in ev:
                for k in range(t, min(months + 1, t + int(ev["duration"]))):
                    shock[k] += float(ev["failure_narrative"])
        per_month.append(dict(cur))
    return per_month, shock


def logistic(x: float) -> float:
    if x < -700:
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


def clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x


class Practice(mesa.Agent):
    """A member GP practice (ODD §2)."""

    def __init__(self, model: "CCG", index: int, z, t, list_size, d, u):
        super().__init__(model)
        p = model.p
        self.index = index
        self.list_size = list_size
        self.gps = max(1.0, list_size / p["ccg.patients_per_gp"])
        self.slack = (MEAN_GPS / self.gps) ** p["behaviour.capacity_exponent"]
        self.locality = index * model.n_localities // model.n
        self.workload_base = max(0.1, MEAN_OWN_WORKLOAD + p["behaviour.workload_base_sd"] * z)
        self.threshold = p["behaviour.threshold_sd"] * t
        self.disposition = p["behaviour.ownership_sd"] * d
        self.conflicted = u < p["ccg.share_conflicted"]
        self.ownership = 0.0
        self.engagement = 0
        self.workload = self.workload_base
        self.finance = p["environment.funding_squeeze"]
        self.penalty = 0.0
        self.leader = False
        self.burnout = p["behaviour.new_leader_burnout"]
        self.tenure = 0
        self.left_this_month = False

    def noise(self, sd: float) -> float:
        return math.sqrt(12.0) * sd * (self.random.random() - 0.5)

    def drive(self, workload, finance, penalty, burnout, was_leader) -> float:
        """Latent engagement drive U_i (ODD §7.6)."""
        m, p = self.model, self.model.p
        loc = self.locality
        u = (m.drive_shared + p["behaviour.eng_peer_review"] * m.peer_review[loc]
             + p["behaviour.eng_ownership"] * self.ownership
             + p["behaviour.eng_peer"] * m.engaged_loc[loc]
             - p["behaviour.eng_workload"] * (workload - 1.0)
             - p["behaviour.eng_overload"] * max(0.0, workload - 1.0) ** 2
             - p["behaviour.eng_finance"] * (finance + m.s_x * penalty)
             - self.threshold)
        if was_leader:
            u += p["behaviour.eng_leader"] - p["behaviour.eng_burnout"] * burnout
        return u

    def draw_level(self, drive: float) -> int:
        """Ordered logit, one uniform (ODD §7.6)."""
        p = self.model.p
        u = self.random.random()
        scale = p["behaviour.cut_scale"]
        level = 0
        for cut in (p["behaviour.cut_1"], p["behaviour.cut_2"], p["behaviour.cut_3"]):
            if u < logistic((drive - cut) / scale):
                level += 1
            else:
                break
        return level

    def work(self, q: float, support: float, vacant: float, noise: float) -> float:
        """Workload w_i (ODD §7.3), with engagement and leader status as they are now."""
        p = self.model.p
        ccg_work = p["behaviour.meeting_cost"] * (self.engagement >= 1)
        if self.leader:
            ccg_work += p["behaviour.lead_cost"] * (1.0 + p["behaviour.vacancy_load"] * vacant)
        return max(0.0, self.workload_base * q
                   + self.slack * ccg_work / max(support, MIN_SUPPORT_DIVISOR) + noise)

    def step(self):
        """One month of this practice (ODD §3 step 2)."""
        m, p = self.model, self.model.p
        was_leader = self.leader
        engaged = self.engagement >= 1
        # (1) workload, with the draw order of ODD §7.12.
        self.workload = self.work(m.qipp_factor, m.support, m.vacant_start,
                                  self.noise(p["behaviour.workload_noise"]))
        # finance and penalty (§7.3)
        f_target = clamp(m.finance_base - p["behaviour.engagement_incentive"] * engaged, 0.0, 1.0)
        self.finance += p["behaviour.finance_rate"] * (f_target - self.finance)
        penalty_start = self.penalty
        x_target = m.penalty_target if self.engagement == 0 else 0.0
        self.penalty += p["behaviour.finance_rate"] * (x_target - self.penalty)
        # (2) ownership (§7.4)
        voice = 1.0 if was_leader else m.voice[self.locality]
        lam = (m.own_shared + p["behaviour.own_voice"] * voice
               + p["behaviour.own_peer"] * m.ownership_loc[self.locality]
               + self.disposition - p["behaviour.own_penalty"] * penalty_start)
        self.ownership = clamp(
            self.ownership + p["behaviour.ownership_rate"] * (logistic(lam) - self.ownership)
            + self.noise(p["behaviour.ownership_noise"]), 0.0, 1.0)
        if was_leader:
            # (3) burnout (§7.5)
            target = logistic(p["behaviour.burnout_base"]
                              + p["behaviour.burnout_workload"] * (self.workload - 1.0)
                              + p["behaviour.burnout_support"] * (1.0 - m.support)
                              - p["behaviour.burnout_succession"] * p["ccg.succession_planning"])
            self.burnout = clamp(self.burnout + p["behaviour.burnout_rate"] * (target - self.burnout)
                                 + self.noise(p["behaviour.burnout_noise"]), 0.0, 1.0)
            # (4)-(5) leaving a post (§7.7)
            if m.options["leader_exit"] == "hazard":
                hazard = p["behaviour.quit_rate"] * math.exp(
                    p["behaviour.quit_burnout"] * (self.burnout - 0.5)
                    + p["behaviour.quit_workload"] * (self.workload - 1.0))
                quits = self.random.random() < min(1.0, hazard)
            else:
                quits = self.burnout > p["behaviour.burnout_limit"]
            leaves = quits
            self.tenure += 1
            if self.tenure >= p["ccg.term_months"]:
                self.tenure = 0
                if not quits:
                    leaves = self.random.random() >= p["behaviour.restand"] * (1.0 - self.burnout)
            if leaves:
                self.leader = False
                self.tenure = 0
                self.left_this_month = True
                m.stepdowns += 1
        # (6)-(7) engagement revision (§7.6)
        if self.random.random() < p["behaviour.revision_rate"]:
            u = self.drive(self.workload, self.finance, self.penalty, self.burnout, was_leader)
            self.engagement = self.draw_level(u)


class CCG(mesa.Model):
    """One clinical commissioning group and its member practices (ODD §2, §3)."""

    def __init__(self, params_by_month: list, shock: list, options: dict, seed: int):
        super().__init__(seed=seed)
        self.schedule_p = params_by_month
        self.shock = shock
        self.options = options
        self.s_x = 1.0 if options["sanction"] == "pressure" else 0.0
        self.month = 0
        p = self.p = params_by_month[0]
        n = self.n = p["ccg.practices"]
        if p["ccg.localities"] >= 1:
            n_loc = p["ccg.localities"]
        else:
            x = n / p["ccg.locality_size"]
            n_loc = int(math.floor(x + 0.5))  # x > 0: half away from zero
        self.n_localities = int(clamp(n_loc, 1, n))
        self.posts = min(n, p["ccg.governing_body_gps"] + self.n_localities)

        # §5.1 practices, in index order, five draws each
        ln_median = math.log(p["ccg.list_size_median"])
        for i in range(n):
            z = self.random.gauss(0.0, 1.0)
            t = self.random.gauss(0.0, 1.0)
            ls = self.random.lognormvariate(ln_median, p["ccg.list_size_sigma"])
            d = self.random.gauss(0.0, 1.0)
            u = self.random.random()
            Practice(self, i, z, t, ls, d, u)
        self.practices = sorted(self.agents, key=lambda a: a.index)
        self.loc_size = [0] * self.n_localities
        for a in self.practices:
            self.loc_size[a.locality] += 1
        # §5.2 leaders by a partial Fisher-Yates shuffle
        idx = list(range(n))
        for k in range(self.posts):
            j = k + self.random.randrange(n - k)
            idx[k], idx[j] = idx[j], idx[k]
            self.practices[idx[k]].leader = True
        # §5.3 CCG state
        self.credibility = self.performance = p["ccg.initial_credibility"]
        self.balance = 0.0
        self.premium = 0.0
        self.perf_history: list[float] = []
        self.fail_clock = 0
        self.in_failure = False
        self.failed_month = None
        self.intervention_clock = 0
        self.intervention_now = False
        self.narrative = 0.0
        self.stepdowns = 0
        self.kappa = sum(a.conflicted for a in self.practices) / n
        self.month_terms(p, launch=True)
        # §5.4 ownership at launch
        lam0 = (p["behaviour.own_base"] + p["behaviour.own_credibility"] * self.credibility
                + p["ccg.launch_goodwill"])

        def launch_target(a, o_loc):
            voice = 1.0 if a.leader else self.voice[a.locality]
            return logistic(lam0 + p["behaviour.own_voice"] * voice
                            + p["behaviour.own_peer"] * o_loc[a.locality] + a.disposition)

        o_loc = [0.5] * self.n_localities
        for _ in range(10):
            sums = [0.0] * self.n_localities
            for a in self.practices:
                sums[a.locality] += launch_target(a, o_loc)
            o_loc = [s / c for s, c in zip(sums, self.loc_size)]
        for a in self.practices:
            z = self.random.gauss(0.0, 1.0)
            a.ownership = clamp(launch_target(a, o_loc)
                                + 3.0 * p["behaviour.ownership_noise"] * z, 0.0, 1.0)
        # §5.5 engagement at launch: two passes, every practice draws
        self.engaged_loc = [0.5] * self.n_localities
        self.ownership_loc = o_loc
        for _ in range(2):
            for a in self.practices:
                u = a.drive(a.workload_base, p["environment.funding_squeeze"], 0.0,
                            p["behaviour.new_leader_burnout"], a.leader)
                a.engagement = a.draw_level(u)
            self.locality_aggregates()
        for a in self.practices:
            if a.leader:
                a.engagement = 3
        # §5.6 finance, penalty and workload at month 0
        for a in self.practices:
            a.finance = clamp(self.finance_base - p["behaviour.engagement_incentive"]
                              * (a.engagement >= 1), 0.0, 1.0)
            a.penalty = self.penalty_target if a.engagement == 0 else 0.0
            a.workload = a.work(self.qipp_factor, self.support, 0.0, 0.0)
        self.locality_aggregates()
        self.datacollector = mesa.DataCollector(
            model_reporters={c: getattr(CCG, "obs_" + c) for c in COLUMNS})
        self.datacollector.collect(self)

    # -- CCG-level terms -------------------------------------------------------
    def month_terms(self, p: dict, launch: bool = False):
        """ODD §3 step 1 (at launch: no deficit, no intervention)."""
        self.intervention_now = (not launch) and self.intervention_clock > 0
        i_flag = 1.0 if self.intervention_now else 0.0
        deficit = 0.0 if launch else max(0.0, -self.balance)
        level = p["co_commissioning.level"]
        s_a = min(1.0, (p["ccg.allowance_per_head"] / REF_ALLOWANCE)
                  / (1.0 + p["behaviour.functions_load"] * level))
        self.support = clamp(s_a * max(0.0, 1.0 - p["ccg_finance.deficit_support"] * deficit)
                             + p["intervention.turnaround"] * i_flag, 0.0, 1.0)
        self.coi = self.kappa * (level / 3.0) * (1.0 - p["co_commissioning.lay_scrutiny"])
        threat = (p["constitution.sanctions"] * (1.0 - (0.5 if p["constitution.dispute_procedure"] else 0.0))
                  + p["behaviour.contractual_threat"] * level + p["intervention.threat"] * i_flag)
        self.own_shared = (p["behaviour.own_base"] + p["behaviour.own_credibility"] * self.credibility
                           - p["behaviour.own_threat"] * threat - p["behaviour.own_conflict"] * self.coi)
        self.drive_shared = (p["behaviour.eng_credibility"] * self.credibility
                             + p["behaviour.eng_sanctions"] * p["constitution.sanctions"])
        voice_size = (p["behaviour.voice_base"]
                      * (p["behaviour.voice_ref_practices"] / self.n) ** p["behaviour.voice_size_exponent"]
                      * (1.0 + p["constitution.lmc_engagement"])
                      * (1.0 - p["environment.deadline_pressure"]))
        self.peer_review = [
            p["behaviour.peer_review_effect"] * p["constitution.peer_review"]
            * p["constitution.face_to_face"] * min(1.0, p["behaviour.peer_group_size"] / n_l)
            for n_l in self.loc_size]
        self.voice = [min(1.0, voice_size * (1.0 + pr)) for pr in self.peer_review]
        leaders = sum(a.leader for a in self.practices)
        self.vacant_start = (self.posts - leaders) / self.posts if self.posts > 0 else 0.0
        premium_share = self.premium / p["ccg_finance.premium_max"] if p["ccg_finance.premium_max"] > 0 else 0.0
        self.finance_base = (p["environment.funding_squeeze"]
                             - p["ccg_finance.premium_relief"] * premium_share
                             - p["behaviour.cocomm_investment"] * level
                             + p["ccg_finance.deficit_squeeze"] * deficit)
        self.penalty_target = p["constitution.sanctions"] * p["behaviour.sanction_penalty"]
        self.qipp_factor = 1.0 + p["environment.qipp"] * (1.0 - self.support / 2.0)

    def locality_aggregates(self):
        """ODD §3 step 3: mean ownership and unweighted engaged share per locality."""
        o = [0.0] * self.n_localities
        e = [0] * self.n_localities
        for a in self.practices:
            o[a.locality] += a.ownership
            e[a.locality] += a.engagement >= 1
        self.ownership_loc = [s / c for s, c in zip(o, self.loc_size)]
        self.engaged_loc = [s / c for s, c in zip(e, self.loc_size)]

    def first_free(self, ok) -> Practice | None:
        """Scan from start = below(N) for the first practice satisfying ok (mod N)."""
        start = self.random.randrange(self.n)
        for k in range(self.n):
            a = self.practices[(start + k) % self.n]
            if ok(a):
                return a
        return None

    def appoint(self, a: Practice):
        a.leader = True
        a.burnout = self.p["behaviour.new_leader_burnout"]
        a.tenure = 0
        a.engagement = 3

    def fill_posts(self):
        """ODD §7.8."""
        p = self.p
        s = p["ccg.succession_planning"]
        q_f = p["behaviour.fill_rate"] * (1.0 - s) + p["behaviour.fill_rate_succession"] * s
        vacancies = self.posts - sum(a.leader for a in self.practices)
        for _ in range(vacancies):
            if self.random.random() >= q_f:
                continue
            cand = self.first_free(lambda a: not a.leader and a.engagement >= CANDIDATE_LEVEL
                                   and not a.left_this_month)
            if cand is None:
                continue
            willing = logistic(p["behaviour.recruit_base"]
                               - p["behaviour.recruit_workload"] * (cand.workload - 1.0))
            if self.random.random() < s + (1.0 - s) * willing:
                self.appoint(cand)

    def ccg_update(self):
        """ODD §7.9."""
        p = self.p
        total = sum(a.list_size for a in self.practices)
        e_list = sum(a.list_size for a in self.practices if a.engagement >= 1) / total
        leaders = sum(a.leader for a in self.practices)
        rho = leaders / self.posts if self.posts > 0 else 1.0
        h, k = p["behaviour.perf_half"], p["behaviour.perf_engagement"]
        ek = e_list ** k
        g = (1.0 + h ** k) * ek / (ek + h ** k)
        w_e = p["behaviour.perf_engagement_weight"]
        i_flag = 1.0 if self.intervention_now else 0.0
        base = min(1.0, w_e * g + (1.0 - w_e) * self.support ** p["behaviour.perf_support"]
                   + p["intervention.turnaround"] * i_flag)
        noise = math.sqrt(12.0) * p["behaviour.perf_noise"] * (self.random.random() - 0.5)
        self.performance = clamp(base * rho ** p["behaviour.perf_leaders"]
                                 * max(0.0, 1.0 - p["behaviour.coi_stall"] * self.coi) + noise, 0.0, 1.0)
        self.narrative = clamp(p["environment.narrative"] - self.shock[self.month], -1.0, 1.0)
        self.credibility = clamp(self.credibility + p["behaviour.credibility_rate"]
                                 * (self.performance - self.credibility)
                                 + p["behaviour.narrative_weight"] * self.narrative, 0.0, 1.0)
        self.balance = clamp(self.balance + p["ccg_finance.spend_gain"]
                             * (self.performance - p["ccg_finance.breakeven"]) / 12.0, -1.0, 1.0)
        self.perf_history.append(self.performance)
        if self.month % 12 == 0:
            last = self.perf_history[-12:]
            self.premium = (p["ccg_finance.premium_max"] * sum(last) / len(last)
                            if self.balance >= 0.0 else 0.0)
        engaged = sum(a.engagement >= 1 for a in self.practices) / self.n
        failing = (engaged < p["failure.engaged_line"]
                   and self.credibility < p["failure.credibility_line"])
        self.fail_clock = self.fail_clock + 1 if failing else 0
        self.in_failure = self.fail_clock >= p["failure.months"]
        if self.in_failure and self.failed_month is None:
            self.failed_month = self.month
        if self.intervention_now:
            self.intervention_clock -= 1
        if self.in_failure and self.intervention_clock == 0:
            if self.random.random() < p["intervention.rate"]:
                self.intervene()

    def intervene(self):
        """NHS England's legal directions and leadership change (ODD §7.9)."""
        p = self.p
        self.intervention_clock = p["intervention.months"]
        for a in self.practices:
            if a.leader and self.random.random() < p["intervention.leadership_change"]:
                a.leader = False
                a.tenure = 0
                a.left_this_month = True
                self.stepdowns += 1
        empty = self.posts - sum(a.leader for a in self.practices)
        for _ in range(empty):
            a = self.first_free(lambda a: not a.leader and not a.left_this_month)
            if a is None:
                continue
            if a.engagement == 0:
                self.engaged_loc[a.locality] += 1.0 / self.loc_size[a.locality]
            self.appoint(a)

    def step(self):
        """One month (ODD §3)."""
        self.month += 1
        self.p = self.schedule_p[self.month]
        self.stepdowns = 0
        for a in self.practices:
            a.left_this_month = False
        self.month_terms(self.p)
        self.agents.do("step")
        self.locality_aggregates()
        self.fill_posts()
        self.ccg_update()
        self.datacollector.collect(self)

    # -- observables (ODD §6) -------------------------------------------------
    def _members(self):
        return [a for a in self.practices if not a.leader]

    def _leaders(self):
        return [a for a in self.practices if a.leader]

    @staticmethod
    def _mean(xs):
        return sum(xs) / len(xs) if xs else None

    def obs_ownership_members(self):
        return self._mean([a.ownership for a in self._members()])

    def obs_ownership_leaders(self):
        return self._mean([a.ownership for a in self._leaders()])

    def obs_ownership_agree_members(self):
        return self._mean([a.ownership > AGREE_LINE for a in self._members()])

    def obs_ownership_agree_leaders(self):
        return self._mean([a.ownership > AGREE_LINE for a in self._leaders()])

    def obs_ownership_agree(self):
        return self._mean([a.ownership > AGREE_LINE for a in self.practices])

    def obs_engaged_share(self):
        return self._mean([a.engagement >= 1 for a in self.practices])

    def obs_highly_engaged_share(self):
        return self._mean([a.engagement == 3 for a in self.practices])

    def obs_leaders(self):
        return len(self._leaders())

    def obs_leader_posts(self):
        return self.posts

    def obs_leaders_highly_engaged(self):
        return self._mean([a.engagement == 3 for a in self._leaders()])

    def obs_leaders_lacking_support(self):
        return self._mean([a.burnout > LACKING_LINE for a in self._leaders()])

    def obs_leader_burnout(self):
        return self._mean([a.burnout for a in self._leaders()])

    def obs_workload(self):
        return self._mean([a.workload for a in self.practices])

    def obs_overload(self):
        return self._mean([max(0.0, a.workload - 1.0) for a in self.practices])

    def obs_finance(self):
        # ODD §6: per practice min(1, f + x), then the mean.
        return self._mean([min(1.0, a.finance + a.penalty) for a in self.practices])

    def obs_performance(self):
        return self.performance

    def obs_credibility(self):
        return self.credibility

    def obs_support(self):
        return self.support

    def obs_conflict_of_interest(self):
        return self.coi

    def obs_narrative(self):
        return self.narrative

    def obs_allowance_per_head(self):
        return self.p["ccg.allowance_per_head"]

    def obs_leader_stepdowns(self):
        return self.stepdowns

    def obs_leader_vacancies(self):
        return self.posts - len(self._leaders())

    def obs_influence_members(self):
        line = self.p["behaviour.influence_line"]
        return self._mean([a.engagement >= 1 and a.ownership > line for a in self._members()])

    def obs_intervention(self):
        return int(self.intervention_now)

    def obs_in_failure(self):
        return int(self.in_failure)

    def obs_ccg_balance(self):
        return self.balance

    def obs_quality_premium(self):
        return self.premium

    def obs_penalty(self):
        return self._mean([a.penalty for a in self.practices])

    def obs_localities(self):
        return self.n_localities


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("--out", required=True)
    ap.add_argument("--replicates", type=int)
    ap.add_argument("--months", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--timing", help="append a JSON line with the in-memory time here")
    args = ap.parse_args()
    scen, params, options, events = load_scenario(args.scenario)
    months = args.months if args.months is not None else int(scen["months"])
    reps = args.replicates if args.replicates is not None else int(scen["replicates"])
    seed = args.seed if args.seed is not None else int(scen["seed"])
    per_month, shock = schedule(params, events, months)

    frames = []
    start = time.perf_counter()
    cpu0 = time.process_time()
    for r in range(reps):
        model = CCG(per_month, shock, options, seed=seed * 1_000_003 + r)
        for _ in range(months):
            model.step()
        frames.append((r, model))
    in_memory_cpu = time.process_time() - cpu0
    in_memory_wall = time.perf_counter() - start

    os.makedirs(args.out, exist_ok=True)
    import pandas as pd  # a dependency of mesa

    tables = []
    for r, model in frames:
        df = model.datacollector.get_model_vars_dataframe()
        df.insert(0, "month", range(len(df)))
        df.insert(0, "practices", model.n)
        df.insert(0, "ccg", 0)
        df.insert(0, "replicate", r)
        tables.append(df)
    out = pd.concat(tables, ignore_index=True)
    tmp = os.path.join(args.out, ".timeseries.csv.tmp")
    out.to_csv(tmp, index=False, float_format="%.6g")
    os.replace(tmp, os.path.join(args.out, "timeseries.csv"))
    if args.timing:
        n = frames[0][1].n if frames else 0
        with open(args.timing, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"scenario": args.scenario, "practice_months": n * months * reps,
                                 "in_memory_cpu_s": in_memory_cpu,
                                 "in_memory_wall_s": in_memory_wall}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
