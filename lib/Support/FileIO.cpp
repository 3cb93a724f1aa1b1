//===- FileIO.cpp - Reading what users give, writing what they ask for ----===//
#include "moec/Support/FileIO.h"

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace moec;

namespace {

/// "a directory", "a FIFO", ... for a file that is not a regular one.
const char *kindOf(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISCHR(mode))
    return "a character device";
  if (S_ISBLK(mode))
    return "a block device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

std::string errnoText(int error) { return std::strerror(error); }

} // namespace

StatusOr<RegularFile> RegularFile::open(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return Status::error("cannot open " + path + ": " + errnoText(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int error = errno;
    ::close(fd);
    return Status::error("cannot read " + path + ": " + errnoText(error));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::error(path + " is " + kindOf(st.st_mode) +
                         ", not a regular file");
  }
  // Reads from a regular file never block; clear the flag all the same so
  // that the descriptor behaves as an ordinary one.
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0)
    ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return RegularFile(fd, static_cast<uint64_t>(st.st_size));
}

RegularFile::RegularFile(RegularFile &&other) noexcept
    : descriptor(other.descriptor), bytes(other.bytes) {
  other.descriptor = -1;
}

RegularFile &RegularFile::operator=(RegularFile &&other) noexcept {
  if (this != &other) {
    if (descriptor >= 0)
      ::close(descriptor);
    descriptor = other.descriptor;
    bytes = other.bytes;
    other.descriptor = -1;
  }
  return *this;
}

RegularFile::~RegularFile() {
  if (descriptor >= 0)
    ::close(descriptor);
}

StatusOr<std::string> moec::readRegularFile(const std::string &path,
                                            uint64_t maxBytes) {
  StatusOr<RegularFile> file = RegularFile::open(path);
  if (!file.ok())
    return file.status();
  const uint64_t size = file->size();
  if (size > maxBytes)
    return Status::error(path + " is " + std::to_string(size) +
                         " bytes, more than the " + std::to_string(maxBytes) +
                         " a file of its kind may have");
  std::string bytes(static_cast<size_t>(size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(file->fd(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Status::error("cannot read " + path + ": " + errnoText(errno));
    if (n == 0)
      return Status::error(path + " shrank while it was read (from " +
                           std::to_string(size) + " bytes to " +
                           std::to_string(done) + ")");
    done += static_cast<size_t>(n);
  }
  char extra;
  ssize_t more;
  do
    more = ::read(file->fd(), &extra, 1);
  while (more < 0 && errno == EINTR);
  if (more > 0)
    return Status::error(path + " grew while it was read (beyond " +
                         std::to_string(size) + " bytes)");
  return bytes;
}

bool moec::writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

Status moec::checkWritableOutput(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return Status(); // A new file (or a dangling link's new target).
    return Status::error("cannot write " + path + ": " + errnoText(errno));
  }
  if (!S_ISREG(st.st_mode))
    return Status::error("cannot write " + path + ": it is " +
                         kindOf(st.st_mode) +
                         "; give the path of a new or a "
                         "regular file");
  return Status();
}

namespace {

/// The file a write to `path` replaces: `path` itself, or the final target
/// when `path` is a symbolic link (renaming onto the link would replace the
/// link, not the file the user meant).
std::string replacedFile(const std::string &path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode))
    return path;
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved))
    return resolved;
  return path;
}

} // namespace

Status
moec::writeFileAtomically(const std::string &path,
                          std::initializer_list<std::string_view> parts) {
  if (Status s = checkWritableOutput(path); !s.ok())
    return s;
  const std::string target = replacedFile(path);

  // A name unique to this process and call, next to the target so that the
  // rename stays within one file system and is atomic; O_EXCL never opens
  // an existing file, so nothing of the user's is touched before the
  // rename.
  static std::atomic<unsigned> counter{0};
  std::string tmp = target + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    return Status::error("cannot write " + path + ": cannot create " + tmp +
                         ": " + errnoText(errno));
  bool ok = true;
  for (std::string_view part : parts)
    ok = ok && writeAll(fd, part);
  ok = ok && ::fsync(fd) == 0;
  int writeErrno = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    writeErrno = errno;
  }
  if (ok && ::rename(tmp.c_str(), target.c_str()) != 0) {
    ok = false;
    writeErrno = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return Status::error("cannot write " + path + ": " + errnoText(writeErrno));
  }
  return Status();
}
