// The register tiles that CPUTarget picks for a CPU must fit its vector
// registers: no spill in the k-loop of any kernel of the MoE layer (routed
// and shared experts, gate/up and down) once LLVM compiles it for that CPU.
// (AVX-512: no-spills-v4.mlir.)
//
// AVX2 + FMA: 8 lanes, 16 registers (5 rows x 1 panel x {gate, up}; down 5 x 2).
// RUN: moe-opt %s --moe-cpu-pipeline=cpu=x86-64-v3 | mlir-translate --mlir-to-llvmir \
// RUN:   | opt -O3 -mcpu=x86-64-v3 | llc -O3 -mcpu=x86-64-v3 \
// RUN:   | %python %S/hot_loop_spills.py --min-fma 16 | FileCheck %s --check-prefix=V3
// V3: {{[1-9][0-9]*}} hot loops, 0 spilling
//
// The check can fail: one more row on AVX2 spills in the gate/up loop.
// RUN: moe-opt %s --moe-cpu-pipeline="cpu=x86-64-v3 rows=6" | mlir-translate --mlir-to-llvmir \
// RUN:   | opt -O3 -mcpu=x86-64-v3 | llc -O3 -mcpu=x86-64-v3 \
// RUN:   | not %python %S/hot_loop_spills.py --min-fma 16 | FileCheck %s --check-prefix=SPILL
// SPILL: [[#]] FMAs, [[#]] spills or reloads
//
// An unknown CPU is an error, not some default.
// RUN: not moe-opt %s --moe-cpu-pipeline=cpu=pentium-9000 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: moe-cpu-pipeline: unknown CPU 'pentium-9000'

// A DeepSeekMoE-16B-shaped layer (H 2048, I 1408) with 4 routed and 2
// shared experts, its weights in panels of 8.
func.func @layer(%x: tensor<?x2048xf32>, %p: tensor<?xi32>, %off: tensor<7xi32>, %w: tensor<?x6xf32>,
    %pg: tensor<4x176x1024x8x2xbf16>, %pu: tensor<4x176x1024x8x2xbf16>, %pd: tensor<4x256x704x8x2xbf16>,
    %psg: tensor<2x176x1024x8x2xbf16>, %psu: tensor<2x176x1024x8x2xbf16>, %psd: tensor<2x256x704x8x2xbf16>) -> tensor<?x2048xf32> {
  %g = moe.unpack_weights %pg : tensor<4x176x1024x8x2xbf16> -> tensor<4x1408x2048xbf16>
  %u = moe.unpack_weights %pu : tensor<4x176x1024x8x2xbf16> -> tensor<4x1408x2048xbf16>
  %d = moe.unpack_weights %pd : tensor<4x256x704x8x2xbf16> -> tensor<4x2048x1408xbf16>
  %sg = moe.unpack_weights %psg {concat_dim = 0} : tensor<2x176x1024x8x2xbf16> -> tensor<2816x2048xbf16>
  %su = moe.unpack_weights %psu {concat_dim = 0} : tensor<2x176x1024x8x2xbf16> -> tensor<2816x2048xbf16>
  %sd = moe.unpack_weights %psd {concat_dim = 1} : tensor<2x256x704x8x2xbf16> -> tensor<2048x2816xbf16>
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x2048xf32>, tensor<?xi32>, tensor<7xi32>, tensor<?x6xf32>, tensor<4x1408x2048xbf16>, tensor<4x1408x2048xbf16>, tensor<4x2048x1408xbf16>, tensor<2816x2048xbf16>, tensor<2816x2048xbf16>, tensor<2048x2816xbf16>) -> tensor<?x2048xf32>
  return %y : tensor<?x2048xf32>
}
