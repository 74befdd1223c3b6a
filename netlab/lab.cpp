// The lab network; see lab.hpp.
#include "netlab/lab.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "netlab/ip_tool.hpp"

namespace jupiter::netlab {
namespace {

constexpr const char* kInside = "eth0";  // the member's end of its veth pair, inside its namespace

// "tcp://10.201.7.12:7706" or "http://10.201.7.200:7725" -> "10.201.7.12".
std::string hostOf(const std::string& url) {
    auto start = url.find("://");
    start = start == std::string::npos ? 0 : start + 3;
    const auto colon = url.rfind(':');
    return url.substr(start, colon == std::string::npos || colon < start ? std::string::npos : colon - start);
}

std::string prefixOf(const Config& config) {
    const auto slash = config.netlab.address.find('/');
    return slash == std::string::npos ? "24" : config.netlab.address.substr(slash + 1);
}

// The host side of member i's veth pair: derived from the bridge, so two labs never collide.
std::string vethName(const Config& config, std::size_t i) {
    return fmt::format("{}v{}", config.netlab.bridge.substr(0, 11), i);
}

Result<LabMember> findMember(const Config& config, const std::string& name) {
    const auto members = labMembers(config);
    for (const auto& m : members)
        if (m.name == name) return m;
    std::vector<std::string> names;
    for (const auto& m : members) names.push_back(m.name);
    return makeError("not_found", fmt::format("{} is not in the lab network of this cluster (its members: {})", name,
                                              names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "))));
}

Status ip(const std::vector<std::string>& args) {
    auto r = runIp(args);
    if (!r) return r.error();
    return Ok{};
}

// The blackhole routes in a member's namespace, as `ip route del` takes them.
std::vector<std::string> blackholes(const LabMember& m) {
    std::vector<std::string> out;
    auto r = runIp({"-n", m.netns, "-4", "route", "show", "type", "blackhole"});
    if (!r) return out;
    std::istringstream in(*r);
    for (std::string word; in >> word;)
        if (word != "blackhole") out.push_back(word);
    return out;
}

bool linkUp(const LabMember& m) {
    auto r = runIp({"-n", m.netns, "-o", "link", "show", kInside});
    return r && r->find("state DOWN") == std::string::npos && r->find(",UP") != std::string::npos;
}

}  // namespace

std::vector<LabMember> labMembers(const Config& config) {
    std::vector<LabMember> out;
    for (const auto& n : config.nodes)
        if (!n.netns.empty()) out.push_back({n.name, n.netns, hostOf(n.endpoint)});
    if (config.etcd.local)
        for (std::size_t i = 0; i < config.etcd.netns.size() && i < config.etcd.endpoints.size(); ++i)
            out.push_back({fmt::format("etcd-{}", i + 1), config.etcd.netns[i], hostOf(config.etcd.endpoints[i])});
    return out;
}

std::vector<std::string> expandMembers(const Config& config, const std::vector<std::string>& words,
                                       const std::string& self) {
    std::vector<std::string> out;
    auto add = [&](const std::string& name) {
        if (name != self && std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
    };
    for (const auto& w : words) {
        if (w == "etcd") {
            for (const auto& m : labMembers(config))
                if (m.name.starts_with("etcd-")) add(m.name);
        } else if (auto role = parseRole(w)) {
            for (const auto* n : config.nodesWith(*role)) add(n->name);
        } else {
            add(w);
        }
    }
    return out;
}

bool labExists(const Config& config) {
    return config.netlab.enabled() && runIp({"link", "show", config.netlab.bridge}).ok();
}

Status createLab(const Config& config) {
    if (!config.netlab.enabled()) return Ok{};
    if (auto s = labSupported(); !s) return s;
    const std::string& bridge = config.netlab.bridge;
    if (!labExists(config))
        if (auto s = ip({"link", "add", bridge, "type", "bridge"}); !s) return s;
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"addr", "replace", config.netlab.address, "dev", bridge}, {"link", "set", bridge, "up"}})
        if (auto s = ip(args); !s) return s;
    const auto members = labMembers(config);
    for (std::size_t i = 0; i < members.size(); ++i) {
        const auto& m = members[i];
        if (!std::filesystem::exists("/run/netns/" + m.netns))
            if (auto s = ip({"netns", "add", m.netns}); !s) return s;
        if (runIp({"-n", m.netns, "link", "show", kInside}).ok()) continue;
        const std::string veth = vethName(config, i);
        (void)runIp({"link", "del", veth});  // a leftover of an earlier lab, if any
        for (const auto& args : std::vector<std::vector<std::string>>{
                 {"link", "add", veth, "type", "veth", "peer", "name", kInside, "netns", m.netns},
                 {"link", "set", veth, "master", bridge, "up"},
                 {"-n", m.netns, "addr", "replace", m.address + "/" + prefixOf(config), "dev", kInside},
                 {"-n", m.netns, "link", "set", kInside, "up"},
                 {"-n", m.netns, "link", "set", "lo", "up"}})
            if (auto s = ip(args); !s) return s;
    }
    return Ok{};
}

Status destroyLab(const Config& config) {
    if (!config.netlab.enabled()) return Ok{};
    if (auto s = labSupported(); !s) return s;
    std::string problems;
    // Deleting a namespace deletes the veth pair whose end it holds.
    for (const auto& m : labMembers(config))
        if (std::filesystem::exists("/run/netns/" + m.netns))
            if (auto s = ip({"netns", "del", m.netns}); !s) problems += s.error().message + "; ";
    if (labExists(config))
        if (auto s = ip({"link", "del", config.netlab.bridge}); !s) problems += s.error().message + "; ";
    if (!problems.empty()) return makeError("netlab", problems.substr(0, problems.size() - 2));
    return Ok{};
}

Result<int> freeLabSubnet() {
    std::string used;
    for (const auto& args : std::vector<std::vector<std::string>>{{"-4", "-o", "addr", "show"}, {"-4", "route", "show"}}) {
        auto r = runIp(args);
        if (!r) return r.error();
        used += *r;
    }
    for (int n = 0; n < 256; ++n)
        if (used.find(fmt::format("10.201.{}.", n)) == std::string::npos) return n;
    return makeError("netlab", "every 10.201.N.0/24 is in use on this host; remove old labs with `jupiter down`");
}

Status isolate(const Config& config, const std::string& name) {
    auto m = findMember(config, name);
    if (!m) return m.error();
    return ip({"-n", m->netns, "link", "set", kInside, "down"});
}

Status block(const Config& config, const std::string& name, const std::vector<std::string>& peers) {
    auto m = findMember(config, name);
    if (!m) return m.error();
    for (const auto& peerName : peers) {
        auto peer = findMember(config, peerName);
        if (!peer) return peer.error();
        if (peer->name == m->name) return makeError("netlab", fmt::format("{} cannot be cut off from itself", name));
        for (const auto& [from, to] : {std::pair{*m, *peer}, std::pair{*peer, *m}})
            if (auto s = ip({"-n", from.netns, "route", "replace", "blackhole", to.address + "/32"}); !s) return s;
    }
    return Ok{};
}

Status heal(const Config& config, const std::string& name) {
    std::vector<LabMember> targets;
    if (name.empty()) {
        targets = labMembers(config);
    } else {
        auto m = findMember(config, name);
        if (!m) return m.error();
        targets.push_back(*m);
    }
    for (const auto& m : targets) {
        if (auto s = ip({"-n", m.netns, "link", "set", kInside, "up"}); !s) return s;
        for (const auto& route : blackholes(m))
            if (auto s = ip({"-n", m.netns, "route", "del", "blackhole", route}); !s) return s;
    }
    // A member healed alone may still be blackholed by its peers: remove their routes to it too.
    if (!name.empty()) {
        const std::string address = targets.front().address;
        for (const auto& other : labMembers(config))
            for (const auto& route : blackholes(other))
                if (route == address || route == address + "/32")
                    if (auto s = ip({"-n", other.netns, "route", "del", "blackhole", route}); !s) return s;
    }
    return Ok{};
}

Result<std::vector<std::string>> labFaults(const Config& config) {
    std::vector<std::string> out;
    const auto members = labMembers(config);
    for (const auto& m : members) {
        if (!std::filesystem::exists("/run/netns/" + m.netns)) {
            out.push_back(fmt::format("{}: namespace {} missing", m.name, m.netns));
            continue;
        }
        if (!linkUp(m)) out.push_back(fmt::format("{}: link down (cut off from everyone)", m.name));
        std::vector<std::string> cut;
        for (const auto& route : blackholes(m)) {
            const std::string host = route.substr(0, route.find('/'));
            auto it = std::find_if(members.begin(), members.end(), [&](const LabMember& o) { return o.address == host; });
            cut.push_back(it == members.end() ? host : it->name);
        }
        if (!cut.empty()) out.push_back(fmt::format("{}: cannot reach {}", m.name, fmt::join(cut, ", ")));
    }
    return out;
}

}  // namespace jupiter::netlab
