// Counter-based random numbers (Philox4x32-10, Salmon et al., SC'11): part of
// the IR's definition (DropoutMask draws Philox(seed, stream, step, index)), and
// the one generator of the runtime (initialisation, shuffling, splits).
// Every random draw in tl is a pure function of (seed, stream, counter), so the
// reference executor, the JIT and any thread split draw identical numbers:
//   stream  separates uses (init of each tensor, shuffling, each dropout layer),
//   counter indexes the draw within that use (e.g. step and element index).
#pragma once

#include <array>
#include <cstdint>

namespace tl::rng {

using Block = std::array<std::uint32_t, 4>;

/// Ten Philox rounds over a 128-bit counter with a 64-bit key.
constexpr Block philox4x32(Block ctr, std::uint32_t k0, std::uint32_t k1) {
  constexpr std::uint32_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;
  constexpr std::uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = std::uint64_t{m0} * ctr[0];
    const std::uint64_t p1 = std::uint64_t{m1} * ctr[2];
    ctr = {static_cast<std::uint32_t>(p1 >> 32) ^ ctr[1] ^ k0, static_cast<std::uint32_t>(p1),
           static_cast<std::uint32_t>(p0 >> 32) ^ ctr[3] ^ k1, static_cast<std::uint32_t>(p0)};
    k0 += w0;
    k1 += w1;
  }
  return ctr;
}

/// The four 32-bit words for (seed, stream, hi, lo): key = seed, counter =
/// (lo, hi, stream low, stream high).
constexpr Block draw(std::uint64_t seed, std::uint64_t stream, std::uint32_t hi, std::uint32_t lo) {
  return philox4x32({lo, hi, static_cast<std::uint32_t>(stream), static_cast<std::uint32_t>(stream >> 32)},
                    static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
}

/// Uniform float in [0, 1) from the top 24 bits of a word (exact in float).
constexpr float to_unit_float(std::uint32_t word) { return static_cast<float>(word >> 8) * (1.0f / 16777216.0f); }

/// The index-th uniform [0,1) float of (seed, stream, hi): element `index`
/// uses word index % 4 of block index / 4.
constexpr float uniform(std::uint64_t seed, std::uint64_t stream, std::uint32_t hi, std::uint64_t index) {
  const Block b = draw(seed, stream, hi, static_cast<std::uint32_t>(index / 4));
  return to_unit_float(b[index % 4]);
}

/// A uniform integer in [0, n) for n > 0 (64-bit draw, multiply-shift; bias
/// is below 2^-32 for any n that fits in 32 bits).
constexpr std::uint64_t below(std::uint64_t seed, std::uint64_t stream, std::uint32_t hi, std::uint32_t lo,
                              std::uint64_t n) {
  const Block b = draw(seed, stream, hi, lo);
  const std::uint64_t r = (std::uint64_t{b[0]} << 32) | b[1];
  return static_cast<std::uint64_t>((static_cast<unsigned __int128>(r) * n) >> 64);
}

/// Stable stream ids derived from a name (FNV-1a), so "dense_1/kernel" or
/// "dropout" + layer index always map to the same stream.
constexpr std::uint64_t stream_of(const char* text, std::uint64_t salt = 0) {
  std::uint64_t h = 0xcbf29ce484222325ull ^ salt;
  for (; *text; ++text) h = (h ^ static_cast<unsigned char>(*text)) * 0x100000001b3ull;
  return h;
}

}  // namespace tl::rng
