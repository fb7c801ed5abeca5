// Philox4x32-10 against the Random123 known-answer vectors, and the derived
// helpers (below, uniform, stream_of) for range and determinism.
#include <doctest/doctest.h>

#include <set>

#include "compiler/ir/philox.hpp"

using namespace tl::rng;

TEST_CASE("philox: Random123 known-answer vectors for philox4x32_10") {
  CHECK(philox4x32({0, 0, 0, 0}, 0, 0) == Block{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(philox4x32({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, 0xffffffff, 0xffffffff) ==
        Block{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(philox4x32({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0xa4093822, 0x299f31d0) ==
        Block{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
}

TEST_CASE("philox: evaluates at compile time") {
  static_assert(philox4x32({0, 0, 0, 0}, 0, 0)[0] == 0x6627e8d5);
}

TEST_CASE("philox: below stays in range and covers it") {
  const auto stream = stream_of("test");
  std::set<std::uint64_t> seen;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    const auto v = below(42, stream, 0, i, 7);
    CHECK(v < 7);
    seen.insert(v);
  }
  CHECK(seen.size() == 7);
  CHECK(below(42, stream, 0, 5, 1) == 0);
}

TEST_CASE("philox: draws depend on seed, stream and counter only") {
  CHECK(draw(1, 2, 3, 4) == draw(1, 2, 3, 4));
  CHECK(draw(1, 2, 3, 4) != draw(2, 2, 3, 4));
  CHECK(draw(1, 2, 3, 4) != draw(1, 3, 3, 4));
  CHECK(draw(1, 2, 3, 4) != draw(1, 2, 4, 4));
  CHECK(draw(1, 2, 3, 4) != draw(1, 2, 3, 5));
  CHECK(stream_of("shuffle") == stream_of("shuffle"));
  CHECK(stream_of("shuffle") != stream_of("split"));
  for (std::uint64_t i = 0; i < 100; ++i) {
    const float u = uniform(7, stream_of("u"), 0, i);
    CHECK(u >= 0.0f);
    CHECK(u < 1.0f);
  }
}
