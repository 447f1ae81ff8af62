#include "dynfeed/actors/directory.hpp"

#include <mutex>

namespace dynfeed {

void actor_directory::add(component_id id, caf::actor handle) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  actors_[id] = std::move(handle);
}

void actor_directory::remove(component_id id) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  actors_.erase(id);
}

caf::actor actor_directory::find(component_id id) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = actors_.find(id);
  return it == actors_.end() ? caf::actor{} : it->second;
}

} // namespace dynfeed
