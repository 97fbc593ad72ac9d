//! Receipts and reports (SPEC 4 steps 9-10): the provider's receipt, the user's report judged,
//! and what a verdict changes: the credit, the day's work, the provider's score and back-off,
//! the model's speed history and the user's allowance.

use yellowstone_api::ApiError;
use yellowstone_protocol::{
    messages::{Receipt, Report, Signed},
    time::DAY,
};

use super::{State, Verified};
use crate::{
    judge::{judge, Evidence, Refusal, Verdict},
    records::{Change, CreditRecord, ReceiptRecord, ReportRecord, TicketStatus},
};

/// Scores count at most this many recent reports (both counts halve beyond it).
const SCORE_WINDOW: u64 = 100;

impl State {
    /// Records a provider's receipt for an open ticket; the first receipt stands.
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
        Ok(vec![Change::Receipt(record)])
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
                    "request {}'s report window closed; it was charged at TokenMax",
                    r.requestId
                )))
            }
        }
        if now > ticket.expiry + self.rules.report_seconds {
            return Err(ApiError::expired(format!(
                "reports for {} closed at {} (now {now})",
                r.requestId,
                ticket.expiry + self.rules.report_seconds
            )));
        }
        let mut changes = Vec::new();
        if let Some(receipt) = receipt {
            changes.extend(self.receipt_verified(receipt)?);
        }
        let ticket = self.tickets[&r.requestId].clone();
        let receipt_tokens = self.receipts.get(&r.requestId).map(|x| x.tokens);
        let speed = self.speeds.entry(ticket.model.clone()).or_default();
        let verdict = judge(
            &Evidence {
                token_max: ticket.token_max,
                user_tokens: r.tokens,
                receipt_tokens,
                elapsed_ms: r.elapsedMs,
                pass: r.pass,
                price_wei_per_token: ticket.price,
            },
            speed,
            &self.rules.judge,
        );
        let info = self.providers.entry(ticket.provider).or_default();
        let credited = match &verdict {
            Verdict::Credited {
                tokens,
                wei,
                micros_per_token,
            } => {
                speed.record(*micros_per_token, &self.rules.judge);
                info.score.passes += 1;
                let seq = self.next_seq;
                self.next_seq += 1;
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
                work.0 += *wei;
                work.1 += *tokens;
                changes.push(Change::Credit(credit));
                changes.push(Change::Work {
                    day,
                    provider: ticket.provider,
                    wei: *wei,
                    tokens: *tokens,
                });
                *tokens
            }
            Verdict::Refused { reason } => {
                if matches!(reason, Refusal::Failed | Refusal::TooSlow { .. }) {
                    info.score.fails += 1;
                    if matches!(reason, Refusal::Failed) {
                        info.backoff.fail(
                            now,
                            self.rules.backoff_base_seconds,
                            self.rules.backoff_max_seconds,
                        );
                    }
                }
                0
            }
        };
        if info.score.passes + info.score.fails > SCORE_WINDOW {
            info.score.passes /= 2;
            info.score.fails /= 2;
        }
        changes.push(Change::Score {
            provider: ticket.provider,
            score: info.score,
        });
        if let Some(a) = self.allowances.get_mut(&(ticket.day, ticket.user)) {
            a.allowance.settle(ticket.token_max, credited);
            changes.push(Change::Allowance(a.clone()));
        }
        let t = self.tickets.get_mut(&r.requestId).expect("checked above");
        t.status = TicketStatus::Reported;
        self.open_by_expiry.remove(&(t.expiry, t.request_id));
        changes.push(Change::Ticket(t.clone()));
        changes.push(Change::Report(ReportRecord {
            request_id: r.requestId,
            model: ticket.model.clone(),
            provider: ticket.provider,
            elapsed_ms: r.elapsedMs,
            user_tokens: r.tokens,
            receipt_tokens,
            pass: r.pass,
            verdict: verdict.clone(),
            accepted_at: now,
            signature: report.signature.clone(),
        }));
        Ok((verdict, changes))
    }
}
