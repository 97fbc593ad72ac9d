//! Allowances (SPEC 3 and 8): a user's wei for the day, computed by the caller from the
//! snapshot balance and held or charged here as tickets are issued, reported or swept.

use alloy_primitives::{Address, U256};
use yellowstone_api::v1::AllowanceView;

use super::State;
use crate::{
    allowance::{tokens_at, Allowance},
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
        let left = a.left();
        Self {
            allowance: a.allowance,
            balance: r.balance,
            day: r.day,
            held: a.held,
            left,
            price: r.price,
            tokens_allowed: tokens_at(a.allowance, r.price),
            tokens_left: tokens_at(left, r.price),
            used: a.used,
            user: r.user,
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

    fn u(n: u64) -> U256 {
        U256::from(n)
    }

    fn record(allowance: u64) -> AllowanceRecord {
        AllowanceRecord {
            day: 3,
            user: Address::repeat_byte(1),
            balance: u(5),
            price: u(7),
            allowance: Allowance {
                allowance: u(allowance),
                used: u(30),
                held: u(20),
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
    fn the_view_shows_the_wei_left_and_its_tokens_at_the_reference_price() {
        let view = AllowanceView::from(&record(100));
        assert_eq!(
            (view.allowance, view.used, view.held, view.left),
            (u(100), u(30), u(20), u(50))
        );
        assert_eq!(view.price, u(7));
        assert_eq!(
            (view.tokens_allowed, view.tokens_left),
            (14, 7),
            "floor(100 / 7), floor(50 / 7)"
        );
    }

    #[test]
    fn without_a_reference_price_the_view_shows_no_tokens() {
        let mut r = record(100);
        r.price = U256::ZERO;
        let view = AllowanceView::from(&r);
        assert_eq!(
            (view.tokens_allowed, view.tokens_left, view.left),
            (0, 0, u(50))
        );
    }
}
