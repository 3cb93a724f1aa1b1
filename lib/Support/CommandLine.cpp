//===- CommandLine.cpp - what every moec tool's command line shares -------===//
#include "moec/Support/CommandLine.h"

#include "moec/Support/FileIO.h"

#include <climits>
#include <cstdint>
#include <cstdlib>

#include <sys/stat.h>

using namespace moec;

StatusOr<std::vector<int32_t>> moec::parseTokenIds(const std::string &text) {
  std::vector<int32_t> ids;
  size_t i = 0;
  while (i <= text.size()) {
    size_t end = text.find(',', i);
    if (end == std::string::npos)
      end = text.size();
    std::string item = text.substr(i, end - i);
    bool digits = !item.empty() && item.size() <= 10 &&
                  item.find_first_not_of("0123456789") == std::string::npos;
    long long value = digits ? std::atoll(item.c_str()) : -1;
    if (!digits || value > INT32_MAX)
      return Status::error("token ids must be non-negative decimal integers "
                           "separated by commas, got '" +
                           item + "' in '" + text + "'");
    ids.push_back(static_cast<int32_t>(value));
    i = end + 1;
  }
  return ids;
}

namespace {

/// The canonical path of `path`, or of its directory plus its name when the
/// file does not exist yet.
std::string canonical(const std::string &path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf))
    return buf;
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (!::realpath(dir.empty() ? "/" : dir.c_str(), buf))
    return path;
  return std::string(buf) + "/" + name;
}

} // namespace

Status moec::checkOutputPath(const std::string &output,
                             const std::string &modelDirectory,
                             const std::vector<std::string> &inputs,
                             const std::string &flag) {
  std::string out = canonical(output);
  for (const std::string &input : inputs)
    if (canonical(input) == out)
      return Status::error(flag + " " + output +
                           " is an input file; refusing to overwrite it");
  std::string dir = canonical(modelDirectory);
  struct stat st;
  if (out.rfind(dir + "/", 0) == 0 && ::stat(out.c_str(), &st) == 0)
    return Status::error(flag + " " + output +
                         " is a file of the model directory " + modelDirectory +
                         "; refusing to overwrite it");
  if (Status s = checkWritableOutput(output); !s.ok())
    return Status::error(flag + ": " + s.message());
  return Status();
}
