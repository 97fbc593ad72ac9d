//! Reentrancy through the token cannot take MOR twice.
//!
//! The real compute contract (`target/stylus/yellowstone_compute.br`, the deployable artifact)
//! runs on the devnet against a **malicious MOR token**: hand-assembled EVM bytecode (below,
//! [`malicious_token`]) that keeps real balances, and whose `transfer` and `transferFrom`, when
//! armed, first move the balance and then call back into a target chosen by the attacker with
//! calldata stored in the token's own storage (the same claim again, the same withdrawal again,
//! another function, a view). The token records the outcome of that inner call in storage
//! slots read back with `storage_at` (`eth_getStorageAt`): how many re-entries it attempted,
//! the success flag, the size, hash and first word of the return or revert data. The token is
//! also the attacker's provider: its `exec` function makes calls from the token's address, so
//! it stakes, withdraws and is paid as a provider, and a re-entered `withdraw` is made by the
//! provider itself.
//!
//! # What happens, and why
//!
//! Every re-entered call into the compute contract, whatever its selector (claim, withdraw,
//! fund, commitEpoch, a view), **reverts with empty revert data** before any of the contract's
//! code runs. The mechanism is stylus-sdk 0.10.10's entrypoint guard: the contract is built
//! without the SDK's `reentrant` feature, so `#[entrypoint]` generates
//!
//! ```ignore
//! pub extern "C" fn user_entrypoint(len: usize) -> usize {
//!     if host.msg_reentrant() { return 1; } // revert, before read_args and write_result
//!     ...
//! }
//! ```
//!
//! Status 1 with no `write_result` is a revert with empty data (unused gas returned), so the
//! token sees `success = 0` and `returndatasize = 0`. Nitro's `msg_reentrant` is true when the
//! acting address has more than one open non-delegate call frame in the transaction
//! (`arbos/tx_processor.go`: `reentrant := p.Programs[acting] > 1`, the counter kept by
//! `PushContract`/`PopContract` for every frame that is not DELEGATECALL/CALLCODE); the devnet
//! computes it in `devnet/src/chain/stylus/program.rs` as "a program with this storage address is
//! already running further up the transaction". compute -> token (EVM) -> compute is reentrant
//! under both rules. The last test probes the devnet's rule with a small Wasm program: it
//! agrees with Nitro for calls. For DELEGATECALL frames the two differ (docs/DEVNET.md, "Not
//! supported"), which does not concern the compute contract: it makes no delegatecall.
//!
//! A refusal by the contract's own checks would look different: typed revert data (for a
//! second claim, `NothingToClaim(provider, cumulative, claimed)`, because the claim writes
//! `claimed` and the totals before its token call and stylus-sdk's `call` flushes the storage
//! cache before calling out). The tests assert the empty data, so they fail if the guard ever
//! stops being what refuses the re-entry. Because the guard runs before dispatch, views are
//! refused as well: the checks-effects-interactions order cannot be observed from inside the
//! re-entered call on this contract; it is observed here only by what a later, non-reentrant
//! call gets.
//!
//! Controls: the same calldata sent directly (not re-entered) does what it says, so it was
//! valid and only the re-entry made it fail; with the token unarmed the same flows pay once;
//! and the armed token re-entering a *second* compute instance (not on the call stack, so not
//! reentrant) succeeds and is recorded as a success, so the hook and the recording really
//! detect an inner call that goes through.

use alloy_primitives::{keccak256, Address, TxKind, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
use yellowstone_devnet::chain::{BlockTag, Chain, Receipt};
use yellowstone_protocol::merkle;

use crate::common::*;

sol! {
    /// The malicious token's interface (ERC-20 subset plus the attacker's controls).
    interface IMalicious {
        function balanceOf(address account) external view returns (uint256);
        function transfer(address to, uint256 amount) external returns (bool);
        function transferFrom(address from, address to, uint256 amount) external returns (bool);
        function approve(address spender, uint256 amount) external returns (bool);
        /// Credits `amount` to `to` (test setup; no access control).
        function mint(address to, uint256 amount) external returns (bool);
        /// Arms one re-entry: the next `transfer`/`transferFrom` calls `target` with `data`
        /// (STATICCALL when `isStatic`), after moving the balance.
        function arm(address target, bool isStatic, bytes data) external;
        /// Calls `target` with `data` from the token's address; bubbles the result up.
        function exec(address target, bytes data) external returns (bytes);
    }
}

// ---------------------------------------------------------------------------------------------
// The malicious token: a tiny EVM assembler and the program.
// ---------------------------------------------------------------------------------------------

/// EVM opcodes used by the token.
mod op {
    pub(super) const STOP: u8 = 0x00;
    pub(super) const ADD: u8 = 0x01;
    pub(super) const SUB: u8 = 0x03;
    pub(super) const LT: u8 = 0x10;
    pub(super) const EQ: u8 = 0x14;
    pub(super) const ISZERO: u8 = 0x15;
    pub(super) const SHR: u8 = 0x1c;
    pub(super) const SHA3: u8 = 0x20;
    pub(super) const CALLER: u8 = 0x33;
    pub(super) const CALLDATALOAD: u8 = 0x35;
    pub(super) const CALLDATACOPY: u8 = 0x37;
    pub(super) const RETURNDATASIZE: u8 = 0x3d;
    pub(super) const RETURNDATACOPY: u8 = 0x3e;
    pub(super) const POP: u8 = 0x50;
    pub(super) const MLOAD: u8 = 0x51;
    pub(super) const MSTORE: u8 = 0x52;
    pub(super) const SLOAD: u8 = 0x54;
    pub(super) const SSTORE: u8 = 0x55;
    pub(super) const JUMP: u8 = 0x56;
    pub(super) const JUMPI: u8 = 0x57;
    pub(super) const GAS: u8 = 0x5a;
    pub(super) const JUMPDEST: u8 = 0x5b;
    pub(super) const PUSH1: u8 = 0x60;
    pub(super) const PUSH2: u8 = 0x61;
    pub(super) const DUP1: u8 = 0x80;
    pub(super) const DUP2: u8 = 0x81;
    pub(super) const DUP3: u8 = 0x82;
    pub(super) const DUP4: u8 = 0x83;
    pub(super) const SWAP1: u8 = 0x90;
    pub(super) const CALL: u8 = 0xf1;
    pub(super) const RETURN: u8 = 0xf3;
    pub(super) const STATICCALL: u8 = 0xfa;
    pub(super) const REVERT: u8 = 0xfd;
}

/// A two-pass assembler: opcodes, minimal PUSHes, labels (`JUMPDEST`) and PUSH2 label
/// references.
#[derive(Default)]
struct Asm {
    code: Vec<u8>,
    labels: std::collections::HashMap<&'static str, usize>,
    fixups: Vec<(usize, &'static str)>,
}

impl Asm {
    fn ops(&mut self, ops: &[u8]) -> &mut Self {
        self.code.extend_from_slice(ops);
        self
    }

    /// PUSHn of `value` with the fewest bytes (at least one).
    fn push(&mut self, value: u64) -> &mut Self {
        let bytes = value.to_be_bytes();
        let skip = bytes.iter().take(7).take_while(|b| **b == 0).count();
        self.push_bytes(&bytes[skip..])
    }

    fn push_bytes(&mut self, bytes: &[u8]) -> &mut Self {
        assert!((1..=32).contains(&bytes.len()));
        self.code.push(op::PUSH1 + bytes.len() as u8 - 1);
        self.code.extend_from_slice(bytes);
        self
    }

    /// Places `name` here as a `JUMPDEST`.
    fn label(&mut self, name: &'static str) -> &mut Self {
        assert!(
            self.labels.insert(name, self.code.len()).is_none(),
            "{name}"
        );
        self.code.push(op::JUMPDEST);
        self
    }

    /// PUSH2 of `name`'s offset, filled in by [`Asm::finish`].
    fn to(&mut self, name: &'static str) -> &mut Self {
        self.code.push(op::PUSH2);
        self.fixups.push((self.code.len(), name));
        self.code.extend_from_slice(&[0, 0]);
        self
    }

    fn finish(&mut self) -> Vec<u8> {
        for (at, name) in &self.fixups {
            let target = u16::try_from(self.labels[name]).unwrap();
            self.code[*at..*at + 2].copy_from_slice(&target.to_be_bytes());
        }
        std::mem::take(&mut self.code)
    }
}

/// Token storage: the balance of `a` is at slot `uint160(a)`; the attack controls and the
/// record of the last re-entry live in small slots (no address is that small).
mod slot {
    /// Nonzero: the next `transfer`/`transferFrom` re-enters (cleared before the re-entry, so
    /// one arming makes one attempt and the hook cannot loop).
    pub(super) const ARMED: u64 = 1;
    /// Address the re-entry calls.
    pub(super) const TARGET: u64 = 2;
    /// Length in bytes of the re-entry calldata.
    pub(super) const LEN: u64 = 3;
    /// Number of re-entries attempted so far.
    pub(super) const ATTEMPTS: u64 = 4;
    /// Success flag (1/0) of the last re-entry.
    pub(super) const SUCCESS: u64 = 5;
    /// `RETURNDATASIZE` after the last re-entry.
    pub(super) const RET_SIZE: u64 = 6;
    /// `keccak256` of the last re-entry's return or revert data.
    pub(super) const RET_HASH: u64 = 7;
    /// First 32 bytes of that data, zero-padded.
    pub(super) const RET_WORD: u64 = 8;
    /// Nonzero: the re-entry is a STATICCALL.
    pub(super) const STATIC: u64 = 9;
    /// The re-entry calldata, word `i` at `DATA + i`.
    pub(super) const DATA: u64 = 0x1000;
}

/// Memory offset the re-entry's return data is copied to (beyond any calldata used here, so
/// the recorded first word is zero-padded, not mixed with calldata).
const RET_MEM: u64 = 0x4000;

/// Moves `amount` from `from` to `to`; stack before `[from, to, amount]` (amount on top),
/// after `[from, to, amount]`. Reverts (empty data) on an insufficient balance.
fn move_balance(a: &mut Asm) {
    use op::*;
    a.ops(&[DUP3, SLOAD]) // [f, t, a, bal_f]
        .ops(&[DUP2, DUP2, LT]) // bal_f < a
        .to("fail")
        .ops(&[JUMPI]) // [f, t, a, bal_f]
        .ops(&[DUP2, SWAP1, SUB]) // [f, t, a, bal_f - a]
        .ops(&[DUP4, SSTORE]) // balances[f] = bal_f - a
        .ops(&[DUP1, DUP3, SLOAD, ADD]) // [f, t, a, bal_t + a]
        .ops(&[DUP3, SSTORE]); // balances[t] = bal_t + a
}

/// The re-entry hook: if armed, disarm, count the attempt, call `TARGET` with the stored
/// calldata (CALL with no value, or STATICCALL), with all the gas the 63/64 rule allows, and
/// record success, size, hash and first word of the returned data. A failing inner call does
/// not make the token fail.
fn hook(a: &mut Asm) {
    use op::*;
    a.push(slot::ARMED)
        .ops(&[SLOAD, ISZERO])
        .to("hook_done")
        .ops(&[JUMPI]);
    a.push(0).push(slot::ARMED).ops(&[SSTORE]); // disarm
    a.push(slot::ATTEMPTS)
        .ops(&[SLOAD])
        .push(1)
        .ops(&[ADD])
        .push(slot::ATTEMPTS)
        .ops(&[SSTORE]);
    // memory[off..off + 32] = storage[DATA + off / 32] for off < LEN, step 32
    a.push(0).label("copy");
    a.push(slot::LEN)
        .ops(&[SLOAD, DUP2, LT, ISZERO]) // !(off < len)
        .to("copied")
        .ops(&[JUMPI]);
    a.ops(&[DUP1])
        .push(5)
        .ops(&[SHR])
        .push(slot::DATA)
        .ops(&[ADD, SLOAD]) // [off, word]
        .ops(&[DUP2, MSTORE]) // mstore(off, word)
        .push(32)
        .ops(&[ADD])
        .to("copy")
        .ops(&[JUMP]);
    a.label("copied").ops(&[POP]);
    // retSize 0, retOffset 0, argsSize LEN, argsOffset 0
    a.push(0).push(0).push(slot::LEN).ops(&[SLOAD]).push(0);
    a.push(slot::STATIC)
        .ops(&[SLOAD])
        .to("static")
        .ops(&[JUMPI]);
    a.push(0) // value
        .push(slot::TARGET)
        .ops(&[SLOAD, GAS, CALL])
        .to("record")
        .ops(&[JUMP]);
    a.label("static")
        .push(slot::TARGET)
        .ops(&[SLOAD, GAS, STATICCALL]);
    a.label("record").push(slot::SUCCESS).ops(&[SSTORE]);
    a.ops(&[RETURNDATASIZE]).push(slot::RET_SIZE).ops(&[SSTORE]);
    a.ops(&[RETURNDATASIZE])
        .push(0)
        .push(RET_MEM)
        .ops(&[RETURNDATACOPY]);
    a.push(RET_MEM)
        .ops(&[MLOAD])
        .push(slot::RET_WORD)
        .ops(&[SSTORE]);
    a.ops(&[RETURNDATASIZE])
        .push(RET_MEM)
        .ops(&[SHA3])
        .push(slot::RET_HASH)
        .ops(&[SSTORE]);
    a.label("hook_done");
}

/// Returns the ABI word `true`.
fn return_true(a: &mut Asm) {
    use op::*;
    a.push(1)
        .push(0)
        .ops(&[MSTORE])
        .push(32)
        .push(0)
        .ops(&[RETURN]);
}

/// The malicious token's runtime code.
///
/// - `balanceOf(a)`: `storage[a]`.
/// - `transfer(to, x)`: moves `x` from the caller to `to` (reverts if short), runs the hook,
///   returns `true`. This is the call `claim` and `withdraw` pay with.
/// - `transferFrom(from, to, x)`: the same from `from`, **without an allowance check** (the
///   compute contract's `fund` and `stake` pull with it; nothing here depends on allowances).
/// - `approve`: returns `true`, stores nothing. `mint(to, x)`: credits `x` to `to`.
/// - `arm(target, isStatic, data)`: stores the re-entry (standard ABI layout assumed: `data`'s
///   length at byte 100, its bytes from byte 132).
/// - `exec(target, data)`: CALLs `target` with `data` from the token's address and returns or
///   reverts with what it returned.
/// - anything else reverts with empty data.
fn malicious_token() -> Vec<u8> {
    use op::*;
    let mut a = Asm::default();
    a.push(0).ops(&[CALLDATALOAD]).push(0xe0).ops(&[SHR]); // [selector]
    let selectors: [([u8; 4], &'static str); 7] = [
        (IMalicious::transferCall::SELECTOR, "transfer"),
        (IMalicious::transferFromCall::SELECTOR, "transferFrom"),
        (IMalicious::balanceOfCall::SELECTOR, "balanceOf"),
        (IMalicious::approveCall::SELECTOR, "approve"),
        (IMalicious::mintCall::SELECTOR, "mint"),
        (IMalicious::armCall::SELECTOR, "arm"),
        (IMalicious::execCall::SELECTOR, "exec"),
    ];
    for (selector, name) in selectors {
        a.ops(&[DUP1])
            .push_bytes(&selector)
            .ops(&[EQ])
            .to(name)
            .ops(&[JUMPI]);
    }
    a.label("fail").push(0).push(0).ops(&[REVERT]);

    a.label("transfer").ops(&[POP, CALLER]);
    a.push(4).ops(&[CALLDATALOAD]).push(36).ops(&[CALLDATALOAD]);
    move_balance(&mut a);
    a.ops(&[POP, POP, POP]);
    a.to("hook_entry").ops(&[JUMP]);

    a.label("transferFrom").ops(&[POP]);
    a.push(4).ops(&[CALLDATALOAD]);
    a.push(36)
        .ops(&[CALLDATALOAD])
        .push(68)
        .ops(&[CALLDATALOAD]);
    move_balance(&mut a);
    a.ops(&[POP, POP, POP]);
    a.to("hook_entry").ops(&[JUMP]);

    a.label("balanceOf").ops(&[POP]);
    a.push(4)
        .ops(&[CALLDATALOAD, SLOAD])
        .push(0)
        .ops(&[MSTORE])
        .push(32)
        .push(0)
        .ops(&[RETURN]);

    a.label("approve").ops(&[POP]);
    return_true(&mut a);

    a.label("mint").ops(&[POP]);
    a.push(36).ops(&[CALLDATALOAD]); // [x]
    a.push(4).ops(&[CALLDATALOAD, SLOAD, ADD]); // [bal + x]
    a.push(4).ops(&[CALLDATALOAD, SSTORE]);
    return_true(&mut a);

    a.label("arm").ops(&[POP]);
    a.push(4)
        .ops(&[CALLDATALOAD])
        .push(slot::TARGET)
        .ops(&[SSTORE]);
    a.push(36)
        .ops(&[CALLDATALOAD])
        .push(slot::STATIC)
        .ops(&[SSTORE]);
    a.push(100)
        .ops(&[CALLDATALOAD])
        .push(slot::LEN)
        .ops(&[SSTORE]);
    a.push(1).push(slot::ARMED).ops(&[SSTORE]);
    a.push(0).label("arm_copy");
    a.push(slot::LEN)
        .ops(&[SLOAD, DUP2, LT, ISZERO])
        .to("arm_done")
        .ops(&[JUMPI]);
    a.ops(&[DUP1]).push(132).ops(&[ADD, CALLDATALOAD]); // [off, word]
    a.ops(&[DUP2])
        .push(5)
        .ops(&[SHR])
        .push(slot::DATA)
        .ops(&[ADD, SSTORE]); // storage[DATA + off / 32] = word
    a.push(32).ops(&[ADD]).to("arm_copy").ops(&[JUMP]);
    a.label("arm_done").ops(&[STOP]);

    a.label("exec").ops(&[POP]);
    a.push(68)
        .ops(&[CALLDATALOAD])
        .push(100)
        .push(0)
        .ops(&[CALLDATACOPY]); // memory[0..len] = data
    a.push(0)
        .push(0)
        .push(68)
        .ops(&[CALLDATALOAD])
        .push(0)
        .push(0);
    a.push(4).ops(&[CALLDATALOAD, GAS, CALL]); // [success]
    a.ops(&[RETURNDATASIZE])
        .push(0)
        .push(0)
        .ops(&[RETURNDATACOPY]);
    a.to("exec_ok").ops(&[JUMPI]);
    a.ops(&[RETURNDATASIZE]).push(0).ops(&[REVERT]);
    a.label("exec_ok")
        .ops(&[RETURNDATASIZE])
        .push(0)
        .ops(&[RETURN]);

    // the hook and `return true`, shared by `transfer` and `transferFrom`
    a.label("hook_entry");
    hook(&mut a);
    return_true(&mut a);
    a.finish()
}

// ---------------------------------------------------------------------------------------------
// The world: a compute contract over the malicious token, whose address is also a provider.
// ---------------------------------------------------------------------------------------------

/// What the token (as provider) earned in epoch 1.
const EARNED: u64 = 100;
/// What an honest bystander provider earned in epoch 1 (its leaf makes the proof non-empty).
const BYSTANDER_EARNED: u64 = 50;
/// The token's stake.
const STAKE: u64 = 500;
/// Funded into the emission pool.
const FUNDED: u64 = 1_000;

struct World {
    chain: Chain,
    token: Address,
    compute: Address,
    router: PrivateKeySigner,
    /// The lock end of the token's stake.
    lock_end: u64,
}

/// One compute contract over `token`: dev account 1 funds it, dev account 0 authorises
/// `router`, the token stakes through `exec` (so it is the registered provider), and epoch 1
/// credits the token `EARNED` and a bystander `BYSTANDER_EARNED`. Returns the lock end.
fn set_up(chain: &mut Chain, token: Address, compute: Address, router: &PrivateKeySigner) -> u64 {
    let funder = address_of(1);
    ok(
        chain,
        1,
        token,
        IMalicious::mintCall {
            to: funder,
            amount: mor(FUNDED),
        }
        .abi_encode(),
    );
    ok(
        chain,
        1,
        compute,
        I::fundCall {
            amount: mor(FUNDED),
        }
        .abi_encode(),
    );
    ok(
        chain,
        0,
        compute,
        I::authorizeRouterCall {
            router: router.address(),
        }
        .abi_encode(),
    );
    ok(
        chain,
        0,
        token,
        IMalicious::mintCall {
            to: token,
            amount: mor(STAKE),
        }
        .abi_encode(),
    );
    let lock_end = chain.latest_block().timestamp() + 1_000;
    exec(
        chain,
        token,
        compute,
        I::stakeCall {
            amount: mor(STAKE),
            lock_end,
        }
        .abi_encode(),
    );
    ok(
        chain,
        5,
        compute,
        signed_commit(router, compute, 1, root(), mor(EARNED + BYSTANDER_EARNED)),
    );
    lock_end
}

fn world() -> World {
    let mut chain = Chain::new();
    let token = deploy(&mut chain, 0, &malicious_token());
    let compute = deploy_compute(&mut chain, token);
    let router = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x11)).unwrap();
    let lock_end = set_up(&mut chain, token, compute, &router);
    World {
        chain,
        token,
        compute,
        router,
        lock_end,
    }
}

/// The bystander provider of every tree.
fn bystander() -> Address {
    address_of(3)
}

fn tree() -> merkle::MerkleTree {
    merkle::MerkleTree::new(vec![
        merkle::leaf_hash(token_address(), mor(EARNED), U256::ZERO),
        merkle::leaf_hash(bystander(), mor(BYSTANDER_EARNED), U256::ZERO),
    ])
    .unwrap()
}

fn root() -> B256 {
    tree().root()
}

/// The token's address: the first CREATE of dev account 0 on a fresh chain (the token is
/// always deployed first; `world` asserts it).
fn token_address() -> Address {
    address_of(0).create(0)
}

/// The token's claim of its epoch-1 leaf.
fn claim_calldata() -> Vec<u8> {
    let leaf = merkle::leaf_hash(token_address(), mor(EARNED), U256::ZERO);
    let proof = tree().proof(leaf).unwrap();
    assert_eq!(proof.len(), 1);
    I::claimCall {
        provider: token_address(),
        cumulative_earned: mor(EARNED),
        cumulative_bootstrap: U256::ZERO,
        proof,
    }
    .abi_encode()
}

/// The token calls `target` with `data` (as provider); dev account 4 sends the transaction.
fn exec(chain: &mut Chain, token: Address, target: Address, data: Vec<u8>) -> Receipt {
    ok(
        chain,
        4,
        token,
        IMalicious::execCall {
            target,
            data: data.into(),
        }
        .abi_encode(),
    )
}

/// Arms one re-entry into `target` with `data` (a CALL, or a STATICCALL when `is_static`).
fn arm(w: &mut World, target: Address, is_static: bool, data: Vec<u8>) {
    ok(
        &mut w.chain,
        2,
        w.token,
        IMalicious::armCall {
            target,
            isStatic: is_static,
            data: data.into(),
        }
        .abi_encode(),
    );
    assert_eq!(token_slot(w, slot::ARMED), U256::from(1));
}

fn token_slot(w: &World, n: u64) -> U256 {
    w.chain
        .storage_at(w.token, U256::from(n), BlockTag::Latest)
        .unwrap()
}

/// What the token recorded about its last re-entry.
#[derive(Debug, PartialEq, Eq)]
struct Reentry {
    attempts: U256,
    success: bool,
    size: U256,
    hash: B256,
    first_word: U256,
}

fn reentry(w: &World) -> Reentry {
    Reentry {
        attempts: token_slot(w, slot::ATTEMPTS),
        success: token_slot(w, slot::SUCCESS) == U256::from(1),
        size: token_slot(w, slot::RET_SIZE),
        hash: B256::from(token_slot(w, slot::RET_HASH)),
        first_word: token_slot(w, slot::RET_WORD),
    }
}

/// The record of the `attempts`-th re-entry refused by stylus-sdk's entrypoint guard: the
/// inner call failed with **empty** revert data (its hash is `keccak256("")`).
fn refused(attempts: u64) -> Reentry {
    Reentry {
        attempts: U256::from(attempts),
        success: false,
        size: U256::ZERO,
        hash: keccak256([]),
        first_word: U256::ZERO,
    }
}

fn balance(w: &World, who: Address) -> U256 {
    let out = call(
        &w.chain,
        w.token,
        IMalicious::balanceOfCall { account: who }.abi_encode(),
    )
    .unwrap();
    U256::abi_decode(&out).unwrap()
}

fn totals(w: &World, compute: Address) -> I::totalsReturn {
    let out = call(&w.chain, compute, I::totalsCall {}.abi_encode()).unwrap();
    I::totalsCall::abi_decode_returns(&out).unwrap()
}

fn provider(w: &World, compute: Address, who: Address) -> I::providerReturn {
    let out = call(
        &w.chain,
        compute,
        I::providerCall { provider: who }.abi_encode(),
    )
    .unwrap();
    I::providerCall::abi_decode_returns(&out).unwrap()
}

/// The decoded logs of `E` that `receipt` holds from `emitter`.
fn events<E: SolEvent>(receipt: &Receipt, emitter: Address) -> Vec<E> {
    receipt
        .logs
        .iter()
        .filter(|l| l.log.address == emitter)
        .filter_map(|l| E::decode_log(&l.log).ok().map(|d| d.data))
        .collect()
}

/// Makes the next block's timestamp 10 s after the token's lock end. (Forced, not added to the
/// clock: blocks mined faster than one a second run ahead of the wall clock.)
fn after_the_lock(w: &mut World) {
    w.chain.set_next_block_timestamp(w.lock_end + 10).unwrap();
}

// ---------------------------------------------------------------------------------------------
// The token itself.
// ---------------------------------------------------------------------------------------------

/// The malicious token behaves as the ERC-20 the compute contract needs: balances move on
/// `transfer`/`transferFrom` (a short balance reverts), `transfer` returns `true`, unknown
/// selectors revert; and `exec` bubbles a callee's revert data up.
#[test]
fn the_malicious_token_is_an_erc20_for_the_compute_contract() {
    let w = world();
    assert_eq!(w.token, token_address());
    let mut chain = w.chain;
    let (a, b) = (address_of(6), address_of(7));
    ok(
        &mut chain,
        6,
        w.token,
        IMalicious::mintCall {
            to: a,
            amount: mor(10),
        }
        .abi_encode(),
    );
    let r = ok(
        &mut chain,
        6,
        w.token,
        IMalicious::transferCall {
            to: b,
            amount: mor(3),
        }
        .abi_encode(),
    );
    assert_eq!(U256::from_be_slice(&r.output), U256::from(1));
    let w = World { chain, ..w };
    assert_eq!(balance(&w, a), mor(7));
    assert_eq!(balance(&w, b), mor(3));
    let mut chain = w.chain;
    let short = send(
        &mut chain,
        6,
        TxKind::Call(w.token),
        IMalicious::transferCall {
            to: b,
            amount: mor(8),
        }
        .abi_encode(),
    );
    assert!(!short.status);
    assert!(short.output.is_empty());
    assert!(!send(&mut chain, 6, TxKind::Call(w.token), vec![1, 2, 3, 4]).status);
    // exec bubbles the compute contract's typed error (the token has no stake to withdraw
    // before the lock end)
    let failed = send(
        &mut chain,
        4,
        TxKind::Call(w.token),
        IMalicious::execCall {
            target: w.compute,
            data: I::withdrawCall { amount: mor(1) }.abi_encode().into(),
        }
        .abi_encode(),
    );
    assert!(!failed.status);
    assert_eq!(
        failed.output.as_ref(),
        I::StakeLocked {
            lockEnd: w.lock_end,
            now: chain.latest_block().timestamp(),
        }
        .abi_encode()
        .as_slice()
    );
    let w = World { chain, ..w };
    // the setup: funded, staked by the token, epoch 1 committed; nothing paid yet
    let t = totals(&w, w.compute);
    assert_eq!((t._0, t._3, t._4), (mor(FUNDED), U256::ZERO, mor(STAKE)));
    assert_eq!(balance(&w, w.compute), mor(FUNDED + STAKE));
    assert_eq!(balance(&w, w.token), U256::ZERO);
    assert_eq!(reentry(&w).attempts, U256::ZERO);
}

// ---------------------------------------------------------------------------------------------
// Re-entering the same function.
// ---------------------------------------------------------------------------------------------

/// A claim whose payment re-enters the same claim (same leaf, same proof) pays once: the inner
/// claim reverts with empty data (stylus-sdk's `msg_reentrant` guard, not the contract's
/// `NothingToClaim`), the outer claim succeeds and returns `EARNED`, the token's balance moves
/// by exactly `EARNED`, and the contract counts one payment (`claimed`, `totalClaimed`, one
/// `Claimed` event). The same claim sent afterwards, not re-entered, is refused by the
/// contract's own check with `NothingToClaim(token, EARNED, EARNED)`.
#[test]
fn a_claim_that_reenters_the_same_claim_pays_once() {
    let mut w = world();
    let (compute, token) = (w.compute, w.token);
    arm(&mut w, compute, false, claim_calldata());
    let receipt = ok(&mut w.chain, 4, compute, claim_calldata());

    assert_eq!(reentry(&w), refused(1), "the inner claim must fail, empty");
    assert_eq!(token_slot(&w, slot::ARMED), U256::ZERO);
    assert_eq!(U256::abi_decode(&receipt.output).unwrap(), mor(EARNED));
    assert_eq!(balance(&w, token), mor(EARNED), "paid exactly once");
    assert_eq!(balance(&w, compute), mor(FUNDED + STAKE - EARNED));
    let claimed = events::<I::Claimed>(&receipt, compute);
    assert_eq!(claimed.len(), 1, "one Claimed event");
    assert_eq!(claimed[0].provider, token);
    assert_eq!(claimed[0].amount, mor(EARNED));
    assert_eq!(claimed[0].totalClaimed, mor(EARNED));
    let t = totals(&w, compute);
    assert_eq!(t._3, mor(EARNED), "totalClaimed counts one payment");
    let p = provider(&w, compute, token);
    assert_eq!((p._6, p._7), (mor(EARNED), mor(EARNED)), "earned, claimed");
    let out = call(
        &w.chain,
        compute,
        I::stakeCapRemainingCall { provider: token }.abi_encode(),
    )
    .unwrap();
    assert_eq!(U256::abi_decode(&out).unwrap(), mor(STAKE - EARNED));

    // not re-entered, the same claim meets the contract's own check (state was written)
    let again = send(&mut w.chain, 4, TxKind::Call(compute), claim_calldata());
    assert!(!again.status);
    assert_eq!(
        again.output.as_ref(),
        I::NothingToClaim {
            provider: token,
            cumulative: mor(EARNED),
            claimed: mor(EARNED),
        }
        .abi_encode()
        .as_slice()
    );
    assert_eq!(balance(&w, token), mor(EARNED));
}

/// A withdrawal whose payment re-enters the same withdrawal, made by the provider itself (the
/// token is the staker, so the inner `withdraw` has the provider as `msg.sender`), takes the
/// stake once: the inner call reverts with empty data, the stake and `totalStaked` fall by the
/// amount once, the token receives it once, one `Withdrawn` event.
#[test]
fn a_withdrawal_that_reenters_the_same_withdrawal_takes_the_stake_once() {
    let mut w = world();
    let (compute, token) = (w.compute, w.token);
    after_the_lock(&mut w);
    let amount = mor(200);
    let withdraw = I::withdrawCall { amount }.abi_encode();
    arm(&mut w, compute, false, withdraw.clone());
    let receipt = exec(&mut w.chain, token, compute, withdraw);

    assert_eq!(
        reentry(&w),
        refused(1),
        "the inner withdrawal must fail, empty"
    );
    assert_eq!(balance(&w, token), amount, "paid exactly once");
    assert_eq!(balance(&w, compute), mor(FUNDED + STAKE) - amount);
    let withdrawn = events::<I::Withdrawn>(&receipt, compute);
    assert_eq!(withdrawn.len(), 1, "one Withdrawn event");
    assert_eq!(withdrawn[0].amount, amount);
    assert_eq!(withdrawn[0].stake, mor(STAKE) - amount);
    assert_eq!(provider(&w, compute, token)._1, mor(STAKE) - amount);
    assert_eq!(totals(&w, compute)._4, mor(STAKE) - amount);
}

// ---------------------------------------------------------------------------------------------
// Re-entering another function.
// ---------------------------------------------------------------------------------------------

/// During a claim's payment, re-entering `commitEpoch` with a valid, router-signed epoch 2 is
/// refused with empty data and commits nothing; the claim pays once. Sent directly afterwards,
/// the same signed root lands: only the re-entry made it fail.
#[test]
fn reentering_commit_epoch_during_a_claim_is_refused() {
    let mut w = world();
    let (compute, token) = (w.compute, w.token);
    let commit = signed_commit(
        &w.router,
        compute,
        2,
        root(),
        mor(EARNED + BYSTANDER_EARNED + 1),
    );
    arm(&mut w, compute, false, commit.clone());
    let receipt = ok(&mut w.chain, 4, compute, claim_calldata());
    assert_eq!(reentry(&w), refused(1), "commitEpoch inside a claim");
    assert!(events::<I::EpochCommitted>(&receipt, compute).is_empty());
    let latest = call(&w.chain, compute, I::latestEpochCall {}.abi_encode()).unwrap();
    assert_eq!(
        I::latestEpochCall::abi_decode_returns(&latest).unwrap()._0,
        1
    );
    assert_eq!(balance(&w, token), mor(EARNED));
    assert_eq!(totals(&w, compute)._3, mor(EARNED));

    let receipt = ok(&mut w.chain, 5, compute, commit);
    assert_eq!(events::<I::EpochCommitted>(&receipt, compute).len(), 1);
}

/// During a claim's payment, re-entering `fund` (whose `transferFrom` the token would honour
/// from the MOR it has just been paid) is refused with empty data: nothing is funded and the
/// claim pays once. Sent directly afterwards by the token, the same `fund` goes through.
#[test]
fn reentering_fund_during_a_claim_is_refused() {
    let mut w = world();
    let (compute, token) = (w.compute, w.token);
    let fund = I::fundCall { amount: mor(1) }.abi_encode();
    arm(&mut w, compute, false, fund.clone());
    let receipt = ok(&mut w.chain, 4, compute, claim_calldata());
    assert_eq!(reentry(&w), refused(1), "fund inside a claim");
    assert!(events::<I::Funded>(&receipt, compute).is_empty());
    assert_eq!(totals(&w, compute)._0, mor(FUNDED), "nothing funded");
    assert_eq!(balance(&w, token), mor(EARNED));
    assert_eq!(balance(&w, compute), mor(FUNDED + STAKE - EARNED));

    let receipt = exec(&mut w.chain, token, compute, fund);
    assert_eq!(events::<I::Funded>(&receipt, compute).len(), 1);
    assert_eq!(totals(&w, compute)._0, mor(FUNDED + 1));
    assert_eq!(balance(&w, token), mor(EARNED - 1));
}

/// During a withdrawal's payment, re-entering a (valid) claim is refused with empty data:
/// the withdrawal pays once and nothing is claimed. Sent directly afterwards, the claim pays.
#[test]
fn reentering_a_claim_during_a_withdrawal_is_refused() {
    let mut w = world();
    let (compute, token) = (w.compute, w.token);
    after_the_lock(&mut w);
    arm(&mut w, compute, false, claim_calldata());
    let amount = mor(200);
    let receipt = exec(
        &mut w.chain,
        token,
        compute,
        I::withdrawCall { amount }.abi_encode(),
    );
    assert_eq!(reentry(&w), refused(1), "claim inside a withdrawal");
    assert!(events::<I::Claimed>(&receipt, compute).is_empty());
    assert_eq!(events::<I::Withdrawn>(&receipt, compute).len(), 1);
    assert_eq!(balance(&w, token), amount);
    assert_eq!(totals(&w, compute)._3, U256::ZERO, "nothing claimed");
    assert_eq!(provider(&w, compute, token)._7, U256::ZERO);

    let receipt = ok(&mut w.chain, 4, compute, claim_calldata());
    assert_eq!(events::<I::Claimed>(&receipt, compute).len(), 1);
    assert_eq!(balance(&w, token), amount + mor(EARNED));
}

/// Views are refused too: the guard runs in `user_entrypoint` before the selector is read, so
/// a STATICCALL of `provider(token)` during a claim's payment, or a CALL of `totals()` during
/// a withdrawal's, fails with empty data. The state the contract wrote before paying
/// (checks-effects-interactions) therefore cannot be read from inside the re-entered call;
/// outside, the same views answer.
#[test]
fn views_are_refused_inside_a_reentry_too() {
    let mut w = world();
    let (compute, token) = (w.compute, w.token);
    arm(
        &mut w,
        compute,
        true,
        I::providerCall { provider: token }.abi_encode(),
    );
    ok(&mut w.chain, 4, compute, claim_calldata());
    assert_eq!(reentry(&w), refused(1), "a STATICCALL view inside a claim");
    assert_eq!(provider(&w, compute, token)._7, mor(EARNED));

    after_the_lock(&mut w);
    arm(&mut w, compute, false, I::totalsCall {}.abi_encode());
    exec(
        &mut w.chain,
        token,
        compute,
        I::withdrawCall { amount: mor(1) }.abi_encode(),
    );
    assert_eq!(reentry(&w), refused(2), "a CALL view inside a withdrawal");
    assert_eq!(totals(&w, compute)._4, mor(STAKE - 1));
}

// ---------------------------------------------------------------------------------------------
// Controls.
// ---------------------------------------------------------------------------------------------

/// Control: with the token unarmed (it only transfers), the same claim and withdrawal pay once
/// each, with the same balances and state as under attack; the token attempted no re-entry.
#[test]
fn unarmed_the_same_claim_and_withdrawal_pay_once() {
    let mut w = world();
    let (compute, token) = (w.compute, w.token);
    let receipt = ok(&mut w.chain, 4, compute, claim_calldata());
    assert_eq!(U256::abi_decode(&receipt.output).unwrap(), mor(EARNED));
    assert_eq!(events::<I::Claimed>(&receipt, compute).len(), 1);
    assert_eq!(balance(&w, token), mor(EARNED));
    assert_eq!(totals(&w, compute)._3, mor(EARNED));

    after_the_lock(&mut w);
    let amount = mor(200);
    let receipt = exec(
        &mut w.chain,
        token,
        compute,
        I::withdrawCall { amount }.abi_encode(),
    );
    assert_eq!(events::<I::Withdrawn>(&receipt, compute).len(), 1);
    assert_eq!(balance(&w, token), mor(EARNED) + amount);
    assert_eq!(provider(&w, compute, token)._1, mor(STAKE) - amount);
    assert_eq!(totals(&w, compute)._4, mor(STAKE) - amount);
    assert_eq!(balance(&w, compute), mor(FUNDED + STAKE - EARNED) - amount);
    assert_eq!(reentry(&w).attempts, U256::ZERO, "no re-entry attempted");
}

/// Control: the hook really makes the inner call and records a success. Armed to call the
/// same claim on a *second* compute instance over the same token (not on the call stack, so
/// not reentrant), the inner claim succeeds during the first instance's payment: the token
/// records success, 32 bytes returned, the first word `EARNED`; each instance pays once, so
/// the token holds `2 * EARNED`. Had a re-entry into the first instance succeeded, the other
/// tests would see the same kind of record and fail.
#[test]
fn the_hook_records_an_inner_call_that_succeeds() {
    let mut w = world();
    let (compute, token) = (w.compute, w.token);
    let second = deploy_compute(&mut w.chain, token);
    let router = w.router.clone();
    set_up(&mut w.chain, token, second, &router);
    assert_ne!(second, compute);

    arm(&mut w, second, false, claim_calldata());
    let receipt = ok(&mut w.chain, 4, compute, claim_calldata());
    let word = mor(EARNED).to_be_bytes::<32>();
    assert_eq!(
        reentry(&w),
        Reentry {
            attempts: U256::from(1),
            success: true,
            size: U256::from(32),
            hash: keccak256(word),
            first_word: mor(EARNED),
        }
    );
    assert_eq!(events::<I::Claimed>(&receipt, compute).len(), 1);
    assert_eq!(events::<I::Claimed>(&receipt, second).len(), 1);
    assert_eq!(balance(&w, token), mor(2 * EARNED));
    assert_eq!(totals(&w, compute)._3, mor(EARNED));
    assert_eq!(totals(&w, second)._3, mor(EARNED));
}

// ---------------------------------------------------------------------------------------------
// The devnet's `msg_reentrant` against Nitro's rule.
// ---------------------------------------------------------------------------------------------

/// A Stylus probe (WAT): with no calldata it answers `msg_reentrant` as one byte; with a
/// 20-byte address (and one more byte, ignored) it CALLs that address with no calldata and
/// answers what it returned.
const PROBE: &str = r#"(module
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "msg_reentrant" (func $reentrant (result i32)))
  (import "vm_hooks" "call_contract" (func $call (param i32 i32 i32 i32 i64 i32) (result i32)))
  (import "vm_hooks" "read_return_data" (func $rrd (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (func (export "user_entrypoint") (param $len i32) (result i32)
    (call $read_args (i32.const 0))
    (if (i32.eqz (local.get $len)) (then
      (i32.store8 (i32.const 100) (call $reentrant))
      (call $write_result (i32.const 100) (i32.const 1))
      (return (i32.const 0))))
    (drop (call $call (i32.const 0) (i32.const 64) (i32.const 0) (i32.const 32)
      (i64.const -1) (i32.const 200)))
    (drop (call $rrd (i32.const 300) (i32.const 0) (i32.load (i32.const 200))))
    (call $write_result (i32.const 300) (i32.load (i32.const 200)))
    (i32.const 0)))"#;

/// Two activated copies of the probe, `a` and `b`.
fn probes() -> (Chain, Address, Address) {
    let mut chain = Chain::new();
    let code = yellowstone_artifact::compress(&wat::parse_str(PROBE).unwrap());
    let a = deploy(&mut chain, 0, &code);
    let b = deploy(&mut chain, 0, &code);
    activate(&mut chain, 0, a);
    (chain, a, b)
}

/// What `probe` answers for `input`, as the `msg_reentrant` byte seen furthest down.
fn reentrant_seen(chain: &Chain, probe: Address, input: Vec<u8>) -> Vec<u8> {
    call(chain, probe, input).unwrap().to_vec()
}

/// Nitro's rule (`arbos/tx_processor.go`, `ExecuteWASM`: `reentrant := p.Programs[acting] > 1`,
/// counting the open frames that are not DELEGATECALL/CALLCODE per acting address): a program
/// called from outside is not reentrant; a program calling another program does not make the
/// callee reentrant; a program that calls itself, directly or through the EVM token as above,
/// is.
#[test]
fn msg_reentrant_follows_nitro_for_calls() {
    let (chain, a, b) = probes();
    assert_eq!(reentrant_seen(&chain, a, vec![]), [0]);
    let call_b = [b.as_slice(), &[0]].concat();
    assert_eq!(reentrant_seen(&chain, a, call_b), [0], "a calls b");
    let call_a = [a.as_slice(), &[0]].concat();
    assert_eq!(reentrant_seen(&chain, a, call_a), [1], "a calls a");
}
