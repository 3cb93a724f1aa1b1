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

def MoEFuseLinearEpilogues : Pass<"moe-fuse-linear-epilogues"> {
  let summary = "Fold RoPE and residual adds into the moe.linear that "
                "produces their input";
  let description = [{
    Rewrites

    ```
    q = moe.rope (moe.linear x, w) at %start <rope>   ->  moe.linear x, w rope <rope> at %start
    h = arith.addf (moe.linear x, w), r               ->  moe.linear x, w residual r
    ```

    (the add in either operand order, after a fused RoPE too) when the
    linear has no other user, so the kernel applies RoPE to whole
    (j, j + head_dim/2) pairs and adds the residual on each tile before it
    stores it: no [T, N] round trip and no extra pass over it. A RoPE is only
    folded into a linear without a residual, since RoPE comes first, and
    only a rotate-half one: interleaved RoPE (MLA) stays a moe.rope.
  }];
}

def MoEDecomposeLatentAttention : Pass<"moe-decompose-latent-attention"> {
  let summary = "Lower moe.latent_attention to per-head products and "
                "moe.attention, absorbing kv_b_proj or expanding the cache";
  let description = [{
    Multi-head latent attention keeps only [c, r] (latent and rotary key)
    per cached position. kv_b_proj maps c to each head's key (K_h) and value
    (V_h) parts. Two equal forms:

    * absorbed (the default; DeepSeek-V2 paper section 2.1.3): since
      q . (K_h c) = (K_h^T q) . c, each head's query moves into latent space
      (`moe.head_matmul` with the untransposed key blocks), attention runs
      on the compressed cache itself as multi-query attention with keys
      [c, r] and values c (a view of the same cache), and each head's
      latent output becomes its value through `moe.head_matmul` with the
      transposed value blocks. Nothing grows with the context but the
      cache: the decode form.
    * expanded: kv_b_proj applied to every cached latent (`moe.linear`),
      keys and values per head, then ordinary multi-head attention: about a
      third of the operations per query-key pair, which pays for expanding
      the cache when many new tokens attend at once (prefill).

    With `expand-min-tokens=N`, calls with at least N new tokens expand and
    the others absorb, chosen at run time (`scf.if` on the token count); 0
    (the default) always absorbs, 1 always expands.
  }];
  let options = [
    Option<"expandMinTokens", "expand-min-tokens", "int64_t", "0",
           "Expand keys and values in calls with at least this many new "
           "tokens (0: always absorb)">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect"];
}

def MoEExpandStridedCopies : Pass<"moe-expand-strided-copies"> {
  let summary = "Turn memref.copy between strided buffers into linalg.copy";
  let description = [{
    One-shot bufferization copies a kernel's result into a slice of another
    buffer (e.g. new keys into rows of the KV cache) with `memref.copy`. Its
    LLVM lowering calls `memrefCopy` from MLIR's C runner utilities when a
    layout is not the identity, a library that neither moec's JIT nor its
    ahead-of-time modules load. This pass rewrites such copies (identity
    layouts keep their memcpy) into `linalg.copy`, which lowers to plain
    loops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def MoEEmitPackedEntryPoints : Pass<"moe-emit-packed-entry-points",
                                    "::mlir::ModuleOp"> {
  let summary = "Give every C-interface function a packed entry point";
  let description = [{
    After lowering to the LLVM dialect, adds for each
    `_mlir_ciface_<name>` function (which returns nothing) a function

    ```
    llvm.func @moec_call_<name>(%args: !llvm.ptr)
    ```

    whose argument points to an array of pointers, entry i pointing to
    operand i: a memref descriptor for a memref operand, the value for a
    scalar (index) operand. The runtime calls every compiled function,
    JIT-compiled or ahead of time, through this one signature, whatever its
    arity.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // MOEC_TRANSFORMS_PASSES_TD
