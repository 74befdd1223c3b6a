// The benchmark scenarios: each measures one figure on the machine it runs on and returns it as
// JSON (so `jupiter-bench all` can print a table and write a document).
#pragma once

#include <zmq.hpp>

#include "bench/cluster_control.hpp"
#include "bench/load_engine.hpp"
#include "common/doc.hpp"

namespace jupiter::bench {

// Loads a small data set (sellers, products, stock, sales) so that queries have work to do.
void seedData(zmq::context_t& ctx, const ClusterControl& cluster);
// What a load on this cluster would lack, or "" when it has it: sales for a query load (sale.get
// over existing sales), a product for a command load (stock.receive). A load without them measures
// error answers, not Jupiter.
std::string missingForLoad(zmq::context_t& ctx, const ClusterControl& cluster, bool commands);

// Queries per second and latency, through the gateways (replica = 0; the first `gateways` of them,
// 0 = all, clients spread over them) or straight to the Nth query node. With `connectFirst`, the
// clock starts once every client is connected (see LoadSpec).
Doc benchQueries(zmq::context_t& ctx, const ClusterControl& cluster, int clients, Millis duration, int replica,
                 bool connectFirst = false, int gateways = 0);
// The transport's own limit: a plain ZeroMQ DEALER/ROUTER echo over loopback, same message size.
Doc benchEcho(zmq::context_t& ctx, int clients, Millis duration);
// Durable commands per second through the gateway.
Doc benchCommands(zmq::context_t& ctx, const ClusterControl& cluster, int clients, Millis duration,
                  bool connectFirst = false);
// The machine's plain synced RocksDB write rate (one writer, one put per synced write).
Doc benchRocksSync(int writes);
// Plain RocksDB without sync, batches of 5,000 puts of 120 bytes (what a replica's replay writes).
Doc benchRocksBatched(int writes);
// Either of them: `writes` puts of 120 bytes, `perBatch` to a write, synced or not.
Doc benchRocksWrites(int writes, bool sync, int perBatch);
// The writing command node's sequence and the size of its data folder (the event log is most of
// it), per million events.
Doc eventLogSize(const ClusterControl& cluster);
// Command acknowledged -> applied on all three replicas, at a steady rate.
Doc benchReplicationLag(zmq::context_t& ctx, const ClusterControl& cluster, int commands);
// How a replica rejoins in benchCatchUp: after missing `events` events (it replays them); or as a
// new replica (its data folder removed) holding nothing of the history so far, which installs a
// copy of the state and replays what follows, or (snapshot_min_lag = 0) replays it all.
enum class Rejoin { Lagging, NewCopy, NewReplay };
std::string_view rejoinName(Rejoin how);
Doc benchCatchUp(zmq::context_t& ctx, const ClusterControl& cluster, int events, Rejoin how = Rejoin::Lagging);
// Kill -9 and SIGSTOP of the replica in use and of gateway-1 under a query load, and kill -9 of
// broker-1 under a command load (the spares' cases only where the layout has spares).
Doc benchFailover(zmq::context_t& ctx, const ClusterControl& cluster, int clients);
// Kill -9 and SIGSTOP of the leading command node under a command load (several command nodes).
Doc benchLeaderFailover(zmq::context_t& ctx, const ClusterControl& cluster, int clients, int trials);
// The command node that leads now (its pong says so); the first configured one if none answers so.
std::string leaderOf(zmq::context_t& ctx, const ClusterControl& cluster);
// Queries per second with clients on one gateway against clients spread over every gateway,
// alternating `rounds` times in the same run.
Doc benchGatewaySpread(zmq::context_t& ctx, const ClusterControl& cluster, int clients, Millis duration, int rounds);
// Connections set up per second: a new client socket, a ping through the gateway, closed; one at a
// time (with CURVE each is a full key exchange).
Doc benchConnections(zmq::context_t& ctx, const ClusterControl& cluster, Millis duration);
// Resident memory of each daemon.
Doc daemonMemory(const ClusterControl& cluster);

// Parses "2026-11-28T10:15:01.123Z" back to ms since the epoch (0 when it does not parse).
int64_t parseUtcMs(const std::string& s);

}  // namespace jupiter::bench
