//! The entry point: calldata in, return or revert data out.
//!
//! stylus-sdk's `#[public]` router decodes and encodes every function's arguments and returns
//! with its own instance of alloy's generic ABI code, which put the contract over the size
//! limit. Every argument and return value here is one static word, so [`dispatch`] reads words
//! in place with the same acceptance rules (`abi_decode_params_validate`: too-short data, dirty
//! high bytes in an `address`, `bool`, `uint16` or `uint64` word revert with empty data;
//! trailing bytes are accepted), refuses Ether everywhere, guards the constructor,
//! and calls the same `#[public]` methods, which stay the source of the exported ABI. The `abi`
//! tests run both routers side by side on well-formed and malformed calldata and require the
//! same answer.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use stylus_sdk::{
    abi::CONSTRUCTOR_SELECTOR, host::VM, prelude::*, stylus_core::host::ConstructorGuard, ArbResult,
};

use yellowstone_stylus_kit::{done, ret, Args};

use crate::{
    errors::{CapitalError, Word},
    YellowstoneCapital,
};

/// A call's outcome: its words, or the typed error.
fn answer(result: Result<Vec<B256>, CapitalError>) -> ArbResult {
    match result {
        Ok(words) => ret(&words),
        Err(err) => Err(err.into()),
    }
}

yellowstone_stylus_kit::selectors! {
    DEPOSIT = "deposit"(U256);
    WITHDRAW = "withdraw"(U256);
    CLAIM = "claim"();
    POKE = "poke"();
    HARVEST = "harvest"();
    FUND_COMPUTE = "fundCompute"();
    BOOTSTRAP_POOL = "bootstrapPool"(U256);
    SET_PARAMETERS = "setParameters"(u64, u64, u16, u16);
    PAUSE = "pause"();
    UNPAUSE = "unpause"();
    TRANSFER_OWNERSHIP = "transferOwnership"(Address);
    ACCEPT_OWNERSHIP = "acceptOwnership"();
    OWNER = "owner"();
    PENDING_OWNER = "pendingOwner"();
    PAUSED = "paused"();
    POSITION = "position"(Address);
    TOTALS = "totals"();
    HARVEST_STATE = "harvestState"();
    PARAMETERS = "parameters"();
    CONFIG = "config"();
    SCHEDULE = "schedule"();
}

/// The contract's entry point: routes `input` (selector ++ arguments) to its function. Empty
/// revert data for what no function accepts: short calldata, an unknown selector, arguments
/// that do not decode, Ether sent (nothing is payable), a second constructor call (re-entry is
/// refused before this, by the entry point stylus-sdk generates around it).
#[entrypoint]
pub fn dispatch(input: Vec<u8>, host: VM) -> ArbResult {
    // SAFETY: the contract's storage starts at slot zero, as `router_entrypoint` places it.
    let mut c = unsafe { <YellowstoneCapital as StorageType>::new(U256::ZERO, 0, host) };
    let Some((selector, args)) = Args::call(&input) else {
        return Err(Vec::new());
    };
    if !c.vm().msg_value().is_zero() {
        return Err(Vec::new());
    }
    route(&mut c, selector, &args).unwrap_or(Err(Vec::new()))
}

/// `None` when the selector is unknown or the arguments do not decode.
fn route(c: &mut YellowstoneCapital, selector: u32, a: &Args<'_>) -> Option<ArbResult> {
    Some(match selector {
        CONSTRUCTOR_SELECTOR => {
            if let Err(err) = c.check_constructor_slot() {
                return Some(Err(err));
            }
            let mut addresses = [Address::ZERO; 6];
            for (i, address) in addresses.iter_mut().enumerate() {
                *address = a.address(i)?;
            }
            let [st_eth, wst_eth, native, pair, compute, owner] = addresses;
            done(c.constructor(
                st_eth,
                wst_eth,
                native,
                pair,
                compute,
                owner,
                a.bool(6)?,
                a.u64(7)?,
                a.u64(8)?,
                a.u256(9)?,
                a.u256(10)?,
                a.u256(11)?,
                a.u256(12)?,
                a.u256(13)?,
                a.u256(14)?,
            ))
        }
        DEPOSIT => done(c.deposit(a.u256(0)?)),
        WITHDRAW => done(c.withdraw(a.u256(0)?)),
        CLAIM => answer(c.claim().map(|paid| alloc::vec![paid.word()])),
        POKE => done(c.poke()),
        HARVEST => done(c.harvest()),
        FUND_COMPUTE => answer(c.fund_compute().map(|sent| alloc::vec![sent.word()])),
        BOOTSTRAP_POOL => done(c.bootstrap_pool(a.u256(0)?)),
        SET_PARAMETERS => done(c.set_parameters(a.u64(0)?, a.u64(1)?, a.u16(2)?, a.u16(3)?)),
        PAUSE => done(c.pause()),
        UNPAUSE => done(c.unpause()),
        TRANSFER_OWNERSHIP => done(c.transfer_ownership(a.address(0)?)),
        ACCEPT_OWNERSHIP => done(c.accept_ownership()),
        OWNER => ret(&[c.owner().word()]),
        PENDING_OWNER => ret(&[c.pending_owner().word()]),
        PAUSED => ret(&[c.paused().word()]),
        POSITION => answer(
            c.position(a.address(0)?)
                .map(|(principal, unlock_at, owed)| {
                    alloc::vec![principal.word(), unlock_at.word(), owed.word()]
                }),
        ),
        TOTALS => answer(c.totals().map(|(p, b, d, paid, kept, sent, owed)| {
            alloc::vec![
                p.word(),
                b.word(),
                d.word(),
                paid.word(),
                kept.word(),
                sent.word(),
                owed.word()
            ]
        })),
        HARVEST_STATE => {
            let (last, at, cumulative, wst, native, liquidity) = c.harvest_state();
            ret(&[
                last.word(),
                at.word(),
                cumulative.word(),
                wst.word(),
                native.word(),
                liquidity.word(),
            ])
        }
        PARAMETERS => {
            let (min_lock, window, deviation, slippage) = c.parameters();
            ret(&[
                min_lock.word(),
                window.word(),
                deviation.word(),
                slippage.word(),
            ])
        }
        CONFIG => {
            let (st_eth, wst_eth, native, pair, compute, mints) = c.config();
            ret(&[
                st_eth.word(),
                wst_eth.word(),
                native.word(),
                pair.word(),
                compute.word(),
                mints.word(),
            ])
        }
        SCHEDULE => {
            let (start, interval, ci, cd, pi, pd) = c.schedule();
            ret(&[
                start.word(),
                interval.word(),
                ci.word(),
                cd.word(),
                pi.word(),
                pd.word(),
            ])
        }
        _ => return None,
    })
}
