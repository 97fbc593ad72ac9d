// SPDX-License-Identifier: MIT
// The devnet's stETH: a share-based rebasing token with Lido's accounting (written for the
// devnet, not Lido's code). Holders own shares; a balance is `shares * pooled / totalShares`
// rounded down, and a transfer of `amount` moves `amount * totalShares / pooled` shares rounded
// down, so the recipient can receive a wei or two less than `amount`, as with Lido's stETH.
// The oracle (the deployer) sets the total pooled ether up (staking rewards) or down (a
// slashing): every balance follows, shares never move. `mint` is a faucet for tests and the
// demo, standing in for Lido's `submit` (staking ether). Devnet only.
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";

contract StEth is IERC20Metadata {
    /// The account allowed to rebase.
    address public immutable oracle;

    uint256 private _totalPooledEther;
    uint256 private _totalShares;
    mapping(address account => uint256) private _shares;
    mapping(address owner => mapping(address spender => uint256)) private _allowances;

    /// Shares moved, beside every `Transfer` (as Lido's `TransferShares`).
    event TransferShares(address indexed from, address indexed to, uint256 sharesValue);
    /// `amount` minted by the faucet for `shares` new shares (as Lido's `submit` logs a stake).
    event Submitted(address indexed sender, uint256 amount, uint256 shares);
    /// The oracle moved the total pooled ether.
    event Rebased(uint256 preTotalPooledEther, uint256 postTotalPooledEther, uint256 totalShares);

    /// Only the oracle may rebase.
    error NotOracle(address caller);
    /// `amount` buys no whole share at the current rate (it would be a gift to the holders).
    error ZeroShares(uint256 amount);
    /// A rebase with no shares outstanding, or to zero pooled ether while shares exist.
    error InvalidRebase(uint256 totalShares, uint256 totalPooledEther);
    /// `account` holds `held` shares, fewer than the `needed`.
    error InsufficientShares(address account, uint256 held, uint256 needed);
    /// `spender` may spend `allowed` of `owner`'s tokens, less than `needed`.
    error InsufficientAllowance(address owner, address spender, uint256 allowed, uint256 needed);
    /// Shares go neither to the zero address nor to the token itself; nobody approves the zero address.
    error InvalidAddress(address account);

    constructor() {
        oracle = msg.sender;
    }

    function name() external pure returns (string memory) {
        return "Liquid staked Ether 2.0";
    }

    function symbol() external pure returns (string memory) {
        return "stETH";
    }

    function decimals() external pure returns (uint8) {
        return 18;
    }

    /// The total supply is the pooled ether.
    function totalSupply() external view returns (uint256) {
        return _totalPooledEther;
    }

    function getTotalPooledEther() external view returns (uint256) {
        return _totalPooledEther;
    }

    function getTotalShares() external view returns (uint256) {
        return _totalShares;
    }

    function sharesOf(address account) external view returns (uint256) {
        return _shares[account];
    }

    function balanceOf(address account) external view returns (uint256) {
        return getPooledEthByShares(_shares[account]);
    }

    /// Shares worth `ethAmount` at the current rate, rounded down (1:1 before the first stake).
    function getSharesByPooledEth(uint256 ethAmount) public view returns (uint256) {
        if (_totalPooledEther == 0) return ethAmount;
        return ethAmount * _totalShares / _totalPooledEther;
    }

    /// Ether `sharesAmount` shares are worth at the current rate, rounded down.
    function getPooledEthByShares(uint256 sharesAmount) public view returns (uint256) {
        if (_totalShares == 0) return 0;
        return sharesAmount * _totalPooledEther / _totalShares;
    }

    /// Faucet: mints `amount` stETH worth of shares (rounded down) to `to`, as if `to` staked.
    function mint(address to, uint256 amount) external returns (uint256) {
        return _mintFor(to, amount);
    }

    /// Sets the total pooled ether (a positive or negative rebase): oracle only.
    function rebase(uint256 totalPooledEther) external {
        if (msg.sender != oracle) revert NotOracle(msg.sender);
        if (_totalShares == 0 || totalPooledEther == 0) {
            revert InvalidRebase(_totalShares, totalPooledEther);
        }
        emit Rebased(_totalPooledEther, totalPooledEther, _totalShares);
        _totalPooledEther = totalPooledEther;
    }

    function allowance(address owner, address spender) external view returns (uint256) {
        return _allowances[owner][spender];
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        if (spender == address(0)) revert InvalidAddress(spender);
        _allowances[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        _transfer(msg.sender, to, amount);
        return true;
    }

    /// Spends `amount` of the allowance (an allowance of `type(uint256).max` is never spent).
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        _spendAllowance(from, amount);
        _transfer(from, to, amount);
        return true;
    }

    /// Moves `sharesAmount` shares exactly; returns the ether they are worth.
    function transferShares(address to, uint256 sharesAmount) external returns (uint256) {
        uint256 amount = getPooledEthByShares(sharesAmount);
        _moveShares(msg.sender, to, sharesAmount);
        emit Transfer(msg.sender, to, amount);
        emit TransferShares(msg.sender, to, sharesAmount);
        return amount;
    }

    function _mintFor(address to, uint256 amount) private returns (uint256 sharesAmount) {
        if (to == address(0)) revert InvalidAddress(to);
        sharesAmount = getSharesByPooledEth(amount);
        if (sharesAmount == 0) revert ZeroShares(amount);
        _totalShares += sharesAmount;
        _shares[to] += sharesAmount;
        _totalPooledEther += amount;
        emit Submitted(to, amount, sharesAmount);
        emit Transfer(address(0), to, getPooledEthByShares(sharesAmount));
        emit TransferShares(address(0), to, sharesAmount);
    }

    function _transfer(address from, address to, uint256 amount) private {
        uint256 sharesAmount = getSharesByPooledEth(amount);
        _moveShares(from, to, sharesAmount);
        emit Transfer(from, to, amount);
        emit TransferShares(from, to, sharesAmount);
    }

    function _moveShares(address from, address to, uint256 sharesAmount) private {
        if (to == address(0) || to == address(this)) revert InvalidAddress(to);
        uint256 held = _shares[from];
        if (sharesAmount > held) revert InsufficientShares(from, held, sharesAmount);
        unchecked {
            _shares[from] = held - sharesAmount;
        }
        _shares[to] += sharesAmount;
    }

    function _spendAllowance(address owner, uint256 amount) private {
        uint256 allowed = _allowances[owner][msg.sender];
        if (allowed == type(uint256).max) return;
        if (amount > allowed) revert InsufficientAllowance(owner, msg.sender, allowed, amount);
        unchecked {
            _allowances[owner][msg.sender] = allowed - amount;
        }
    }
}
