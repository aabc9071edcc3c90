// The allocator registry and the size-class free lists of CachingHostAllocator
// (see allocator.h).
#include "autograd/allocator.h"

#include <array>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <vector>

#include "common/error.h"

namespace forge {

struct CachingHostAllocator::State {
  mutable std::mutex mutex;
  std::map<size_t, std::vector<void*>> free_lists;  // size class -> blocks
  AllocatorStats stats;
};

CachingHostAllocator::CachingHostAllocator(const char* device_name)
    : device_name_(device_name), state_(std::make_unique<State>()) {}

CachingHostAllocator::~CachingHostAllocator() { release_cached(); }

size_t CachingHostAllocator::size_class(size_t nbytes) {
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

void* CachingHostAllocator::allocate(size_t nbytes) {
  size_t sz = size_class(nbytes);
  State& s = *state_;
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
  FORGE_CHECK(p != nullptr, "out of memory: could not allocate " << nbytes << " bytes on " << device_name_);
  std::lock_guard<std::mutex> lock(s.mutex);
  ++s.stats.system_allocs;
  s.stats.live_bytes += sz;
  if (s.stats.live_bytes > s.stats.peak_live_bytes) s.stats.peak_live_bytes = s.stats.live_bytes;
  return p;
}

void CachingHostAllocator::deallocate(void* ptr, size_t nbytes) {
  if (ptr == nullptr) return;
  size_t sz = size_class(nbytes);
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mutex);
  s.free_lists[sz].push_back(ptr);
  s.stats.live_bytes -= sz;
  s.stats.cached_bytes += sz;
}

AllocatorStats CachingHostAllocator::stats() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->stats;
}

void CachingHostAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->stats.peak_live_bytes = state_->stats.live_bytes;
}

void CachingHostAllocator::release_cached() {
  State& s = *state_;
  std::lock_guard<std::mutex> lock(s.mutex);
  for (auto& [sz, blocks] : s.free_lists) {
    for (void* p : blocks) std::free(p);
    s.stats.cached_bytes -= sz * blocks.size();
  }
  s.free_lists.clear();
}

// ---- registry -------------------------------------------------------------------

namespace {

constexpr size_t kDeviceTypes = static_cast<size_t>(Device::Type::count);

struct Registry {
  std::array<std::atomic<Allocator*>, kDeviceTypes> allocators{};
  std::mutex mutex;  // serialises registrations; lookups only load

  void add(Device::Type type, Allocator& allocator) {
    const size_t slot = static_cast<size_t>(type);
    FORGE_CHECK(slot < kDeviceTypes, "register_allocator: unknown device type " << slot);
    std::lock_guard<std::mutex> lock(mutex);
    FORGE_CHECK(allocators[slot].load(std::memory_order_acquire) == nullptr,
                "register_allocator: " << (Device{type, 0}).type_name()
                                       << " devices already have an allocator; a device type registers once");
    allocators[slot].store(&allocator, std::memory_order_release);
  }
};

// Built on first use with the CPU's allocator. Neither is ever destroyed:
// tensors may outlive static teardown.
Registry& registry() {
  static Registry* r = [] {
    auto* made = new Registry();
    made->add(Device::Type::cpu, *new CachingHostAllocator("cpu"));
    return made;
  }();
  return *r;
}

}  // namespace

void register_allocator(Device::Type type, Allocator& allocator) { registry().add(type, allocator); }

Allocator& allocator_for(Device device) {
  const size_t slot = static_cast<size_t>(device.type);
  Allocator* a = slot < kDeviceTypes ? registry().allocators[slot].load(std::memory_order_acquire) : nullptr;
  if (a != nullptr) [[likely]] return *a;
  FORGE_THROW("no allocator for device " << device.str() << ": " << device.unavailable_reason());
}

}  // namespace forge
