// The stable counting sort stays on the device: counts per (chunk of 256
// pairs, expert), each chunk's start within its expert (a thread per
// expert), the offsets (one thread), then each (chunk, expert) places its
// pairs in order.
func.func @dispatch(%i: tensor<?x2xi32>) -> (tensor<9xi32>, tensor<?xi32>) {
  %o, %p = moe.dispatch %i : tensor<?x2xi32> -> tensor<9xi32>, tensor<?xi32>
  return %o, %p : tensor<9xi32>, tensor<?xi32>
}
