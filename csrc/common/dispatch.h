// Runtime ISA dispatch, shared by every kernel family.
//
// A family compiles its kernels once per ISA (files *_ref.cpp, *_avx2.cpp, *_avx512.cpp;
// only the last two get ISA flags) and exposes one entry per ISA under a common name with
// the suffixes _ref, _avx2 and _avx512, all of one type: a function, a table getter or a
// table object. TREINO_ISA_PICK(name) is the address of the entry for active_isa():
//
//   const Kernels& kernels_ref();  const Kernels& kernels_avx2();  ...
//   const Kernels& k = TREINO_ISA_PICK(kernels)();
//
// On builds without the x86 kernels (non-x86, or TREINO_PORTABLE) the _avx2 / _avx512
// entries do not exist and are never named: the macro is then the _ref entry. The active
// ISA is never above what the CPU supports (set_active_isa refuses it), so a pick never
// calls code the CPU cannot run. TREINO_CPU_ISA and set_isa() act through active_isa().
#pragma once
#include "common/cpu.h"

namespace treino {

// The entry of `isa`; T is a pointer (to a function or a table).
template <class T>
inline T pick_isa(Isa isa, T ref, T avx2, T avx512) {
  switch (isa) {
    case Isa::Avx512: return avx512;
    case Isa::Avx2: return avx2;
    case Isa::Ref: break;
  }
  return ref;
}

}  // namespace treino

#if defined(TREINO_X86)
#define TREINO_ISA_PICK(name) \
  (::treino::pick_isa(::treino::active_isa(), &name##_ref, &name##_avx2, &name##_avx512))
#else
#define TREINO_ISA_PICK(name) (&name##_ref)
#endif
