// SPDX-License-Identifier: MIT
// A stand-in for the compute contract's `fund(uint256)`: pulls the amount with transferFrom, as
// the compute contract does, unless its owner has switched it to revert. For testing that a
// failed funding is remembered and retried. Devnet only.
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

contract ToggleFund is Ownable {
    using SafeERC20 for IERC20;

    /// The token `fund` pulls.
    IERC20 public immutable token;
    /// Whether `fund` reverts.
    bool public reverting;
    /// Everything funded so far.
    uint256 public funded;

    /// `from` funded `amount`.
    event Funded(address indexed from, uint256 amount);

    /// `fund` is switched off.
    error FundingSwitchedOff(uint256 amount);

    constructor(IERC20 token_) Ownable(msg.sender) {
        token = token_;
    }

    /// Switches `fund` to revert (`true`) or to accept (`false`): owner only.
    function setReverting(bool value) external onlyOwner {
        reverting = value;
    }

    function fund(uint256 amount) external {
        if (reverting) revert FundingSwitchedOff(amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
        funded += amount;
        emit Funded(msg.sender, amount);
    }
}
