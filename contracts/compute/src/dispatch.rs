//! The entry point: calldata in, return or revert data out.
//!
//! stylus-sdk's `#[public]` router decodes and encodes every function's arguments and returns
//! with its own instance of alloy's generic ABI code, which made up a sixth of the Wasm. Every
//! argument here is one static word but `claim`'s proof, so [`dispatch`] reads words in place
//! with the same acceptance rules (`abi_decode_params_validate`: too-short data, dirty high bytes
//! in an `address` or `uint64` word, and out-of-range offsets or lengths revert with empty data;
//! trailing bytes are accepted), refuses Ether everywhere, guards the constructor, and calls the
//! same `#[public]` methods, which stay the source of the exported ABI. The `dispatch` tests run
//! both routers side by side on well-formed and malformed calldata and require the same answer.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use stylus_sdk::{
    abi::CONSTRUCTOR_SELECTOR, host::VM, prelude::*, stylus_core::host::ConstructorGuard, ArbResult,
};

use yellowstone_stylus_kit::{done, ret, Args};

use crate::{errors::Word, YellowstoneCompute};

yellowstone_stylus_kit::selectors! {
    FUND = "fund"(U256);
    EMISSION_SCHEDULE = "emissionSchedule"();
    TODAY = "today"();
    TOTALS = "totals"();
    COMMIT_EPOCH = "commitEpoch"(u64, B256, U256, U256, u64, B256, B256);
    LATEST_EPOCH = "latestEpoch"();
    DOMAIN_SEPARATOR = "domainSeparator"();
    CLAIM = "claim"(Address, U256, U256, Vec<B256>);
    STAKE = "stake"(U256, u64);
    LOCK_CLAIM = "lockClaim"(u64);
    WITHDRAW = "withdraw"(U256);
    PROVIDER = "provider"(Address);
    STAKE_CAP_REMAINING = "stakeCapRemaining"(Address);
    POWER_MULTIPLIER = "powerMultiplier"(U256, U256);
    OWNER = "owner"();
    PENDING_OWNER = "pendingOwner"();
    MOR = "mor"();
    PAUSED = "paused"();
    IS_ROUTER = "isRouter"(Address);
    AUTHORIZE_ROUTER = "authorizeRouter"(Address);
    REVOKE_ROUTER = "revokeRouter"(Address);
    PAUSE = "pause"();
    UNPAUSE = "unpause"();
    TRANSFER_OWNERSHIP = "transferOwnership"(Address);
    ACCEPT_OWNERSHIP = "acceptOwnership"();
}

/// The contract's entry point: routes `input` (selector ++ arguments) to its function. Empty
/// revert data for what no function accepts: short calldata, an unknown selector, arguments
/// that do not decode, Ether sent (nothing is payable), a second constructor call.
#[entrypoint]
pub fn dispatch(input: Vec<u8>, host: VM) -> ArbResult {
    // SAFETY: the contract's storage starts at slot zero, as `router_entrypoint` places it.
    let mut c = unsafe { <YellowstoneCompute as StorageType>::new(U256::ZERO, 0, host) };
    let Some((selector, args)) = Args::call(&input) else {
        return Err(Vec::new());
    };
    if !c.vm().msg_value().is_zero() {
        return Err(Vec::new());
    }
    route(&mut c, selector, &args).unwrap_or(Err(Vec::new()))
}

/// `None` when the selector is unknown or the arguments do not decode.
fn route(c: &mut YellowstoneCompute, selector: u32, a: &Args<'_>) -> Option<ArbResult> {
    Some(match selector {
        CONSTRUCTOR_SELECTOR => {
            if let Err(err) = c.check_constructor_slot() {
                return Some(Err(err));
            }
            done(c.constructor(
                a.address(0)?,
                a.address(1)?,
                a.u64(2)?,
                a.u256(3)?,
                a.u256(4)?,
                a.u64(5)?,
            ))
        }
        FUND => done(c.fund(a.u256(0)?)),
        EMISSION_SCHEDULE => {
            let (start, first, decrease, bootstrap) = c.emission_schedule();
            ret(&[
                start.word(),
                first.word(),
                decrease.word(),
                bootstrap.word(),
            ])
        }
        TODAY => {
            let (day, cap, credited, limit, bootstrap) = c.today();
            ret(&[
                day.word(),
                cap.word(),
                credited.word(),
                limit.word(),
                bootstrap.word(),
            ])
        }
        TOTALS => {
            let (funded, credited, bootstrap, claimed, staked) = c.totals();
            ret(&[
                funded.word(),
                credited.word(),
                bootstrap.word(),
                claimed.word(),
                staked.word(),
            ])
        }
        COMMIT_EPOCH => done(c.commit_epoch(
            a.u64(0)?,
            a.b256(1)?,
            a.u256(2)?,
            a.u256(3)?,
            a.u64(4)?,
            a.b256(5)?,
            a.b256(6)?,
        )),
        LATEST_EPOCH => {
            let (epoch, root, credited, bootstrap) = c.latest_epoch();
            ret(&[epoch.word(), root, credited.word(), bootstrap.word()])
        }
        DOMAIN_SEPARATOR => ret(&[c.domain_separator()]),
        CLAIM => {
            let (provider, earned, bootstrap) = (a.address(0)?, a.u256(1)?, a.u256(2)?);
            match c.claim(provider, earned, bootstrap, a.words(3)?) {
                Ok(paid) => ret(&[paid.word()]),
                Err(err) => Err(err.into()),
            }
        }
        STAKE => done(c.stake(a.u256(0)?, a.u64(1)?)),
        LOCK_CLAIM => done(c.lock_claim(a.u64(0)?)),
        WITHDRAW => done(c.withdraw(a.u256(0)?)),
        PROVIDER => {
            let (registered, stake, start, end, multiplier, weight, earned, claimed) =
                c.provider(a.address(0)?);
            ret(&[
                U256::from(registered as u8).word(),
                stake.word(),
                start.word(),
                end.word(),
                multiplier.word(),
                weight.word(),
                earned.word(),
                claimed.word(),
            ])
        }
        STAKE_CAP_REMAINING => ret(&[c.stake_cap_remaining(a.address(0)?).word()]),
        POWER_MULTIPLIER => ret(&[c.power_multiplier(a.u256(0)?, a.u256(1)?).word()]),
        OWNER => ret(&[c.owner().word()]),
        PENDING_OWNER => ret(&[c.pending_owner().word()]),
        MOR => ret(&[c.mor().word()]),
        PAUSED => ret(&[U256::from(c.paused() as u8).word()]),
        IS_ROUTER => ret(&[U256::from(c.is_router(a.address(0)?) as u8).word()]),
        AUTHORIZE_ROUTER => done(c.authorize_router(a.address(0)?)),
        REVOKE_ROUTER => done(c.revoke_router(a.address(0)?)),
        PAUSE => done(c.pause()),
        UNPAUSE => done(c.unpause()),
        TRANSFER_OWNERSHIP => done(c.transfer_ownership(a.address(0)?)),
        ACCEPT_OWNERSHIP => done(c.accept_ownership()),
        _ => return None,
    })
}
