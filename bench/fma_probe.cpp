// fma_probe: measures this machine's FP32 peak, rather than assuming it. Each
// thread runs a loop of independent fused multiply-adds on registers (16
// chains, enough to hide the FMA latency on every x86 core with two FMA
// pipes), with the widest vectors the CPU has (AVX-512, else AVX2+FMA), for a
// fixed time; a multiply-add counts 2 FLOP, as tl's cost model counts it.
// Prints JSON: the ISA, GFLOP/s on 1 thread and on N threads (default: all
// cores), best of 5 runs each.
//   fma_probe [--threads N] [--seconds S]
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr long kChunk = 1 << 16;  // iterations between clock reads

// One probe per ISA, compiled for it (a target attribute does not reach into
// templates, so the loop is a macro): 16 chains c = c * a + b on registers.
#define TL_FMA_PROBE(NAME, TARGET, V, FMA, SET, LANES)                                  \
  __attribute__((target(TARGET))) double NAME(double seconds, float* sink) {            \
    V a = SET(1.0000001f), b = SET(0.9999999f);                                          \
    V c[16];                                                                             \
    for (int i = 0; i < 16; ++i) c[i] = SET(static_cast<float>(i));                      \
    long iterations = 0;                                                                 \
    const auto start = Clock::now();                                                     \
    double elapsed = 0;                                                                  \
    do {                                                                                 \
      for (long k = 0; k < kChunk; ++k) {                                                \
        _Pragma("GCC unroll 16") for (int i = 0; i < 16; ++i) c[i] = FMA(c[i], a, b);     \
        __asm__ volatile("" : "+v"(a)); /* keeps the chains from being folded */         \
      }                                                                                  \
      iterations += kChunk;                                                              \
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();             \
    } while (elapsed < seconds);                                                         \
    V sum = c[0];                                                                        \
    for (int i = 1; i < 16; ++i) sum = FMA(sum, b, c[i]);                                \
    float out[LANES];                                                                    \
    std::memcpy(out, &sum, sizeof(V));                                                   \
    *sink += out[0];                                                                     \
    return static_cast<double>(iterations) * 16 * LANES * 2 / elapsed;                   \
  }

TL_FMA_PROBE(probe512, "avx512f", __m512, _mm512_fmadd_ps, _mm512_set1_ps, 16)
TL_FMA_PROBE(probe256, "avx2,fma", __m256, _mm256_fmadd_ps, _mm256_set1_ps, 8)
#undef TL_FMA_PROBE

// FLOP/s summed over `threads` threads running the probe at once.
double measure(bool wide, int threads, double seconds) {
  std::vector<double> rates(static_cast<std::size_t>(threads));
  std::vector<float> sinks(static_cast<std::size_t>(threads));
  std::atomic<int> ready{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < threads) {
      }
      const auto i = static_cast<std::size_t>(t);
      rates[i] = wide ? probe512(seconds, &sinks[i]) : probe256(seconds, &sinks[i]);
    });
  for (auto& th : pool) th.join();
  double total = 0;
  for (double r : rates) total += r;
  if (sinks[0] == 12345.678f) std::puts("");  // keeps the results observable
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  double seconds = 0.2;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (arg == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
    else {
      std::fprintf(stderr, "usage: fma_probe [--threads N] [--seconds S]\n");
      return 2;
    }
  }
  if (threads < 1 || seconds <= 0) {
    std::fprintf(stderr, "fma_probe: --threads must be >= 1 and --seconds > 0\n");
    return 2;
  }
  __builtin_cpu_init();
  const bool wide = __builtin_cpu_supports("avx512f");
  if (!wide && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
    std::fprintf(stderr, "fma_probe: this CPU has neither AVX-512 nor AVX2+FMA\n");
    return 1;
  }
  double one = 0, all = 0;
  for (int r = 0; r < 5; ++r) one = std::max(one, measure(wide, 1, seconds));
  for (int r = 0; r < 5; ++r) all = std::max(all, measure(wide, threads, seconds));
  std::printf("{\"isa\": \"%s\", \"threads\": %d, \"gflops_1_thread\": %.1f, \"gflops_all_threads\": %.1f}\n",
              wide ? "avx512f" : "avx2+fma", threads, one * 1e-9, all * 1e-9);
  return 0;
}
