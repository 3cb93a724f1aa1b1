// A dense SwiGLU MLP: the same two products, a row per token, no routing and
// no combine; the down kernel writes the result.
func.func @swiglu(%x: tensor<?x16xf32>, %g: tensor<24x16xf32>, %u: tensor<24x16xf32>, %d: tensor<16x24xf32>) -> tensor<?x16xf32> {
  %y = moe.swiglu %x, %g, %u, %d : tensor<?x16xf32>, tensor<24x16xf32>, tensor<24x16xf32>, tensor<16x24xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
