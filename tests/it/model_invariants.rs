//! State invariants over many seeds and settings, and events landing on their month.

use ccgsim::engine::Plan;
use ccgsim::model::Observation;
use ccgsim::scenario::parse;
use std::path::Path;

fn plan(text: &str) -> Plan {
    Plan::new(parse(text, Path::new("t.toml")).expect("valid scenario"))
}

const LEADER_COLUMNS: [&str; 5] = [
    "ownership_leaders",
    "ownership_agree_leaders",
    "leaders_highly_engaged",
    "leaders_lacking_support",
    "leader_burnout",
];

/// Columns that are shares (or 0-1 indices), by name.
fn is_unit(col: &str) -> bool {
    !matches!(
        col,
        "leaders"
            | "leader_posts"
            | "workload"
            | "overload"
            | "allowance_per_head"
            | "narrative"
            | "leader_stepdowns"
            | "leader_vacancies"
            | "ccg_balance"
            | "quality_premium"
            | "localities"
    )
}

const MEMBER_COLUMNS: [&str; 3] = [
    "ownership_members",
    "ownership_agree_members",
    "influence_members",
];

/// Leader (member) figures are undefined, and NaN, only when no leader (member) exists.
fn check(o: &Observation, practices: u32, ctx: &str) {
    for (col, v) in Observation::COLUMNS.iter().zip(o.values()) {
        if v.is_nan() {
            let no_leaders = LEADER_COLUMNS.contains(col) && o.leaders == 0.0;
            let no_members = MEMBER_COLUMNS.contains(col) && o.leaders == practices as f64;
            assert!(
                no_leaders || no_members,
                "{ctx}: {col} is NaN with {} leaders",
                o.leaders
            );
            continue;
        }
        assert!(v.is_finite(), "{ctx}: {col} = {v}");
        if is_unit(col) {
            assert!((0.0..=1.0).contains(&v), "{ctx}: {col} = {v} outside [0,1]");
        }
    }
    assert!((-1.0..=1.0).contains(&o.narrative), "{ctx}");
    assert!((-1.0..=1.0).contains(&o.ccg_balance), "{ctx}");
    assert!(o.workload >= 0.0 && o.leaders <= o.leader_posts, "{ctx}");
}

#[test]
fn every_share_stays_in_unit_interval_over_many_seeds_and_settings() {
    let settings = [
        "",
        "[constitution]\nsanctions = 1.0\ndispute_procedure = false\n[environment]\nfunding_squeeze = 1.0\nqipp = 3.0\n",
        "[co_commissioning]\nlevel = 3\n[ccg]\nallowance_per_head = 0\nsuccession_planning = 1\n",
        "[ccg]\npractices = 1\nlocalities = 1\ngoverning_body_gps = 0\n",
        "[environment]\nnarrative = -1.0\n[behaviour]\nrevision_rate = 1.0\nownership_noise = 0.5\nburnout_noise = 0.5\nperf_noise = 0.5\n",
        "[population]\npractices = [2, 150]\n[ccg]\nlocalities = 100\n",
    ];
    let mut checked = 0;
    for (k, s) in settings.iter().enumerate() {
        let text = format!("[scenario]\nmonths = 36\nreplicates = 25\nseed = {k}\n{s}");
        let p = plan(&text);
        for i in 0..p.runs() {
            let rec = p.record(i);
            assert_eq!(rec.months.len(), 37);
            for (t, o) in rec.months.iter().enumerate() {
                check(
                    o,
                    rec.practices,
                    &format!("setting {k}, run {i}, month {t}"),
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 5_000);
}

#[test]
fn set_events_apply_from_their_month() {
    let p = plan(
        "[scenario]\nmonths = 12\nreplicates = 1\n[[events]]\nmonth = 5\nset = { \"ccg.allowance_per_head\" = 22.0 }\n",
    );
    let rec = p.record(0);
    for (t, o) in rec.months.iter().enumerate() {
        let want = if t >= 5 { 22.0 } else { 25.0 };
        assert_eq!(o.allowance_per_head, want, "month {t}");
        assert_eq!(o.support, if t >= 5 { 0.88 } else { 1.0 }, "month {t}");
    }
}

#[test]
fn ramps_reach_their_target_after_the_given_months() {
    let p = plan(
        "[scenario]\nmonths = 10\nreplicates = 1\n[[events]]\nmonth = 2\nramp = { \"ccg.allowance_per_head\" = 21.0 }\nover = 4\n",
    );
    let got: Vec<f64> = p
        .record(0)
        .months
        .iter()
        .map(|o| o.allowance_per_head)
        .collect();
    assert_eq!(
        got,
        vec![
            25.0, 25.0, 24.0, 23.0, 22.0, 21.0, 21.0, 21.0, 21.0, 21.0, 21.0
        ]
    );
}

#[test]
fn narrative_shocks_last_their_duration_and_stack() {
    let p = plan(
        "[scenario]\nmonths = 12\nreplicates = 1\n[environment]\nnarrative = 0.1\n[[events]]\nmonth = 3\nnarrative = 0.5\nduration = 4\n[[events]]\nmonth = 5\nnarrative = 0.2\nduration = 1\n",
    );
    let got: Vec<f64> = p
        .record(0)
        .months
        .iter()
        .skip(1)
        .map(|o| (o.narrative * 1e9).round() / 1e9)
        .collect();
    // Months 1..=12; shocks are subtracted from the standing narrative.
    assert_eq!(
        got,
        vec![
            0.1, 0.1, -0.4, -0.4, -0.6, -0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1
        ]
    );
}

#[test]
fn an_event_at_month_zero_sets_the_initial_state() {
    let p = plan(
        "[scenario]\nmonths = 2\nreplicates = 1\n[[events]]\nmonth = 0\nset = { \"co_commissioning.level\" = 3 }\n",
    );
    let rec = p.record(0);
    assert!(rec.months[0].support < 1.0);
}

#[test]
fn replicates_are_independent_draws_not_copies() {
    let p = plan("[scenario]\nmonths = 12\nreplicates = 5\n");
    let ends: Vec<f64> = (0..5)
        .map(|i| p.record(i).months[12].ownership_members)
        .collect();
    let first = ends[0];
    assert!(ends.iter().any(|&e| e != first), "{ends:?}");
}
