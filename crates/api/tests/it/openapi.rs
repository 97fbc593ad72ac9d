//! `docs/openapi.yaml` against the types: every schema's properties are the keys its type
//! writes, `required` the keys it always writes (for an answer) or cannot do without (for a
//! request), `nullable` the keys it may write as `null`, and each `enum` the values it
//! writes; every object schema is checked, and every route answers a named schema. Answers
//! are also checked to write their keys in alphabetical order.

use std::collections::{BTreeMap, BTreeSet};

use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

use super::{
    samples::*,
    spec::{read, Schema, Spec},
};

/// What a type's samples write.
#[derive(Default)]
struct Written {
    /// Every key written, with each value written at it (strings without quotes).
    keys: BTreeMap<String, BTreeSet<String>>,
    /// Keys every sample writes.
    always: BTreeSet<String>,
    /// Keys written as `null`.
    nulls: BTreeSet<String>,
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_string)
}

fn written<T: Serialize>(samples: &[T]) -> (Vec<Value>, Written) {
    let values: Vec<Value> = samples
        .iter()
        .map(|s| serde_json::to_value(s).unwrap())
        .collect();
    let mut w = Written::default();
    for (i, value) in values.iter().enumerate() {
        let object = value.as_object().expect("an object");
        let keys: BTreeSet<String> = object.keys().cloned().collect();
        w.always = if i == 0 { keys } else { &w.always & &keys };
        for (key, v) in object {
            w.keys.entry(key.clone()).or_default().insert(text(v));
            if v.is_null() {
                w.nulls.insert(key.clone());
            }
        }
    }
    (values, w)
}

/// The checks both kinds of body share; returns the schema for the caller's `required` check.
fn common<'a>(
    spec: &'a Spec,
    checked: &mut BTreeSet<String>,
    name: &str,
    w: &Written,
) -> &'a Schema {
    let schema = spec
        .schemas
        .get(name)
        .unwrap_or_else(|| panic!("docs/openapi.yaml has no schema {name}"));
    checked.insert(name.to_string());
    let documented: BTreeSet<&String> = schema.properties.keys().collect();
    let keys: BTreeSet<&String> = w.keys.keys().collect();
    assert_eq!(
        documented, keys,
        "{name}: the properties are not the keys written"
    );
    let nullable: BTreeSet<String> = schema
        .properties
        .iter()
        .filter(|(_, p)| p.nullable)
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(nullable, w.nulls, "{name}: nullable properties");
    for (key, p) in &schema.properties {
        if let Some(values) = &p.values {
            assert_eq!(
                values, &w.keys[key],
                "{name}.{key}: the enum is not the values written"
            );
        }
    }
    schema
}

/// An answer: `required` lists the keys every sample writes, and every object's keys are
/// written in alphabetical order, as the router has always written them (a `Value` sorts).
fn answer<T: Serialize>(spec: &Spec, checked: &mut BTreeSet<String>, name: &str, samples: &[T]) {
    for sample in samples {
        let text = serde_json::to_string(sample).unwrap();
        let sorted = serde_json::to_value(sample).unwrap().to_string();
        assert_eq!(text, sorted, "{name}: keys out of alphabetical order");
    }
    part(spec, checked, name, samples);
}

/// A part of an answer that its answer writes through a `Value` (the tagged `Verdict` and
/// `Refusal`, whose tag serde writes first): `required` lists the keys every sample writes.
fn part<T: Serialize>(spec: &Spec, checked: &mut BTreeSet<String>, name: &str, samples: &[T]) {
    let (_, w) = written(samples);
    let schema = common(spec, checked, name, &w);
    assert_eq!(
        schema.required, w.always,
        "{name}: required is not what is always written"
    );
}

/// A request: `required` lists the keys without which it does not deserialise.
fn request<T: Serialize + DeserializeOwned>(
    spec: &Spec,
    checked: &mut BTreeSet<String>,
    name: &str,
    samples: &[T],
) {
    let (values, w) = written(samples);
    let schema = common(spec, checked, name, &w);
    let needed: BTreeSet<String> = w
        .keys
        .keys()
        .filter(|key| {
            let mut value = values
                .iter()
                .find(|v| !v[key.as_str()].is_null())
                .unwrap()
                .clone();
            value.as_object_mut().unwrap().remove(key.as_str());
            serde_json::from_value::<T>(value).is_err()
        })
        .cloned()
        .collect();
    assert_eq!(
        schema.required, needed,
        "{name}: required is not what a request needs"
    );
}

/// A string schema: its `enum` is every value written.
fn values<T: Serialize>(spec: &Spec, checked: &mut BTreeSet<String>, name: &str, samples: &[T]) {
    let schema = &spec.schemas[name];
    checked.insert(name.to_string());
    let written: BTreeSet<String> = samples
        .iter()
        .map(|s| text(&serde_json::to_value(s).unwrap()))
        .collect();
    assert_eq!(schema.values.as_ref(), Some(&written), "{name}: enum");
}

fn spec() -> Spec {
    read(include_str!("../../../../docs/openapi.yaml"))
}

#[test]
fn every_schema_is_what_its_type_writes() {
    let spec = spec();
    let c = &mut BTreeSet::new();
    answer(&spec, c, "Health", &health());
    answer(&spec, c, "MarketInfo", &market());
    answer(&spec, c, "SigningDomain", &[market()[0].domain.clone()]);
    let no_default = yellowstone_api::v1::MarketRules {
        default_reference_price: None,
        ..rules()
    };
    answer(&spec, c, "MarketRules", &[rules(), no_default]);
    answer(&spec, c, "JudgeRules", &[rules().judge]);
    answer(&spec, c, "SelectionRules", &[rules().selection]);
    answer(&spec, c, "DayFigures", &[day()]);
    answer(&spec, c, "LiveBids", &[live_bids()]);
    answer(&spec, c, "LiveBid", &[live_bid()]);
    answer(&spec, c, "Accepted", &[accepted()]);
    answer(&spec, c, "BidAccepted", &bid_accepted());
    answer(&spec, c, "ProviderView", &provider());
    answer(&spec, c, "ProviderRecord", &[record()]);
    answer(&spec, c, "Score", &[yellowstone_api::Score::default()]);
    answer(&spec, c, "Backoff", &[yellowstone_api::Backoff::default()]);
    answer(&spec, c, "ProviderBid", &provider_bid());
    answer(&spec, c, "ProviderAttestation", &[attestation()]);
    answer(&spec, c, "CommittedLeaf", &[committed()]);
    answer(&spec, c, "Issued", &[issued()]);
    answer(&spec, c, "Judged", &judged());
    part(&spec, c, "Verdict", &verdicts());
    part(&spec, c, "Refusal", &refusals());
    answer(&spec, c, "AllowanceView", &[allowance()]);
    answer(&spec, c, "Epoch", &epochs());
    values(&spec, c, "EpochStatus", &stages());
    answer(&spec, c, "Mined", &[mined()]);
    answer(&spec, c, "Leaf", &[leaf()]);
    answer(&spec, c, "Proof", &[proof()]);
    answer(&spec, c, "Providers", &[providers()]);
    answer(&spec, c, "Today", &[today()]);
    answer(&spec, c, "ContractDay", &[contract_day()]);
    answer(&spec, c, "RecentEpochs", &[recent_epochs()]);
    answer(&spec, c, "EpochSummary", &summaries());
    answer(&spec, c, "ErrorBody", &errors());
    request(&spec, c, "ReportBody", &report_body());
    request(&spec, c, "ModelAttestation", &[model_attestation()]);
    request(&spec, c, "Bid", &[bid()]);
    request(&spec, c, "Rfc", &[rfc()]);
    request(&spec, c, "Ticket", &[ticket()]);
    request(&spec, c, "Receipt", &[receipt()]);
    request(&spec, c, "Report", &[report()]);
    request(
        &spec,
        c,
        "SignedModelAttestation",
        &[signed(model_attestation())],
    );
    request(&spec, c, "SignedBid", &[signed(bid())]);
    request(&spec, c, "SignedRfc", &[signed(rfc())]);
    request(&spec, c, "SignedTicket", &[signed(ticket())]);
    request(&spec, c, "SignedReceipt", &[signed(receipt())]);
    request(&spec, c, "SignedReport", &[signed(report())]);
    // The generic envelope's `message` is any of the messages above.
    c.insert("Envelope".into());
    let unchecked: Vec<&String> = spec
        .schemas
        .iter()
        .filter(|(name, s)| !s.properties.is_empty() && !c.contains(*name))
        .map(|(name, _)| name)
        .collect();
    assert!(
        unchecked.is_empty(),
        "schemas no type is checked against: {unchecked:?}"
    );
}

#[test]
fn every_route_answers_its_type() {
    let expected = [
        ("GET /health", "Health"),
        ("GET /v1/market", "MarketInfo"),
        ("POST /v1/attestations", "Accepted"),
        ("POST /v1/bids", "BidAccepted"),
        ("GET /v1/bids", "LiveBids"),
        ("GET /v1/providers/{address}", "ProviderView"),
        ("POST /v1/rfcs", "Issued"),
        ("POST /v1/receipts", "Accepted"),
        ("POST /v1/reports", "Judged"),
        ("GET /v1/allowance/{user}", "AllowanceView"),
        ("GET /v1/epochs/latest", "Epoch"),
        ("GET /v1/epochs/{epoch}", "Epoch"),
        ("GET /v1/proofs/{provider}", "Proof"),
        ("GET /v1/providers", "Providers"),
        ("GET /v1/today", "Today"),
        ("GET /v1/epochs", "RecentEpochs"),
    ];
    let expected: BTreeMap<String, String> = expected
        .into_iter()
        .map(|(route, schema)| (route.to_string(), schema.to_string()))
        .collect();
    assert_eq!(spec().answers, expected);
}
