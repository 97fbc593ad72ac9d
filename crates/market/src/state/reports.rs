//! Receipts and reports (SPEC 4 steps 9-10, SPEC 8): the provider's receipt, the user's report
//! judged, and what a verdict changes: the credit, the day's work (saturating), the provider's
//! score and back-off, the model's speed window and the user's allowance. The rules themselves
//! (credit, window, fails) are in [`crate::judge`]. A receipt that lands after its ticket was
//! settled charges the user what it proves beyond that settlement, and changes no verdict.
//!
//! A report whose times cannot be true is refused as invalid before anything changes, so the
//! ticket stays open for a correct one: `firstTokenMs > elapsedMs`, or `elapsedMs` above the
//! wall time since the ticket was issued, `(now - issued_at + 1) * 1000` ms (whole-second
//! clocks: the `+ 1` allows an issue late in its second and a report early in `now`'s).

use yellowstone_api::ApiError;
use yellowstone_protocol::{
    messages::{Receipt, Report, Signed},
    time::DAY,
};

use alloy_primitives::{Address, B256, U256};

use super::{State, Verified};
use crate::{
    allowance::charge,
    judge::{judge, Evidence, FailMemory, ModelSpeed, Refusal, Verdict},
    records::{Change, CreditRecord, ReceiptRecord, ReportRecord, TicketRecord, TicketStatus},
};

/// Scores count at most this many recent reports (both counts halve beyond it).
const SCORE_WINDOW: u64 = 100;

impl State {
    /// Records a provider's receipt for a ticket the router still holds; the first receipt
    /// stands. A receipt landing after its ticket was settled charges the user what it adds
    /// to the settlement, and changes no verdict (see `charge_late_receipt`).
    pub fn receipt(&mut self, signed: Signed<Receipt>) -> Result<Vec<Change>, ApiError> {
        self.receipt_verified(Verified::new(signed, &self.domain, &self.signatures))
    }

    /// [`State::receipt`] of a receipt whose signature was checked already.
    pub fn receipt_verified(&mut self, signed: Verified<Receipt>) -> Result<Vec<Change>, ApiError> {
        let record = self.check_receipt(&signed)?;
        if self.receipts.contains_key(&record.request_id) {
            return Ok(Vec::new());
        }
        self.receipts.insert(record.request_id, record.clone());
        self.release_capacity(record.request_id);
        let mut changes = vec![Change::Receipt(record.clone())];
        changes.extend(self.charge_late_receipt(record.request_id, record.tokens));
        Ok(changes)
    }

    /// A receipt for a ticket already settled: charges its day's allowance
    /// `charge(receipt) - charged` (saturating: never a refund), and records the new total on
    /// the ticket. Nothing for an open ticket (its settlement will count the receipt).
    ///
    /// Why: the gateway posts its receipt asynchronously, so a user who reports fail without
    /// attaching it, before the post lands, would otherwise get the whole answer free (SPEC 8
    /// "What is delivered is paid for by the user"). The charge may take `used` above the
    /// allowance ([`crate::allowance::Allowance::charge_more`]). **Decision:** the verdict
    /// stands: a fail still credits nothing (the user's judgement is the fail), and a pass
    /// reported without a receipt stays refused `no_receipt` (judged on what the router held
    /// then; crediting later would let a provider choose when to be judged). A swept ticket
    /// without a receipt was charged `tokenMax × price`, which any receipt is within: nothing
    /// more is due. The stored report keeps the figures it was judged on; the receipt itself is
    /// stored as usual.
    fn charge_late_receipt(&mut self, id: B256, tokens: u64) -> Vec<Change> {
        let Some(t) = self.tickets.get_mut(&id) else {
            return Vec::new();
        };
        if t.status == TicketStatus::Open {
            return Vec::new();
        }
        // With a receipt the charge does not depend on the report.
        let due = charge(t.price, t.token_max, Some(tokens), None);
        let more = due.saturating_sub(t.charged);
        if more.is_zero() {
            return Vec::new();
        }
        let Some(a) = self.allowances.get_mut(&(t.day, t.user)) else {
            return Vec::new();
        };
        a.allowance.charge_more(more);
        t.charged = t.charged.saturating_add(more);
        vec![Change::Ticket(t.clone()), Change::Allowance(a.clone())]
    }

    fn check_receipt(&self, signed: &Verified<Receipt>) -> Result<ReceiptRecord, ApiError> {
        signed.outcome()?;
        let signed = &signed.signed;
        let r = &signed.message;
        let ticket = self.tickets.get(&r.requestId).ok_or_else(|| {
            ApiError::not_found(format!("no open ticket {} for this receipt", r.requestId))
        })?;
        if ticket.provider != r.provider {
            return Err(ApiError::forbidden(format!(
                "request {} was ticketed to {}, not {}",
                r.requestId, ticket.provider, r.provider
            )));
        }
        if r.tokens > ticket.token_max {
            return Err(ApiError::invalid(format!(
                "the receipt claims {} tokens; ticket {} allows at most {}",
                r.tokens, r.requestId, ticket.token_max
            )));
        }
        Ok(ReceiptRecord {
            request_id: r.requestId,
            provider: r.provider,
            tokens: r.tokens,
            signature: signed.signature.clone(),
        })
    }

    /// Judges a user's report and credits the provider (SPEC 4 steps 9-10). One report per
    /// request; the receipt may come with it or earlier from the provider.
    pub fn report(
        &mut self,
        report: Signed<Report>,
        receipt: Option<Signed<Receipt>>,
        now: u64,
    ) -> Result<(Verdict, Vec<Change>), ApiError> {
        let report = Verified::new(report, &self.domain, &self.signatures);
        let receipt = receipt.map(|r| Verified::new(r, &self.domain, &self.signatures));
        self.report_verified(report, receipt, now)
    }

    /// [`State::report`] of a report (and receipt) whose signatures were checked already.
    pub fn report_verified(
        &mut self,
        report: Verified<Report>,
        receipt: Option<Verified<Receipt>>,
        now: u64,
    ) -> Result<(Verdict, Vec<Change>), ApiError> {
        report.outcome()?;
        let report = report.signed;
        let r = &report.message;
        let ticket = self.tickets.get(&r.requestId).ok_or_else(|| {
            ApiError::not_found(format!(
                "no open ticket {} (unknown or too old)",
                r.requestId
            ))
        })?;
        if ticket.user != r.user {
            return Err(ApiError::forbidden(format!(
                "request {} belongs to {}, not {}",
                r.requestId, ticket.user, r.user
            )));
        }
        match ticket.status {
            TicketStatus::Open => {}
            TicketStatus::Reported => {
                return Err(ApiError::replayed(format!(
                    "request {} was already reported",
                    r.requestId
                )))
            }
            TicketStatus::Expired => {
                return Err(ApiError::expired(format!(
                    "request {}'s report window closed; it was charged at its receipt, else at tokenMax",
                    r.requestId
                )))
            }
        }
        let closes = ticket.expiry.saturating_add(self.rules.report_seconds);
        if now > closes {
            return Err(ApiError::expired(format!(
                "reports for {} closed at {closes} (now {now})",
                r.requestId
            )));
        }
        check_times(r, ticket.issued_at, now)?;
        let mut changes = Vec::new();
        if let Some(receipt) = receipt {
            changes.extend(self.receipt_verified(receipt)?);
        }
        let ticket = self.tickets[&r.requestId].clone();
        let receipt_tokens = self.receipts.get(&r.requestId).map(|x| x.tokens);
        let evidence = Evidence {
            token_max: ticket.token_max,
            user_tokens: r.tokens,
            receipt_tokens,
            first_token_ms: r.firstTokenMs,
            elapsed_ms: r.elapsedMs,
            pass: r.pass,
            fail_withholds: r.pass || self.fail_withholds(&ticket),
            price_wei_per_token: ticket.price,
        };
        let speed = self.speeds.entry(ticket.model.clone()).or_default();
        let verdict = judge(&evidence, speed, &self.rules.judge);
        if let Some((first, elapsed, n)) = evidence.window_sample() {
            let entered = speed.enter(ticket.user, first, elapsed, n, &self.rules.judge);
            if !entered.put.is_empty() || !entered.drop.is_empty() {
                changes.push(Change::Speed {
                    model: ticket.model.clone(),
                    put: entered.put,
                    drop: entered.drop,
                });
            }
        }
        let credited = match &verdict {
            Verdict::Credited { tokens, wei, .. } => {
                let seq = self.next_seq;
                self.next_seq = self.next_seq.saturating_add(1);
                let credit = CreditRecord {
                    seq,
                    provider: ticket.provider,
                    amount: *wei,
                    bootstrap: false,
                    block: now / self.rules.block_seconds.max(1),
                };
                self.credits.insert(seq, credit.clone());
                let day = now / DAY;
                let work = self.work.entry((day, ticket.provider)).or_default();
                work.0 = work.0.saturating_add(*wei);
                work.1 = work.1.saturating_add(*tokens);
                changes.push(Change::Credit(credit));
                changes.push(Change::Work {
                    day,
                    provider: ticket.provider,
                    wei: *wei,
                    tokens: *tokens,
                });
                *tokens
            }
            Verdict::Refused { .. } => 0,
        };
        changes.push(self.score(&ticket, r.pass, evidence.fail_withholds, &verdict, now));
        let mut charged = U256::ZERO;
        if let Some(a) = self.allowances.get_mut(&(ticket.day, ticket.user)) {
            // What was delivered is paid for whatever the verdict (SPEC 8), and never less
            // than the provider is credited.
            let delivered = charge(
                ticket.price,
                ticket.token_max,
                receipt_tokens,
                Some((r.tokens, r.pass)),
            );
            let credit = ticket.price.saturating_mul(U256::from(credited));
            charged = a
                .allowance
                .settle(ticket.token_max, ticket.price, delivered.max(credit));
            changes.push(Change::Allowance(a.clone()));
        }
        let t = self.tickets.get_mut(&r.requestId).expect("checked above");
        t.status = TicketStatus::Reported;
        t.charged = charged;
        self.open_by_expiry.remove(&(t.expiry, t.request_id));
        changes.push(Change::Ticket(t.clone()));
        changes.push(Change::Report(ReportRecord {
            request_id: r.requestId,
            model: ticket.model.clone(),
            provider: ticket.provider,
            first_token_ms: r.firstTokenMs,
            elapsed_ms: r.elapsedMs,
            user_tokens: r.tokens,
            receipt_tokens,
            pass: r.pass,
            verdict: verdict.clone(),
            accepted_at: now,
            signature: report.signature.clone(),
        }));
        self.release_capacity(r.requestId);
        Ok((verdict, changes))
    }

    /// Whether a fail on `ticket` withholds credit: always, unless the operator's balance rule
    /// is on and the user's MOR balance does not exceed the provider's stake.
    fn fail_withholds(&self, ticket: &TicketRecord) -> bool {
        if !self.rules.judge.fail_needs_balance_over_stake {
            return true;
        }
        let balance = self
            .allowances
            .get(&(ticket.day, ticket.user))
            .map(|a| a.balance)
            .unwrap_or_default();
        let stake = self
            .providers
            .get(&ticket.provider)
            .and_then(|i| i.chain.as_ref())
            .map(|c| c.stake)
            .unwrap_or_default();
        balance > stake
    }

    /// Updates the provider's score and back-off for a judged report (see [`crate::judge`],
    /// *Fails*) and returns the change to persist.
    fn score(
        &mut self,
        ticket: &TicketRecord,
        pass: bool,
        fail_withholds: bool,
        verdict: &Verdict,
        now: u64,
    ) -> Change {
        let policy = self.rules.judge;
        let (base, max) = (
            self.rules.backoff_base_seconds,
            self.rules.backoff_max_seconds,
        );
        let info = self.providers.entry(ticket.provider).or_default();
        let memory = self.fails.entry(ticket.provider).or_default();
        let too_slow = matches!(
            verdict,
            Verdict::Refused {
                reason: Refusal::TooSlow { .. }
            }
        );
        if (!pass || too_slow) && memory.count(ticket.user) {
            info.score.fails = info.score.fails.saturating_add(1);
        }
        if pass && matches!(verdict, Verdict::Credited { .. }) {
            info.score.passes = info.score.passes.saturating_add(1);
        }
        if info.score.judged() > SCORE_WINDOW {
            info.score.passes /= 2;
            info.score.fails /= 2;
            memory.halved();
        }
        if !pass
            && fail_withholds
            && memory.backoff_fail(
                ticket.user,
                now,
                policy.backoff_memory_seconds,
                policy.backoff_fail_users,
            )
        {
            info.backoff.fail(now, base, max);
        }
        Change::Score {
            provider: ticket.provider,
            score: info.score,
            failed_by: memory.counted().to_vec(),
        }
    }

    /// A model's speed window, if it has had a passed report.
    pub fn speed(&self, model: &str) -> Option<&ModelSpeed> {
        self.speeds.get(model)
    }

    /// What the router remembers of a provider's fails.
    pub fn fail_memory(&self, provider: Address) -> Option<&FailMemory> {
        self.fails.get(&provider)
    }
}

/// Refuses a report whose times cannot be true: `firstTokenMs` above `elapsedMs`, or
/// `elapsedMs` above the wall time since the ticket was issued. Clocks are whole seconds, so
/// the wall time allowed is `(now - issued_at + 1) * 1000` ms (the issue may have happened at
/// the end of its second, the report at the start of `now`'s).
fn check_times(r: &Report, issued_at: u64, now: u64) -> Result<(), ApiError> {
    if r.firstTokenMs > r.elapsedMs {
        return Err(ApiError::invalid(format!(
            "firstTokenMs {} exceeds elapsedMs {}: the first token cannot come after the last",
            r.firstTokenMs, r.elapsedMs
        )));
    }
    let wall_ms = now
        .saturating_sub(issued_at)
        .saturating_add(1)
        .saturating_mul(1000);
    if r.elapsedMs > wall_ms {
        return Err(ApiError::invalid(format!(
            "elapsedMs {} exceeds the {wall_ms} ms since ticket {} was issued (at {issued_at}, now {now}, whole seconds)",
            r.elapsedMs, r.requestId
        )));
    }
    Ok(())
}
