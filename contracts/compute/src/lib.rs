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
#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(not(any(test, feature = "export-abi")), no_std)]
// stylus-sdk's macros add undocumented public functions to the crate root (`#[entrypoint]`'s
// `user_entrypoint` outside stylus-test builds, `#[public]`'s `print_from_args` with export-abi),
// and a lint level reaches generated items only from an enclosing module: here, the root.
#![allow(missing_docs)]

extern crate alloc;

mod amount;
mod claims;
pub mod errors;
mod events;
mod ledger;
mod ownership;
mod settlement;
mod staking;
mod token;

use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::{prelude::*, storage::*};
use yellowstone_protocol::{abi::Initialized, eip712, emission::EmissionSchedule, multiplier};

use amount::Amount;
pub use errors::ComputeError;

/// One provider's stake, lock and payout record. Amounts are 128-bit, two to a slot, paired
/// by what a claim reads and writes together.
#[storage]
pub struct Provider {
    /// Staked MOR wei.
    stake: StorageU128,
    /// Wei paid in the current 365-day stake-cap period.
    paid_in_period: StorageU128,
    /// Cumulative wei earned (work + bootstrap) as last proven by a claim.
    earned: StorageU128,
    /// Wei paid out so far.
    claimed: StorageU128,
    /// Power multiplier of the current lock, 1e18-scaled.
    multiplier: StorageU256,
    /// When the provider first staked: the origin of its stake-cap periods; zero if never.
    registered_at: StorageU64,
    /// Start of the current lock (the latest stake).
    lock_start: StorageU64,
    /// End of the current lock; stake can be withdrawn from then on.
    lock_end: StorageU64,
    /// Index of the stake-cap period `paid_in_period` counts for.
    cap_period: StorageU64,
}

impl Provider {
    /// Whether the provider has ever staked (no block has timestamp zero).
    fn registered(&self) -> bool {
        !self.registered_at.get().is_zero()
    }
}

/// The compute contract's storage. The layout is documented in `docs/CONTRACT.md`.
#[storage]
#[entrypoint]
pub struct YellowstoneCompute {
    /// May authorise routers, pause, and hand ownership over; can never move MOR.
    owner: StorageAddress,
    /// Offered ownership, not yet accepted.
    pending_owner: StorageAddress,
    /// Whether epoch commits and claims are paused.
    paused: StorageBool,
    /// Number of the latest committed epoch; zero before the first (epochs start at 1). It
    /// shares `paused`'s slot: commits and claims read both, and a commit writes it.
    epoch: StorageU64,
    /// The MOR token.
    mor: StorageAddress,
    /// Router keys allowed to sign epoch roots.
    routers: StorageMap<Address, StorageBool>,
    /// UTC day of the first scheduled emission.
    emission_start_day: StorageU64,
    /// UTC day the 365-day bootstrap window opens.
    bootstrap_start_day: StorageU64,
    /// The UTC day the day-accounting fields (`day_start_pool`, `credited_today`,
    /// `bootstrap_today`) describe; beside the schedule, which a commit reads anyway.
    day: StorageU64,
    // Amounts are 128-bit (MOR's whole supply is below 2^86 wei), two to a slot, paired by
    // what one call reads or writes together: Stylus charges per slot touched.
    /// Wei scheduled on the first emission day.
    first_day_emission: StorageU128,
    /// Wei by which each day's scheduled emission falls.
    daily_decrease: StorageU128,
    /// Wei ever funded.
    total_funded: StorageU128,
    /// Unused pool (funded minus credited) at the start of `day`.
    day_start_pool: StorageU128,
    /// Wei ever paid to providers.
    total_claimed: StorageU128,
    /// Wei currently staked by all providers.
    total_staked: StorageU128,
    /// Merkle root of the latest committed epoch.
    root: StorageB256,
    /// Cumulative work credit of the latest epoch.
    cumulative_credited: StorageU128,
    /// Cumulative bootstrap credit of the latest epoch.
    cumulative_bootstrap: StorageU128,
    /// Credit (work + bootstrap) committed during `day`.
    credited_today: StorageU128,
    /// Bootstrap credit committed during `day`.
    bootstrap_today: StorageU128,
    /// Every provider that ever staked.
    providers: StorageMap<Address, Provider>,
}

#[public]
impl YellowstoneCompute {
    /// Sets the token, the owner and the emission schedule, all fixed for the contract's life.
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

    /// Pulls `amount` MOR from the caller (who must have approved it) into the emission pool.
    pub fn fund(&mut self, amount: U256) -> Result<(), ComputeError> {
        self.fund_pool(amount)
    }

    /// Wei scheduled for UTC day `day` by the compute bucket's emission schedule.
    pub fn scheduled_emission(&self, day: u64) -> U256 {
        self.schedule().scheduled(day)
    }

    /// The schedule fixed at deployment: (start day, first day's wei, daily decrease, bootstrap start day).
    pub fn emission_schedule(&self) -> (u64, U256, U256, u64) {
        let s = self.schedule();
        (
            s.start_day,
            s.first_day,
            s.daily_decrease,
            self.bootstrap_start_day.get().saturating_to(),
        )
    }

    /// Today's cap on credit: scheduled emission + 1% of the unused pool at the day's start.
    pub fn daily_cap(&self) -> U256 {
        self.today().cap
    }

    /// Credit (work + bootstrap) committed today.
    pub fn credited_today(&self) -> U256 {
        self.today().credited
    }

    /// Today's bootstrap limit (zero outside the window) and the bootstrap credit committed today.
    pub fn bootstrap_today(&self) -> (U256, U256) {
        let today = self.today();
        (today.bootstrap_limit, today.bootstrap)
    }

    /// Funded minus credited: what the router has not yet credited.
    pub fn unused_pool(&self) -> U256 {
        self.unused()
    }

    /// (funded, credited, bootstrap credited, claimed, staked), all in wei.
    pub fn totals(&self) -> (U256, U256, U256, U256, U256) {
        (
            self.total_funded.amount(),
            self.cumulative_credited.amount(),
            self.cumulative_bootstrap.amount(),
            self.total_claimed.amount(),
            self.total_staked.amount(),
        )
    }

    // ---- settlement ---------------------------------------------------------------------

    /// Accepts a router-signed epoch root; anyone may submit it. The signature is in the
    /// EIP-2098 compact form (`r`, `vs` = parity bit ++ `s`).
    pub fn commit_epoch(
        &mut self,
        epoch: u64,
        root: B256,
        cumulative_credited: U256,
        cumulative_bootstrap: U256,
        r: B256,
        vs: B256,
    ) -> Result<(), ComputeError> {
        self.commit(
            epoch,
            root,
            cumulative_credited,
            cumulative_bootstrap,
            r,
            vs,
        )
    }

    /// The latest committed epoch: (number, root, cumulative credited, cumulative bootstrap).
    pub fn latest_epoch(&self) -> (u64, B256, U256, U256) {
        (
            self.epoch.get().saturating_to(),
            self.root.get(),
            self.cumulative_credited.amount(),
            self.cumulative_bootstrap.amount(),
        )
    }

    /// The EIP-712 domain separator epoch roots are signed under.
    pub fn domain_separator(&self) -> B256 {
        eip712::domain_separator(self.vm().chain_id(), self.vm().contract_address())
    }

    /// Pays `provider` its proven cumulative earnings minus what it was already paid, within
    /// its stake cap; anyone may call. Returns the wei paid.
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
    /// (a lock ending now is an unlocked stake, multiplier 1).
    pub fn stake(&mut self, amount: U256, lock_end: u64) -> Result<(), ComputeError> {
        self.add_stake(amount, lock_end)
    }

    /// Extends the caller's lock to `new_end` (later than now and the current end), keeping the
    /// lock start; the new multiplier applies at once.
    pub fn lock_claim(&mut self, new_end: u64) -> Result<(), ComputeError> {
        self.extend_lock(new_end)
    }

    /// Returns `amount` of the caller's stake, once its lock has ended; within a 365-day period
    /// the stake may not fall below what the provider was paid in it.
    pub fn withdraw(&mut self, amount: U256) -> Result<(), ComputeError> {
        self.withdraw_stake(amount)
    }

    /// A provider's record: (registered, stake, lock start, lock end, multiplier, weight =
    /// stake x multiplier / 1e18, earned as last proven, claimed).
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
        self.owner.get()
    }

    /// The address offered ownership, or zero.
    pub fn pending_owner(&self) -> Address {
        self.pending_owner.get()
    }

    /// The MOR token.
    pub fn mor(&self) -> Address {
        self.mor.get()
    }

    /// Whether commits and claims are paused.
    pub fn paused(&self) -> bool {
        self.paused.get()
    }

    /// Whether `router` may sign epoch roots.
    pub fn is_router(&self, router: Address) -> bool {
        self.routers.get(router)
    }

    /// Owner only: lets `router` sign epoch roots.
    pub fn authorize_router(&mut self, router: Address) -> Result<(), ComputeError> {
        self.set_router(router, true)
    }

    /// Owner only: stops `router` from signing epoch roots.
    pub fn revoke_router(&mut self, router: Address) -> Result<(), ComputeError> {
        self.set_router(router, false)
    }

    /// Owner only: pauses epoch commits and claims.
    pub fn pause(&mut self) -> Result<(), ComputeError> {
        self.set_paused(true)
    }

    /// Owner only: resumes epoch commits and claims.
    pub fn unpause(&mut self) -> Result<(), ComputeError> {
        self.set_paused(false)
    }

    /// Owner only: offers ownership to `new_owner`, who must accept it.
    pub fn transfer_ownership(&mut self, new_owner: Address) -> Result<(), ComputeError> {
        self.offer_ownership(new_owner)
    }

    /// Pending owner only: takes ownership.
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
        use events::emit;
        use yellowstone_protocol::abi::{OwnershipTransferred, ZeroAddress};
        if mor.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        if owner.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        self.mor.set(mor);
        self.owner.set(owner);
        self.emission_start_day.set(U64::from(schedule.start_day));
        self.first_day_emission.set_amount(schedule.first_day)?;
        self.daily_decrease.set_amount(schedule.daily_decrease)?;
        self.bootstrap_start_day.set(U64::from(bootstrap_start_day));
        self.day.set(U64::from(yellowstone_protocol::time::day_of(
            self.vm().block_timestamp(),
        )));
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
            start_day: self.emission_start_day.get().saturating_to(),
            first_day: self.first_day_emission.amount(),
            daily_decrease: self.daily_decrease.amount(),
        }
    }

    /// The current block's unix time.
    fn now(&self) -> u64 {
        self.vm().block_timestamp()
    }
}

use alloy_primitives::aliases::U64;
