// Internal: the kernel table of one ISA. Included exactly once by each of
// elementwise_ref.cpp, elementwise_avx2.cpp and elementwise_avx512.cpp, which differ only
// in their compile flags; the loops themselves are in unary_impl.h and reduce_impl.h.
#pragma once
// The math of vmath_impl.h is branch-free only as written: every `c ? a : b` must become a
// vector blend, which GCC does only under -fno-trapping-math (set for all kernels in
// CMakeLists.txt; it concerns FP exception flags, never a result).
#include "elementwise/ew_kernels.h"
#include "elementwise/reduce_impl.h"
#include "elementwise/unary_impl.h"

namespace treino::ew_detail {
namespace {
const Kernels kTable = {
    unary_forward_k, unary_backward_k, act_forward_k, act_backward_k, bias_act_rows_k,
    binary_span_k,   sum_chunk_k,      prod_chunk_k,  extreme_span_k, arg_span_k,
    reduce_cols_k,   arg_cols_k,
};
}  // namespace
}  // namespace treino::ew_detail
