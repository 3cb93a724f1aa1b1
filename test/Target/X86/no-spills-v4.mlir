// The register tiles that CPUTarget picks for AVX-512 fit its 32 vector
// registers (see no-spills-v3.mlir).
//
// AVX-512: 16 lanes, 32 registers (8 rows x 1 x {gate, up}; down 8 x 2).
// RUN: moe-opt %s --moe-cpu-pipeline=cpu=x86-64-v4 | mlir-translate --mlir-to-llvmir \
// RUN:   | opt -O3 -mcpu=x86-64-v4 | llc -O3 -mcpu=x86-64-v4 \
// RUN:   | %python %S/hot_loop_spills.py --min-fma 16 | FileCheck %s --check-prefix=V4
// V4: {{[1-9][0-9]*}} hot loops, 0 spilling

func.func @layer(%x: tensor<?x2048xf32>, %p: tensor<?xi32>, %off: tensor<7xi32>, %w: tensor<?x6xf32>,
    %pg: tensor<4x88x1024x16x2xbf16>, %pu: tensor<4x88x1024x16x2xbf16>, %pd: tensor<4x128x704x16x2xbf16>,
    %psg: tensor<2x88x1024x16x2xbf16>, %psu: tensor<2x88x1024x16x2xbf16>, %psd: tensor<2x128x704x16x2xbf16>) -> tensor<?x2048xf32> {
  %g = moe.unpack_weights %pg : tensor<4x88x1024x16x2xbf16> -> tensor<4x1408x2048xbf16>
  %u = moe.unpack_weights %pu : tensor<4x88x1024x16x2xbf16> -> tensor<4x1408x2048xbf16>
  %d = moe.unpack_weights %pd : tensor<4x128x704x16x2xbf16> -> tensor<4x2048x1408xbf16>
  %sg = moe.unpack_weights %psg {concat_dim = 0} : tensor<2x88x1024x16x2xbf16> -> tensor<2816x2048xbf16>
  %su = moe.unpack_weights %psu {concat_dim = 0} : tensor<2x88x1024x16x2xbf16> -> tensor<2816x2048xbf16>
  %sd = moe.unpack_weights %psd {concat_dim = 1} : tensor<2x128x704x16x2xbf16> -> tensor<2048x2816xbf16>
  %y = moe.expert_ffn %x[%p], %off, %w experts(%g, %u, %d) shared(%sg, %su, %sd) : (tensor<?x2048xf32>, tensor<?xi32>, tensor<7xi32>, tensor<?x6xf32>, tensor<4x1408x2048xbf16>, tensor<4x1408x2048xbf16>, tensor<4x2048x1408xbf16>, tensor<2816x2048xbf16>, tensor<2816x2048xbf16>, tensor<2048x2816xbf16>) -> tensor<?x2048xf32>
  return %y : tensor<?x2048xf32>
}
