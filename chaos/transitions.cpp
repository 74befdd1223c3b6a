// Parsing and searching the monitor's transition log; see transitions.hpp.
#include "chaos/transitions.hpp"

#include <fstream>
#include <sstream>

#include "bench/scenarios.hpp"

namespace jupiter::chaos {

std::optional<Transition> parseTransition(const std::string& line) {
    std::istringstream in(line);
    std::string stamp;
    Transition t;
    if (!(in >> stamp >> t.node >> t.event)) return std::nullopt;
    t.atMs = bench::parseUtcMs(stamp);
    if (t.atMs == 0) return std::nullopt;
    if (t.event == "REROUTE") {
        std::string arrow;
        if (!(in >> t.from >> arrow >> t.to) || arrow != "->") return std::nullopt;
    } else if (t.event != "UP" && t.event != "DOWN" && t.event != "LEADER") {
        return std::nullopt;
    }
    t.line = line;
    return t;
}

std::vector<Transition> readTransitions(const std::filesystem::path& log) {
    std::vector<Transition> out;
    std::ifstream in(log);
    for (std::string line; std::getline(in, line);)
        if (auto t = parseTransition(line)) out.push_back(std::move(*t));
    return out;
}

std::optional<Transition> firstTransition(const std::vector<Transition>& all, const std::string& node,
                                          const std::string& event, int64_t sinceMs, int64_t untilMs) {
    for (const auto& t : all) {
        if (t.atMs < sinceMs || t.atMs >= untilMs || t.event != event) continue;
        if (event == "REROUTE" ? t.from == node : t.node == node) return t;
    }
    return std::nullopt;
}

}  // namespace jupiter::chaos
