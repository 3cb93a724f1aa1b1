//===- FuzzReplayMain.cpp - run a fuzz target on files, without libFuzzer -===//
//
// Builds without libFuzzer (g++, or clang without MOEC_FUZZ) link each fuzz
// target with this driver instead: it calls the target once per file named
// on the command line, or per file in a named directory, so that every
// build replays the seed corpora and any crash reproducer as a test.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int *argc,
                                                          char ***argv);

namespace {

bool isDirectory(const std::string &path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> filesIn(const std::string &dir) {
  std::vector<std::string> files;
  if (DIR *d = opendir(dir.c_str())) {
    while (const dirent *entry = readdir(d)) {
      std::string name = entry->d_name;
      if (name != "." && name != ".." && !isDirectory(dir + "/" + name))
        files.push_back(dir + "/" + name);
    }
    closedir(d);
  }
  std::sort(files.begin(), files.end());
  return files;
}

} // namespace

int main(int argc, char **argv) {
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::string> inputs;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!arg.empty() && arg[0] == '-')
      continue; // libFuzzer flags, meaningless here
    if (isDirectory(arg)) {
      std::vector<std::string> files = filesIn(arg);
      if (files.empty()) {
        std::fprintf(stderr, "error: no inputs in directory %s\n", arg.c_str());
        return 1;
      }
      inputs.insert(inputs.end(), files.begin(), files.end());
    } else {
      inputs.push_back(arg);
    }
  }
  if (inputs.empty()) {
    std::fprintf(stderr,
                 "usage: %s FILE_OR_DIRECTORY...\n"
                 "Runs the fuzz target once on each input.\n",
                 argv[0]);
    return 1;
  }
  for (const std::string &path : inputs) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "error: cannot read %s\n", path.c_str());
      return 1;
    }
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
  }
  std::printf("ran %zu inputs\n", inputs.size());
  return 0;
}
