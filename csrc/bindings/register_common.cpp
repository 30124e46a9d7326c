// CPU facts, ISA choice and thread count.
#include <cstdlib>
#include <string>

#include "bindings/array_pool.h"
#include "bindings/checks.h"
#include "bindings/register.h"
#include "common/cpu.h"
#include "common/threading.h"

namespace treino::bind {

namespace {
std::string supported_list() {
  std::string s;
  for (Isa i : supported_isas()) s += std::string(s.empty() ? "" : ", ") + "'" + isa_name(i) + "'";
  return s;
}

void select_isa(const std::string& name, const char* source) {
  Isa isa;
  if (!parse_isa(name, &isa)) {
    value_error(std::string(source) + " must be one of 'ref', 'avx2', 'avx512', received '" +
                name + "'");
  }
  if (!set_active_isa(isa)) {
    value_error(std::string(source) + "='" + name + "' is not supported on this CPU (" +
                cpu_model_name() + "); supported: " + supported_list());
  }
}
}  // namespace

void register_common(py::module_& m) {
  // Chosen once at import: TREINO_CPU_ISA forces a path, else the best one detected.
  set_active_isa(detected_isa());
  if (const char* env = std::getenv("TREINO_CPU_ISA"); env && *env) {
    select_isa(env, "TREINO_CPU_ISA");
  }

  m.def("cpu_info", [] {
    py::dict d;
    d["isa"] = isa_name(active_isa());
    d["detected_isa"] = isa_name(detected_isa());
    py::list sup;
    for (Isa i : supported_isas()) sup.append(isa_name(i));
    d["supported_isas"] = sup;
    d["num_threads"] = num_threads();
    d["openmp"] = have_openmp();
    d["cpu"] = cpu_model_name();
    return d;
  }, "The active ISA, the ISAs this CPU supports, the thread count and the CPU model.");

  m.def("set_isa", [](const std::string& name) { select_isa(name, "isa"); }, py::arg("isa"),
        "Switches the kernel path ('ref', 'avx2' or 'avx512'); for tests and benchmarks.");

  m.def("array_pool_stats", [] { return array_pool_stats(); },
        "array_pool_stats() -> (buffers, bytes): the freed large output buffers kept for "
        "reuse (see csrc/bindings/array_pool.h)");
  m.def("get_num_threads", [] { return num_threads(); });
  m.def("set_num_threads", [](py::handle n) {
    if (!py::isinstance<py::int_>(n) || py::isinstance<py::bool_>(n)) {
      type_error("set_num_threads: argument 'n' must be an int, received " +
                 std::string(py::str(py::type::of(n).attr("__name__"))));
    }
    const int64_t v = to_int64(n, "set_num_threads", "n");
    if (v < 1 || v > max_num_threads()) {
      value_error("set_num_threads: argument 'n' must be in [1, " +
                  std::to_string(max_num_threads()) + "], received " + std::to_string(v));
    }
    set_num_threads(static_cast<int>(v));
  }, py::arg("n"));
}

}  // namespace treino::bind
