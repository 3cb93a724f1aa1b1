//===- Passes.td - moe conversion passes -------------------*- tablegen -*-===//
#ifndef MOEC_CONVERSION_PASSES_TD
#define MOEC_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertMoEToLinalg : Pass<"convert-moe-to-linalg"> {
  let summary = "Lower moe ops to linalg on tensors and scalar routing loops";
  let description = [{
    Lowers every moe op (a remaining `moe.block` is decomposed first):

    * `moe.router_scores`, `moe.swiglu`, `moe.grouped_swiglu`, `moe.permute`,
      `moe.combine`, `moe.append_shared_experts`, and the decoder ops
      `moe.embedding`, `moe.rms_norm`, `moe.linear` and `moe.rope` become
      `linalg.generic` ops on tensors (the grouped op: a loop over expert
      segments, each a slice of the sorted rows through that expert's
      SwiGLU);
    * `moe.topk`, `moe.dispatch` and `moe.attention` become scalar loop
      nests over buffers (`bufferization.to_buffer` / `to_tensor restrict`):
      the first two are data-dependent and small, and attention's causal
      limit depends on the start position.

    The result is ready for one-shot bufferization.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def ConvertMoEToVector : Pass<"convert-moe-to-vector"> {
  let summary = "Lower moe compute ops to tiled, vectorised, parallel loops";
  let description = [{
    Lowers `moe.expert_ffn` (static H and I) to three parallel phases on
    buffers, each an `scf.forall` over independent work items:

    1. gate/up + SwiGLU: items are (expert, block of `gate-up-block` weight
       rows); for each register tile of `rows` sorted rows x `gate-up-cols`
       weight rows, gate and up accumulate together in vector registers over
       H (token rows read from x through the permutation: no permuted copy),
       then `silu(g) * u` is stored to the [T*k, I] activation buffer;
    2. down projection: items are (expert, block of `down-block` hidden
       columns); the epilogue multiplies by the routing weight and stores the
       row at its (token, slot) position of a [T*k, H] buffer, so no two
       items write the same place;
    3. combine: per token, the sum of its k slot rows in slot order.

    Both matmuls run as dot products along the contiguous dimension of the
    weights in their stored layout (PyTorch Linear [out, in]), widening
    bf16/f16 to f32 in registers, so weights need no packing.

    `moe.swiglu` (dense layers, shared experts kept apart) becomes a
    `moe.expert_ffn` with one expert that every token reaches with weight 1,
    and `moe.router_scores` becomes the same kind of dot-product tiles over
    (tokens, experts), followed by softmax or sigmoid per token.

    The decoder ops: `moe.linear` becomes dot-product tiles parallel over
    (column block, row block) items, with its RoPE epilogue on whole
    (j, j + head_dim/2) pairs in registers and its residual added before
    the store; `moe.attention` one item per (head, query row) streaming
    over its visible keys with an online softmax; `moe.rms_norm`,
    `moe.embedding` and `moe.rope` vector loops per row.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "f32 lanes per vector (16: AVX-512, 8: AVX2)">,
    Option<"rows", "rows", "int64_t", "4", "sorted rows per register tile">,
    Option<"gateUpCols", "gate-up-cols", "int64_t", "2",
           "weight rows per register tile of the gate/up kernel">,
    Option<"downCols", "down-cols", "int64_t", "4",
           "weight rows per register tile of the down kernel">,
    Option<"gateUpBlock", "gate-up-block", "int64_t", "64",
           "expert-width rows per gate/up work item">,
    Option<"downBlock", "down-block", "int64_t", "64",
           "hidden columns per down work item">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def ConvertMoEToGPU : Pass<"convert-moe-to-gpu"> {
  let summary = "Lower the moe ops of a decoder to GPU kernels";
  let description = [{
    Lowers the ops of a decomposed, fused decoder (MLP layers and the ops
    around them) to named `gpu.launch` kernels on buffers, so that routing,
    dispatch, the experts, the combine and the rest of a forward pass all
    run on the device with no host round trip:

    * `moe.router_scores`: logits a warp per four experts of a token, then
      softmax or sigmoid a thread per token;
    * `moe.topk` (every routing method) and `moe.append_shared_experts`: a
      thread per token. Where the scores have no reader but the topk, and
      its results none but one append, the three per-token steps are one
      kernel (`moe_route`);
    * `moe.dispatch`: the stable counting sort over chunks of 256 pairs
      (counts per (chunk, expert); in one block, each chunk's start within
      its expert and, past a barrier, the offsets; then each (chunk,
      expert) placing its pairs in order);
    * `moe.expert_ffn`: gate/up + SwiGLU reading token rows through the
      permutation, the down projection with the routing weight applied in
      its epilogue and stored at the (token, slot) row, then the combine
      summing each token's slots in order. Every output is written by one
      thread and no float atomics are used, so results are deterministic.
      Where the result's only reader is an add of a residual that exists
      before the op, the combine adds it as it stores (and the add is
      gone);
    * `moe.swiglu`: the same kernels with one expert, a residual add folded
      into the down product's store the same way. Each expert product
      has a warp form (a warp per four outputs of a sorted row) and, for
      BF16 weights over whole 32-element steps, a tensor-core form
      (`mma.sync` tiles) that the host picks from 8 rows per expert;
    * `moe.embedding`, `moe.rms_norm`, `moe.linear` (the experts' down
      product; a RoPE epilogue turns pairs (j, j + head_dim/2) that one
      lane holds both values of, then the residual is added, as it
      stores), `moe.head_matmul`, `moe.rope`, and `moe.attention`: a warp
      per (token, query head, chunk of cached positions) with a running
      softmax, the chunks merged in order by a second kernel where the host
      split the positions (decode steps over a long cache).

    Results are new buffers handed back as tensors
    (`bufferization.to_tensor restrict`), ready for one-shot bufferization.
    Ops without a GPU lowering (an undecomposed `moe.latent_attention`,
    weights in CPU panels) are reported by name, or with `partial` left for
    later passes.
  }];
  let options = [
    Option<"partial", "partial", "bool", "false",
           "Leave moe ops without a GPU lowering in place (for the CPU "
           "pipeline's gpu-kernels-on-cpu mode)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def MoEGPUDeviceBuffers : Pass<"moe-gpu-device-buffers", "::mlir::ModuleOp"> {
  let summary = "Place the host code's buffers in GPU memory";
  let description = [{
    After bufferization of a module lowered by `convert-moe-to-gpu`, every
    buffer the host functions allocate, copy or free is device memory: the
    function arguments are device buffers, and kernels read and write them.
    This pass makes the host code say so: `memref.alloc` becomes
    `gpu.alloc`, `memref.dealloc` `gpu.dealloc`, `memref.copy` `gpu.memcpy`,
    and a buffer nothing frees is freed before the function returns. Host
    code that would read or write device memory itself (a load, a store, a
    linalg op outside a kernel) is an error that names the op.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def MoEGPUPredicateLaunches
    : Pass<"moe-gpu-predicate-launches", "::mlir::func::FuncOp"> {
  let summary = "Turn host branches around kernel launches into predicated kernels";
  let description = [{
    The host picks between forms of a kernel (tensor-core tiles or warps,
    one chunk of attention positions or several) with `scf.if`. Upstream
    `gpu-async-region` gives each block of host code its own stream and
    waits for it at the block's end, so every such branch would cost the
    host a wait for the device between kernels. This pass removes the
    branches where that is safe: an `scf.if` without results whose regions
    hold only side-effect-free host code and `gpu.launch` ops. The host code
    moves before the branch. Where each region launches one kernel over equal
    blocks of threads (the two forms of a product), the two become one
    launch over the chosen one's grid (`arith.select` on each grid size)
    whose body makes the same choice, named as both names start. Otherwise
    each launch runs unconditionally, over a grid of one block where its
    condition fails, its body under the condition, which is the same for
    every thread: a kernel that does nothing costs only its launch. Either
    way the launches stay in one async region. Other branches are left as
    they are.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def MoEGPUParallelLoopsToKernels
    : Pass<"moe-gpu-parallel-loops-to-kernels", "::mlir::func::FuncOp"> {
  let summary = "Run the host code's parallel loops as GPU kernels";
  let description = [{
    After bufferization and `convert-linalg-to-parallel-loops`, the parts of
    a decoder layer that are no moe op (residual adds, the KV cache's
    head-major layout and rounding, slices copied between buffers) are
    `scf.parallel` loops over device buffers in the host code. Each
    outermost one becomes a kernel with one thread per iteration: the
    iteration space is flattened, 128 threads per block, and each thread
    recovers its indices (the last dimension fastest, so that neighbouring
    threads touch neighbouring elements) and runs the loop body. Loops with
    reductions are refused, as is a body that reads a host global.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def MoEGPUMergeKernelModules
    : Pass<"moe-gpu-merge-kernel-modules", "::mlir::ModuleOp"> {
  let summary = "Gather the outlined kernels into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` makes one `gpu.module` per kernel. This pass moves
    every kernel into the first of them (renaming where names clash) and
    points the launches there, so a layer compiles to one PTX module and
    one cubin that the runtime loads once.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def MoEGPULaunchToLoops : Pass<"moe-gpu-launch-to-loops"> {
  let summary = "Run GPU kernels on the host, one thread at a time";
  let description = [{
    Replaces each `gpu.launch` by sequential loops over its blocks and
    threads (z, y, x), which the CPU pipeline's `gpu-kernels-on-cpu` mode
    compiles to test the GPU lowering against the reference where there is
    no GPU.

    Threads must all reach a barrier or a warp shuffle before any goes on,
    so the body is cut there (loop fission): each block runs all its
    threads through one piece, then the next. Values that a thread keeps
    from one piece to a later one live in per-thread slots; a run of `xor`
    shuffles reads the partner lane's slot, as `shfl.sync.bfly` does (lanes
    are the thread's linear id modulo 32). Cuts must be at the top level of
    the kernel. A thread's fixed-size private arrays (`memref.alloca` in the
    kernel, not under a loop) are allocated once, before the loops, and
    may not live across a cut. Vector accesses lose their alignment, which
    holds for device allocations but not for host buffers.

    For kernels whose threads each write their own outputs and set private
    arrays before reading them, such as those of `convert-moe-to-gpu`, this
    computes exactly what the GPU computes. Launches with shared memory or
    async tokens, and GPU ops other than `xor` shuffles and barriers, are
    refused.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // MOEC_CONVERSION_PASSES_TD
