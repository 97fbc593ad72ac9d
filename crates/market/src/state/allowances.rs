//! Allowances (SPEC 3): a user's tokens for the day, computed by the caller from the snapshot
//! balance and held or charged here as tickets are issued, reported or swept.

use alloy_primitives::{Address, U256};
use yellowstone_api::v1::AllowanceView;

use super::State;
use crate::{
    allowance::Allowance,
    records::{AllowanceRecord, Change},
};

impl State {
    /// The user's allowance record for `day`, if computed.
    pub fn allowance(&self, day: u64, user: Address) -> Option<&AllowanceRecord> {
        self.allowances.get(&(day, user))
    }

    /// Installs a user's allowance for a day, computed from the snapshot balance, and returns
    /// the record in force. The day's first record stands: two requests racing to compute it
    /// cannot reset what the first already holds or used.
    pub fn set_allowance(&mut self, record: AllowanceRecord) -> Change {
        self.oldest_allowance_day = self.oldest_allowance_day.min(record.day);
        let entry = self
            .allowances
            .entry((record.day, record.user))
            .or_insert(record);
        Change::Allowance(entry.clone())
    }

    /// Credited (wei, tokens) of a day, all providers together.
    pub fn day_volume(&self, day: u64) -> (U256, u64) {
        self.work
            .iter()
            .filter(|((d, _), _)| *d == day)
            .fold((U256::ZERO, 0), |acc, (_, (w, t))| {
                (acc.0.saturating_add(*w), acc.1.saturating_add(*t))
            })
    }
}

impl From<&AllowanceRecord> for AllowanceView {
    fn from(r: &AllowanceRecord) -> Self {
        let a: Allowance = r.allowance;
        Self {
            day: r.day,
            user: r.user,
            balance: r.balance,
            allowance: a.allowance,
            used: a.used,
            held: a.held,
            left: a.left(),
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;
    use alloy_signer_local::PrivateKeySigner;
    use yellowstone_protocol::eip712::types::domain;

    use super::*;
    use crate::state::Rules;

    fn record(allowance: u64) -> AllowanceRecord {
        AllowanceRecord {
            day: 3,
            user: Address::repeat_byte(1),
            balance: U256::from(5),
            allowance: Allowance {
                allowance,
                used: 30,
                held: 20,
            },
        }
    }

    #[test]
    fn a_days_first_allowance_stands() {
        let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(9)).unwrap();
        let mut state = State::new(Rules::default(), domain(1, Address::ZERO), key);
        assert_eq!(
            state.set_allowance(record(100)),
            Change::Allowance(record(100))
        );
        assert_eq!(
            state.set_allowance(record(500)),
            Change::Allowance(record(100))
        );
        assert_eq!(
            state.allowance(3, Address::repeat_byte(1)),
            Some(&record(100))
        );
    }

    #[test]
    fn the_view_of_an_allowance_shows_what_is_left() {
        let view = AllowanceView::from(&record(100));
        assert_eq!((view.used, view.held, view.left), (30, 20, 50));
    }
}
