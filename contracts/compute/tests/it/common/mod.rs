//! The test harness shared by every test module: a deployed compute contract on a [`Chain`] (the
//! kit's stylus-test `TestVM`, with MOR optionally simulated, `token.rs`), a fixed emission
//! schedule, token mocks, real secp256k1 router signatures with the `ecrecover` precompile
//! answered by a real off-chain recovery, Merkle trees and clocks.
//!
//! Every state-changing entry point is called through [`World::tx`], which sets the sender and
//! rolls storage and logs back when the call returns an error, as the EVM does on a revert. A
//! [`World`] dereferences to its [`Chain`]: the clock, the call record and the latest
//! transaction's logs and events are the kit's.

mod token;

use std::ops::Deref;

use alloy_primitives::{address, uint, Address, B256, U256};
use alloy_sol_types::{sol, SolCall};
use k256::ecdsa::SigningKey;
use yellowstone_compute::{ComputeError, YellowstoneCompute};
use yellowstone_protocol::{
    eip712::{self, Signature},
    merkle::{leaf_hash, MerkleTree},
};

pub(crate) use token::SimToken;
/// `n` whole MOR in wei.
pub(crate) use yellowstone_contract_test_kit::fixtures::whole as mor;
pub(crate) use yellowstone_contract_test_kit::fixtures::{ALICE, BOB, CAROL, OWNER, STRANGER};
pub(crate) use yellowstone_contract_test_kit::{CallKind, ExternalCall};

/// The kit's chain with MOR simulated or not.
pub(crate) type Chain = yellowstone_contract_test_kit::Chain<Option<SimToken>>;

sol! {
    /// The two token calls the contract may make, encoded independently of the contract.
    interface IERC20 {
        function transfer(address to, uint256 amount) external returns (bool);
        function transferFrom(address from, address to, uint256 amount) external returns (bool);
    }
}

// ---- fixed world ------------------------------------------------------------------------

/// The protocol's UTC day, re-exported so every test module has it with the rest of the world.
pub(crate) use yellowstone_protocol::time::DAY;
/// 365 days in seconds: a stake-cap period.
pub(crate) const YEAR: u64 = 365 * DAY;
/// The MOR token.
pub(crate) const MOR: Address = address!("00000000000000000000000000000000000000aa");
/// The compute contract's own address.
pub(crate) const CONTRACT: Address = address!("0000000000000000000000000000000000c0de01");
/// Arbitrum One.
pub(crate) const CHAIN_ID: u64 = 42_161;
/// A funder of the emission pool (the emissions distributor).
pub(crate) const FUNDER: Address = address!("00000000000000000000000000000000000000f2");

/// Morpheus's compute bucket: first emission day 2024-02-08 (UTC day 19761).
pub(crate) const EMISSION_START_DAY: u64 = 19_761;
/// 3456 MOR on the first day.
pub(crate) const FIRST_DAY_EMISSION: U256 = uint!(3_456_000_000_000_000_000_000_U256);
/// Falling by 0.59255872824 MOR a day.
pub(crate) const DAILY_DECREASE: U256 = uint!(592_558_728_240_000_000_U256);
/// The deployment day, 2025-01-12 (UTC day 20100).
pub(crate) const DEPLOY_DAY: u64 = 20_100;
/// Deployment happens at 01:00 UTC on the deployment day.
pub(crate) const DEPLOY_TIME: u64 = DEPLOY_DAY * DAY + 3_600;
/// By default the bootstrap window opens on the deployment day.
pub(crate) const BOOTSTRAP_START_DAY: u64 = DEPLOY_DAY;

/// The schedule written out independently of the contract: 3456 MOR on day 19761, minus
/// 0.59255872824 MOR for every day since, never below zero.
pub(crate) fn scheduled(day: u64) -> U256 {
    if day < EMISSION_START_DAY {
        return U256::ZERO;
    }
    FIRST_DAY_EMISSION.saturating_sub(DAILY_DECREASE * U256::from(day - EMISSION_START_DAY))
}

/// A deterministic secp256k1 key.
pub(crate) fn key(seed: u8) -> SigningKey {
    SigningKey::from_slice(&[seed; 32]).expect("valid scalar")
}

/// The Ethereum address of `key`.
pub(crate) fn address_of(key: &SigningKey) -> Address {
    Address::from_private_key(key)
}

/// The configuration a world is deployed with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Config {
    pub(crate) deploy_time: u64,
    pub(crate) bootstrap_start_day: u64,
    /// Simulate the MOR token instead of requiring explicit mocks.
    pub(crate) simulate_token: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            deploy_time: DEPLOY_TIME,
            bootstrap_start_day: BOOTSTRAP_START_DAY,
            simulate_token: false,
        }
    }
}

/// What the mocked MOR token answers.
#[derive(Clone, Copy, Debug)]
pub(crate) enum TokenReply {
    /// Succeeds and returns `true`.
    True,
    /// Succeeds and returns `false`.
    False,
    /// Succeeds and returns nothing (pre-ERC-20 tokens like USDT).
    Nothing,
    /// Reverts.
    Revert,
}

impl TokenReply {
    fn result(self) -> Result<Vec<u8>, Vec<u8>> {
        match self {
            TokenReply::True => Ok(U256::from(1).to_be_bytes::<32>().to_vec()),
            TokenReply::False => Ok(vec![0u8; 32]),
            TokenReply::Nothing => Ok(Vec::new()),
            TokenReply::Revert => Err(b"ERC20: transfer amount exceeds balance".to_vec()),
        }
    }
}

/// `transfer(to, amount)` calldata.
pub(crate) fn transfer_calldata(to: Address, amount: U256) -> Vec<u8> {
    IERC20::transferCall { to, amount }.abi_encode()
}

/// `transferFrom(from, to, amount)` calldata.
pub(crate) fn transfer_from_calldata(from: Address, to: Address, amount: U256) -> Vec<u8> {
    IERC20::transferFromCall { from, to, amount }.abi_encode()
}

/// The address of the `ecrecover` precompile.
pub(crate) const ECRECOVER: Address = Address::with_last_byte(1);

/// What the `ecrecover` precompile returns for `input` (hash, v, r, s): the signer's address
/// left-padded to 32 bytes, or no bytes at all when nothing can be recovered. Computed with a
/// real secp256k1 recovery.
pub(crate) fn ecrecover(input: &[u8; 128]) -> Vec<u8> {
    let digest = B256::from_slice(&input[0..32]);
    let v = U256::from_be_slice(&input[32..64]);
    let r = B256::from_slice(&input[64..96]);
    let s = B256::from_slice(&input[96..128]);
    if v != U256::from(27) && v != U256::from(28) {
        return Vec::new();
    }
    let signature = alloy_primitives::Signature::from_scalars_and_parity(r, s, v == U256::from(28));
    match signature.recover_address_from_prehash(&digest) {
        Ok(signer) => B256::left_padding_from(signer.as_slice()).to_vec(),
        Err(_) => Vec::new(),
    }
}

/// `r ++ s ++ v` (v = 27 or 28) of `key` over `digest`, canonical (low s) as k256 produces.
pub(crate) fn sign_digest(key: &SigningKey, digest: B256) -> Vec<u8> {
    let (signature, recovery) = key
        .sign_prehash_recoverable(digest.as_slice())
        .expect("signs");
    assert!(signature.normalize_s().is_none(), "k256 signs with low s");
    let mut bytes = signature.to_bytes().to_vec();
    bytes.push(27 + recovery.is_y_odd() as u8);
    bytes
}

/// The deadline of every root the tests sign unless a test is about deadlines: never passes.
pub(crate) const FAR: u64 = u64::MAX;

/// The EIP-712 digest of an epoch root with deadline [`FAR`] under the test contract's domain.
pub(crate) fn epoch_digest(epoch: u64, root: B256, credited: U256, bootstrap: U256) -> B256 {
    epoch_digest_until(epoch, root, credited, bootstrap, FAR)
}

/// The EIP-712 digest of an epoch root with `deadline` under the test contract's domain.
pub(crate) fn epoch_digest_until(
    epoch: u64,
    root: B256,
    credited: U256,
    bootstrap: U256,
    deadline: u64,
) -> B256 {
    eip712::signing_hash(
        eip712::domain_separator(CHAIN_ID, CONTRACT),
        eip712::epoch_root_hash(epoch, root, credited, bootstrap, deadline),
    )
}

/// One provider's leaf: its cumulative earned and bootstrap wei.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Leaf {
    pub(crate) provider: Address,
    pub(crate) earned: U256,
    pub(crate) bootstrap: U256,
}

impl Leaf {
    pub(crate) fn new(provider: Address, earned: U256, bootstrap: U256) -> Self {
        Self {
            provider,
            earned,
            bootstrap,
        }
    }

    pub(crate) fn hash(&self) -> B256 {
        leaf_hash(self.provider, self.earned, self.bootstrap)
    }
}

/// An epoch's Merkle tree over its leaves, built like `@openzeppelin/merkle-tree`.
#[derive(Clone, Debug)]
pub(crate) struct Tree {
    pub(crate) leaves: Vec<Leaf>,
    pub(crate) tree: MerkleTree,
}

impl Tree {
    pub(crate) fn new(leaves: &[Leaf]) -> Self {
        let tree = MerkleTree::new(leaves.iter().map(Leaf::hash).collect()).expect("leaves");
        Self {
            leaves: leaves.to_vec(),
            tree,
        }
    }

    pub(crate) fn root(&self) -> B256 {
        self.tree.root()
    }

    /// The leaf of `provider`.
    pub(crate) fn leaf(&self, provider: Address) -> Leaf {
        *self
            .leaves
            .iter()
            .find(|l| l.provider == provider)
            .expect("provider in tree")
    }

    /// The proof of `provider`'s leaf.
    pub(crate) fn proof(&self, provider: Address) -> Vec<B256> {
        self.tree.proof(self.leaf(provider).hash()).expect("proof")
    }

    /// The sums the router commits: (cumulative credited, cumulative bootstrap).
    pub(crate) fn totals(&self) -> (U256, U256) {
        self.leaves
            .iter()
            .fold((U256::ZERO, U256::ZERO), |(e, b), l| {
                (e + l.earned, b + l.bootstrap)
            })
    }
}

// ---- the world --------------------------------------------------------------------------

/// A deployed compute contract, its chain, and an authorised router key.
pub(crate) struct World {
    pub(crate) chain: Chain,
    pub(crate) contract: YellowstoneCompute,
    pub(crate) router: SigningKey,
    /// The deadline roots are signed and submitted with ([`FAR`] unless a test sets it).
    pub(crate) deadline: u64,
}

impl Deref for World {
    type Target = Chain;

    fn deref(&self) -> &Chain {
        &self.chain
    }
}

impl World {
    /// A chain with the contract's code address set but its constructor not yet run.
    pub(crate) fn undeployed(config: Config) -> Self {
        let chain = Chain::new(config.simulate_token.then(|| SimToken::new(MOR)));
        chain.vm.set_contract_address(CONTRACT);
        chain.vm.set_chain_id(CHAIN_ID);
        chain.vm.set_block_timestamp(config.deploy_time);
        chain.vm.set_block_number(1);
        let contract = YellowstoneCompute::from(&chain);
        Self {
            chain,
            contract,
            router: key(0x11),
            deadline: FAR,
        }
    }

    /// Deploys with `config` and authorises the router key.
    pub(crate) fn deploy_with(config: Config) -> Self {
        let mut w = Self::undeployed(config);
        w.tx(OWNER, |c| {
            c.constructor(
                MOR,
                OWNER,
                EMISSION_START_DAY,
                FIRST_DAY_EMISSION,
                DAILY_DECREASE,
                config.bootstrap_start_day,
            )
        })
        .expect("deploys");
        let router = w.router_address();
        w.tx(OWNER, |c| c.authorize_router(router))
            .expect("authorises the router");
        w
    }

    /// Deploys with the default configuration.
    pub(crate) fn deploy() -> Self {
        Self::deploy_with(Config::default())
    }

    pub(crate) fn router_address(&self) -> Address {
        address_of(&self.router)
    }

    /// Read-only access to the contract (views).
    pub(crate) fn c(&self) -> &YellowstoneCompute {
        &self.contract
    }

    /// Runs one transaction from `sender`: on `Err`, storage, logs and the simulated token are
    /// rolled back as the EVM would roll back a revert.
    pub(crate) fn tx<T>(
        &mut self,
        sender: Address,
        f: impl FnOnce(&mut YellowstoneCompute) -> Result<T, ComputeError>,
    ) -> Result<T, ComputeError> {
        let contract = &mut self.contract;
        self.chain.tx(sender, || f(contract))
    }

    // ---- clocks (`now`, `set_time`, `advance` are the chain's) ----

    pub(crate) fn day(&self) -> u64 {
        self.now() / DAY
    }

    pub(crate) fn advance_days(&self, days: u64) {
        self.advance(days * DAY);
    }

    /// Moves to 00:00:00 UTC of the next day.
    pub(crate) fn next_midnight(&self) {
        self.set_time((self.day() + 1) * DAY);
    }

    // ---- token mocks ----

    pub(crate) fn mock_transfer_from(&self, from: Address, amount: U256, reply: TokenReply) {
        self.chain.vm.mock_call(
            MOR,
            transfer_from_calldata(from, CONTRACT, amount),
            U256::ZERO,
            reply.result(),
        );
    }

    pub(crate) fn mock_transfer(&self, to: Address, amount: U256, reply: TokenReply) {
        self.chain.vm.mock_call(
            MOR,
            transfer_calldata(to, amount),
            U256::ZERO,
            reply.result(),
        );
    }

    /// Calls to the MOR token made by the latest transaction.
    pub(crate) fn tx_token_calls(&self) -> Vec<Vec<u8>> {
        self.tx_calls()
            .into_iter()
            .filter(|c| c.to == MOR)
            .map(|c| c.data)
            .collect()
    }

    // ---- funding ----

    /// `from` funds `amount`, the token agreeing.
    pub(crate) fn fund(&mut self, from: Address, amount: U256) -> Result<(), ComputeError> {
        if !self.simulating() {
            self.mock_transfer_from(from, amount, TokenReply::True);
        }
        self.tx(from, |c| c.fund(amount))
    }

    fn simulating(&self) -> bool {
        self.chain.sim(Option::is_some)
    }

    /// Gives `who` `amount` of the simulated token.
    pub(crate) fn mint(&self, who: Address, amount: U256) {
        self.chain
            .sim_mut(|s| s.as_mut().expect("no simulated token").mint(who, amount));
    }

    /// The simulated token's balance of `who`.
    pub(crate) fn token_balance(&self, who: Address) -> U256 {
        self.chain
            .sim(|s| s.as_ref().expect("no simulated token").balance(who))
    }

    // ---- settlement ----

    /// `key` signs the epoch root with the world's `deadline`; the `ecrecover` precompile is
    /// mocked with the real recovery of that signature. Returns the 65 signature bytes.
    pub(crate) fn sign_epoch_with(
        &self,
        key: &SigningKey,
        epoch: u64,
        root: B256,
        credited: U256,
        bootstrap: U256,
    ) -> Vec<u8> {
        let digest = epoch_digest_until(epoch, root, credited, bootstrap, self.deadline);
        let signature = sign_digest(key, digest);
        self.mock_ecrecover(&signature, digest);
        signature
    }

    /// The authorised router signs the epoch root.
    pub(crate) fn sign_epoch(
        &self,
        epoch: u64,
        root: B256,
        credited: U256,
        bootstrap: U256,
    ) -> Vec<u8> {
        let router = self.router.clone();
        self.sign_epoch_with(&router, epoch, root, credited, bootstrap)
    }

    /// Answers the `ecrecover` call the contract will make for `signature` over `digest`
    /// with what the precompile would return.
    pub(crate) fn mock_ecrecover(&self, signature: &[u8], digest: B256) {
        if let Ok(parsed) = Signature::parse(signature) {
            let input = parsed.ecrecover_input(digest);
            self.chain
                .vm
                .mock_static_call(ECRECOVER, input.to_vec(), Ok(ecrecover(&input)));
        }
    }

    /// `submitter` submits an epoch root with a 65-byte signature, sent in the contract's
    /// EIP-2098 compact form (no validation here: the contract does that).
    pub(crate) fn submit(
        &mut self,
        submitter: Address,
        epoch: u64,
        root: B256,
        credited: U256,
        bootstrap: U256,
        signature: Vec<u8>,
    ) -> Result<(), ComputeError> {
        let (r, vs) = compact(&signature);
        self.submit_compact(submitter, epoch, root, credited, bootstrap, r, vs)
    }

    /// `submitter` submits an epoch root with a compact `(r, vs)` signature and the world's
    /// `deadline`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn submit_compact(
        &mut self,
        submitter: Address,
        epoch: u64,
        root: B256,
        credited: U256,
        bootstrap: U256,
        r: B256,
        vs: B256,
    ) -> Result<(), ComputeError> {
        let deadline = self.deadline;
        self.tx(submitter, |c| {
            c.commit_epoch(epoch, root, credited, bootstrap, deadline, r, vs)
        })
    }

    /// The router signs and a stranger submits an epoch root.
    pub(crate) fn commit(
        &mut self,
        epoch: u64,
        root: B256,
        credited: U256,
        bootstrap: U256,
    ) -> Result<(), ComputeError> {
        let signature = self.sign_epoch(epoch, root, credited, bootstrap);
        self.submit(STRANGER, epoch, root, credited, bootstrap, signature)
    }

    /// Commits `tree` as `epoch`, its totals being the sums of its leaves.
    pub(crate) fn commit_tree(&mut self, epoch: u64, tree: &Tree) -> Result<(), ComputeError> {
        let (credited, bootstrap) = tree.totals();
        self.commit(epoch, tree.root(), credited, bootstrap)
    }

    // ---- the day's books ----

    /// `today()`'s cap.
    pub(crate) fn daily_cap(&self) -> U256 {
        self.c().today().1
    }

    /// `today()`'s credit committed today.
    pub(crate) fn credited_today(&self) -> U256 {
        self.c().today().2
    }

    /// `today()`'s (bootstrap limit, bootstrap credit committed today).
    pub(crate) fn bootstrap_today(&self) -> (U256, U256) {
        let (_, _, _, limit, bootstrap) = self.c().today();
        (limit, bootstrap)
    }

    /// Funded minus credited, from `totals()`.
    pub(crate) fn unused_pool(&self) -> U256 {
        let t = self.totals();
        t.funded - t.credited - t.bootstrap
    }

    /// The wei the contract's `emissionSchedule()` schedules on `day`.
    pub(crate) fn scheduled_emission(&self, day: u64) -> U256 {
        let (start_day, first_day, daily_decrease, _) = self.c().emission_schedule();
        yellowstone_protocol::emission::EmissionSchedule {
            start_day,
            first_day,
            daily_decrease,
        }
        .scheduled(day)
    }

    /// The latest committed epoch number, or `None`.
    pub(crate) fn epoch(&self) -> u64 {
        self.c().latest_epoch().0
    }

    // ---- claims ----

    /// `caller` claims `provider`'s leaf of `tree` (no token mock: use for refusals or when
    /// the token is simulated).
    pub(crate) fn claim(
        &mut self,
        caller: Address,
        tree: &Tree,
        provider: Address,
    ) -> Result<U256, ComputeError> {
        let leaf = tree.leaf(provider);
        let proof = tree.proof(provider);
        self.claim_raw(caller, leaf, proof)
    }

    pub(crate) fn claim_raw(
        &mut self,
        caller: Address,
        leaf: Leaf,
        proof: Vec<B256>,
    ) -> Result<U256, ComputeError> {
        self.tx(caller, |c| {
            c.claim(leaf.provider, leaf.earned, leaf.bootstrap, proof)
        })
    }

    /// `caller` claims `provider`'s leaf, the token accepting exactly `transfer(provider,
    /// pays)`; asserts the claim returned `pays` and made that one token call and no other.
    pub(crate) fn claim_paying(
        &mut self,
        caller: Address,
        tree: &Tree,
        provider: Address,
        pays: U256,
    ) -> U256 {
        self.mock_transfer(provider, pays, TokenReply::True);
        let paid = self.claim(caller, tree, provider).expect("claim succeeds");
        assert_eq!(paid, pays, "the claim pays what was expected");
        assert_eq!(
            self.tx_token_calls(),
            vec![transfer_calldata(provider, pays)],
            "one transfer to the provider"
        );
        paid
    }

    // ---- staking ----

    /// `provider` stakes `amount` until `lock_end`, the token agreeing.
    pub(crate) fn stake(
        &mut self,
        provider: Address,
        amount: U256,
        lock_end: u64,
    ) -> Result<(), ComputeError> {
        if !self.simulating() {
            self.mock_transfer_from(provider, amount, TokenReply::True);
        }
        self.tx(provider, |c| c.stake(amount, lock_end))
    }

    pub(crate) fn lock_claim(
        &mut self,
        provider: Address,
        new_end: u64,
    ) -> Result<(), ComputeError> {
        self.tx(provider, |c| c.lock_claim(new_end))
    }

    /// `provider` withdraws `amount`, the token agreeing to pay it.
    pub(crate) fn withdraw(&mut self, provider: Address, amount: U256) -> Result<(), ComputeError> {
        if !self.simulating() {
            self.mock_transfer(provider, amount, TokenReply::True);
        }
        self.tx(provider, |c| c.withdraw(amount))
    }

    /// The provider record as a struct.
    pub(crate) fn provider(&self, provider: Address) -> ProviderView {
        let (registered, stake, lock_start, lock_end, multiplier, weight, earned, claimed) =
            self.c().provider(provider);
        ProviderView {
            registered,
            stake,
            lock_start,
            lock_end,
            multiplier,
            weight,
            earned,
            claimed,
        }
    }

    /// The totals as a struct.
    pub(crate) fn totals(&self) -> Totals {
        let (funded, credited, bootstrap, claimed, staked) = self.c().totals();
        Totals {
            funded,
            credited,
            bootstrap,
            claimed,
            staked,
        }
    }
}

/// `provider(address)` as named fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ProviderView {
    pub(crate) registered: bool,
    pub(crate) stake: U256,
    pub(crate) lock_start: u64,
    pub(crate) lock_end: u64,
    pub(crate) multiplier: U256,
    pub(crate) weight: U256,
    pub(crate) earned: U256,
    pub(crate) claimed: U256,
}

/// `totals()` as named fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) funded: U256,
    pub(crate) credited: U256,
    pub(crate) bootstrap: U256,
    pub(crate) claimed: U256,
    pub(crate) staked: U256,
}

/// 1e18.
pub(crate) fn wad() -> U256 {
    mor(1)
}

/// Asserts `result` is the error `$variant` and returns its payload for field checks.
macro_rules! expect_err {
    ($result:expr, $variant:ident) => {
        match $result {
            Err(yellowstone_compute::ComputeError::$variant(inner)) => inner,
            Err(other) => panic!("expected {}, got {:?}", stringify!($variant), other),
            Ok(_) => panic!("expected {}, got Ok", stringify!($variant)),
        }
    };
}
pub(crate) use expect_err;

/// `r ++ s ++ v` (v as 27/28 or 0/1) in the EIP-2098 compact form `(r, vs)`, unvalidated.
pub(crate) fn compact(signature: &[u8]) -> (B256, B256) {
    let r = B256::from_slice(&signature[..32]);
    let mut vs = B256::from_slice(&signature[32..64]);
    if signature[64] % 27 == 1 {
        vs.0[0] |= 0x80;
    }
    (r, vs)
}
