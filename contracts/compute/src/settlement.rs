//! Epoch roots: a router's signed commitment to every provider's cumulative earnings.
//!
//! A root is accepted when its EIP-712 signature recovers (through the `ecrecover`
//! precompile) to an authorised router, its epoch number is the last one plus one, neither
//! cumulative total went down, and the credit it adds fits the day's cap, the day's bootstrap
//! limit and the funds ever received.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;
use stylus_sdk::{call::static_call, prelude::*};
use yellowstone_protocol::{
    abi::*,
    eip712::{self, Signature, SignatureError},
    emission::in_bootstrap_window,
};

use crate::{
    amount::Amount,
    errors::{add, ComputeError, Word},
    events::emit,
    YellowstoneCompute,
};

/// The `ecrecover` precompile.
const ECRECOVER: Address = Address::with_last_byte(1);

impl YellowstoneCompute {
    pub(crate) fn commit(
        &mut self,
        epoch: u64,
        root: B256,
        cumulative_credited: U256,
        cumulative_bootstrap: U256,
        r: B256,
        vs: B256,
    ) -> Result<(), ComputeError> {
        if self.paused.get() {
            return Err(EnforcedPause {}.into());
        }
        let digest = eip712::signing_hash(
            eip712::domain_separator(self.vm().chain_id(), self.vm().contract_address()),
            eip712::epoch_root_hash(epoch, root, cumulative_credited, cumulative_bootstrap),
        );
        let router = self.recover(digest, r, vs)?;
        if !self.routers.get(router) {
            return Err(UnknownRouter { router }.into());
        }
        // Consecutive, not merely increasing: a stolen key cannot jump to the last epoch number
        // and freeze settlement, and a mirror can tell it has every root.
        let expected = self.epoch.get().saturating_to::<u64>().saturating_add(1);
        if epoch != expected {
            return Err(UnexpectedEpoch { epoch, expected }.into());
        }
        let previous = self.cumulative_credited.amount();
        let credit = cumulative_credited
            .checked_sub(previous)
            .ok_or(CreditedDecreased {
                given: cumulative_credited,
                previous,
            })?;
        let previous = self.cumulative_bootstrap.amount();
        let bootstrap = cumulative_bootstrap
            .checked_sub(previous)
            .ok_or(BootstrapDecreased {
                given: cumulative_bootstrap,
                previous,
            })?;

        self.roll_day()?;
        let today = self.today();
        let credited_today = add(today.credited, add(credit, bootstrap)?)?;
        if credited_today > today.cap {
            return Err(DailyCapExceeded {
                day: today.day,
                creditedToday: credited_today,
                cap: today.cap,
            }
            .into());
        }
        let bootstrap_today = add(today.bootstrap, bootstrap)?;
        if !bootstrap.is_zero() {
            let window_start = self.bootstrap_start_day.get().saturating_to::<u64>();
            if !in_bootstrap_window(window_start, today.day) {
                return Err(BootstrapWindowClosed {
                    day: today.day,
                    windowStartDay: window_start,
                }
                .into());
            }
            if bootstrap_today > today.bootstrap_limit {
                return Err(BootstrapCapExceeded {
                    day: today.day,
                    bootstrapToday: bootstrap_today,
                    limit: today.bootstrap_limit,
                }
                .into());
            }
        }
        let total_credited = add(cumulative_credited, cumulative_bootstrap)?;
        let funded = self.total_funded.amount();
        if total_credited > funded {
            return Err(FundingExceeded {
                totalCredited: total_credited,
                totalFunded: funded,
            }
            .into());
        }

        self.epoch.set(alloy_primitives::aliases::U64::from(epoch));
        self.root.set(root);
        self.cumulative_credited.set_amount(cumulative_credited)?;
        self.cumulative_bootstrap.set_amount(cumulative_bootstrap)?;
        self.credited_today.set_amount(credited_today)?;
        self.bootstrap_today.set_amount(bootstrap_today)?;
        emit(
            self.vm(),
            &[EpochCommitted::SIGNATURE_HASH, epoch.word(), router.word()],
            &[
                root,
                cumulative_credited.word(),
                cumulative_bootstrap.word(),
                today.day.word(),
                credited_today.word(),
            ],
        );
        Ok(())
    }

    /// The signer of `digest`, through the `ecrecover` precompile; canonical signatures only.
    fn recover(&self, digest: B256, r: B256, vs: B256) -> Result<Address, ComputeError> {
        let signature = Signature::from_compact(r, vs).map_err(|err| match err {
            SignatureError::HighS => ComputeError::from(SignatureHighS {}),
            _ => ComputeError::from(SignatureMalformed {}),
        })?;
        let output = static_call(
            self.vm(),
            Call::new(),
            ECRECOVER,
            &signature.ecrecover_input(digest),
        )
        .unwrap_or_default();
        if output.len() != 32 {
            return Err(SignatureInvalid {}.into());
        }
        let signer = Address::from_slice(&output[12..32]);
        if signer.is_zero() {
            return Err(SignatureInvalid {}.into());
        }
        Ok(signer)
    }
}
