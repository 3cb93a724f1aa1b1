//===- MLPModule.cpp - IR for one decoder layer's MLP block ---------------===//
#include "moec/Compiler/MLPModule.h"

#include "MoE/MoEOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

using namespace mlir;

namespace {

Type elementType(OpBuilder &b, moec::DType dtype) {
  switch (dtype) {
  case moec::DType::F32:
    return b.getF32Type();
  case moec::DType::F16:
    return b.getF16Type();
  case moec::DType::BF16:
    return b.getBF16Type();
  }
  return b.getF32Type();
}

} // namespace

OwningOpRef<ModuleOp> moec::buildMLPModule(MLIRContext &ctx,
                                           const ModelConfig &config,
                                           int64_t layer,
                                           const std::vector<DType> &types) {
  ctx.loadDialect<moe::MoEDialect, func::FuncDialect>();
  OpBuilder b(&ctx);
  Location loc = FileLineColLoc::get(
      &ctx, "model.layers." + std::to_string(layer) + ".mlp", 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());

  const int64_t h = config.hidden_size;
  const bool moe = config.isMoELayer(layer);
  const int64_t e = config.n_routed_experts, w = config.moe_intermediate_size;
  const int64_t sharedWidth = w * config.n_shared_experts;
  std::vector<std::vector<int64_t>> shapes;
  if (moe) {
    shapes = {{e, h}};
    if (config.topk_method == TopkMethod::NoauxTC)
      shapes.push_back({e});
    shapes.insert(shapes.end(), {{e, w, h}, {e, w, h}, {e, h, w}});
    if (sharedWidth > 0)
      shapes.insert(shapes.end(),
                    {{sharedWidth, h}, {sharedWidth, h}, {h, sharedWidth}});
  } else {
    int64_t d = config.intermediate_size;
    shapes = {{d, h}, {d, h}, {h, d}};
  }
  if (shapes.size() != types.size())
    return {};

  auto xType = RankedTensorType::get({ShapedType::kDynamic, h}, b.getF32Type());
  SmallVector<Type> argTypes{xType};
  for (size_t i = 0; i < shapes.size(); ++i)
    argTypes.push_back(
        RankedTensorType::get(shapes[i], elementType(b, types[i])));
  auto func = func::FuncOp::create(b, loc, kMLPFunctionName,
                                   b.getFunctionType(argTypes, {xType}));
  func->setAttr("llvm.emit_c_interface", b.getUnitAttr());
  Block *body = func.addEntryBlock();
  b.setInsertionPointToStart(body);
  ValueRange args = body->getArguments();
  Value x = args[0];

  Value result;
  if (!moe) {
    result = moe::SwiGLUOp::create(b, loc, xType, x, args[1], args[2], args[3]);
  } else {
    size_t next = 1;
    Value router = args[next++];
    bool noaux = config.topk_method == TopkMethod::NoauxTC;
    Value bias = noaux ? args[next++] : Value();
    Value gate = args[next++], up = args[next++], down = args[next++];
    Value sg, su, sd;
    if (sharedWidth > 0) {
      sg = args[next++];
      su = args[next++];
      sd = args[next++];
    }
    auto scoring = config.scoring_func == ScoringFunc::Sigmoid
                       ? moe::ScoringFunc::sigmoid
                       : moe::ScoringFunc::softmax;
    auto method = static_cast<moe::TopkMethod>(config.topk_method);
    RoutingConfig routing = config.routing();
    result =
        moe::BlockOp::create(b, loc, xType, x, router, bias, gate, up, down, sg,
                             su, sd, moe::ScoringFuncAttr::get(&ctx, scoring),
                             b.getI64IntegerAttr(routing.topK),
                             moe::TopkMethodAttr::get(&ctx, method),
                             b.getBoolAttr(routing.normTopkProb),
                             b.getF64FloatAttr(routing.routedScalingFactor),
                             b.getI64IntegerAttr(routing.nGroup),
                             b.getI64IntegerAttr(routing.topkGroup));
  }
  func::ReturnOp::create(b, loc, result);
  return module;
}
