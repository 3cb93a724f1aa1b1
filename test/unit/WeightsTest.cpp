//===- WeightsTest.cpp - weight operands in panels ------------------------===//
#include "moec/Runtime/Weights.h"
#include "moec/Runtime/ModuleSpec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>

using namespace moec;

namespace {

/// An MoE layer 0 of E = 3 routed experts of width I = 5, S = 2 shared, on
/// H = 7, with every weight element naming itself: expert e's (n, k) is
/// 1000 * e + 10 * n + k (shared: 1000 * (10 + s) ...), in `dtype`.
class TinyLayer {
public:
  static constexpr int64_t H = 7, I = 5, E = 3, S = 2;

  explicit TinyLayer(DType dtype) : dtype(dtype) {
    config.hidden_size = H;
    config.moe_intermediate_size = I;
    config.n_routed_experts = E;
    config.n_shared_experts = S;
    config.num_experts_per_tok = 2;
    config.first_k_dense_replace = 0;
    config.num_hidden_layers = 1;
    const std::string p = "model.layers.0.mlp.";
    add(p + "gate.weight", {E, H}, [](int64_t, int64_t) { return 0.0f; });
    for (int64_t e = 0; e < E; ++e) {
      std::string x = p + "experts." + std::to_string(e) + ".";
      auto value = [e](int64_t n, int64_t k) {
        return static_cast<float>(1000 * e + 10 * n + k);
      };
      add(x + "gate_proj.weight", {I, H}, value);
      add(x + "up_proj.weight", {I, H}, value);
      add(x + "down_proj.weight", {H, I}, value);
    }
    // The shared MLP of width S * I: expert s holds gate/up rows and down
    // columns [s * I, (s + 1) * I).
    auto rows = [](int64_t n, int64_t k) {
      return static_cast<float>(1000 * (10 + n / I) + 10 * (n % I) + k);
    };
    auto cols = [](int64_t n, int64_t k) {
      return static_cast<float>(1000 * (10 + k / I) + 10 * n + k % I);
    };
    add(p + "shared_experts.gate_proj.weight", {S * I, H}, rows);
    add(p + "shared_experts.up_proj.weight", {S * I, H}, rows);
    add(p + "shared_experts.down_proj.weight", {H, S * I}, cols);
    checkpoint = Checkpoint::fromMemory(views);
  }

  /// Element (n, k) of matrix g of a packed operand, read back as float.
  static float at(const WeightBuffer &w, const PanelLayout &l, int64_t g,
                  int64_t n, int64_t k) {
    const int64_t panels = (l.rows + l.panel - 1) / l.panel;
    const int64_t groups = (l.cols + l.kPack - 1) / l.kPack;
    const int64_t index =
        (((g * panels + n / l.panel) * groups + k / l.kPack) * l.panel +
         n % l.panel) *
            l.kPack +
        k % l.kPack;
    return element(w, index);
  }
  static float element(const WeightBuffer &w, int64_t index) {
    if (w.dtype == DType::F32)
      return static_cast<const float *>(w.data())[index];
    uint32_t bits =
        static_cast<uint32_t>(static_cast<const uint16_t *>(w.data())[index])
        << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }

  ModelConfig config;
  std::unique_ptr<Checkpoint> checkpoint;

private:
  void add(const std::string &name, std::vector<int64_t> shape,
           const std::function<float(int64_t, int64_t)> &value) {
    TensorView view;
    view.name = name;
    view.dtype = dtype;
    view.shape = shape;
    const int64_t cols = shape.back(), rows = view.numElements() / cols;
    storage.emplace_back(view.numElements() * dtypeSize(dtype));
    uint8_t *bytes = storage.back().data();
    for (int64_t n = 0; n < rows; ++n)
      for (int64_t k = 0; k < cols; ++k) {
        float v = value(n, k);
        if (dtype == DType::F32) {
          std::memcpy(bytes + (n * cols + k) * 4, &v, 4);
        } else {
          // Every value here is an integer below 2^8 x 2^7: exact in bf16
          // up to its 8 significant bits; compare after the same rounding.
          uint32_t bits;
          std::memcpy(&bits, &v, 4);
          uint16_t half = static_cast<uint16_t>(bits >> 16);
          std::memcpy(bytes + (n * cols + k) * 2, &half, 2);
        }
      }
    view.data = bytes;
    views.push_back(view);
  }

  DType dtype;
  std::vector<TensorView> views;
  std::vector<std::vector<uint8_t>> storage;
};

/// `v` as the checkpoint stored it (bf16 keeps the top 16 bits). Not
/// inlined: GCC 12 at -O3 folds the inlined bit round trip in the loop
/// below to the unrounded value.
__attribute__((noinline)) float roundedAsStored(float v, DType dtype) {
  if (dtype == DType::F32)
    return v;
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  bits &= 0xFFFF0000u;
  float rounded;
  std::memcpy(&rounded, &bits, 4);
  return rounded;
}

void checkPacking(DType dtype, int64_t panel) {
  TinyLayer layer(dtype);
  WeightLayout layout;
  layout.panel = panel;
  StatusOr<ModuleSpec> spec =
      deriveMLPModuleSpec(layer.config, *layer.checkpoint, 0, layout);
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  const FunctionSpec &fn = spec->functions[0];
  StatusOr<std::vector<WeightBuffer>> bound =
      bindWeights(*layer.checkpoint, fn, spec->mlp, false);
  ASSERT_TRUE(bound.ok()) << bound.status().message();
  std::vector<const OperandSpec *> ops = fn.weights();
  ASSERT_EQ(ops.size(), 7u);
  // The router stays as stored; the six matrices go in panels.
  EXPECT_FALSE(ops[0]->panels);
  const int64_t q = dtype == DType::BF16 ? 2 : 1;
  for (size_t i = 1; i < ops.size(); ++i) {
    const OperandSpec &op = *ops[i];
    ASSERT_TRUE(op.panels) << op.name;
    const PanelLayout &l = *op.panels;
    EXPECT_EQ(l.panel, panel);
    EXPECT_EQ(l.kPack, q);
    EXPECT_EQ(op.shape, l.packedShape());
    EXPECT_EQ((*bound)[i].shape, op.shape);
    const bool shared = i >= 4, down = i == 3 || i == 6;
    EXPECT_EQ(l.matrices, shared ? TinyLayer::S : TinyLayer::E) << op.name;
    EXPECT_EQ(l.rows, down ? TinyLayer::H : TinyLayer::I) << op.name;
    EXPECT_EQ(l.cols, down ? TinyLayer::I : TinyLayer::H) << op.name;
    EXPECT_EQ(l.concat, shared ? (down ? 1 : 0) : -1) << op.name;
    // Every element where the definition puts it; zeros in the padding.
    for (int64_t g = 0; g < l.matrices; ++g)
      for (int64_t n = 0; n < l.packedShape()[1] * panel; ++n)
        for (int64_t k = 0; k < l.packedShape()[2] * q; ++k) {
          float want = 0;
          if (n < l.rows && k < l.cols)
            want = roundedAsStored(
                static_cast<float>(1000 * (shared ? 10 + g : g) + 10 * n + k),
                dtype);
          ASSERT_EQ(TinyLayer::at((*bound)[i], l, g, n, k), want)
              << op.name << " matrix " << g << " (" << n << ", " << k << ")";
        }
  }
  // The contract names the layout, and modules of another layout differ.
  StatusOr<WeightLayout> named = weightLayoutOf(spec->signature());
  ASSERT_TRUE(named.ok()) << named.status().message();
  EXPECT_EQ(named->panel, panel);
  StatusOr<ModuleSpec> plain =
      deriveMLPModuleSpec(layer.config, *layer.checkpoint, 0);
  ASSERT_TRUE(plain.ok());
  EXPECT_NE(plain->signature(), spec->signature());
  EXPECT_EQ(weightLayoutOf(plain->signature())->panel, 0);
}

TEST(Weights, PacksBF16ExpertsInPanelsOfPairs) { checkPacking(DType::BF16, 8); }

TEST(Weights, PacksF32ExpertsInPanelsOfSingleInputs) {
  checkPacking(DType::F32, 4);
}

TEST(Weights, RefusesASignatureWithoutALayout) {
  StatusOr<WeightLayout> layout =
      weightLayoutOf("{\"format\": \"moec-module-1\"}");
  ASSERT_FALSE(layout.ok());
  EXPECT_NE(layout.status().message().find("weight_panel"), std::string::npos);
  EXPECT_FALSE(weightLayoutOf("not json").ok());
}

} // namespace
