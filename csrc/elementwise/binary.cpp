// Binary ops with numpy broadcasting: the shapes are reduced to a plan of coalesced dims
// with element strides (0 along broadcast dims), whose innermost dim is a unit-stride or
// stride-0 span handed to the per-ISA binary_span kernel. Same-shape, scalar and
// row-vector (bias) operands all become one or two dims, i.e. one tight loop per row.
#include <algorithm>

#include "common/threading.h"
#include "elementwise/elementwise.h"
#include "elementwise/ew_kernels.h"

namespace treino {

namespace {
constexpr int64_t kGrain = 32768;  // as unary.cpp: below 64K elements, one thread

struct Plan {
  std::vector<int64_t> dims, sa, sb;  // outermost first; innermost strides are 0 or 1
  int64_t total = 1;
};

Plan make_plan(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
               const std::vector<int64_t>& out) {
  const size_t r = out.size();
  auto padded = [r](const std::vector<int64_t>& s) {
    std::vector<int64_t> p(r - s.size(), 1);
    p.insert(p.end(), s.begin(), s.end());
    return p;
  };
  const auto pa = padded(a), pb = padded(b);
  // Contiguous strides of each operand in its own (padded) shape.
  std::vector<int64_t> ca(r), cb(r);
  int64_t ma = 1, mb = 1;
  for (size_t i = r; i-- > 0;) { ca[i] = ma; ma *= pa[i]; cb[i] = mb; mb *= pb[i]; }
  Plan p;
  for (size_t i = 0; i < r; ++i) {
    p.total *= out[i];
    if (out[i] == 1) continue;  // extent-1 dims carry no stride information
    const int64_t sa = pa[i] == 1 ? 0 : ca[i], sb = pb[i] == 1 ? 0 : cb[i];
    if (!p.dims.empty()) {
      const int64_t d = out[i];
      // Merge into the previous (outer) dim when stepping over it equals d inner steps.
      if (p.sa.back() == sa * d && p.sb.back() == sb * d) {
        p.dims.back() *= d; p.sa.back() = sa; p.sb.back() = sb;
        continue;
      }
    }
    p.dims.push_back(out[i]); p.sa.push_back(sa); p.sb.push_back(sb);
  }
  if (p.dims.empty()) { p.dims = {1}; p.sa = {1}; p.sb = {1}; }
  return p;
}

void run_plan(const ew_detail::Kernels& k, bool threaded, Binary op, const float* a,
              const float* b, float* out, const Plan& p) {
  if (p.total == 0) return;
  const size_t nd = p.dims.size();
  const int64_t n = p.dims.back(), ia = p.sa.back(), ib = p.sb.back();
  if (nd == 1) {
    auto span = [&](int64_t s, int64_t e) {
      k.binary_span(op, a + s * ia, ia, b + s * ib, ib, out + s, e - s);
    };
    if (threaded) parallel_range(n, kGrain, span); else span(0, n);
    return;
  }
  const int64_t rows = p.total / n;
  // Rows [r0, r1): unravel r0 over the outer dims once, then step an odometer.
  auto walk = [&](int64_t r0, int64_t r1) {
    std::vector<int64_t> idx(nd - 1);
    int64_t oa = 0, ob = 0, rem = r0;
    for (size_t d = nd - 1; d-- > 0;) {
      idx[d] = rem % p.dims[d]; rem /= p.dims[d];
      oa += idx[d] * p.sa[d]; ob += idx[d] * p.sb[d];
    }
    for (int64_t r = r0; r < r1; ++r) {
      k.binary_span(op, a + oa, ia, b + ob, ib, out + r * n, n);
      for (size_t d = nd - 1; d-- > 0;) {
        oa += p.sa[d]; ob += p.sb[d];
        if (++idx[d] < p.dims[d]) break;
        oa -= p.sa[d] * p.dims[d]; ob -= p.sb[d] * p.dims[d]; idx[d] = 0;
      }
    }
  };
  if (threaded) parallel_range(rows, std::max<int64_t>(1, kGrain / n), walk);
  else walk(0, rows);
}
}  // namespace

bool broadcast_shapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                      std::vector<int64_t>* out) {
  const size_t r = std::max(a.size(), b.size());
  std::vector<int64_t> s(r);
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    s[i] = da == 1 ? db : da;
  }
  *out = std::move(s);
  return true;
}

void binary(Binary op, const float* a, const std::vector<int64_t>& a_shape, const float* b,
            const std::vector<int64_t>& b_shape, float* out) {
  std::vector<int64_t> os;
  if (!broadcast_shapes(a_shape, b_shape, &os)) return;
  run_plan(ew_detail::kernels(), true, op, a, b, out, make_plan(a_shape, b_shape, os));
}

void binary_ref(Binary op, const float* a, const std::vector<int64_t>& a_shape,
                const float* b, const std::vector<int64_t>& b_shape, float* out) {
  std::vector<int64_t> os;
  if (!broadcast_shapes(a_shape, b_shape, &os)) return;
  run_plan(ew_detail::kernels_ref(), false, op, a, b, out, make_plan(a_shape, b_shape, os));
}

}  // namespace treino
