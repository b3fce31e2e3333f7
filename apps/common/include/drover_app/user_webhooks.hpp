// user_webhooks.hpp - what both apps know of the deliveries to URLs users gave with their
// sends: the secret they are signed from, each user's key made from it, and whose a
// delivery is.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace drover::app {

// A secret of its own for deliveries that must not be signed with WEBHOOK_SECRET (whose
// key the API's receiver trusts): the variable `name`, checked as WEBHOOK_SECRET is (the
// production rules unless `development`) and refused when it is WEBHOOK_SECRET's key;
// unset, a secret made from `webhook_secret` for `purpose`, which no receiver knows.
// Throws drover::error(invalid_argument) naming the variable.
std::string own_webhook_secret_from_env(const char* name, const std::string& webhook_secret, bool development,
                                        std::string_view purpose);

// USER_WEBHOOK_SECRET: the variable, checked as WEBHOOK_SECRET is (the production rules
// unless `development`) and refused when it is WEBHOOK_SECRET's key; unset, a secret made
// from `webhook_secret` that no receiver knows. The Workers app signs each user's
// deliveries with that user's key made from it, and the API hands the key out to its user
// (GET /api/webhooks/signing-key): both apps must see the same variable.
// Throws drover::error(invalid_argument) naming the variable.
std::string user_webhook_secret_from_env(const std::string& webhook_secret, bool development);

// The key user `user_id`'s receiver verifies that user's deliveries with ("whsec_" +
// base64): one key per user, so that what one user can sign no other user's receiver
// accepts (with one key for all, a security review forged another user's answer). Made
// from both secrets: USER_WEBHOOK_SECRET was once given to users as it is, and a user
// holding it must not be able to make another's key; WEBHOOK_SECRET no user ever had.
// A delivery that names no user is signed with the key of user "", which no one is given.
std::string user_webhook_key(std::string_view webhook_secret, std::string_view user_secret, std::string_view user_id);

// The user a delivery reports to: its payload's userId, or "" (a delivery queued by hand).
std::string delivery_user(const boost::json::value& data);

}  // namespace drover::app
