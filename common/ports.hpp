// Picks free loopback ports, for tests and benchmarks that start whole clusters.
#pragma once

namespace jupiter {

// True when 127.0.0.1:port can be bound right now.
bool loopbackPortFree(int port);

// A base port such that base .. base+count-1 are all free on 127.0.0.1 right now (0 if none found).
int findFreePortRange(int count);

}  // namespace jupiter
