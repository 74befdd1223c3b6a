// What several integration tests check on a running cluster, whatever its layout: the monitor's
// transition log, replica contents, exactly-once delivery, convergence; and restarts.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "cluster.hpp"
#include "load.hpp"

namespace jupiter::testing {

// Index of the first transition line containing all of `parts` at or after `from`, or -1.
long findLine(const std::vector<std::string>& lines, std::initializer_list<std::string> parts, long from = 0);
// Waits (up to 10 s) for such a line.
bool waitForLine(Cluster& c, std::initializer_list<std::string> parts, long from = 0);
std::string joined(const std::vector<std::string>& lines);

// Stops the load: not one of its queries may have failed (the failures are shown if any did).
void requireNoFailedQueries(QueryLoad& load);

// A product to count stock on (product.create through the gateway); returns its id.
uint64_t createProduct(Cluster& c);
// The product's stock on the Nth query node, once it has applied minSeq (asking again while the
// replica answers "behind", as a user would).
int64_t stockOn(Cluster& c, uint64_t product, int replica, uint64_t minSeq);
// Every command node and every replica hold exactly the leader's state (verifyCluster and `jupiter verify`).
void requireConverged(Cluster& c);
// The load's commands were each applied once: the stock on every replica equals `total`.
void requireExactlyOnce(Cluster& c, uint64_t product, const CommandLoad& load, uint64_t total);
// Waits (up to `timeout`) until the load has acknowledged `more` commands beyond now, or all of
// them when fewer are left (a fast run may be near its end); some must still be left to show it.
void requireProgress(const CommandLoad& load, uint64_t more, Millis timeout = Millis(60000));
// Lets `more` commands more be acknowledged (or the rest, if fewer are left), then finishes the
// load: the commands under way complete, no new one is sent.
void finishAfterProgress(CommandLoad& load, uint64_t more, Millis timeout = Millis(60000));

// `total` commands from `clients` clients; once `killAfter` are acknowledged the command node is
// killed with -9 and restarted. Nothing acknowledged may be lost, nothing applied twice, on any
// replica, and the replicas converge.
void commandNodeKilledMidBurst(Cluster& c, uint64_t total, int clients, uint64_t killAfter);

// The command node that leads (its pong says so), waiting up to `timeout` for one other than
// `not` to; fails the test if none does.
std::string leaderOf(Cluster& c, Millis timeout = Millis(10000), const std::string& notThis = "");
// A command node's standing as its pong says ("leader", "standby", "unknown"), or "" if it does not answer.
std::string standingOf(Cluster& c, const std::string& node);

// Everything a node has logged so far.
std::string logOf(const Cluster& c, const std::string& node);
// A configuration edit (for Cluster's `edit`) adding `line` ("key = value") to `node`'s table.
std::function<std::string(std::string)> withNodeKey(const std::string& node, const std::string& line);

void restart(Cluster& c, const std::string& node);
// kill -9 of a node, waiting until the process is gone.
void killNine(Cluster& c, const std::string& node);

}  // namespace jupiter::testing
