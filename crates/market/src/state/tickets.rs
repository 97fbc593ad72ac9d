//! Tickets (SPEC 3 and 4 steps 2-6): an RFC checked, a ticket issued against the user's
//! allowance, and the sweep that charges a ticket never reported at its receipt, else at
//! `tokenMax × price` (SPEC 8).

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolStruct;
use yellowstone_api::{v1::Issued, ApiError};
use yellowstone_protocol::{
    messages::{Rfc, Signed, Ticket},
    time::DAY,
};

use super::{check_model, State, Verified};
use crate::{
    allowance::charge,
    records::{Change, TicketRecord, TicketStatus},
};

/// An RFC that passed every check but allowance and selection.
#[derive(Clone, Debug)]
pub struct CheckedRfc {
    /// The signed RFC.
    pub rfc: Signed<Rfc>,
    /// Its request id.
    pub request_id: B256,
    /// The UTC day of the check: the day whose allowance the router computes and the ticket
    /// holds, even when the ticket is issued after midnight.
    pub day: u64,
}

impl State {
    /// Checks an RFC's signature, deadline, size and nonce (SPEC 4 steps 2-3).
    pub fn check_rfc(&self, rfc: Signed<Rfc>, now: u64) -> Result<CheckedRfc, ApiError> {
        self.check_verified_rfc(Verified::new(rfc, &self.domain, &self.signatures), now)
    }

    /// [`State::check_rfc`] of an RFC whose signature was checked already.
    pub fn check_verified_rfc(&self, rfc: Verified<Rfc>, now: u64) -> Result<CheckedRfc, ApiError> {
        rfc.outcome()?;
        let request_id = rfc.digest;
        let rfc = rfc.signed;
        let m = &rfc.message;
        check_model(&m.model)?;
        if m.deadline < now {
            return Err(ApiError::expired(format!(
                "RFC deadline {} has passed (now {now})",
                m.deadline
            )));
        }
        if m.deadline > now + self.rules.rfc_window_seconds {
            return Err(ApiError::invalid(format!(
                "RFC deadline {} is more than {} s ahead",
                m.deadline, self.rules.rfc_window_seconds
            )));
        }
        if m.tokenMax == 0 || m.tokenMax > self.rules.max_token_max {
            return Err(ApiError::invalid(format!(
                "tokenMax {} is outside 1..={}",
                m.tokenMax, self.rules.max_token_max
            )));
        }
        if self.nonces.contains_key(&(m.user, m.nonce)) {
            return Err(ApiError::replayed(format!(
                "nonce {} of {} was already admitted",
                m.nonce, m.user
            )));
        }
        Ok(CheckedRfc {
            rfc,
            request_id,
            day: now / DAY,
        })
    }

    /// Issues a ticket for `rfc` to `provider`, holding `tokenMax × price` wei of the user's
    /// allowance of `checked.day` (SPEC 3, 4 step 6 and 8).
    pub fn issue(
        &mut self,
        checked: &CheckedRfc,
        provider: Address,
        now: u64,
    ) -> Result<(Issued, Vec<Change>), ApiError> {
        self.issue_presigned(checked, provider, now, None)
    }

    /// The ticket [`State::issue`] hands out for `checked` at `provider`, if the provider's bid
    /// is still at `price` at `now`: what the service signs before it takes the lock.
    pub fn draft_ticket(
        &self,
        checked: &CheckedRfc,
        provider: Address,
        price: U256,
        now: u64,
    ) -> Ticket {
        let m = &checked.rfc.message;
        Ticket {
            requestId: checked.request_id,
            user: m.user,
            provider,
            model: m.model.clone(),
            tokenMax: m.tokenMax,
            pricePerToken: price,
            expiry: now + self.rules.ticket_seconds,
        }
    }

    /// [`State::issue`], using `presigned` as the ticket when it is exactly the ticket issued
    /// (signed outside the lock, see [`State::draft_ticket`]); otherwise signing it here.
    pub fn issue_presigned(
        &mut self,
        checked: &CheckedRfc,
        provider: Address,
        now: u64,
        presigned: Option<Signed<Ticket>>,
    ) -> Result<(Issued, Vec<Change>), ApiError> {
        let m = &checked.rfc.message;
        if self.nonces.contains_key(&(m.user, m.nonce)) {
            return Err(ApiError::replayed(format!(
                "nonce {} of {} was already admitted",
                m.nonce, m.user
            )));
        }
        if provider == m.user {
            return Err(ApiError::forbidden(format!(
                "{provider} cannot be ticketed to its own request: a provider never serves itself"
            )));
        }
        let bid = self
            .bids
            .get(&(m.model.clone(), provider))
            .ok_or_else(|| ApiError::no_provider(format!("{provider} withdrew its bid")))?
            .clone();
        // SPEC 8: never a ticket above the price bound, nor beyond the provider's capacity.
        self.check_issuable(&bid, now)?;
        // The day the allowance was computed for, not `now`'s: a request checked before
        // midnight and issued after holds the day it was admitted on (SPEC 3).
        let day = checked.day;
        if day > now / DAY || day.saturating_add(1) < now / DAY {
            return Err(ApiError::expired(format!(
                "the RFC was checked on day {day}, today is day {}: check it again",
                now / DAY
            )));
        }
        let record = self.allowances.get_mut(&(day, m.user)).ok_or_else(|| {
            ApiError::internal(format!(
                "{}'s allowance of day {day} not computed before issuing a ticket",
                m.user
            ))
        })?;
        record.allowance.hold(m.tokenMax, bid.price)?;
        let allowance = record.clone();
        let ticket = Ticket {
            requestId: checked.request_id,
            user: m.user,
            provider,
            model: m.model.clone(),
            tokenMax: m.tokenMax,
            pricePerToken: bid.price,
            expiry: now + self.rules.ticket_seconds,
        };
        let signature = match presigned {
            Some(signed) if signed.message == ticket => signed.signature,
            _ => self.sign(ticket.eip712_signing_hash(&self.domain))?,
        };
        let record = TicketRecord {
            request_id: checked.request_id,
            user: m.user,
            provider,
            model: m.model.clone(),
            token_max: m.tokenMax,
            price: bid.price,
            expiry: ticket.expiry,
            issued_at: now,
            day,
            status: TicketStatus::Open,
            charged: U256::ZERO,
            signature: signature.clone(),
        };
        self.spend_nonce(m.user, m.nonce, m.deadline);
        self.hold_ticket(record.clone());
        self.occupy(provider, ticket.expiry, checked.request_id, now);
        let changes = vec![
            Change::Nonce {
                user: m.user,
                nonce: m.nonce,
                deadline: m.deadline,
            },
            Change::Allowance(allowance),
            Change::Ticket(record),
        ];
        Ok((
            Issued {
                request_id: checked.request_id,
                ticket: Signed {
                    message: ticket,
                    signature,
                },
                endpoint: bid.endpoint,
            },
            changes,
        ))
    }

    /// A ticket the router still holds in memory.
    pub fn ticket(&self, request_id: B256) -> Option<&TicketRecord> {
        self.tickets.get(&request_id)
    }

    /// Charges unreported tickets once their report window closes, at the receipt if the
    /// router holds one, else at `tokenMax × price` (SPEC 8, [`crate::allowance::charge`]),
    /// recording the charge on the ticket, and
    /// forgets what can no longer matter: spent nonces past their deadline, old allowances and
    /// closed tickets.
    pub fn sweep(&mut self, now: u64) -> Vec<Change> {
        let mut changes = Vec::new();
        let window = self.rules.report_seconds;
        // Open tickets whose report window closed, oldest first.
        while let Some(&(expiry, id)) = self.open_by_expiry.first() {
            if expiry + window >= now {
                break;
            }
            self.open_by_expiry.pop_first();
            let Some(t) = self.tickets.get_mut(&id) else {
                continue;
            };
            if t.status != TicketStatus::Open || t.expiry != expiry {
                continue;
            }
            t.status = TicketStatus::Expired;
            // What was charged is kept, so a receipt landing later adds only what it proves
            // beyond it (nothing: a receipt never exceeds tokenMax).
            let settled = self.allowances.get_mut(&(t.day, t.user)).map(|a| {
                let receipt = self.receipts.get(&id).map(|r| r.tokens);
                let due = charge(t.price, t.token_max, receipt, None);
                t.charged = a.allowance.settle(t.token_max, t.price, due);
                Change::Allowance(a.clone())
            });
            changes.push(Change::Ticket(t.clone()));
            changes.extend(settled);
        }
        // Closed tickets an hour past their report window, and their receipts.
        let mut still_open = Vec::new();
        while let Some(&(expiry, id)) = self.tickets_by_expiry.first() {
            if expiry + window + 3_600 >= now {
                break;
            }
            self.tickets_by_expiry.pop_first();
            match self.tickets.get(&id) {
                Some(t) if t.expiry != expiry => {}
                Some(t) if t.status == TicketStatus::Open => still_open.push((expiry, id)),
                Some(_) => {
                    self.tickets.remove(&id);
                    self.receipts.remove(&id);
                }
                None => {}
            }
        }
        self.tickets_by_expiry.extend(still_open);
        // Spent nonces past their deadline.
        while let Some(&(deadline, user, nonce)) = self.nonces_by_deadline.first() {
            if deadline >= now {
                break;
            }
            self.nonces_by_deadline.pop_first();
            if self.nonces.get(&(user, nonce)) == Some(&deadline) {
                self.nonces.remove(&(user, nonce));
            }
        }
        let today = now / DAY;
        if self.oldest_allowance_day.saturating_add(1) < today {
            self.allowances.retain(|(day, _), _| day + 1 >= today);
            self.oldest_allowance_day = today - 1;
        }
        self.work.retain(|(day, _), _| day + 2 >= today);
        changes
    }

    /// Open tickets, for metrics.
    pub fn open_tickets(&self) -> usize {
        self.open_by_expiry.len()
    }
}
