//! The real compute contract artifact run through activation and the Stylus executor, against
//! an in-memory chain (`TestApi`): storage per address, a MOR token that answers `true`, the
//! `ecrecover` precompile with the real recovery, logs collected.

use std::collections::{HashMap, HashSet};

use alloy_primitives::{address, keccak256, uint, Address, Bytes, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
use yellowstone_devnet::activation::{activate, Program};
use yellowstone_devnet::stylus::api::{
    CallKind, CallOutcome, CreateOutcome, EvmApi, EvmApiError, EvmData,
};
use yellowstone_devnet::stylus::{execute, Outcome, Status};
use yellowstone_protocol::{eip712, time::DAY};

sol!("../abi/IYellowstoneCompute.sol");

sol! {
    interface IERC20 {
        function transfer(address to, uint256 amount) external returns (bool);
        function transferFrom(address from, address to, uint256 amount) external returns (bool);
    }
}

use IYellowstoneCompute as I;

const MOR: Address = address!("00000000000000000000000000000000000000aa");
const OWNER: Address = address!("00000000000000000000000000000000000000e0");
const CONTRACT: Address = address!("0000000000000000000000000000000000c0de01");
const STRANGER: Address = address!("00000000000000000000000000000000000000f1");
const FUNDER: Address = address!("00000000000000000000000000000000000000f2");
const ECRECOVER: Address = address!("0000000000000000000000000000000000000001");
const CHAIN_ID: u64 = 42_161;
const EMISSION_START_DAY: u64 = 19_761;
const FIRST_DAY_EMISSION: U256 = uint!(3_456_000_000_000_000_000_000_U256);
const DAILY_DECREASE: U256 = uint!(592_558_728_240_000_000_U256);
const DEPLOY_DAY: u64 = 20_100;
const GAS: u64 = 10_000_000;

/// One MOR in wei.
fn mor(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

fn artifact() -> Program {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../target/stylus/yellowstone_compute.br"
    );
    let code = std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "cannot read {path} ({e}): build the contract first with \
             `cargo run --bin yellowstone -- build-contract`"
        )
    });
    activate(&code).expect("the compute contract activates")
}

/// A contract call the program made.
#[derive(Clone, Debug)]
struct SeenCall {
    kind: CallKind,
    to: Address,
    input: Vec<u8>,
}

/// The in-memory chain.
#[derive(Default, Clone)]
struct TestApi {
    storage: HashMap<(Address, U256), B256>,
    warm: HashSet<U256>,
    current: Address,
    calls: Vec<SeenCall>,
    logs: Vec<(Vec<B256>, Bytes)>,
    sstores: Vec<(U256, B256)>,
}

impl EvmApi for TestApi {
    fn sload(&mut self, key: U256) -> (B256, u64) {
        let gas = if self.warm.insert(key) { 2_100 } else { 100 };
        (
            self.storage
                .get(&(self.current, key))
                .copied()
                .unwrap_or_default(),
            gas,
        )
    }

    fn sstore(&mut self, key: U256, value: B256) -> Result<u64, EvmApiError> {
        self.sstores.push((key, value));
        let old = self
            .storage
            .insert((self.current, key), value)
            .unwrap_or_default();
        // EIP-2929/2200, roughly: a fresh nonzero slot costs 20k, an update 2.9k, cold +2.1k.
        let cold = if self.warm.insert(key) { 2_100 } else { 0 };
        Ok(cold
            + if old.is_zero() && !value.is_zero() {
                20_000
            } else {
                2_900
            })
    }

    fn call(
        &mut self,
        kind: CallKind,
        to: Address,
        input: &[u8],
        gas: u64,
        _value: U256,
    ) -> CallOutcome {
        self.calls.push(SeenCall {
            kind,
            to,
            input: input.to_vec(),
        });
        if to == MOR {
            return CallOutcome {
                success: true,
                output: true.abi_encode().into(),
                gas_used: 30_000.min(gas),
            };
        }
        if to == ECRECOVER {
            let output = ecrecover(input);
            return CallOutcome {
                success: true,
                output,
                gas_used: 3_100,
            };
        }
        CallOutcome {
            success: true,
            output: Bytes::new(),
            gas_used: 2_600,
        }
    }

    fn create(
        &mut self,
        _init: &[u8],
        _value: U256,
        _salt: Option<B256>,
        _gas: u64,
    ) -> CreateOutcome {
        CreateOutcome {
            address: None,
            output: Bytes::new(),
            gas_used: 32_000,
        }
    }

    fn emit_log(&mut self, topics: Vec<B256>, data: Bytes) -> Result<(), EvmApiError> {
        self.logs.push((topics, data));
        Ok(())
    }

    fn account_balance(&mut self, _address: Address) -> (U256, u64) {
        (U256::ZERO, 2_600)
    }

    fn account_code(&mut self, _address: Address) -> (Bytes, u64) {
        (Bytes::new(), 2_600)
    }

    fn account_codehash(&mut self, _address: Address) -> (B256, u64) {
        (B256::ZERO, 2_600)
    }
}

/// What the `ecrecover` precompile returns for `input` (hash, v, r, s).
fn ecrecover(input: &[u8]) -> Bytes {
    let mut buf = [0u8; 128];
    buf[..input.len().min(128)].copy_from_slice(&input[..input.len().min(128)]);
    let hash = B256::from_slice(&buf[0..32]);
    let v = U256::from_be_slice(&buf[32..64]);
    let r = U256::from_be_slice(&buf[64..96]);
    let s = U256::from_be_slice(&buf[96..128]);
    if v != U256::from(27) && v != U256::from(28) {
        return Bytes::new();
    }
    let sig = alloy_primitives::Signature::new(r, s, v == U256::from(28));
    match sig.recover_address_from_prehash(&hash) {
        Ok(a) => B256::left_padding_from(a.as_slice()).to_vec().into(),
        Err(_) => Bytes::new(),
    }
}

struct World {
    program: Program,
    api: TestApi,
    now: u64,
}

impl World {
    fn new() -> Self {
        let api = TestApi {
            current: CONTRACT,
            ..Default::default()
        };
        World {
            program: artifact(),
            api,
            now: DEPLOY_DAY * DAY + 3_600,
        }
    }

    /// Sends `calldata` from `from`, rolling state and logs back unless it succeeds.
    fn call(&mut self, from: Address, calldata: &[u8]) -> Outcome {
        let data = EvmData {
            chain_id: CHAIN_ID,
            block_number: 1,
            block_timestamp: self.now,
            block_gas_limit: 32_000_000,
            contract_address: CONTRACT,
            msg_sender: from,
            tx_origin: from,
            tx_ink_price: 10_000,
            ..Default::default()
        };
        let saved = self.api.clone();
        self.api.warm.clear();
        let out = execute(&self.program, &mut self.api, &data, calldata, GAS);
        if out.status != Status::Success {
            let calls = std::mem::take(&mut self.api.calls);
            self.api = saved;
            self.api.calls = calls;
        }
        out
    }

    fn ok(&mut self, from: Address, calldata: &[u8]) -> Vec<u8> {
        let out = self.call(from, calldata);
        assert_eq!(out.status, Status::Success, "{out:?}");
        out.output
    }

    fn deployed() -> Self {
        let mut w = World::new();
        let out = w.call(OWNER, &constructor_calldata());
        assert_eq!(out.status, Status::Success, "constructor: {out:?}");
        w
    }
}

fn constructor_calldata() -> Vec<u8> {
    let mut data = keccak256("stylus_constructor()")[..4].to_vec();
    data.extend(
        (
            MOR,
            OWNER,
            EMISSION_START_DAY,
            FIRST_DAY_EMISSION,
            DAILY_DECREASE,
            DEPLOY_DAY,
        )
            .abi_encode_params(),
    );
    data
}

fn gas_used(out: &Outcome) -> u64 {
    GAS - out.gas_left
}

#[test]
fn constructor_then_owner() {
    let mut w = World::deployed();
    let out = w.ok(STRANGER, &I::ownerCall {}.abi_encode());
    assert_eq!(I::ownerCall::abi_decode_returns(&out).unwrap(), OWNER);
    let out = w.ok(STRANGER, &I::morCall {}.abi_encode());
    assert_eq!(I::morCall::abi_decode_returns(&out).unwrap(), MOR);
    // the constructor's state reached the chain through sstore
    assert!(!w.api.sstores.is_empty());
    assert!(w
        .api
        .storage
        .values()
        .any(|v| v.as_slice()[12..] == OWNER.0 .0));
}

#[test]
fn constructor_runs_once() {
    let mut w = World::deployed();
    let out = w.call(OWNER, &constructor_calldata());
    assert_eq!(out.status, Status::Revert, "{out:?}");
}

#[test]
fn power_multiplier_is_exact() {
    let mut w = World::deployed();
    let s = 1_721_908_800u64;
    let call = I::powerMultiplierCall {
        start: U256::from(s + 100 * DAY),
        end: U256::from(s + 400 * DAY),
    };
    let out = w.call(STRANGER, &call.abi_encode());
    assert_eq!(out.status, Status::Success);
    let m = I::powerMultiplierCall::abi_decode_returns(&out.output).unwrap();
    assert_eq!(m, uint!(1744946883956739643_U256));
    println!("powerMultiplier gas: {}", gas_used(&out));
}

#[test]
fn fund_calls_the_token_and_emits_funded() {
    let mut w = World::deployed();
    w.api.calls.clear();
    let out = w.call(FUNDER, &I::fundCall { amount: mor(100) }.abi_encode());
    assert_eq!(out.status, Status::Success, "{out:?}");
    println!("fund gas: {}", gas_used(&out));
    let token_calls: Vec<_> = w.api.calls.iter().filter(|c| c.to == MOR).collect();
    assert_eq!(token_calls.len(), 1);
    assert_eq!(token_calls[0].kind, CallKind::Call);
    let expected = IERC20::transferFromCall {
        from: FUNDER,
        to: CONTRACT,
        amount: mor(100),
    };
    assert_eq!(token_calls[0].input, expected.abi_encode());
    let (topics, data) = w.api.logs.last().expect("a log");
    let log = alloy_primitives::Log::new(CONTRACT, topics.clone(), data.clone()).unwrap();
    let funded = I::Funded::decode_log(&log).expect("Funded");
    assert_eq!(funded.from, FUNDER);
    assert_eq!(funded.amount, mor(100));
    assert_eq!(funded.totalFunded, mor(100));
}

fn signed_commit(key: &PrivateKeySigner, epoch: u64, root: B256, credited: U256) -> Vec<u8> {
    signed_commit_until(key, epoch, root, credited, u64::MAX, u64::MAX)
}

/// `commitEpoch` calldata for a root `key` signed with deadline `signed`, submitted with
/// deadline `sent` (a forgery when they differ).
fn signed_commit_until(
    key: &PrivateKeySigner,
    epoch: u64,
    root: B256,
    credited: U256,
    signed: u64,
    sent: u64,
) -> Vec<u8> {
    let digest = eip712::signing_hash(
        eip712::domain_separator(CHAIN_ID, CONTRACT),
        eip712::epoch_root_hash(epoch, root, credited, U256::ZERO, signed),
    );
    let sig = key.sign_hash_sync(&digest).unwrap();
    let parsed = eip712::Signature::parse(&sig.as_bytes()).unwrap();
    let (r, vs) = parsed.compact();
    I::commitEpochCall {
        epoch,
        root,
        cumulative_credited: credited,
        cumulative_bootstrap: U256::ZERO,
        deadline: sent,
        r,
        vs,
    }
    .abi_encode()
}

#[test]
fn commit_epoch_with_a_real_signature() {
    let mut w = World::deployed();
    w.ok(FUNDER, &I::fundCall { amount: mor(100) }.abi_encode());
    let router = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x11)).unwrap();
    let stranger_key = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x22)).unwrap();
    let root = B256::repeat_byte(7);

    // not yet authorised: a revert carrying UnknownRouter(router)
    let commit = signed_commit(&router, 1, root, mor(1));
    let out = w.call(STRANGER, &commit);
    assert_eq!(out.status, Status::Revert, "{out:?}");
    let expected = I::UnknownRouter {
        router: router.address(),
    }
    .abi_encode();
    assert_eq!(out.output, expected);
    assert!(out.gas_left > 0);
    println!(
        "commitEpoch (reverted, UnknownRouter) gas: {}",
        gas_used(&out)
    );

    let out = w.call(
        OWNER,
        &I::authorizeRouterCall {
            router: router.address(),
        }
        .abi_encode(),
    );
    assert_eq!(out.status, Status::Success, "{out:?}");
    println!("authorizeRouter gas: {}", gas_used(&out));

    w.api.calls.clear();
    let out = w.call(STRANGER, &commit);
    assert_eq!(out.status, Status::Success, "{out:?}");
    println!("commitEpoch gas: {}", gas_used(&out));
    assert!(w
        .api
        .calls
        .iter()
        .any(|c| c.to == ECRECOVER && c.kind == CallKind::Static));
    let (topics, data) = w.api.logs.last().expect("a log");
    let log = alloy_primitives::Log::new(CONTRACT, topics.clone(), data.clone()).unwrap();
    let committed = I::EpochCommitted::decode_log(&log).expect("EpochCommitted");
    assert_eq!(committed.epoch, 1);
    assert_eq!(committed.router, router.address());
    assert_eq!(committed.root, root);

    let out = w.ok(STRANGER, &I::latestEpochCall {}.abi_encode());
    let latest = I::latestEpochCall::abi_decode_returns(&out).unwrap();
    assert_eq!(latest._0, 1);
    assert_eq!(latest._1, root);

    // a signature by another key is refused the same way
    let forged = signed_commit(&stranger_key, 2, root, mor(2));
    let out = w.call(STRANGER, &forged);
    assert_eq!(out.status, Status::Revert);
    assert_eq!(
        out.output,
        I::UnknownRouter {
            router: stranger_key.address()
        }
        .abi_encode()
    );
}

#[test]
fn running_out_of_ink_fails_and_consumes_all_gas() {
    let mut w = World::deployed();
    let data = EvmData {
        contract_address: CONTRACT,
        chain_id: CHAIN_ID,
        ..Default::default()
    };
    let call = I::powerMultiplierCall {
        start: U256::from(1),
        end: U256::from(400 * DAY),
    };
    // enough for the entry cost, not for the run
    let info = &w.program.info;
    let entry = yellowstone_devnet::stylus::ink::cached_gas(info.cached_init_cost)
        + yellowstone_devnet::stylus::ink::init_gas(info.init_cost);
    let out = execute(
        &w.program,
        &mut w.api,
        &data,
        &call.abi_encode(),
        entry + 500,
    );
    assert!(
        matches!(out.status, Status::Failure(ref r) if r.contains("out of ink")),
        "{out:?}"
    );
    assert_eq!(out.gas_left, 0);
    // not even enough for the entry cost
    let out = execute(&w.program, &mut w.api, &data, &call.abi_encode(), entry - 1);
    assert!(matches!(out.status, Status::Failure(_)));
    assert_eq!(out.gas_left, 0);
}

#[test]
fn unknown_selector_reverts() {
    let mut w = World::deployed();
    let out = w.call(STRANGER, &[0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(out.status, Status::Revert, "{out:?}");
}

#[test]
fn entry_cost_is_reported() {
    let w = World::new();
    let pages = w.program.info.memory_initial_pages;
    let memory = yellowstone_devnet::stylus::ink::MemoryModel::default().gas_cost(pages, 0, 0);
    let info = &w.program.info;
    let entry = memory
        + yellowstone_devnet::stylus::ink::cached_gas(info.cached_init_cost)
        + yellowstone_devnet::stylus::ink::init_gas(info.init_cost);
    // 64 KiB of stack and the data fit in Nitro's two free pages.
    assert_eq!(memory, 0, "footprint {pages} pages");
    println!("footprint {pages} pages: memory {memory} gas, entry {entry} gas");
}

#[test]
fn timing_of_cached_calls() {
    let mut w = World::deployed();
    let call = I::powerMultiplierCall {
        start: U256::from(1_721_908_800u64),
        end: U256::from(1_721_908_800u64 + 400 * DAY),
    }
    .abi_encode();
    let start = std::time::Instant::now();
    for _ in 0..20 {
        assert_eq!(w.call(STRANGER, &call).status, Status::Success);
    }
    println!(
        "powerMultiplier, cached module: {:?} per call",
        start.elapsed() / 20
    );
}

// ---- v2 rules on the real program (issue 14) -----------------------------------------------

const ALICE: Address = address!("000000000000000000000000000000000000a11c");
const BOB: Address = address!("0000000000000000000000000000000000000b0b");
const YEAR: u64 = 365 * DAY;

/// Deployed, funded with 10,000 MOR, the router key 0x11 authorised.
fn settling() -> (World, PrivateKeySigner) {
    let mut w = World::deployed();
    w.ok(
        FUNDER,
        &I::fundCall {
            amount: mor(10_000),
        }
        .abi_encode(),
    );
    let router = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x11)).unwrap();
    w.ok(
        OWNER,
        &I::authorizeRouterCall {
            router: router.address(),
        }
        .abi_encode(),
    );
    (w, router)
}

#[test]
fn a_dropped_root_is_refused_after_its_deadline_and_its_replacement_lands() {
    let (mut w, router) = settling();
    let deadline = w.now + 600;
    let dropped = signed_commit_until(&router, 1, B256::repeat_byte(1), mor(5), deadline, deadline);
    w.now = deadline + 1;
    let replacement_deadline = w.now + 600;
    let replacement = signed_commit_until(
        &router,
        1,
        B256::repeat_byte(2),
        mor(4),
        replacement_deadline,
        replacement_deadline,
    );
    let out = w.call(STRANGER, &dropped);
    assert_eq!(out.status, Status::Revert, "{out:?}");
    assert_eq!(
        out.output,
        I::EpochRootExpired {
            epoch: 1,
            deadline,
            now: deadline + 1
        }
        .abi_encode()
    );
    w.ok(STRANGER, &replacement);
    let latest = I::latestEpochCall::abi_decode_returns(
        &w.ok(STRANGER, &I::latestEpochCall {}.abi_encode()),
    )
    .unwrap();
    assert_eq!((latest._0, latest._1), (1, B256::repeat_byte(2)));
}

#[test]
fn a_root_sent_with_a_forged_deadline_fails_its_signature() {
    let (mut w, router) = settling();
    let signed = w.now + 600;
    w.now = signed + 1;
    let forged = signed_commit_until(
        &router,
        1,
        B256::repeat_byte(1),
        mor(5),
        signed,
        signed + 3_600,
    );
    let out = w.call(STRANGER, &forged);
    assert_eq!(out.status, Status::Revert, "{out:?}");
    let refused = I::UnknownRouter::abi_decode(&out.output).expect("UnknownRouter");
    assert_ne!(refused.router, router.address());
}

/// A two-leaf tree: Alice's (earned, 0) and Bob's (1 wei, 0), its root and Alice's proof.
fn alice_tree(earned: U256) -> (B256, Vec<B256>) {
    use yellowstone_protocol::merkle::{leaf_hash, MerkleTree};
    let alice = leaf_hash(ALICE, earned, U256::ZERO);
    let tree = MerkleTree::new(vec![alice, leaf_hash(BOB, U256::from(1), U256::ZERO)]).unwrap();
    (tree.root(), tree.proof(alice).unwrap())
}

#[test]
fn a_strangers_claim_cannot_freeze_stake_from_an_earlier_period() {
    let (mut w, router) = settling();
    let start = w.now;
    w.ok(
        ALICE,
        &I::stakeCall {
            amount: mor(1_000),
            lock_end: start + 30 * DAY,
        }
        .abi_encode(),
    );
    // A year later (Alice's second stake-cap period), 500 MOR is proven for her.
    w.now = start + YEAR + DAY;
    let (root, proof) = alice_tree(mor(500));
    w.ok(
        STRANGER,
        &signed_commit(&router, 1, root, mor(500) + U256::from(1)),
    );
    // The stranger front-runs her withdrawal with a claim on her behalf.
    let claim = I::claimCall {
        provider: ALICE,
        cumulative_earned: mor(500),
        cumulative_bootstrap: U256::ZERO,
        proof,
    };
    let paid = I::claimCall::abi_decode_returns(&w.ok(STRANGER, &claim.abi_encode())).unwrap();
    assert_eq!(paid, mor(500));
    // The whole stake still leaves.
    w.ok(ALICE, &I::withdrawCall { amount: mor(1_000) }.abi_encode());
    let alice = I::providerCall::abi_decode_returns(
        &w.ok(STRANGER, &I::providerCall { provider: ALICE }.abi_encode()),
    )
    .unwrap();
    assert_eq!(alice._1, U256::ZERO);
    // Restaking the payout in the same period holds it.
    w.ok(
        ALICE,
        &I::stakeCall {
            amount: mor(500),
            lock_end: w.now,
        }
        .abi_encode(),
    );
    let out = w.call(ALICE, &I::withdrawCall { amount: mor(500) }.abi_encode());
    let held = I::StakeBacksPayouts::abi_decode(&out.output).expect("StakeBacksPayouts");
    assert_eq!(
        (held.withdrawable, held.periodEnd),
        (U256::ZERO, start + 2 * YEAR)
    );
}

#[test]
fn an_ended_lock_extended_restarts_now_and_an_ended_lock_weighs_its_stake() {
    let mut w = World::deployed();
    let start = w.now;
    let end = start + 4 * YEAR;
    w.ok(
        ALICE,
        &I::stakeCall {
            amount: mor(1_000),
            lock_end: end,
        }
        .abi_encode(),
    );
    let record = |w: &mut World| {
        I::providerCall::abi_decode_returns(
            &w.ok(STRANGER, &I::providerCall { provider: ALICE }.abi_encode()),
        )
        .unwrap()
    };
    assert!(
        record(&mut w)._4 > mor(1),
        "a running four-year lock weighs more"
    );
    w.now = end;
    let ended = record(&mut w);
    assert_eq!((ended._4, ended._5), (mor(1), mor(1_000)));
    // A year after the end, a one-second extension earns a one-second lock's multiplier.
    w.now = end + YEAR;
    w.ok(ALICE, &I::lockClaimCall { new_end: w.now + 1 }.abi_encode());
    let extended = record(&mut w);
    assert_eq!(
        (extended._2, extended._3, extended._4),
        (w.now, w.now + 1, mor(1))
    );
}
