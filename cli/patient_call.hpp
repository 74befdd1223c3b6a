// A request that waits as long as its server is alive: the gateway may legitimately take up to its
// client_timeout_ms to answer (it retries replicas and resends commands itself), so a silent
// attempt is followed by a ping, and only a server that also ignores pings gets the request again.
#pragma once

#include <string>

#include <zmq.hpp>

#include "common/clock.hpp"
#include "common/credentials.hpp"
#include "common/result.hpp"
#include "schemas/envelope.hpp"

namespace jupiter::cli {

struct PatiencePolicy {
    Millis attemptTimeout{3000};  // wait this long for the reply before checking on the server
    int attempts = 3;             // sends of the request (the same id each time) before giving up
    Millis pingTimeout{500};      // a server that answers ping within this is alive and still working
    Millis budget{11000};         // total time to wait for a live server's answer
};

// Sends `req` to `endpoint` and returns the reply with its id. The socket is kept across attempts,
// so a late answer to an earlier send is still received. Errors: code "unavailable" when the
// server answered neither the request nor pings `attempts` times; code "timeout" when it stayed
// alive but did not answer within `budget`.
Result<Envelope> callPatiently(zmq::context_t& ctx, const Credentials& credentials, const std::string& endpoint, const Envelope& req,
                               const PatiencePolicy& policy);

}  // namespace jupiter::cli
