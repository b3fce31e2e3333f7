// held_amounts.hpp - how much of something is held now, in all and per key (the
// connections of a client address, the reads of a user, the upload bytes of an owner);
// each holding gives its amount back when it goes, and a key that holds nothing is
// forgotten, so the table is only as large as what is held.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace drover::app {

// Sans-I/O: the caller compares total() and of(key) with its own limits, then hold()s.
// Thread safety: none; one executor. Holdings may outlive the object (they keep the
// table alive), so a session that ends after its server is gone is harmless.
class held_amounts {
 public:
  struct table;

  // What one holder has (a connection, a read, a request's body), until it is destroyed.
  class holding {
   public:
    holding() = default;
    holding(holding&& other) noexcept;
    holding& operator=(holding&& other) noexcept;
    holding(const holding&) = delete;
    holding& operator=(const holding&) = delete;
    ~holding();
    explicit operator bool() const { return table_ != nullptr; }
    std::size_t amount() const { return amount_; }

   private:
    friend class held_amounts;
    holding(std::shared_ptr<table> t, std::size_t amount, std::vector<std::string> keys);
    void release();
    std::shared_ptr<table> table_;
    std::size_t amount_ = 0;
    std::vector<std::string> keys_;  // distinct
  };

  held_amounts();

  // Counts `amount` more in all and under each of `keys` (a key named twice counts once).
  holding hold(std::size_t amount, std::vector<std::string> keys);
  std::size_t total() const;
  std::size_t of(const std::string& key) const;

 private:
  std::shared_ptr<table> table_;
};

}  // namespace drover::app
