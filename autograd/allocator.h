// Per-device allocators: the interface every device's memory goes through,
// its registry, and the caching host allocator the CPU uses.
//
// A device is a kernel table (kernels/backend.h) plus an allocator. Storage
// takes its memory from allocator_for(device) and gives it back to the same
// allocator. The CPU's allocator is registered on first use; other devices
// register theirs at start-up (docs/devices.md).
//
// CachingHostAllocator: 64-byte aligned host blocks recycled by size class. A
// training step allocates the same sizes every iteration; after the first step
// every request is served from the free lists, so the loop does not call
// malloc for tensors. Freed blocks are kept until release_cached() is called.
// Statistics (live bytes, peak, system allocations) back the memory tests and
// the activation-checkpointing measurement.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "common/device.h"

namespace forge {

struct AllocatorStats {
  size_t live_bytes = 0;         // bytes handed out and not yet returned
  size_t peak_live_bytes = 0;    // high-water mark of live_bytes since reset_peak()
  size_t cached_bytes = 0;       // bytes held in free lists
  uint64_t system_allocs = 0;    // calls that reached the system allocator
  uint64_t requests = 0;         // all allocate() calls
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  // A block of at least nbytes of this device's memory; throws when out of memory.
  virtual void* allocate(size_t nbytes) = 0;
  // Returns a block from allocate(nbytes) (the same nbytes).
  virtual void deallocate(void* ptr, size_t nbytes) = 0;
  virtual AllocatorStats stats() const = 0;
  virtual void reset_peak() = 0;
  // Gives cached (free) blocks back to the system.
  virtual void release_cached() = 0;
};

class CachingHostAllocator final : public Allocator {
 public:
  // `device_name` appears in out-of-memory errors.
  explicit CachingHostAllocator(const char* device_name);
  ~CachingHostAllocator() override;
  // Returns a 64-byte aligned block of at least nbytes (rounded to a size class).
  void* allocate(size_t nbytes) override;
  void deallocate(void* ptr, size_t nbytes) override;
  AllocatorStats stats() const override;
  void reset_peak() override;
  void release_cached() override;

  static size_t size_class(size_t nbytes);

 private:
  struct State;
  const char* device_name_;
  std::unique_ptr<State> state_;
};

// Makes `allocator` the memory of every device of type `type` (it must outlive
// every tensor on such a device). Throws if that type already has one.
void register_allocator(Device::Type type, Allocator& allocator);

// The allocator of `device`'s type; throws naming the device when none is registered.
Allocator& allocator_for(Device device);

}  // namespace forge
