#include "common/cpu.h"

#include <cstdint>
#include <cstring>

#if defined(TREINO_X86)
#include <cpuid.h>
#endif

namespace treino {

namespace detail {
std::atomic<Isa> g_active_isa{Isa::Ref};
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Ref: return "ref";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "ref";
}

bool parse_isa(const std::string& name, Isa* out) {
  if (name == "ref") { *out = Isa::Ref; return true; }
  if (name == "avx2") { *out = Isa::Avx2; return true; }
  if (name == "avx512") { *out = Isa::Avx512; return true; }
  return false;
}

#if defined(TREINO_X86)
namespace {
// XGETBV without needing -mxsave on this translation unit.
uint64_t xgetbv0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

Isa detect() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return Isa::Ref;
  const bool osxsave = c & (1u << 27);
  const bool avx = c & (1u << 28);
  const bool fma = c & (1u << 12);
  const bool f16c = c & (1u << 29);
  if (!(osxsave && avx && fma && f16c)) return Isa::Ref;
  const uint64_t xcr0 = xgetbv0();
  if ((xcr0 & 0x6) != 0x6) return Isa::Ref;  // XMM and YMM state saved by the OS
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return Isa::Ref;
  const bool avx2 = b & (1u << 5);
  if (!avx2) return Isa::Ref;
  const bool avx512f = b & (1u << 16), avx512dq = b & (1u << 17);
  const bool avx512bw = b & (1u << 30), avx512vl = b & (1u << 31);
  // Opmask, upper-ZMM and hi16-ZMM state must all be enabled by the OS.
  const bool os_avx512 = (xcr0 & 0xE6) == 0xE6;
  if (avx512f && avx512dq && avx512bw && avx512vl && os_avx512) return Isa::Avx512;
  return Isa::Avx2;
}
}  // namespace

std::string cpu_model_name() {
  unsigned regs[12];
  unsigned a, b, c, d;
  if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000004u) return "unknown";
  for (unsigned i = 0; i < 3; ++i) __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2], &regs[4 * i + 3]);
  char buf[49];
  std::memcpy(buf, regs, 48);
  buf[48] = 0;
  std::string s(buf);
  const auto first = s.find_first_not_of(' ');
  const auto last = s.find_last_not_of(' ');
  return first == std::string::npos ? "unknown" : s.substr(first, last - first + 1);
}
#else
namespace {
Isa detect() { return Isa::Ref; }
}  // namespace
std::string cpu_model_name() { return "unknown"; }
#endif

Isa detected_isa() {
  static const Isa best = detect();
  return best;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> out;
  for (int i = 0; i <= static_cast<int>(detected_isa()); ++i) out.push_back(static_cast<Isa>(i));
  return out;
}

bool set_active_isa(Isa isa) {
  if (static_cast<int>(isa) > static_cast<int>(detected_isa())) return false;
  detail::g_active_isa.store(isa, std::memory_order_relaxed);
  return true;
}

}  // namespace treino
