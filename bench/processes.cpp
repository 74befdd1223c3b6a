// Load generators in several processes; see processes.hpp.
#include "bench/processes.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace jupiter::bench {
namespace {

std::string readAll(int fd) {
    std::string out;
    char buf[65536];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

std::vector<Doc> forkLoads(int procs, const std::function<Doc()>& load) {
    struct Child {
        pid_t pid;
        int fd;
    };
    std::vector<Child> children;
    for (int i = 0; i < procs; ++i) {
        int p[2];
        if (pipe(p) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
        const pid_t pid = fork();
        if (pid < 0) throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
        if (pid == 0) {
            close(p[0]);
            std::string out;
            try {
                out = load().dump();
            } catch (const std::exception& e) {
                out = Doc{{"error", e.what()}}.dump();
            }
            for (std::size_t off = 0; off < out.size();) {
                const ssize_t n = write(p[1], out.data() + off, out.size() - off);
                if (n <= 0) break;
                off += static_cast<std::size_t>(n);
            }
            _exit(0);  // not exit(): the parent's static objects are not ours to destroy
        }
        close(p[1]);
        children.push_back({pid, p[0]});
    }
    std::vector<Doc> out;
    for (const auto& c : children) {
        const std::string text = readAll(c.fd);
        close(c.fd);
        int status = 0;
        while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {}
        Doc d = Doc::parse(text, nullptr, false);
        if (d.is_discarded() || !d.is_object())
            throw std::runtime_error(fmt::format("load process {} ended without a result (status {})", c.pid, status));
        if (d.contains("error")) throw std::runtime_error(d["error"].get<std::string>());
        out.push_back(std::move(d));
    }
    return out;
}

Doc merge(const std::vector<Doc>& parts) {
    Doc m = parts.front();
    if (parts.size() == 1) return m;
    int64_t ok = 0, failed = 0, rate = 0, p99 = 0, max = 0, gap = 0, clients = 0;
    std::vector<int64_t> p50s;
    Doc errors = Doc::array();
    for (const auto& d : parts) {
        ok += d.value("ok", int64_t{0});
        failed += d.value("failed", int64_t{0});
        rate += d.value("per_second", int64_t{0});
        clients += d.value("clients", int64_t{0});
        p50s.push_back(d.value("p50_us", int64_t{0}));
        p99 = std::max(p99, d.value("p99_us", int64_t{0}));
        max = std::max(max, d.value("max_us", int64_t{0}));
        gap = std::max(gap, d.value("longest_gap_us", int64_t{0}));
        for (const auto& e : d.value("errors", Doc::array()))
            if (errors.size() < 10) errors.push_back(e);
    }
    std::sort(p50s.begin(), p50s.end());
    m["ok"] = ok;
    m["failed"] = failed;
    m["per_second"] = rate;
    m["clients"] = clients;
    m["p50_us"] = p50s[p50s.size() / 2];
    m["p99_us"] = p99;
    m["max_us"] = max;
    m["longest_gap_us"] = gap;
    m["errors"] = errors;
    m["processes"] = static_cast<int64_t>(parts.size());
    m["latency_note"] = "p50: the median of the processes' p50; p99 and max: the highest of theirs";
    return m;
}

// CPU seconds (user + system) of this process, or of its reaped children.
double usage(int who) {
    rusage u{};
    getrusage(who, &u);
    auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return sec(u.ru_utime) + sec(u.ru_stime);
}

}  // namespace

Doc runLoadProcesses(const ClusterControl& cluster, int procs, const std::function<Doc()>& load) {
    std::vector<std::pair<std::string, double>> before;
    for (const auto& n : cluster.config().nodes) before.emplace_back(n.name, cluster.cpuSeconds(n.name));
    const int who = procs <= 1 ? RUSAGE_SELF : RUSAGE_CHILDREN;
    const double loadBefore = usage(who);
    const auto start = std::chrono::steady_clock::now();
    Doc d = procs <= 1 ? load() : merge(forkLoads(procs, load));
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Doc cpu = Doc::object();
    for (const auto& [node, was] : before)
        cpu[node] = std::round((cluster.cpuSeconds(node) - was) * 1000.0) / 1000.0;
    d["cpu_seconds"] = cpu;
    // The load generators' own, which share the machine with the cluster.
    d["load_cpu_seconds"] = std::round((usage(who) - loadBefore) * 1000.0) / 1000.0;
    d["wall_seconds"] = std::round(wall * 1000.0) / 1000.0;
    return d;
}

}  // namespace jupiter::bench
