#!/usr/bin/env python3
"""Exact reference values for the MRC40 power multiplier (SPEC section 5).

    multiplier(start, end) = 16.61327546 * (tanh(2(end-S)/D) - tanh(2(start-S)/D))

clamped to [1, 10.7], with S = 1721908800 and S+D = 2211192000; start and end are first
clamped into [S, S+D], and start >= end gives exactly 1. The contract returns the floor of the
exact value at 1e18 scale (`yellowstone_protocol::multiplier::power_multiplier`).

This script evaluates the formula with Python's `decimal` at 60 significant digits (stdlib
only, no floats: `decimal.exp` and `decimal.ln` are correctly rounded, so the output is the
same on every platform) and writes the fixture read by `contracts/protocol/tests/it/multiplier.rs`.

Usage (from anywhere):

    scripts/multiplier_reference.py              # (re)write the fixture
    scripts/multiplier_reference.py --check      # regenerate in memory; exit 1 if it differs
    scripts/multiplier_reference.py --constants  # print the fixed-point tables of multiplier.rs
    scripts/multiplier_reference.py START END    # print one exact value (unix seconds)

Fixture format: `#` lines are comments; every other line is `start end expected`, all decimal
integers, where `expected = floor(exact multiplier * 10^24)`, so the error of a 1e18-scaled
result can be measured to 1e-24 (a millionth of its last digit).

Distribution of the pairs (100,000 in all, drawn from a Mersenne Twister seeded with SEED and
used only through `getrandbits`, which is stable across Python versions); "Y" is 365 days:

    30,000  inside    start, end uniform in [S, S+D], sorted so start <= end
    15,000  locks     start uniform in [S-1Y, S+D], end = start + uniform [1 s, 10Y]
    15,000  wide      start, end independent, uniform in [S-5Y, S+D+5Y] (half have start > end)
    10,000  before    start uniform in [0, S], end uniform in [0, S+D+5Y]
    10,000  tiny      start uniform in [S-1000, S+D+1000], end = start + uniform [-10, 10000] s
     5,000  near 1    end within +-2000 s of where the unclamped value crosses 1
     5,000  near 10.7 end within +-2000 s of where the unclamped value crosses 10.7
     5,000  edges     one side from {0, 1, S-1, S, S+1, S+D-1, S+D, S+D+1, 2^64-1, 2^256-1},
                      the other uniform in [0, S+D+5Y] or also from that set
     5,000  huge      each side either uniform in [0, S+D+5Y] or a random integer of a random
                      bit length up to 256
"""

import argparse
import os
import random
import sys
from decimal import ROUND_FLOOR, Decimal, localcontext

S = 1_721_908_800
END = 2_211_192_000
D = END - S
POWER_MAX = Decimal("16.61327546")
LOW = Decimal(1)
HIGH = Decimal("10.7")
DAY = 86_400
YEAR = 365 * DAY

PRECISION = 60
SCALE_DIGITS = 24
SEED = 20_240_725
FRAC_BITS = 120
TAYLOR_DEGREE = 16

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(
    HERE, "..", "contracts", "protocol", "tests", "fixtures", "multiplier_reference.txt"
)


def clamp_offset(t):
    """Seconds since S after clamping t into [S, S+D]."""
    return min(max(t, S), END) - S


def exact(start, end):
    """The exact clamped multiplier as a Decimal (60 significant digits)."""
    if start >= end:
        return LOW
    a, b = clamp_offset(start), clamp_offset(end)
    if a >= b:
        return LOW
    with localcontext() as ctx:
        ctx.prec = PRECISION
        ea = (Decimal(4 * a) / D).exp()  # e^(2x) with x = 2a/D
        eb = (Decimal(4 * b) / D).exp()
        # tanh(x) = 1 - 2 / (e^(2x) + 1)
        value = POWER_MAX * (2 / (ea + 1) - 2 / (eb + 1))
    return min(max(value, LOW), HIGH)


def scaled(value, digits):
    """floor(value * 10^digits) as an int."""
    with localcontext() as ctx:
        ctx.prec = PRECISION + 10
        return int((value.scaleb(digits)).to_integral_value(rounding=ROUND_FLOOR))


def crossing(a, level):
    """The offset b (seconds since S, not rounded) where the unclamped value from offset a
    reaches `level`, or None if it never does inside the window."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        ea = (Decimal(4 * a) / D).exp()
        y = (ea - 1) / (ea + 1) + level / POWER_MAX  # tanh(x_b)
        e2 = Decimal(4).exp()
        if y >= (e2 - 1) / (e2 + 1):
            return None
        x = ((1 + y) / (1 - y)).ln() / 2  # atanh(y)
        return x * D / 2


class Rng:
    """Integers from a seeded Mersenne Twister through getrandbits only."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def below(self, n):
        k = n.bit_length()
        while True:
            v = self.r.getrandbits(k)
            if v < n:
                return v

    def between(self, lo, hi):
        """Uniform in [lo, hi], both included."""
        return lo + self.below(hi - lo + 1)


EDGES = [0, 1, S - 1, S, S + 1, END - 1, END, END + 1, 2**64 - 1, 2**256 - 1]


def pairs():
    rng = Rng(SEED)
    out = []

    for _ in range(30_000):  # inside
        x, y = rng.between(S, END), rng.between(S, END)
        out.append((min(x, y), max(x, y)))
    for _ in range(15_000):  # locks
        start = rng.between(S - YEAR, END)
        out.append((start, start + rng.between(1, 10 * YEAR)))
    for _ in range(15_000):  # wide
        out.append((rng.between(S - 5 * YEAR, END + 5 * YEAR),
                    rng.between(S - 5 * YEAR, END + 5 * YEAR)))
    for _ in range(10_000):  # before
        out.append((rng.between(0, S), rng.between(0, END + 5 * YEAR)))
    for _ in range(10_000):  # tiny
        start = rng.between(S - 1000, END + 1000)
        out.append((start, start + rng.between(-10, 10_000)))
    for level in (LOW, HIGH):  # near the clamps
        made = 0
        while made < 5_000:
            a = rng.between(0, D)
            b = crossing(a, level)
            if b is None:
                continue
            end = S + int(b) + rng.between(-2000, 2000)
            out.append((S + a, end))
            made += 1
    for _ in range(5_000):  # edges
        edge = EDGES[rng.below(len(EDGES))]
        if rng.below(2):
            other = EDGES[rng.below(len(EDGES))]
        else:
            other = rng.between(0, END + 5 * YEAR)
        out.append((edge, other) if rng.below(2) else (other, edge))

    def huge():
        if rng.below(2):
            return rng.between(0, END + 5 * YEAR)
        return rng.r.getrandbits(rng.between(1, 256))

    for _ in range(5_000):
        out.append((huge(), huge()))
    return out


def render():
    lines = [
        "# MRC40 power multiplier reference, generated by scripts/multiplier_reference.py.",
        "# Do not edit: regenerate with the script; `--check` verifies this file.",
        f"# Decimal precision {PRECISION} digits, seed {SEED}; distribution in the script's doc.",
        f"# Format: start end floor(exact * 10^{SCALE_DIGITS}), unix seconds, decimal integers.",
    ]
    for start, end in pairs():
        lines.append(f"{start} {end} {scaled(exact(start, end), SCALE_DIGITS)}")
    return "\n".join(lines) + "\n"


def constants():
    """The fixed-point tables of contracts/protocol/src/multiplier.rs, as Rust source."""
    one = 2**FRAC_BITS

    def fixed(value):
        with localcontext() as ctx:
            ctx.prec = 100
            return int((value * one).to_integral_value(rounding=ROUND_FLOOR))

    def rust(name, doc, values):
        print(f"/// {doc}")
        print(f"const {name}: [u128; {len(values)}] = [")
        for v in values:
            print(f"    {v:_},")
        print("];")

    with localcontext() as ctx:
        ctx.prec = 100
        rust("EXP_INT", "`floor(e^n * 2^120)` for n = 0..=4.",
             [fixed(Decimal(n).exp()) for n in range(5)])
        rust("EXP_SIXTEENTHS", "`floor(e^(j/16) * 2^120)` for j = 0..16.",
             [fixed((Decimal(j) / 16).exp()) for j in range(16)])
        fact = 1
        inv = []
        for k in range(TAYLOR_DEGREE + 1):
            fact *= max(k, 1)
            inv.append(fixed(Decimal(1) / fact))
        rust("INV_FACTORIAL", f"`floor(2^120 / k!)` for k = 0..={TAYLOR_DEGREE}.", inv)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="regenerate in memory and compare with the committed fixture")
    parser.add_argument("--constants", action="store_true",
                        help="print the fixed-point tables used by multiplier.rs")
    parser.add_argument("--out", default=FIXTURE, help="fixture path (default: %(default)s)")
    parser.add_argument("times", nargs="*", type=int, metavar="START END",
                        help="print the exact value for one pair of unix timestamps")
    args = parser.parse_args()

    if args.constants:
        constants()
        return 0
    if args.times:
        if len(args.times) != 2:
            parser.error("give exactly two timestamps: START END")
        value = exact(*args.times)
        print(value)
        print(f"floor at 1e18: {scaled(value, 18)}")
        return 0

    text = render()
    if args.check:
        try:
            with open(args.out, encoding="ascii") as f:
                committed = f.read()
        except OSError as err:
            print(f"cannot read {args.out}: {err}", file=sys.stderr)
            return 1
        if committed == text:
            print(f"{args.out}: up to date ({text.count(chr(10))} lines)")
            return 0
        old, new = committed.splitlines(), text.splitlines()
        for i, (x, y) in enumerate(zip(old, new)):
            if x != y:
                print(f"{args.out}:{i + 1}: differs\n  committed:   {x}\n  regenerated: {y}",
                      file=sys.stderr)
                return 1
        print(f"{args.out}: {len(old)} lines committed, {len(new)} regenerated", file=sys.stderr)
        return 1

    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="ascii") as f:
        f.write(text)
    print(f"wrote {args.out} ({text.count(chr(10))} lines, {len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
