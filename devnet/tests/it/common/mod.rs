//! Chain scaffolding shared by the devnet's integration tests that drive the real contracts
//! through signed transactions (`chain_stylus.rs`, `reentrancy.rs`, `fuzz_calldata.rs`): the
//! contract ABI bindings, the deployable artifacts, EIP-1559 transactions signed by the dev
//! accounts, `eth_call`, deployment as `cargo stylus deploy` does it (CREATE returning the
//! compressed program, `activateProgram` on ArbWasm, the stylus-sdk constructor), and signed
//! `commitEpoch` calldata.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{keccak256, uint, Address, Bytes, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{sol, SolCall, SolValue};
use proptest::test_runner::Config as ProptestConfig;
use yellowstone_devnet::chain::{
    stylus_constructor_selector, stylus_deploy_init_code, BlockTag, CallRequest, Chain,
    DevnetError, Receipt, ARB_WASM, DEFAULT_CHAIN_ID, DEV_ACCOUNTS,
};
use yellowstone_protocol::{eip712, time::DAY};

pub(crate) mod capital;
pub(crate) mod rpc;

sol!("../abi/IYellowstoneCompute.sol");

sol! {
    /// The ERC-20 subset the tests call on the MOR token.
    interface IERC20 {
        function balanceOf(address account) external view returns (uint256);
        function approve(address spender, uint256 value) external returns (bool);
        function allowance(address owner, address spender) external view returns (uint256);
        event Transfer(address indexed from, address indexed to, uint256 value);
    }
}

/// ArbWasm's interface (precompile at [`ARB_WASM`]), from the devnet's one definition.
pub(crate) use yellowstone_devnet::chain::stylus::abi::ArbWasm as IArbWasm;

pub(crate) use IYellowstoneCompute as I;

/// One gwei in wei: the max fee per gas of every transaction.
pub(crate) const GWEI: u128 = 1_000_000_000;
/// The gas limit of every transaction [`send`] signs (and of a test's `eth_call`s where it
/// sets one): ample for any call of the contracts, so running out of it means a trap or a
/// runaway.
pub(crate) const GAS: u64 = 30_000_000;

/// `n` MOR in wei (18 decimals).
pub(crate) fn mor(n: u64) -> U256 {
    U256::from(n) * U256::from(10u64).pow(U256::from(18))
}

/// A proptest configuration with `cases` cases, unless `PROPTEST_CASES` is set, in which case
/// its value replaces every property's count (for longer runs than CI's).
pub(crate) fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cases);
    ProptestConfig::with_cases(cases)
}

// ---- the artifacts ------------------------------------------------------------------------------

/// The deployable artifact `target/stylus/{name}.br`; panics, saying how to build it (the
/// `build-contract` command followed by `package`, e.g. `" --package x"` or `""`), when it is
/// missing.
pub(crate) fn artifact(name: &str, package: &str) -> Vec<u8> {
    let path = format!("{}/../target/stylus/{name}.br", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {path} ({e}): build the contract first with \
             `cargo run --bin yellowstone -- build-contract{package}`"
        )
    })
}

/// The compute contract's deployable code.
pub(crate) fn compute_code() -> Vec<u8> {
    artifact("yellowstone_compute", "")
}

/// The Stylus MOR fixture's deployable code.
pub(crate) fn mor_code() -> Vec<u8> {
    artifact("yellowstone_mor_token", " --package yellowstone-mor-token")
}

// ---- transactions and calls ---------------------------------------------------------------------

/// The address of dev account `account`.
pub(crate) fn address_of(account: usize) -> Address {
    DEV_ACCOUNTS[account].address
}

/// Signs and sends an EIP-1559 transaction from dev account `account` with `gas_limit`;
/// returns its receipt, or the chain's refusal of the transaction.
pub(crate) fn try_send(
    chain: &mut Chain,
    account: usize,
    to: TxKind,
    input: Vec<u8>,
    gas_limit: u64,
) -> Result<Receipt, DevnetError> {
    try_send_value(chain, account, to, U256::ZERO, input, gas_limit)
}

/// [`try_send`] with `value` wei attached.
pub(crate) fn try_send_value(
    chain: &mut Chain,
    account: usize,
    to: TxKind,
    value: U256,
    input: Vec<u8>,
    gas_limit: u64,
) -> Result<Receipt, DevnetError> {
    let nonce = chain.nonce(address_of(account), BlockTag::Latest).unwrap();
    let tx = TxEip1559 {
        chain_id: DEFAULT_CHAIN_ID,
        nonce,
        gas_limit,
        max_fee_per_gas: GWEI,
        max_priority_fee_per_gas: 0,
        to,
        value,
        access_list: Default::default(),
        input: input.into(),
    };
    let signer = PrivateKeySigner::from_bytes(&DEV_ACCOUNTS[account].private_key).unwrap();
    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = TxEnvelope::from(tx.into_signed(signature)).encoded_2718();
    let hash = chain.send_raw_transaction(&raw)?;
    Ok(chain.receipt(hash).unwrap().clone())
}

/// Signs and sends a transaction from dev account `account` with [`GAS`]; returns its receipt
/// (successful or not). Panics if the chain refuses the transaction.
pub(crate) fn send(chain: &mut Chain, account: usize, to: TxKind, input: Vec<u8>) -> Receipt {
    try_send(chain, account, to, input, GAS).expect("the chain accepts the transaction")
}

/// [`send`]s a call to `to` and asserts that it succeeded.
pub(crate) fn ok(chain: &mut Chain, account: usize, to: Address, input: Vec<u8>) -> Receipt {
    let receipt = send(chain, account, TxKind::Call(to), input);
    assert!(receipt.status, "transaction failed: {receipt:?}");
    receipt
}

/// `eth_call` of `to` with `data` from dev account 0 at the latest block, with the chain's
/// default gas.
pub(crate) fn call(chain: &Chain, to: Address, data: Vec<u8>) -> Result<Bytes, DevnetError> {
    chain.call(
        &CallRequest {
            from: Some(address_of(0)),
            to: Some(to),
            data: data.into(),
            ..CallRequest::default()
        },
        BlockTag::Latest,
    )
}

// ---- deployment ---------------------------------------------------------------------------------

/// Deploys `code` from dev account `account` with a CREATE whose init code returns it; asserts
/// that the code at the new address is `code`; returns the address.
pub(crate) fn deploy(chain: &mut Chain, account: usize, code: &[u8]) -> Address {
    let receipt = send(
        chain,
        account,
        TxKind::Create,
        stylus_deploy_init_code(code),
    );
    assert!(receipt.status, "deployment failed: {receipt:?}");
    let address = receipt.contract_address.unwrap();
    assert_eq!(
        chain.code(address, BlockTag::Latest).unwrap().as_ref(),
        code
    );
    address
}

/// The data fee `activateProgram(program)` would charge dev account `account` now: an
/// `eth_call` with 1 ether attached, as `cargo stylus deploy` estimates it.
pub(crate) fn activation_fee(chain: &Chain, account: usize, program: Address) -> U256 {
    let out = chain
        .call(
            &CallRequest {
                from: Some(address_of(account)),
                to: Some(ARB_WASM),
                gas: Some(GAS),
                value: Some(uint!(1_000_000_000_000_000_000_U256)),
                data: IArbWasm::activateProgramCall { program }
                    .abi_encode()
                    .into(),
                ..CallRequest::default()
            },
            BlockTag::Latest,
        )
        .expect("the activation simulation succeeds");
    IArbWasm::activateProgramCall::abi_decode_returns(&out)
        .unwrap()
        .dataFee
}

/// Activates the Stylus program at `program` through ArbWasm, sent by dev account `account`
/// with the data fee a simulation quotes ([`activation_fee`]; demand only drains with time, so
/// the quote covers the fee); asserts that it succeeded with version 2 (Nitro's current) and
/// a non-zero fee no larger than the quote.
pub(crate) fn activate(chain: &mut Chain, account: usize, program: Address) -> Receipt {
    let quote = activation_fee(chain, account, program);
    let receipt = try_send_value(
        chain,
        account,
        TxKind::Call(ARB_WASM),
        quote,
        IArbWasm::activateProgramCall { program }.abi_encode(),
        GAS,
    )
    .unwrap();
    assert!(receipt.status, "activation failed: {receipt:?}");
    let out = IArbWasm::activateProgramCall::abi_decode_returns(&receipt.output).unwrap();
    assert_eq!(out.version, 2);
    assert!(out.dataFee > U256::ZERO && out.dataFee <= quote);
    receipt
}

/// Activates the program at `program` unless its code is already active, as `cargo stylus
/// deploy` first asks `codehashVersion`: a second deployment of the same code shares the
/// first's activation (Nitro keys activations by code hash; activating again reverts
/// `ProgramUpToDate()`).
pub(crate) fn ensure_activated(chain: &mut Chain, account: usize, program: Address) {
    let code_hash = keccak256(chain.code(program, BlockTag::Latest).unwrap());
    let active = call(
        chain,
        ARB_WASM,
        IArbWasm::codehashVersionCall {
            codehash: code_hash,
        }
        .abi_encode(),
    )
    .is_ok();
    if !active {
        activate(chain, account, program);
    }
}

/// Re-activates those of `programs` whose activation expired (Nitro's `expiryDays`, 365), as
/// their operator must once a test moves the clock that far; see
/// [`yellowstone_devnet::deploy::reactivate_expired`].
pub(crate) fn keep_programs_alive(chain: &mut Chain, programs: &[Address]) {
    yellowstone_devnet::deploy::reactivate_expired(chain, programs).expect("re-activation");
}

/// Calls the stylus-sdk constructor of `program` with ABI-encoded `args`, from dev account
/// `account`; asserts that it succeeded.
pub(crate) fn construct(
    chain: &mut Chain,
    account: usize,
    program: Address,
    args: Vec<u8>,
) -> Receipt {
    let mut data = stylus_constructor_selector().to_vec();
    data.extend_from_slice(&args);
    ok(chain, account, program, data)
}

/// The chain's current day number (latest block timestamp / [`DAY`]).
pub(crate) fn today(chain: &Chain) -> u64 {
    chain.latest_block().timestamp() / DAY
}

/// Deploys MOR as production has it, an EVM ERC-20 (OpenZeppelin's `ERC20`,
/// [`yellowstone_devnet::mor`]), from dev account 0: 1,000,000 MOR for each dev account.
pub(crate) fn deploy_mor_token(chain: &mut Chain) -> Address {
    let holders: Vec<Address> = DEV_ACCOUNTS.iter().map(|a| a.address).collect();
    let init = yellowstone_devnet::mor::init_code(&holders, mor(1_000_000)).unwrap();
    let receipt = send(chain, 0, TxKind::Create, init);
    assert!(receipt.status, "deploying MOR failed: {receipt:?}");
    receipt.contract_address.unwrap()
}

/// Deploys, activates and constructs the Stylus MOR fixture (`yellowstone-mor-token`) from dev
/// account 0, minting as [`deploy_mor_token`] does: for tests that need a Stylus token.
pub(crate) fn deploy_stylus_mor_token(chain: &mut Chain) -> Address {
    let holders: Vec<Address> = DEV_ACCOUNTS.iter().map(|a| a.address).collect();
    let token = deploy(chain, 0, &mor_code());
    ensure_activated(chain, 0, token);
    construct(
        chain,
        0,
        token,
        (holders, mor(1_000_000)).abi_encode_params(),
    );
    token
}

/// Deploys, activates and constructs the real compute contract from dev account 0 with
/// `token` as its MOR: owner dev account 0, a Morpheus-like emission schedule (3,456 MOR a day,
/// falling by 0.59255872824 MOR a day) starting today, bootstrap window open today.
pub(crate) fn deploy_compute(chain: &mut Chain, token: Address) -> Address {
    let compute = deploy(chain, 0, &compute_code());
    ensure_activated(chain, 0, compute);
    let day = today(chain);
    construct(
        chain,
        0,
        compute,
        (
            token,
            address_of(0),
            day,
            mor(3_456),
            uint!(592_558_728_240_000_000_U256),
            day,
        )
            .abi_encode_params(),
    );
    compute
}

// ---- router signatures --------------------------------------------------------------------------

/// An `EpochRoot` signature by `key` under `compute`'s EIP-712 domain on the devnet's chain id,
/// in the compact form (r, vs), with a deadline that never passes (`u64::MAX`).
pub(crate) fn sign_epoch_root(
    key: &PrivateKeySigner,
    compute: Address,
    epoch: u64,
    root: B256,
    credited: U256,
    bootstrap: U256,
) -> (B256, B256) {
    sign_epoch_root_until(key, compute, epoch, root, credited, bootstrap, u64::MAX)
}

/// [`sign_epoch_root`] with the root's `deadline`.
pub(crate) fn sign_epoch_root_until(
    key: &PrivateKeySigner,
    compute: Address,
    epoch: u64,
    root: B256,
    credited: U256,
    bootstrap: U256,
    deadline: u64,
) -> (B256, B256) {
    let digest = eip712::signing_hash(
        eip712::domain_separator(DEFAULT_CHAIN_ID, compute),
        eip712::epoch_root_hash(epoch, root, credited, bootstrap, deadline),
    );
    let sig = key.sign_hash_sync(&digest).unwrap();
    eip712::Signature::parse(&sig.as_bytes()).unwrap().compact()
}

/// `commitEpoch` calldata (no bootstrap credit) signed by `key` under `compute`'s EIP-712
/// domain.
pub(crate) fn signed_commit(
    key: &PrivateKeySigner,
    compute: Address,
    epoch: u64,
    root: B256,
    credited: U256,
) -> Vec<u8> {
    let (r, vs) = sign_epoch_root(key, compute, epoch, root, credited, U256::ZERO);
    I::commitEpochCall {
        epoch,
        root,
        cumulative_credited: credited,
        cumulative_bootstrap: U256::ZERO,
        deadline: u64::MAX,
        r,
        vs,
    }
    .abi_encode()
}
