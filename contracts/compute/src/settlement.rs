//! Epoch roots: a router's signed commitment to every provider's cumulative earnings.
//!
//! A root is accepted when its deadline has not passed, its EIP-712 signature recovers
//! (through the `ecrecover` precompile) to an authorised router, its epoch number is the last
//! one plus one, neither
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

use yellowstone_stylus_kit::emit;

use crate::{
    errors::{add, ComputeError, Word},
    store::{self, *},
    YellowstoneCompute,
};

/// The `ecrecover` precompile.
const ECRECOVER: Address = Address::with_last_byte(1);

impl YellowstoneCompute {
    // The arguments are the ABI's: the signed `EpochRoot` fields and the signature.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn commit(
        &mut self,
        epoch: u64,
        root: B256,
        cumulative_credited: U256,
        cumulative_bootstrap: U256,
        deadline: u64,
        r: B256,
        vs: B256,
    ) -> Result<(), ComputeError> {
        if !self.get(PAUSED).is_zero() {
            return Err(EnforcedPause {}.into());
        }
        let now = self.now();
        if now > deadline {
            return Err(EpochRootExpired {
                epoch,
                deadline,
                now,
            }
            .into());
        }
        let digest = eip712::signing_hash(
            eip712::domain_separator(self.vm().chain_id(), self.vm().contract_address()),
            eip712::epoch_root_hash(
                epoch,
                root,
                cumulative_credited,
                cumulative_bootstrap,
                deadline,
            ),
        );
        let router = self.recover(digest, r, vs)?;
        if self.get(store::router(router)).is_zero() {
            return Err(UnknownRouter { router }.into());
        }
        // Consecutive, not merely increasing: a stolen key cannot jump to the last epoch number
        // and freeze settlement, and a mirror can tell it has every root.
        let expected = self.get_u64(EPOCH).saturating_add(1);
        if epoch != expected {
            return Err(UnexpectedEpoch { epoch, expected }.into());
        }
        let previous = self.get(CUMULATIVE_CREDITED);
        let credit = cumulative_credited
            .checked_sub(previous)
            .ok_or(CreditedDecreased {
                given: cumulative_credited,
                previous,
            })?;
        let previous = self.get(CUMULATIVE_BOOTSTRAP);
        let bootstrap = cumulative_bootstrap
            .checked_sub(previous)
            .ok_or(BootstrapDecreased {
                given: cumulative_bootstrap,
                previous,
            })?;

        self.roll_day()?;
        let day = self.get_u64(DAY);
        let credited_today = add(self.get(CREDITED_TODAY), add(credit, bootstrap)?)?;
        let cap = self.get(DAY_CAP);
        if credited_today > cap {
            return Err(DailyCapExceeded {
                day,
                creditedToday: credited_today,
                cap,
            }
            .into());
        }
        // Bootstrap credit comes once a day: only then are its window and limit read.
        let bootstrap_today = if bootstrap.is_zero() {
            None
        } else {
            let window_start = self.get_u64(BOOTSTRAP_START_DAY);
            if !in_bootstrap_window(window_start, day) {
                return Err(BootstrapWindowClosed {
                    day,
                    windowStartDay: window_start,
                }
                .into());
            }
            let bootstrap_today = add(self.get(BOOTSTRAP_TODAY), bootstrap)?;
            let limit = self.bootstrap_limit_of(day);
            if bootstrap_today > limit {
                return Err(BootstrapCapExceeded {
                    day,
                    bootstrapToday: bootstrap_today,
                    limit,
                }
                .into());
            }
            Some(bootstrap_today)
        };
        let total_credited = add(cumulative_credited, cumulative_bootstrap)?;
        let funded = self.get(TOTAL_FUNDED);
        if total_credited > funded {
            return Err(FundingExceeded {
                totalCredited: total_credited,
                totalFunded: funded,
            }
            .into());
        }

        self.set_u64(EPOCH, epoch);
        self.set(ROOT, U256::from_be_bytes(root.0))?;
        self.set(CUMULATIVE_CREDITED, cumulative_credited)?;
        self.set(CREDITED_TODAY, credited_today)?;
        if let Some(bootstrap_today) = bootstrap_today {
            self.set(CUMULATIVE_BOOTSTRAP, cumulative_bootstrap)?;
            self.set(BOOTSTRAP_TODAY, bootstrap_today)?;
        }
        emit(
            self.vm(),
            &[EpochCommitted::SIGNATURE_HASH, epoch.word(), router.word()],
            &[
                root,
                cumulative_credited.word(),
                cumulative_bootstrap.word(),
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
        let Ok(word) = <[u8; 32]>::try_from(output.as_slice()) else {
            return Err(SignatureInvalid {}.into());
        };
        let signer = Address::from_word(B256::from(word));
        if signer.is_zero() {
            return Err(SignatureInvalid {}.into());
        }
        Ok(signer)
    }
}
