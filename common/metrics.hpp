// A daemon's Prometheus metrics: one registry per process, served over HTTP at the node's
// `metrics` address (jupiter.toml; loopback in the default configuration) by prometheus-cpp's
// exposer, which runs its own threads. Every metric is atomic, so the event loop records without
// locks. Names follow Prometheus conventions: the `jupiter_` prefix, base units (`_seconds`,
// `_bytes`), `_total` on counters, and labels of bounded cardinality (a node, a message name from
// the catalogue, an outcome), never a request id. Each family carries a constant `node` label.
// The standard process metrics (CPU seconds, resident memory, open descriptors, start time) come
// with every daemon.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "common/result.hpp"

namespace prometheus {
class Exposer;
}

namespace jupiter {

class Metrics {
public:
    explicit Metrics(std::string node);
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // Serves GET /metrics at `address` ("127.0.0.1:9100"; port 0 picks a free one). The error names
    // the address and says what to check.
    Status serve(const std::string& address);
    // Stops serving and closes the port (before the daemon lets go of its pidfile, so that a node
    // started again at once finds the port free), without civetweb's wait (common/http_stop.hpp).
    void stopServing();
    // The port it serves on, once serving.
    std::optional<int> port() const;

    prometheus::Family<prometheus::Counter>& counter(const std::string& name, const std::string& help);
    prometheus::Family<prometheus::Gauge>& gauge(const std::string& name, const std::string& help);
    prometheus::Family<prometheus::Histogram>& histogram(const std::string& name, const std::string& help);

    // Latency buckets from 50 µs to 10 s, for every `_seconds` histogram.
    static const prometheus::Histogram::BucketBoundaries& secondsBuckets();
    // Size buckets 1 .. 4096, for batch sizes.
    static const prometheus::Histogram::BucketBoundaries& sizeBuckets();

    // Copies the door's refusal counts (security/gatekeeper), which every daemon keeps.
    void sampleRefusals(uint64_t handshakes, uint64_t messages);

    // The registry (tests scrape it directly).
    std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

private:
    std::string node_;
    std::shared_ptr<prometheus::Registry> registry_;
    std::shared_ptr<prometheus::Collectable> process_;
    std::unique_ptr<prometheus::Exposer> exposer_;
    std::string host_;  // the address it serves at, for the knocks that end its stop's wait
    prometheus::Counter* refusedHandshakes_ = nullptr;
    prometheus::Counter* refusedMessages_ = nullptr;
};

// Moves a counter up to `total`, a count kept elsewhere (a router's resends, a gatekeeper's
// refusals); a total that went down (it cannot) is ignored.
void advanceTo(prometheus::Counter& c, double total);

// The metrics of one family by their label values, created on first use: the event loop asks by
// value at each event without building label maps or taking the family's lock again.
template <class Metric>
class LabelledMetrics {
public:
    LabelledMetrics(prometheus::Family<Metric>& family, std::vector<std::string> keys)
        : family_(family), keys_(std::move(keys)) {}

    // `values` in the order of the keys; `args` build a new metric (a histogram's buckets).
    template <class... Args>
    Metric& at(const std::vector<std::string>& values, Args&&... args) {
        auto it = byValues_.find(values);
        if (it != byValues_.end()) return *it->second;
        prometheus::Labels labels;
        for (std::size_t i = 0; i < keys_.size() && i < values.size(); ++i) labels[keys_[i]] = values[i];
        Metric& m = family_.Add(labels, std::forward<Args>(args)...);
        byValues_.emplace(values, &m);
        return m;
    }

private:
    prometheus::Family<Metric>& family_;
    std::vector<std::string> keys_;
    std::map<std::vector<std::string>, Metric*> byValues_;
};

}  // namespace jupiter
