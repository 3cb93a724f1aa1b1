// RUN: moe-opt %s --convert-moe-to-linalg | FileCheck %s --implicit-check-not="moe."

// Where no kernel reads the panels, the matrices are copied out of them:
// element (n, k) of matrix g is packed[g, n / P, k / Q, n % P, k % Q].
// CHECK-DAG: #[[STACK:.*]] = affine_map<(d0, d1, d2) -> (d0, d1 floordiv 8, d2 floordiv 2, d1 mod 8, d2 mod 2)>
// CHECK-DAG: #[[ROWS:.*]] = affine_map<(d0, d1) -> (d0 floordiv 12, (d0 mod 12) floordiv 8, d1 floordiv 2, (d0 mod 12) mod 8, d1 mod 2)>
// CHECK-DAG: #[[COLS:.*]] = affine_map<(d0, d1) -> (d1 floordiv 12, d0 floordiv 8, (d1 mod 12) floordiv 2, d0 mod 8, d1 mod 2)>
// CHECK-LABEL: func @unpack
// CHECK: linalg.generic {indexing_maps = [#[[STACK]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%{{.*}} : tensor<4x2x20x8x2xbf16>) outs(%{{.*}} : tensor<4x12x40xbf16>)
// CHECK: linalg.generic {indexing_maps = [#[[ROWS]], #{{.*}}]
// CHECK-SAME: outs(%{{.*}} : tensor<24x40xbf16>)
// CHECK: linalg.generic {indexing_maps = [#[[COLS]], #{{.*}}]
// CHECK-SAME: outs(%{{.*}} : tensor<40x24xbf16>)
func.func @unpack(%g: tensor<4x2x20x8x2xbf16>, %s: tensor<2x2x20x8x2xbf16>, %d: tensor<2x5x6x8x2xbf16>)
    -> (tensor<4x12x40xbf16>, tensor<24x40xbf16>, tensor<40x24xbf16>) {
  %0 = moe.unpack_weights %g : tensor<4x2x20x8x2xbf16> -> tensor<4x12x40xbf16>
  %1 = moe.unpack_weights %s {concat_dim = 0} : tensor<2x2x20x8x2xbf16> -> tensor<24x40xbf16>
  %2 = moe.unpack_weights %d {concat_dim = 1} : tensor<2x5x6x8x2xbf16> -> tensor<40x24xbf16>
  return %0, %1, %2 : tensor<4x12x40xbf16>, tensor<24x40xbf16>, tensor<40x24xbf16>
}
