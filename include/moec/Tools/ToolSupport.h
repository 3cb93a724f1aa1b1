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
#include "moec/Support/CommandLine.h"
#include "moec/Support/Status.h"

#include "llvm/Support/CommandLine.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

namespace moec {

enum class LatentAttentionMode { Auto, Absorb, Expand };

/// --cpu, --no-fold-shared-experts, --unfused, --sequential and
/// --latent-attention, on `subcommands`.
class CompileFlags {
public:
  explicit CompileFlags(
      std::initializer_list<llvm::cl::SubCommand *> subcommands);
  /// The CompileOptions the flags select.
  CompileOptions options() const;

private:
  llvm::cl::SubCommandGroup subcommands;
  llvm::cl::opt<std::string> cpu;
  llvm::cl::opt<bool> noFoldSharedExperts, unfused, sequential, gpuKernelsOnCPU;
  llvm::cl::opt<LatentAttentionMode> latentAttention;
};

/// The parser of integer options: llvm::cl's own also reads 0x10, 0b1 and
/// 010 (octal, so 8), which no one means by a layer or a token count; this
/// one takes plain decimal digits, after a '-' for signed types, and
/// nothing else (no spaces, no '+'). Use it with `long long`, `unsigned
/// long long` or `int` options (cl::opt<long long, false,
/// DecimalParser<long long>>): llvm::cl's parsers of the other integer
/// types cannot be extended.
template <typename T> class DecimalParser : public llvm::cl::parser<T> {
public:
  using llvm::cl::parser<T>::parser;
  /// True (and a message) on error, as llvm::cl expects.
  bool parse(llvm::cl::Option &option, llvm::StringRef name,
             llvm::StringRef text, T &value) {
    llvm::StringRef digits = text;
    if (std::is_signed_v<T>)
      digits.consume_front("-");
    if (digits.empty() ||
        digits.find_first_not_of("0123456789") != llvm::StringRef::npos ||
        text.getAsInteger(10, value))
      return option.error("'" + text +
                          "' is not a decimal integer in range for --" +
                          (name.empty() ? option.ArgStr : name));
    return false;
  }
};

/// Integer options, read as plain decimals.
using IntOption = llvm::cl::opt<long long, false, DecimalParser<long long>>;
using IntListOption = llvm::cl::list<long long, bool, DecimalParser<long long>>;
using UnsignedOption =
    llvm::cl::opt<unsigned long long, false, DecimalParser<unsigned long long>>;

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

/// cl::ParseCommandLineOptions for a tool whose options all belong to
/// subcommands: the top-level --help lists the subcommands, not the hundreds
/// of options LLVM's libraries register for LLVM's own tools.
void parseSubcommandLine(int argc, char **argv, const char *overview);

/// Prints "<tool>: error: <message>" to stderr and returns 1.
int reportError(const char *tool, const std::string &message);

} // namespace moec

#endif // MOEC_TOOLS_TOOLSUPPORT_H
