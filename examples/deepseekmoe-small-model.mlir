// A whole small DeepSeekMoE model as moec compiles it: what
//   moe-compile model --model DIR --emit-mlir --output FILE
// writes for a random checkpoint (utils/make_checkpoint.py: H 96, 4 query and
// 2 key/value heads of 24, layer 0 dense (width 112), layer 1 MoE with 8
// experts of width 40, k 2, 2 shared experts; vocabulary 50; BF16).
//
// Each function takes memrefs the runtime owns: the embedding writes the
// hidden states, each decoder layer updates them and its KV cache rows from
// position %start in place, and the head writes the logits.
module {
  func.func @embed(%arg0: memref<?xi32>, %arg1: memref<?x96xf32>, %arg2: memref<50x96xbf16>) attributes {llvm.emit_c_interface} {
    %0 = bufferization.to_tensor %arg0 restrict : memref<?xi32> to tensor<?xi32>
    %1 = bufferization.to_tensor %arg1 restrict writable : memref<?x96xf32> to tensor<?x96xf32>
    %2 = bufferization.to_tensor %arg2 restrict : memref<50x96xbf16> to tensor<50x96xbf16>
    %3 = moe.embedding %2[%0] : tensor<50x96xbf16>, tensor<?xi32> -> tensor<?x96xf32>
    bufferization.materialize_in_destination %3 in restrict writable %arg1 : (tensor<?x96xf32>, memref<?x96xf32>) -> ()
    return
  }
  func.func @decoder_layer_0(%arg0: memref<?x96xf32>, %arg1: index, %arg2: memref<2x?x24xf32>, %arg3: memref<2x?x24xf32>, %arg4: memref<96xbf16>, %arg5: memref<96x96xbf16>, %arg6: memref<48x96xbf16>, %arg7: memref<48x96xbf16>, %arg8: memref<96x96xbf16>, %arg9: memref<96xbf16>, %arg10: memref<112x96xbf16>, %arg11: memref<112x96xbf16>, %arg12: memref<96x112xbf16>) attributes {llvm.emit_c_interface} {
    %0 = bufferization.to_tensor %arg0 restrict writable : memref<?x96xf32> to tensor<?x96xf32>
    %1 = bufferization.to_tensor %arg2 restrict writable : memref<2x?x24xf32> to tensor<2x?x24xf32>
    %2 = bufferization.to_tensor %arg3 restrict writable : memref<2x?x24xf32> to tensor<2x?x24xf32>
    %3 = bufferization.to_tensor %arg4 restrict : memref<96xbf16> to tensor<96xbf16>
    %4 = bufferization.to_tensor %arg5 restrict : memref<96x96xbf16> to tensor<96x96xbf16>
    %5 = bufferization.to_tensor %arg6 restrict : memref<48x96xbf16> to tensor<48x96xbf16>
    %6 = bufferization.to_tensor %arg7 restrict : memref<48x96xbf16> to tensor<48x96xbf16>
    %7 = bufferization.to_tensor %arg8 restrict : memref<96x96xbf16> to tensor<96x96xbf16>
    %8 = bufferization.to_tensor %arg9 restrict : memref<96xbf16> to tensor<96xbf16>
    %9 = bufferization.to_tensor %arg10 restrict : memref<112x96xbf16> to tensor<112x96xbf16>
    %10 = bufferization.to_tensor %arg11 restrict : memref<112x96xbf16> to tensor<112x96xbf16>
    %11 = bufferization.to_tensor %arg12 restrict : memref<96x112xbf16> to tensor<96x112xbf16>
    %12 = moe.rms_norm %0, %3 epsilon 9.9999999999999995E-7 : tensor<?x96xf32>, tensor<96xbf16> -> tensor<?x96xf32>
    %13 = moe.linear %12, %4 : (tensor<?x96xf32>, tensor<96x96xbf16>) -> tensor<?x96xf32>
    %14 = moe.rope %13 at %arg1 <head_dim = 24, theta = 1.000000e+04 : f64, scaling_factor = 1.000000e+00 : f64> : tensor<?x96xf32> -> tensor<?x96xf32>
    %15 = moe.linear %12, %5 : (tensor<?x96xf32>, tensor<48x96xbf16>) -> tensor<?x48xf32>
    %16 = moe.rope %15 at %arg1 <head_dim = 24, theta = 1.000000e+04 : f64, scaling_factor = 1.000000e+00 : f64> : tensor<?x48xf32> -> tensor<?x48xf32>
    %17 = moe.linear %12, %6 : (tensor<?x96xf32>, tensor<48x96xbf16>) -> tensor<?x48xf32>
    %c0 = arith.constant 0 : index
    %dim = tensor.dim %16, %c0 : tensor<?x48xf32>
    %c0_0 = arith.constant 0 : index
    %dim_1 = tensor.dim %16, %c0_0 : tensor<?x48xf32>
    %c1 = arith.constant 1 : index
    %expanded = tensor.expand_shape %16 [[0], [1, 2]] output_shape [%dim_1, 2, 24] : tensor<?x48xf32> into tensor<?x2x24xf32>
    %18 = tensor.empty(%dim) : tensor<2x?x24xf32>
    %transposed = linalg.transpose ins(%expanded : tensor<?x2x24xf32>) outs(%18 : tensor<2x?x24xf32>) permutation = [1, 0, 2] 
    %inserted_slice = tensor.insert_slice %transposed into %1[0, %arg1, 0] [2, %dim, 24] [1, 1, 1] : tensor<2x?x24xf32> into tensor<2x?x24xf32>
    %c0_2 = arith.constant 0 : index
    %dim_3 = tensor.dim %17, %c0_2 : tensor<?x48xf32>
    %c0_4 = arith.constant 0 : index
    %dim_5 = tensor.dim %17, %c0_4 : tensor<?x48xf32>
    %c1_6 = arith.constant 1 : index
    %expanded_7 = tensor.expand_shape %17 [[0], [1, 2]] output_shape [%dim_5, 2, 24] : tensor<?x48xf32> into tensor<?x2x24xf32>
    %19 = tensor.empty(%dim_3) : tensor<2x?x24xf32>
    %transposed_8 = linalg.transpose ins(%expanded_7 : tensor<?x2x24xf32>) outs(%19 : tensor<2x?x24xf32>) permutation = [1, 0, 2] 
    %inserted_slice_9 = tensor.insert_slice %transposed_8 into %2[0, %arg1, 0] [2, %dim_3, 24] [1, 1, 1] : tensor<2x?x24xf32> into tensor<2x?x24xf32>
    %20 = moe.attention %14, %inserted_slice, %inserted_slice_9 at %arg1 heads 4 : tensor<?x96xf32>, tensor<2x?x24xf32>, tensor<2x?x24xf32> -> tensor<?x96xf32>
    %21 = moe.linear %20, %7 : (tensor<?x96xf32>, tensor<96x96xbf16>) -> tensor<?x96xf32>
    %22 = arith.addf %21, %0 : tensor<?x96xf32>
    %23 = moe.rms_norm %22, %8 epsilon 9.9999999999999995E-7 : tensor<?x96xf32>, tensor<96xbf16> -> tensor<?x96xf32>
    %24 = moe.swiglu %23, %9, %10, %11 : tensor<?x96xf32>, tensor<112x96xbf16>, tensor<112x96xbf16>, tensor<96x112xbf16> -> tensor<?x96xf32>
    %25 = arith.addf %24, %22 : tensor<?x96xf32>
    bufferization.materialize_in_destination %25 in restrict writable %arg0 : (tensor<?x96xf32>, memref<?x96xf32>) -> ()
    bufferization.materialize_in_destination %inserted_slice in restrict writable %arg2 : (tensor<2x?x24xf32>, memref<2x?x24xf32>) -> ()
    bufferization.materialize_in_destination %inserted_slice_9 in restrict writable %arg3 : (tensor<2x?x24xf32>, memref<2x?x24xf32>) -> ()
    return
  }
  func.func @decoder_layer_1(%arg0: memref<?x96xf32>, %arg1: index, %arg2: memref<2x?x24xf32>, %arg3: memref<2x?x24xf32>, %arg4: memref<96xbf16>, %arg5: memref<96x96xbf16>, %arg6: memref<48x96xbf16>, %arg7: memref<48x96xbf16>, %arg8: memref<96x96xbf16>, %arg9: memref<96xbf16>, %arg10: memref<8x96xbf16>, %arg11: memref<8x40x96xbf16>, %arg12: memref<8x40x96xbf16>, %arg13: memref<8x96x40xbf16>, %arg14: memref<80x96xbf16>, %arg15: memref<80x96xbf16>, %arg16: memref<96x80xbf16>) attributes {llvm.emit_c_interface} {
    %0 = bufferization.to_tensor %arg0 restrict writable : memref<?x96xf32> to tensor<?x96xf32>
    %1 = bufferization.to_tensor %arg2 restrict writable : memref<2x?x24xf32> to tensor<2x?x24xf32>
    %2 = bufferization.to_tensor %arg3 restrict writable : memref<2x?x24xf32> to tensor<2x?x24xf32>
    %3 = bufferization.to_tensor %arg4 restrict : memref<96xbf16> to tensor<96xbf16>
    %4 = bufferization.to_tensor %arg5 restrict : memref<96x96xbf16> to tensor<96x96xbf16>
    %5 = bufferization.to_tensor %arg6 restrict : memref<48x96xbf16> to tensor<48x96xbf16>
    %6 = bufferization.to_tensor %arg7 restrict : memref<48x96xbf16> to tensor<48x96xbf16>
    %7 = bufferization.to_tensor %arg8 restrict : memref<96x96xbf16> to tensor<96x96xbf16>
    %8 = bufferization.to_tensor %arg9 restrict : memref<96xbf16> to tensor<96xbf16>
    %9 = bufferization.to_tensor %arg10 restrict : memref<8x96xbf16> to tensor<8x96xbf16>
    %10 = bufferization.to_tensor %arg11 restrict : memref<8x40x96xbf16> to tensor<8x40x96xbf16>
    %11 = bufferization.to_tensor %arg12 restrict : memref<8x40x96xbf16> to tensor<8x40x96xbf16>
    %12 = bufferization.to_tensor %arg13 restrict : memref<8x96x40xbf16> to tensor<8x96x40xbf16>
    %13 = bufferization.to_tensor %arg14 restrict : memref<80x96xbf16> to tensor<80x96xbf16>
    %14 = bufferization.to_tensor %arg15 restrict : memref<80x96xbf16> to tensor<80x96xbf16>
    %15 = bufferization.to_tensor %arg16 restrict : memref<96x80xbf16> to tensor<96x80xbf16>
    %16 = moe.rms_norm %0, %3 epsilon 9.9999999999999995E-7 : tensor<?x96xf32>, tensor<96xbf16> -> tensor<?x96xf32>
    %17 = moe.linear %16, %4 : (tensor<?x96xf32>, tensor<96x96xbf16>) -> tensor<?x96xf32>
    %18 = moe.rope %17 at %arg1 <head_dim = 24, theta = 1.000000e+04 : f64, scaling_factor = 1.000000e+00 : f64> : tensor<?x96xf32> -> tensor<?x96xf32>
    %19 = moe.linear %16, %5 : (tensor<?x96xf32>, tensor<48x96xbf16>) -> tensor<?x48xf32>
    %20 = moe.rope %19 at %arg1 <head_dim = 24, theta = 1.000000e+04 : f64, scaling_factor = 1.000000e+00 : f64> : tensor<?x48xf32> -> tensor<?x48xf32>
    %21 = moe.linear %16, %6 : (tensor<?x96xf32>, tensor<48x96xbf16>) -> tensor<?x48xf32>
    %c0 = arith.constant 0 : index
    %dim = tensor.dim %20, %c0 : tensor<?x48xf32>
    %c0_0 = arith.constant 0 : index
    %dim_1 = tensor.dim %20, %c0_0 : tensor<?x48xf32>
    %c1 = arith.constant 1 : index
    %expanded = tensor.expand_shape %20 [[0], [1, 2]] output_shape [%dim_1, 2, 24] : tensor<?x48xf32> into tensor<?x2x24xf32>
    %22 = tensor.empty(%dim) : tensor<2x?x24xf32>
    %transposed = linalg.transpose ins(%expanded : tensor<?x2x24xf32>) outs(%22 : tensor<2x?x24xf32>) permutation = [1, 0, 2] 
    %inserted_slice = tensor.insert_slice %transposed into %1[0, %arg1, 0] [2, %dim, 24] [1, 1, 1] : tensor<2x?x24xf32> into tensor<2x?x24xf32>
    %c0_2 = arith.constant 0 : index
    %dim_3 = tensor.dim %21, %c0_2 : tensor<?x48xf32>
    %c0_4 = arith.constant 0 : index
    %dim_5 = tensor.dim %21, %c0_4 : tensor<?x48xf32>
    %c1_6 = arith.constant 1 : index
    %expanded_7 = tensor.expand_shape %21 [[0], [1, 2]] output_shape [%dim_5, 2, 24] : tensor<?x48xf32> into tensor<?x2x24xf32>
    %23 = tensor.empty(%dim_3) : tensor<2x?x24xf32>
    %transposed_8 = linalg.transpose ins(%expanded_7 : tensor<?x2x24xf32>) outs(%23 : tensor<2x?x24xf32>) permutation = [1, 0, 2] 
    %inserted_slice_9 = tensor.insert_slice %transposed_8 into %2[0, %arg1, 0] [2, %dim_3, 24] [1, 1, 1] : tensor<2x?x24xf32> into tensor<2x?x24xf32>
    %24 = moe.attention %18, %inserted_slice, %inserted_slice_9 at %arg1 heads 4 : tensor<?x96xf32>, tensor<2x?x24xf32>, tensor<2x?x24xf32> -> tensor<?x96xf32>
    %25 = moe.linear %24, %7 : (tensor<?x96xf32>, tensor<96x96xbf16>) -> tensor<?x96xf32>
    %26 = arith.addf %25, %0 : tensor<?x96xf32>
    %27 = moe.rms_norm %26, %8 epsilon 9.9999999999999995E-7 : tensor<?x96xf32>, tensor<96xbf16> -> tensor<?x96xf32>
    %28 = moe.block %27 router(%9) experts(%10, %11, %12) shared(%13, %14, %15) scoring = softmax method = greedy top_k = 2 : (tensor<?x96xf32>, tensor<8x96xbf16>, tensor<8x40x96xbf16>, tensor<8x40x96xbf16>, tensor<8x96x40xbf16>, tensor<80x96xbf16>, tensor<80x96xbf16>, tensor<96x80xbf16>) -> tensor<?x96xf32>
    %29 = arith.addf %28, %26 : tensor<?x96xf32>
    bufferization.materialize_in_destination %29 in restrict writable %arg0 : (tensor<?x96xf32>, memref<?x96xf32>) -> ()
    bufferization.materialize_in_destination %inserted_slice in restrict writable %arg2 : (tensor<2x?x24xf32>, memref<2x?x24xf32>) -> ()
    bufferization.materialize_in_destination %inserted_slice_9 in restrict writable %arg3 : (tensor<2x?x24xf32>, memref<2x?x24xf32>) -> ()
    return
  }
  func.func @head(%arg0: memref<?x96xf32>, %arg1: memref<?x50xf32>, %arg2: memref<96xbf16>, %arg3: memref<50x96xbf16>) attributes {llvm.emit_c_interface} {
    %0 = bufferization.to_tensor %arg0 restrict : memref<?x96xf32> to tensor<?x96xf32>
    %1 = bufferization.to_tensor %arg1 restrict writable : memref<?x50xf32> to tensor<?x50xf32>
    %2 = bufferization.to_tensor %arg2 restrict : memref<96xbf16> to tensor<96xbf16>
    %3 = bufferization.to_tensor %arg3 restrict : memref<50x96xbf16> to tensor<50x96xbf16>
    %4 = moe.rms_norm %0, %2 epsilon 9.9999999999999995E-7 : tensor<?x96xf32>, tensor<96xbf16> -> tensor<?x96xf32>
    %5 = moe.linear %4, %3 : (tensor<?x96xf32>, tensor<50x96xbf16>) -> tensor<?x50xf32>
    bufferization.materialize_in_destination %5 in restrict writable %arg1 : (tensor<?x50xf32>, memref<?x50xf32>) -> ()
    return
  }
}
