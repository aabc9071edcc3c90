// Caching CPU allocator: 64-byte aligned blocks recycled by size class.
//
// A training step allocates the same sizes every iteration; after the first
// step every request is served from the free lists, so the loop does not call
// malloc for tensors. Freed blocks are kept until release_cached() is called.
// Statistics (live bytes, peak, system allocations) back the memory tests and
// the activation-checkpointing measurement.
#pragma once

#include <cstddef>
#include <cstdint>

namespace forge {

struct AllocatorStats {
  size_t live_bytes = 0;         // bytes handed out and not yet returned
  size_t peak_live_bytes = 0;    // high-water mark of live_bytes since reset_peak()
  size_t cached_bytes = 0;       // bytes held in free lists
  uint64_t system_allocs = 0;    // calls that reached the system allocator
  uint64_t requests = 0;         // all allocate() calls
};

class CpuAllocator {
 public:
  static CpuAllocator& instance();
  // Returns a 64-byte aligned block of at least nbytes (rounded to a size class).
  void* allocate(size_t nbytes);
  void deallocate(void* ptr, size_t nbytes);
  AllocatorStats stats() const;
  void reset_peak();
  void release_cached();

  static size_t size_class(size_t nbytes);
};

}  // namespace forge
