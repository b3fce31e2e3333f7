// counting_allocator.cpp - see counting_allocator.hpp. glibc's own allocator does the work
// (__libc_malloc and friends); these only count. Linked into drover_micro_bench alone.
#include "counting_allocator.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
}

namespace {
std::atomic<std::uint64_t> count{0};

void* counted(std::size_t n) {
  count.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(n == 0 ? 1 : n);
}

void* counted_or_throw(std::size_t n) {
  if (void* p = counted(n)) return p;
  throw std::bad_alloc();
}
}  // namespace

namespace drover::micro {
std::uint64_t allocations() { return count.load(std::memory_order_relaxed); }
}  // namespace drover::micro

// hiredis (its reader's reply tree and buffer) allocates with malloc.
extern "C" {
void* malloc(std::size_t n) { return counted(n); }
void* calloc(std::size_t n, std::size_t size) {
  count.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  if (!p) count.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
}

void* operator new(std::size_t n) { return counted_or_throw(n); }
void* operator new[](std::size_t n) { return counted_or_throw(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted(n); }
void operator delete(void* p) noexcept { __libc_free(p); }
void operator delete[](void* p) noexcept { __libc_free(p); }
void operator delete(void* p, std::size_t) noexcept { __libc_free(p); }
void operator delete[](void* p, std::size_t) noexcept { __libc_free(p); }
