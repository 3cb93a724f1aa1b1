//===- FileIO.h - Reading what users give, writing what they ask for -*- C++
//-*-===//
//
// Every file moec reads comes from a user and may be anything a path can
// name: a FIFO that never delivers a byte, /dev/zero, a directory, a file
// that grows while it is read. Every file moec writes must be either the
// complete new file or left as it was, and never a device, a FIFO or a
// directory that happens to have the output's name. These helpers are the
// one place where both rules live.
//
//===----------------------------------------------------------------------===//
#ifndef MOEC_SUPPORT_FILEIO_H
#define MOEC_SUPPORT_FILEIO_H

#include "moec/Support/Status.h"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace moec {

/// Largest JSON file moec reads (config.json, the safetensors index,
/// tokenizer.json): far above any real one, far below what would exhaust
/// memory.
inline constexpr uint64_t kMaxJsonFileBytes = uint64_t(256) << 20;

/// A read-only file descriptor of a regular file, closed on destruction.
class RegularFile {
public:
  /// Opens `path` if it names a regular file (symbolic links followed).
  /// The open never blocks, so a FIFO is refused rather than waited on;
  /// devices, directories and sockets are refused by name.
  static StatusOr<RegularFile> open(const std::string &path);

  RegularFile(RegularFile &&other) noexcept;
  RegularFile &operator=(RegularFile &&other) noexcept;
  RegularFile(const RegularFile &) = delete;
  RegularFile &operator=(const RegularFile &) = delete;
  ~RegularFile();

  int fd() const { return descriptor; }
  /// The size when the file was opened.
  uint64_t size() const { return bytes; }

private:
  RegularFile(int fd, uint64_t size) : descriptor(fd), bytes(size) {}
  int descriptor = -1;
  uint64_t bytes = 0;
};

/// The whole of the regular file `path`, refusing files over `maxBytes`
/// (and files that change size while they are read).
StatusOr<std::string> readRegularFile(const std::string &path,
                                      uint64_t maxBytes = UINT64_MAX);

/// Writes all of `bytes` to `fd`, retrying short and interrupted writes;
/// false (with errno set) on failure.
bool writeAll(int fd, std::string_view bytes);

/// An error unless writing `path` would create a new file or replace a
/// regular one: an existing directory, device, FIFO or socket is refused.
Status checkWritableOutput(const std::string &path);

/// Writes the concatenation of `parts` to `path`: under a new temporary name
/// in the same directory, flushed to disk, then renamed into place, so that
/// `path` is either the complete new file or left as it was. A symbolic link
/// at `path` is followed and its target replaced. Refuses what
/// checkWritableOutput refuses.
Status writeFileAtomically(const std::string &path,
                           std::initializer_list<std::string_view> parts);

} // namespace moec

#endif // MOEC_SUPPORT_FILEIO_H
