// SPDX-License-Identifier: MIT
// The devnet's wstETH: an ERC-20 wrapping StEth shares one to one, as Lido's wstETH (written for
// the devnet, not Lido's code). Its balance does not rebase: a rebase changes what one wstETH is
// worth in stETH (`stEthPerToken`), which is why an AMM pair holds this and not stETH. `unwrap`
// returns the shares themselves (`transferShares`), so the wrapper's share balance always equals
// its supply. Devnet only.
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {StEth} from "./StEth.sol";

contract WstEth is ERC20 {
    /// The wrapped token.
    StEth public immutable stETH;

    /// Wrapping or unwrapping nothing is refused.
    error ZeroAmount();

    constructor(StEth stEth) ERC20("Wrapped liquid staked Ether 2.0", "wstETH") {
        stETH = stEth;
    }

    /// Pulls `stEthAmount` stETH from the caller and mints the shares it moved as wstETH.
    function wrap(uint256 stEthAmount) external returns (uint256 wstEthAmount) {
        if (stEthAmount == 0) revert ZeroAmount();
        wstEthAmount = stETH.getSharesByPooledEth(stEthAmount);
        if (wstEthAmount == 0) revert ZeroAmount();
        // moves exactly `wstEthAmount` shares (transferFrom converts the amount the same way)
        stETH.transferFrom(msg.sender, address(this), stEthAmount);
        _mint(msg.sender, wstEthAmount);
    }

    /// Burns `wstEthAmount` wstETH and returns as many stETH shares; returns their stETH worth.
    function unwrap(uint256 wstEthAmount) external returns (uint256) {
        if (wstEthAmount == 0) revert ZeroAmount();
        _burn(msg.sender, wstEthAmount);
        return stETH.transferShares(msg.sender, wstEthAmount);
    }

    function getWstETHByStETH(uint256 stEthAmount) external view returns (uint256) {
        return stETH.getSharesByPooledEth(stEthAmount);
    }

    function getStETHByWstETH(uint256 wstEthAmount) external view returns (uint256) {
        return stETH.getPooledEthByShares(wstEthAmount);
    }

    /// stETH one wstETH is worth (18 decimals).
    function stEthPerToken() external view returns (uint256) {
        return stETH.getPooledEthByShares(1 ether);
    }

    /// wstETH one stETH is worth (18 decimals).
    function tokensPerStEth() external view returns (uint256) {
        return stETH.getSharesByPooledEth(1 ether);
    }
}
