#include "data/finite.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "common/threading.h"

namespace treino {

namespace {

constexpr uint32_t kExponent = 0x7f800000u;  // all ones: infinity or NaN
constexpr int64_t kBlock = 4096;              // elements counted before a branch
constexpr int64_t kChunks = 16;               // fixed split, whatever the thread count
constexpr int64_t kParallelElems = int64_t{1} << 18;

// Counts the non-finite elements of a block without branches, so the compiler vectorizes
// it at the baseline ISA (compare-equal and subtract); a memory-bound loop needs no more.
inline bool nonfinite(const float* p) {
  uint32_t u;
  std::memcpy(&u, p, sizeof u);  // the bits, without breaking aliasing rules
  return (u & kExponent) == kExponent;
}

int64_t count_block(const float* b, int64_t n) {
  uint32_t bad = 0;
  for (int64_t i = 0; i < n; ++i) bad += nonfinite(b + i);
  return bad;
}

int64_t first_in(const float* p, int64_t begin, int64_t end) {
  for (int64_t b = begin; b < end; b += kBlock) {
    const int64_t e = std::min(end, b + kBlock);
    if (count_block(p + b, e - b)) {
      for (int64_t i = b; i < e; ++i) {
        if (nonfinite(p + i)) return i;
      }
    }
  }
  return -1;
}

}  // namespace

int64_t first_nonfinite(const float* p, int64_t n) {
  static_assert(sizeof(float) == sizeof(uint32_t), "float32 is 4 bytes");
  if (n < kParallelElems) return first_in(p, 0, n);
  const int64_t per = (n + kChunks - 1) / kChunks;
  std::vector<int64_t> found(static_cast<size_t>(kChunks), -1);
  parallel_for_chunks(kChunks, true, [&](int64_t c) {
    const int64_t b = c * per, e = std::min(n, b + per);
    if (b < e) found[static_cast<size_t>(c)] = first_in(p, b, e);
  });
  for (int64_t f : found) {
    if (f >= 0) return f;
  }
  return -1;
}

}  // namespace treino
