//! The capital side on a chain, for the `capital_*` tests: the compute side deployed as the
//! devnet does it, then [`deploy_capital`] (genuine Uniswap V2, the stETH and wstETH fixtures, the
//! real capital contract Wasm), and the calls the tests make, every one a signed transaction from
//! a development account. Errors and events are decoded from the one definition of them,
//! `yellowstone_protocol::capital::abi`.

use alloy_primitives::{Address, TxKind, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent};
use yellowstone_devnet::capital::{deploy_capital, rebase_st_eth_ppm, CapitalConfig};
use yellowstone_devnet::chain::{BlockTag, Chain, LogFilter, Receipt};
use yellowstone_devnet::deploy::{deploy_yellowstone, DeployConfig, Deployment};
use yellowstone_devnet::fixtures::{IStEth, IWstEth};
use yellowstone_devnet::uniswap::IUniswapV2Pair;
use yellowstone_protocol::capital::abi::Initialized;
use yellowstone_protocol::dev::CapitalDeployment;
use yellowstone_protocol::schedule::LinearSchedule;

use super::{address_of, call, send};

sol! {
    /// The capital contract's functions (docs/CAPITAL.md; its errors and events are
    /// `yellowstone_protocol::capital::abi`).
    #[derive(Debug, PartialEq, Eq)]
    interface ICapital {
        function deposit(uint256 amount) external;
        function withdraw(uint256 amount) external;
        function claim() external returns (uint256 paid);
        function poke() external;
        function harvest() external;
        function fundCompute() external returns (uint256 sent);
        function bootstrapPool(uint256 nativeAmount) external;
        function setParameters(uint64 minLock, uint64 twapWindow, uint16 maxDeviationBps, uint16 slippageBps) external;
        function pause() external;
        function unpause() external;
        function transferOwnership(address newOwner) external;
        function acceptOwnership() external;
        function owner() external view returns (address);
        function pendingOwner() external view returns (address);
        function paused() external view returns (bool);
        function position(address account) external view returns (uint256 principal, uint64 unlockAt, uint256 owed);
        function totals() external view returns (uint256 principal, uint256 backing, uint256 distributed, uint256 paid, uint256 kept, uint256 computeSent, uint256 computeOwed);
        function harvestState() external view returns (uint64 lastHarvest, uint64 observedAt, uint256 observedCumulative, uint256 carriedWst, uint256 carriedNative, uint256 liquidity);
        function parameters() external view returns (uint64 minLock, uint64 twapWindow, uint16 maxDeviationBps, uint16 slippageBps);
        function config() external view returns (address stEth, address wstEth, address native, address pair, address compute, bool mintsNative);
        function schedule() external view returns (uint64 payoutStart, uint64 interval, uint256 capitalInitial, uint256 capitalDecrease, uint256 computeInitial, uint256 computeDecrease);
    }

    /// The ERC-20 calls the tests make on the native token and the pair's LP token.
    interface IToken {
        function balanceOf(address account) external view returns (uint256);
        function totalSupply() external view returns (uint256);
        function approve(address spender, uint256 value) external returns (bool);
        function transfer(address to, uint256 value) external returns (bool);
    }
}

pub(crate) use ICapital as C;

/// One token (18 decimals) in wei.
pub(crate) const WAD: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

/// `n` whole tokens (18 decimals) in wei.
pub(crate) fn tokens(n: u64) -> U256 {
    U256::from(n) * WAD
}

/// The chain with both sides deployed.
pub(crate) struct World {
    /// The chain.
    pub chain: Chain,
    /// The compute side: MOR and the compute contract.
    pub base: Deployment,
    /// The capital side.
    pub cap: CapitalDeployment,
    /// Where the compute bucket goes (the capital contract's `config().compute`).
    pub compute: Address,
}

/// The directory of the deployable artifacts (`<workspace>/target/stylus`).
fn artifacts_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/stylus")
}

/// Deploys the compute side, then the capital side with `config` (artifacts never built here:
/// a missing one fails, saying how to build it).
pub(crate) fn world(config: CapitalConfig) -> World {
    let mut chain = Chain::new();
    let dir = artifacts_dir();
    let base_config = DeployConfig {
        build_missing: false,
        ..DeployConfig::default()
    };
    let base = deploy_yellowstone(&mut chain, &dir, &base_config).unwrap_or_else(|e| {
        panic!(
            "deploying the compute side: {e} (build it with \
             `cargo run --bin yellowstone -- build-contract`)"
        )
    });
    let config = CapitalConfig {
        build_missing: false,
        ..config
    };
    let cap = deploy_capital(&mut chain, &dir, &base, &config).unwrap_or_else(|e| {
        panic!(
            "deploying the capital side: {e} (build it with `cargo run --bin yellowstone -- \
             build-contract --package yellowstone-capital`)"
        )
    });
    let mut w = World {
        chain,
        base,
        cap,
        compute: Address::ZERO,
    };
    w.compute = w.view(C::configCall {}).compute;
    w
}

impl World {
    /// `eth_call` of `c` on `to`, decoded; panics if it reverts.
    pub(crate) fn read<K: SolCall>(&self, to: Address, c: K) -> K::Return {
        let out = call(&self.chain, to, c.abi_encode())
            .unwrap_or_else(|e| panic!("{} reverted: {e}", K::SIGNATURE));
        K::abi_decode_returns(&out).unwrap()
    }

    /// A view of the capital contract.
    pub(crate) fn view<K: SolCall>(&self, c: K) -> K::Return {
        self.read(self.cap.capital, c)
    }

    /// Sends `c` to `to` from dev account `account`; the receipt, successful or not.
    pub(crate) fn send_to<K: SolCall>(&mut self, account: usize, to: Address, c: K) -> Receipt {
        send(&mut self.chain, account, TxKind::Call(to), c.abi_encode())
    }

    /// Sends `c` to `to` from `account` and asserts that it succeeded.
    pub(crate) fn ok_to<K: SolCall>(&mut self, account: usize, to: Address, c: K) -> Receipt {
        let receipt = self.send_to(account, to, c);
        assert!(
            receipt.status,
            "{} from account {account} reverted: 0x{}",
            K::SIGNATURE,
            alloy_primitives::hex::encode(&receipt.output)
        );
        receipt
    }

    /// Sends `c` to the capital contract from `account` and asserts that it succeeded.
    pub(crate) fn ok<K: SolCall>(&mut self, account: usize, c: K) -> Receipt {
        let capital = self.cap.capital;
        self.ok_to(account, capital, c)
    }

    /// Sends `c` to `to` from `account`, asserts that it reverted with error `E`; the error.
    pub(crate) fn refused_by<E: SolError, K: SolCall>(
        &mut self,
        account: usize,
        to: Address,
        c: K,
    ) -> E {
        let receipt = self.send_to(account, to, c);
        assert!(!receipt.status, "{} succeeded", K::SIGNATURE);
        E::abi_decode(&receipt.output).unwrap_or_else(|e| {
            panic!(
                "{} reverted with 0x{}, not {}: {e}",
                K::SIGNATURE,
                alloy_primitives::hex::encode(&receipt.output),
                E::SIGNATURE
            )
        })
    }

    /// Sends `c` to the capital contract from `account`, asserting a revert with `E`.
    pub(crate) fn refused<E: SolError, K: SolCall>(&mut self, account: usize, c: K) -> E {
        let capital = self.cap.capital;
        self.refused_by(account, capital, c)
    }

    // ---- time ---------------------------------------------------------------------------------

    /// The latest block's timestamp.
    pub(crate) fn now(&self) -> u64 {
        self.chain.latest_block().timestamp()
    }

    /// Moves the clock `seconds` forward and mines an empty block there.
    pub(crate) fn advance(&mut self, seconds: u64) {
        let at = self.now() + seconds;
        self.chain.mine(Some(at)).unwrap();
    }

    /// Makes the next transaction's block exactly `seconds` after the latest one.
    pub(crate) fn next_block_in(&mut self, seconds: u64) {
        let at = self.now() + seconds;
        self.chain.set_next_block_timestamp(at).unwrap();
    }

    // ---- the schedules -----------------------------------------------------------------------

    /// The (capital, compute) buckets the contract was deployed with, read from `schedule()`.
    pub(crate) fn buckets(&self) -> (LinearSchedule, LinearSchedule) {
        let s = self.view(C::scheduleCall {});
        let bucket = |initial, decrease| LinearSchedule {
            start: s.payoutStart,
            interval: s.interval,
            initial,
            decrease,
        };
        (
            bucket(s.capitalInitial, s.capitalDecrease),
            bucket(s.computeInitial, s.computeDecrease),
        )
    }

    /// When accrual began: the construction block's timestamp (its `Initialized` event), or the
    /// payout start if later.
    pub(crate) fn accrual_start(&self) -> u64 {
        let filter = LogFilter {
            from_block: BlockTag::Earliest,
            to_block: BlockTag::Latest,
            addresses: vec![self.cap.capital],
            topics: vec![Some(vec![Initialized::SIGNATURE_HASH])],
        };
        let logs = self.chain.logs(&filter).unwrap();
        assert_eq!(logs.len(), 1, "one Initialized event");
        logs[0].block_timestamp.max(self.buckets().0.start)
    }

    // ---- tokens -------------------------------------------------------------------------------

    /// `who`'s stETH.
    pub(crate) fn st_eth(&self, who: Address) -> U256 {
        self.read(self.cap.st_eth, IStEth::balanceOfCall { account: who })
    }

    /// `who`'s wstETH.
    pub(crate) fn wst_eth(&self, who: Address) -> U256 {
        self.read(self.cap.wst_eth, IWstEth::balanceOfCall { account: who })
    }

    /// `who`'s native token.
    pub(crate) fn native(&self, who: Address) -> U256 {
        self.read(self.cap.native, IToken::balanceOfCall { account: who })
    }

    /// The native token's total supply.
    pub(crate) fn native_supply(&self) -> U256 {
        self.read(self.cap.native, IToken::totalSupplyCall {})
    }

    /// The pair's LP tokens held by `who`.
    pub(crate) fn lp(&self, who: Address) -> U256 {
        self.read(self.cap.pair, IUniswapV2Pair::balanceOfCall { owner: who })
    }

    /// The pair's reserves as (wstETH, native).
    pub(crate) fn reserves(&self) -> (U256, U256) {
        let r = self.read(self.cap.pair, IUniswapV2Pair::getReservesCall {});
        let wst_first = self.read(self.cap.pair, IUniswapV2Pair::token0Call {}) == self.cap.wst_eth;
        let (a, b) = (U256::from(r.reserve0), U256::from(r.reserve1));
        if wst_first {
            (a, b)
        } else {
            (b, a)
        }
    }

    /// Rebases stETH by `ppm` parts per million of its pooled ether (negative: a slashing).
    pub(crate) fn rebase(&mut self, ppm: i64) {
        rebase_st_eth_ppm(&mut self.chain, self.cap.st_eth, ppm).unwrap();
    }

    /// `account` approves `spender` for `amount` of `token`.
    pub(crate) fn approve(
        &mut self,
        account: usize,
        token: Address,
        spender: Address,
        amount: U256,
    ) {
        self.ok_to(
            account,
            token,
            IToken::approveCall {
                spender,
                value: amount,
            },
        );
    }

    /// `account` wraps `st_eth` of its stETH into wstETH; the wstETH received.
    pub(crate) fn wrap(&mut self, account: usize, st_eth: U256) -> U256 {
        let (st, wst) = (self.cap.st_eth, self.cap.wst_eth);
        self.approve(account, st, wst, st_eth);
        let before = self.wst_eth(address_of(account));
        self.ok_to(
            account,
            wst,
            IWstEth::wrapCall {
                stEthAmount: st_eth,
            },
        );
        self.wst_eth(address_of(account)) - before
    }

    // ---- the capital contract -----------------------------------------------------------------

    /// `account` approves and deposits `amount` stETH; the receipt.
    pub(crate) fn deposit(&mut self, account: usize, amount: U256) -> Receipt {
        let (st, capital) = (self.cap.st_eth, self.cap.capital);
        self.approve(account, st, capital, amount);
        self.ok(account, C::depositCall { amount })
    }

    /// `account`'s (principal, unlockAt, owed).
    pub(crate) fn position(&self, account: usize) -> C::positionReturn {
        self.view(C::positionCall {
            account: address_of(account),
        })
    }

    /// The contract's totals.
    pub(crate) fn totals(&self) -> C::totalsReturn {
        self.view(C::totalsCall {})
    }

    /// The harvest's state.
    pub(crate) fn harvest_state(&self) -> C::harvestStateReturn {
        self.view(C::harvestStateCall {})
    }

    /// The owner (account 0) bootstraps the empty pair with `native` of the native token
    /// against the wrapped yield.
    pub(crate) fn bootstrap(&mut self, native: U256) -> Receipt {
        let (token, capital) = (self.cap.native, self.cap.capital);
        self.approve(0, token, capital, native);
        self.ok(
            0,
            C::bootstrapPoolCall {
                nativeAmount: native,
            },
        )
    }

    /// Deposits of 1,000 stETH by accounts 1 and 2, a 1% rebase, and the pair bootstrapped at
    /// 2,000 native per wstETH from that yield: a live pool whose observation is open.
    pub(crate) fn live_pool(&mut self) {
        self.deposit(1, tokens(1_000));
        self.deposit(2, tokens(1_000));
        self.rebase(10_000);
        let yielded = self.totals().backing - self.totals().principal;
        let wst = self.read(
            self.cap.wst_eth,
            IWstEth::getWstETHByStETHCall {
                stEthAmount: yielded,
            },
        );
        self.bootstrap(wst * U256::from(2_000u64));
    }

    /// The owner sets every parameter.
    pub(crate) fn set_parameters(
        &mut self,
        min_lock: u64,
        twap: u64,
        deviation: u16,
        slippage: u16,
    ) {
        self.ok(
            0,
            C::setParametersCall {
                minLock: min_lock,
                twapWindow: twap,
                maxDeviationBps: deviation,
                slippageBps: slippage,
            },
        );
    }
}

/// The events `E` in `receipt` emitted by `from`, decoded.
pub(crate) fn events<E: SolEvent>(receipt: &Receipt, from: Address) -> Vec<E> {
    receipt
        .logs
        .iter()
        .filter(|l| l.log.address == from && l.log.topics().first() == Some(&E::SIGNATURE_HASH))
        .map(|l| E::decode_log(&l.log).unwrap().data)
        .collect()
}

/// The one event `E` that `from` emitted in `receipt`.
pub(crate) fn event<E: SolEvent>(receipt: &Receipt, from: Address) -> E {
    let mut all = events::<E>(receipt, from);
    assert_eq!(all.len(), 1, "{} events {}", all.len(), E::SIGNATURE);
    all.remove(0)
}

// ---- one transaction, several calls ---------------------------------------------------------

/// Runtime code of a bundler: its calldata is a sequence of frames `target (word) ‖ length (word)
/// ‖ calldata (length bytes)`, each called in order with no value; the first call that fails
/// reverts the whole transaction with that call's revert data. An attacker's way of putting a
/// swap and someone else's `harvest` in one block, on a devnet that mines one transaction per
/// block (hand-assembled: 61 bytes, nothing to compile).
const BUNDLER_RUNTIME: [u8; 61] = [
    0x60, 0x00, // 00 PUSH1 0           ptr
    0x5b, //       02 JUMPDEST          loop: [ptr]
    0x36, //       03 CALLDATASIZE
    0x81, //       04 DUP2
    0x10, //       05 LT                ptr < calldatasize
    0x60, 0x0a, // 06 PUSH1 body
    0x57, //       08 JUMPI
    0x00, //       09 STOP
    0x5b, //       0a JUMPDEST          body: [ptr]
    0x80, //       0b DUP1
    0x35, //       0c CALLDATALOAD      target
    0x81, //       0d DUP2
    0x60, 0x20, // 0e PUSH1 32
    0x01, //       10 ADD
    0x35, //       11 CALLDATALOAD      len: [len, target, ptr]
    0x80, //       12 DUP1
    0x83, //       13 DUP4
    0x60, 0x40, // 14 PUSH1 64
    0x01, //       16 ADD
    0x60, 0x00, // 17 PUSH1 0
    0x37, //       19 CALLDATACOPY      memory[0..len] = frame's calldata
    0x60, 0x00, // 1a PUSH1 0           retSize
    0x60, 0x00, // 1c PUSH1 0           retOffset
    0x82, //       1e DUP3              argsSize = len
    0x60, 0x00, // 1f PUSH1 0           argsOffset
    0x60, 0x00, // 21 PUSH1 0           value
    0x86, //       23 DUP7              target
    0x5a, //       24 GAS
    0xf1, //       25 CALL              [ok, len, target, ptr]
    0x60, 0x33, // 26 PUSH1 next
    0x57, //       28 JUMPI
    0x3d, //       29 RETURNDATASIZE    failed: bubble the revert data up
    0x60, 0x00, // 2a PUSH1 0
    0x60, 0x00, // 2c PUSH1 0
    0x3e, //       2e RETURNDATACOPY
    0x3d, //       2f RETURNDATASIZE
    0x60, 0x00, // 30 PUSH1 0
    0xfd, //       32 REVERT
    0x5b, //       33 JUMPDEST          next: [len, target, ptr]
    0x90, //       34 SWAP1
    0x50, //       35 POP
    0x01, //       36 ADD
    0x60, 0x40, // 37 PUSH1 64
    0x01, //       39 ADD               ptr += 64 + len
    0x60, 0x02, // 3a PUSH1 loop
    0x56, //       3c JUMP
];

/// Deploys a bundler ([`BUNDLER_RUNTIME`]) from `account`; its address.
pub(crate) fn deploy_bundler(w: &mut World, account: usize) -> Address {
    // Init code: copy the runtime after these 11 bytes into memory and return it.
    let mut init = vec![0x60, 61, 0x80, 0x60, 11, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3];
    init.extend_from_slice(&BUNDLER_RUNTIME);
    let receipt = send(&mut w.chain, account, TxKind::Create, init);
    assert!(receipt.status, "deploying the bundler failed");
    receipt.contract_address.unwrap()
}

/// Calldata for a bundler: each `(target, call)` in order.
pub(crate) fn bundle(calls: &[(Address, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (target, data) in calls {
        out.extend_from_slice(target.into_word().as_slice());
        out.extend_from_slice(&U256::from(data.len()).to_be_bytes::<32>());
        out.extend_from_slice(data);
    }
    out
}
