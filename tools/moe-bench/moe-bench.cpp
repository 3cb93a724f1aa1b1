//===- moe-bench.cpp - moec's benchmarks ----------------------------------===//
//
//   moe-bench layer [--tokens 1,16,128,512] ...
//   moe-bench sweep [--cpu NAME] [--rows 3,4,5,6] ...
//   moe-bench model --model DIR [--gguf FILE.gguf] ...
//
// Times code compiled by moec side by side, in one run, with baselines of
// the same work. Not a test: results go to BENCHMARKS.md.
//
//===----------------------------------------------------------------------===//
#include "Bench.h"

#include "moec/Tools/ToolSupport.h"

#include "llvm/Support/CommandLine.h"

using namespace moec;
using namespace moec::bench;
namespace cl = llvm::cl;

namespace {

cl::SubCommand
    layerCmd("layer",
             "The DeepSeekMoE-16B MoE layer (H 2048, I 1408, E 64, k 6, 2 "
             "shared; random weights) against OpenBLAS SGEMM of equal FLOPs, "
             "PyTorch eager and the memory bandwidth");

cl::SubCommand
    modelCmd("model",
             "A whole checkpoint (model_type deepseek): prefill and decode "
             "tokens/s against the read bandwidth, PyTorch eager and "
             "llama.cpp on the same checkpoint");

cl::SubCommand
    sweepCmd("sweep",
             "The DeepSeekMoE-16B MoE layer compiled with every combination "
             "of the given kernel tilings for one CPU, each timed against "
             "OpenBLAS SGEMM of equal FLOPs: how the defaults are chosen");

IntListOption sweepTokens("tokens", cl::desc("Token counts to time"),
                          cl::CommaSeparated, cl::sub(sweepCmd));
IntListOption sweepRows("rows", cl::desc("Activation rows per register tile"),
                        cl::CommaSeparated, cl::sub(sweepCmd));
IntListOption sweepGateUp("gate-up-cols",
                          cl::desc("Panels per gate/up register tile"),
                          cl::CommaSeparated, cl::sub(sweepCmd));
IntListOption sweepDown("down-cols", cl::desc("Panels per down register tile"),
                        cl::CommaSeparated, cl::sub(sweepCmd));
IntListOption sweepBlocks("blocks",
                          cl::desc("Outputs per work item (both phases)"),
                          cl::CommaSeparated, cl::sub(sweepCmd));

cl::opt<std::string> modelDir("model", cl::desc("Checkpoint directory"),
                              cl::value_desc("DIR"), cl::Required,
                              cl::sub(modelCmd));
IntOption promptTokens("prompt-tokens", cl::desc("Tokens of the timed prefill"),
                       cl::init(512), cl::sub(modelCmd));
IntListOption contexts("contexts",
                       cl::desc("Context lengths to time decode steps at"),
                       cl::CommaSeparated, cl::sub(modelCmd));
IntOption decodeSteps("decode-steps",
                      cl::desc("Timed decode steps per context"), cl::init(16),
                      cl::sub(modelCmd));
cl::list<std::string> torchDtypes(
    "torch-dtypes",
    cl::desc("Weight dtypes of the PyTorch runs (bf16, f32; none: skip)"),
    cl::CommaSeparated, cl::sub(modelCmd));
cl::list<DType> kvCaches("kv-cache",
                         cl::desc("KV cache element types of the moec runs "
                                  "(repeatable; default f32)"),
                         kvCacheValues(), cl::sub(modelCmd));
cl::list<std::string> ggufs("gguf",
                            cl::desc("A GGUF of the same checkpoint for "
                                     "llama.cpp (repeatable)"),
                            cl::sub(modelCmd));

IntListOption tokens("tokens", cl::desc("Token counts to time"),
                     cl::CommaSeparated, cl::sub(layerCmd));
IntOption repeats("repeats", cl::desc("Timed calls per measurement"),
                  cl::init(5), cl::sub(layerCmd), cl::sub(modelCmd),
                  cl::sub(sweepCmd));
cl::opt<std::string> python("python",
                            cl::desc("Python with PyTorch (and llama_cpp), "
                                     "for the baselines"),
                            cl::init("python3"), cl::sub(layerCmd),
                            cl::sub(modelCmd));
cl::opt<std::string> cpu("cpu",
                         cl::desc("The CPU to compile moec's code for: host "
                                  "(the default) or an LLVM x86-64 CPU name "
                                  "(x86-64-v3, x86-64-v4, znver4, ...)"),
                         cl::value_desc("NAME"), cl::init("host"),
                         cl::sub(layerCmd), cl::sub(modelCmd),
                         cl::sub(sweepCmd));
cl::opt<bool> noTorch("no-torch", cl::desc("Skip the PyTorch baseline"),
                      cl::sub(layerCmd));
cl::opt<bool> noUnfused("no-unfused", cl::desc("Skip moec's unfused lowering"),
                        cl::sub(layerCmd));
IntOption unfusedMaxTokens(
    "unfused-max-tokens",
    cl::desc("Largest token count the (slow) unfused lowering runs"),
    cl::init(128), cl::sub(layerCmd));
cl::opt<bool> f32Weights("f32-weights", cl::desc("F32 weights instead of BF16"),
                         cl::sub(layerCmd));
IntOption rows("rows",
               cl::desc("Sorted rows per register tile (0: the "
                        "target's)"),
               cl::init(0), cl::sub(layerCmd));
IntOption gateUpCols("gate-up-cols",
                     cl::desc("Weight rows per gate/up register tile "
                              "(0: the target's)"),
                     cl::init(0), cl::sub(layerCmd));
IntOption downCols("down-cols",
                   cl::desc("Weight rows per down register tile (0: "
                            "the target's)"),
                   cl::init(0), cl::sub(layerCmd));
IntOption gateUpBlock("gate-up-block",
                      cl::desc("Expert-width rows per gate/up item"),
                      cl::init(64), cl::sub(layerCmd));
IntOption downBlock("down-block", cl::desc("Hidden columns per down item"),
                    cl::init(64), cl::sub(layerCmd));

int fail(const std::string &message) {
  return reportError("moe-bench", message);
}

} // namespace

int main(int argc, char **argv) {
  parseSubcommandLine(
      argc, argv,
      "moe-bench: moec against baselines of the same work, in one run\n\n"
      "  moe-bench layer [--tokens 1,16,128,512] [--repeats N]\n"
      "  moe-bench sweep [--cpu NAME] [--rows 3,4,5,6] [--gate-up-cols 1,2] "
      "[--down-cols 1,2,3]\n"
      "  moe-bench model --model DIR [--gguf FILE.gguf] [--contexts "
      "16,2000]\n\n"
      "`moe-bench SUBCOMMAND --help` lists a subcommand's options.\n");
  if (layerCmd) {
    LayerBenchOptions o;
    if (!tokens.empty())
      o.tokens.assign(tokens.begin(), tokens.end());
    for (int64_t t : o.tokens)
      if (t < 1)
        return fail("--tokens must be positive, got " + std::to_string(t));
    if (repeats < 1)
      return fail("--repeats must be at least 1");
    for (int64_t v :
         {rows.getValue(), gateUpCols.getValue(), downCols.getValue(),
          gateUpBlock.getValue(), downBlock.getValue()})
      if (v < 0)
        return fail("tile sizes must be positive (or 0 for the target's)");
    o.repeats = repeats;
    o.python = python;
    o.torch = !noTorch;
    o.unfused = !noUnfused;
    o.unfusedMaxTokens = unfusedMaxTokens;
    o.dtype = f32Weights ? DType::F32 : DType::BF16;
    o.tiling.rows = rows;
    o.tiling.gateUpCols = gateUpCols;
    o.tiling.downCols = downCols;
    o.tiling.gateUpBlock = gateUpBlock;
    o.tiling.downBlock = downBlock;
    o.cpu = cpu;
    return runLayerBench(o);
  }
  if (sweepCmd) {
    SweepBenchOptions o;
    o.cpu = cpu;
    o.repeats = repeats;
    if (repeats < 1)
      return fail("--repeats must be at least 1");
    for (auto [list, field] : {std::pair{&sweepTokens, &o.tokens},
                               {&sweepRows, &o.rows},
                               {&sweepGateUp, &o.gateUpCols},
                               {&sweepDown, &o.downCols},
                               {&sweepBlocks, &o.blocks}}) {
      if (!list->empty())
        field->assign(list->begin(), list->end());
      for (int64_t v : *field)
        if (v < 1)
          return fail("token counts and tile sizes must be positive, got " +
                      std::to_string(v));
    }
    return runSweepBench(o);
  }
  if (modelCmd) {
    ModelBenchOptions o;
    o.model = modelDir;
    o.cpu = cpu;
    o.promptTokens = promptTokens;
    if (!contexts.empty())
      o.contexts.assign(contexts.begin(), contexts.end());
    o.decodeSteps = decodeSteps;
    o.repeats = repeats;
    o.python = python;
    if (!torchDtypes.empty()) {
      o.torchDtypes.clear();
      for (const std::string &d : torchDtypes)
        if (d != "none")
          o.torchDtypes.push_back(d);
    }
    o.ggufs.assign(ggufs.begin(), ggufs.end());
    if (!kvCaches.empty())
      o.kvCaches.assign(kvCaches.begin(), kvCaches.end());
    if (o.promptTokens < 1 || o.decodeSteps < 1 || o.repeats < 1)
      return fail("--prompt-tokens, --decode-steps and --repeats must be "
                  "positive");
    for (int64_t c : o.contexts)
      if (c < 1)
        return fail("--contexts must be positive");
    return runModelBench(o);
  }
  return fail("no subcommand given: use layer or model (see --help)");
}
