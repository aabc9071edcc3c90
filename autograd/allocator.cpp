// Size-class free lists behind CpuAllocator (see allocator.h).
#include "autograd/allocator.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

#include "common/error.h"

namespace forge {
namespace {

struct State {
  std::mutex mutex;
  std::map<size_t, std::vector<void*>> free_lists;  // size class -> blocks
  AllocatorStats stats;
};

State& state() {
  static State* s = new State();  // never destroyed: tensors may outlive static teardown
  return *s;
}

}  // namespace

CpuAllocator& CpuAllocator::instance() {
  static CpuAllocator a;
  return a;
}

size_t CpuAllocator::size_class(size_t nbytes) {
  if (nbytes <= 64) return 64;
  // Classes of 1/8 of the power of two above 4 KiB keep waste under 12.5%.
  size_t c = 64;
  while (c < nbytes && c < 4096) c <<= 1;
  if (c >= nbytes) return c;
  size_t p = 4096;
  while (p * 2 < nbytes) p <<= 1;
  size_t step = p / 8;
  return (nbytes + step - 1) / step * step;
}

void* CpuAllocator::allocate(size_t nbytes) {
  size_t sz = size_class(nbytes);
  State& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    ++s.stats.requests;
    auto it = s.free_lists.find(sz);
    if (it != s.free_lists.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      s.stats.cached_bytes -= sz;
      s.stats.live_bytes += sz;
      if (s.stats.live_bytes > s.stats.peak_live_bytes) s.stats.peak_live_bytes = s.stats.live_bytes;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, sz);
  if (p == nullptr) {
    release_cached();
    p = std::aligned_alloc(64, sz);
  }
  FORGE_CHECK(p != nullptr, "out of memory: could not allocate " << nbytes << " bytes on cpu");
  std::lock_guard<std::mutex> lock(s.mutex);
  ++s.stats.system_allocs;
  s.stats.live_bytes += sz;
  if (s.stats.live_bytes > s.stats.peak_live_bytes) s.stats.peak_live_bytes = s.stats.live_bytes;
  return p;
}

void CpuAllocator::deallocate(void* ptr, size_t nbytes) {
  if (ptr == nullptr) return;
  size_t sz = size_class(nbytes);
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.free_lists[sz].push_back(ptr);
  s.stats.live_bytes -= sz;
  s.stats.cached_bytes += sz;
}

AllocatorStats CpuAllocator::stats() const {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  return s.stats;
}

void CpuAllocator::reset_peak() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.stats.peak_live_bytes = s.stats.live_bytes;
}

void CpuAllocator::release_cached() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  for (auto& [sz, blocks] : s.free_lists) {
    for (void* p : blocks) std::free(p);
    s.stats.cached_bytes -= sz * blocks.size();
  }
  s.free_lists.clear();
}

}  // namespace forge
