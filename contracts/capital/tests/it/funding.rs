//! Compute funding: the compute bucket's emission, and the capital emission kept while nothing
//! was deposited, forwarded to the compute contract's `fund`; a refusal remembered and retried,
//! never counted twice and never minted twice.

use alloy_primitives::U256;
use yellowstone_protocol::capital::abi::*;

use crate::common::{sim::IToken, *};
use alloy_sol_types::SolCall;

fn mint_mode() -> Config {
    Config {
        mints_native: true,
        ..Config::default()
    }
}

#[test]
fn fund_compute_forwards_the_compute_bucket_and_the_kept_emission() {
    let mut w = World::deploy();
    w.fund_reserve(eth(1_000_000));
    w.advance(3 * DAY);
    let expected = w.compute_scheduled() + w.capital_scheduled();
    assert_eq!(w.fund_compute().unwrap(), expected);
    assert_eq!(w.tx_event::<ComputeFunded>().amount, expected);
    assert_eq!(w.native_of(COMPUTE), expected);
    let t = w.totals();
    assert_eq!((t.compute_sent, t.compute_owed), (expected, U256::ZERO));
    assert_eq!(
        w.chain.sim(|s| s.native.allowance(CAPITAL, COMPUTE)),
        U256::ZERO,
        "fund pulled exactly the approval"
    );
    // Called again in the same block: nothing new.
    assert_eq!(w.fund_compute().unwrap(), U256::ZERO);
    assert!(w.tx_logs().is_empty());
}

#[test]
fn kept_emission_is_routed_once() {
    let mut w = World::deploy();
    w.fund_reserve(eth(1_000_000));
    w.advance(DAY);
    w.fund_compute().unwrap();
    w.give_st_eth(ALICE, eth(1));
    w.deposit(ALICE, eth(1)).unwrap();
    let first = w.totals().compute_sent;
    let kept = w.totals().kept;
    w.advance(DAY);
    // Alice earns the capital bucket now: only the compute bucket's new day goes.
    let sent = w.fund_compute().unwrap();
    assert_eq!(w.totals().kept, kept);
    assert_eq!(sent, w.compute_scheduled() + kept - first);
    assert_eq!(w.totals().compute_sent, w.compute_scheduled() + kept);
}

#[test]
fn a_refused_fund_is_remembered_and_retried_never_counted_twice() {
    let mut w = World::deploy();
    w.fund_reserve(eth(1_000_000));
    w.advance(DAY);
    w.chain.sim_mut(|s| s.compute_reverts = true);
    let first = w.compute_scheduled() + w.capital_scheduled();
    assert_eq!(
        w.fund_compute().unwrap(),
        U256::ZERO,
        "the call itself succeeds"
    );
    assert_eq!(w.tx_event::<ComputeFundingFailed>().amount, first);
    assert_eq!(w.native_of(COMPUTE), U256::ZERO);
    assert_eq!(
        w.chain.sim(|s| s.native.allowance(CAPITAL, COMPUTE)),
        U256::ZERO,
        "the approval is reset"
    );
    let t = w.totals();
    assert_eq!((t.compute_sent, t.compute_owed), (U256::ZERO, first));
    // Still refusing a day later: the owed amount grows by the new day only.
    w.advance(DAY);
    let second = w.compute_scheduled() + w.capital_scheduled();
    w.fund_compute().unwrap();
    assert_eq!(w.totals().compute_owed, second);
    // Accepted: everything owed goes once.
    w.chain.sim_mut(|s| s.compute_reverts = false);
    assert_eq!(w.fund_compute().unwrap(), second);
    assert_eq!(w.native_of(COMPUTE), second);
    let t = w.totals();
    assert_eq!((t.compute_sent, t.compute_owed), (second, U256::ZERO));
    assert_eq!(w.fund_compute().unwrap(), U256::ZERO);
    assert_eq!(w.native_of(COMPUTE), second);
}

#[test]
fn in_mint_mode_a_retry_never_mints_twice() {
    let mut w = World::deploy_with(mint_mode());
    w.advance(DAY);
    w.chain.sim_mut(|s| s.compute_reverts = true);
    let owed = w.compute_scheduled() + w.capital_scheduled();
    w.fund_compute().unwrap();
    assert_eq!(
        w.native_of(CAPITAL),
        owed,
        "minted once, to the contract, before the attempt"
    );
    for _ in 0..3 {
        w.fund_compute().unwrap();
        assert_eq!(
            w.chain.sim(|s| s.native.supply),
            owed,
            "a retry in the same block mints nothing"
        );
    }
    w.chain.sim_mut(|s| s.compute_reverts = false);
    assert_eq!(w.fund_compute().unwrap(), owed);
    assert_eq!(w.native_of(COMPUTE), owed);
    assert_eq!(w.native_of(CAPITAL), U256::ZERO);
    assert_eq!(w.chain.sim(|s| s.native.supply), owed);
    w.advance(DAY);
    let total = w.compute_scheduled() + w.capital_scheduled();
    w.fund_compute().unwrap();
    assert_eq!(
        w.chain.sim(|s| s.native.supply),
        total,
        "supply == everything ever forwarded"
    );
}

#[test]
fn in_reserve_mode_compute_funding_needs_the_reserve() {
    let mut w = World::deploy();
    w.advance(DAY);
    let needed = w.compute_scheduled() + w.capital_scheduled();
    assert_eq!(
        w.fund_compute(),
        Err(ReserveShort {
            needed,
            available: U256::ZERO
        }
        .into())
    );
    assert_eq!(
        w.totals().compute_owed,
        U256::ZERO,
        "nothing taken up by a refused call"
    );
    w.fund_reserve(needed);
    assert_eq!(w.fund_compute().unwrap(), needed);
}

#[test]
fn fund_compute_is_never_paused() {
    let mut w = World::deploy();
    w.fund_reserve(eth(1_000_000));
    w.tx(OWNER, |c| c.pause()).unwrap();
    w.advance(DAY);
    assert!(w.fund_compute().unwrap() > U256::ZERO);
}

#[test]
fn fund_compute_approves_then_calls_fund_and_nothing_else() {
    let mut w = World::deploy();
    w.fund_reserve(eth(1_000_000));
    w.advance(DAY);
    let amount = w.fund_compute().unwrap();
    let writes: Vec<_> = w
        .tx_calls()
        .into_iter()
        .filter(|c| !c.is_static())
        .collect();
    assert_eq!(writes.len(), 2);
    assert_eq!(writes[0].to, NATIVE);
    assert_eq!(
        writes[0].data,
        IToken::approveCall {
            spender: COMPUTE,
            amount
        }
        .abi_encode()
    );
    assert_eq!(writes[1].to, COMPUTE);
}
