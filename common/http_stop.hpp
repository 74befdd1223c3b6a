// Stopping an HTTP server of civetweb's (the metrics every daemon serves through prometheus-cpp,
// the monitor's console) without its two-second wait: civetweb's listener polls its sockets two
// seconds at a time and looks at its stop flag only between polls, so mg_stop sleeps until that
// poll ends. Every daemon paid up to 2 s per server on each stop (the monitor, with two, up to
// 4 s). A connection to the server's own port ends the poll at once; stopWaking knocks until the
// stop has returned.
#pragma once

#include <functional>
#include <string>

namespace jupiter {

// Runs `stop` (which stops the server listening on `host`:`port`) while connecting to that
// address every few milliseconds from another thread, closing each connection at once. A
// wildcard host (0.0.0.0, ::, empty) is knocked at on loopback. A knock that cannot connect is
// harmless: the stop then takes the time it took before.
void stopWaking(const std::string& host, int port, const std::function<void()>& stop);

// One knock: connects to `host`:`port` (a numeric address or a name) and closes the connection;
// whether the connection was made.
bool knock(const std::string& host, int port);

}  // namespace jupiter
