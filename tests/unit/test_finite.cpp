// The numerical guard's scan (runtime/train/finite.hpp): every position of
// the vectorized blocks and of the tail, every kind of non-finite value.
#include <doctest/doctest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <vector>

#include "runtime/train/finite.hpp"

using tl::train::all_finite;

TEST_CASE("all_finite finds a NaN or an infinity anywhere, and passes every finite value") {
  const float bad[] = {std::numeric_limits<float>::quiet_NaN(), -std::numeric_limits<float>::quiet_NaN(),
                       std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                       std::numeric_limits<float>::signaling_NaN()};
  for (const std::size_t n : {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17}, std::size_t{45}}) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = (i % 2 ? -1.0f : 1.0f) * static_cast<float>(i) * 1e3f;
    CHECK(all_finite(v.data(), n));
    for (std::size_t at = 0; at < n; ++at)
      for (const float x : bad) {
        std::vector<float> w = v;
        w[at] = x;
        CAPTURE(n);
        CAPTURE(at);
        CHECK_FALSE(all_finite(w.data(), n));
      }
  }
  const std::vector<float> edges = {FLT_MAX, -FLT_MAX, FLT_MIN, FLT_TRUE_MIN, -FLT_TRUE_MIN, 0.0f, -0.0f,
                                    std::nextafter(FLT_MAX, 0.0f)};
  CHECK(all_finite(edges.data(), edges.size()));
  CHECK(all_finite(nullptr, 0));
}
