// CPU feature detection and the runtime ISA choice.
//
// The best ISA the CPU *and the OS* support is detected once (CPUID + XGETBV, so an
// OS that does not save AVX-512 state is treated as AVX2-only). The active ISA is
// chosen at import from TREINO_CPU_ISA=ref|avx2|avx512 (default: the best detected)
// and read by every dispatching kernel through active_isa().
#pragma once
#include <atomic>
#include <string>
#include <vector>

namespace treino {

enum class Isa : int { Ref = 0, Avx2 = 1, Avx512 = 2 };

const char* isa_name(Isa isa);
// Parses "ref" / "avx2" / "avx512"; returns false for anything else.
bool parse_isa(const std::string& name, Isa* out);

// Best ISA the CPU and OS support (and this build carries kernels for).
Isa detected_isa();
// Every ISA usable here, from Ref upward.
std::vector<Isa> supported_isas();

namespace detail {
// Atomic: kernels read it without the GIL while Python may switch it (tests do).
extern std::atomic<Isa> g_active_isa;
}
inline Isa active_isa() { return detail::g_active_isa.load(std::memory_order_relaxed); }
// Switches the active ISA (tests use it to cover every path in one process).
// Returns false and changes nothing when `isa` is not supported here.
bool set_active_isa(Isa isa);

// "AMD EPYC 9B14" style brand string, or "unknown".
std::string cpu_model_name();

}  // namespace treino
