// Per-thread scratch buffers reached cheaply on the hot path.
//
// Why: a plain `thread_local` object with a constructor, in position-independent code (every lode
// library may end up in liblode.so), costs a call to __tls_get_addr plus an init-guard test on every
// use; pricing a shipment used several. Here the hot path is one load of an initial-exec TLS pointer
// (a few bytes of static TLS, which glibc reserves even for a library opened with dlopen); the object
// itself is an ordinary thread_local, built on the thread's first use and destroyed at its exit.
#pragma once

namespace lode::rt {

template <typename T>
T& threadScratch() {
  static thread_local T* fast __attribute__((tls_model("initial-exec"))) = nullptr;
  if (fast) [[likely]] return *fast;
  static thread_local T owned;
  fast = &owned;
  return owned;
}

}  // namespace lode::rt
