// The registry of per-device kernel tables (see backend.h).
#include "kernels/backend.h"

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>

#include "common/error.h"

namespace forge::kernels {
namespace {

constexpr size_t kDeviceTypes = static_cast<size_t>(Device::Type::count);

// Every field after `name` is a function pointer; a table with a null one would
// crash at the first call of that kernel instead of failing at registration.
bool all_entries_set(const KernelTable& table) {
  constexpr size_t first = offsetof(KernelTable, copy);
  static_assert((sizeof(KernelTable) - first) % sizeof(void (*)()) == 0, "KernelTable holds only function pointers");
  const char* bytes = reinterpret_cast<const char*>(&table);
  for (size_t at = first; at < sizeof(KernelTable); at += sizeof(void (*)())) {
    void (*entry)() = nullptr;
    std::memcpy(&entry, bytes + at, sizeof(entry));
    if (entry == nullptr) return false;
  }
  return true;
}

struct Registry {
  std::array<std::atomic<const KernelTable*>, kDeviceTypes> tables{};
  std::mutex mutex;  // serialises registrations; lookups only load

  void add(Device::Type type, const KernelTable& table) {
    const size_t slot = static_cast<size_t>(type);
    FORGE_CHECK(slot < kDeviceTypes, "register_kernels: unknown device type " << slot);
    FORGE_CHECK(table.name != nullptr && all_entries_set(table),
                "register_kernels: the " << (table.name ? table.name : "unnamed") << " kernel table for "
                                         << (Device{type, 0}).type_name() << " devices has unset entries");
    std::lock_guard<std::mutex> lock(mutex);
    const KernelTable* existing = tables[slot].load(std::memory_order_acquire);
    FORGE_CHECK(existing == nullptr, "register_kernels: " << (Device{type, 0}).type_name()
                                                          << " devices already have the " << existing->name
                                                          << " kernel table; a device type registers once");
    tables[slot].store(&table, std::memory_order_release);
  }
};

// Built on first use with the kernels every build has: the CPU's.
Registry& registry() {
  static Registry* r = [] {
    auto* made = new Registry();  // never destroyed: tensors may outlive static teardown
    made->add(Device::Type::cpu, cpu::kernel_table());
    return made;
  }();
  return *r;
}

}  // namespace

void register_kernels(Device::Type type, const KernelTable& table) { registry().add(type, table); }

bool has_kernels(Device::Type type) {
  const size_t slot = static_cast<size_t>(type);
  return slot < kDeviceTypes && registry().tables[slot].load(std::memory_order_acquire) != nullptr;
}

const KernelTable& kernels_for(Device device) {
  const size_t slot = static_cast<size_t>(device.type);
  const KernelTable* table =
      slot < kDeviceTypes ? registry().tables[slot].load(std::memory_order_acquire) : nullptr;
  if (table != nullptr) [[likely]] return *table;
  FORGE_THROW("no kernels for device " << device.str() << ": " << device.unavailable_reason());
}

}  // namespace forge::kernels
