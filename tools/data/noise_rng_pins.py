#!/usr/bin/python3
"""The pinned random numbers of examples/noise2noise/tests/test_noise.cpp, computed here in pure
Python from the documented algorithms, apart from the C++ code they pin: splitmix64
(include/ctnn/core/init.hpp: the uniform in [0, 1) is the top 53 bits times 2^-53) and the
Marsaglia polar method of n2n::NoiseRng::normal (u, v = 2 U - 1 until 0 < u^2 + v^2 < 1; then
u s, and v s on the next call, with s = sqrt(-2 ln r2 / r2)).

    /usr/bin/python3 tools/data/noise_rng_pins.py

prints the values the test pins. They change only if one of the two algorithms changes, which
changes every data set built from a seed.
"""

import math

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed

    def next_u64(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform01(self):
        return (self.next_u64() >> 11) * 2.0**-53


def polar_normals(rng, count):
    """`count` (even) standard normals and the number of pairs rejected on the way."""
    out, rejected = [], 0
    while len(out) < count:
        u = 2 * rng.uniform01() - 1
        v = 2 * rng.uniform01() - 1
        r2 = u * u + v * v
        if r2 >= 1 or r2 == 0:
            rejected += 1
            continue
        scale = math.sqrt(-2 * math.log(r2) / r2)
        out += [u * scale, v * scale]
    return out, rejected


def main():
    seed = 42
    print(f"NoiseRng({seed}).next_u64(): {SplitMix64(seed).next_u64()}")
    rng = SplitMix64(seed)
    normals, rejected = polar_normals(rng, 6)
    print(f"the first 6 normals of seed {seed} ({rejected} pair(s) rejected):")
    for x in normals:
        print(f"  {x!r}")
    print(f"the next u64 after them: {rng.next_u64()}")


if __name__ == "__main__":
    main()
