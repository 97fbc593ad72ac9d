//! Refusals are typed Solidity errors (SPEC section 6, "Events and errors"): the revert data of
//! every refusal is the 4-byte selector of the error declared in `yellowstone_protocol::abi`
//! followed by its ABI-encoded fields, so any client decodes what was wrong.

use alloy_primitives::{B256, U256};
use alloy_sol_types::SolError;
use yellowstone_compute::ComputeError;
use yellowstone_protocol::abi::{
    DailyCapExceeded, EnforcedPause, InvalidProof, NotOwner, ZeroAddress,
};

use crate::common::*;

fn revert_data(err: ComputeError) -> Vec<u8> {
    err.into()
}

#[test]
fn a_refusal_reverts_with_the_errors_selector_and_fields() {
    let mut w = World::deploy();
    w.fund(FUNDER, mor(1_000_000)).unwrap();
    let cap = w.daily_cap();
    let err = w
        .commit(1, B256::repeat_byte(1), cap + U256::from(1), U256::ZERO)
        .unwrap_err();
    let data = revert_data(err);
    assert_eq!(&data[..4], &DailyCapExceeded::SELECTOR);
    let decoded = DailyCapExceeded::abi_decode(&data).unwrap();
    assert_eq!(
        (decoded.day, decoded.creditedToday, decoded.cap),
        (DEPLOY_DAY, cap + U256::from(1), cap)
    );
}

#[test]
fn errors_with_addresses_strings_and_no_fields_all_encode() {
    let mut w = World::deploy();
    let data = revert_data(w.tx(STRANGER, |c| c.pause()).unwrap_err());
    assert_eq!(NotOwner::abi_decode(&data).unwrap().caller, STRANGER);

    let data = revert_data(
        w.tx(OWNER, |c| {
            c.authorize_router(alloy_primitives::Address::ZERO)
        })
        .unwrap_err(),
    );
    assert_eq!(data, ZeroAddress::SELECTOR.to_vec());

    w.tx(OWNER, |c| c.pause()).unwrap();
    let data = revert_data(w.tx(OWNER, |c| c.pause()).unwrap_err());
    assert_eq!(data, EnforcedPause {}.abi_encode());
    assert_eq!(data.len(), 4);
}

#[test]
fn error_selectors_are_the_keccak_of_their_signatures() {
    assert_eq!(
        DailyCapExceeded::SELECTOR,
        alloy_primitives::keccak256("DailyCapExceeded(uint64,uint256,uint256)")[..4]
    );
    assert_eq!(
        InvalidProof::SELECTOR,
        alloy_primitives::keccak256("InvalidProof(address)")[..4]
    );
    assert_eq!(
        EnforcedPause::SELECTOR,
        alloy_primitives::keccak256("EnforcedPause()")[..4]
    );
}
