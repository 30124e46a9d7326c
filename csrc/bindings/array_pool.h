// New output arrays for the bindings, with their large buffers recycled.
//
// A training step allocates the same large arrays at every step (a convolution's output,
// a pooling gradient: megabytes each). Fresh from malloc, such a buffer is often fresh
// from the kernel too (glibc maps large blocks and returns them on free, or trims the
// heap), and the first write to each of its pages takes a page fault and a zeroing of
// the page: measured on the MNIST convnet at batch 320, about 3,200 faults (13 MB) per
// step. Here a buffer of at least kPoolMinBytes goes back to a small cache when its
// array is freed and the next request of the same size takes it, with its pages mapped.
// Every call still returns a new array object (nothing is shared between live arrays);
// only the memory of dead ones is reused. The cache holds at most kPoolMaxBlocks
// buffers and kPoolMaxBytes (or an eighth of the physical memory, if less) in all,
// dropping the oldest first.
#pragma once
#include <pybind11/numpy.h>

#include <cstdint>
#include <vector>

namespace treino::bind {

namespace py = pybind11;

constexpr uint64_t kPoolMinBytes = uint64_t{1} << 20;
constexpr uint64_t kPoolMaxBytes = uint64_t{512} << 20;
constexpr int kPoolMaxBlocks = 64;

// A new uninitialised C-contiguous array of `shape` (extents >= 0, size already checked
// against the machine's memory) of T = float or int32_t.
template <class T>
py::array_t<T, py::array::c_style> pooled_array(const std::vector<int64_t>& shape);

// What the cache holds now (for tests): buffers and bytes.
std::pair<int64_t, int64_t> array_pool_stats();

}  // namespace treino::bind
