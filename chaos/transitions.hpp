// The monitor's transition log as data: each line ("2026-11-28T10:15:01.123Z query-1 DOWN (...)",
// "... gateway REROUTE query-1 -> query-2 (query-1 DOWN)") parsed into its time, node and event,
// and the queries the report and the timeline ask of it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace jupiter::chaos {

struct Transition {
    int64_t atMs = 0;     // wall clock, ms since the epoch
    std::string node;     // query-1, gateway, ...
    std::string event;    // UP, DOWN, REROUTE
    std::string from, to; // REROUTE only: the replicas in use before and after ("none" for none)
    std::string line;     // the line as written
};

// Parses one line; nullopt for a line that is not a transition (so a torn last line is skipped).
std::optional<Transition> parseTransition(const std::string& line);

// Every parseable line of the log (empty when the file is missing).
std::vector<Transition> readTransitions(const std::filesystem::path& log);

// The first transition at or after `sinceMs` (and before `untilMs`) of `node` with `event`; for
// REROUTE, `node` is matched against `from` (a reroute away from that replica).
std::optional<Transition> firstTransition(const std::vector<Transition>& all, const std::string& node,
                                          const std::string& event, int64_t sinceMs, int64_t untilMs);

}  // namespace jupiter::chaos
