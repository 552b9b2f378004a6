use super::*;
use crate::audit::Actor;
use crate::ledger::command::Idempotency;
use crate::ledger::money::Amount;

fn limits() -> LedgerSettings {
    LedgerSettings {
        max_transaction: 1_000,
        daily_outgoing: 1_500,
        step_up_threshold: 500,
        review_threshold: 900,
        velocity_max_transfers: 20,
        velocity_window_secs: 60,
        group_commit_max: 64,
        committers: 0,
        combine_max: 1,
        actor_idle_secs: 60,
        engine: crate::config::LedgerEngine::Actors,
        outbox: true,
    }
}

fn snapshot(balance: i64) -> Snapshot {
    Snapshot {
        account: Uuid::nil(),
        balance,
        held: 0,
        version: 0,
        status: AccountStatus::Open,
        day: chrono::Utc::now().date_naive(),
        outgoing_today: 0,
        velocity: Default::default(),
        number: "000000000097".into(),
    }
}

const DESTINATION: Uuid = Uuid::from_u128(42);

fn command(movement: Movement, amount: i64, key: Option<(&str, &str)>) -> Command {
    Command {
        movement,
        amount: Amount::new(amount).unwrap(),
        currency: "USD".parse().unwrap(),
        counter_account: DESTINATION,
        counter_number: None,
        description: None,
        initiated_by: Uuid::from_u128(1),
        idempotency: key
            .map(|(scope, fingerprint)| Idempotency { scope: scope.into(), fingerprint: fingerprint.into() }),
        actor: Actor::system(),
        reverses: None,
        hold: None,
    }
}

fn slug(step: &Step) -> &str {
    match step {
        Step::Refuse { problem, .. } => problem.kind.trim_start_matches("/problems/"),
        Step::Apply => "apply",
        Step::Replay { .. } => "replay",
        Step::SameAs(_) => "same-as",
    }
}

fn decide_all(snapshot: &Snapshot, commands: &[Command]) -> Vec<String> {
    let counters = HashMap::from([(DESTINATION, AccountStatus::Open)]);
    let plan =
        decide(snapshot, commands, &HashMap::new(), &counters, &LockedState::default(), &limits(), false).unwrap();
    plan.steps.iter().map(|s| slug(s).to_owned()).collect()
}

#[test]
fn each_command_is_checked_against_the_running_balance() {
    let steps = decide_all(
        &snapshot(100),
        &[
            command(Movement::Withdrawal, 60, None),
            command(Movement::Withdrawal, 60, None),
            command(Movement::Deposit, 30, None),
            command(Movement::Transfer, 60, None),
        ],
    );
    assert_eq!(steps, ["apply", "insufficient-funds", "apply", "apply"]);
}

#[test]
fn limits_apply_per_transaction_and_per_day() {
    let steps = decide_all(
        &snapshot(10_000),
        &[
            command(Movement::Deposit, 1_001, None),
            command(Movement::Withdrawal, 1_000, None),
            command(Movement::Transfer, 501, None),
            command(Movement::Deposit, 900, None),
        ],
    );
    assert_eq!(steps, ["limit-exceeded", "apply", "limit-exceeded", "apply"]);
}

#[test]
fn frozen_accounts_take_credits_but_refuse_debits_and_closed_refuse_all() {
    let mut frozen = snapshot(500);
    frozen.status = AccountStatus::Frozen;
    let both = [command(Movement::Deposit, 10, None), command(Movement::Withdrawal, 10, None)];
    assert_eq!(decide_all(&frozen, &both), ["apply", "account-frozen"]);
    frozen.status = AccountStatus::Closed;
    assert_eq!(decide_all(&frozen, &both), ["account-closed", "account-closed"]);
}

#[test]
fn a_refusal_on_a_cached_balance_asks_for_a_reload_first() {
    let counters = HashMap::new();
    let commands = [command(Movement::Withdrawal, 60, None)];
    let cached = decide(&snapshot(10), &commands, &HashMap::new(), &counters, &LockedState::default(), &limits(), true);
    assert!(matches!(cached, Err(Stale)));
}

#[test]
fn idempotency_keys_replay_dedupe_and_refuse_reuse_with_another_request() {
    let saved =
        HashMap::from([("u:old".to_owned(), Saved { fingerprint: "f1".into(), status: 201, body: "{}".into() })]);
    let counters = HashMap::from([(DESTINATION, AccountStatus::Open)]);
    let commands = [
        command(Movement::Deposit, 5, Some(("u:old", "f1"))),
        command(Movement::Deposit, 5, Some(("u:old", "f2"))),
        command(Movement::Deposit, 5, Some(("u:new", "f3"))),
        command(Movement::Deposit, 5, Some(("u:new", "f3"))),
        command(Movement::Deposit, 5, Some(("u:new", "f4"))),
    ];
    let plan = decide(&snapshot(0), &commands, &saved, &counters, &LockedState::default(), &limits(), false).unwrap();
    let slugs: Vec<&str> = plan.steps.iter().map(slug).collect();
    assert_eq!(slugs, ["replay", "idempotency-key-reused", "apply", "same-as", "idempotency-key-reused"]);
    assert!(matches!(plan.steps[3], Step::SameAs(2)));
}

fn reversal(movement: Movement, amount: i64, original: u128, approval: Option<u128>) -> Command {
    let approval = approval.map(|id| crate::ledger::command::Approval {
        id: Uuid::from_u128(id),
        decided_by: Uuid::from_u128(7),
        note: None,
    });
    Command {
        reverses: Some(crate::ledger::command::Reverses { original: Uuid::from_u128(original), approval }),
        hold: None,
        ..command(movement, amount, None)
    }
}

#[test]
fn reversals_post_once_per_original_and_approval_and_ignore_limits_and_freezes() {
    let counters = HashMap::from([(DESTINATION, AccountStatus::Open)]);
    let state = LockedState {
        reversed: [Uuid::from_u128(100)].into(),
        pending_approvals: [Uuid::from_u128(200), Uuid::from_u128(201)].into(),
        ..LockedState::default()
    };
    let mut frozen = snapshot(5_000);
    frozen.status = AccountStatus::Frozen;
    let commands = [
        reversal(Movement::Transfer, 2_000, 101, Some(200)),
        reversal(Movement::Transfer, 10, 101, Some(201)),
        reversal(Movement::Withdrawal, 10, 100, None),
        reversal(Movement::Withdrawal, 10, 102, Some(202)),
        reversal(Movement::Withdrawal, 10, 103, Some(200)),
        command(Movement::Withdrawal, 10, None),
    ];
    let plan = decide(&frozen, &commands, &HashMap::new(), &counters, &state, &limits(), false).unwrap();
    let slugs: Vec<&str> = plan.steps.iter().map(slug).collect();
    assert_eq!(
        slugs,
        ["apply", "already-reversed", "already-reversed", "approval-decided", "approval-decided", "account-frozen"],
        "above max_transaction and from a frozen account, once per original and per approval"
    );
    assert_eq!(plan.outgoing_today, frozen.outgoing_today, "a reversal is not the customer's outgoing money");
}

fn hold(op: crate::ledger::command::HoldOp, amount: i64) -> Command {
    Command { hold: Some(op), ..command(Movement::Withdrawal, amount, None) }
}

fn place(id: u128, amount: i64) -> Command {
    let expires_at = chrono::Utc::now();
    hold(
        crate::ledger::command::HoldOp::Place { id: Uuid::from_u128(id), card: None, daily_limit: None, expires_at },
        amount,
    )
}

#[test]
fn a_cards_daily_limit_counts_what_it_spent_today_and_this_batchs_earlier_holds() {
    use crate::ledger::command::HoldOp;
    let card = Uuid::from_u128(40);
    let on_card = |id: u128, amount: i64| {
        let expires_at = chrono::Utc::now();
        hold(HoldOp::Place { id: Uuid::from_u128(id), card: Some(card), daily_limit: Some(1_000), expires_at }, amount)
    };
    let state = LockedState { card_spent_today: HashMap::from([(card, 600)]), ..LockedState::default() };
    let commands = [on_card(1, 300), on_card(2, 200), on_card(3, 100), place(4, 500)];
    let plan = decide(&snapshot(5_000), &commands, &HashMap::new(), &HashMap::new(), &state, &limits(), false).unwrap();
    let slugs: Vec<&str> = plan.steps.iter().map(slug).collect();
    assert_eq!(
        slugs,
        ["apply", "limit-exceeded", "apply", "apply"],
        "600 spent + 300 + 100 fills it; a hold without a card is not counted"
    );
}

#[test]
fn holds_reserve_what_is_available_and_end_once() {
    use crate::ledger::command::HoldOp;
    let counters = HashMap::new();
    let mut held = snapshot(1_000);
    held.held = 300;
    let state = LockedState {
        open_holds: HashMap::from([
            (Uuid::from_u128(7), (Uuid::nil(), 300)),
            (Uuid::from_u128(8), (Uuid::from_u128(1), 5)),
        ]),
        ..LockedState::default()
    };
    let commands = [
        place(1, 701),
        command(Movement::Withdrawal, 701, None),
        place(2, 400),
        command(Movement::Withdrawal, 301, None),
        hold(HoldOp::Capture { id: Uuid::from_u128(7), held: 300 }, 301),
        hold(HoldOp::Capture { id: Uuid::from_u128(7), held: 300 }, 250),
        hold(HoldOp::Release { id: Uuid::from_u128(7), held: 300, expired: false }, 300),
        hold(HoldOp::Release { id: Uuid::from_u128(8), held: 5, expired: false }, 5),
        command(Movement::Withdrawal, 350, None),
    ];
    let plan = decide(&held, &commands, &HashMap::new(), &counters, &state, &limits(), false).unwrap();
    let slugs: Vec<&str> = plan.steps.iter().map(slug).collect();
    assert_eq!(
        slugs,
        [
            "insufficient-funds",
            "insufficient-funds",
            "apply",
            "insufficient-funds",
            "amount-exceeds-hold",
            "apply",
            "hold-not-open",
            "hold-not-open",
            "apply",
        ],
        "700 available: a 400 hold leaves 300; capturing 250 of 300 releases 50 (350 available); \
         a hold ends once and only on its own account"
    );
}
