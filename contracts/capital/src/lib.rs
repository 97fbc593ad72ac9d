//! # yellowstone-capital
//!
//! The capital contract of Yellowstone (SPEC section 7, the Techno Capital Machine), an
//! Arbitrum Stylus program. Capital providers deposit stETH and keep their principal; the
//! contract pays them the project's native token from the capital bucket's emission, accrued
//! per second pro rata to principal; anyone may harvest the yield once a day into
//! protocol-owned liquidity on a Uniswap V2 pair (wstETH against the native token, priced from
//! the pair's own time-weighted average), and anyone may forward the compute bucket's emission
//! to the compute contract.
//!
//! - principal is held 1:1 and never lent; a loss (negative rebase) is shared pro rata;
//! - emission while nothing is deposited is kept and routed to the compute contract;
//! - LP tokens never leave: no function transfers, approves or burns them;
//! - the owner sets parameters inside hard bounds, bootstraps the empty pool's first price
//!   within bounds fixed at deployment, and pauses deposits and harvests (never withdrawals,
//!   claims or compute funding).
//!
//! Each concern lives in its own module; the arithmetic (schedule, accumulator, lock, payout,
//! Uniswap V2 maths) is `yellowstone-protocol`'s, shared with the CLI. docs/CAPITAL.md has the
//! storage, the functions, the invariants and the threat model.
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(
    all(target_arch = "wasm32", not(any(test, feature = "export-abi"))),
    no_std
)]
// stylus-sdk's macros add undocumented public functions to the crate root, and a lint level
// reaches generated items only from an enclosing module: here, the root.
#![allow(missing_docs)]

extern crate alloc;

mod calls;
mod deposits;
mod dispatch;
pub mod errors;
mod funding;
mod harvest;
mod ownership;
mod store;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, U256};
use stylus_sdk::prelude::*;
use yellowstone_protocol::schedule::LinearSchedule;
use yellowstone_stylus_kit::{Ownable, Storage};

pub use dispatch::dispatch;
pub use errors::CapitalError;

yellowstone_stylus_kit::contract_root!(YellowstoneCapital);

/// The capital contract. Its storage is laid out in `src/store.rs` (and docs/CAPITAL.md): the
/// struct holds only the host handle stylus-sdk adds. The deployed entry point is [`dispatch`]
/// (a compact router over the `#[public]` methods, which define the ABI).
#[storage]
pub struct YellowstoneCapital {}

#[public]
impl YellowstoneCapital {
    /// Fixes the tokens, the pair, the compute contract, the owner, the payout mode, both
    /// emission schedules (from `payout_start`, one `interval` long steps) and the bootstrap
    /// price bounds. Accrual of both buckets starts now (or at `payout_start` if later).
    /// Parameters start at their defaults. Errors: `ZeroAddress`, `PairMismatch` (the pair
    /// does not trade `wst_eth` against `native`), `PairCallFailed`. Emits
    /// `OwnershipTransferred(0, owner)` and `Initialized`.
    #[constructor]
    #[allow(clippy::too_many_arguments)] // the deployment's whole configuration
    pub fn constructor(
        &mut self,
        st_eth: Address,
        wst_eth: Address,
        native: Address,
        pair: Address,
        compute: Address,
        owner: Address,
        mints_native: bool,
        payout_start: u64,
        interval: u64,
        capital_initial: U256,
        capital_decrease: U256,
        compute_initial: U256,
        compute_decrease: U256,
        min_bootstrap_price_wad: U256,
        max_bootstrap_price_wad: U256,
    ) -> Result<(), CapitalError> {
        self.init(
            [st_eth, wst_eth, native, pair, compute, owner],
            mints_native,
            payout_start,
            interval,
            [
                capital_initial,
                capital_decrease,
                compute_initial,
                compute_decrease,
            ],
            [min_bootstrap_price_wad, max_bootstrap_price_wad],
        )
    }

    // ---- capital providers ----------------------------------------------------------------

    /// Pulls `amount` stETH from the caller (who approved it) and credits what arrived (the
    /// contract's balance difference: a rebasing token's transfer may deliver a wei or two
    /// less). The new principal is locked until the principal-weighted mean of the old unlock
    /// time and `now + minLock`. Errors: `EnforcedPause`, `ZeroAmount` (also when nothing
    /// arrived), `TokenCallFailed`, `ArithmeticOverflow`. Emits `Deposited`.
    pub fn deposit(&mut self, amount: U256) -> Result<(), CapitalError> {
        self.deposit_from(amount)
    }

    /// Returns `amount` of the caller's principal once unlocked, paying
    /// `amount * min(1, backing / principal)` stETH: a loss is shared pro rata, never left to
    /// the last to leave. Never paused. Errors: `ZeroAmount`, `InsufficientPrincipal`,
    /// `StillLocked`, `TokenCallFailed`, `ArithmeticOverflow`. Emits `Withdrawn`.
    pub fn withdraw(&mut self, amount: U256) -> Result<(), CapitalError> {
        self.withdraw_to(amount)
    }

    /// Pays the caller the native token it is owed (minted, or from the reserve); returns the
    /// amount. Never paused, never locked. Errors: `NothingToClaim`, `ReserveShort`,
    /// `TokenCallFailed`, `ArithmeticOverflow`. Emits `Claimed`.
    pub fn claim(&mut self) -> Result<U256, CapitalError> {
        self.claim_owed()
    }

    // ---- anyone ---------------------------------------------------------------------------

    /// Opens a price observation (the pair's cumulative price now) if none is open or the open
    /// one is older than twice the TWAP window. Errors: `ObservationOpen`, `PoolEmpty`,
    /// `PairCallFailed`, `ArithmeticOverflow`. Emits `Poked`.
    pub fn poke(&mut self) -> Result<(), CapitalError> {
        self.open_observation()
    }

    /// Wraps the yield, swaps the single-sided optimal share of it (with what was carried, at
    /// most `reserve * slippageBps / 20000`) for the native token at no less than the TWAP
    /// quote less the fee and slippage, adds both sides as liquidity held forever and carries
    /// the rest; at most once a day, then opens a fresh observation. Errors, in the order
    /// checked: `EnforcedPause`, `HarvestTooSoon`, `NoObservation`, `TwapWindowTooShort`,
    /// `PoolEmpty`, `SpotDeviates`, `PriceOutOfBounds` (the TWAP outside the deployment's
    /// price band), `NothingToHarvest`,
    /// `SlippageExceeded`, `TokenCallFailed`, `PairCallFailed`, `ArithmeticOverflow`. Emits
    /// `Harvested`.
    pub fn harvest(&mut self) -> Result<(), CapitalError> {
        self.harvest_yield()
    }

    /// Forwards the compute bucket's emission accrued since the last call, the capital emission
    /// kept while nothing was deposited, and anything a failed `fund` left owed, to the compute
    /// contract's `fund`. Never paused. If `fund` reverts, the amount stays owed, the approval
    /// is reset, and the call succeeds returning 0. Errors: `ReserveShort`, `TokenCallFailed`,
    /// `ArithmeticOverflow`. Emits `ComputeFunded` or `ComputeFundingFailed`.
    pub fn fund_compute(&mut self) -> Result<U256, CapitalError> {
        self.forward_compute()
    }

    // ---- owner (bounded) ------------------------------------------------------------------

    /// Owner only, once, while the pair has no liquidity: wraps the yield (with anything
    /// carried), pulls `native_amount` of the native token from the owner, and mints the pair's
    /// first liquidity to the contract at a price (native per wstETH, 1e18 scale) inside the
    /// bounds fixed at deployment; opens an observation. Errors: `NotOwner`, `EnforcedPause`,
    /// `ZeroAmount`, `PoolNotEmpty`, `NothingToHarvest`, `PriceOutOfBounds`, `TokenCallFailed`,
    /// `PairCallFailed`, `ArithmeticOverflow`. Emits `PoolBootstrapped` and `Poked`.
    pub fn bootstrap_pool(&mut self, native_amount: U256) -> Result<(), CapitalError> {
        self.bootstrap(native_amount)
    }

    /// Owner only: sets the minimum lock, the TWAP window, the largest spot deviation and the
    /// slippage, each inside its hard bounds. Errors: `NotOwner`, `ParameterOutOfBounds`. Emits
    /// `ParametersChanged`.
    pub fn set_parameters(
        &mut self,
        min_lock: u64,
        twap_window: u64,
        max_deviation_bps: u16,
        slippage_bps: u16,
    ) -> Result<(), CapitalError> {
        self.set_params(min_lock, twap_window, max_deviation_bps, slippage_bps)
    }

    /// Owner only: pauses deposits, harvests and the bootstrap. Errors: `NotOwner`,
    /// `EnforcedPause`. Emits `Paused`.
    pub fn pause(&mut self) -> Result<(), CapitalError> {
        self.set_paused(true)
    }

    /// Owner only: resumes deposits, harvests and the bootstrap. Errors: `NotOwner`,
    /// `ExpectedPause`. Emits `Unpaused`.
    pub fn unpause(&mut self) -> Result<(), CapitalError> {
        self.set_paused(false)
    }

    /// Owner only: offers ownership to `new_owner`, who must accept it. Errors: `NotOwner`.
    /// Emits `OwnershipTransferStarted`.
    pub fn transfer_ownership(&mut self, new_owner: Address) -> Result<(), CapitalError> {
        self.offer_ownership(new_owner)
    }

    /// Pending owner only: takes ownership. Errors: `NotPendingOwner`. Emits
    /// `OwnershipTransferred`.
    pub fn accept_ownership(&mut self) -> Result<(), CapitalError> {
        self.take_ownership()
    }

    // ---- views ----------------------------------------------------------------------------

    /// The owner.
    pub fn owner(&self) -> Address {
        self.get_address(store::OWNER)
    }

    /// The address offered ownership, or zero.
    pub fn pending_owner(&self) -> Address {
        self.get_address(store::PENDING_OWNER)
    }

    /// Whether deposits, harvests and the bootstrap are paused.
    pub fn paused(&self) -> bool {
        self.get_bool(store::PAUSED)
    }

    /// `account`'s (principal, unlock time, native token owed as of now).
    pub fn position(&self, account: Address) -> Result<(U256, u64, U256), CapitalError> {
        self.position_of(account)
    }

    /// (principal, backing = the stETH balance, distributed, paid, kept, compute sent, compute
    /// owed), with the capital emission accrued to now.
    #[allow(clippy::type_complexity)] // the ABI's seven-word tuple
    pub fn totals(&self) -> Result<(U256, U256, U256, U256, U256, U256, U256), CapitalError> {
        self.books()
    }

    /// (last harvest, observation time, observed cumulative price, carried wstETH, carried
    /// native, LP tokens held).
    pub fn harvest_state(&self) -> (u64, u64, U256, U256, U256, U256) {
        (
            self.get_u64(store::LAST_HARVEST),
            self.get_u64(store::OBSERVED_AT),
            self.get(store::OBSERVED_CUMULATIVE),
            self.get(store::CARRIED_WST),
            self.get(store::CARRIED_NATIVE),
            self.get(store::LIQUIDITY),
        )
    }

    /// (minimum lock, TWAP window, largest spot deviation in bps, slippage in bps).
    pub fn parameters(&self) -> (u64, u64, u16, u16) {
        (
            self.get_u64(store::MIN_LOCK),
            self.get_u64(store::TWAP_WINDOW),
            self.get_u64(store::MAX_DEVIATION_BPS) as u16,
            self.get_u64(store::SLIPPAGE_BPS) as u16,
        )
    }

    /// (stETH, wstETH, native token, pair, compute contract, whether the contract mints).
    pub fn config(&self) -> (Address, Address, Address, Address, Address, bool) {
        (
            self.get_address(store::ST_ETH),
            self.get_address(store::WST_ETH),
            self.get_address(store::NATIVE),
            self.get_address(store::PAIR),
            self.get_address(store::COMPUTE),
            self.get_bool(store::MINTS_NATIVE),
        )
    }

    /// (payout start, interval, capital initial, capital decrease, compute initial, compute
    /// decrease).
    pub fn schedule(&self) -> (u64, u64, U256, U256, U256, U256) {
        (
            self.get_u64(store::PAYOUT_START),
            self.get_u64(store::INTERVAL),
            self.get(store::CAPITAL_INITIAL),
            self.get(store::CAPITAL_DECREASE),
            self.get(store::COMPUTE_INITIAL),
            self.get(store::COMPUTE_DECREASE),
        )
    }
}

impl YellowstoneCapital {
    /// The capital bucket's schedule (`compute == false`) or the compute bucket's.
    fn bucket(&self, compute: bool) -> LinearSchedule {
        let (initial, decrease) = if compute {
            (store::COMPUTE_INITIAL, store::COMPUTE_DECREASE)
        } else {
            (store::CAPITAL_INITIAL, store::CAPITAL_DECREASE)
        };
        LinearSchedule {
            start: self.get_u64(store::PAYOUT_START),
            interval: self.get_u64(store::INTERVAL),
            initial: self.get(initial),
            decrease: self.get(decrease),
        }
    }

    /// The current block's unix time.
    fn now(&self) -> u64 {
        self.vm().block_timestamp()
    }

    /// The contract's own address.
    fn this(&self) -> Address {
        self.vm().contract_address()
    }
}
