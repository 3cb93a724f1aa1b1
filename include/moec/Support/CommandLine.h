//===- CommandLine.h - what every moec tool's command line shares -*- C++
//-*-===//
//
// Token ids from the command line and the check that an output never
// replaces what the user gave: plain C++, for the tools that link the
// compiler and for the runners that link only the runtime.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_SUPPORT_COMMANDLINE_H
#define MOEC_SUPPORT_COMMANDLINE_H

#include "moec/Support/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moec {

/// Parses "1,2,3" (decimal ids, comma-separated, no spaces or signs).
StatusOr<std::vector<int32_t>> parseTokenIds(const std::string &text);

/// An error if writing `output` (given as `flag`) could replace a file the
/// user gave (an existing file inside `modelDirectory`, or one of `inputs`)
/// or something that is not a file (a directory, device, FIFO or socket).
Status checkOutputPath(const std::string &output,
                       const std::string &modelDirectory,
                       const std::vector<std::string> &inputs = {},
                       const std::string &flag = "--output");

} // namespace moec

#endif // MOEC_SUPPORT_COMMANDLINE_H
