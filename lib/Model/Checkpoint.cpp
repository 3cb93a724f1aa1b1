//===- Checkpoint.cpp - Memory-mapped safetensors checkpoints -------------===//
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON describing each tensor, then the raw tensor bytes; data_offsets are
// relative to the first byte after the header.
//
//===----------------------------------------------------------------------===//
#include "moec/Model/Checkpoint.h"

#include "moec/Support/FileIO.h"
#include "moec/Support/Json.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian and is read in place");

namespace moec {

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "F32";
  case DType::F16:
    return "F16";
  case DType::BF16:
    return "BF16";
  case DType::I32:
    return "I32";
  }
  return "?";
}

size_t dtypeSize(DType dtype) {
  return dtype == DType::F32 || dtype == DType::I32 ? 4 : 2;
}

size_t TensorView::numElements() const {
  size_t n = 1;
  for (int64_t d : shape)
    n *= static_cast<size_t>(d);
  return n;
}

namespace {

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

bool fileExists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

/// Reads a JSON array of non-negative integers, or returns false.
bool readIndices(const JsonValue *v, std::vector<int64_t> &out) {
  if (!v || !v->isArray())
    return false;
  for (const JsonValue &e : v->getArray()) {
    if (!e.isInteger() || e.getInt64() < 0)
      return false;
    out.push_back(e.getInt64());
  }
  return true;
}

/// Parses one header entry into `view` (all but `data`), or explains what is
/// wrong with it. `dataSize` is the number of bytes after the header.
Status parseEntry(const std::string &path, const std::string &name,
                  const JsonValue &entry, size_t dataSize, TensorView &view,
                  uint64_t &begin) {
  std::string where = path + ": tensor " + name;
  if (!entry.isObject())
    return Status::error(where + ": header entry must be an object, got " +
                         entry.summary());
  const JsonValue *dtype = entry.find("dtype");
  if (!dtype)
    return Status::error(where + " has no dtype");
  if (!dtype->isString())
    return Status::error(where + ": dtype must be a string, got " +
                         dtype->summary());
  bool known = false;
  for (DType d : {DType::F32, DType::F16, DType::BF16})
    if (dtype->getString() == dtypeName(d)) {
      view.dtype = d;
      known = true;
    }
  if (!known)
    return Status::error(where + " has dtype " + dtype->summary() +
                         ", which is not supported (only BF16, F16 and F32)");

  const JsonValue *shape = entry.find("shape");
  if (!shape)
    return Status::error(where + " has no shape");
  if (!readIndices(shape, view.shape))
    return Status::error(where +
                         ": shape must be an array of non-negative integers, "
                         "got " +
                         shape->summary());

  const JsonValue *offsets = entry.find("data_offsets");
  std::vector<int64_t> range;
  if (!offsets)
    return Status::error(where + " has no data_offsets");
  if (!readIndices(offsets, range) || range.size() != 2)
    return Status::error(where + ": data_offsets must be [begin, end] with "
                                 "non-negative integers");
  uint64_t end = range[1];
  begin = range[0];
  std::string rangeText = formatShape(range);
  if (end < begin)
    return Status::error(where + " has data_offsets " + rangeText +
                         " that end before they begin");
  if (end > dataSize)
    return Status::error(path + " is truncated: tensor " + name +
                         " ends at data byte " + std::to_string(end) +
                         " but the file holds only " +
                         std::to_string(dataSize) + " data bytes");

  // The shape's byte size, refusing products that overflow 64 bits (a
  // zero dimension makes the product 0 whatever the others are).
  uint64_t bytes = dtypeSize(view.dtype);
  bool overflow = false;
  for (int64_t d : view.shape) {
    if (d != 0 && bytes > UINT64_MAX / static_cast<uint64_t>(d))
      overflow = true;
    bytes *= static_cast<uint64_t>(d);
  }
  for (int64_t d : view.shape)
    if (d == 0)
      overflow = false;
  if (overflow || bytes != end - begin)
    return Status::error(where + ": header offsets lie: data_offsets " +
                         rangeText + " span " + std::to_string(end - begin) +
                         " bytes but shape " + formatShape(view.shape) +
                         " of " + dtypeName(view.dtype) + " needs " +
                         (overflow ? "more than 2^64" : std::to_string(bytes)));
  return Status();
}

/// The safetensors library refuses headers longer than this.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

/// The header must be one JSON object; the format pads it to its length
/// with spaces, and with nothing else.
Status checkHeaderText(const std::string &path, std::string_view text) {
  size_t end = text.find_last_not_of(' ');
  if (text.empty() || text.front() != '{' || end == std::string_view::npos ||
      text[end] != '}')
    return Status::error(
        path + ": the header is not one JSON object padded with spaces to "
               "its length (is the header length field wrong?)");
  return Status();
}

/// Where one tensor's bytes lie, relative to the end of the header.
struct DataRange {
  uint64_t begin, end;
  std::string name;
};

/// The tensors must cover the data exactly: in order of their offsets, the
/// first begins at 0, each begins where the one before ends, and the last
/// ends at the end of the file, as the safetensors format requires. Any
/// other layout means overlapping tensors, bytes no tensor owns, or a wrong
/// header length.
Status checkCoverage(const std::string &path, std::vector<DataRange> &ranges,
                     uint64_t dataSize) {
  std::sort(ranges.begin(), ranges.end(),
            [](const DataRange &a, const DataRange &b) {
              return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
            });
  uint64_t at = 0;
  const std::string *previous = nullptr;
  for (const DataRange &r : ranges) {
    if (r.begin != at)
      return Status::error(
          path + ": tensor " + r.name + " begins at data byte " +
          std::to_string(r.begin) +
          (previous
               ? ", but tensor " + *previous + " ends at " + std::to_string(at)
               : ", but the first tensor must begin at 0") +
          (r.begin < at ? " (the tensors overlap)"
                        : " (bytes between them belong to no tensor)"));
    at = r.end;
    previous = &r.name;
  }
  if (at != dataSize)
    return Status::error(path + ": the tensors end at data byte " +
                         std::to_string(at) + " but the file holds " +
                         std::to_string(dataSize) +
                         " data bytes (trailing bytes, or a wrong header "
                         "length)");
  return Status();
}

} // namespace

/// A read-only, private mapping of a whole file.
struct Checkpoint::MappedFile {
  std::string path;
  const unsigned char *base = nullptr;
  size_t size = 0;

  ~MappedFile() {
    if (base)
      ::munmap(const_cast<unsigned char *>(base), size);
  }
};

Checkpoint::Checkpoint(std::string dir) : dir(std::move(dir)) {}
Checkpoint::~Checkpoint() = default;

Status Checkpoint::addFile(const std::string &fileName) {
  auto file = std::make_unique<MappedFile>();
  file->path = dir + "/" + fileName;
  const std::string &path = file->path;

  StatusOr<RegularFile> opened = RegularFile::open(path);
  if (!opened.ok())
    return opened.status();
  file->size = static_cast<size_t>(opened->size());
  if (file->size < 8)
    return Status::error(path + " is truncated: " + std::to_string(file->size) +
                         " bytes, too short for the 8-byte header length");
  void *base =
      ::mmap(nullptr, file->size, PROT_READ, MAP_PRIVATE, opened->fd(), 0);
  if (base == MAP_FAILED)
    return Status::error("cannot map " + path + ": " + std::strerror(errno));
  file->base = static_cast<const unsigned char *>(base);

  uint64_t headerSize;
  std::memcpy(&headerSize, file->base, 8);
  if (headerSize > file->size - 8)
    return Status::error(path + " is truncated: its header length is " +
                         std::to_string(headerSize) + " bytes but only " +
                         std::to_string(file->size - 8) + " follow");
  if (headerSize > kMaxHeaderBytes)
    return Status::error(path + ": its header length " +
                         std::to_string(headerSize) +
                         " is over the safetensors limit of " +
                         std::to_string(kMaxHeaderBytes) + " bytes");
  std::string_view headerText(reinterpret_cast<const char *>(file->base) + 8,
                              headerSize);
  if (Status s = checkHeaderText(path, headerText); !s.ok())
    return s;
  StatusOr<JsonValue> header = parseJson(headerText);
  if (!header.ok())
    return Status::error(path +
                         ": bad header JSON: " + header.status().message());

  const unsigned char *data = file->base + 8 + headerSize;
  size_t dataSize = file->size - 8 - headerSize;
  std::vector<DataRange> ranges;
  std::vector<TensorView> views;
  for (const auto &[name, entry] : header->getObject()) {
    if (name == "__metadata__") {
      if (!entry.isObject())
        return Status::error(path + ": __metadata__ must be an object, got " +
                             entry.summary());
      continue;
    }
    TensorView view;
    view.name = name;
    view.file = path;
    uint64_t begin = 0;
    if (Status s = parseEntry(path, name, entry, dataSize, view, begin);
        !s.ok())
      return s;
    view.data = data + begin;
    ranges.push_back(
        {begin, begin + view.numElements() * dtypeSize(view.dtype), name});
    views.push_back(std::move(view));
  }
  if (Status s = checkCoverage(path, ranges, dataSize); !s.ok())
    return s;
  for (TensorView &view : views) {
    auto [it, inserted] = tensors.emplace(view.name, view);
    if (!inserted)
      return Status::error("tensor " + view.name + " appears in both " +
                           it->second.file + " and " + path);
  }
  files.push_back(std::move(file));
  return Status();
}

StatusOr<std::unique_ptr<Checkpoint>>
Checkpoint::open(const std::string &modelDir) {
  std::unique_ptr<Checkpoint> ckpt(new Checkpoint(modelDir));
  std::string indexPath = modelDir + "/model.safetensors.index.json";
  if (!fileExists(indexPath)) {
    if (!fileExists(modelDir + "/model.safetensors"))
      return Status::error("no model.safetensors or "
                           "model.safetensors.index.json in " +
                           modelDir);
    if (Status s = ckpt->addFile("model.safetensors"); !s.ok())
      return s;
    return ckpt;
  }

  StatusOr<JsonValue> index = parseJsonFile(indexPath);
  if (!index.ok())
    return index.status();
  const JsonValue *weightMap = index->find("weight_map");
  if (!weightMap || !weightMap->isObject())
    return Status::error(indexPath + ": weight_map must be an object");
  std::set<std::string> shards;
  for (const auto &[name, shard] : weightMap->getObject()) {
    // Shards live next to the index; a path could point anywhere.
    if (!shard.isString() || shard.getString().empty() ||
        shard.getString().find('/') != std::string::npos ||
        shard.getString() == "." || shard.getString() == "..")
      return Status::error(indexPath + ": the shard of tensor " + name +
                           " must be a file name, got " + shard.summary());
    shards.insert(shard.getString());
  }
  for (const std::string &shard : shards)
    if (Status s = ckpt->addFile(shard); !s.ok())
      return s;
  for (const auto &[name, shard] : weightMap->getObject()) {
    auto it = ckpt->tensors.find(name);
    std::string shardPath = modelDir + "/" + shard.getString();
    if (it == ckpt->tensors.end() || it->second.file != shardPath)
      return Status::error("tensor " + name + " listed in " + indexPath +
                           " is not in its shard " + shardPath);
  }
  // Loaders go by the index: a tensor it does not list is not part of the
  // model, and finding it anyway would hide a broken index.
  for (const auto &[name, view] : ckpt->tensors)
    if (!weightMap->find(name))
      return Status::error("tensor " + name + " in " + view.file +
                           " is not listed in the weight_map of " + indexPath);
  return ckpt;
}

std::unique_ptr<Checkpoint>
Checkpoint::fromMemory(const std::vector<TensorView> &views,
                       const std::string &description) {
  std::unique_ptr<Checkpoint> ckpt(new Checkpoint(description));
  ckpt->mapped = false;
  for (const TensorView &view : views)
    ckpt->tensors[view.name] = view;
  return ckpt;
}

StatusOr<TensorView> Checkpoint::tensor(const std::string &name) const {
  auto it = tensors.find(name);
  if (it == tensors.end())
    return Status::error("tensor " + name + " not found in " + dir);
  return it->second;
}

StatusOr<TensorView>
Checkpoint::tensor(const std::string &name,
                   const std::vector<int64_t> &expectedShape) const {
  StatusOr<TensorView> view = tensor(name);
  if (view.ok() && view->shape != expectedShape)
    return Status::error("tensor " + name + " in file " + view->file +
                         " has shape " + formatShape(view->shape) +
                         " but the config implies " +
                         formatShape(expectedShape));
  return view;
}

bool Checkpoint::has(const std::string &name) const {
  return tensors.count(name) != 0;
}

void Checkpoint::releasePages(const TensorView &tensor) const {
  if (!mapped)
    return;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  auto begin = reinterpret_cast<uintptr_t>(tensor.data);
  uintptr_t end = begin + tensor.numElements() * dtypeSize(tensor.dtype);
  uintptr_t first = (begin + page - 1) / page * page, last = end / page * page;
  if (first < last)
    ::madvise(reinterpret_cast<void *>(first), last - first, MADV_DONTNEED);
}

std::vector<std::string> Checkpoint::names() const {
  std::vector<std::string> out;
  out.reserve(tensors.size());
  for (const auto &entry : tensors)
    out.push_back(entry.first);
  return out;
}

//===----------------------------------------------------------------------===//
// Element conversion
//===----------------------------------------------------------------------===//

static float bitsToFloat(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16ToFloat(uint16_t bits) {
  return bitsToFloat(static_cast<uint32_t>(bits) << 16);
}

float f16ToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  uint32_t exp = (bits >> 10) & 0x1F;
  uint32_t mant = bits & 0x3FF;
  if (exp == 0x1F) // Inf or NaN; the payload moves to the top mantissa bits.
    return bitsToFloat(sign | 0x7F800000 | (mant << 13));
  if (exp != 0) // Normal: rebias the exponent from 15 to 127.
    return bitsToFloat(sign | ((exp + 127 - 15) << 23) | (mant << 13));
  if (mant == 0)
    return bitsToFloat(sign);
  // Subnormal mant * 2^-24 is a normal float32: shift the leading one up to
  // the implicit bit, lowering the exponent (2^-14, biased 113) per shift.
  uint32_t e = 127 - 14;
  while (!(mant & 0x400)) {
    mant <<= 1;
    --e;
  }
  return bitsToFloat(sign | (e << 23) | ((mant & 0x3FF) << 13));
}

uint16_t floatToBf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  if ((bits & 0x7FFFFFFF) > 0x7F800000) // NaN: truncating could give Inf.
    return static_cast<uint16_t>((bits >> 16) | 0x0040);
  uint32_t lsb = (bits >> 16) & 1;
  return static_cast<uint16_t>((bits + 0x7FFF + lsb) >> 16);
}

void convertToFloat32(const TensorView &tensor, float *out) {
  size_t n = tensor.numElements();
  const auto *src = static_cast<const unsigned char *>(tensor.data);
  if (tensor.dtype == DType::F32) {
    if (n > 0) // memcpy needs valid pointers even for 0 bytes.
      std::memcpy(out, src, n * 4);
    return;
  }
  float (*widen)(uint16_t) =
      tensor.dtype == DType::BF16 ? bf16ToFloat : f16ToFloat;
  for (size_t i = 0; i < n; ++i) {
    uint16_t bits; // memcpy: the data need not be 2-byte aligned.
    std::memcpy(&bits, src + 2 * i, 2);
    out[i] = widen(bits);
  }
}

} // namespace moec
