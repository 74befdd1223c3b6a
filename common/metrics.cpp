// Prometheus metrics of a daemon; see metrics.hpp.
#include "common/metrics.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>

#include "common/config.hpp"
#include "common/http_stop.hpp"

namespace jupiter {
namespace {

// The standard process metrics (the names every Prometheus client library exports), read from
// /proc at each scrape.
class ProcessCollector : public prometheus::Collectable {
public:
    explicit ProcessCollector(std::string node) : node_(std::move(node)) {}

    std::vector<prometheus::MetricFamily> Collect() const override {
        std::vector<prometheus::MetricFamily> out;
        const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
        const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
        // /proc/self/stat: fields after the command name (which may hold spaces) are space-separated.
        std::ifstream statFile("/proc/self/stat");
        std::string stat((std::istreambuf_iterator<char>(statFile)), std::istreambuf_iterator<char>());
        const auto close = stat.rfind(')');
        if (close != std::string::npos) {
            std::istringstream fields(stat.substr(close + 2));
            std::vector<std::string> f;
            for (std::string s; fields >> s;) f.push_back(s);
            // From field 3 (state) on: utime is field 14, stime 15, starttime 22, rss 24.
            auto field = [&](std::size_t n) { return n - 3 < f.size() ? std::stod(f[n - 3]) : 0.0; };
            add(out, "process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
                prometheus::MetricType::Counter, (field(14) + field(15)) / tick);
            add(out, "process_resident_memory_bytes", "Resident memory size in bytes.", prometheus::MetricType::Gauge,
                field(24) * page);
            add(out, "process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.",
                prometheus::MetricType::Gauge, bootTime() + field(22) / tick);
        }
        std::error_code ec;
        double fds = 0;
        for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
             !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
            ++fds;
        add(out, "process_open_fds", "Number of open file descriptors.", prometheus::MetricType::Gauge, fds);
        return out;
    }

private:
    void add(std::vector<prometheus::MetricFamily>& out, const char* name, const char* help,
             prometheus::MetricType type, double value) const {
        prometheus::ClientMetric m;
        m.label.push_back({"node", node_});
        if (type == prometheus::MetricType::Counter) m.counter.value = value;
        else m.gauge.value = value;
        out.push_back(prometheus::MetricFamily{name, help, type, {m}});
    }
    static double bootTime() {
        std::ifstream in("/proc/stat");
        for (std::string key; in >> key;) {
            if (key == "btime") {
                double t = 0;
                in >> t;
                return t;
            }
            in.ignore(1 << 20, '\n');
        }
        return 0;
    }
    std::string node_;
};

}  // namespace

Metrics::Metrics(std::string node)
    : node_(std::move(node)),
      registry_(std::make_shared<prometheus::Registry>()),
      process_(std::make_shared<ProcessCollector>(node_)) {
    prometheus::BuildGauge()
        .Name("jupiter_build_info")
        .Help("Always 1; its labels say which Jupiter runs.")
        .Labels({{"node", node_}})
        .Register(*registry_)
        .Add({{"version", JUPITER_VERSION}})
        .Set(1);
    refusedHandshakes_ = &counter("jupiter_refused_handshakes_total",
                                  "Connections refused at the CURVE handshake (unknown or revoked key, no CURVE).")
                              .Add({});
    refusedMessages_ = &counter("jupiter_refused_messages_total",
                                "Messages refused for their sender (unknown, revoked, or not allowed to send them).")
                            .Add({});
}

void Metrics::sampleRefusals(uint64_t handshakes, uint64_t messages) {
    advanceTo(*refusedHandshakes_, static_cast<double>(handshakes));
    advanceTo(*refusedMessages_, static_cast<double>(messages));
}

Metrics::~Metrics() { stopServing(); }

void Metrics::stopServing() {
    if (!exposer_) return;
    const auto at = port();
    if (!at) {
        exposer_.reset();
        return;
    }
    stopWaking(host_, *at, [this] { exposer_.reset(); });
}

Status Metrics::serve(const std::string& address) {
    try {
        exposer_ = std::make_unique<prometheus::Exposer>(address, 1);
        if (const auto at = hostPort(address)) host_ = at->host;
    } catch (const std::exception& e) {
        return makeError("metrics", fmt::format("cannot serve metrics at {}: {} (is the port taken? change this node's "
                                                "`metrics` in jupiter.toml)", address, e.what()));
    }
    exposer_->RegisterCollectable(registry_);
    exposer_->RegisterCollectable(process_);
    return Ok{};
}

std::optional<int> Metrics::port() const {
    if (!exposer_) return std::nullopt;
    auto ports = exposer_->GetListeningPorts();
    if (ports.empty()) return std::nullopt;
    return ports.front();
}

prometheus::Family<prometheus::Counter>& Metrics::counter(const std::string& name, const std::string& help) {
    return prometheus::BuildCounter().Name(name).Help(help).Labels({{"node", node_}}).Register(*registry_);
}

prometheus::Family<prometheus::Gauge>& Metrics::gauge(const std::string& name, const std::string& help) {
    return prometheus::BuildGauge().Name(name).Help(help).Labels({{"node", node_}}).Register(*registry_);
}

prometheus::Family<prometheus::Histogram>& Metrics::histogram(const std::string& name, const std::string& help) {
    return prometheus::BuildHistogram().Name(name).Help(help).Labels({{"node", node_}}).Register(*registry_);
}

const prometheus::Histogram::BucketBoundaries& Metrics::secondsBuckets() {
    static const prometheus::Histogram::BucketBoundaries b{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                           0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1,
                                                           2.5,     5,      10};
    return b;
}

const prometheus::Histogram::BucketBoundaries& Metrics::sizeBuckets() {
    static const prometheus::Histogram::BucketBoundaries b{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
    return b;
}

void advanceTo(prometheus::Counter& c, double total) {
    const double now = c.Value();
    if (total > now) c.Increment(total - now);
}

}  // namespace jupiter
