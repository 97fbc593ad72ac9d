// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.23;

/// Arbitrum's Stylus precompile at 0x71, as Nitro exposes it: activation, keepalive, the
/// programs' records and the Stylus parameters. The devnet serves every function, error and
/// event declared here (see docs/DEVNET.md).
interface ArbWasm {
    /// Activates the program at `program` (compiles it for the current Stylus version); the
    /// value must cover `dataFee`, the excess is refunded to the caller.
    function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
    /// The Stylus version activation compiles for.
    function stylusVersion() external view returns (uint16 version);
    /// The version of the active program with this code hash.
    function codehashVersion(bytes32 codehash) external view returns (uint16 version);
    /// Restarts the expiry clock of an active program; the value must cover the data fee.
    function codehashKeepalive(bytes32 codehash) external payable;
    /// The estimated size of the compiled program, in bytes (a multiple of 1,024).
    function codehashAsmSize(bytes32 codehash) external view returns (uint32 size);
    /// The version of the active program at `program`.
    function programVersion(address program) external view returns (uint16 version);
    /// The gas a call pays to enter the program, uncached and cached.
    function programInitGas(address program) external view returns (uint64 gas, uint64 gasWhenCached);
    /// The program's initial memory, in pages.
    function programMemoryFootprint(address program) external view returns (uint16 footprint);
    /// Seconds until the program expires.
    function programTimeLeft(address program) external view returns (uint64 _secs);
    /// Ink per EVM gas.
    function inkPrice() external view returns (uint32 price);
    /// The Wasm stack depth limit.
    function maxStackDepth() external view returns (uint32 depth);
    /// Wasm pages free per transaction.
    function freePages() external view returns (uint16 pages);
    /// Linear gas per page beyond the free ones.
    function pageGas() external view returns (uint16 gas);
    /// The ramp of the exponential memory cost.
    function pageRamp() external view returns (uint64 ramp);
    /// The largest initial memory a program may declare, in pages.
    function pageLimit() external view returns (uint16 limit);
    /// The base entry costs, uncached and cached.
    function minInitGas() external view returns (uint64 gas, uint64 cached);
    /// The scale of the predicted init cost, in percent.
    function initCostScalar() external view returns (uint64 percent);
    /// Days after which a program expires.
    function expiryDays() external view returns (uint16 _days);
    /// Days a program must be old before a keepalive.
    function keepaliveDays() external view returns (uint16 _days);
    /// Programs kept warm per block.
    function blockCacheSize() external view returns (uint16 count);
    /// Gas burned before each activation on top of the fixed charge.
    function activationGas() external view returns (uint64 gas);

    /// A program was activated.
    event ProgramActivated(bytes32 indexed codehash, bytes32 moduleHash, address program, uint256 dataFee, uint16 version);
    /// A program's expiry clock was restarted.
    event ProgramLifetimeExtended(bytes32 indexed codehash, uint256 dataFee);

    /// The code is not a Stylus program.
    error ProgramNotWasm();
    /// No program with this code hash was activated.
    error ProgramNotActivated();
    /// The program was activated for an older Stylus version.
    error ProgramNeedsUpgrade(uint16 version, uint16 stylusVersion);
    /// The program expired: activated (or kept alive) `ageInSeconds` ago.
    error ProgramExpired(uint64 ageInSeconds);
    /// The program is active for the current version: nothing to activate.
    error ProgramUpToDate();
    /// A keepalive is too soon: the program is only `ageInSeconds` old.
    error ProgramKeepaliveTooSoon(uint64 ageInSeconds);
    /// The value sent (`have`) does not cover the data fee (`want`).
    error ProgramInsufficientValue(uint256 have, uint256 want);
}

/// Arbitrum's Stylus program-cache precompile at 0x72: cached programs pay only the cached
/// entry cost.
interface ArbWasmCache {
    /// Whether `manager` is one of the chain's cache managers.
    function isCacheManager(address manager) external view returns (bool);
    /// The chain's cache managers.
    function allCacheManagers() external view returns (address[] memory managers);
    /// Deprecated before ArbOS 31 (reverts as an unknown method since); use `cacheProgram`.
    function cacheCodehash(bytes32 codehash) external;
    /// Caches the program at `addr` (a cache manager or the chain owner only).
    function cacheProgram(address addr) external;
    /// Evicts the program with this code hash (a cache manager or the chain owner only).
    function evictCodehash(bytes32 codehash) external;
    /// Whether the program with this code hash is cached (it may have expired).
    function codehashIsCached(bytes32 codehash) external view returns (bool);

    /// A program was cached or evicted by `manager`.
    event UpdateProgramCache(address indexed manager, bytes32 indexed codehash, bool cached);
}
