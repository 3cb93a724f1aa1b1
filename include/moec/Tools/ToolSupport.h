//===- ToolSupport.h - what the moec tools share ----------------*- C++ -*-===//
//
// The command-line pieces the tools have in common: the compile flags
// (llvm::cl options attached to the subcommands that compile), a progress
// bar for long loads and compiles, token id lists, and the rule that an
// output never replaces what the user gave.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_TOOLS_TOOLSUPPORT_H
#define MOEC_TOOLS_TOOLSUPPORT_H

#include "moec/Compiler/Compile.h"
#include "moec/Support/Status.h"

#include "llvm/Support/CommandLine.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace moec {

/// --no-fold-shared-experts, --unfused and --sequential, on `subcommands`.
class CompileFlags {
public:
  explicit CompileFlags(
      std::initializer_list<llvm::cl::SubCommand *> subcommands);
  /// The CompileOptions the flags select.
  CompileOptions options() const;

private:
  llvm::cl::SubCommandGroup subcommands;
  llvm::cl::opt<bool> noFoldSharedExperts, unfused, sequential;
};

/// The values of a --kv-cache option: f32, f16, bf16.
llvm::cl::ValuesClass kvCacheValues();

/// A progress bar on stderr for an operation that may take long: nothing is
/// drawn until a second has passed; then, on a terminal, one line redrawn
/// in place, elsewhere a line per tenth of the way.
class ProgressBar {
public:
  explicit ProgressBar(std::string what);
  ~ProgressBar();
  void update(int64_t done, int64_t total);

private:
  std::string what;
  std::chrono::steady_clock::time_point start;
  bool drawn = false, terminal = false;
  int64_t lastTenth = -1;
};

/// Parses "1,2,3" (decimal ids, comma-separated, no spaces or signs).
StatusOr<std::vector<int32_t>> parseTokenIds(const std::string &text);

/// An error if writing `output` could replace a file the user gave: an
/// existing file inside `modelDirectory`, or one of `inputs`.
Status checkOutputPath(const std::string &output,
                       const std::string &modelDirectory,
                       const std::vector<std::string> &inputs = {});

/// cl::ParseCommandLineOptions for a tool whose options all belong to
/// subcommands: the top-level --help lists the subcommands, not the hundreds
/// of options LLVM's libraries register for LLVM's own tools.
void parseSubcommandLine(int argc, char **argv, const char *overview);

/// Prints "<tool>: error: <message>" to stderr and returns 1.
int reportError(const char *tool, const std::string &message);

} // namespace moec

#endif // MOEC_TOOLS_TOOLSUPPORT_H
