//! # yellowstone-compute
//!
//! The compute contract of the Yellowstone market (SPEC sections 5 and 6), an Arbitrum Stylus
//! program. It holds the compute share of MOR emissions and provider stakes, lets an
//! authorised router commit one signed Merkle root of cumulative provider earnings per
//! inference block, and pays providers who prove their leaf, within three limits:
//!
//! - the **daily cap**: credit on a UTC day <= scheduled emission + 1% of the unused pool at
//!   the day's start, and total credit <= total funded;
//! - the **bootstrap limit**: bootstrap credit <= 10% of the day's scheduled emission, only in
//!   the 365-day window, counted inside the daily cap;
//! - the **stake cap**: a provider is paid at most its stake per 365-day period.
//!
//! No function moves MOR out except a valid claim (to the provider) and a stake withdrawal
//! (to the staker). Each concern lives in its own module; the rules themselves are the pure
//! functions of `yellowstone-protocol`, shared with the router.
//!
//! Version 2 (issue 14): an epoch root carries a signed deadline, so a dropped root can never
//! land later; a withdrawal is held only by stake added in the current stake-cap period; an
//! ended lock restarts when extended, and weighs 1 from its end on. The deployed entry point is
//! [`dispatch`] (a compact router over the `#[public]` methods below, which define the ABI).
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(
    all(target_arch = "wasm32", not(any(test, feature = "export-abi"))),
    no_std
)]
// stylus-sdk's macros add undocumented public functions to the crate root (`#[entrypoint]`'s
// `user_entrypoint` outside stylus-test builds, `#[public]`'s `print_from_args` with export-abi),
// and a lint level reaches generated items only from an enclosing module: here, the root.
#![allow(missing_docs)]

extern crate alloc;

mod claims;
mod dispatch;
pub mod errors;
mod ledger;
mod ownership;
mod settlement;
mod staking;
mod store;
mod token;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::prelude::*;
use yellowstone_protocol::{abi::Initialized, eip712, emission::EmissionSchedule, multiplier};
use yellowstone_stylus_kit::{Ownable, Storage};

pub use dispatch::dispatch;
pub use errors::ComputeError;

yellowstone_stylus_kit::contract_root!(YellowstoneCompute);

/// The compute contract. Its storage is laid out in `src/store.rs` (and docs/CONTRACT.md): the
/// struct holds only the host handle stylus-sdk adds.
#[storage]
pub struct YellowstoneCompute {}

#[public]
impl YellowstoneCompute {
    /// Sets the token, the owner and the emission schedule, all fixed for the contract's life.
    /// Errors: `ZeroAddress`. Emits `OwnershipTransferred(0, owner)` and `Initialized`.
    #[constructor]
    pub fn constructor(
        &mut self,
        mor: Address,
        owner: Address,
        emission_start_day: u64,
        first_day_emission: U256,
        daily_decrease: U256,
        bootstrap_start_day: u64,
    ) -> Result<(), ComputeError> {
        self.init(
            mor,
            owner,
            EmissionSchedule {
                start_day: emission_start_day,
                first_day: first_day_emission,
                daily_decrease,
            },
            bootstrap_start_day,
        )
    }

    // ---- funding and the daily ledger --------------------------------------------------

    /// Pulls `amount` MOR from the caller (who must have approved it) into the emission pool,
    /// after rolling the day. Errors: `ZeroAmount`, `TokenTransferFailed`,
    /// `ArithmeticOverflow`. Emits `Funded`.
    pub fn fund(&mut self, amount: U256) -> Result<(), ComputeError> {
        self.fund_pool(amount)
    }

    /// The schedule fixed at deployment: (start day, first day's wei, daily decrease, bootstrap start day).
    pub fn emission_schedule(&self) -> (u64, U256, U256, u64) {
        let s = self.schedule();
        (
            s.start_day,
            s.first_day,
            s.daily_decrease,
            self.get_u64(store::BOOTSTRAP_START_DAY),
        )
    }

    /// The current UTC day's books: (day, cap on its credit = scheduled emission + 1% of the
    /// unused pool at its start, credit (work + bootstrap) committed on it, its bootstrap limit
    /// (zero outside the window), bootstrap credit committed on it).
    pub fn today(&self) -> (u64, U256, U256, U256, U256) {
        let t = self.books();
        (t.day, t.cap, t.credited, t.bootstrap_limit, t.bootstrap)
    }

    /// (funded, credited, bootstrap credited, claimed, staked), all in wei.
    pub fn totals(&self) -> (U256, U256, U256, U256, U256) {
        (
            self.get(store::TOTAL_FUNDED),
            self.get(store::CUMULATIVE_CREDITED),
            self.get(store::CUMULATIVE_BOOTSTRAP),
            self.get(store::TOTAL_CLAIMED),
            self.get(store::TOTAL_STAKED),
        )
    }

    // ---- settlement ---------------------------------------------------------------------

    /// Accepts a router-signed epoch root; anyone may submit it until `deadline` (a block
    /// timestamp, signed with the root), after which it can never land: the router may then
    /// sign a different root for the same number. The signature is in the EIP-2098 compact
    /// form (`r`, `vs` = parity bit ++ `s`). Errors, in the order checked: `EnforcedPause`,
    /// `EpochRootExpired`, `SignatureMalformed`, `SignatureHighS`, `SignatureInvalid`,
    /// `UnknownRouter`, `UnexpectedEpoch`, `CreditedDecreased`, `BootstrapDecreased`,
    /// `DailyCapExceeded`, `BootstrapWindowClosed`, `BootstrapCapExceeded`, `FundingExceeded`,
    /// `ArithmeticOverflow`. Emits `EpochCommitted`.
    #[allow(clippy::too_many_arguments)] // the signed `EpochRoot`'s fields and the signature
    pub fn commit_epoch(
        &mut self,
        epoch: u64,
        root: B256,
        cumulative_credited: U256,
        cumulative_bootstrap: U256,
        deadline: u64,
        r: B256,
        vs: B256,
    ) -> Result<(), ComputeError> {
        self.commit(
            epoch,
            root,
            cumulative_credited,
            cumulative_bootstrap,
            deadline,
            r,
            vs,
        )
    }

    /// The latest committed epoch: (number, root, cumulative credited, cumulative bootstrap).
    pub fn latest_epoch(&self) -> (u64, B256, U256, U256) {
        (
            self.get_u64(store::EPOCH),
            B256::from(self.get(store::ROOT)),
            self.get(store::CUMULATIVE_CREDITED),
            self.get(store::CUMULATIVE_BOOTSTRAP),
        )
    }

    /// The EIP-712 domain separator epoch roots are signed under.
    pub fn domain_separator(&self) -> B256 {
        eip712::domain_separator(self.vm().chain_id(), self.vm().contract_address())
    }

    /// Pays `provider` its proven cumulative earnings minus what it was already paid, within
    /// its stake cap; anyone may call. Returns the wei paid. Errors: `EnforcedPause`, `NoEpoch`,
    /// `InvalidProof`, `NotRegistered`, `NothingToClaim`, `StakeCapReached`,
    /// `ClaimExceedsCredit`, `TokenTransferFailed`, `ArithmeticOverflow`. Emits `Claimed`.
    pub fn claim(
        &mut self,
        provider: Address,
        cumulative_earned: U256,
        cumulative_bootstrap: U256,
        proof: Vec<B256>,
    ) -> Result<U256, ComputeError> {
        self.pay_claim(provider, cumulative_earned, cumulative_bootstrap, &proof)
    }

    // ---- staking (MRC40) ----------------------------------------------------------------

    /// Stakes `amount` MOR locked until `lock_end`; the first stake registers the provider. The
    /// lock restarts now; `lock_end` may be neither in the past nor before the current lock end
    /// (a lock ending now is an unlocked stake, multiplier 1). The amount counts as added in
    /// the current stake-cap period (see `withdraw`). Errors: `ZeroAmount`, `LockEndTooEarly`,
    /// `TokenTransferFailed`, `ArithmeticOverflow`. Emits `ProviderRegistered` (the first
    /// time) and `Staked`.
    pub fn stake(&mut self, amount: U256, lock_end: u64) -> Result<(), ComputeError> {
        self.add_stake(amount, lock_end)
    }

    /// Extends the caller's lock to `new_end` (later than now and the current end). A running
    /// lock keeps its start; an ended one restarts now, so extending it by a second earns a
    /// second's multiplier, not that of the years it once ran. Errors: `NotRegistered`,
    /// `LockEndTooEarly`. Emits `LockExtended`.
    pub fn lock_claim(&mut self, new_end: u64) -> Result<(), ComputeError> {
        self.extend_lock(new_end)
    }

    /// Returns `amount` of the caller's stake, once its lock has ended. Stake added in the
    /// current 365-day stake-cap period backs that period's payouts and stays until the period
    /// ends: at most `stake - min(paid this period, added this period)` may leave. Stake from
    /// earlier periods can always leave, whoever claimed for the provider meanwhile. Errors:
    /// `ZeroAmount`, `NotRegistered`, `StakeLocked`, `InsufficientStake`, `StakeBacksPayouts`,
    /// `TokenTransferFailed`. Emits `Withdrawn`.
    pub fn withdraw(&mut self, amount: U256) -> Result<(), ComputeError> {
        self.withdraw_stake(amount)
    }

    /// A provider's record: (registered, stake, lock start, lock end, multiplier of the lock
    /// while it runs and 1e18 from its end on, weight = stake x multiplier / 1e18, earned as
    /// last proven, claimed).
    pub fn provider(&self, provider: Address) -> (bool, U256, u64, u64, U256, U256, U256, U256) {
        self.provider_record(provider)
    }

    /// What `provider` may still be paid in the current 365-day period.
    pub fn stake_cap_remaining(&self, provider: Address) -> U256 {
        self.cap_remaining(provider)
    }

    /// The MRC40 power multiplier of a lock from `start` to `end` (unix seconds), 1e18-scaled.
    pub fn power_multiplier(&self, start: U256, end: U256) -> U256 {
        multiplier::power_multiplier(start, end)
    }

    // ---- owner ----------------------------------------------------------------------------

    /// The owner.
    pub fn owner(&self) -> Address {
        self.get_address(store::OWNER)
    }

    /// The address offered ownership, or zero.
    pub fn pending_owner(&self) -> Address {
        self.get_address(store::PENDING_OWNER)
    }

    /// The MOR token.
    pub fn mor(&self) -> Address {
        self.get_address(store::MOR)
    }

    /// Whether commits and claims are paused.
    pub fn paused(&self) -> bool {
        !self.get(store::PAUSED).is_zero()
    }

    /// Whether `router` may sign epoch roots.
    pub fn is_router(&self, router: Address) -> bool {
        !self.get(store::router(router)).is_zero()
    }

    /// Owner only: lets `router` sign epoch roots. Errors: `NotOwner`, `ZeroAddress`,
    /// `RouterAlreadyAuthorized`. Emits `RouterAuthorized`.
    pub fn authorize_router(&mut self, router: Address) -> Result<(), ComputeError> {
        self.set_router(router, true)
    }

    /// Owner only: stops `router` from signing epoch roots. Errors: `NotOwner`, `ZeroAddress`,
    /// `UnknownRouter`. Emits `RouterRevoked`.
    pub fn revoke_router(&mut self, router: Address) -> Result<(), ComputeError> {
        self.set_router(router, false)
    }

    /// Owner only: pauses epoch commits and claims. Errors: `NotOwner`, `EnforcedPause`. Emits
    /// `Paused`.
    pub fn pause(&mut self) -> Result<(), ComputeError> {
        self.set_paused(true)
    }

    /// Owner only: resumes epoch commits and claims. Errors: `NotOwner`, `ExpectedPause`. Emits
    /// `Unpaused`.
    pub fn unpause(&mut self) -> Result<(), ComputeError> {
        self.set_paused(false)
    }

    /// Owner only: offers ownership to `new_owner`, who must accept it. Errors: `NotOwner`.
    /// Emits `OwnershipTransferStarted`.
    pub fn transfer_ownership(&mut self, new_owner: Address) -> Result<(), ComputeError> {
        self.offer_ownership(new_owner)
    }

    /// Pending owner only: takes ownership. Errors: `NotPendingOwner`. Emits
    /// `OwnershipTransferred`.
    pub fn accept_ownership(&mut self) -> Result<(), ComputeError> {
        self.take_ownership()
    }
}

impl YellowstoneCompute {
    fn init(
        &mut self,
        mor: Address,
        owner: Address,
        schedule: EmissionSchedule,
        bootstrap_start_day: u64,
    ) -> Result<(), ComputeError> {
        use errors::Word;
        use yellowstone_protocol::abi::{OwnershipTransferred, ZeroAddress};
        use yellowstone_stylus_kit::emit;
        if mor.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        if owner.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        self.set_address(store::MOR, mor);
        self.set_address(store::OWNER, owner);
        self.set_u64(store::EMISSION_START_DAY, schedule.start_day);
        self.set(store::FIRST_DAY_EMISSION, schedule.first_day)?;
        self.set(store::DAILY_DECREASE, schedule.daily_decrease)?;
        self.set_u64(store::BOOTSTRAP_START_DAY, bootstrap_start_day);
        self.roll_day()?;
        emit(
            self.vm(),
            &[
                OwnershipTransferred::SIGNATURE_HASH,
                Address::ZERO.word(),
                owner.word(),
            ],
            &[],
        );
        emit(
            self.vm(),
            &[Initialized::SIGNATURE_HASH, mor.word()],
            &[
                schedule.start_day.word(),
                schedule.first_day.word(),
                schedule.daily_decrease.word(),
                bootstrap_start_day.word(),
            ],
        );
        Ok(())
    }

    /// The emission schedule fixed at deployment.
    fn schedule(&self) -> EmissionSchedule {
        EmissionSchedule {
            start_day: self.get_u64(store::EMISSION_START_DAY),
            first_day: self.get(store::FIRST_DAY_EMISSION),
            daily_decrease: self.get(store::DAILY_DECREASE),
        }
    }

    /// The current block's unix time.
    fn now(&self) -> u64 {
        self.vm().block_timestamp()
    }
}
