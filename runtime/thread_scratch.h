// Per-thread scratch buffers reached cheaply on the hot path.
//
// Why: a plain `thread_local` object with a constructor, in position-independent code (every lode
// library may end up in liblode.so), costs a call to __tls_get_addr plus an init-guard test on every
// use; pricing a shipment used several. Here the hot path is one load of an initial-exec TLS pointer.
// Initial-exec TLS of a library opened with dlopen comes out of glibc's small static TLS reserve, so
// the library's thread-locals stay pointers (16 bytes per type); the object itself is on the heap,
// built on the thread's first use and destroyed at its exit.
#pragma once
#include <memory>

namespace lode::rt {

template <typename T>
T& threadScratch() {
  static thread_local T* fast __attribute__((tls_model("initial-exec"))) = nullptr;
  if (fast) [[likely]] return *fast;
  static thread_local std::unique_ptr<T> owned;
  owned = std::make_unique<T>();
  fast = owned.get();
  return *fast;
}

}  // namespace lode::rt
