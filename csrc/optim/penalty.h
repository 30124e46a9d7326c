// The L1L2 weight penalty of TF.js's regularizers and its gradient, each in one pass.
//
// penalty = l1 * sum(|x|) + l2 * sum(x^2), and d penalty / dx scaled by the upstream
// gradient dy: g = x * (2 * l2 * dy) + sign(x) * (l1 * dy), a term left out when its
// rate is 0. Composed from separate ops this takes an x^2 temporary, a reduction, and a
// gradient array that is then added into the weight's gradient; here the forward reads x
// once and the backward can add g straight into the buffer that already holds the rest of
// the weight's gradient (the engine's flat gradient buffer).
//
// The sums use a fixed order (lane partial sums in float within chunks of a fixed size,
// chunks combined in order in double), so the value does not depend on the thread count.
// The file is compiled with -ffp-contract=off: out + x * c is two roundings, exactly the
// float32 sum the tape computes when it adds g to another contribution, so a captured
// step that accumulates in place gives the same bits as the eager one.
#pragma once
#include <cstdint>

namespace treino {

// l1 * sum(|x|) + l2 * sum(x^2) over x[0, n), in float32 (l1, l2 >= 0; a zero rate skips
// its sum).
float l1l2_penalty(const float* x, int64_t n, float l1, float l2);

// out[i] = g[i] (accumulate false) or out[i] + g[i] (accumulate true), with g as above.
// c2 = (2 * l2) * dy and c1 = l1 * dy are rounded to float32 first.
void l1l2_penalty_backward(const float* x, int64_t n, float l1, float l2, float dy,
                           float* out, bool accumulate);

}  // namespace treino
