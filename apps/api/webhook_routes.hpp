// webhook_routes.hpp - a webhook delivery and its attempts, read from the webhook-delivery queue.
#pragma once

#include "api/api_context.hpp"
#include "api/routing/route_table.hpp"

namespace drover::api {

// Adds GET /api/webhooks/deliveries/:deliveryId (user): the delivery's state, URL and
// attempts, for the user whose job it reports on (404 for anyone else).
// GET /api/webhooks/signing-key (user): {"userId", "key"}, the key the user's receiver
// verifies the deliveries to its sends' webhookUrl with (app::user_webhook_key).
void add_webhook_routes(route_table& table, api_context& app);

}  // namespace drover::api
