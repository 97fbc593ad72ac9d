//! The contract's storage, slot by slot, read and written as whole words.
//!
//! Fields are packed as Solidity packs them (the first field of a slot in its low-order bytes)
//! and grouped by what one call reads and writes together, because Stylus charges per slot
//! touched. As in the compute contract, the fields are constants rather than a `#[storage]`
//! struct of typed handles (which builds every handle on each call and costs Wasm). Amounts are
//! 128-bit: stETH's and any 18-decimal token's supply is far below 2^128 wei, and a value that
//! does not fit is refused with `ArithmeticOverflow`, never truncated.
//!
//! | slot | fields (low-order bytes first) |
//! |---|---|
//! | 0 | paused (1), mints native (1), wstETH is token0 (1), last accrual (8), compute last (8), last harvest (8) |
//! | 1 | owner (20), payout start (8) |
//! | 2 | pending owner (20), interval (8) |
//! | 3 | stETH (20), min lock (8) |
//! | 4 | wstETH (20), TWAP window (8), max deviation bps (2), slippage bps (2) |
//! | 5 | native token (20), observation time (8) |
//! | 6 | pair (20) |
//! | 7 | compute contract (20) |
//! | 8 | capital initial (16), capital decrease (16) |
//! | 9 | compute initial (16), compute decrease (16) |
//! | 10 | minimum bootstrap price (32) |
//! | 11 | maximum bootstrap price (32) |
//! | 12 | total principal (16), distributed (16) |
//! | 13 | reward per share accumulator (32) |
//! | 14 | accumulator carry (16), paid (16) |
//! | 15 | kept (16), kept routed to compute (16) |
//! | 16 | compute sent (16), compute owed (16) |
//! | 17 | observed cumulative price (32) |
//! | 18 | carried wstETH (16), carried native (16) |
//! | 19 | LP tokens held (32) |
//! | 20 | positions: the record of `a` from `keccak(a . 20)` on, three slots (below) |
//!
//! A position: +0 principal (16), owed (16); +1 accumulator paid (32); +2 unlock time (8).

use alloy_primitives::Address;
use yellowstone_protocol::capital::abi::ArithmeticOverflow;
use yellowstone_stylus_kit::field;
pub(crate) use yellowstone_stylus_kit::{Field, Record, Storage};

use crate::{errors::CapitalError, YellowstoneCapital};

/// Whether deposits, harvests and the bootstrap are paused.
pub(crate) const PAUSED: Field = field(0, 0, 1);
/// Whether the contract mints the native token (else it pays from its reserve).
pub(crate) const MINTS_NATIVE: Field = field(0, 1, 1);
/// Whether wstETH is the pair's token0 (so `price0` is native per wstETH).
pub(crate) const WST_IS_TOKEN0: Field = field(0, 2, 1);
/// The time the capital bucket's emission has been accrued to.
pub(crate) const LAST_ACCRUAL: Field = field(0, 3, 8);
/// The time the compute bucket's emission has been taken up to.
pub(crate) const COMPUTE_LAST: Field = field(0, 11, 8);
/// When the latest harvest ran; zero before the first.
pub(crate) const LAST_HARVEST: Field = field(0, 19, 8);
/// May bootstrap the pool, set bounded parameters, pause; can never move principal or LP tokens.
pub(crate) const OWNER: Field = field(1, 0, 20);
/// Start of the emission schedules (both buckets).
pub(crate) const PAYOUT_START: Field = field(1, 20, 8);
/// Offered ownership, not yet accepted.
pub(crate) const PENDING_OWNER: Field = field(2, 0, 20);
/// Length of one schedule interval in seconds.
pub(crate) const INTERVAL: Field = field(2, 20, 8);
/// The deposited asset (rebasing stETH).
pub(crate) const ST_ETH: Field = field(3, 0, 20);
/// Minimum lock of a new deposit, in seconds.
pub(crate) const MIN_LOCK: Field = field(3, 20, 8);
/// The wrapped, non-rebasing asset paired in the pool.
pub(crate) const WST_ETH: Field = field(4, 0, 20);
/// Minimum age of an observation for a harvest, in seconds.
pub(crate) const TWAP_WINDOW: Field = field(4, 20, 8);
/// Largest deviation of spot from the TWAP a harvest accepts, in basis points.
pub(crate) const MAX_DEVIATION_BPS: Field = field(4, 28, 2);
/// Slippage allowed below the TWAP quote (after the pair's fee), in basis points.
pub(crate) const SLIPPAGE_BPS: Field = field(4, 30, 2);
/// The project's native token.
pub(crate) const NATIVE: Field = field(5, 0, 20);
/// When the open price observation was taken; zero if none.
pub(crate) const OBSERVED_AT: Field = field(5, 20, 8);
/// The Uniswap V2 pair of wstETH and the native token.
pub(crate) const PAIR: Field = field(6, 0, 20);
/// The compute contract funded with the compute bucket.
pub(crate) const COMPUTE: Field = field(7, 0, 20);
/// The capital bucket's first interval amount.
pub(crate) const CAPITAL_INITIAL: Field = field(8, 0, 16);
/// The capital bucket's decrease per interval.
pub(crate) const CAPITAL_DECREASE: Field = field(8, 16, 16);
/// The compute bucket's first interval amount.
pub(crate) const COMPUTE_INITIAL: Field = field(9, 0, 16);
/// The compute bucket's decrease per interval.
pub(crate) const COMPUTE_DECREASE: Field = field(9, 16, 16);
/// Lowest bootstrap price (native wei per wstETH wei, 1e18 scale).
pub(crate) const MIN_BOOTSTRAP_PRICE: Field = field(10, 0, 32);
/// Highest bootstrap price.
pub(crate) const MAX_BOOTSTRAP_PRICE: Field = field(11, 0, 32);
/// stETH principal of all positions.
pub(crate) const TOTAL_PRINCIPAL: Field = field(12, 0, 16);
/// Capital emission credited to depositors (through the accumulator).
pub(crate) const DISTRIBUTED: Field = field(12, 16, 16);
/// Reward per unit of principal, scaled by `rewards::SCALE`.
pub(crate) const ACC: Field = field(13, 0, 32);
/// The accumulator's division remainder, carried into the next accrual.
pub(crate) const CARRY: Field = field(14, 0, 16);
/// Native token paid by claims.
pub(crate) const PAID: Field = field(14, 16, 16);
/// Capital emission that accrued while nothing was deposited.
pub(crate) const KEPT: Field = field(15, 0, 16);
/// The part of `KEPT` already handed to compute funding.
pub(crate) const KEPT_ROUTED: Field = field(15, 16, 16);
/// Native token the compute contract's `fund` accepted.
pub(crate) const COMPUTE_SENT: Field = field(16, 0, 16);
/// Native token taken up for the compute contract that its `fund` has not yet accepted.
pub(crate) const COMPUTE_OWED: Field = field(16, 16, 16);
/// The pair's cumulative price (native per wstETH, UQ112x112 seconds) at `OBSERVED_AT`.
pub(crate) const OBSERVED_CUMULATIVE: Field = field(17, 0, 32);
/// wstETH carried into the next harvest.
pub(crate) const CARRIED_WST: Field = field(18, 0, 16);
/// Native token carried into the next harvest (not part of the reserve).
pub(crate) const CARRIED_NATIVE: Field = field(18, 16, 16);
/// LP tokens the contract minted (and holds forever).
pub(crate) const LIQUIDITY: Field = field(19, 0, 32);
/// Every position: the mapping's slot.
const POSITIONS: u64 = 20;

/// A position's stETH principal.
pub(crate) const PRINCIPAL: Field = field(0, 0, 16);
/// Native token owed to the position, as of its last settlement.
pub(crate) const OWED: Field = field(0, 16, 16);
/// The accumulator at the position's last settlement.
pub(crate) const ACC_PAID: Field = field(1, 0, 32);
/// When the position's principal may be withdrawn.
pub(crate) const UNLOCK_AT: Field = field(2, 0, 8);

/// `account`'s position.
pub(crate) fn position(account: Address) -> Record {
    Record::of(account, POSITIONS)
}

impl Storage for YellowstoneCapital {
    type Error = CapitalError;

    fn overflow() -> CapitalError {
        ArithmeticOverflow {}.into()
    }
}
