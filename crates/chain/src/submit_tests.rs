//! The submitter's pure parts: fee bumps, revert decoding, `commitEpoch` calldata.

use super::*;
use alloy_sol_types::SolError;

#[test]
fn a_bump_adds_at_least_ten_percent() {
    assert_eq!(bumped(1_000, 15, u128::MAX), 1_150);
    assert_eq!(bumped(1_000, 10, u128::MAX), 1_100);
    // Less than the mempool minimum is raised to it.
    assert_eq!(bumped(1_000, 1, u128::MAX), 1_100);
    assert_eq!(bumped(1_000, 0, u128::MAX), 1_100);
    // Rounds up, and always rises by at least one wei (a zero tip too).
    assert_eq!(bumped(101, 10, u128::MAX), 112);
    assert_eq!(bumped(0, 15, u128::MAX), 1);
    assert_eq!(bumped(1, 15, u128::MAX), 2);
    for fee in [1u128, 7, 99, 1_000_000_007, 100_000_000] {
        assert!(bumped(fee, 10, u128::MAX) * 100 >= fee * 110, "{fee}");
    }
}

#[test]
fn a_bump_never_exceeds_the_cap() {
    assert_eq!(bumped(1_000, 15, 1_050), 1_050);
    assert_eq!(bumped(2_000, 15, 1_050), 1_050);
    assert_eq!(bumped(u128::MAX, 15, u128::MAX), u128::MAX);
    assert_eq!(bumped(u128::MAX / 2, 150, u128::MAX), u128::MAX);
    let half = u128::MAX / 2;
    assert_eq!(bumped(half, 50, u128::MAX), half + half.div_ceil(2));
}

#[test]
fn bumps_are_monotonic() {
    let mut last = 0;
    for fee in (0..10_000u128).step_by(37) {
        let b = bumped(fee, 15, 5_000);
        assert!(b >= last, "bumped({fee}) = {b} < {last}");
        assert!(b <= 5_000);
        last = b;
    }
    // Repeated bumps grow until the cap, then stay there.
    let mut fee = 100_000_000u128;
    for _ in 0..100 {
        let next = bumped(fee, 15, 1_000_000_000);
        assert!(next >= fee);
        fee = next;
    }
    assert_eq!(fee, 1_000_000_000);
    // A larger percentage never bids less.
    assert!(bumped(1_000, 30, u128::MAX) >= bumped(1_000, 15, u128::MAX));
}

#[test]
fn commit_epoch_calldata_reads_back() {
    let call = EpochCall {
        epoch: 7,
        root: B256::repeat_byte(1),
        cumulative_credited: U256::from(5u64),
        cumulative_bootstrap: U256::from(6u64),
        deadline: 1_700_000_300,
        r: B256::repeat_byte(2),
        vs: B256::repeat_byte(3),
    };
    assert_eq!(EpochCall::decode(&call.calldata()), Some(call));
    assert_eq!(EpochCall::decode(&[1, 2, 3]), None);
    let expired = IYellowstoneCompute::EpochRootExpired {
        epoch: 7,
        deadline: 10,
        now: 11,
    };
    assert_eq!(
        decode_revert(&expired.abi_encode()),
        "EpochRootExpired { epoch: 7, deadline: 10, now: 11 }"
    );
}

#[test]
fn reverts_decode_to_the_typed_error() {
    let data = IYellowstoneCompute::DailyCapExceeded {
        day: 20_412,
        creditedToday: U256::from(7u64),
        cap: U256::from(5u64),
    }
    .abi_encode();
    assert_eq!(
        decode_revert(&data),
        "DailyCapExceeded { day: 20412, creditedToday: 7, cap: 5 }"
    );
    let data = IYellowstoneCompute::UnexpectedEpoch {
        epoch: 5,
        expected: 2,
    }
    .abi_encode();
    assert_eq!(
        decode_revert(&data),
        "UnexpectedEpoch { epoch: 5, expected: 2 }"
    );
    assert_eq!(
        decode_revert(&IYellowstoneCompute::EnforcedPause {}.abi_encode()),
        "EnforcedPause"
    );
}

#[test]
fn other_reverts_decode_to_text_or_hex() {
    let data = Revert::from("boom").abi_encode();
    assert_eq!(decode_revert(&data), "Error(\"boom\")");
    let data = Panic::from(0x11u64).abi_encode();
    assert_eq!(decode_revert(&data), "Panic(0x11)");
    assert_eq!(decode_revert(&[]), "unknown revert 0x");
    assert_eq!(
        decode_revert(&[0xde, 0xad, 0xbe, 0xef]),
        "unknown revert 0xdeadbeef"
    );
}
