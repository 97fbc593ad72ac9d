//! What the router remembers of one provider's fails, so that one user's fails move its score
//! by a bounded amount and a back-off needs fails from several users (SPEC 8 "Fail"). The rule
//! is documented in [`crate::judge`].

use alloy_primitives::Address;

/// One provider's fail memory: the users whose negative point is in its current score, and the
/// users who failed it recently (for the back-off).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailMemory {
    /// Users with a negative point counted since the provider's score last halved (persisted
    /// with the score).
    counted: Vec<Address>,
    /// (user, unix second of their latest withholding fail) within the back-off memory (in
    /// memory only, like the back-off itself).
    recent: Vec<(Address, u64)>,
}

impl FailMemory {
    /// The memory a restart resumes from: the users counted in the stored score.
    pub fn restore(counted: Vec<Address>) -> Self {
        Self {
            counted,
            recent: Vec::new(),
        }
    }

    /// Users with a negative point in the current score, in the order they were counted.
    pub fn counted(&self) -> &[Address] {
        &self.counted
    }

    /// Whether a negative point from `user` counts (their first since the score last halved);
    /// if so it is remembered.
    pub fn count(&mut self, user: Address) -> bool {
        if self.counted.contains(&user) {
            return false;
        }
        self.counted.push(user);
        true
    }

    /// The score halved: every user may count one negative point again.
    pub fn halved(&mut self) {
        self.counted.clear();
    }

    /// Records a fail by `user` at `now` that withheld credit; true iff it backs the provider
    /// off: `user` had no fail in the last `memory_seconds`, and with this one at least
    /// `min_users` distinct users failed the provider within them.
    pub fn backoff_fail(
        &mut self,
        user: Address,
        now: u64,
        memory_seconds: u64,
        min_users: usize,
    ) -> bool {
        self.recent
            .retain(|(_, at)| at.saturating_add(memory_seconds) > now);
        let new = match self.recent.iter_mut().find(|(u, _)| *u == user) {
            Some(entry) => {
                entry.1 = now;
                false
            }
            None => {
                self.recent.push((user, now));
                true
            }
        };
        new && self.recent.len() >= min_users.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(n: u8) -> Address {
        Address::repeat_byte(n)
    }

    #[test]
    fn a_user_counts_once_until_the_score_halves() {
        let mut m = FailMemory::default();
        assert!(m.count(user(1)));
        assert!(!m.count(user(1)));
        assert!(m.count(user(2)));
        assert_eq!(m.counted(), &[user(1), user(2)]);
        m.halved();
        assert!(m.count(user(1)));
        assert!(!FailMemory::restore(vec![user(1)]).count(user(1)));
    }

    #[test]
    fn a_backoff_needs_new_distinct_users_within_the_memory() {
        let mut m = FailMemory::default();
        assert!(!m.backoff_fail(user(1), 100, 300, 3));
        for _ in 0..50 {
            assert!(!m.backoff_fail(user(1), 101, 300, 3));
        }
        assert!(!m.backoff_fail(user(2), 102, 300, 3));
        assert!(m.backoff_fail(user(3), 103, 300, 3));
        // A repeat within the memory adds no step; a fourth user does.
        assert!(!m.backoff_fail(user(3), 104, 300, 3));
        assert!(m.backoff_fail(user(4), 105, 300, 3));
        // After the memory, user 1 (last seen at 101) is forgotten: 2, 3, 4 and 1 again.
        assert!(m.backoff_fail(user(1), 401, 300, 3));
        // Long after, alone again.
        assert!(!m.backoff_fail(user(5), 10_000, 300, 3));
        // min_users 0 or 1: every new user's fail backs off.
        assert!(FailMemory::default().backoff_fail(user(1), 0, 300, 0));
    }
}
