// user_reads.hpp - each user's reads whose database work grows with what they return (a
// document's text, a page of long messages), a few at a time, so that one user cannot
// take the database pool that every user's requests share.
#pragma once

#include <cstddef>
#include <string>

#include <drover_app/held_amounts.hpp>

namespace drover::api {

// The pool has 4 connections for every user and a call waits 1 s for one: a review took
// them all with 30 reads of one 19 MB document at a time, and another with 70 reads of a
// page of 32 kB messages, and other users' sends got 503s.
// Thread safety: none; the API's executor.
class user_reads {
 public:
  static constexpr std::size_t per_user = 2;

  // Held while a read runs, or http_error 429 (Retry-After: 1 s) when the user already
  // has per_user reads running.
  app::held_amounts::holding enter(const std::string& user);

 private:
  app::held_amounts running_;
};

}  // namespace drover::api
