// RUN: moe-opt %S/../../examples/deepseekmoe-16b-block.mlir --moe-decompose-pipeline | FileCheck %s
// RUN: moe-opt %S/../../examples/deepseekmoe-16b-block.mlir --moe-decompose-pipeline=fold-shared-experts=false | FileCheck %s --check-prefix=UNFOLDED

// The 16B block: 6 routed + 2 shared experts become one grouped op over 66
// experts with 8 slots per token (reference section 6).
// CHECK-LABEL: func @deepseekmoe_16b_mlp
// CHECK: moe.router_scores softmax
// CHECK: moe.topk greedy {{.*}} -> tensor<?x6xf32>, tensor<?x6xi32>
// CHECK: moe.append_shared_experts {{.*}} first_expert 64 {{.*}} -> tensor<?x8xf32>, tensor<?x8xi32>
// CHECK: moe.dispatch {{.*}} -> tensor<67xi32>, tensor<?xi32>
// CHECK: moe.permute {{.*}} top_k 8
// CHECK: moe.grouped_swiglu {{.*}} shared(
// CHECK: moe.combine
// CHECK-NOT: moe.swiglu
// CHECK-NOT: arith.addf
// CHECK-NOT: moe.block

// UNFOLDED-LABEL: func @deepseekmoe_16b_mlp
// UNFOLDED-NOT: moe.append_shared_experts
// UNFOLDED: moe.dispatch {{.*}} -> tensor<65xi32>, tensor<?xi32>
// UNFOLDED: moe.combine
// UNFOLDED: moe.swiglu
// UNFOLDED: arith.addf
