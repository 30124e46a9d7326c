#include "bindings/array_pool.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <new>

namespace treino::bind {

namespace {

struct Block {
  uint64_t bytes;
  void* ptr;
};

class Pool {
 public:
  // A buffer of exactly `bytes` (rounded up to whole pages by the caller).
  void* take(uint64_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Newest first: the buffer freed last is the likeliest to be in cache.
      for (auto it = free_.rbegin(); it != free_.rend(); ++it) {
        if (it->bytes == bytes) {
          void* p = it->ptr;
          held_ -= bytes;
          free_.erase(std::next(it).base());
          return p;
        }
      }
    }
    void* p = nullptr;
    if (posix_memalign(&p, 64, bytes) != 0) throw std::bad_alloc();
    return p;
  }

  void give(void* p, uint64_t bytes) {
    std::vector<void*> drop;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (bytes > limit()) {
        drop.push_back(p);
      } else {
        free_.push_back({bytes, p});
        held_ += bytes;
        while (held_ > limit() || static_cast<int>(free_.size()) > kPoolMaxBlocks) {
          drop.push_back(free_.front().ptr);
          held_ -= free_.front().bytes;
          free_.pop_front();
        }
      }
    }
    for (void* d : drop) std::free(d);
  }

  std::pair<int64_t, int64_t> stats() {
    std::lock_guard<std::mutex> lock(mu_);
    return {static_cast<int64_t>(free_.size()), static_cast<int64_t>(held_)};
  }

 private:
  static uint64_t limit() {
    static const uint64_t l = [] {
      const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
      const uint64_t phys = pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : 0;
      return phys ? std::min(kPoolMaxBytes, phys / 8) : kPoolMaxBytes;
    }();
    return l;
  }

  std::mutex mu_;
  std::deque<Block> free_;
  uint64_t held_ = 0;
};

// Never destroyed: arrays may outlive the module's static destructors at exit.
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

constexpr uint64_t kPage = 4096;

}  // namespace

template <class T>
py::array_t<T, py::array::c_style> pooled_array(const std::vector<int64_t>& shape) {
  std::vector<py::ssize_t> ext(shape.begin(), shape.end());
  uint64_t bytes = sizeof(T);
  for (int64_t e : shape) bytes *= static_cast<uint64_t>(e);
  if (bytes < kPoolMinBytes) return py::array_t<T, py::array::c_style>(ext);
  const uint64_t rounded = (bytes + kPage - 1) / kPage * kPage;
  void* p = pool().take(rounded);
  // A raw capsule owns the buffer (its context carries the size): when numpy frees the
  // array, the buffer goes back to the pool.
  auto* ctx = new uint64_t(rounded);
  PyObject* cap = PyCapsule_New(p, nullptr, [](PyObject* c) {
    void* q = PyCapsule_GetPointer(c, nullptr);
    auto* size = static_cast<uint64_t*>(PyCapsule_GetContext(c));
    pool().give(q, *size);
    delete size;
  });
  if (!cap) {
    delete ctx;
    pool().give(p, rounded);
    throw py::error_already_set();
  }
  PyCapsule_SetContext(cap, ctx);
  py::object base = py::reinterpret_steal<py::object>(cap);
  return py::array_t<T, py::array::c_style>(ext, static_cast<T*>(p), base);
}

template py::array_t<float, py::array::c_style> pooled_array<float>(const std::vector<int64_t>&);
template py::array_t<int32_t, py::array::c_style> pooled_array<int32_t>(
    const std::vector<int64_t>&);

std::pair<int64_t, int64_t> array_pool_stats() { return pool().stats(); }

}  // namespace treino::bind
