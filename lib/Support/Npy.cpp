//===- Npy.cpp - NumPy .npy files of float32 ------------------------------===//
//
// Format: the magic "\x93NUMPY", a major and a minor version byte, the header
// length (u16 in 1.0, u32 in 2.0 and 3.0, little-endian), then a Python dict
// literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and a newline, then the raw data.
//
//===----------------------------------------------------------------------===//
#include "moec/Support/Npy.h"

#include "moec/Support/FileIO.h"

#include <charconv>
#include <cstring>
#include <string_view>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "'<f4' data is copied without byte swapping");

namespace moec {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

/// The parsed header dict.
struct NpyHeader {
  std::string descr;
  bool fortranOrder = false;
  std::vector<int64_t> shape;
};

/// Parses the Python literal subset that numpy writes: a dict of quoted
/// keys to quoted strings, True/False, or tuples of integers.
class HeaderParser {
public:
  explicit HeaderParser(std::string_view text) : text(text) {}

  /// Returns an empty string on success, else what is wrong.
  std::string parse(NpyHeader &out) {
    bool seenDescr = false, seenOrder = false, seenShape = false;
    if (!consume('{'))
      return "expected '{'";
    while (!consume('}')) {
      std::string key;
      if (!parseQuoted(key))
        return "expected a quoted key or '}'";
      if (!consume(':'))
        return "expected ':' after '" + key + "'";
      bool *seen = key == "descr"           ? &seenDescr
                   : key == "fortran_order" ? &seenOrder
                   : key == "shape"         ? &seenShape
                                            : nullptr;
      if (!seen)
        return "unexpected key '" + key + "'";
      if (*seen)
        return "duplicate key '" + key + "'";
      *seen = true;
      if (key == "descr" && !parseQuoted(out.descr))
        return "'descr' must be a quoted string";
      if (key == "fortran_order" && !parseBool(out.fortranOrder))
        return "'fortran_order' must be True or False";
      if (key == "shape" && !parseShape(out.shape))
        return "'shape' must be a tuple of non-negative integers";
      if (!consume(',') && !lookingAt('}'))
        return "expected ',' or '}' after the value of '" + key + "'";
    }
    skipSpace();
    if (pos != text.size())
      return "unexpected text after the dict";
    if (!seenDescr || !seenOrder || !seenShape)
      return std::string("missing key '") +
             (!seenDescr   ? "descr"
              : !seenOrder ? "fortran_order"
                           : "shape") +
             "'";
    return "";
  }

private:
  void skipSpace() {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n' ||
                                 text[pos] == '\t' || text[pos] == '\r'))
      ++pos;
  }
  bool lookingAt(char c) {
    skipSpace();
    return pos < text.size() && text[pos] == c;
  }
  bool consume(char c) {
    if (!lookingAt(c))
      return false;
    ++pos;
    return true;
  }
  bool consumeWord(std::string_view word) {
    skipSpace();
    if (text.substr(pos, word.size()) != word)
      return false;
    pos += word.size();
    return true;
  }

  bool parseQuoted(std::string &out) {
    skipSpace();
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    size_t close = text.find(text[pos], pos + 1);
    if (close == std::string_view::npos)
      return false;
    out = std::string(text.substr(pos + 1, close - pos - 1));
    pos = close + 1;
    return out.find('\\') == std::string::npos; // numpy never escapes.
  }

  bool parseBool(bool &out) {
    if (consumeWord("True"))
      out = true;
    else if (consumeWord("False"))
      out = false;
    else
      return false;
    return true;
  }

  bool parseShape(std::vector<int64_t> &out) {
    if (!consume('('))
      return false;
    while (!consume(')')) {
      skipSpace();
      int64_t dim = -1;
      auto res =
          std::from_chars(text.data() + pos, text.data() + text.size(), dim);
      if (res.ec != std::errc() || dim < 0)
        return false;
      pos = res.ptr - text.data();
      out.push_back(dim);
      // A comma separates (and may end) elements; "(3)" is not a tuple.
      if (!consume(',') && (out.size() == 1 || !lookingAt(')')))
        return false;
    }
    return true;
  }

  std::string_view text;
  size_t pos = 0;
};

/// Names a dtype descr such as '<f8' for an error message.
std::string describeDescr(const std::string &descr) {
  std::string quoted = "'" + descr + "'";
  if (descr.size() < 3 || !std::strchr("<>|=", descr[0]))
    return "dtype " + quoted;
  std::string bits;
  int bytes = 0;
  auto res =
      std::from_chars(descr.data() + 2, descr.data() + descr.size(), bytes);
  // Widths past any real dtype's are named as written (and would overflow).
  if (res.ec != std::errc() || res.ptr != descr.data() + descr.size() ||
      bytes <= 0 || bytes > 64)
    return "dtype " + quoted;
  bits = std::to_string(bytes * 8);
  std::string name;
  switch (descr[1]) {
  case 'f':
    name = "float" + bits;
    break;
  case 'i':
    name = "int" + bits;
    break;
  case 'u':
    name = "uint" + bits;
    break;
  case 'c':
    name = "complex" + bits;
    break;
  case 'b':
    name = "bool";
    break;
  default:
    return "dtype " + quoted;
  }
  return (descr[0] == '>' ? "big-endian " : "") + name + " (" + quoted + ")";
}

uint32_t readLE(std::string_view bytes, size_t at, size_t width) {
  uint32_t v = 0;
  for (size_t i = 0; i < width; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + i]))
         << (8 * i);
  return v;
}

} // namespace

StatusOr<NpyArray> readNpy(const std::string &path) {
  StatusOr<std::string> file = readRegularFile(path);
  if (!file.ok())
    return file.status();
  return parseNpy(*file, path);
}

StatusOr<NpyArray> parseNpy(std::string_view bytes, const std::string &path) {
  if (bytes.size() < kMagicSize || bytes.compare(0, kMagicSize, kMagic) != 0)
    return Status::error(path + " is not a .npy file (bad magic)");
  if (bytes.size() < kMagicSize + 2)
    return Status::error(path + " is truncated: it ends before the version");
  int major = static_cast<unsigned char>(bytes[6]);
  int minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    return Status::error(path + " has .npy format version " +
                         std::to_string(major) + "." + std::to_string(minor) +
                         "; only 1.0, 2.0 and 3.0 are supported");
  size_t lengthWidth = major == 1 ? 2 : 4;
  size_t headerStart = 8 + lengthWidth;
  if (bytes.size() < headerStart)
    return Status::error(path + " is truncated: it ends in the header length");
  size_t headerSize = readLE(bytes, 8, lengthWidth);
  if (bytes.size() - headerStart < headerSize)
    return Status::error(path + " is truncated: it ends in the header");

  NpyHeader header;
  std::string problem =
      HeaderParser(std::string_view(bytes).substr(headerStart, headerSize))
          .parse(header);
  if (!problem.empty())
    return Status::error(path + " has a malformed header: " + problem);
  if (header.descr != "<f4")
    return Status::error(path + " holds " + describeDescr(header.descr) +
                         "; moe-run needs float32");
  if (header.fortranOrder)
    return Status::error(path + " is in Fortran order; moe-run needs C order");

  NpyArray array;
  array.shape = header.shape;
  uint64_t count = 1;
  for (int64_t d : header.shape) {
    if (d != 0 && count > UINT64_MAX / 4 / static_cast<uint64_t>(d))
      return Status::error(path + " has a shape too large to address");
    count *= static_cast<uint64_t>(d);
  }
  size_t dataSize = bytes.size() - headerStart - headerSize;
  if (dataSize != count * 4)
    return Status::error(
        path +
        (dataSize < count * 4 ? " is truncated" : " has trailing bytes") +
        ": its shape needs " + std::to_string(count * 4) +
        " bytes of data but " + std::to_string(dataSize) +
        " follow the header");
  array.data.resize(count);
  if (count)
    std::memcpy(array.data.data(), bytes.data() + headerStart + headerSize,
                count * 4);
  return array;
}

Status writeNpy(const std::string &path, const std::vector<int64_t> &shape,
                const float *data) {
  uint64_t count = 1;
  std::string dims;
  for (int64_t d : shape) {
    if (d < 0)
      return Status::error("cannot write " + path + ": negative dimension " +
                           std::to_string(d));
    if (d != 0 && count > UINT64_MAX / 4 / static_cast<uint64_t>(d))
      return Status::error("cannot write " + path + ": shape too large");
    count *= static_cast<uint64_t>(d);
    dims += std::to_string(d) + ", ";
  }
  // Python's tuple repr: "()", "(3,)", "(2, 3)".
  if (shape.size() > 1)
    dims.resize(dims.size() - 2);
  else if (shape.size() == 1)
    dims.resize(dims.size() - 1);
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // numpy aligns the data to 64 bytes: pad with spaces, end with a newline.
  size_t unpadded = kMagicSize + 4 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 0xFFFF)
    return Status::error("cannot write " + path + ": header too long");

  std::string prefix(kMagic, kMagicSize);
  prefix += '\x01';
  prefix += '\x00';
  prefix += static_cast<char>(header.size() & 0xFF);
  prefix += static_cast<char>(header.size() >> 8);
  prefix += header;

  return writeFileAtomically(
      path, {prefix, std::string_view(reinterpret_cast<const char *>(data),
                                      count * 4)});
}

} // namespace moec
