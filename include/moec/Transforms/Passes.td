//===- Passes.td - moe transformation passes ---------------*- tablegen -*-===//
#ifndef MOEC_TRANSFORMS_PASSES_TD
#define MOEC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def MoEDecomposeBlock : Pass<"moe-decompose-block"> {
  let summary = "Decompose moe.block into routing, dispatch, expert and "
                "combine ops";
  let description = [{
    Rewrites every `moe.block` into

    ```
    scores          = moe.router_scores
    weights, idx    = moe.topk
    offsets, perm   = moe.dispatch idx
    xs              = moe.permute x[perm]
    ys              = moe.grouped_swiglu xs, offsets experts(...)
    y               = moe.combine ys[perm], weights
    y               = arith.addf y, moe.swiglu(x, shared...)   (if shared)
    ```

    so that later passes can fuse and tile the parts. The routing attributes
    carry over unchanged.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def MoEFoldSharedExperts : Pass<"moe-fold-shared-experts"> {
  let summary = "Run shared experts inside the grouped expert op as "
                "always-on experts with weight 1";
  let description = [{
    The shared MLP of width S*I equals S experts of width I, each selected
    for every token with weight 1.0 (reference section 6). This pass finds

    ```
    y = arith.addf (moe.combine (moe.grouped_swiglu (moe.permute x[perm])
                                  offsets experts(...))[perm], w),
                   (moe.swiglu x, shared...)
    ```

    where `offsets, perm = moe.dispatch idx`, and rewrites it so that
    `moe.append_shared_experts` adds the S always-on slots to (w, idx), and
    one `moe.grouped_swiglu ... shared(...)` computes routed and shared
    experts together. Shared MLPs whose width is not a whole number of
    routed experts stay as they are.
  }];
}

def MoEFuseExpertFFN : Pass<"moe-fuse-expert-ffn"> {
  let summary = "Fuse permute, grouped SwiGLU experts and combine into "
                "moe.expert_ffn";
  let description = [{
    Rewrites

    ```
    xs = moe.permute x[perm] top_k k
    ys = moe.grouped_swiglu xs, offsets experts(...) shared(...)
    y  = moe.combine ys[perm], w
    ```

    into `y = moe.expert_ffn x[perm], offsets, w experts(...) shared(...)`:
    the expert kernel gathers token rows through the permutation itself (no
    permuted copy of x) and applies the routing weight and the scatter-add
    in the down projection's epilogue (no [T*k, H] expert output).
  }];
}

#endif // MOEC_TRANSFORMS_PASSES_TD
