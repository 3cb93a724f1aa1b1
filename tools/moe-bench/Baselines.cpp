//===- Baselines.cpp - what moe-bench measures moec against ---------------===//
#include "Baselines.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include <unistd.h>

namespace moec::bench {

std::string baselineScript(const std::string &name) {
  char exe[4096];
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string dir(exe, static_cast<size_t>(n));
    dir.resize(dir.rfind('/'));
    std::string installed = dir + "/../share/moec/moe-bench/" + name;
    if (::access(installed.c_str(), R_OK) == 0)
      return installed;
  }
  return std::string(MOEC_SOURCE_DIR) + "/tools/moe-bench/" + name;
}

double medianSeconds(int repeats, const std::function<void()> &fn) {
  fn(); // warm-up: page-in, caches, thread pool
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    auto start = std::chrono::steady_clock::now();
    fn();
    times.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

double readBandwidth() {
  const size_t words = (size_t(1) << 30) / sizeof(uint64_t);
  std::vector<uint64_t> data(words, 1);
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  double best = 1e30;
  std::vector<uint64_t> sums(threads);
  for (int r = 0; r < 5; ++r) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    size_t chunk = words / threads;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        uint64_t a = 0, b = 0, c = 0, d = 0;
        const uint64_t *p = data.data() + t * chunk;
        for (size_t j = 0; j + 4 <= chunk; j += 4) {
          a += p[j];
          b += p[j + 1];
          c += p[j + 2];
          d += p[j + 3];
        }
        sums[t] = a + b + c + d;
      });
    for (auto &th : pool)
      th.join();
    best = std::min(best, std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - start)
                              .count());
  }
  return words * sizeof(uint64_t) / best;
}

double copyBandwidth() {
  const size_t bytes = size_t(1) << 30;
  std::vector<char> src(bytes, 1), dst(bytes, 0);
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  double best = 1e30;
  for (int r = 0; r < 5; ++r) {
    auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    size_t chunk = bytes / threads;
    for (unsigned t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        std::memcpy(dst.data() + t * chunk, src.data() + t * chunk, chunk);
      });
    for (auto &th : pool)
      th.join();
    best = std::min(best, std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - start)
                              .count());
  }
  return bytes / best;
}

} // namespace moec::bench
