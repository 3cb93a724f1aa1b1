//===- Bench.h - moe-bench's benchmarks ------------------------*- C++ -*-===//
#ifndef MOEC_TOOLS_MOEBENCH_BENCH_H
#define MOEC_TOOLS_MOEBENCH_BENCH_H

#include "moec/Conversion/MoEToVector.h"
#include "moec/Model/Checkpoint.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moec::bench {

struct LayerBenchOptions {
  std::vector<int64_t> tokens{1, 16, 128, 512};
  int repeats = 5;
  std::string python = "python3";
  bool torch = true;
  bool unfused = true;
  int64_t unfusedMaxTokens = 128;
  ExpertKernelTiling tiling{/*vectorWidth=*/0};
  DType dtype = DType::BF16;
};

/// The DeepSeekMoE-16B MoE layer against OpenBLAS, PyTorch and bandwidth.
int runLayerBench(const LayerBenchOptions &options);

} // namespace moec::bench

#endif // MOEC_TOOLS_MOEBENCH_BENCH_H
