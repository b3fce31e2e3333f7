// upload_budget.hpp - the bytes that uploads being read may hold in memory, all together and per client.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <drover_app/held_amounts.hpp>

namespace drover::httpd {

// A budget shared by the uploads of one HTTP server: before it reads an upload's body,
// the server reserves what the body may grow to (its Content-Length, or the route's
// body limit when the length is not declared). A reservation that does not fit is
// refused, so many parallel uploads cannot together exhaust memory, while one upload
// up to the route's limit always fits in an idle server (when the budget is at least
// that limit).
//
// Each reservation also names its owners (the client's address, its user), and no
// owner may hold more than `per_owner` bytes at once: one client, however many
// connections it opens, leaves the rest of the budget to everyone else.
//
// Thread safety: none; used from the server's one executor. Reservations may
// outlive the budget object.
class upload_budget {
 public:
  // Bytes held by one request until it is destroyed (the request was answered).
  using reservation = app::held_amounts::holding;

  enum class verdict { reserved, budget_full, owner_full };

  // 0 means no limit, for either.
  explicit upload_budget(std::size_t total, std::size_t per_owner = 0);

  // Reserves `bytes` for `owners` (any spelling, used as keys); fills `held` only when
  // they fit both in what is left of the total and in what each owner has left. Zero
  // bytes always fit.
  verdict try_reserve(std::size_t bytes, const std::vector<std::string>& owners, reservation& held);
  bool try_reserve(std::size_t bytes, reservation& held) { return try_reserve(bytes, {}, held) == verdict::reserved; }

  std::size_t used() const;
  std::size_t used_by(const std::string& owner) const;

 private:
  std::size_t total_;
  std::size_t per_owner_;
  app::held_amounts book_;
};

}  // namespace drover::httpd
