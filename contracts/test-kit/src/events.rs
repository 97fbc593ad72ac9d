//! Typed event decoding from recorded logs.

use alloy_sol_types::SolEvent;

use crate::Log;

/// Every log in `logs` that is an `E`, decoded from its topics and data.
///
/// # Panics
/// When a log carries `E`'s signature but does not decode as `E`.
pub fn decode_events<E: SolEvent>(logs: &[Log]) -> Vec<E> {
    logs.iter()
        .filter(|(topics, _)| topics.first() == Some(&E::SIGNATURE_HASH))
        .map(|(topics, data)| {
            E::decode_raw_log(topics.iter().copied(), data)
                .expect("an event decodes with its sol! type")
        })
        .collect()
}

/// The single `E` in `logs`.
///
/// # Panics
/// Unless `logs` hold exactly one `E`.
pub fn only_event<E: SolEvent>(logs: &[Log]) -> E {
    let mut events = decode_events::<E>(logs);
    assert_eq!(events.len(), 1, "exactly one {} in the logs", E::SIGNATURE);
    events.remove(0)
}
