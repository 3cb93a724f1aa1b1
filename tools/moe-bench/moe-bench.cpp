//===- moe-bench.cpp - moec's benchmarks ----------------------------------===//
//
//   moe-bench layer [--tokens 1,16,128,512] ...
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

cl::list<int64_t> tokens("tokens", cl::desc("Token counts to time"),
                         cl::CommaSeparated, cl::sub(layerCmd));
cl::opt<int> repeats("repeats", cl::desc("Timed calls per measurement"),
                     cl::init(5), cl::sub(layerCmd));
cl::opt<std::string> python("python",
                            cl::desc("Python with PyTorch, for the PyTorch "
                                     "eager baseline"),
                            cl::init("python3"), cl::sub(layerCmd));
cl::opt<bool> noTorch("no-torch", cl::desc("Skip the PyTorch baseline"),
                      cl::sub(layerCmd));
cl::opt<bool> noUnfused("no-unfused", cl::desc("Skip moec's unfused lowering"),
                        cl::sub(layerCmd));
cl::opt<int64_t> unfusedMaxTokens(
    "unfused-max-tokens",
    cl::desc("Largest token count the (slow) unfused lowering runs"),
    cl::init(128), cl::sub(layerCmd));
cl::opt<bool> f32Weights("f32-weights", cl::desc("F32 weights instead of BF16"),
                         cl::sub(layerCmd));
cl::opt<int64_t> rows("rows", cl::desc("Sorted rows per register tile"),
                      cl::init(4), cl::sub(layerCmd));
cl::opt<int64_t> gateUpCols("gate-up-cols",
                            cl::desc("Weight rows per gate/up register tile"),
                            cl::init(2), cl::sub(layerCmd));
cl::opt<int64_t> downCols("down-cols",
                          cl::desc("Weight rows per down register tile"),
                          cl::init(4), cl::sub(layerCmd));
cl::opt<int64_t> gateUpBlock("gate-up-block",
                             cl::desc("Expert-width rows per gate/up item"),
                             cl::init(64), cl::sub(layerCmd));
cl::opt<int64_t> downBlock("down-block",
                           cl::desc("Hidden columns per down item"),
                           cl::init(64), cl::sub(layerCmd));

int fail(const std::string &message) {
  return reportError("moe-bench", message);
}

} // namespace

int main(int argc, char **argv) {
  cl::ParseCommandLineOptions(
      argc, argv,
      "moe-bench: moec against baselines of the same work, in one run\n\n"
      "  moe-bench layer [--tokens 1,16,128,512] [--repeats N]\n\n"
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
      if (v < 1)
        return fail("tile sizes must be positive");
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
    return runLayerBench(o);
  }
  return fail("no subcommand given: use layer (see --help)");
}
